// Admin space, Vendors section: the form booking an adjustment in a vendor's ledger (a goodwill credit,
// a fee taken back). POST /admin/vendors/{id}/adjustments, once per Idempotency-Key: a key per form,
// kept when a submit is retried, a new one after a booking.

import { ApiError, request } from "../../api.js";
import { el, uniqueId } from "../../dom.js";
import { formatMoney, parseAmount } from "../../money.js";
import { clearFieldErrors, fieldWithError, showFieldErrors } from "../forms.js";
import { t } from "../../i18n.js";

const CURRENCY = "EUR";
const bookAdjustment = (vendorId, body, key) => request("POST", `/admin/vendors/${encodeURIComponent(vendorId)}/adjustments`,
  { auth: true, body, headers: { "Idempotency-Key": key } });

/** "-12.50" -> {value: -1250}; the sign says which way the money goes. */
function signedAmount(text) {
  const trimmed = String(text || "").trim();
  const negative = trimmed.startsWith("-") || trimmed.startsWith("−");
  const parsed = parseAmount(trimmed.replace(/^[-+−]/, ""), CURRENCY);
  if (parsed.error || parsed.value === null) return { error: parsed.error || t("adjustment.enterAmount") };
  if (parsed.value === 0) return { error: t("adjustment.notZero") };
  return { value: negative ? -parsed.value : parsed.value };
}

/** The form for `vendor` ({vendor_id, name}); `onClose()` on Cancel. */
export function adjustmentForm(vendor, { onClose }) {
  let key = crypto.randomUUID();
  const input = (name, attrs = {}) => el("input", { name, id: uniqueId(`adj-${name}`), autocomplete: "off", "data-testid": `adjustment-${name}`, ...attrs });
  const amount = input("amount", { inputmode: "decimal", required: true });
  const reason = input("reason", { required: true, maxlength: 500 });
  const orderId = input("order_id", { maxlength: 80 });
  const formError = el("p", { class: "form-error", role: "alert", "data-testid": "adjustment-error" });
  const done = el("p", { class: "result-status", "aria-live": "polite", "data-testid": "adjustment-done" });
  const submit = el("button", { type: "submit", class: "button", "data-testid": "adjustment-submit" }, t("adjustment.book"));
  const form = el("form", { class: "panel adjustment-form", novalidate: true, "data-testid": "adjustment-form" },
    el("h3", { text: t("adjustment.title", { name: vendor.name }) }),
    fieldWithError(amount, t("adjustment.amount", { currency: CURRENCY }), { hint: t("adjustment.amountHint") }),
    fieldWithError(reason, t("adjustment.reason"), { hint: t("adjustment.reasonHint") }),
    fieldWithError(orderId, t("adjustment.order"), { hint: t("adjustment.orderHint") }),
    formError, done,
    el("div", { class: "form-actions" }, submit,
      el("button", { type: "button", class: "button button-quiet", "data-testid": "adjustment-cancel", onclick: () => onClose() }, t("adjustment.close"))));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearFieldErrors(form);
    formError.textContent = "";
    done.textContent = "";
    const signed = signedAmount(amount.value);
    if (signed.error) return showFieldErrors(form, { amount: signed.error }, formError, t("adjustment.correct"));
    const body = { amount: signed.value, currency: CURRENCY, reason: reason.value.trim(),
      ...(orderId.value.trim() ? { order_id: orderId.value.trim() } : {}) };
    submit.disabled = true;
    try {
      const entry = await bookAdjustment(vendor.vendor_id, body, key);
      key = crypto.randomUUID(); // the next booking is another adjustment
      amount.value = "";
      reason.value = "";
      orderId.value = "";
      done.textContent = t("adjustment.booked", { amount: formatMoney(entry.amount), name: vendor.name });
    } catch (err) {
      if (err instanceof ApiError && err.status === 422) key = crypto.randomUUID();
      if (err instanceof ApiError && Object.keys(err.fields || {}).length) showFieldErrors(form, err.fields, formError, err.message);
      else formError.textContent = err.message;
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
