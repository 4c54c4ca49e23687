"""axe-core (tests/fixtures/axe.py) on every page of the frontend, each visited as the user who sees it,
in English and in French; and the page heading takes focus after each navigation and after sign-in.

No rule is disabled: a violation is fixed in the frontend. Each page is checked once its content has
arrived (its h1 shown and the network quiet), so the page checked is the one people read.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse

import pytest
from playwright.sync_api import expect

from tests.browser.test_checkout_ui import PASSWORD, Shopper, api, fresh_email, frontend, sign_in_api
from tests.browser.test_surveys_ui import delivered_to_a_consenting_shopper, fire_surveys_until_mailed
from tests.browser.test_vendor_orders_ui import seeded_vendor
from tests.fixtures.axe import assert_no_axe_violations

pytestmark = pytest.mark.browser

VENDOR_SECTIONS = ["onboarding", "offers", "imports", "promotions", "orders", "returns", "claims",
                   "return-analytics", "satisfaction", "money", "api-keys", "messages"]
ADMIN_SECTIONS = ["vendors", "commissions", "reconciliation", "refunds", "returns", "cases", "analytics",
                  "satisfaction", "messages"]

# (who, route): who is None (a visitor), "shopper" (the demo shopper: its delivered orders),
# "new-shopper" (a shopper with one item in the cart), "vendor", "admin". Routes may name
# {product}, {vendor_id}, {order}, {survey} (filled in from the live stack; {survey} is the link of a
# real survey mail, for a delivered order of a shopper who agreed to surveys).
PAGES = [
    (None, "#/"),
    (None, "#/?q=bottle"),
    (None, "#/product/{product}"),
    (None, "#/vendors/{vendor_id}"),
    (None, "#/signin"),
    (None, "#/signup"),
    (None, "{survey}"),
    (None, "#/survey?token=not-a-real-token"),
    (None, "#/no-such-page"),
    ("new-shopper", "#/cart"),
    ("new-shopper", "#/product/{product}"),
    ("shopper", "#/orders"),
    ("shopper", "#/orders/{order}"),
    ("shopper", "#/account/cards"),
    ("shopper", "#/inbox"),
    ("shopper", "#/settings"),
    ("shopper", "#/messages"),
    *[("vendor", f"#/vendor/{section}") for section in VENDOR_SECTIONS],
    *[("admin", f"#/admin/{section}") for section in ADMIN_SECTIONS],
]

# What shows that a page drew its content (not an error): checked before axe runs.
CONTENT = {"{survey}": "survey-submit", "#/product/{product}": "product-title", "#/vendors/{vendor_id}": "vendor-name",
           "#/cart": "pay-button", "#/orders/{order}": "order-status", "#/?q=bottle": "product-card"}


def signed_in_session(live_stack, email: str, password: str) -> dict:
    answer = api(live_stack, "POST", "/auth/signin", body={"email": email, "password": password})
    return {**answer, "token_type": "Bearer", "expires_at": int(time.time() * 1000) + 50 * 60 * 1000}


@pytest.fixture(scope="module")
def people(live_stack) -> dict:
    """Sessions by role, made once per module through POST /auth/signin, and the ids routes need."""
    creds = live_stack.credentials
    newcomer = Shopper(fresh_email("axe"), PASSWORD)
    api(live_stack, "POST", "/auth/signup", expected=201,
        body={"email": newcomer.email, "password": newcomer.password, "name": "Axe Shopper", "role": "shopper"})
    newcomer.token = sign_in_api(live_stack, newcomer.email, newcomer.password)
    products = api(live_stack, "GET", "/catalog/products?" + urllib.parse.urlencode({"limit": 50, "in_stock": "true"}))
    product = next(p for p in products["items"] if p["offer_count"] > 1)
    best = product["best_offer"]
    api(live_stack, "PUT", f"/cart/lines/{best['offer_id']}", token=newcomer.token, body={"quantity": 1})
    shopper = signed_in_session(live_stack, creds["shopper"]["email"], creds["shopper"]["password"])
    orders = api(live_stack, "GET", "/orders", token=shopper["access_token"])["items"]
    surveyed, _ = delivered_to_a_consenting_shopper(live_stack, seeded_vendor(live_stack))
    fire_surveys_until_mailed(live_stack, surveyed.email)
    outbox = live_stack.call("GET", "/_devstack/outbox")[1]["messages"]
    mail = next(str(m) for m in outbox if surveyed.email in str(m.get("destinations")) and "#/survey?token=" in str(m))
    survey = re.search(r"#/survey\?token=[A-Za-z0-9._~%=-]+", mail).group(0)
    return {
        "sessions": {
            "shopper": shopper,
            "new-shopper": signed_in_session(live_stack, newcomer.email, newcomer.password),
            "vendor": signed_in_session(live_stack, creds["vendors"][0]["email"], creds["vendors"][0]["password"]),
            "admin": signed_in_session(live_stack, creds["admin"]["email"], creds["admin"]["password"]),
        },
        "ids": {"product": product["product_id"], "vendor_id": best["vendor_id"], "order": orders[0]["order_id"],
                "survey": survey},
    }


def open_page(browser, live_stack, people, who, route, locale="en-IE", width=1280, height=900):
    expect.set_options(timeout=10_000)  # as tests/browser/conftest.py's `page`
    context = browser.new_context(locale=locale, viewport={"width": width, "height": height})
    if who:
        session = json.dumps(people["sessions"][who])
        context.add_init_script(
            f"if (!sessionStorage.getItem('halles.session')) sessionStorage.setItem('halles.session', {json.dumps(session)});")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    tab.goto(frontend(live_stack, route.format(**people["ids"])))
    expect(tab.locator("main h1").first).to_be_visible()
    tab.wait_for_load_state("networkidle")
    expect(tab.locator("[aria-busy=true]")).to_have_count(0)
    return context, tab, errors


@pytest.mark.parametrize("language", ["en-IE", "fr-FR"])
@pytest.mark.parametrize(("who", "route"), PAGES, ids=[f"{w or 'visitor'}:{r}" for w, r in PAGES])
def test_axe_finds_no_violation_on_the_page(browser, live_stack, people, who, route, language):
    context, tab, errors = open_page(browser, live_stack, people, who, route, locale=language)
    try:
        if route in CONTENT:
            expect(tab.get_by_test_id(CONTENT[route]).first).to_be_visible()
        assert_no_axe_violations(tab, f"{route} as {who or 'a visitor'} ({language})")
        assert not errors, f"the page raised: {errors}"
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_the_heading_takes_focus_after_navigation_and_after_sign_in(browser, live_stack, people, width):
    context, tab, errors = open_page(browser, live_stack, people, None, "#/", width=width, height=844)
    try:
        expect(tab.locator("main h1")).to_be_focused()
        tab.locator('[data-testid="product-card"] a').first.click()
        expect(tab.get_by_test_id("product-title")).to_be_focused()

        tab.goto(frontend(live_stack, "#/signin?next=%23%2Forders"))
        creds = live_stack.credentials["shopper"]
        tab.get_by_test_id("signin-email").fill(creds["email"])
        tab.get_by_test_id("signin-password").fill(creds["password"])
        tab.get_by_test_id("signin-password").press("Enter")
        expect(tab).to_have_url(frontend(live_stack, "#/orders"))
        expect(tab.locator("main h1")).to_be_focused()
        assert not errors, f"the page raised: {errors}"
    finally:
        context.close()


PHONE_PAGES = [(None, "#/"), (None, "#/product/{product}"), (None, "#/vendors/{vendor_id}"), ("new-shopper", "#/cart"),
               ("shopper", "#/orders/{order}")]


@pytest.mark.parametrize(("who", "route"), PHONE_PAGES, ids=[f"{w or 'visitor'}:{r}" for w, r in PHONE_PAGES])
def test_axe_finds_no_violation_on_a_phone_with_the_menu_open(browser, live_stack, people, who, route):
    context, tab, errors = open_page(browser, live_stack, people, who, route, locale="fr-FR", width=360, height=740)
    try:
        assert tab.evaluate("() => document.documentElement.scrollWidth") <= 360, "the page scrolls sideways at 360 px"
        tab.get_by_test_id("menu-toggle").click()
        expect(tab.get_by_test_id("site-menu")).to_be_visible()
        assert_no_axe_violations(tab, f"{route} at 360 px, menu open")
        assert not errors, f"the page raised: {errors}"
    finally:
        context.close()
