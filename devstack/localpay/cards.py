"""Stripe's test cards and test PaymentMethod ids, with the outcomes Stripe's test mode gives them.

https://docs.stripe.com/testing: a few numbers succeed, others decline with a given code,
some ask for 3-D Secure authentication first (docs.stripe.com/testing#regulatory-cards); any
other valid number is a "live card used in test mode" and is declined. Two numbers are ours,
not Stripe's (`LOCAL_ONLY`): they hold the payment in `processing` before it settles, as Stripe
does for asynchronous methods such as SEPA Debit, so that state can be exercised with a card.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class CardProfile:
    number: str
    brand: str
    funding: str = "credit"
    country: str = "US"
    # None: the charge succeeds. Otherwise the card error Stripe answers with.
    code: str | None = None
    decline_code: str | None = None
    message: str | None = None
    dispute: str | None = None  # the charge succeeds, then the cardholder disputes it (this reason)
    inquiry: bool = False  # the dispute starts as an inquiry (`warning_needs_response`), funds not withdrawn
    # What happens to a refund of the charge later: "fails" (succeeded, then failed) or
    # "succeeds" (pending, then succeeded). None: refunds succeed at once.
    refund_settles: str | None = None
    # 3-D Secure: "always" (every payment, saved or not), "unless_set_up" (not once the card was
    # saved for off-session use after an authenticated payment). None: no authentication asked.
    authentication: str | None = None
    three_d_secure_version: str = "2.2.0"
    # The payment waits in `processing`, then settles: "succeeds" or "fails" (local-only cards).
    settles: str | None = None

    @property
    def succeeds(self) -> bool:
        return self.code is None

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.number.encode()).hexdigest()[:16]


DECLINED = "Your card was declined."
PROCESSING_SUCCEEDS = "4000009900000012"
PROCESSING_FAILS = "4000009900000020"
LOCAL_ONLY = frozenset({PROCESSING_SUCCEEDS, PROCESSING_FAILS})

CARDS: dict[str, CardProfile] = {
    card.number: card
    for card in (
        CardProfile("4242424242424242", "visa"),
        CardProfile("4000056655665556", "visa", funding="debit"),
        CardProfile("5555555555554444", "mastercard"),
        CardProfile("2223003122003222", "mastercard"),
        CardProfile("5200828282828210", "mastercard", funding="debit"),
        CardProfile("378282246310005", "amex"),
        CardProfile("6011111111111117", "discover"),
        CardProfile("4000002500000003", "visa", country="FR"),
        CardProfile("4000002760000016", "visa", country="DE"),
        CardProfile("4000000000000259", "visa", dispute="fraudulent"),
        CardProfile("4000000000002685", "visa", dispute="product_not_received"),
        CardProfile("4000000000001976", "visa", dispute="fraudulent", inquiry=True),
        CardProfile("4000000000005126", "visa", refund_settles="fails"),
        CardProfile("4000000000007726", "visa", refund_settles="succeeds"),
        CardProfile("4000000000000077", "visa"),  # funds straight to the available balance: all are, here
        CardProfile("4000000000000002", "visa", code="card_declined", decline_code="generic_decline", message=DECLINED),
        CardProfile("4000000000009995", "visa", code="card_declined", decline_code="insufficient_funds",
                 message="Your card has insufficient funds."),
        CardProfile("4000000000009987", "visa", code="card_declined", decline_code="lost_card", message=DECLINED),
        CardProfile("4000000000009979", "visa", code="card_declined", decline_code="stolen_card", message=DECLINED),
        CardProfile("4000000000000069", "visa", code="expired_card", decline_code="expired_card",
                 message="Your card has expired."),
        CardProfile("4000000000000127", "visa", code="incorrect_cvc", decline_code="incorrect_cvc",
                 message="Your card's security code is incorrect."),
        CardProfile("4000000000000119", "visa", code="processing_error", decline_code="processing_error",
                 message="An error occurred while processing your card. Try again in a little bit."),
        CardProfile("4000000000003055", "visa"),  # 3-D Secure supported, not required: succeeds
        CardProfile("4000002760003184", "visa", country="DE", authentication="always"),
        CardProfile("4000002500003155", "visa", country="FR", authentication="unless_set_up"),
        CardProfile("4000000000003220", "visa", authentication="always"),
        CardProfile("4000000000003063", "visa", authentication="always", three_d_secure_version="1.0.2"),
        CardProfile("4000008260003178", "visa", country="GB", authentication="always", code="card_declined",
                    decline_code="insufficient_funds", message="Your card has insufficient funds."),
        CardProfile(PROCESSING_SUCCEEDS, "visa", settles="succeeds"),
        CardProfile(PROCESSING_FAILS, "visa", settles="fails", code="card_declined", decline_code="generic_decline",
                    message=DECLINED),
    )
}

# Stripe's test PaymentMethod ids: usable wherever a PaymentMethod id is accepted.
TEST_PAYMENT_METHODS: dict[str, str] = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
    "pm_card_fr": "4000002500000003",
    "pm_card_de": "4000002760000016",
    "pm_card_createDispute": "4000000000000259",
    "pm_card_createDisputeProductNotReceived": "4000000000002685",
    "pm_card_createDisputeInquiry": "4000000000001976",
    "pm_card_refundFail": "4000000000005126",
    "pm_card_pendingRefund": "4000000000007726",
    "pm_card_bypassPending": "4000000000000077",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_threeDSecureOptional": "4000000000003055",
    "pm_card_authenticationRequired": "4000002760003184",
    "pm_card_authenticationRequiredOnSetup": "4000002500003155",
    "pm_card_threeDSecure2Required": "4000000000003220",
    "pm_card_threeDSecureRequired": "4000000000003063",
    "pm_card_authenticationRequiredChargeDeclinedInsufficientFunds": "4000008260003178",
    # Local only (Stripe has no such ids): see LOCAL_ONLY.
    "pm_card_localpay_processingSucceeds": PROCESSING_SUCCEEDS,
    "pm_card_localpay_processingFails": PROCESSING_FAILS,
}

# What the payment page lists for humans.
HINTS = (
    ("4242 4242 4242 4242", "succeeds"),
    ("4000 0000 0000 0002", "declined (card_declined)"),
    ("4000 0000 0000 9995", "declined (insufficient_funds)"),
    ("4000 0000 0000 0069", "declined (expired_card)"),
    ("4000 0000 0000 0127", "declined (incorrect_cvc)"),
    ("4000 0027 6000 3184", "3-D Secure, then succeeds"),
    ("4000 0082 6000 3178", "3-D Secure, then declined (insufficient_funds)"),
    ("4000 0099 0000 0012", "processing, then succeeds (local only)"),
    ("4000 0099 0000 0020", "processing, then fails (local only)"),
    ("4000 0000 0000 0259", "succeeds, then disputed"),
    ("4000 0000 0000 1976", "succeeds, then an inquiry (a dispute before the chargeback)"),
    ("4000 0000 0000 5126", "succeeds; a refund of it fails later"),
)

# What the shopper reads after a failed attempt, by decline code (else by error code). Lost and
# stolen cards read as a plain decline: Stripe asks not to tell a possible fraudster why.
_SHOPPER_TEXT = {
    "insufficient_funds": "Your card has insufficient funds. Try another card.",
    "expired_card": "Your card has expired. Check the expiry date or try another card.",
    "incorrect_cvc": "Your card's security code is incorrect. Check it and try again.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
    "authentication_required": "Your bank asks you to confirm this payment. Try again and complete the check.",
    "payment_intent_authentication_failure": "We could not confirm this payment with your bank. Try again or "
    "use another card.",
}
DECLINED_TEXT = "Your card was declined. Try another card."


def shopper_text(error: dict | None) -> str | None:
    """Plain words for a PaymentIntent's `last_payment_error`, specific to the decline."""
    if not error:
        return None
    return _SHOPPER_TEXT.get(error.get("decline_code") or "") or _SHOPPER_TEXT.get(error.get("code") or "") \
        or DECLINED_TEXT


def luhn_valid(number: str) -> bool:
    if not number.isdigit() or not 12 <= len(number) <= 19:
        return False
    total = 0
    for index, digit in enumerate(reversed(number)):
        value = int(digit)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _brand_of(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or number[:4].isdigit() and 2221 <= int(number[:4]) <= 2720:
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    return "unknown"


def card_for(number: str) -> CardProfile:
    """The outcome of charging `number` in test mode (the number must be Luhn-valid)."""
    known = CARDS.get(number)
    if known:
        return known
    return CardProfile(
        number,
        _brand_of(number),
        code="card_declined",
        decline_code="test_mode_live_card",
        message="Your card was declined. Your request was in test mode, but used a non test (live) card. "
        "For a list of valid test cards, visit: https://stripe.com/docs/testing.",
    )
