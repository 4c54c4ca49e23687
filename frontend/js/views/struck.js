// A promoted price next to the struck one it replaces (catalogue cards, product offers, cart lines).
// <s> is not announced by every screen reader, so the words "was" and "now" are there for them.

import { el } from "../dom.js";
import { formatMoney } from "../money.js";
import { t } from "../i18n.js";

/** `was` struck, then `now`: <s>was</s> now; just `now` when `was` is absent. */
export function promotedPrice(now, was, testid, attrs = {}) {
  if (!was) return el("span", { "data-testid": testid, "data-amount": now.amount, ...attrs, text: formatMoney(now) });
  return el("span", { class: "promoted-price" },
    el("s", { class: "price-was", "data-testid": `${testid}-was`, "data-amount": was.amount },
      el("span", { class: "visually-hidden", text: t("price.was") }), formatMoney(was)),
    " ",
    el("span", { "data-testid": testid, "data-amount": now.amount, ...attrs, class: `price-now ${attrs.class || ""}`.trim() },
      el("span", { class: "visually-hidden", text: t("price.now") }), formatMoney(now)));
}

/** The offer's total before its promotion (list price + delivery), or null without one. */
export function totalBefore(offer) {
  if (!offer.list_price) return null;
  return { amount: offer.list_price.amount + (offer.shipping_fee ? offer.shipping_fee.amount : 0), currency: offer.list_price.currency };
}
