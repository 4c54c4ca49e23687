"""Catalogue rules: products, GTINs, offers, ranking and the product summary (pure, no I/O)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.catalog import (
    CATEGORIES,
    BrowseFilters,
    Offer,
    gs1_check_digit,
    is_valid_gtin,
    normalise_gtin,
    offer_id_for,
    offer_total,
    product_id_for,
    rank_offers,
    summarise,
    summary_matches,
    title_key,
    validate_offer,
    validate_product,
)
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.money import Money

PRODUCT = {"title": "Trailhead Dome Tent 2P", "brand": "Alpenglow", "category": "outdoor"}


def fields_of(excinfo) -> set[str]:
    return set(excinfo.value.fields)


# --- taxonomy and GTINs -----------------------------------------------------------------

def test_the_taxonomy_has_at_least_six_named_slugs():
    assert len(CATEGORIES) >= 6
    assert all(slug.isascii() and slug.islower() and name for slug, name in CATEGORIES.items())


@pytest.mark.parametrize("gtin", ["96385074", "012345678905", "4006381333931", "5012345678900", "10012345678902"])
def test_real_gtins_of_every_length_are_valid(gtin):
    assert is_valid_gtin(gtin)


@pytest.mark.parametrize("gtin", ["96385075", "4006381333932", "12345", "40063813339311", "abcdefgh", "", "４００６３８１３３３９３１"])
def test_wrong_check_digits_and_lengths_are_refused(gtin):
    assert not is_valid_gtin(gtin)
    with pytest.raises(InvalidInput) as excinfo:
        normalise_gtin(gtin)
    assert fields_of(excinfo) == {"gtin"}


def test_gtins_are_stored_as_14_digits_so_upc_and_ean_are_one_product():
    assert normalise_gtin("012345678905") == normalise_gtin("0012345678905") == "00012345678905"
    assert normalise_gtin(" 4006381 333931 ") == "04006381333931"


@given(st.text(alphabet="0123456789", min_size=7, max_size=13).filter(lambda s: len(s) in (7, 11, 12, 13)))
def test_the_computed_check_digit_always_validates(payload):
    gtin = payload + str(gs1_check_digit(payload))
    assert is_valid_gtin(gtin)
    wrong = payload + str((gs1_check_digit(payload) + 1) % 10)
    assert not is_valid_gtin(wrong)


# --- products ---------------------------------------------------------------------------

def test_a_valid_product_is_normalised():
    product = validate_product({
        **PRODUCT, "title": "  Trailhead   Dome Tent 2P ", "gtin": "4006381333931",
        "attributes": {"weight": " 2.1  kg "}, "images": ["/img/outdoor.svg", "https://cdn.example.com/t.jpg"],
    })
    assert product.title == "Trailhead Dome Tent 2P"
    assert product.attributes == {"weight": "2.1 kg"}
    assert product.gtin == "04006381333931"
    assert product.product_id == "prd_04006381333931"


@pytest.mark.parametrize(
    "change, fields",
    [
        ({"title": "ab"}, {"title"}),
        ({"title": "x" * 201}, {"title"}),
        ({"title": "!!!"}, {"title"}),
        ({"title": None}, {"title"}),
        ({"brand": ""}, {"brand"}),
        ({"category": "spaceships"}, {"category"}),
        ({"attributes": {"k": "v" * 201}}, {"attributes.k"}),
        ({"attributes": {"": "v"}}, {"attributes."}),
        ({"attributes": {f"k{i}": "v" for i in range(31)}}, {"attributes"}),
        ({"attributes": ["not", "a", "map"]}, {"attributes"}),
        ({"images": ["http://example.com/a.jpg"]}, {"images.0"}),
        ({"images": ["/ok.svg", "javascript:alert(1)"]}, {"images.1"}),
        ({"images": ["//evil.example.com/a.jpg"]}, {"images.0"}),
        ({"images": ["data:image/png;base64,xx"]}, {"images.0"}),
        ({"images": ["/img/a.svg"] * 11}, {"images"}),
        ({"gtin": "4006381333932"}, {"gtin"}),
        ({"title": "ab", "category": "nope", "gtin": "1"}, {"title", "category", "gtin"}),
    ],
)
def test_every_broken_product_rule_is_reported_by_field(change, fields):
    with pytest.raises(InvalidInput) as excinfo:
        validate_product({**PRODUCT, **change})
    assert fields_of(excinfo) == fields


def test_product_ids_are_derived_never_minted():
    with_gtin = validate_product({**PRODUCT, "gtin": "4006381333931"})
    assert with_gtin.product_id == validate_product({**PRODUCT, "title": "Other", "gtin": "4006381333931"}).product_id
    without = validate_product(PRODUCT)
    assert without.product_id.startswith("prd_alpenglow-trailhead-dome-tent-2p-")
    # Case, accents and punctuation do not make another product; another brand does.
    assert product_id_for("trailhead dome-tent 2P", "ALPENGLÖW", None) == product_id_for(
        "Trailhead Dome Tent 2P", "Alpenglow", None)
    assert product_id_for("Trailhead Dome Tent 2P", "Other", None) != without.product_id


def test_title_keys_sort_like_titles():
    keys = [title_key(t, "prd_x") for t in ("Tent 2P", "Tent", "Ténte", "Table")]
    assert sorted(keys) == [title_key(t, "prd_x") for t in ("Table", "Tent", "Tent 2P", "Ténte")]


# --- offers -----------------------------------------------------------------------------

def offer_data(**change):
    data = {"price": {"amount": 1999, "currency": "EUR"}, "shipping_fee": {"amount": 499, "currency": "EUR"},
            "condition": "new", "stock": 3, "delivery": {"min_days": 1, "max_days": 3}}
    data.update(change)
    return data


def test_a_valid_offer_totals_price_and_shipping():
    terms = validate_offer(offer_data(), "EUR")
    assert terms.total == Money(2498, "EUR") == offer_total(terms.price, terms.shipping_fee)
    assert validate_offer(offer_data(price=1999, shipping_fee=0), "EUR").total == Money(1999, "EUR")


@pytest.mark.parametrize(
    "change, fields",
    [
        ({"price": {"amount": 0, "currency": "EUR"}}, {"price.amount"}),
        ({"price": -5}, {"price"}),
        ({"price": 12.5}, {"price"}),
        ({"price": True}, {"price"}),
        ({"price": {"amount": 100, "currency": "GBP"}}, {"price.currency"}),
        ({"price": {"amount": 100, "currency": "BTC"}}, {"price.currency"}),
        ({"shipping_fee": {"amount": -1, "currency": "EUR"}}, {"shipping_fee.amount"}),
        ({"condition": "as new"}, {"condition"}),
        ({"stock": -1}, {"stock"}),
        ({"stock": 1.0}, {"stock"}),
        ({"delivery": {"min_days": 4, "max_days": 2}}, {"delivery.max_days"}),
        ({"delivery": {"min_days": 0, "max_days": 61}}, {"delivery.max_days"}),
        ({"delivery": None}, {"delivery"}),
        ({"price": 0, "stock": -1, "condition": "x"}, {"price", "stock", "condition"}),
    ],
)
def test_every_broken_offer_rule_is_reported_by_field(change, fields):
    with pytest.raises(InvalidInput) as excinfo:
        validate_offer(offer_data(**change), "EUR")
    assert fields_of(excinfo) == fields


def test_free_shipping_same_day_delivery_and_zero_stock_are_allowed():
    terms = validate_offer(offer_data(shipping_fee=0, stock=0, delivery={"min_days": 0, "max_days": 0}), "EUR")
    assert terms.stock == 0 and terms.shipping_fee.amount == 0


def test_offer_ids_depend_on_vendor_product_and_condition_only():
    assert offer_id_for("v1", "prd_1", "new") == offer_id_for("v1", "prd_1", "new")
    assert len({offer_id_for(v, p, c) for v in ("v1", "v2") for p in ("prd_1", "prd_2") for c in ("new", "used")}) == 8


# --- ranking and summary ----------------------------------------------------------------

def make_offer(offer_id, price, shipping, available=1, days=(2, 4), vendor="v"):
    return Offer(offer_id, "prd_1", vendor + offer_id, "new", Money(price, "EUR"), Money(shipping, "EUR"),
                 available, *days)


def test_offers_rank_by_total_then_delivery_then_price():
    offers = [
        make_offer("dear", 2000, 0),
        make_offer("cheap-price-dear-total", 1500, 1000),  # total 2500
        make_offer("same-total-slower", 1800, 200, days=(3, 6)),
        make_offer("same-total-faster-higher-price", 2000, 0, days=(1, 2)),
        make_offer("same-total-lower-price", 1900, 100, days=(2, 4)),
    ]
    ranked = [r.offer.offer_id for r in rank_offers(offers)]
    assert ranked == ["same-total-faster-higher-price", "same-total-lower-price", "dear", "same-total-slower",
                      "cheap-price-dear-total"]


def test_the_best_offer_is_the_first_in_stock():
    ranked = rank_offers([make_offer("cheapest", 100, 0, available=0), make_offer("next", 200, 0),
                          make_offer("last", 300, 0)])
    assert [(r.offer.offer_id, r.is_best) for r in ranked] == [("cheapest", False), ("next", True), ("last", False)]


def test_nothing_is_best_when_nothing_is_in_stock():
    assert not any(r.is_best for r in rank_offers([make_offer("a", 100, 0, 0), make_offer("b", 90, 0, 0)]))


def test_summary_is_recomputed_from_every_offer():
    summary = summarise([make_offer("oos", 100, 0, available=0, vendor="x"), make_offer("a", 300, 50, vendor="y"),
                         make_offer("b", 250, 200, vendor="y")])
    assert summary.best_offer.offer_id == "a"
    assert summary.offer_count == 3 and summary.in_stock
    assert summary.best_total == 350 == summary.listed_total
    assert summary.min_total == 100 and summary.min_price == 100
    assert summary.vendor_ids == {"xoos", "ya", "yb"}


def test_summary_without_stock_lists_the_cheapest_total():
    summary = summarise([make_offer("a", 500, 0, available=0), make_offer("b", 400, 50, available=0)])
    assert summary.best_offer is None and not summary.in_stock
    assert summary.best_total is None and summary.listed_total == 450


def test_summary_of_no_offers_is_empty():
    summary = summarise([])
    assert (summary.offer_count, summary.in_stock, summary.listed_total, summary.vendor_ids) == (0, False, None, set())


def test_the_listing_is_held_by_the_best_offer_while_one_is_in_stock():
    summary = summarise([make_offer("a", 500, 0, available=0), make_offer("b", 600, 0)])
    assert summary.holder() == "b" and summary.holder(["a"]) == "b"


def test_a_sold_out_product_keeps_its_listing_where_it_is_else_on_its_first_listed_offer():
    summary = summarise([make_offer("a", 500, 0, available=0), make_offer("b", 400, 50, available=0)])
    assert summary.holder(["a"]) == "a"  # no move (no write) while nothing is in stock
    assert summary.holder(["gone"]) == "b" and summary.holder() == "b"  # the cheapest total


def test_a_product_without_any_listed_offer_has_no_holder():
    assert summarise([]).holder(["a"]) is None


@given(st.lists(st.tuples(st.integers(1, 10_000), st.integers(0, 2_000), st.integers(0, 3)), max_size=12))
def test_the_best_offer_is_never_beaten_by_a_cheaper_in_stock_one(specs):
    offers = [make_offer(str(i), p, s, a) for i, (p, s, a) in enumerate(specs)]
    ranked = rank_offers(offers)
    totals = [r.offer.total.amount for r in ranked]
    assert totals == sorted(totals)
    best = [r.offer for r in ranked if r.is_best]
    in_stock = [o for o in offers if o.available > 0]
    assert len(best) == (1 if in_stock else 0)
    if best:
        assert best[0].total.amount == min(o.total.amount for o in in_stock)


# --- filters ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    "filters, fields",
    [
        ({"category": "nope"}, {"category"}),
        ({"min_price": -1}, {"min_price"}),
        ({"min_price": 10, "max_price": 5}, {"max_price"}),
    ],
)
def test_invalid_filters_name_the_field(filters, fields):
    with pytest.raises(InvalidInput) as excinfo:
        BrowseFilters(**filters)
    assert fields_of(excinfo) == fields


def test_filters_as_a_predicate():
    product = {"category": "outdoor", "vendor_ids": {"v1"}, "in_stock": True, "listed_total": 1500}
    assert summary_matches(BrowseFilters(), **product)
    assert summary_matches(BrowseFilters(category="outdoor", vendor="v1", in_stock=True, min_price=1500,
                                         max_price=1500), **product)
    assert not summary_matches(BrowseFilters(category="garden"), **product)
    assert not summary_matches(BrowseFilters(vendor="v2"), **product)
    assert not summary_matches(BrowseFilters(in_stock=False), **product)
    assert not summary_matches(BrowseFilters(min_price=1501), **product)
    assert not summary_matches(BrowseFilters(max_price=1499), **product)
    assert not summary_matches(BrowseFilters(max_price=1499), **{**product, "listed_total": None})
