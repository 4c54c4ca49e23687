"""Search -> product -> add to cart as a shopper on a phone (390 x 844) and a desktop (1280 x 800), in
English and in French, and the same journey with the keyboard only. The product page's buy box (best
offer, condition, delivery estimate, quantity, "Add to cart") is on screen without scrolling; its vendor
name leads to the vendor's public page; on a phone the navigation is behind a Menu button that says
whether it is open. Screenshots: build/test-artifacts/screenshots/journey-<width>-<lang>.png.
"""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility_ui import signed_in_session
from tests.browser.test_checkout_ui import PASSWORD, api, fresh_email, frontend
from tests.fixtures.artifacts import screenshot_path

pytestmark = pytest.mark.browser

QUERY = {"en-IE": ("bottles", "Insulated Steel Bottle"), "fr-FR": ("bouteille", "Bouteille isotherme")}
ADD = {"en-IE": "Add to cart", "fr-FR": "Ajouter au panier"}
SHOT = screenshot_path("journey-{width}-{lang}.png")


@pytest.fixture
def session(live_stack) -> dict:
    """A shopper of this test only (an empty cart), signed in through the API."""
    email = fresh_email("journey")
    api(live_stack, "POST", "/auth/signup", expected=201,
        body={"email": email, "password": PASSWORD, "name": "Journey Shopper", "role": "shopper"})
    return signed_in_session(live_stack, email, PASSWORD)


def shopper_tab(browser, session: dict, locale: str, width: int, height: int):
    expect.set_options(timeout=10_000)  # as tests/browser/conftest.py's `page`
    context = browser.new_context(locale=locale, viewport={"width": width, "height": height})
    session = json.dumps(session)
    context.add_init_script(
        f"if (!sessionStorage.getItem('halles.session')) sessionStorage.setItem('halles.session', {json.dumps(session)});")
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    return context, tab, errors


def in_viewport(tab, locator) -> bool:
    box = locator.bounding_box()
    size = tab.viewport_size
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= size["height"] and box["x"] + box["width"] <= size["width"]


def cart_lines(live_stack, session: dict) -> dict[str, int]:
    token = session["access_token"]
    status, cart, _ = live_stack.call("GET", "/cart", token=token)
    assert status == 200, cart
    return {line["offer_id"]: line["quantity"] for line in cart["lines"]}


@pytest.mark.parametrize("locale", ["en-IE", "fr-FR"])
@pytest.mark.parametrize(("width", "height"), [(390, 844), (1280, 800)])
def test_search_then_buy_from_the_buy_box_above_the_fold(browser, live_stack, session, locale, width, height):
    query, title = QUERY[locale]
    context, tab, errors = shopper_tab(browser, session, locale, width, height)
    try:
        tab.goto(frontend(live_stack, "#/"))
        if width < 640:
            # The navigation is one button away on a phone, and says whether it is open.
            toggle = tab.get_by_test_id("menu-toggle")
            expect(toggle).to_be_visible()
            expect(tab.locator(".site-nav a[data-nav=catalogue]")).to_be_hidden()
            toggle.click()
            expect(toggle).to_have_attribute("aria-expanded", "true")
            expect(tab.locator(".site-nav a[data-nav=catalogue]")).to_be_visible()
            toggle.press("Escape")
            expect(toggle).to_have_attribute("aria-expanded", "false")
        else:
            expect(tab.get_by_test_id("menu-toggle")).to_be_hidden()
            expect(tab.locator(".site-nav a[data-nav=catalogue]")).to_be_visible()
        # Nothing wider than the screen: no sideways scrolling.
        assert tab.evaluate("() => document.documentElement.scrollWidth") <= width

        tab.get_by_test_id("search-input").fill(query)
        tab.get_by_test_id("search-input").press("Enter")
        card = tab.get_by_test_id("product-card").filter(has_text=title).first
        expect(card).to_be_visible()
        card.locator("a").click()

        expect(tab.get_by_test_id("product-title")).to_contain_text(title)
        box = tab.get_by_test_id("best-offer-summary")
        add = box.get_by_test_id("add-to-cart")
        expect(add).to_have_text(ADD[locale])
        assert tab.evaluate("() => window.scrollY") == 0
        assert in_viewport(tab, add), f"'Add to cart' is below the fold at {width}x{height}"
        for part in ("buy-box-condition", "buy-box-delivery", "add-quantity", "buy-box-vendor"):
            expect(box.get_by_test_id(part)).to_be_visible()
        offer_id = box.get_attribute("data-offer-id")
        assert cart_lines(live_stack, session) == {}

        box.get_by_test_id("add-quantity").select_option("2")
        add.click()
        expect(box.get_by_test_id("add-status")).to_contain_text(re.compile(r"\S"))
        expect(box.get_by_test_id("add-status-cart")).to_be_visible()
        assert cart_lines(live_stack, session) == {offer_id: 2}
        expect(tab.get_by_test_id("cart-count")).to_be_visible()
        tab.screenshot(path=SHOT.format(width=width, lang=locale[:2]))

        # The vendor's name leads to its public page, which lists what it sells.
        vendor = box.get_by_test_id("buy-box-vendor")
        name = vendor.inner_text()
        vendor.click()
        expect(tab.get_by_test_id("vendor-name")).to_have_text(name)
        expect(tab.get_by_test_id("vendor-name")).to_be_focused()
        expect(tab.get_by_test_id("vendor-return-window")).to_contain_text(re.compile(r"\d+"))
        expect(tab.get_by_test_id("vendor-offers").get_by_test_id("product-card").first).to_be_visible()
        assert not errors, f"the page raised: {errors}"
    finally:
        context.close()


