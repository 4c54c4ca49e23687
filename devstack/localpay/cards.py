"""Stripe's test cards and test PaymentMethod ids, with the outcomes Stripe's test mode gives them.

https://docs.stripe.com/testing: a few numbers succeed, others decline with a given code;
any other valid number is a "live card used in test mode" and is declined.
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
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
}

# What the payment page lists for humans.
HINTS = (
    ("4242 4242 4242 4242", "succeeds"),
    ("4000 0000 0000 0002", "declined (card_declined)"),
    ("4000 0000 0000 9995", "declined (insufficient_funds)"),
    ("4000 0000 0000 0069", "declined (expired_card)"),
    ("4000 0000 0000 0259", "succeeds, then disputed"),
)


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
