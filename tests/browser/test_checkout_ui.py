"""Cart, checkout, payment and orders in Debian's Chromium against the real local stack.

A shopper fills a cart from two vendors on the product pages, sees the API's quote (shipping
per vendor, service fee, VAT, total) on the cart page, pays on the local payment provider's
page and lands on the order page, which follows the order until the signed webhook (provider
-> /webhooks/stripe -> SQS -> consumer) has made it `paid`; a declined card leaves it
`pending_payment`, payable again, its stock still held. The API is the ground truth for every amount.

Each test works for its own fresh shopper, so carts, orders and saved cards never mix. Nothing
sleeps: Playwright's `expect` and `live_stack.wait_for` wait for conditions with deadlines.
"""

from __future__ import annotations

import re
import urllib.parse
import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import expect

from tests.fixtures.artifacts import screenshot_path

pytestmark = pytest.mark.browser

CARD_OK = "4242 4242 4242 4242"
CARD_DECLINED = "4000 0000 0000 0002"
PAID_WITHIN_MS = 30_000  # the order page follows a pending order for up to 30 s
CART_SHOT = screenshot_path("cart.png")
CHANGED_CART_SHOT = screenshot_path("cart-changed.png")
ORDER_SHOT = screenshot_path("order.png")
FAILED_ORDER_SHOT = screenshot_path("order-failed.png")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
PASSWORD = "Checkout-test-1"


# --- accounts --------------------------------------------------------------------------------

@dataclass
class Shopper:
    email: str
    password: str
    token: str = ""


def api(live_stack, method: str, path: str, token: str | None = None, body=None, expected: int = 200):
    status, payload, _ = live_stack.call(method, path, body=body, token=token)
    assert status == expected, (method, path, status, payload)
    return payload


def sign_in_api(live_stack, email: str, password: str) -> str:
    return api(live_stack, "POST", "/auth/signin", body={"email": email, "password": password})["access_token"]


def fresh_email(prefix: str = "shopper") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


@pytest.fixture
def shopper(live_stack) -> Shopper:
    """A shopper of this test only (its own cart, orders and saved cards)."""
    person = Shopper(fresh_email(), PASSWORD)
    api(live_stack, "POST", "/auth/signup", expected=201,
        body={"email": person.email, "password": person.password, "name": "Test Shopper", "role": "shopper"})
    person.token = sign_in_api(live_stack, person.email, person.password)
    return person


def frontend(live_stack, hash_: str) -> str:
    return f"{live_stack.frontend.rstrip('/')}/{hash_}"


def sign_in(page, live_stack, person: Shopper) -> None:
    page.goto(frontend(live_stack, "#/signin"))
    page.get_by_test_id("signin-email").fill(person.email)
    page.get_by_test_id("signin-password").fill(person.password)
    page.get_by_test_id("auth-submit").click()
    expect(page.get_by_test_id("account-name")).to_have_attribute("title", person.email.lower())


# --- the catalogue, read from the API -----------------------------------------------------------

