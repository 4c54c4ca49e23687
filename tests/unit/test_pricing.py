import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import Money
from chalicelib.domain.pricing import PricedLine, PricingPolicy, price_cart
from chalicelib.domain.promotions import Promotion

POLICY = PricingPolicy(currency="EUR", vat_rates_bps={"DE": 1900, "FR": 2000}, service_fee=99, commission_bps=1200)


def line(offer, vendor, qty, price, shipping):
    return PricedLine(offer, f"p-{offer}", vendor, f"Item {offer}", qty, Money(price, "EUR"), Money(shipping, "EUR"))


def test_lines_are_grouped_by_vendor_with_one_shipping_fee_per_parcel():
    quote = price_cart(
        [line("a", "v1", 2, 1000, 490), line("b", "v1", 1, 2500, 690), line("c", "v2", 1, 1999, 0)], POLICY, "DE"
    )
    by_vendor = {g.vendor_id: g for g in quote.groups}
    assert by_vendor["v1"].items.amount == 4500
    assert by_vendor["v1"].shipping.amount == 690  # the highest fee of the parcel, not the sum
    assert by_vendor["v2"].shipping.amount == 0
    assert quote.total.amount == 4500 + 690 + 1999 + 0 + 99


def test_vat_is_the_included_share_at_the_destination_rate():
    quote = price_cart([line("a", "v1", 1, 11900, 0)], PricingPolicy("EUR", {"DE": 1900}), "DE")
    assert quote.vat_included.amount == 1900
    assert quote.total.amount == 11900


def test_commission_is_taken_from_items_after_promotion_and_payout_keeps_shipping():
    ten = Promotion("pr1", "v1", "Ten", "percent", 10, "EUR", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")
    quote = price_cart([line("a", "v1", 1, 10000, 500)], POLICY, "FR", [ten], at="2026-06-01T00:00:00Z")
    group = quote.groups[0]
    assert group.discount.amount == 1000
    assert group.commission.amount == 1080  # 12 % of 9000
    assert group.payout.amount == 9000 + 500 - 1080
    payouts = sum(g.payout.amount for g in quote.groups) + sum(g.commission.amount for g in quote.groups)
    assert payouts + quote.service_fee.amount == quote.total.amount  # every cent is accounted for


def test_unknown_country_and_bad_quantities_name_the_field():
    with pytest.raises(InvalidInput) as err:
        price_cart([line("a", "v1", 1, 100, 0)], POLICY, "XX")
    assert "country" in err.value.fields
    with pytest.raises(InvalidInput) as err:
        price_cart([line("a", "v1", 11, 100, 0)], POLICY, "DE")
    assert "quantity" in err.value.fields
    with pytest.raises(InvalidInput) as err:
        price_cart([], POLICY, "DE")
    assert err.value.code == "empty_cart"
