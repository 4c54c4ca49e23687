// The one wording map for a payment attempt that did not pay: the API gives the provider's reason
// code (`insufficient_funds`, `expired_card`...), the shopper reads what happened and what to do.
// Lost and stolen cards read as a plain decline: card networks ask not to tell a possible
// fraudster why. Words: js/locales (decline.*).

import { t } from "./i18n.js";

const DECLINED = t("decline.declined");

const REASON_TEXT = {
  card_declined: DECLINED,
  generic_decline: DECLINED,
  do_not_honor: DECLINED,
  lost_card: DECLINED,
  stolen_card: DECLINED,
  fraudulent: DECLINED,
  insufficient_funds: t("decline.insufficientFunds"),
  expired_card: t("decline.expired"),
  incorrect_cvc: t("decline.cvc"),
  invalid_cvc: t("decline.cvc"),
  incorrect_number: t("decline.number"),
  invalid_expiry_month: t("decline.expiry"),
  invalid_expiry_year: t("decline.expiry"),
  processing_error: t("decline.processing"),
  authentication_required: t("decline.authRequired"),
  authentication_failed: t("decline.authFailed"),
  payment_intent_authentication_failure: t("decline.authFailed"),
  card_velocity_exceeded: t("decline.velocity"),
  test_mode_live_card: t("decline.testMode"),
};

/** What happened to a failed attempt, in plain words (an unknown code reads as a plain decline). */
export function declineText(reason) {
  return REASON_TEXT[reason] || DECLINED;
}

/** What the shopper can do next about it. */
export function declineAdvice(reason) {
  if (reason === "incorrect_cvc" || reason === "invalid_cvc" || reason === "incorrect_number"
    || String(reason || "").startsWith("invalid_expiry")) return t("decline.adviceCheck");
  if (reason === "processing_error") return t("decline.adviceLater");
  if (reason === "authentication_required" || reason === "authentication_failed"
    || reason === "payment_intent_authentication_failure") return t("decline.adviceAuth");
  return t("decline.adviceOther");
}

/** Is this API error a card the provider declined (saved card charged at checkout)? */
export function isDecline(err) {
  return Boolean(err && err.status === 402);
}
