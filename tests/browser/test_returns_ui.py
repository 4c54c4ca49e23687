"""A return from request to refund in Debian's Chromium against the local stack: a shopper returns one
line of a two-vendor order from the order page, the vendor approves it in its Returns section, the
shopper sends it back with tracking, the vendor receives it (restock) and the shopper is refunded
exactly that line; the vendor's Money page shows the refund and the reversal of its paid-out share."""

from __future__ import annotations

import re
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_checkout_ui import api, frontend, shopper, sign_in  # noqa: F401 - the fixture
from tests.browser.test_vendor_money_ui import TRACKING, confirm_with_test_card
from tests.browser.test_vendor_orders_ui import new_offer, seeded_vendor
from tests.fixtures.addresses import checkout_body

pytestmark = pytest.mark.browser


def second_vendor(live_stack):
    from tests.browser.test_checkout_ui import Shopper, sign_in_api

    seeded = live_stack.credentials["vendors"][1]
    vendor = Shopper(seeded["email"], seeded["password"])
    vendor.token = sign_in_api(live_stack, vendor.email, vendor.password)
    return vendor


def delivered_two_vendor_order(live_stack, shopper, vendors, offers) -> str:  # noqa: F811
    """Paid (the test card, as Stripe.js pays), shipped and delivered by both vendors; the first vendor
    is paid out (the shopper confirmed its parcel)."""
    for offer in offers:
        api(live_stack, "PUT", f"/cart/lines/{offer['offer_id']}", token=shopper.token, body={"quantity": 1})
    status, answer, _ = live_stack.call("POST", "/checkout", body=checkout_body(), token=shopper.token,
                                        headers={"Idempotency-Key": uuid.uuid4().hex})
    assert status == 201, answer
    order_id = answer["order"]["order_id"]
    confirm_with_test_card(live_stack, answer["payment"]["payment_intent_id"])
    live_stack.wait_for(lambda: api(live_stack, "GET", f"/orders/{order_id}", token=shopper.token)["status"] == "paid",
                        f"order {order_id} to be paid", timeout=60)  # the webhook's way through the queue, under load
    for vendor in vendors:
        for step, body in (("accept", None), ("ship", TRACKING), ("deliver", None)):
            api(live_stack, "POST", f"/vendor/orders/{order_id}/{step}", token=vendor.token, body=body)
    first_id = api(live_stack, "GET", "/me", token=vendors[0].token)["user_id"]
    paid = api(live_stack, "POST", f"/orders/{order_id}/vendors/{first_id}/confirm-receipt", token=shopper.token)
    assert paid["payout"]["status"] == "transferred", paid
    return order_id


