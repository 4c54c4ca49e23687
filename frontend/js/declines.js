// The one wording map for a payment attempt that did not pay: the API gives the provider's reason
// code (`insufficient_funds`, `expired_card`...), the shopper reads what happened and what to do.
// Lost and stolen cards read as a plain decline: card networks ask not to tell a possible
// fraudster why.

const DECLINED = "Your card was declined.";

const REASON_TEXT = {
  card_declined: DECLINED,
  generic_decline: DECLINED,
  do_not_honor: DECLINED,
  lost_card: DECLINED,
  stolen_card: DECLINED,
  fraudulent: DECLINED,
  insufficient_funds: "Your card has insufficient funds.",
  expired_card: "Your card has expired.",
  incorrect_cvc: "The card's security code (CVC) is incorrect.",
  invalid_cvc: "The card's security code (CVC) is incorrect.",
  incorrect_number: "The card number is incorrect.",
  invalid_expiry_month: "The card's expiry date is incorrect.",
  invalid_expiry_year: "The card's expiry date is incorrect.",
  processing_error: "The card could not be processed; nothing was charged.",
  authentication_required: "Your bank asks you to confirm this payment.",
  authentication_failed: "Your bank could not confirm the payment (authentication failed).",
  payment_intent_authentication_failure: "Your bank could not confirm the payment (authentication failed).",
  card_velocity_exceeded: "Your card's spending limit was reached.",
  test_mode_live_card: "This card cannot be used in this test shop.",
};

/** What happened to a failed attempt, in plain words (an unknown code reads as a plain decline). */
export function declineText(reason) {
  return REASON_TEXT[reason] || DECLINED;
}

/** What the shopper can do next about it. */
export function declineAdvice(reason) {
  if (reason === "incorrect_cvc" || reason === "invalid_cvc" || reason === "incorrect_number"
    || String(reason || "").startsWith("invalid_expiry")) return "Check the card details and try again, or use another card.";
  if (reason === "processing_error") return "Try again in a moment, or use another card.";
  if (reason === "authentication_required" || reason === "authentication_failed"
    || reason === "payment_intent_authentication_failure") return "Try again and complete your bank's check, or use another card.";
  return "Try another card.";
}

/** Is this API error a card the provider declined (saved card charged at checkout)? */
export function isDecline(err) {
  return Boolean(err && err.status === 402);
}
