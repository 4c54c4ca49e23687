"""What a shopper's browser downloads (issue 11 item 5): only the page's own code, compressed.

The catalogue page fetches no cart, orders, vendor or admin code and only the active language's
words; opening the cart then fetches the cart's code; switching language fetches the other
catalogue. Read from the requests Chromium makes, so a static import slipped back into app.js, or
a language loaded up front, fails here as a shopper on a slow line would notice it.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

OTHER_PAGES = re.compile(r"/js/views/(cart|orders|order-[a-z-]+|cards|vendor/.*|admin/.*|inbox|messages|survey)\.js$")


def scripts_loaded(page) -> list[str]:
    return [entry["name"] for entry in page.evaluate(
        "performance.getEntriesByType('resource').map(e => ({name: e.name.split('?')[0]}))")
        if entry["name"].endswith(".js")]


def test_the_catalogue_loads_only_its_code_and_one_language_then_the_cart_brings_its_own(page, live_stack):
    page.goto(f"{live_stack.frontend}/#/")
    expect(page.get_by_test_id("product-card").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    loaded = scripts_loaded(page)
    assert any(name.endswith("/js/views/catalogue.js") for name in loaded)
    assert [name for name in loaded if OTHER_PAGES.search(name)] == []
    assert [name for name in loaded if "/locales/" in name] == [f"{live_stack.frontend}/js/locales/en.js"]

    page.get_by_test_id("cart-link").click()
    expect(page.get_by_test_id("shopper-only")).to_be_visible()  # the cart's own page (sign in first)
    assert any(name.endswith("/js/views/cart.js") for name in scripts_loaded(page))

    page.get_by_test_id("language-fr").first.click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    page.wait_for_load_state("networkidle")
    assert [name for name in scripts_loaded(page) if "/locales/" in name] == [f"{live_stack.frontend}/js/locales/fr.js"]


def test_the_page_s_text_arrives_gzip_compressed(page, live_stack):
    encodings = {}
    page.on("response", lambda response: encodings.__setitem__(
        response.url.split("?")[0], response.headers.get("content-encoding")))
    page.goto(f"{live_stack.frontend}/#/")
    expect(page.get_by_test_id("product-card").first).to_be_visible()
    page.wait_for_load_state("networkidle")
    for suffix in ("/", "/app.js", "/styles.css", "/js/locales/en.js", "/js/views/catalogue.js"):
        assert encodings.get(f"{live_stack.frontend}{suffix}") == "gzip", suffix
