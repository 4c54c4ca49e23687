"""Links from orders and cases to their conversations, in Debian's Chromium against the local stack:
the shopper writes to the shop from a return's card on the order page; the vendor reaches the same
conversation from its Returns section (and its order card offers "Contact the shopper"); an admin
opens a claim's conversation from the Cases section and reads what the shopper wrote there."""

from __future__ import annotations

import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_checkout_ui import Shopper, api, frontend, shopper, sign_in  # noqa: F401 - the fixture
from tests.browser.test_returns_ui import delivered_two_vendor_order, vendor_page_at
from tests.browser.test_vendor_orders_ui import new_offer, seeded_vendor

pytestmark = pytest.mark.browser


def test_each_side_reaches_a_cases_conversation_from_the_case(page, browser, live_stack, shopper):  # noqa: F811
    vendor = seeded_vendor(live_stack)
    offer = new_offer(live_stack, vendor.token)
    order_id = delivered_two_vendor_order(live_stack, shopper, [vendor], [offer])
    vendor_id = api(live_stack, "GET", "/me", token=vendor.token)["user_id"]
    return_id = api(live_stack, "POST", f"/orders/{order_id}/returns", token=shopper.token, expected=201,
                    body={"lines": [{"line_id": offer["offer_id"], "quantity": 1}], "reason": "damaged"})["return_id"]
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # The shopper writes to the shop from the return's card.
    sign_in(page, live_stack, shopper)
    page.goto(frontend(live_stack, f"#/orders/{order_id}"))
    page.locator(f'[data-testid="return"][data-return-id="{return_id}"] [data-testid="case-thread-link"]').click()
    expect(page.get_by_test_id("compose")).to_be_visible()
    page.get_by_test_id("compose-text").fill("The lantern arrived with a cracked glass.")
    page.get_by_test_id("compose-send").click()
    expect(page.get_by_test_id("message-text")).to_have_count(1)

    # The vendor: "Contact the shopper" on the order card, the same conversation from the return.
    context, vendor_page = vendor_page_at(browser, live_stack, vendor, "#/vendor/orders", errors)
    contact = vendor_page.locator(f'[data-testid="vendor-order"][data-order-id="{order_id}"] '
                                  '[data-testid="vendor-order-contact"]')
    expect(contact).to_have_attribute("href", f"#/vendor/messages?order={order_id}")
    vendor_page.goto(frontend(live_stack, "#/vendor/returns"))
    vendor_page.locator(f'[data-testid="vendor-return"][data-return-id="{return_id}"] '
                        '[data-testid="case-thread-link"]').click()
    expect(vendor_page.get_by_test_id("message-text").first).to_have_text("The lantern arrived with a cracked glass.")
    context.close()

    # An admin opens a claim's conversation from the Cases section.
    claim_id = api(live_stack, "POST", f"/orders/{order_id}/claims", token=shopper.token, expected=201,
                   body={"vendor_id": vendor_id, "reason": "other", "text": "The second lantern never lit."})["claim_id"]
    api(live_stack, "POST", f"/orders/{order_id}/messages", token=shopper.token, expected=201,
        body={"vendor_id": vendor_id, "case_id": claim_id, "text": "About my claim: it never lit.",
              "client_message_id": uuid.uuid4().hex})
    admin = live_stack.credentials["admin"]
    admin_context, admin_page = vendor_page_at(browser, live_stack, Shopper(admin["email"], admin["password"]),
                                               "#/admin/cases", errors)
    link = admin_page.locator(f'[data-testid="case"][data-case-id="{claim_id}"] [data-testid="case-thread-link"]')
    expect(link).to_have_attribute("href", f"#/admin/messages?thread={_thread_id(order_id, vendor_id, claim_id)}")
    link.click()
    expect(admin_page.get_by_test_id("message-text").first).to_have_text("About my claim: it never lit.")
    admin_context.close()
    assert not errors, f"a page raised: {errors}"


def _thread_id(order_id: str, vendor_id: str, case_id: str) -> str:
    from chalicelib.domain.messages import thread_id_for

    return thread_id_for(order_id, vendor_id, case_id)