def product_details(live_stack) -> list[dict]:
    details, cursor = [], None
    while True:
        query = {"limit": 50, **({"cursor": cursor} if cursor else {})}
        page = api(live_stack, "GET", "/catalog/products?" + urllib.parse.urlencode(query))
        details += [api(live_stack, "GET", f"/catalog/products/{urllib.parse.quote(p['product_id'])}")
                    for p in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            return details


def offers_from_two_vendors(live_stack, at_least: int = 3) -> list[dict]:
    """Two in-stock offers of different vendors and products, the first with a delivery fee, as the
    product page lists them. Made for the test (seeded vendors, new products): the live stack is
    shared by tests running side by side, and seeded stock would be bought from under them."""
    made = []
    for index, (vendor, shipping) in enumerate(zip(live_stack.credentials["vendors"][:2], (490, 0))):
        token = sign_in_api(live_stack, vendor["email"], vendor["password"])
        category = api(live_stack, "GET", "/catalog/categories")["items"][0]["slug"]
        product = api(live_stack, "POST", "/vendor/products", token=token, expected=201, body={
            "title": f"Checkout Test Lamp {uuid.uuid4().hex[:6]}", "brand": "Halles Tests", "category": category,
            "description": "Made for a browser test."})
        product_id = product["product"]["product_id"] if "product" in product else product["product_id"]
        offer = api(live_stack, "PUT", f"/vendor/products/{product_id}/offer", token=token, expected=201, body={
            "price": 2500 + 1000 * index, "shipping_fee": shipping, "condition": "new", "stock": max(at_least, 10),
            "delivery": {"min_days": 1, "max_days": 3}})
        detail = api(live_stack, "GET", f"/catalog/products/{urllib.parse.quote(product_id)}")
        made.append(next(o for o in detail["offers"] if o["offer_id"] == offer["offer_id"]))
    return made


def available(live_stack, offer: dict) -> int:
    detail = api(live_stack, "GET", f"/catalog/products/{urllib.parse.quote(offer['product_id'])}")
    return next(o["available"] for o in detail["offers"] if o["offer_id"] == offer["offer_id"])


# --- the pages -------------------------------------------------------------------------------

def add_to_cart(page, live_stack, offer: dict, quantity: int = 1) -> None:
    page.goto(frontend(live_stack, f"#/product/{offer['product_id']}"))
    row = page.locator(f'[data-testid="offer-row"][data-offer-id="{offer["offer_id"]}"]')
    row.get_by_test_id("add-quantity").select_option(str(quantity))
    row.get_by_test_id("add-to-cart").click()
    expect(row.get_by_test_id("add-status")).to_contain_text("View cart")


# A delivery address whose postal code has the format of DE, FR, IT and ES alike.
ADDRESS = {"name": "Ada Lovelace", "line1": "Rue de la Paix 1", "postal_code": "10117", "city": "Berlin"}


def fill_address(page, address: dict | None = None) -> None:
    """Type the delivery address when the cart asks for a new one (a saved one is chosen already)."""
    form = page.get_by_test_id("address-form")
    if not form.count() or page.get_by_test_id("address-line1").input_value():
        return
    for name, value in (address or ADDRESS).items():
        page.get_by_test_id(f"address-{name}").fill(value)


def open_cart(page, live_stack) -> None:
    page.goto(frontend(live_stack, "#/cart"))
    expect(page.get_by_test_id("quote-total")).to_be_visible()
    fill_address(page)


def expect_quote_shown(page, quote: dict) -> None:
    """Every amount of the API's quote is on the cart page, per vendor and in total."""
    expect(page.get_by_test_id("quote")).to_have_attribute("data-country", quote["country"])
    for group in quote["vendors"]:
        box = page.locator(f'[data-testid="cart-vendor"][data-vendor-id="{group["vendor_id"]}"]')
        for testid, key in (("vendor-items", "items"), ("vendor-shipping", "shipping"), ("vendor-total", "total")):
            expect(box.get_by_test_id(testid)).to_have_attribute("data-amount", str(group[key]["amount"]))
    for testid, key in (("quote-items", "items"), ("quote-shipping", "shipping"), ("quote-service-fee", "service_fee"),
                        ("quote-vat", "vat_included"), ("quote-total", "total")):
        expect(page.get_by_test_id(testid)).to_have_attribute("data-amount", str(quote[key]["amount"]))
    expect(page.get_by_test_id("quote-total")).to_contain_text("€")
    expect(page.get_by_test_id("pay-button")).to_contain_text(page.get_by_test_id("quote-total").inner_text())


def record_checkouts(page) -> list[str | None]:
    """The Idempotency-Key of every POST /checkout the page sends."""
    keys: list[str | None] = []
    page.on("request", lambda r: keys.append(r.headers.get("idempotency-key"))
            if r.method == "POST" and r.url.endswith("/checkout") else None)
    return keys


def pay_on_provider_page(page, card: str) -> None:
    page.wait_for_url(re.compile(r"/pay/pi_[^/?]+\?"))
    page.locator("#card-number").fill(card)
    page.locator("#card-expiry").fill("12/34")
    page.locator("#card-cvc").fill("123")
    page.locator("#pay-button").click()
    expect(page.get_by_test_id("order")).to_be_visible()


def order_id_on_page(page) -> str:
    return page.get_by_test_id("order").get_attribute("data-order-id")


def fail_without_payments(page) -> None:
    """Say plainly when the stack has no payment provider rather than time out on a URL."""
    error = page.get_by_test_id("checkout-error")
    if error.is_visible() and error.inner_text().strip():
        pytest.fail(f"checkout failed on the cart page: {error.inner_text()!r} (does `python -m devstack run` "
                    f"start the local payment provider, devstack/localpay?)")


def click_pay(page) -> None:
    """Pay, and wait to leave the cart: for the provider's page, or the order page (saved card)."""
    fill_address(page)
    page.get_by_test_id("pay-button").click()
    try:
        page.wait_for_url(re.compile(r"/pay/|#/orders/"), timeout=15_000)
    except PlaywrightTimeout:
        fail_without_payments(page)
        raise


# --- the journey ------------------------------------------------------------------------------

def test_a_shopper_signs_up_fills_a_two_vendor_cart_sees_every_fee_and_pays(page, live_stack):
    offers = offers_from_two_vendors(live_stack)
    person = Shopper(fresh_email("journey"), PASSWORD)

    page.goto(frontend(live_stack, "#/signup"))
    page.get_by_test_id("signup-name").fill("Journey Shopper")
    page.get_by_test_id("signup-email").fill(person.email)
    page.get_by_test_id("signup-password").fill(person.password)
    page.get_by_test_id("auth-submit").click()
    expect(page.get_by_test_id("account-name")).to_have_text("Journey Shopper")  # the name, not the email
    person.token = sign_in_api(live_stack, person.email, person.password)

    add_to_cart(page, live_stack, offers[0], quantity=2)
    add_to_cart(page, live_stack, offers[1])
    expect(page.get_by_test_id("cart-count")).to_have_text("3")

    page.get_by_test_id("cart-link").click()
    quote = api(live_stack, "GET", "/cart/quote?country=DE", token=person.token)
    assert {g["vendor_id"] for g in quote["vendors"]} == {o["vendor_id"] for o in offers}
    expect(page.get_by_test_id("cart-vendor")).to_have_count(2)
    expect(page.get_by_test_id("cart-line")).to_have_count(2)
    expect(page.get_by_test_id("cart-changes")).to_have_count(0)
    expect_quote_shown(page, quote)

    # Another delivery country, another VAT rate: the page shows the API's quote for it.
    page.get_by_test_id("country-select").select_option("FR")
    french = api(live_stack, "GET", "/cart/quote?country=FR", token=person.token)
    expect_quote_shown(page, french)
    page.screenshot(path=CART_SHOT, full_page=True)

    keys = record_checkouts(page)
    page.get_by_test_id("save-card").check()
    click_pay(page)
    pay_on_provider_page(page, CARD_OK)

    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=PAID_WITHIN_MS)
    order = api(live_stack, "GET", f"/orders/{order_id_on_page(page)}", token=person.token)
    assert order["status"] == "paid"
    assert order["totals"]["total"] == french["total"]  # paid exactly what the cart page showed
    assert len(keys) == 1 and UUID.match(keys[0] or ""), keys
    expect(page.get_by_test_id("order-total")).to_have_attribute("data-amount", str(french["total"]["amount"]))
    expect(page.get_by_test_id("order-vendor")).to_have_count(2)
    expect(page.locator('[data-testid="timeline-entry"][data-status="paid"]')).to_have_count(1)
    expect(page.get_by_test_id("cart-count")).to_have_count(0)  # a paid order empties the cart
    assert "client_secret" not in page.url  # the provider's parameters are gone from the address bar
    page.screenshot(path=ORDER_SHOT, full_page=True)

    page.get_by_test_id("back-to-orders").click()
    row = page.locator(f'[data-testid="order-row"][data-order-id="{order["order_id"]}"]')
    expect(row.get_by_test_id("order-row-status")).to_have_text("Paid")


