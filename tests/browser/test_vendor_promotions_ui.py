"""Promotions in the browser: a vendor creates one in the vendor space; the shopper sees the struck
price on the catalogue card, the product page and the cart line, and pays the promoted total."""

from __future__ import annotations

import urllib.parse
import uuid
from datetime import UTC, datetime, timedelta

from playwright.sync_api import expect

from tests.browser import test_checkout_ui as checkout_ui
from tests.browser.test_checkout_ui import (
    CARD_OK,
    PAID_WITHIN_MS,
    add_to_cart,
    api,
    click_pay,
    frontend,
    open_cart,
    order_id_on_page,
    pay_on_provider_page,
    sign_in,
    sign_in_api,
)
from tests.fixtures.artifacts import screenshot_path

shopper = checkout_ui.shopper  # the fixture: a shopper of this test only
VENDOR_SHOT, CARD_SHOT, CART_SHOT = (screenshot_path("promotions-vendor.png"), screenshot_path("promotions-card.png"),
                                     screenshot_path("promotions-cart.png"))


def _new_offer(live_stack, vendor_token: str) -> dict:
    """An offer of the seeded vendor on a product of its own: 40.00 + 4.90 delivery."""
    word = f"Promolamp{uuid.uuid4().hex[:6]}"
    category = api(live_stack, "GET", "/catalog/categories")["items"][0]["slug"]
    product = api(live_stack, "POST", "/vendor/products", token=vendor_token, expected=201,
                  body={"title": f"{word} Desk Lamp", "brand": "Halles Tests", "category": category})
    terms = {"price": 4000, "shipping_fee": 490, "condition": "new", "stock": 5, "delivery": {"min_days": 1, "max_days": 3}}
    offer = api(live_stack, "PUT", f"/vendor/products/{product['product_id']}/offer", token=vendor_token,
                expected=201, body=terms)
    return {"offer_id": offer["offer_id"], "product_id": product["product_id"], "word": word}


def test_a_vendor_creates_a_promotion_and_the_shopper_pays_the_struck_down_price(page, live_stack, shopper):
    vendor = live_stack.credentials["vendors"][0]
    offer = _new_offer(live_stack, sign_in_api(live_stack, vendor["email"], vendor["password"]))

    # The vendor: 25 % off this one offer, from now for a week (the form's default window).
    page.goto(frontend(live_stack, "#/signin?next=%23%2Fvendor%2Fpromotions"))
    page.get_by_test_id("signin-email").fill(vendor["email"])
    page.get_by_test_id("signin-password").fill(vendor["password"])
    page.get_by_test_id("auth-submit").click()
    expect(page.get_by_test_id("vendor-tab-promotions")).to_have_attribute("aria-current", "page")
    page.get_by_test_id("promotion-name").fill("Lamp week")
    page.get_by_test_id("promotion-value").fill("95")
    page.locator(f'[data-testid="promotion-offer"][value="{offer["offer_id"]}"]').check()
    page.get_by_test_id("promotion-create").click()
    expect(page.get_by_test_id("field-error-value")).to_contain_text("90")  # the API names the field
    page.get_by_test_id("promotion-value").fill("25")
    page.get_by_test_id("promotion-create").click()
    row = page.get_by_test_id("vendor-promotion").filter(has_text="Lamp week")
    expect(row.get_by_test_id("promotion-status")).to_have_text("Running")
    expect(row.get_by_test_id("promotion-discount")).to_have_text("25 % off")
    page.screenshot(path=VENDOR_SHOT, full_page=True)

    # The shopper: the card, the product page and the cart line show 40.00 struck beside 30.00.
    page.get_by_test_id("signout").click()
    sign_in(page, live_stack, shopper)
    page.goto(frontend(live_stack, "#/?" + urllib.parse.urlencode({"q": offer["word"]})))
    card = page.get_by_test_id("product-card").filter(has_text=offer["word"])
    expect(card.get_by_test_id("card-price")).to_have_attribute("data-amount", "3490")
    expect(card.get_by_test_id("card-price-was")).to_have_attribute("data-amount", "4490")
    page.screenshot(path=CARD_SHOT)

    page.goto(frontend(live_stack, f"#/product/{offer['product_id']}"))
    offer_row = page.locator(f'[data-testid="offer-row"][data-offer-id="{offer["offer_id"]}"]')
    expect(offer_row.get_by_test_id("offer-price")).to_have_attribute("data-amount", "3000")
    expect(offer_row.get_by_test_id("offer-price-was")).to_have_attribute("data-amount", "4000")

    add_to_cart(page, live_stack, offer, quantity=2)
    open_cart(page, live_stack)
    expect(page.get_by_test_id("line-unit-price")).to_have_attribute("data-amount", "3000")
    expect(page.get_by_test_id("line-unit-price-was")).to_have_attribute("data-amount", "4000")
    expect(page.get_by_test_id("line-subtotal")).to_have_attribute("data-amount", "6000")
    country = page.get_by_test_id("quote").get_attribute("data-country")
    quote = api(live_stack, "GET", f"/cart/quote?country={country}", token=shopper.token)
    assert quote["total"]["amount"] == 2 * 3000 + 490
    expect(page.get_by_test_id("quote-total")).to_have_attribute("data-amount", str(quote["total"]["amount"]))
    page.screenshot(path=CART_SHOT, full_page=True)

    click_pay(page)
    pay_on_provider_page(page, CARD_OK)
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=PAID_WITHIN_MS)
    order = api(live_stack, "GET", f"/orders/{order_id_on_page(page)}", token=shopper.token)
    assert order["totals"]["total"] == quote["total"]  # paid the promoted total, as shown
    assert order["lines"][0]["unit_price"]["amount"] == 4000
    assert order["lines"][0]["promoted_unit_price"]["amount"] == 3000


