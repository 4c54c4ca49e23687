"""The provider's minimum and maximum charge per currency, as a pure rule (issue 7, item 3)."""

from __future__ import annotations

import pytest

from chalicelib.domain.catalog import validate_offer
from chalicelib.domain.charge_limits import MINIMUM_CHARGE, charge_problem, ensure_chargeable
from chalicelib.domain.errors import InvalidInput, Unprocessable
from chalicelib.domain.money import CURRENCIES, Money


@pytest.mark.parametrize("currency, minimum", [("EUR", 50), ("USD", 50), ("GBP", 30), ("CHF", 50),
                                               ("DKK", 250), ("SEK", 300), ("PLN", 200)])
def test_the_minimum_is_stripes_for_each_currency(currency, minimum):
    assert charge_problem(Money(minimum, currency)) is None
    problem = charge_problem(Money(minimum - 1, currency))
    assert problem.code == "amount_too_small" and problem.limit == Money(minimum, currency)


def test_the_maximum_is_eight_digits_of_minor_units():
    assert charge_problem(Money(99_999_999, "EUR")) is None
    problem = charge_problem(Money(100_000_000, "EUR"))
    assert problem.code == "amount_too_large" and problem.limit.display() == "999999.99 EUR"


def test_every_accepted_currency_has_a_minimum_the_local_provider_agrees_with():
    from devstack.localpay.ledger import MAXIMUM_AMOUNT, MINIMUM_AMOUNTS

    assert set(MINIMUM_CHARGE) == set(CURRENCIES)
    assert {c: MINIMUM_AMOUNTS[c.lower()] for c in MINIMUM_CHARGE} == MINIMUM_CHARGE
    assert MAXIMUM_AMOUNT == 99_999_999


def _offer(price: int, shipping: int) -> dict:
    return {"price": price, "shipping_fee": shipping, "stock": 1, "delivery": {"min_days": 1, "max_days": 2}}


def test_an_offer_that_no_card_payment_could_buy_is_refused_naming_price():
    with pytest.raises(InvalidInput) as refused:
        validate_offer(_offer(1, 0), "EUR")
    assert "0.50 EUR" in refused.value.fields["price"]
    with pytest.raises(InvalidInput) as refused:
        validate_offer(_offer(29, 0), "GBP")
    assert "0.30 GBP" in refused.value.fields["price"]
    # Shipping counts: one unit costs price + shipping.
    assert validate_offer(_offer(30, 20), "EUR").total == Money(50, "EUR")
    assert validate_offer(_offer(30, 0), "GBP").price == Money(30, "GBP")


def test_an_order_total_outside_the_limits_is_a_422_naming_total_with_its_own_code():
    with pytest.raises(Unprocessable) as small:
        ensure_chargeable(Money(49, "EUR"))
    with pytest.raises(Unprocessable) as large:
        ensure_chargeable(Money(100_000_000, "EUR"))
    assert (small.value.code, large.value.code) == ("amount_too_small", "amount_too_large")
    assert "0.50 EUR" in small.value.fields["total"] and "999999.99 EUR" in large.value.fields["total"]
    assert small.value.message != large.value.message
    ensure_chargeable(Money(50, "EUR"))
