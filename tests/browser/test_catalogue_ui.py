"""The shopper frontend in Debian's Chromium against the real local stack.

What the API answers is the ground truth: each test reads it over HTTP, then checks that a
shopper sees the same thing (titles, totals, the best offer) in the page. Playwright's
`expect` waits for the page to settle, so nothing here sleeps.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.parse
import urllib.request

import pytest
from playwright.sync_api import expect

from tests.fixtures.artifacts import screenshot_path

pytestmark = pytest.mark.browser

PAGE_SIZE = 24  # what the catalogue page asks for (frontend/js/views/catalogue.js)
CATALOGUE_SHOT = screenshot_path("catalogue.png")
PRODUCT_SHOT = screenshot_path("product.png")


# The `browser` and `page` fixtures live in tests/browser/conftest.py.


# --- the API, read directly ---------------------------------------------------------------

def api_call(base: str, method: str, path: str, query: dict | None = None, body: dict | None = None):
    url = base.rstrip("/") + path + ("?" + urllib.parse.urlencode(query) if query else "")
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read() or b"null")


def api_get(base: str, path: str, **query):
    status, body = api_call(base, "GET", path, {k: v for k, v in query.items() if v is not None})
    assert status == 200, (path, query, body)
    return body


# The catalogue page always asks for a sort (relevance unless the shopper picks another).
PAGE_SORT = "relevance"


def first_page(base: str, **filters) -> list[dict]:
    return api_get(base, "/catalog/products", limit=PAGE_SIZE, sort=PAGE_SORT, **filters)["items"]


def every_product(base: str, **filters) -> list[dict]:
    items, cursor = [], None
    while True:
        page = api_get(base, "/catalog/products", limit=50, cursor=cursor, sort=PAGE_SORT, **filters)
        items += page["items"]
        cursor = page["next_cursor"]
        if not cursor:
            return items


def product_details(base: str) -> list[dict]:
    return [api_get(base, f"/catalog/products/{urllib.parse.quote(p['product_id'])}") for p in every_product(base)]


def shopper_credentials(credentials: dict) -> tuple[str, str]:
    """The seeded shopper (`devstack.seed.seed_demo()` answers `{"shopper": {"email", "password", ...}, ...}`)."""
    shopper = credentials.get("shopper") or {}
    assert shopper.get("email") and shopper.get("password"), f"the seed returned no shopper: {sorted(credentials)}"
    return shopper["email"], shopper["password"]


def stored_name(live_stack) -> str:
    """The seeded shopper's name as the API tells it (GET /me)."""
    email, password = shopper_credentials(live_stack.credentials)
    _, session, _ = live_stack.call("POST", "/auth/signin", body={"email": email, "password": password})
    _, me, _ = live_stack.call("GET", "/me", token=session["access_token"])
    assert me["name"], me
    return me["name"]


# --- page helpers --------------------------------------------------------------------------

def open_catalogue(page, live_stack, hash_: str = "#/"):
    page.goto(f"{live_stack.frontend.rstrip('/')}/{hash_}")
    expect(page.get_by_test_id("result-status")).to_have_text(re.compile(r"Showing|No products"))


def load_every_image(page) -> list[str]:
    """Load the lazy images below the fold too; return the ones that failed (broken or fallen back)."""
    page.evaluate("document.querySelectorAll('img[loading=lazy]').forEach((img) => { img.loading = 'eager'; })")
    page.wait_for_function("() => [...document.images].every((img) => img.complete)")  # a function: an expression would be eval()ed, which the CSP refuses
    return page.evaluate("""[...document.images]
        .filter((img) => img.naturalWidth === 0 || (img.closest('.card-media') && img.src.endsWith('/img/generic.svg')))
        .map((img) => img.src)""")


def card_titles(page) -> list[str]:
    return [t.strip() for t in page.get_by_test_id("card-title").all_inner_texts()]


# --- the catalogue ---------------------------------------------------------------------------

