"""The admin books an adjustment for a vendor from the admin space's Vendors tab: a wrong amount or reason
is named next to its field, a booked one is in the vendor's ledger and balance, once."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_checkout_ui import PASSWORD, api, fresh_email, frontend
from tests.fixtures.vendor_ready import make_vendor_ready_live

ADMIN = ("admin@halles.local", "Halles-demo-1")


def test_the_admin_books_an_adjustment_the_vendor_sees_in_its_ledger_and_balance(page, live_stack):
    email = fresh_email("vendor")
    api(live_stack, "POST", "/auth/signup", expected=201, body={
        "email": email, "password": PASSWORD, "name": "Ada Adjusted", "role": "vendor", "shop_name": "Ada's Attic"})
    make_vendor_ready_live(live_stack, email, PASSWORD)
    session = api(live_stack, "POST", "/auth/signin", body={"email": email, "password": PASSWORD})
    token, vendor_id = session["access_token"], session["user"]["user_id"]
    before = api(live_stack, "GET", "/vendor/balance", token=token)

    page.goto(frontend(live_stack, "#/signin?next=%23%2Fadmin%2Fvendors"))
    page.get_by_test_id("signin-email").fill(ADMIN[0])
    page.get_by_test_id("signin-password").fill(ADMIN[1])
    page.get_by_test_id("auth-submit").click()
    row = page.locator(f'[data-testid="admin-vendor"][data-vendor-id="{vendor_id}"]')  # newest first: on page 1
    row.get_by_test_id("admin-vendor-adjust").click()
    form = page.get_by_test_id("adjustment-form")
    form.get_by_test_id("adjustment-amount").fill("twelve")
    form.get_by_test_id("adjustment-submit").click()
    expect(form.get_by_test_id("field-error-amount")).not_to_be_empty()
    form.get_by_test_id("adjustment-amount").fill("12.50")
    form.get_by_test_id("adjustment-reason").fill("no")
    form.get_by_test_id("adjustment-submit").click()
    expect(form.get_by_test_id("field-error-reason")).not_to_be_empty()  # the API names the field
    form.get_by_test_id("adjustment-reason").fill("Goodwill: courier lost a parcel")
    form.get_by_test_id("adjustment-submit").click()
    expect(form.get_by_test_id("adjustment-done")).to_contain_text("12.50")

    ledger = api(live_stack, "GET", "/vendor/ledger", token=token)["items"]
    adjustments = [e for e in ledger if e["kind"] == "adjustment"]
    assert [(e["amount"]["amount"], e["details"]["reason"]) for e in adjustments] == [
        (1250, "Goodwill: courier lost a parcel")]
    after = api(live_stack, "GET", "/vendor/balance", token=token)
    assert after["available"] - before["available"] == 1250
