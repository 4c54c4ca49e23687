"""Promotions in the one pricing function: percent and amount off, minimum quantity, the window's
edges, never a negative or free price, the best one for the shopper wins (chalicelib/domain/promotions.py)."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import Money
from chalicelib.domain.pricing import PricedLine, PricingPolicy, price_cart
from chalicelib.domain.promotions import (
    Promotion,
    TargetedOffer,
    check_targets,
    next_change,
    validate_terms,
)

POLICY = PricingPolicy(currency="EUR", vat_rates_bps={"DE": 1900}, commission_bps=1000)
START, END = "2026-03-01T00:00:00Z", "2026-03-08T00:00:00Z"
DURING = "2026-03-04T12:00:00Z"


def line(offer="o1", vendor="v1", qty=1, price=2000, shipping=0):
    return PricedLine(offer, f"p-{offer}", vendor, f"Item {offer}", qty, Money(price, "EUR"), Money(shipping, "EUR"))


def promo(pid="pr1", kind="percent", value=10, *, vendor="v1", start=START, end=END, min_quantity=1, offers=()):
    return Promotion(pid, vendor, pid, kind, value, "EUR", start, end, min_quantity, frozenset(offers))


def price_one(lin, promotions, at=DURING):
    quote = price_cart([lin], POLICY, "DE", promotions, at=at)
    return quote, quote.groups[0].lines[0]


def test_percent_off_takes_its_share_of_each_unit_and_the_shopper_pays_less():
    quote, priced = price_one(line(qty=3, price=1999), [promo(value=25)])
    assert priced.unit_price.amount == 1999  # the original price is kept beside the promoted one
    assert priced.promoted_unit_price.amount == 1499  # 1999 - 499.75 rounded half up to 500
    assert quote.total.amount == 3 * 1499
    assert quote.to_json()["vendors"][0]["lines"][0]["promotion_id"] == "pr1"


def test_amount_off_is_per_unit():
    quote, priced = price_one(line(qty=2, price=2000), [promo(kind="amount", value=300)])
    assert priced.promoted_unit_price.amount == 1700
    assert quote.discount.amount == 600
    assert quote.total.amount == 3400


def test_commission_is_taken_on_the_discounted_price():
    quote, _ = price_one(line(price=10000, shipping=500), [promo(value=20)])
    group = quote.groups[0]
    assert group.commission.amount == 800  # 10 % of 8000, not of 10000
    assert group.payout.amount + group.commission.amount == quote.total.amount


def test_minimum_quantity_applies_from_that_many_units_of_the_line():
    promotions = [promo(value=10, min_quantity=3)]
    assert price_one(line(qty=2), promotions)[1].promotion_id is None
    assert price_one(line(qty=3), promotions)[1].promotion_id == "pr1"


@pytest.mark.parametrize("at,applies", [
    ("2026-02-28T23:59:59Z", False),
    (START, True),  # starts_at is included
    ("2026-03-07T23:59:59Z", True),
    (END, False),  # ends_at is not
])
def test_window_edges(at, applies):
    _, priced = price_one(line(), [promo()], at=at)
    assert (priced.promotion_id == "pr1") is applies


def test_without_a_moment_no_promotion_applies():
    quote = price_cart([line()], POLICY, "DE", [promo()])
    assert quote.discount.amount == 0


def test_only_the_vendors_own_targeted_offers_are_discounted():
    lines = [line("o1", "v1"), line("o2", "v1"), line("o3", "v2")]
    quote = price_cart(lines, POLICY, "DE", [promo(offers=["o2"])], at=DURING)
    discounted = {pl.offer_id for g in quote.groups for pl in g.lines if pl.promotion_id}
    assert discounted == {"o2"}
    # another vendor's promotion naming v2's offer does not touch it either
    quote = price_cart([line("o3", "v2")], POLICY, "DE", [promo(vendor="v1", offers=["o3"])], at=DURING)
    assert quote.discount.amount == 0


def test_an_amount_off_above_a_repriced_offer_never_makes_it_free_or_negative():
    _, priced = price_one(line(price=500), [promo(kind="amount", value=900)])
    assert priced.promoted_unit_price.amount == 1  # clamped: the last guard after a price drop


def test_the_best_promotion_for_the_shopper_wins_and_they_never_stack():
    promotions = [promo("pa", "percent", 10), promo("pb", "amount", 300), promo("pc", "percent", 30, min_quantity=5)]
    quote, priced = price_one(line(price=2000), promotions)
    assert priced.promotion_id == "pb"  # 300 off beats 10 % (200); 30 % needs 5 units
    assert quote.total.amount == 1700
    _, priced = price_one(line(qty=5, price=2000), promotions)
    assert priced.promotion_id == "pc"
    assert priced.promoted_unit_price.amount == 1400


def test_equal_discounts_pick_the_one_ending_first_whatever_the_order_read():
    early = promo("pz", end="2026-03-05T00:00:00Z")
    late = promo("pa", end=END)
    assert price_one(line(), [early, late])[1].promotion_id == "pz"
    assert price_one(line(), [late, early])[1].promotion_id == "pz"


def test_creation_refuses_a_promotion_that_would_make_a_targeted_offer_unpayable():
    offer = TargetedOffer("o1", Money(100, "EUR"), Money(0, "EUR"))
    with pytest.raises(InvalidInput) as err:
        check_targets(promo(kind="amount", value=100), [offer])  # to 0
    assert "value" in err.value.fields
    with pytest.raises(InvalidInput):
        check_targets(promo(kind="amount", value=60), [offer])  # 0.40 EUR: below the 0.50 EUR minimum charge
    check_targets(promo(kind="amount", value=50), [offer])  # 0.50 EUR: payable
    check_targets(promo(kind="amount", value=60), [TargetedOffer("o1", Money(100, "EUR"), Money(490, "EUR"))])


def test_terms_name_every_wrong_field():
    with pytest.raises(InvalidInput) as err:
        validate_terms({"name": "", "kind": "percent", "value": 95, "starts_at": END, "ends_at": START,
                        "min_quantity": 0}, now=START)
    assert set(err.value.fields) == {"name", "value", "ends_at", "min_quantity"}
    with pytest.raises(InvalidInput) as err:
        validate_terms({"name": "x", "kind": "amount", "value": 0, "starts_at": START, "ends_at": END}, now=START)
    assert set(err.value.fields) == {"value"}
    with pytest.raises(InvalidInput) as err:
        validate_terms({"name": "x", "kind": "percent", "value": 5, "starts_at": START, "ends_at": END},
                       now="2026-04-01T00:00:00Z")
    assert err.value.fields == {"ends_at": "must be in the future"}


def test_a_listing_goes_stale_at_the_next_start_or_end():
    promotions = [promo("a", start=START, end=END), promo("b", start="2026-03-02T00:00:00Z", end=END)]
    assert next_change(promotions, "2026-02-01T00:00:00Z") == START
    assert next_change(promotions, START) == "2026-03-02T00:00:00Z"
    assert next_change(promotions, END) is None


def test_a_catalogue_offer_shows_the_promoted_price_and_keeps_the_struck_one():
    from chalicelib.domain.catalog import Offer, rank_offers
    from chalicelib.domain.promotions import promoted_offer

    def offer(oid, vendor, price):
        return Offer(oid, "p", vendor, "new", Money(price, "EUR"), Money(0, "EUR"), 5, 1, 3)

    cheap, dear = offer("o1", "v1", 1800), offer("o2", "v2", 2000)
    promotions = [promo(vendor="v2", value=20)]
    shown = [promoted_offer(o, promotions, DURING) for o in (cheap, dear)]
    assert shown[1].price.amount == 1600 and shown[1].list_price.amount == 2000 and shown[1].promotion_id == "pr1"
    assert shown[0] == cheap  # no promotion: unchanged
    assert rank_offers(shown)[0].offer.offer_id == "o2"  # the promotion reorders the offers
    after = [promoted_offer(o, promotions, END) for o in (cheap, dear)]
    assert rank_offers(after)[0].offer.offer_id == "o1"  # and its end puts them back


def test_an_edit_keeps_the_kind_and_offers_and_refuses_a_start_moved_into_the_past():
    from chalicelib.domain.errors import Conflict, InvalidInput
    from chalicelib.domain.promotions import Promotion, revise_terms

    running = Promotion("promo_1", "v", "Sale", "percent", 10, "EUR", "2026-11-01T00:00:00Z", "2026-12-01T00:00:00Z",
                        offer_ids=frozenset({"o1"}))
    now = "2026-11-15T00:00:00Z"

    terms = revise_terms(running, {"value": 30, "ends_at": "2026-12-15T00:00:00Z"}, now=now)
    assert (terms.kind, terms.value, terms.starts_at, terms.offer_ids) == ("percent", 30, running.starts_at,
                                                                         frozenset({"o1"}))
    with pytest.raises(InvalidInput) as moved:
        revise_terms(running, {"starts_at": "2026-11-10T00:00:00Z"}, now=now)
    assert moved.value.fields == {"starts_at": "cannot move into the past"}
    with pytest.raises(InvalidInput) as kind:
        revise_terms(running, {"kind": "amount"}, now=now)
    assert "kind" in kind.value.fields
    with pytest.raises(Conflict):
        revise_terms(running, {"value": 20}, now="2026-12-02T00:00:00Z")