def tab_to(tab, predicate_js: str, limit: int = 60) -> None:
    """Press Tab until the focused element matches `predicate_js` (a function of the element)."""
    for _ in range(limit):
        tab.keyboard.press("Tab")
        if tab.evaluate(f"() => ({predicate_js})(document.activeElement)"):
            return
    raise AssertionError(f"Tab never reached {predicate_js}")


def test_keyboard_only_from_search_to_a_paid_order(browser, live_stack, session):
    from tests.browser.test_checkout_ui import ADDRESS, PAID_WITHIN_MS

    context, tab, errors = shopper_tab(browser, session, "en-IE", 1280, 800)
    try:
        tab.goto(frontend(live_stack, "#/"))
        expect(tab.locator("main h1")).to_be_focused()
        tab_to(tab, "(el) => el.dataset.testid === 'search-input'")
        tab.keyboard.type("bottles")
        tab.keyboard.press("Enter")
        expect(tab.get_by_test_id("product-card").filter(has_text="Insulated Steel Bottle").first).to_be_visible()
        tab_to(tab, "(el) => el.classList.contains('card-link') && el.textContent.includes('Insulated Steel Bottle')")
        tab.keyboard.press("Enter")

        expect(tab.get_by_test_id("product-title")).to_be_focused()
        tab_to(tab, "(el) => el.dataset.testid === 'add-to-cart' && !!el.closest('[data-testid=best-offer-summary]')")
        tab.keyboard.press("Enter")
        status = tab.get_by_test_id("best-offer-summary").get_by_test_id("add-status")
        expect(status).to_contain_text("View cart")
        tab_to(tab, "(el) => el.dataset.testid === 'add-status-cart'")
        tab.keyboard.press("Enter")

        expect(tab).to_have_url(re.compile(r"#/cart$"))
        expect(tab.locator("main h1")).to_be_focused()
        expect(tab.locator("main")).to_contain_text("Insulated Steel Bottle")
        expect(tab.get_by_test_id("quote-total")).to_be_visible()

        # The address, typed field after field, then Pay: all with the keyboard.
        for name in ("line1", "postal_code", "city"):
            tab_to(tab, f"(el) => el.dataset.testid === 'address-{name}'")
            tab.keyboard.type(ADDRESS[name])
        tab_to(tab, "(el) => el.dataset.testid === 'pay-button' && !el.disabled")
        tab.keyboard.press("Enter")

        # The payment provider's card page, with the keyboard too.
        tab.wait_for_url(re.compile(r"/pay/pi_[^/?]+\?"))
        for field, value in (("card-number", "4242 4242 4242 4242"), ("card-expiry", "12/34"), ("card-cvc", "123")):
            tab_to(tab, f"(el) => el.id === '{field}'")
            tab.keyboard.type(value)
        tab_to(tab, "(el) => el.id === 'pay-button'")
        tab.keyboard.press("Enter")
        expect(tab.get_by_test_id("order")).to_be_visible()
        expect(tab.get_by_test_id("order-status")).to_have_text("Paid", timeout=PAID_WITHIN_MS)
        assert not errors, f"the page raised: {errors}"
    finally:
        context.close()


def test_a_french_shopper_buys_from_two_vendors_on_a_phone(browser, live_stack, session):
    from tests.browser.test_checkout_ui import CARD_OK, PAID_WITHIN_MS, click_pay, pay_on_provider_page, product_details

    context, tab, errors = shopper_tab(browser, session, "fr-FR", 390, 844)
    try:
        tab.goto(frontend(live_stack, "#/"))
        tab.get_by_test_id("search-input").fill("bouteille")
        tab.get_by_test_id("search-input").press("Enter")
        tab.get_by_test_id("product-card").filter(has_text="Bouteille isotherme").first.locator("a").click()
        box = tab.get_by_test_id("best-offer-summary")
        box.get_by_test_id("add-to-cart").click()
        expect(box.get_by_test_id("add-status-cart")).to_be_visible()
        first_vendor = box.get_by_test_id("buy-box-vendor").inner_text()

        # A second vendor's best offer, from its own product page's buy box.
        other = next(d for d in product_details(live_stack)
                     for o in d["offers"] if o["is_best"] and o["in_stock"] and o["vendor_name"] != first_vendor)
        tab.goto(frontend(live_stack, f"#/product/{other['product']['product_id']}"))
        box = tab.get_by_test_id("best-offer-summary")
        assert in_viewport(tab, box.get_by_test_id("add-to-cart"))
        box.get_by_test_id("add-to-cart").click()
        expect(box.get_by_test_id("add-status-cart")).to_be_visible()

        tab.get_by_test_id("cart-link").click()
        expect(tab.locator("main h1")).to_contain_text("Votre panier")
        expect(tab.get_by_test_id("cart-vendor")).to_have_count(2)
        jump = tab.get_by_test_id("jump-to-pay")
        assert in_viewport(tab, jump), "the jump to delivery and payment is not on the first screen"
        jump.click()
        expect(tab.locator("#delivery-title")).to_be_focused()
        click_pay(tab)
        pay_on_provider_page(tab, CARD_OK)
        order_id = tab.get_by_test_id("order").get_attribute("data-order-id")
        live_stack.wait_for(lambda: live_stack.call("GET", f"/orders/{order_id}", token=session["access_token"])[1]
                            ["status"] == "paid", "the order is paid", PAID_WITHIN_MS / 1000)
        expect(tab.get_by_test_id("order-status")).to_have_text("Payée", timeout=PAID_WITHIN_MS)
        tab.screenshot(path=SHOT.format(width=390, lang="fr-paid"), full_page=True)
        assert not errors, f"the page raised: {errors}"
    finally:
        context.close()
