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


@pytest.fixture(scope="module")
def built_site(live_stack, tmp_path_factory):
    """The site as deployed (python -m scripts.build_frontend), served by the local server against the stack's API."""
    import threading

    from devstack.http import make_frontend_server
    from scripts.build_frontend import build

    out = tmp_path_factory.mktemp("built") / "frontend"
    build(out)
    server = make_frontend_server(out, "127.0.0.1", 0, live_stack.api_port, media_origins=(live_stack.moto,))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


ROUTES = ["#/signin", "#/signup", "#/cart", "#/orders", "#/orders/nope", "#/payment-return", "#/account/cards",
          "#/inbox", "#/settings", "#/messages", "#/survey?token=nope", "#/vendor", "#/admin", "#/vendors/nope"]


def test_every_page_of_the_built_site_loads_its_minified_hashed_code(page, built_site):
    """Every module of the built site links and runs (a bad rewrite or minification would fail an import)."""
    failed = []
    page.on("response", lambda response: failed.append(f"{response.status} {response.url}")
            if response.status >= 400 and response.url.startswith(built_site) else None)
    page.goto(f"{built_site}/#/")
    card = page.get_by_test_id("product-card").first
    expect(card).to_be_visible()
    card.get_by_role("link").click()
    expect(page.get_by_test_id("product-card")).to_have_count(0)
    expect(page.locator("h1")).to_be_visible()
    for route in ROUTES:
        page.goto(f"{built_site}/{route}")
        expect(page.locator("main h1, main [data-testid='not-found'], main .notice").first).to_be_visible()
        expect(page.get_by_test_id("page-load-failed")).to_have_count(0)
    page.goto(f"{built_site}/#/")
    page.get_by_test_id("language-fr").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_test_id("product-card").first).to_be_visible()
    loaded = scripts_loaded(page)
    unhashed = [name for name in loaded if name.startswith(built_site) and not re.search(r"\.[0-9a-f]{10}\.js$", name)]
    assert unhashed == [f"{built_site}/config.js"]  # the API's address, revalidated on every visit
    assert failed == []