def test_a_declined_card_keeps_the_order_payable_with_its_stock_held(page, live_stack, shopper):
    offers = offers_from_two_vendors(live_stack)
    before = {o["offer_id"]: available(live_stack, o) for o in offers}
    sign_in(page, live_stack, shopper)
    add_to_cart(page, live_stack, offers[0], quantity=2)
    add_to_cart(page, live_stack, offers[1])
    open_cart(page, live_stack)

    click_pay(page)
    page.wait_for_url(re.compile(r"/pay/pi_"))
    held = {offers[0]["offer_id"]: before[offers[0]["offer_id"]] - 2,
            offers[1]["offer_id"]: before[offers[1]["offer_id"]] - 1}
    # The order holds its stock while the shopper is on the payment page.
    assert {o["offer_id"]: available(live_stack, o) for o in offers} == held
    page.locator("#card-number").fill(CARD_DECLINED)
    page.locator("#card-expiry").fill("12/34")
    page.locator("#card-cvc").fill("123")
    page.locator("#pay-button").click()
    # The provider keeps the shopper on its page with the reason; they choose to go back to the shop.
    expect(page.locator("#payment-error")).to_contain_text("declined")
    page.locator("#cancel-link").click()

    # A decline no longer ends the order: the attempt is shown and the shopper may pay again.
    expect(page.locator('[data-testid="timeline-entry"][data-status="payment_attempt"]')).to_have_count(
        1, timeout=PAID_WITHIN_MS)
    expect(page.get_by_test_id("order-status")).to_have_text("Awaiting payment")
    order = api(live_stack, "GET", f"/orders/{order_id_on_page(page)}", token=shopper.token)
    assert order["status"] == "pending_payment" and order["payment"]["can_pay"] is True
    assert order["payment"]["last_attempt"]["reason"] == "card_declined"
    assert {o["offer_id"]: available(live_stack, o) for o in offers} == held
    page.screenshot(path=FAILED_ORDER_SHOT, full_page=True)

    page.goto(frontend(live_stack, "#/cart"))  # the cart is untouched
    expect(page.get_by_test_id("cart-line")).to_have_count(2)