def test_catalogue_shows_seeded_products_with_their_best_total(page, live_stack):
    expected = first_page(live_stack.api)
    assert expected, "the seed should list products"

    open_catalogue(page, live_stack)

    cards = page.get_by_test_id("product-card")
    expect(cards).to_have_count(len(expected))
    assert card_titles(page) == [p["title"] for p in expected]
    for card, product in zip(cards.all(), expected, strict=True):
        price = card.get_by_test_id("card-price")
        if product["best_offer"]:
            assert price.get_attribute("data-amount") == str(product["best_offer"]["total"]["amount"])
            assert "€" in price.inner_text()
        else:
            expect(card.get_by_test_id("card-no-offer")).to_be_visible()
    expect(page.get_by_text("All prices include VAT").first).to_be_visible()
    broken = load_every_image(page)
    assert not broken, f"product images that do not load from the frontend: {broken}"
    page.screenshot(path=CATALOGUE_SHOT, full_page=True)


def test_load_more_appends_the_next_page_from_the_cursor(page, live_stack):
    page_size = 3
    everything = every_product(live_stack.api)
    assert len(everything) > page_size, "the seed should list more than a few products"
    first = api_get(live_stack.api, "/catalog/products", limit=page_size, sort=PAGE_SORT)
    second = api_get(live_stack.api, "/catalog/products", limit=page_size, sort=PAGE_SORT, cursor=first["next_cursor"])
    # The runner's /config.js assigns window.HALLES_CONFIG; keep its apiBase, shrink the page.
    page.add_init_script(f"""
        Object.defineProperty(window, "HALLES_CONFIG", {{
          configurable: true,
          get() {{ return this.__hallesConfig; }},
          set(value) {{ this.__hallesConfig = {{ ...value, pageSize: {page_size} }}; }},
        }});
    """)

    open_catalogue(page, live_stack)
    expect(page.get_by_test_id("product-card")).to_have_count(page_size)
    page.get_by_test_id("load-more").click()

    expected = first["items"] + second["items"]
    expect(page.get_by_test_id("product-card")).to_have_count(len(expected))
    assert card_titles(page) == [p["title"] for p in expected]
    if second["next_cursor"]:
        expect(page.get_by_test_id("load-more")).to_be_visible()
    else:
        expect(page.get_by_test_id("load-more")).to_be_hidden()


def test_search_narrows_the_results(page, live_stack):
    everything = every_product(live_stack.api)
    word, expected = narrowing_word(live_stack.api, everything)

    open_catalogue(page, live_stack)
    page.get_by_test_id("search-input").fill(word)
    page.get_by_test_id("search-input").press("Enter")

    expect(page.get_by_test_id("product-card")).to_have_count(len(expected))
    assert card_titles(page) == [p["title"] for p in expected]
    assert f"q={word}" in page.url  # the search is part of the address: back and reload keep it


def narrowing_word(api: str, everything: list[dict]) -> tuple[str, list[dict]]:
    """A word from a seeded title that the API answers with some, but not all, products."""
    for product in everything:
        for word in re.findall(r"[A-Za-z]{4,}", product["title"]):
            found = first_page(api, q=word.lower())
            if 0 < len(found) < len(everything):
                return word.lower(), found
    pytest.fail("no seeded title word narrows the catalogue; the seed should span several products")


def test_category_filter_shows_only_that_category(page, live_stack):
    everything = every_product(live_stack.api)
    used = {p["category"] for p in everything}
    categories = [c for c in api_get(live_stack.api, "/catalog/categories")["items"] if c["slug"] in used]
    assert len(categories) >= 2, "the seed should use at least two categories"
    category = categories[0]
    expected = first_page(live_stack.api, category=category["slug"])

    open_catalogue(page, live_stack)
    page.get_by_test_id("category-filter").select_option(label=category["name"])

    cards = page.get_by_test_id("product-card")
    expect(cards).to_have_count(len(expected))
    assert card_titles(page) == [p["title"] for p in expected]
    assert {c.get_attribute("data-category") for c in cards.all()} == {category["slug"]}
    assert f"category={category['slug']}" in page.url


