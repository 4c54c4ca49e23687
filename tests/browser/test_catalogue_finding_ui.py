"""Finding things on the catalogue page: a typo gets a suggestion, sorting by total price, facets
with counts, breadcrumbs, and French words finding English-titled products (Debian Chromium, local stack)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_catalogue_ui import api_get, card_titles, open_catalogue

pytestmark = pytest.mark.browser


def settled(page):
    expect(page.locator("section.results")).not_to_have_attribute("aria-busy", "true")
    expect(page.get_by_test_id("product-card").first).to_be_visible()


def amounts(page) -> list[int]:
    settled(page)
    return [int(a) for a in page.locator("[data-testid=product-card] [data-testid=card-price]")
            .evaluate_all("nodes => nodes.map(n => n.dataset.amount)") if a]


def test_a_typo_finds_the_tent_and_suggests_the_right_word(page, live_stack):
    open_catalogue(page, live_stack)
    page.get_by_test_id("search-input").fill("tnet")
    page.get_by_test_id("search-input").press("Enter")
    expect(page.get_by_test_id("suggestion")).to_contain_text("Did you mean")
    expect(page.get_by_test_id("did-you-mean")).to_have_text("tent")
    # Other tests on the run's shared stack add products titled "E2E tent ...": any tent found will do.
    expect(page.get_by_test_id("card-title").first).to_contain_text(re.compile("tent", re.IGNORECASE))
    page.get_by_test_id("did-you-mean").click()
    expect(page).to_have_url(re.compile(r"q=tent"))
    expect(page.get_by_test_id("suggestion")).to_have_count(0)


def test_bouteille_finds_the_bottle_that_bottles_finds(page, live_stack):
    english = [p["title"] for p in api_get(live_stack.api, "/catalog/products", q="bottles", lang="en")["items"]]
    open_catalogue(page, live_stack, "#/?q=bouteille")
    expect(page.get_by_test_id("product-card")).to_have_count(len(english))
    assert card_titles(page) == english  # an English browser: English titles, found by the French word


def test_sort_by_total_price_and_narrow_by_a_brand_facet(page, live_stack):
    open_catalogue(page, live_stack, "#/?category=kitchen")
    expect(page.get_by_test_id("breadcrumbs")).to_contain_text("Catalogue")
    expect(page.get_by_test_id("breadcrumbs")).to_contain_text("Kitchen & Dining")

    page.get_by_test_id("sort-select").select_option("price")
    expect(page).to_have_url(re.compile(r"sort=price"))
    page.wait_for_function("""() => {  // the re-sorted page has replaced the first one
        const shown = [...document.querySelectorAll("[data-testid=product-card] [data-testid=card-price]")]
            .map((n) => Number(n.dataset.amount));
        return shown.length >= 3 && shown.every((a, i) => i === 0 || shown[i - 1] <= a);
    }""")
    expect(page.get_by_test_id("sort-select")).to_have_value("price")
    shown = amounts(page)
    assert len(shown) >= 3 and shown == sorted(shown)

    page.get_by_test_id("filters-toggle").click() if page.get_by_test_id("filters-toggle").is_visible() else None
    brand = page.get_by_test_id("facet-brand").filter(has_text="Maison Verte")
    expected = int(re.search(r"\((\d+)\)", brand.inner_text()).group(1))
    brand.click()
    expect(page).to_have_url(re.compile(r"brand=Maison"))
    expect(page.get_by_test_id("product-card")).to_have_count(expected)
    settled(page)
    expect(page.get_by_test_id("facet-brand").filter(has_text="Maison Verte")).to_have_attribute("aria-pressed", "true")
    shown = amounts(page)
    assert shown == sorted(shown)  # the sort stays while narrowing