def test_a_vendor_edits_a_running_promotion_and_the_shopper_sees_the_new_price(page, live_stack):
    vendor = live_stack.credentials["vendors"][0]
    token = sign_in_api(live_stack, vendor["email"], vendor["password"])
    offer = _new_offer(live_stack, token)  # 40.00 + 4.90
    starts = datetime.now(UTC) - timedelta(minutes=5)
    status, promo, _ = live_stack.call("POST", "/vendor/promotions", token=token, headers={
        "Idempotency-Key": uuid.uuid4().hex}, body={
        "name": f"Edit me {offer['word']}", "kind": "percent", "value": 10, "offer_ids": [offer["offer_id"]],
        "starts_at": starts.isoformat(), "ends_at": (starts + timedelta(days=7)).isoformat()})
    assert status == 201, promo

    page.goto(frontend(live_stack, "#/signin?next=%23%2Fvendor%2Fpromotions"))
    page.get_by_test_id("signin-email").fill(vendor["email"])
    page.get_by_test_id("signin-password").fill(vendor["password"])
    page.get_by_test_id("auth-submit").click()
    row = page.locator(f'[data-testid="vendor-promotion"][data-promotion-id="{promo["promotion_id"]}"]')
    expect(row.get_by_test_id("promotion-discount")).to_have_text("10 % off")
    row.get_by_test_id("promotion-edit").click()
    form = page.get_by_test_id("promotion-edit-form")
    form.get_by_test_id("promotion-edit-value").fill("95")
    form.get_by_test_id("promotion-save").click()
    expect(form.get_by_test_id("field-error-value")).to_contain_text("90")  # the API names the field
    form.get_by_test_id("promotion-edit-value").fill("30")
    form.get_by_test_id("promotion-edit-min-quantity").fill("2")
    form.get_by_test_id("promotion-save").click()

    expect(form).to_have_count(0)
    expect(row.get_by_test_id("promotion-discount")).to_have_text("30 % off from 2 units")
    expect(row.get_by_test_id("promotion-status")).to_have_text("Running")
    edited = api(live_stack, "GET", f"/vendor/promotions/{promo['promotion_id']}", token=token)
    assert (edited["value"], edited["min_quantity"], edited["version"], edited["starts_at"]) == (
        30, 2, 2, promo["starts_at"])  # the start was not sent: it did not move

    # A stale edit (another tab still at version 1) is refused and the form says why.
    row.get_by_test_id("promotion-edit").click()
    assert live_stack.call("PATCH", f"/vendor/promotions/{promo['promotion_id']}", token=token,
                           body={"version": 2, "value": 20})[0] == 200
    form.get_by_test_id("promotion-edit-value").fill("40")
    form.get_by_test_id("promotion-save").click()
    expect(form.get_by_test_id("promotion-edit-error")).to_contain_text("changed meanwhile")
    expect(row.get_by_test_id("promotion-discount")).to_have_text("20 % off from 2 units")

    # The shopper's product page shows the edited promotion (from 2 units: one unit is not discounted).
    product = api(live_stack, "GET", f"/catalog/products/{offer['product_id']}")
    mine = next(o for o in product["offers"] if o["offer_id"] == offer["offer_id"])
    assert mine["price"]["amount"] == 4000 and mine["list_price"] is None