def test_price_typed_in_euros_filters_by_total_in_cents(page, live_stack):
    priced = sorted({p["best_offer"]["total"]["amount"] for p in every_product(live_stack.api, in_stock="true")})
    assert len(priced) >= 2, "the seed should have products at different prices"
    ceiling = priced[len(priced) // 2]  # some products above, some at or below
    expected = first_page(live_stack.api, max_price=ceiling)

    open_catalogue(page, live_stack)
    page.get_by_test_id("max-price").fill(f"{ceiling // 100},{ceiling % 100:02d}")  # a comma works too
    page.get_by_test_id("apply-filters").click()

    expect(page.get_by_test_id("product-card")).to_have_count(len(expected))
    assert card_titles(page) == [p["title"] for p in expected]
    assert f"max_price={ceiling}" in page.url


def test_a_malformed_price_is_explained_next_to_its_field(page, live_stack):
    open_catalogue(page, live_stack)
    page.get_by_test_id("min-price").fill("ten euros")
    page.get_by_test_id("apply-filters").click()

    expect(page.get_by_test_id("field-error-min_price")).to_contain_text("Enter an amount")
    expect(page.get_by_test_id("min-price")).to_have_attribute("aria-invalid", "true")


def test_money_is_formatted_and_parsed_in_minor_units(page, live_stack):
    """The page's own money module, run in Chromium: no float ever rounds a cent away."""
    open_catalogue(page, live_stack)
    results = page.evaluate("""async () => {
        const m = await import(new URL("js/money.js", location.href).href);
        return {
            cents: m.formatMoney({amount: 1299, currency: "EUR"}),
            small: m.formatMoney({amount: 5, currency: "EUR"}),
            large: m.formatMoney({amount: 123456789, currency: "EUR"}),
            comma: m.parseAmount("12,5").value,
            symbol: m.parseAmount("€ 0.07").value,
            empty: m.parseAmount("").value,
            tooPrecise: Boolean(m.parseAmount("1.234").error),
            negative: Boolean(m.parseAmount("-3").error),
            back: m.amountInputValue(1250),
        };
    }""")
    assert results == {
        "cents": "€12.99", "small": "€0.05", "large": "€1,234,567.89",
        "comma": 1250, "symbol": 7, "empty": None, "tooPrecise": True, "negative": True, "back": "12.50",
    }


# --- the product page ------------------------------------------------------------------------

def test_product_page_lists_every_offer_by_total_with_the_best_marked(page, live_stack):
    detail = max(product_details(live_stack.api), key=lambda d: len(d["offers"]))
    assert len(detail["offers"]) >= 2, "the seed should have a product offered by several vendors"
    offers = detail["offers"]  # the API's ranking: total, then delivery speed

    page.goto(f"{live_stack.frontend.rstrip('/')}/#/product/{detail['product']['product_id']}")
    expect(page.get_by_test_id("product-title")).to_have_text(detail["product"]["title"])
    rows = page.get_by_test_id("offer-row")
    expect(rows).to_have_count(len(offers))

    totals = [int(row.get_attribute("data-total")) for row in rows.all()]
    assert totals == sorted(totals) == [o["total"]["amount"] for o in offers]
    assert [row.get_attribute("data-offer-id") for row in rows.all()] == [o["offer_id"] for o in offers]
    assert [v.strip() for v in page.get_by_test_id("offer-vendor").all_inner_texts()] == [o["vendor_name"] for o in offers]
    best_rows = page.locator('[data-testid="offer-row"][data-best="true"]')
    expect(best_rows).to_have_count(1)
    assert best_rows.get_attribute("data-offer-id") == detail["best_offer_id"]
    expect(best_rows.get_by_test_id("best-offer-badge")).to_have_text("Best offer")
    for row in rows.all():  # every offer shows what a shopper compares
        for part in ("offer-price", "offer-shipping", "offer-total", "offer-delivery", "offer-condition", "offer-stock"):
            expect(row.get_by_test_id(part)).not_to_be_empty()
        assert "€" in row.get_by_test_id("offer-total").inner_text()
    if detail["product"].get("description"):
        expect(page.get_by_test_id("product-description")).to_have_text(detail["product"]["description"])


def test_best_offer_is_the_cheapest_total_not_the_cheapest_price(page, live_stack):
    detail, cheapest_price = next(
        ((d, cp) for d in product_details(live_stack.api) if (cp := cheaper_price_but_dearer_total(d))), (None, None)
    )
    assert detail, "the seed should have a product whose lowest price has a higher total (shipping)"
    best = next(o for o in detail["offers"] if o["offer_id"] == detail["best_offer_id"])

    page.goto(f"{live_stack.frontend.rstrip('/')}/#/product/{detail['product']['product_id']}")
    best_row = page.locator('[data-testid="offer-row"][data-best="true"]')
    expect(best_row).to_have_attribute("data-offer-id", best["offer_id"])
    expect(best_row.get_by_test_id("offer-vendor")).to_have_text(best["vendor_name"])
    cheap_row = page.locator(f'[data-testid="offer-row"][data-offer-id="{cheapest_price["offer_id"]}"]')
    expect(cheap_row).to_have_attribute("data-best", "false")
    expect(cheap_row.get_by_test_id("best-offer-badge")).to_have_count(0)
    expect(page.get_by_test_id("best-offer-summary")).to_have_attribute("data-offer-id", best["offer_id"])
    assert not load_every_image(page)
    page.screenshot(path=PRODUCT_SHOT, full_page=True)


def cheaper_price_but_dearer_total(detail: dict) -> dict | None:
    """The in-stock offer with the lowest price, when it is not the best (lowest total) offer."""
    in_stock = [o for o in detail["offers"] if o["in_stock"]]
    if len(in_stock) < 2 or not detail["best_offer_id"]:
        return None
    cheapest_price = min(in_stock, key=lambda o: o["price"]["amount"])
    best = next(o for o in in_stock if o["offer_id"] == detail["best_offer_id"])
    if cheapest_price["price"]["amount"] < best["price"]["amount"] and cheapest_price["total"]["amount"] > best["total"]["amount"]:
        return cheapest_price
    return None


# --- accounts ----------------------------------------------------------------------------------

def test_signing_in_shows_the_shoppers_name_until_sign_out(page, live_stack):
    email, password = shopper_credentials(live_stack.credentials)
    page.goto(f"{live_stack.frontend.rstrip('/')}/#/signin")
    page.get_by_test_id("signin-email").fill(email)
    page.get_by_test_id("signin-password").fill(password)
    page.get_by_test_id("auth-submit").click()

    # The name given at sign-up, never the raw email (kept as the tooltip).
    expect(page.get_by_test_id("account-name")).to_have_text(stored_name(live_stack))
    expect(page.get_by_test_id("account-name")).to_have_attribute("title", email.lower())
    expect(page.get_by_test_id("account-role")).to_contain_text("shopper")
    expect(page.get_by_test_id("result-status")).to_be_visible()  # back on the catalogue
    stored = page.evaluate("JSON.parse(sessionStorage.getItem('halles.session'))")
    assert stored["access_token"] and stored["user"]["email"] == email.lower()

    page.reload()  # the session survives a reload of the tab
    expect(page.get_by_test_id("account-name")).to_have_text(stored_name(live_stack))
    page.get_by_test_id("signout").click()
    expect(page.get_by_test_id("signin-link")).to_be_visible()
    assert page.evaluate("sessionStorage.getItem('halles.session')") is None


def test_a_wrong_password_shows_the_apis_message(page, live_stack):
    email, password = shopper_credentials(live_stack.credentials)
    status, body = api_call(live_stack.api, "POST", "/auth/signin", body={"email": email, "password": password + "-wrong"})
    assert status == 401, body

    page.goto(f"{live_stack.frontend.rstrip('/')}/#/signin")
    page.get_by_test_id("signin-email").fill(email)
    page.get_by_test_id("signin-password").fill(password + "-wrong")
    page.get_by_test_id("auth-submit").click()

    expect(page.get_by_test_id("form-error")).to_contain_text(body["error"]["message"])
    expect(page.get_by_test_id("signin-link")).to_be_visible()  # still signed out
    assert page.evaluate("sessionStorage.getItem('halles.session')") is None


def test_sign_up_errors_appear_next_to_the_fields_the_api_names(page, live_stack):
    page.goto(f"{live_stack.frontend.rstrip('/')}/#/signup")
    page.get_by_test_id("signup-name").fill("Ada")
    page.get_by_test_id("signup-email").fill("not-an-email")
    page.get_by_test_id("signup-password").fill("short")
    page.get_by_test_id("auth-submit").click()

    expect(page.get_by_test_id("field-error-email")).to_contain_text("email")
    expect(page.get_by_test_id("field-error-password")).not_to_be_empty()
    expect(page.get_by_test_id("field-error-name")).to_be_empty()
    expect(page.get_by_test_id("signup-email")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("form-error")).not_to_be_empty()
