"""The vendor's Money section and the admin's Commissions section, in the browser against the local stack:
a paid and delivered order shows its sale, commission and transfer; the admin edits a rule."""

from __future__ import annotations

import re
import urllib.parse
import urllib.request
import uuid

import pytest
from playwright.sync_api import expect

from tests.browser.test_checkout_ui import PASSWORD, Shopper, api, fresh_email, frontend, sign_in_api
from tests.fixtures.addresses import checkout_body

DEMO_PASSWORD = "Halles-demo-1"
LOCAL_API_KEY = "sk_test_local_halles"
TRACKING = {"carrier": "DHL", "tracking_number": "JD014600003828",
            "tracking_url": "https://www.dhl.com/track?id=JD014600003828"}  # the local provider's secret key (devstack/localpay)


def sign_in_as(page, live_stack, email: str, next_hash: str) -> None:
    page.goto(frontend(live_stack, f"#/signin?next={urllib.parse.quote(next_hash, safe='')}"))
    page.get_by_test_id("signin-email").fill(email)
    page.get_by_test_id("signin-password").fill(DEMO_PASSWORD)
    page.get_by_test_id("auth-submit").click()


def confirm_with_test_card(live_stack, payment_intent_id: str) -> None:
    """What Stripe.js does with pm_card_visa on the local provider (it then signs and posts the webhook)."""
    data = urllib.parse.urlencode({"payment_method": "pm_card_visa", "return_url": live_stack.frontend}).encode()
    request = urllib.request.Request(f"{live_stack.payments}/v1/payment_intents/{payment_intent_id}/confirm",
                                     data=data, method="POST", headers={"Authorization": f"Bearer {LOCAL_API_KEY}"})
    with urllib.request.urlopen(request, timeout=15) as response:
        assert response.status == 200


def paid_and_delivered_order_of(live_stack, vendor_token: str) -> tuple[str, str]:
    """A new shopper buys one unit of a new offer of the vendor's (its own stock: tests share the live stack) and
    pays; the vendor ships; the shopper confirms receipt."""
    from tests.browser.test_vendor_orders_ui import new_offer

    vendor_id = api(live_stack, "GET", "/me", token=vendor_token)["user_id"]
    offer = new_offer(live_stack, vendor_token)
    shopper = Shopper(fresh_email(), PASSWORD)
    api(live_stack, "POST", "/auth/signup", expected=201,
        body={"email": shopper.email, "password": PASSWORD, "name": "Money Shopper", "role": "shopper"})
    token = sign_in_api(live_stack, shopper.email, PASSWORD)
    api(live_stack, "PUT", f"/cart/lines/{offer['offer_id']}", token=token, body={"quantity": 1})
    status, answer, _ = live_stack.call("POST", "/checkout", body=checkout_body(), token=token,
                                        headers={"Idempotency-Key": uuid.uuid4().hex})
    assert status == 201, answer
    order_id = answer["order"]["order_id"]
    confirm_with_test_card(live_stack, answer["payment"]["payment_intent_id"])
    live_stack.wait_for(lambda: api(live_stack, "GET", f"/orders/{order_id}", token=token)["status"] == "paid",
                        f"order {order_id} to be paid")
    for step, body in (("accept", None), ("ship", TRACKING)):  # the vendor ships: only then may the shopper confirm
        api(live_stack, "POST", f"/vendor/orders/{order_id}/{step}", token=vendor_token, body=body)
    delivered = api(live_stack, "POST", f"/orders/{order_id}/vendors/{vendor_id}/confirm-receipt", token=token)
    assert delivered["payout"]["status"] == "transferred", delivered
    return order_id, delivered["payout"]["transfer_id"]


