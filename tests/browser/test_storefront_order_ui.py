"""The storefront's words and details around an order, in Debian's Chromium against the local stack.

A delivery address is typed at checkout with each mistake shown next to its field, kept in the
address book and offered next time; an offer's condition ("Refurbished") follows it from the
catalogue card to the cart and the order; statuses are shown in words, the shopper's timeline
has no marketplace bookkeeping, the country is "Delivery to" until delivered, and the order has
a number people can read.
"""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_checkout_ui import (
    CARD_OK,
    PAID_WITHIN_MS,
    add_to_cart,
    api,
    click_pay,
    frontend,
    offers_from_two_vendors,
    order_id_on_page,
    pay_on_provider_page,
    shopper,  # noqa: F401 - the fixture
    sign_in,
    sign_in_api,
)

pytestmark = pytest.mark.browser


def test_a_wrong_address_is_named_field_by_field_then_kept_for_next_time(page, live_stack, shopper):  # noqa: F811
    first, second = offers_from_two_vendors(live_stack)
    sign_in(page, live_stack, shopper)
    add_to_cart(page, live_stack, first)
    page.goto(frontend(live_stack, "#/cart"))
    page.get_by_test_id("country-select").select_option("NL")
    expect(page.get_by_test_id("quote")).to_have_attribute("data-country", "NL")
    expect(page.get_by_test_id("address-name")).to_have_value("Test Shopper")  # prefilled from the account
    page.get_by_test_id("address-line1").fill("Damrak 1")
    page.get_by_test_id("address-postal_code").fill("10117")  # a German code, not a Dutch one
    page.get_by_test_id("address-city").fill("Amsterdam")
    page.get_by_test_id("address-phone").fill("020 123")

    page.get_by_test_id("pay-button").click()

    expect(page.get_by_test_id("field-error-address.postal_code")).to_contain_text("1012 AB")
    expect(page.get_by_test_id("field-error-address.phone")).to_contain_text("+49")
    expect(page.get_by_test_id("address-postal_code")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_test_id("field-error-address.city")).to_have_text("")
    assert "#/cart" in page.url and api(live_stack, "GET", "/orders", token=shopper.token)["items"] == []

    page.get_by_test_id("address-postal_code").fill("1012lg")
    page.get_by_test_id("address-phone").fill("+31 20 1234567")
    click_pay(page)
    pay_on_provider_page(page, CARD_OK)
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=PAID_WITHIN_MS)
    address = page.get_by_test_id("delivery-address")
    expect(address).to_contain_text("Damrak 1")
    expect(address).to_contain_text("1012 LG Amsterdam")
    expect(page.get_by_test_id("order-destination")).to_have_text(" · Delivery to Netherlands")
    order = api(live_stack, "GET", f"/orders/{order_id_on_page(page)}", token=shopper.token)
    assert order["shipping_address"]["postal_code"] == "1012 LG" and order["country"] == "NL"

    # Next time the saved address is chosen already, and decides the delivery country.
    add_to_cart(page, live_stack, second)
    page.goto(frontend(live_stack, "#/cart"))
    saved = page.get_by_test_id("address-saved")
    expect(saved).to_have_count(1)
    expect(saved).to_be_checked()
    expect(page.get_by_test_id("address-choices")).to_contain_text("Damrak 1")
    expect(page.get_by_test_id("address-form")).to_have_count(0)
    expect(page.get_by_test_id("quote")).to_have_attribute("data-country", "NL")


def test_a_refurbished_offer_says_so_on_the_card_the_cart_and_the_order(page, live_stack, shopper):  # noqa: F811
    vendor = live_stack.credentials["vendors"][0]
    vendor_token = sign_in_api(live_stack, vendor["email"], vendor["password"])
    category = api(live_stack, "GET", "/catalog/categories")["items"][0]["slug"]
    title = f"Second Life Camera {uuid.uuid4().hex[:6]}"
    product = api(live_stack, "POST", "/vendor/products", token=vendor_token, expected=201,
                  body={"title": title, "brand": "Halles Tests", "category": category})
    product_id = product["product"]["product_id"] if "product" in product else product["product_id"]
    offer = api(live_stack, "PUT", f"/vendor/products/{product_id}/offer", token=vendor_token, expected=201, body={
        "price": 9900, "shipping_fee": 0, "condition": "refurbished", "stock": 5, "delivery": {"min_days": 1, "max_days": 3}})
    sign_in(page, live_stack, shopper)

    page.goto(frontend(live_stack, f"#/?q={title.split()[-1]}"))
    card = page.locator(f'[data-testid="product-card"][data-product-id="{product_id}"]')
    expect(card.get_by_test_id("card-condition")).to_have_text("Refurbished")

    add_to_cart(page, live_stack, {"offer_id": offer["offer_id"], "product_id": product_id})
    page.goto(frontend(live_stack, "#/cart"))
    line = page.locator(f'[data-testid="cart-line"][data-offer-id="{offer["offer_id"]}"]')
    expect(line.get_by_test_id("line-condition")).to_have_text("Refurbished")

    click_pay(page)
    pay_on_provider_page(page, CARD_OK)
    line = page.locator(f'[data-testid="order-line"][data-offer-id="{offer["offer_id"]}"]')
    expect(line.get_by_test_id("order-line-condition")).to_have_text("Refurbished")


