"""Fulfilment in Debian's Chromium against the local stack: a shopper pays for a seeded vendor's
offer; the vendor finds the order with its address in the vendor space, accepts it and ships it with
tracking; the shopper sees the carrier and the tracking link on the order page, confirms receipt
with "I received it", and the vendor's payout is released."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_checkout_ui import (
    CARD_OK,
    PAID_WITHIN_MS,
    Shopper,
    add_to_cart,
    api,
    click_pay,
    frontend,
    open_cart,
    order_id_on_page,
    pay_on_provider_page,
    shopper,  # noqa: F401 - the fixture
    sign_in,
    sign_in_api,
)

pytestmark = pytest.mark.browser

TRACKING_URL = "https://www.dhl.com/track?id=JD014600003828"


def new_offer(live_stack, vendor_token: str) -> dict:
    """An offer of its own (stock the other tests do not touch) from a seeded vendor who can be paid."""
    category = api(live_stack, "GET", "/catalog/categories")["items"][0]["slug"]
    product = api(live_stack, "POST", "/vendor/products", token=vendor_token, expected=201,
                  body={"title": f"Trail Lantern {uuid.uuid4().hex[:6]}", "brand": "Halles Tests", "category": category})
    product_id = product["product"]["product_id"] if "product" in product else product["product_id"]
    offer = api(live_stack, "PUT", f"/vendor/products/{product_id}/offer", token=vendor_token, expected=201, body={
        "price": 2500, "shipping_fee": 490, "condition": "new", "stock": 3, "delivery": {"min_days": 1, "max_days": 3}})
    return {"offer_id": offer["offer_id"], "product_id": product_id}


def seeded_vendor(live_stack) -> Shopper:
    seeded = live_stack.credentials["vendors"][0]
    vendor = Shopper(seeded["email"], seeded["password"])
    vendor.token = sign_in_api(live_stack, vendor.email, vendor.password)
    return vendor


def buy(page, live_stack, shopper, offer: dict, quantity: int = 1) -> str:  # noqa: F811
    """The shopper pays for `offer` in the shop; returns the order id (the order page is open)."""
    sign_in(page, live_stack, shopper)
    add_to_cart(page, live_stack, offer, quantity)
    open_cart(page, live_stack)
    click_pay(page)
    pay_on_provider_page(page, CARD_OK)
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=PAID_WITHIN_MS)
    return order_id_on_page(page)


def vendor_orders_page(browser, live_stack, vendor: Shopper, errors: list[str]):
    """The vendor's Orders tab, in its own browser session."""
    context = browser.new_context(locale="en-IE", viewport={"width": 1280, "height": 900})
    vendor_page = context.new_page()
    vendor_page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(vendor_page, live_stack, vendor)
    vendor_page.goto(frontend(live_stack, "#/vendor/orders"))
    return context, vendor_page


def test_the_vendor_ships_with_tracking_and_the_shopper_confirms_receipt(page, browser, live_stack, shopper):  # noqa: F811
    vendor = seeded_vendor(live_stack)
    order_id = buy(page, live_stack, shopper, new_offer(live_stack, vendor.token))
    expect(page.get_by_test_id("confirm-receipt")).to_have_count(0)  # nothing shipped yet

    errors: list[str] = []
    context, vendor_page = vendor_orders_page(browser, live_stack, vendor, errors)
    card = vendor_page.locator(f'[data-testid="vendor-order"][data-order-id="{order_id}"]')
    expect(card.get_by_test_id("vendor-order-status")).to_have_text("New: accept it")
    expect(card.get_by_test_id("delivery-address")).to_contain_text("Berlin")
    card.get_by_test_id("vendor-order-accept").click()
    expect(card.get_by_test_id("vendor-order-status")).to_have_text("Accepted: ship it")

    card.get_by_test_id("ship-carrier").fill("DHL")
    card.get_by_test_id("ship-tracking_number").fill("JD014600003828")
    card.get_by_test_id("ship-tracking_url").fill("http://not-secure.example/1")
    card.get_by_test_id("vendor-order-ship").click()
    expect(card.get_by_test_id("field-error-tracking_url")).not_to_have_text("")
    card.get_by_test_id("ship-tracking_url").fill(TRACKING_URL)
    card.get_by_test_id("vendor-order-ship").click()
    expect(card.get_by_test_id("vendor-order-status")).to_have_text("Shipped")
    expect(card.get_by_test_id("vendor-order-shipment")).to_contain_text("DHL")
    context.close()
    assert not errors, f"the vendor's page raised: {errors}"

    # The shopper sees the tracking and confirms receipt; the vendor is paid.
    page.goto(frontend(live_stack, f"#/orders/{order_id}"))
    parcel = page.get_by_test_id("order-parcel")
    expect(parcel.get_by_test_id("tracking-link")).to_have_attribute("href", TRACKING_URL)
    expect(parcel.get_by_test_id("order-shipment")).to_contain_text("DHL")
    parcel.get_by_test_id("confirm-receipt").click()
    expect(parcel.get_by_test_id("receipt-confirmed")).to_contain_text("Receipt confirmed")
    expect(parcel.get_by_test_id("confirm-receipt")).to_have_count(0)
    seen = api(live_stack, "GET", f"/vendor/orders/{order_id}", token=vendor.token)
    assert seen["status"] == "delivered" and seen["receipt_confirmed_by"] == "shopper"
    assert seen["payout_status"] == "transferred"


def test_the_vendor_cancels_a_line_before_shipping_and_the_shopper_sees_it_refunded(page, browser, live_stack,
                                                                                   shopper):  # noqa: F811
    vendor = seeded_vendor(live_stack)
    offer = new_offer(live_stack, vendor.token)
    order_id = buy(page, live_stack, shopper, offer, quantity=2)

    errors: list[str] = []
    context, vendor_page = vendor_orders_page(browser, live_stack, vendor, errors)
    card = vendor_page.locator(f'[data-testid="vendor-order"][data-order-id="{order_id}"]')
    card.get_by_test_id("vendor-line-cancel").click()
    card.get_by_test_id("vendor-line-reason").fill("Damaged in the warehouse")
    card.get_by_test_id("vendor-line-cancel-confirm").click()
    expect(card.get_by_test_id("vendor-order-status")).to_have_text("Cancelled")
    expect(card.get_by_test_id("vendor-line-cancelled")).to_contain_text("refunded")
    context.close()
    assert not errors, f"the vendor's page raised: {errors}"

    page.reload()
    expect(page.get_by_test_id("order-line-cancelled")).to_have_text("Cancelled by the vendor: refunded")
    expect(page.get_by_test_id("order-refunded")).to_be_visible()
    detail = api(live_stack, "GET", f"/catalog/products/{offer['product_id']}")
    assert next(o["available"] for o in detail["offers"] if o["offer_id"] == offer["offer_id"]) == 3  # back on sale
