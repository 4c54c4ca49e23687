"""A claim in Debian's Chromium against the local stack: the shopper reports a damaged parcel from the order
page, the vendor rejects it from its Claims section, the shopper asks Halles to decide, and the admin
refunds one unit from the Cases section; the shopper reads the decision and the refund on the order page."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.browser.test_checkout_ui import Shopper, api, frontend, shopper, sign_in, sign_in_api  # noqa: F401
from tests.browser.test_vendor_orders_ui import TRACKING_URL, buy, new_offer, seeded_vendor

pytestmark = pytest.mark.browser


def space_page(browser, live_stack, person: Shopper, route: str, errors: list[str]):
    context = browser.new_context(locale="en-IE", viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_stack, person)
    page.goto(frontend(live_stack, route))
    return context, page


def test_a_claim_is_opened_answered_escalated_and_resolved_by_refund(page, browser, live_stack, shopper):  # noqa: F811
    vendor = seeded_vendor(live_stack)
    offer = new_offer(live_stack, vendor.token)
    order_id = buy(page, live_stack, shopper, offer, quantity=2)
    for step, body in (("accept", None), ("ship", {"carrier": "DHL", "tracking_number": "JD014600003828",
                                                   "tracking_url": TRACKING_URL})):
        api(live_stack, "POST", f"/vendor/orders/{order_id}/{step}", token=vendor.token, body=body)

    # The shopper reports a problem from the order page.
    page.goto(frontend(live_stack, f"#/orders/{order_id}"))
    claims = page.get_by_test_id("order-claims")
    claims.get_by_test_id("report-problem").click()
    claims.get_by_test_id("claim-reason").select_option("other")
    claims.get_by_test_id("claim-submit").click()
    expect(claims.get_by_test_id("field-error-text")).not_to_have_text("")  # "other" needs a text
    claims.get_by_test_id("claim-reason").select_option("damaged")
    claims.get_by_test_id("claim-text").fill("One lantern arrived with a cracked glass")
    claims.get_by_test_id("claim-submit").click()
    claim = claims.get_by_test_id("claim")
    expect(claim.get_by_test_id("claim-state")).to_have_text("Waiting for the vendor")
    expect(claim.get_by_test_id("claim-deadline")).to_contain_text("The vendor answers by")
    claim_id = claim.get_attribute("data-claim-id")

    # The vendor rejects it from its Claims section.
    errors: list[str] = []
    context, vendor_page = space_page(browser, live_stack, vendor, "#/vendor/claims", errors)
    card = vendor_page.locator(f'[data-testid="vendor-claim"][data-claim-id="{claim_id}"]')
    expect(card.get_by_test_id("vendor-claim-deadline")).to_contain_text("Answer by")
    card.get_by_test_id("vendor-answer-resolution").select_option("rejection")
    card.get_by_test_id("vendor-answer-submit").click()
    expect(card.get_by_test_id("vendor-answer-error")).not_to_have_text("")  # a rejection needs a reason
    card.get_by_test_id("vendor-answer-reason").fill("The glass was intact when it left")
    card.get_by_test_id("vendor-answer-submit").click()
    expect(card.get_by_test_id("vendor-claim-state")).to_have_text("The vendor answered")
    context.close()

    # The shopper asks Halles to decide.
    page.reload()
    claim = page.get_by_test_id("order-claims").get_by_test_id("claim")
    expect(claim.get_by_test_id("claim-proposal")).to_contain_text("Rejected: The glass was intact")
    claim.get_by_test_id("claim-escalate").click()
    expect(claim.get_by_test_id("claim-state")).to_have_text("With Halles")

    # The admin refunds one unit from the Cases section.
    admin = Shopper(live_stack.credentials["admin"]["email"], live_stack.credentials["admin"]["password"])
    context, admin_page = space_page(browser, live_stack, admin, "#/admin/cases", errors)
    admin_page.get_by_test_id("cases-state").select_option("escalated")
    case = admin_page.locator(f'[data-testid="case"][data-case-id="{claim_id}"]')
    expect(case.get_by_test_id("case-state")).to_have_text("With Halles")
    case.get_by_test_id("case-resolve-resolution").select_option("refund")
    case.get_by_test_id("case-resolve-quantity").fill("1")
    case.get_by_test_id("case-resolve-submit").click()
    admin_page.get_by_test_id("cases-state").select_option("closed")
    resolved = admin_page.locator(f'[data-testid="case"][data-case-id="{claim_id}"]')
    expect(resolved.get_by_test_id("case-resolution")).to_have_text("Decision: Refund of €25.00")
    context.close()
    assert not errors, f"a space page raised: {errors}"

    page.reload()
    claim = page.get_by_test_id("order-claims").get_by_test_id("claim")
    expect(claim.get_by_test_id("claim-state")).to_have_text("Resolved")
    expect(claim.get_by_test_id("claim-resolution")).to_contain_text("Refund of €25.00")
    expect(claim.get_by_test_id("claim-refund")).to_contain_text("25.00")
    token = sign_in_api(live_stack, shopper.email, shopper.password)
    seen = api(live_stack, "GET", f"/claims/{claim_id}", token=token)
    assert seen["refund"]["amount"] == 2500 and seen["resolution"]["lines"] == [[offer["offer_id"], 1]]
    # Counted once, whether the provider's charge.refunded was consumed before or after we recorded it.
    seen_amounts = []
    for _ in range(15):  # the provider's event lands within a few seconds: never counted on top
        seen_amounts.append(api(live_stack, "GET", f"/orders/{order_id}", token=token)["payment"]["refunded"]["amount"])
        time.sleep(0.3)
    assert set(seen_amounts) <= {0, 2500} and seen_amounts[-1] == 2500, seen_amounts
