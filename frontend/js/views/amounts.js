// Amount rows shared by the cart's quote and the order's totals: a label and money,
// with the minor-unit amount in data-amount so tests compare numbers, not formatting.

import { el } from "../dom.js";
import { formatMoney } from "../money.js";
import { formatNumber, t } from "../i18n.js";

/** <div><dt>label</dt><dd data-testid data-amount>€x</dd></div> */
export function amountRow(label, money, testid, { strong = false, free = false, sub = false, total = false, attrs = {} } = {}) {
  const text = free && money.amount === 0 ? t("common.free") : formatMoney(money);
  return el("div", { class: `amount-row${strong ? " amount-strong" : ""}${sub ? " amount-sub" : ""}${total ? " amount-total" : ""}`, ...attrs },
    el("dt", { text: label }),
    el("dd", { "data-testid": testid, "data-amount": money.amount, text }));
}

export function negative(money) {
  return { ...money, amount: -Math.abs(money.amount) };
}

/** 1900 basis points -> "19%" in the shopper's locale. */
export function percent(bps) {
  return formatNumber(Number(bps) / 10000, { style: "percent", maximumFractionDigits: 2 });
}

export function itemsText(n) {
  return t("common.items", { count: n });
}
