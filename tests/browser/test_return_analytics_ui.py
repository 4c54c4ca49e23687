"""Return analytics in Debian's Chromium against the local stack: a shopper buys two units from a seeded
vendor, returns one as damaged and is refunded; the vendor's "Returns analytics" section draws that
return in its weekly and reasons charts (each with its table) and lists the product with its rate;
the admin's "Analytics" section ranks that vendor and product too."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_checkout_ui import PASSWORD, Shopper, api, fresh_email, sign_in_api
from tests.browser.test_vendor_money_ui import DEMO_PASSWORD, TRACKING, confirm_with_test_card, sign_in_as
from tests.fixtures.addresses import checkout_body

pytestmark = pytest.mark.browser

VENDOR_EMAIL = "alpine@halles.local"
BACK = {"carrier": "La Poste", "tracking_number": "6A123456789"}
POSITIVE = re.compile(r"^[1-9][0-9]*$")


def returned_and_refunded(live_stack, vendor_token: str) -> dict:
    """A new product and offer of the vendor; a new shopper buys 2 units, receives them, returns 1 as
    damaged; the vendor approves and receives it (the shopper is refunded). Returns the product."""
    category = api(live_stack, "GET", "/catalog/categories")["items"][0]["slug"]
    title = f"Storm Poncho {uuid.uuid4().hex[:6]}"
    product = api(live_stack, "POST", "/vendor/products", token=vendor_token, expected=201,
                  body={"title": title, "brand": "Halles Tests", "category": category})
    product_id = product["product"]["product_id"] if "product" in product else product["product_id"]
    offer_id = api(live_stack, "PUT", f"/vendor/products/{product_id}/offer", token=vendor_token, expected=201, body={
        "price": 3000, "shipping_fee": 490, "condition": "new", "stock": 5,
        "delivery": {"min_days": 1, "max_days": 3}})["offer_id"]
    vendor_id = api(live_stack, "GET", "/me", token=vendor_token)["user_id"]

    shopper = Shopper(fresh_email(), PASSWORD)
    api(live_stack, "POST", "/auth/signup", expected=201,
        body={"email": shopper.email, "password": PASSWORD, "name": "Returns Shopper", "role": "shopper"})
    token = sign_in_api(live_stack, shopper.email, PASSWORD)
    api(live_stack, "PUT", f"/cart/lines/{offer_id}", token=token, body={"quantity": 2})
    status, answer, _ = live_stack.call("POST", "/checkout", body=checkout_body(), token=token,
                                        headers={"Idempotency-Key": uuid.uuid4().hex})
    assert status == 201, answer
    order_id = answer["order"]["order_id"]
    confirm_with_test_card(live_stack, answer["payment"]["payment_intent_id"])
    live_stack.wait_for(lambda: api(live_stack, "GET", f"/orders/{order_id}", token=token)["status"] == "paid",
                        f"order {order_id} to be paid")
    for step, body in (("accept", None), ("ship", TRACKING)):
        api(live_stack, "POST", f"/vendor/orders/{order_id}/{step}", token=vendor_token, body=body)
    api(live_stack, "POST", f"/orders/{order_id}/vendors/{vendor_id}/confirm-receipt", token=token)

    asked = api(live_stack, "POST", f"/orders/{order_id}/returns", token=token, expected=201,
                body={"lines": [{"line_id": offer_id, "quantity": 1}], "reason": "damaged"})
    return_id = asked["return_id"]
    if asked["state"] == "requested":  # the seeded vendor may approve damaged goods by rule
        api(live_stack, "POST", f"/vendor/returns/{return_id}/approve", token=vendor_token)
    api(live_stack, "POST", f"/returns/{return_id}/ship-back", token=token, body=BACK)
    api(live_stack, "POST", f"/vendor/returns/{return_id}/receive", token=vendor_token, body={"restock": True})

    def counted():
        report = api(live_stack, "GET", "/vendor/analytics/returns?weeks=4", token=vendor_token)
        mine = [p for p in report["products"] if p["product_id"] == product_id]
        return mine and mine[0]["units_returned"] == 1 and mine[0]["refunded"]
    live_stack.wait_for(counted, f"the return of {product_id} to be counted")
    return {"product_id": product_id, "title": title, "vendor_id": vendor_id}


def test_the_vendor_and_the_admin_see_a_refunded_return_in_their_charts(page, live_stack):
    vendor_token = sign_in_api(live_stack, VENDOR_EMAIL, DEMO_PASSWORD)
    product = returned_and_refunded(live_stack, vendor_token)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    sign_in_as(page, live_stack, VENDOR_EMAIL, "#/vendor/return-analytics")
    expect(page.get_by_test_id("vendor-tab-return-analytics")).to_have_attribute("aria-current", "page")
    weekly = page.get_by_test_id("returns-weekly-chart")
    expect(weekly).to_have_attribute("role", "img")
    expect(weekly.locator("desc")).to_contain_text("returned in these weeks")
    expect(weekly.locator("rect.returns-bar-returned")).to_have_count(12)  # one per week, empty weeks too
    reasons = page.get_by_test_id("returns-reasons-chart")
    expect(reasons.locator('rect[data-reason="damaged"]')).to_have_attribute("width", POSITIVE)
    page.get_by_test_id("returns-reasons-chart").locator("xpath=..").get_by_text("Show the figures as a table").click()
    damaged = page.get_by_test_id("returns-reasons-table").locator("tr", has_text="Damaged")
    expect(damaged.locator("td").first).to_have_text(POSITIVE)
    row = page.locator(f'[data-testid="returns-products-table"] tr[data-product="{product["product_id"]}"]')
    expect(row).to_contain_text(product["title"])
    expect(row).to_contain_text("50.0 %")  # 1 of the 2 units sold
    expect(row).to_contain_text("Damaged")

    page.get_by_test_id("returns-weeks").select_option("4")
    expect(page.get_by_test_id("returns-weekly-chart").locator("rect.returns-bar-returned")).to_have_count(4)

    page.evaluate("() => sessionStorage.clear()")
    sign_in_as(page, live_stack, "admin@halles.local", "#/admin/analytics")
    expect(page.get_by_test_id("admin-tab-analytics")).to_have_attribute("aria-current", "page")
    expect(page.locator(f'[data-testid="returns-vendors-table"] tr[data-vendor="{product["vendor_id"]}"]')).to_be_visible()
    admin_row = page.locator(f'[data-testid="returns-products-table"] tr[data-product="{product["product_id"]}"]')
    expect(admin_row).to_contain_text(product["title"])
    page.get_by_test_id("returns-vendor").select_option(product["vendor_id"])
    expect(page.locator('[data-testid="returns-vendors-table"] tbody tr')).to_have_count(1)
    assert errors == []

