"""What the payment provider can charge in one payment, per currency: a pure rule.

Stripe refuses a PaymentIntent below a minimum per currency (`amount_too_small`, roughly
USD 0.50 converted, so that its fees are covered) and above eight digits of minor units
(`amount_too_large`): https://docs.stripe.com/currencies#minimum-and-maximum-charge-amounts.
Checking here, before anything is listed, reserved or sent, turns a payment that could never
start into a clear refusal naming its cause: a vendor cannot list an offer whose price +
shipping is below the minimum, and a cart whose total is outside the limits is refused by the
quote and by checkout before any stock is held.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.errors import Unprocessable
from chalicelib.domain.money import CURRENCIES, Money

# Minor units, from Stripe's table (the currencies Halles accepts, see `money.CURRENCIES`).
MINIMUM_CHARGE: dict[str, int] = {
    "EUR": 50,   # 0.50 EUR
    "USD": 50,   # 0.50 USD
    "GBP": 30,   # 0.30 GBP
    "CHF": 50,   # 0.50 CHF
    "DKK": 250,  # 2.50 DKK
    "SEK": 300,  # 3.00 SEK
    "PLN": 200,  # 2.00 PLN
}
# "The amount value supports up to eight digits": 999,999.99 in a two-decimal currency.
MAXIMUM_CHARGE_DEFAULT = 99_999_999
MAXIMUM_CHARGE: dict[str, int] = {}  # per-currency exceptions to the eight digits (none for ours)

assert set(MINIMUM_CHARGE) == set(CURRENCIES), "every accepted currency needs its provider minimum"


def minimum_charge(currency: str) -> Money:
    return Money(MINIMUM_CHARGE[currency], currency)


def maximum_charge(currency: str) -> Money:
    return Money(MAXIMUM_CHARGE.get(currency, MAXIMUM_CHARGE_DEFAULT), currency)


@dataclass(frozen=True)
class ChargeProblem:
    """Why an amount cannot be charged: `code` is `amount_too_small` or `amount_too_large`."""

    code: str
    limit: Money

    @property
    def too_small(self) -> bool:
        return self.code == "amount_too_small"

    def explain(self, what: str) -> str:
        """`what` names the amount, e.g. "The order total"."""
        if self.too_small:
            return f"{what} is below {self.limit.display()}, the smallest amount a card payment can be."
        return f"{what} is above {self.limit.display()}, the largest amount one card payment can be."


def charge_problem(amount: Money) -> ChargeProblem | None:
    """None when `amount` can be charged in one payment, else what is wrong with it."""
    low, high = minimum_charge(amount.currency), maximum_charge(amount.currency)
    if amount.amount < low.amount:
        return ChargeProblem("amount_too_small", low)
    if amount.amount > high.amount:
        return ChargeProblem("amount_too_large", high)
    return None


def ensure_chargeable(total: Money) -> None:
    """Refuse (422 naming `total`) an order total that no single card payment can collect."""
    problem = charge_problem(total)
    if problem is not None:
        hint = ("Add items to reach it." if problem.too_small else "Split your order into smaller ones.")
        raise Unprocessable(f"{problem.explain('Your order total')} {hint}", code=problem.code,
                            fields={"total": f"must be {'at least' if problem.too_small else 'at most'} "
                                             f"{problem.limit.display()}"})
