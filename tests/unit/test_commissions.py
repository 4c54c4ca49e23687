"""Commission rules: the most specific rule wins, rates are bounded, pricing applies each line's rate."""

from __future__ import annotations

import pytest

from chalicelib.domain.commissions import CommissionRates, CommissionRules
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import Money
from chalicelib.domain.pricing import PricedLine, PricingPolicy, price_cart
from chalicelib.domain.promotions import Promotion

RULES = CommissionRules(default_bps=1000, categories={"electronics": 700, "outdoor": 1500}, vendors={"v-vip": 500})


def line(offer, vendor, qty, price, product="p"):
    return PricedLine(offer, f"{product}-{offer}", vendor, offer, qty, Money(price, "EUR"), Money(0, "EUR"))


def test_a_vendor_override_wins_over_its_category_and_the_category_over_the_default():
    assert RULES.resolve("v-vip", "electronics").bps == 500 and RULES.resolve("v-vip", "electronics").rule == "vendor"
    assert RULES.resolve("v1", "electronics").bps == 700
    assert RULES.resolve("v1", "electronics").rule == "category:electronics"
    assert RULES.resolve("v1", "books").bps == 1000 and RULES.resolve("v1", None).rule == "default"


@pytest.mark.parametrize("bad, field", [
    ({"default_bps": 5001}, "default_bps"),
    ({"default_bps": -1}, "default_bps"),
    ({"default_bps": True}, "default_bps"),
    ({"categories": {"outdoor": 9000}}, "categories.outdoor"),
    ({"vendors": {"v1": 1.5}}, "vendors.v1"),
    ({"categories": {"bad key!": 100}}, "categories.bad key!"),
])
def test_rates_outside_0_to_5000_bps_are_refused_naming_the_rule(bad, field):
    with pytest.raises(InvalidInput) as err:
        CommissionRules(**{"default_bps": 1000, **bad})
    assert field in err.value.fields


def test_pricing_applies_each_lines_resolved_rate_and_keeps_it_on_the_group():
    lines = [line("tv", "v1", 1, 10000), line("tent", "v1", 1, 20000), line("cable", "v-vip", 2, 1000)]
    rates = CommissionRates.resolve(RULES, [("tv", "v1", "electronics"), ("tent", "v1", "outdoor"),
                                            ("cable", "v-vip", "electronics")])
    quote = price_cart(lines, PricingPolicy("EUR", {"DE": 1900}, commission_rates=rates), "DE")
    groups = {g.vendor_id: g for g in quote.groups}
    assert groups["v1"].commission.amount == 700 + 3000  # 7 % of 100.00 + 15 % of 200.00
    assert groups["v1"].commission_bps == 1233  # blended: 37.00 of 300.00
    assert {o: r.rule for o, r in groups["v1"].commission_rates} == {"tv": "category:electronics",
                                                                      "tent": "category:outdoor"}
    assert groups["v-vip"].commission.amount == 100 and groups["v-vip"].commission_bps == 500


def test_a_promotion_lowers_the_base_of_every_rate_and_the_amounts_still_add_up():
    lines = [line("tv", "v1", 1, 10000), line("tent", "v1", 1, 20000)]
    rates = CommissionRates.resolve(RULES, [("tv", "v1", "electronics"), ("tent", "v1", "outdoor")])
    ten = Promotion("pr1", "v1", "Ten", "percent", 10, "EUR", "2026-01-01T00:00:00Z", "2027-01-01T00:00:00Z")
    quote = price_cart(lines, PricingPolicy("EUR", {"DE": 1900}, commission_rates=rates), "DE", [ten],
                       at="2026-11-27T00:00:00Z")
    (group,) = quote.groups
    assert group.discount.amount == 3000
    assert group.commission.amount == 630 + 2700  # 7 % of 90.00 + 15 % of 180.00
    assert group.payout.amount + group.commission.amount == group.total.amount


def test_without_resolved_rates_pricing_keeps_the_single_platform_rate():
    quote = price_cart([line("a", "v1", 3, 3333)], PricingPolicy("EUR", {"DE": 1900}, commission_bps=1200), "DE")
    assert quote.groups[0].commission.amount == 1200 and quote.groups[0].commission_bps == 1200