def test_paying_again_after_a_lost_answer_reuses_the_idempotency_key(page, live_stack, shopper):
    offer = offers_from_two_vendors(live_stack)[0]
    sign_in(page, live_stack, shopper)
    add_to_cart(page, live_stack, offer)
    open_cart(page, live_stack)
    keys = record_checkouts(page)

    answered: list[int] = []

    def lose_the_first_answer(route):
        response = route.fetch()  # the API places the order...
        answered.append(response.status)
        if len(answered) == 1:
            route.abort("connectionreset")  # ...but its answer never reaches the page
        else:
            route.fulfill(response=response)

    page.route("**/checkout", lose_the_first_answer)
    page.get_by_test_id("pay-button").dblclick()  # a double-click sends one request
    expect(page.get_by_test_id("checkout-error")).to_contain_text("not be charged twice")
    expect(page.get_by_test_id("pay-button")).to_be_enabled()
    click_pay(page)
    page.wait_for_url(re.compile(r"/pay/pi_"))

    assert answered == [201, 201]
    assert len(keys) == 2 and keys[0] == keys[1] and UUID.match(keys[0] or ""), keys
    orders = api(live_stack, "GET", "/orders", token=shopper.token)["items"]
    assert len(orders) == 1, "the retry must replay the same order, not place a second one"
    pay_on_provider_page(page, CARD_OK)
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=PAID_WITHIN_MS)
    assert order_id_on_page(page) == orders[0]["order_id"]


