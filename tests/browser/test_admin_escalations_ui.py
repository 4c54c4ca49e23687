"""Escalations reach the admin on the live stack, in Debian's Chromium: a return and a claim nobody
answered escalate when the schedules run past their deadlines (fired "later" through the devstack
control, as `python -m devstack fire <name> --event '{"time": ...}'` does), then the admin approves
the return from its Returns section and resolves the claim by a refund from its Cases section."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from devstack.schedules import scheduled_event
from tests.browser.test_checkout_ui import api, shopper  # noqa: F401 - the fixture
from tests.browser.test_returns_ui import delivered_two_vendor_order, second_vendor
from tests.browser.test_vendor_money_ui import sign_in_as
from tests.browser.test_vendor_orders_ui import new_offer, seeded_vendor

# Fires schedules as of days ahead, which acts on every live test's returns, claims and orders at once.
pytestmark = [pytest.mark.browser, pytest.mark.live_stack_alone]


def fire_later(live_stack, schedule: str, days: int) -> dict:
    when = datetime.now(UTC) + timedelta(days=days)
    status, answer, _ = live_stack.call("POST", f"/_devstack/fire/{schedule}",
                                        body=scheduled_event(schedule, "eu-west-1", when), timeout=60)
    assert status == 200, answer
    return answer["result"]


def test_an_unanswered_return_and_claim_escalate_and_the_admin_decides_both(page, live_stack, shopper):  # noqa: F811
    vendors = [seeded_vendor(live_stack), second_vendor(live_stack)]
    offers = [new_offer(live_stack, vendor.token) for vendor in vendors]
    order_id = delivered_two_vendor_order(live_stack, shopper, vendors, offers)
    status, asked, _ = live_stack.call("POST", f"/orders/{order_id}/returns", token=shopper.token,
                                       headers={"Idempotency-Key": uuid.uuid4().hex},
                                       body={"lines": [{"line_id": offers[0]["offer_id"], "quantity": 1}],
                                             "reason": "wrong_item", "text": "A blue one came, I ordered red"})
    assert status == 201 and asked["state"] == "requested", asked
    second_id = api(live_stack, "GET", "/me", token=vendors[1].token)["user_id"]
    status, claim, _ = live_stack.call("POST", f"/orders/{order_id}/claims", token=shopper.token,
                                       body={"vendor_id": second_id, "reason": "damaged", "text": "Cracked case"})
    assert status == 201, claim

    assert fire_later(live_stack, "escalate_overdue_returns", days=30).get("escalated", 0) >= 1
    assert fire_later(live_stack, "escalate_overdue_claims", days=30).get("escalated", 0) >= 1
    token = shopper.token
    assert api(live_stack, "GET", f"/returns/{asked['return_id']}", token=token)["state"] == "escalated"
    assert api(live_stack, "GET", f"/claims/{claim['claim_id']}", token=token)["state"] == "escalated"

    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in_as(page, live_stack, "admin@halles.local", "#/admin/returns")
    card = page.locator(f'[data-testid="admin-return"][data-return-id="{asked["return_id"]}"]')
    card.get_by_test_id("admin-return-approve").click()
    expect(card).to_have_attribute("data-state", "approved")
    seen = api(live_stack, "GET", f"/returns/{asked['return_id']}", token=token)
    assert seen["state"] == "approved" and seen["decided_by"] == "admin"

    page.goto(page.url.split("#")[0] + "#/admin/cases")
    page.get_by_test_id("cases-state").select_option("escalated")
    case = page.locator(f'[data-testid="case"][data-case-id="{claim["claim_id"]}"]')
    expect(case.get_by_test_id("case-state")).to_have_text("With Halles")
    case.get_by_test_id("case-resolve-resolution").select_option("refund")
    case.get_by_test_id("case-resolve-quantity").fill("1")
    case.get_by_test_id("case-resolve-submit").click()
    # The decision is saved before the closed list is asked for (else it may be read without it).
    live_stack.wait_for(lambda: api(live_stack, "GET", f"/claims/{claim['claim_id']}", token=token)["state"]
                        == "resolved", "the admin's decision to be saved")
    page.get_by_test_id("cases-state").select_option("closed")
    resolved = page.locator(f'[data-testid="case"][data-case-id="{claim["claim_id"]}"]')
    expect(resolved.get_by_test_id("case-resolution")).to_contain_text("Decision: Refund of €25.00")
    assert api(live_stack, "GET", f"/claims/{claim['claim_id']}", token=token)["state"] == "resolved"
    assert not errors, f"the pages raised: {errors}"