def test_the_money_section_shows_sale_commission_and_transfer_of_a_paid_and_delivered_order(page, live_stack):
    vendor_token = sign_in_api(live_stack, "alpine@halles.local", DEMO_PASSWORD)
    order_id, transfer_id = paid_and_delivered_order_of(live_stack, vendor_token)

    sign_in_as(page, live_stack, "alpine@halles.local", "#/vendor/money")
    expect(page.get_by_test_id("vendor-tab-money")).to_have_attribute("aria-current", "page")
    rows = page.locator(f'[data-testid="ledger-entry"]:has(td:text-is("{order_id}"))')
    expect(rows).to_have_count(4)  # sale, commission, payout released, transfer
    kinds = rows.evaluate_all("rows => rows.map(r => r.dataset.kind)")
    assert sorted(kinds) == ["commission", "payout_release", "sale", "transfer"]
    expect(rows.filter(has_text="Transfer to you")).to_contain_text(transfer_id)
    expect(rows.filter(has_text="Commission")).to_contain_text("-")

    expect(page.get_by_test_id("balance-paid-out")).to_contain_text("Paid out")
    chart = page.get_by_test_id("sales-chart")
    expect(chart).to_have_attribute("role", "img")
    expect(chart.locator("desc")).to_contain_text("in total")
    expect(page.get_by_test_id("payout-made").filter(has_text=order_id)).to_have_count(1)

    # The admin sees this order's money reconciled with the provider (other tests' orders may not be).
    page.evaluate("() => sessionStorage.clear()")
    sign_in_as(page, live_stack, "admin@halles.local", "#/admin/reconciliation")
    expect(page.get_by_test_id("reconciliation-status")).to_contain_text(re.compile(r"Reconciled|mismatch"))
    expect(page.get_by_test_id("mismatch").filter(has_text=order_id)).to_have_count(0)


def test_the_vendor_downloads_its_ledger_as_csv(page, live_stack):
    vendor_token = sign_in_api(live_stack, "alpine@halles.local", DEMO_PASSWORD)
    _, transfer_id = paid_and_delivered_order_of(live_stack, vendor_token)
    sign_in_as(page, live_stack, "alpine@halles.local", "#/vendor/money")
    expect(page.get_by_test_id("ledger-entry").first).to_be_visible()
    with page.expect_download() as download_info:
        page.get_by_test_id("ledger-csv").click()
    content = open(download_info.value.path(), encoding="utf-8").read()
    assert content.startswith("at,kind,amount,currency,order_id") and transfer_id in content


@pytest.mark.live_stack_alone  # the commission rules apply to every checkout other tests make meanwhile
def test_the_admin_edits_a_category_rate_and_the_rules_keep_it(page, live_stack):
    admin_token = sign_in_api(live_stack, "admin@halles.local", DEMO_PASSWORD)
    before = api(live_stack, "GET", "/admin/commissions", token=admin_token)
    try:
        sign_in_as(page, live_stack, "admin@halles.local", "#/admin/commissions")
        form = page.get_by_test_id("commissions-form")
        expect(form).to_be_visible()
        category = form.locator('input[name^="categories."]').first
        slug = category.get_attribute("name").split(".", 1)[1]
        category.fill("12.5")
        page.get_by_test_id("rate-default_bps").fill("70")
        page.get_by_test_id("commissions-save").click()
        expect(page.get_by_test_id("field-error-default_bps")).to_contain_text("At most 50 %")
        page.get_by_test_id("rate-default_bps").fill("10")
        page.get_by_test_id("commissions-save").click()
        expect(page.get_by_test_id("commissions-status")).to_contain_text("Rules saved")

        saved = api(live_stack, "GET", "/admin/commissions", token=admin_token)
        assert saved["categories"][slug] == 1250 and saved["default_bps"] == 1000
        page.reload()
        expect(page.locator(f'input[name="categories.{slug}"]')).to_have_value("12.5")
    finally:
        current = api(live_stack, "GET", "/admin/commissions", token=admin_token)
        api(live_stack, "PUT", "/admin/commissions", token=admin_token, body={
            "default_bps": before["default_bps"], "categories": before["categories"], "vendors": before["vendors"],
            "version": current["version"]})
