"""Listing rules (sort, facets, price bands, pages, breadcrumbs) and the language of product texts (pure)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.listing import (
    Listed,
    apply_selection,
    breadcrumbs,
    check_selection,
    facet_counts,
    page,
    price_band,
    sorted_items,
)
from chalicelib.domain.localized import category_name, localized_text, preferred_language


def item(pid, *, total=1000, in_stock=True, brand="B", category="kitchen", created="2026-01-01", score=0.0,
         condition="new"):
    return Listed(pid, f"Title {pid}", brand, category, condition if in_stock else None,
                  total if in_stock else None, in_stock, created, score)


def test_price_sort_is_by_total_with_unavailable_products_last():
    items = [item("a", total=3000), item("b", in_stock=False), item("c", total=1000)]
    assert [i.product_id for i in sorted_items(items, "price")] == ["c", "a", "b"]


def test_newest_first_and_relevance_by_score():
    items = [item("a", created="2026-01-01", score=1), item("b", created="2026-03-01", score=3)]
    assert [i.product_id for i in sorted_items(items, "newest")] == ["b", "a"]
    assert [i.product_id for i in sorted_items(items[::-1], "relevance")] == ["b", "a"]


def test_a_wrong_sort_or_band_names_its_field():
    with pytest.raises(InvalidInput) as err:
        sorted_items([], "cheap")
    assert "sort" in err.value.fields
    with pytest.raises(InvalidInput) as err:
        check_selection({"price_band": "5-10"})
    assert "price_band" in err.value.fields


def test_price_bands_cover_every_total_once():
    assert price_band(0) == "0-20" and price_band(1999) == "0-20" and price_band(2000) == "20-50"
    assert price_band(19999) == "100-200" and price_band(20000) == "200+" and price_band(None) is None


def test_a_facet_counts_with_the_other_facets_selected_but_not_its_own():
    items = [item("a", brand="X", category="kitchen"), item("b", brand="Y", category="kitchen"),
             item("c", brand="X", category="home")]
    selected = {"category": "kitchen", "brand": "X", "condition": None, "price_band": None}
    facets = facet_counts(items, selected)
    assert {f["value"]: f["count"] for f in facets["brand"]} == {"X": 1, "Y": 1}
    assert {f["value"]: f["count"] for f in facets["category"]} == {"kitchen": 1, "home": 1}
    assert [i.product_id for i in apply_selection(items, selected)] == ["a"]


@given(st.lists(st.integers(0, 30000), max_size=40), st.integers(1, 10))
def test_pages_cover_the_listing_once_in_order(totals, size):
    items = sorted_items([item(f"p{n:02d}", total=t) for n, t in enumerate(totals)], "price")
    seen, offset = [], 0
    while offset is not None:
        chunk, offset = page(items, offset, size)
        seen += chunk
    assert seen == items


def test_breadcrumbs_lead_from_the_catalogue_to_the_query():
    assert [c["label"] for c in breadcrumbs("kitchen", "Cuisine", "  pan ", "Catalogue")] == \
        ["Catalogue", "Cuisine", "“pan”"]
    assert breadcrumbs(None, None, None, "Catalogue") == [{"label": "Catalogue", "category": None, "q": None}]


def test_the_language_comes_from_lang_then_accept_language_then_english():
    assert preferred_language("fr", "en") == "fr"
    assert preferred_language(None, "fr-CA,fr;q=0.9,en;q=0.8") == "fr"
    assert preferred_language(None, "de, en;q=0.2, fr;q=0.5") == "fr"
    assert preferred_language(None, "de, fr;q=0") == "en"
    assert preferred_language(None, "fr;q=abc, en") == "en"
    assert preferred_language("xx", None) == "en"


def test_texts_fall_back_to_the_main_text():
    translations = {"fr": {"title": "Tente", "description": ""}}
    assert localized_text("Tent", translations, "fr", "title") == "Tente"
    assert localized_text("A tent.", translations, "fr", "description") == "A tent."
    assert localized_text("Tent", translations, "en", "title") == "Tent"
    assert localized_text("Tent", None, None, "title") == "Tent"
    assert category_name("kitchen", "Kitchen & Dining", "fr") == "Cuisine & arts de la table"
    assert category_name("kitchen", "Kitchen & Dining", "en") == "Kitchen & Dining"