def vendor_page_at(browser, live_stack, vendor, hash_: str, errors: list[str]):
    context = browser.new_context(locale="en-IE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_stack, vendor)
    page.goto(frontend(live_stack, hash_))
    return context, page


def test_a_shopper_returns_one_line_and_is_refunded_exactly_that_line(page, browser, live_stack, shopper):  # noqa: F811
    vendors = [seeded_vendor(live_stack), second_vendor(live_stack)]
    offers = [new_offer(live_stack, vendor.token) for vendor in vendors]  # 25.00 each, 4.90 shipping
    order_id = delivered_two_vendor_order(live_stack, shopper, vendors, offers)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    # The shopper asks to return the first vendor's line from the order page.
    sign_in(page, live_stack, shopper)
    page.goto(frontend(live_stack, f"#/orders/{order_id}"))
    panel = page.get_by_test_id("order-returns")
    panel.get_by_test_id("return-items").click()
    panel.get_by_test_id("return-submit").click()
    expect(panel.get_by_test_id("return-form-error")).to_contain_text("Pick at least one")
    panel.locator(f'[data-testid="return-pick"][data-offer-id="{offers[0]["offer_id"]}"]').check()
    panel.get_by_test_id("return-reason").select_option("other")
    panel.get_by_test_id("return-submit").click()
    expect(panel.get_by_test_id("field-error-text")).not_to_have_text("")  # "other" needs a text
    panel.get_by_test_id("return-text").fill("The glass is cracked.")
    panel.get_by_test_id("return-submit").click()
    card = panel.get_by_test_id("return")
    expect(card.get_by_test_id("return-state")).to_have_text("Requested: awaiting the vendor")
    expect(card.get_by_test_id("return-refund")).to_contain_text("25.00")
    return_id = card.get_attribute("data-return-id")

    # The vendor approves it in its Returns section.
    context, vendor_page = vendor_page_at(browser, live_stack, vendors[0], "#/vendor/returns", errors)
    returned = vendor_page.locator(f'[data-testid="vendor-return"][data-return-id="{return_id}"]')
    expect(returned.get_by_test_id("vendor-return-deadline")).to_contain_text("Answer by")
    returned.get_by_test_id("vendor-return-approve").click()
    expect(returned.get_by_test_id("return-state")).to_have_text("Approved: send it back")

    # The shopper sends it back with the label reference and tracking.
    page.reload()
    card = page.get_by_test_id("order-returns").get_by_test_id("return")
    expect(card.get_by_test_id("return-label-reference")).to_contain_text("RL-H-")
    card.get_by_test_id("return-carrier").fill("La Poste")
    card.get_by_test_id("return-tracking_number").fill("6A123456789")
    card.get_by_test_id("return-ship-back").click()
    expect(page.get_by_test_id("order-returns").get_by_test_id("return-state")).to_have_text("On its way back")

    # The vendor receives it (back on sale) and the shopper is refunded in the same step.
    vendor_page.reload()
    returned = vendor_page.locator(f'[data-testid="vendor-return"][data-return-id="{return_id}"]')
    returned.get_by_test_id("vendor-return-receive").click()
    expect(returned.get_by_test_id("return-state")).to_have_text("Refunded")
    expect(returned.get_by_test_id("vendor-return-refund")).to_contain_text("25.00")

    page.reload()
    card = page.get_by_test_id("order-returns").get_by_test_id("return")
    expect(card.get_by_test_id("return-state")).to_have_text("Refunded")
    expect(card.get_by_test_id("return-refund")).to_contain_text("Refunded: €25.00")
    live_stack.wait_for(lambda: api(live_stack, "GET", f"/orders/{order_id}",
                                    token=shopper.token)["payment"]["refunded"]["amount"] == 2500,
                        "the shopper refunded exactly the returned line", timeout=60)

    # The vendor's Money page shows the refund and the reversal of its paid-out share.
    vendor_page.goto(frontend(live_stack, "#/vendor/money"))
    rows = vendor_page.locator(f'[data-testid="ledger-entry"]:has(td:text-is("{order_id}"))')
    expect(rows.and_(vendor_page.locator('[data-kind="refund"]'))).to_have_count(1)
    expect(rows.and_(vendor_page.locator('[data-kind="transfer_reversal"]'))).to_have_count(1)
    context.close()
    assert not errors, f"the pages raised: {errors}"


@pytest.mark.live_stack_alone  # the demo vendor's rules would auto-approve other tests' returns meanwhile
def test_the_vendor_sets_its_return_rules_and_the_admin_opens_its_returns_queues(page, browser, live_stack):
    from tests.browser.test_vendor_money_ui import sign_in_as

    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in_as(page, live_stack, "nordic-home@halles.local", "#/vendor/returns")
    expect(page.get_by_test_id("vendor-returns-status")).to_have_text("No returns here.")
    page.get_by_test_id("return-rules").locator("summary").click()
    form = page.get_by_test_id("return-rules-form")
    form.get_by_test_id("rules-window_days").fill("30")
    form.get_by_test_id("rules-restocking_percent").fill("60")
    form.get_by_role("button", name="Save rules").click()
    expect(form.get_by_test_id("field-error-restocking_percent")).not_to_have_text("")  # at most 50%
    form.get_by_test_id("rules-restocking_percent").fill("10")
    form.get_by_label("Damaged").check()
    form.get_by_role("button", name="Save rules").click()
    expect(form.locator(".form-error")).to_have_text("Saved.")
    token = api(live_stack, "POST", "/auth/signin", body={"email": "nordic-home@halles.local",
                                                           "password": "Halles-demo-1"})["access_token"]
    assert api(live_stack, "GET", "/vendor/return-rules", token=token) == {
        "window_days": 30, "restocking_percent": 10, "auto_approve_reasons": ["damaged"], "auto_approve_below": None}

    page.evaluate("() => sessionStorage.clear()")
    sign_in_as(page, live_stack, "admin@halles.local", "#/admin/returns")
    expect(page.get_by_test_id("admin-returns-status")).to_have_text(re.compile(r"waiting"))
    page.get_by_test_id("admin-returns-queue").select_option("refund_failed")
    expect(page.get_by_test_id("admin-returns-status")).to_have_text(re.compile(r"waiting"))
    assert not errors, f"the pages raised: {errors}"