def shown_order(status: str, vendor_status: str, *, order_number: str | None = "H-2611-4823") -> dict:
    """An order as GET /orders/{id} answers it (with the fields the order aggregate adds)."""
    money = lambda amount: {"amount": amount, "currency": "EUR"}  # noqa: E731
    return {
        "order_id": "ord_0123456789abcdef01234567", "order_number": order_number, "status": status,
        "created_at": "2026-11-26T10:00:00Z", "reserved_until": "2026-11-26T10:30:00Z", "currency": "EUR",
        "country": "DE",
        "lines": [{"offer_id": "off_1", "product_id": "prd_1", "vendor_id": "ven_1", "vendor_name": "Alpine",
                   "title": "Tent", "condition": "new", "quantity": 1, "unit_price": money(19900),
                   "shipping_fee": money(0), "subtotal": money(19900)}],
        "vendors": [{"vendor_id": "ven_1", "vendor_name": "Alpine", "status": vendor_status, "offer_ids": ["off_1"],
                     "items": money(19900), "discount": money(0), "shipping": money(0), "total": money(19900),
                     "delivered_at": "2026-11-28T10:00:00Z" if vendor_status == "delivered" else None}],
        "totals": {"items": money(19900), "discount": money(0), "shipping": money(0), "service_fee": money(0),
                   "vat_rate_bps": 1900, "vat_included": money(3177), "total": money(19900)},
        "payment": {"state": "paid", "payment_intent_id": "pi_1", "can_pay": False, "client_secret": None,
                    "payment_page_url": None, "refunded": money(0), "disputed": False},
        "timeline": [
            {"at": "2026-11-26T10:00:00Z", "status": "pending_payment", "kind": None, "label": "Order placed, stock reserved"},
            {"at": "2026-11-26T10:01:00Z", "status": "paid", "kind": None, "label": "Payment received"},
            {"at": "2026-11-26T10:01:01Z", "status": None, "kind": "stock", "label": "Stock reserved"},
            {"at": "2026-11-28T10:00:00Z", "status": None, "kind": "transfer", "label": "Vendor payout sent"},
            {"at": "2026-11-28T10:00:00Z", "status": None, "kind": "payout", "label": "Vendor payout sent",
             "audience": "vendor"},
        ],
        "shipping_address": {"name": "Ada Lovelace", "line1": "Unter den Linden 1", "line2": "", "postal_code": "10117",
                             "city": "Berlin", "country": "DE", "phone": ""},
    }


def show_order(page, live_stack, body: dict) -> None:
    def answer(route):
        route.fulfill(status=200, json=body, headers={"Access-Control-Allow-Origin": "*"})

    pattern = f"**/orders/{body['order_id']}"
    page.unroute(pattern)  # the last order shown answers no more
    page.route(pattern, answer)
    page.goto(frontend(live_stack, "#/orders"))  # leave the order page, so that coming back renders it anew
    page.goto(frontend(live_stack, f"#/orders/{body['order_id']}"))
    expect(page.get_by_test_id("order")).to_be_visible()


def test_the_order_page_speaks_the_shoppers_language(page, live_stack, shopper):  # noqa: F811
    sign_in(page, live_stack, shopper)
    expect(page.get_by_test_id("account-name")).to_have_text("Test Shopper")  # the name, not the email

    show_order(page, live_stack, shown_order("paid", "shipped"))
    expect(page.get_by_test_id("order-number")).to_have_text("H-2611-4823")
    expect(page.get_by_test_id("order-destination")).to_have_text(" · Delivery to Germany")  # not delivered yet
    expect(page.get_by_test_id("order-vendor-status")).to_have_text("On its way")
    timeline = page.get_by_test_id("order-timeline")
    expect(page.get_by_test_id("timeline-entry")).to_have_count(2)
    expect(timeline).not_to_contain_text("stock", ignore_case=True)
    expect(timeline).not_to_contain_text("payout", ignore_case=True)
    expect(timeline).to_contain_text("Order placed")

    show_order(page, live_stack, shown_order("paid", "delivered"))
    expect(page.get_by_test_id("order-vendor-status")).to_have_text("Delivered")  # the word, not the code
    expect(page.get_by_test_id("order-destination")).to_have_text(" · Delivered to Germany")

    show_order(page, live_stack, shown_order("paid", "ready_for_pickup", order_number=None))
    expect(page.get_by_test_id("order-number")).to_have_text("01234567")  # a short id until numbers exist
    expect(page.get_by_test_id("order-vendor-status")).to_have_text("Ready for pickup")