def test_a_saved_card_pays_the_next_order_and_can_be_removed(page, live_stack, shopper):
    first, second = offers_from_two_vendors(live_stack)
    sign_in(page, live_stack, shopper)
    add_to_cart(page, live_stack, first)
    open_cart(page, live_stack)
    expect(page.get_by_test_id("card-choices")).to_have_count(0)  # nothing saved yet
    page.get_by_test_id("save-card").check()
    click_pay(page)
    pay_on_provider_page(page, CARD_OK)
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=PAID_WITHIN_MS)

    add_to_cart(page, live_stack, second)
    open_cart(page, live_stack)
    saved = page.get_by_test_id("pay-saved-card")
    expect(saved).to_have_count(1)
    expect(saved).to_be_checked()
    expect(page.get_by_test_id("card-choices")).to_contain_text("4242")
    expect(page.get_by_test_id("save-card")).to_have_count(0)
    click_pay(page)  # charged at once: no payment page
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=PAID_WITHIN_MS)
    assert len(api(live_stack, "GET", "/orders", token=shopper.token)["items"]) == 2

    page.goto(frontend(live_stack, "#/account/cards"))
    expect(page.get_by_test_id("saved-card")).to_have_count(1)
    expect(page.get_by_test_id("saved-card-label")).to_contain_text("4242")
    page.get_by_test_id("remove-card").click()
    page.get_by_test_id("confirm-remove-card").click()
    expect(page.get_by_test_id("saved-card")).to_have_count(0)
    expect(page.get_by_test_id("cards-status")).to_contain_text("No saved cards")
    assert api(live_stack, "GET", "/me/payment-methods", token=shopper.token)["items"] == []


def test_the_cart_flags_a_price_change_and_pays_only_after_the_shopper_accepts_it(page, live_stack, shopper):
    vendor = live_stack.credentials["vendors"][0]
    vendor_token = sign_in_api(live_stack, vendor["email"], vendor["password"])
    category = api(live_stack, "GET", "/catalog/categories")["items"][0]["slug"]
    product = api(live_stack, "POST", "/vendor/products", token=vendor_token, expected=201, body={
        "title": f"Price Watch Lamp {uuid.uuid4().hex[:6]}", "brand": "Halles Tests", "category": category})
    product_id = product["product"]["product_id"] if "product" in product else product["product_id"]
    terms = {"price": 1500, "shipping_fee": 0, "condition": "new", "stock": 5, "delivery": {"min_days": 1, "max_days": 3}}
    offer = api(live_stack, "PUT", f"/vendor/products/{product_id}/offer", token=vendor_token, expected=201, body=terms)
    offer = {"offer_id": offer["offer_id"], "product_id": product_id}

    sign_in(page, live_stack, shopper)
    add_to_cart(page, live_stack, offer)
    open_cart(page, live_stack)
    expect(page.get_by_test_id("cart-changes")).to_have_count(0)
    expect(page.get_by_test_id("pay-button")).to_be_enabled()

    api(live_stack, "PUT", f"/vendor/products/{product_id}/offer", token=vendor_token, body={**terms, "price": 1700})
    page.reload()
    expect(page.get_by_test_id("cart-changes")).to_contain_text("€15.00")
    expect(page.get_by_test_id("line-change")).to_contain_text("€17.00")
    expect(page.get_by_test_id("pay-button")).to_be_disabled()
    page.screenshot(path=CHANGED_CART_SHOT, full_page=True)

    page.get_by_test_id("accept-changes").click()
    expect(page.get_by_test_id("cart-changes")).to_have_count(0)
    expect(page.get_by_test_id("line-unit-price")).to_have_attribute("data-amount", "1700")
    expect(page.get_by_test_id("pay-button")).to_be_enabled()
    expect_quote_shown(page, api(live_stack, "GET", f"/cart/quote?country={page.get_by_test_id('quote').get_attribute('data-country')}",
                                 token=shopper.token))


def test_a_visitor_signs_in_to_buy_and_comes_back_to_the_product(page, live_stack, shopper):
    offer = offers_from_two_vendors(live_stack)[0]
    page.goto(frontend(live_stack, "#/cart"))
    expect(page.get_by_test_id("shopper-only")).to_contain_text("Sign in")

    page.goto(frontend(live_stack, f"#/product/{offer['product_id']}"))
    row = page.locator(f'[data-testid="offer-row"][data-offer-id="{offer["offer_id"]}"]')
    expect(row.get_by_test_id("add-to-cart")).to_have_count(0)
    row.get_by_test_id("signin-to-buy").click()
    page.get_by_test_id("signin-email").fill(shopper.email)
    page.get_by_test_id("signin-password").fill(shopper.password)
    page.get_by_test_id("auth-submit").click()

    expect(page.get_by_test_id("product-title")).to_be_visible()
    assert f"#/product/{offer['product_id']}" in page.url
    row.get_by_test_id("add-to-cart").click()
    expect(page.get_by_test_id("cart-count")).to_have_text("1")


# --- answers the local stack does not give on its own, stubbed at the network -------------------

def stub_checkout(page, status: int, body: dict) -> list[dict]:
    """Answer POST /checkout with `body` (CORS headers included, as the API sends them)."""
    sent: list[dict] = []

    def answer(route):
        if route.request.method != "POST":
            route.continue_()
            return
        sent.append(route.request.post_data_json)
        route.fulfill(status=status, json=body, headers={
            "Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "X-Correlation-Id,Retry-After"})

    page.route("**/checkout", answer)
    return sent


def test_a_checkout_refused_for_changed_items_names_each_item(page, live_stack, shopper):
    offer = offers_from_two_vendors(live_stack)[0]
    sign_in(page, live_stack, shopper)
    add_to_cart(page, live_stack, offer)
    open_cart(page, live_stack)
    title = page.get_by_test_id("line-title").inner_text()
    sent = stub_checkout(page, 409, {"error": {
        "code": "cart_changed", "correlation_id": "test",
        "message": "Some items in your cart changed since you added them. Review your cart and try again.",
        "fields": {f"lines.{offer['offer_id']}": "Only 1 left."}}})

    page.get_by_test_id("pay-button").click()

    error = page.get_by_test_id("checkout-error")
    expect(error).to_contain_text("Some items in your cart changed")
    expect(error).to_contain_text(f"{title}: Only 1 left.")
    expect(page.get_by_test_id("pay-button")).to_be_enabled()
    assert "#/cart" in page.url and len(sent) == 1
    assert sent[0]["address"]["country"] == page.get_by_test_id("quote").get_attribute("data-country")
    assert sent[0]["address"]["postal_code"] == ADDRESS["postal_code"]


def test_with_real_stripe_the_page_shows_where_stripe_js_would_mount(page, live_stack, shopper):
    offer = offers_from_two_vendors(live_stack)[0]
    sign_in(page, live_stack, shopper)
    add_to_cart(page, live_stack, offer)
    open_cart(page, live_stack)
    external: list[str] = []
    page.on("request", lambda r: external.append(r.url) if not r.url.startswith("http://127.0.0.1") else None)
    stub_checkout(page, 201, {
        "order": {"order_id": "ord_stripe0000000000000000"},
        "payment": {"provider": "stripe", "payment_intent_id": "pi_test_123", "client_secret": "pi_test_123_secret_x",
                    "payment_page_url": None, "publishable_key": "pk_test_123"}})

    page.get_by_test_id("pay-button").click()

    placeholder = page.get_by_test_id("stripe-placeholder")
    expect(placeholder).to_contain_text("Stripe.js would mount the card form here")
    expect(placeholder).to_contain_text("pk_test_123")
    expect(page.get_by_test_id("stripe-order-link")).to_have_attribute("href", "#/orders/ord_stripe0000000000000000")
    assert "#/cart" in page.url
    assert not external, f"the page loaded external resources: {external}"
