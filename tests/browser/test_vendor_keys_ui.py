"""Vendor space, "API keys": a vendor creates a key, sees its secret once (it works), and revokes it."""

from __future__ import annotations

from playwright.sync_api import expect

from tests.browser.test_checkout_ui import PASSWORD, Shopper, api, fresh_email, frontend, sign_in


def a_vendor(live_stack) -> Shopper:
    vendor = Shopper(fresh_email("vendor"), PASSWORD)
    api(live_stack, "POST", "/auth/signup", expected=201,
        body={"email": vendor.email, "password": PASSWORD, "name": "Kai Keys", "role": "vendor",
              "shop_name": "Kai's Keys"})
    return vendor


def test_a_vendor_creates_a_key_sees_it_once_and_revokes_it(page, live_stack):
    vendor = a_vendor(live_stack)
    sign_in(page, live_stack, vendor)
    page.goto(frontend(live_stack, "#/vendor/api-keys"))
    expect(page.get_by_test_id("vendor-tab-api-keys")).to_have_attribute("aria-current", "page")
    expect(page.get_by_test_id("api-keys-status")).to_have_text("You have no API keys yet.")

    # A blank name is refused next to the field, nothing is created.
    page.get_by_test_id("api-key-create").click()
    expect(page.get_by_test_id("field-error-name")).not_to_be_empty()
    expect(page.get_by_test_id("api-key")).to_have_count(0)

    page.get_by_test_id("api-key-name").fill("Warehouse sync")
    page.get_by_test_id("api-key-scope").select_option("read")
    page.get_by_test_id("api-key-create").click()

    secret_box = page.get_by_test_id("api-key-secret-box")
    expect(secret_box).to_contain_text("only time it is shown")
    secret = page.get_by_test_id("api-key-secret").input_value()
    assert secret.startswith("hk_test_")
    row = page.get_by_test_id("api-key")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Warehouse sync")
    expect(row).to_contain_text("Read only")
    expect(row.get_by_test_id("api-key-last-used")).to_have_text("Never")
    assert secret.rsplit("_", 1)[1] not in row.inner_text()

    page.get_by_test_id("api-key-copy").click()
    expect(page.get_by_test_id("api-key-copied")).not_to_be_empty()

    # The key works for the vendor's own system...
    status, body, _ = live_stack.call("GET", "/vendor/offers", token=secret)
    assert status == 200, body

    # ...and once dismissed the secret is gone from the page, for good.
    page.get_by_test_id("api-key-secret-done").click()
    expect(secret_box).to_be_hidden()
    page.reload()
    expect(page.get_by_test_id("api-key")).to_have_count(1)
    expect(page.get_by_test_id("api-key-last-used")).not_to_have_text("Never")
    assert secret.rsplit("_", 1)[1] not in page.content()

    # Revoke asks in place; Cancel keeps the key.
    page.get_by_test_id("api-key-revoke").click()
    expect(page.get_by_test_id("api-key-revoke-confirm")).to_be_visible()
    page.get_by_test_id("api-key-cancel").click()
    expect(page.get_by_test_id("api-key-revoke-confirm")).to_have_count(0)
    assert live_stack.call("GET", "/vendor/offers", token=secret)[0] == 200

    page.get_by_test_id("api-key-revoke").click()
    page.get_by_test_id("api-key-revoke-confirm").click()
    expect(page.get_by_test_id("api-key")).to_have_attribute("data-status", "revoked")
    expect(page.get_by_test_id("api-key-status")).to_contain_text("Revoked")
    expect(page.get_by_test_id("api-key-rotate")).to_have_count(0)
    status, body, _ = live_stack.call("GET", "/vendor/offers", token=secret)
    assert status == 401 and body["error"]["code"] == "invalid_api_key"


def test_rotating_a_key_shows_the_new_secret_once_and_the_old_one_stops(page, live_stack):
    vendor = a_vendor(live_stack)
    sign_in(page, live_stack, vendor)
    page.goto(frontend(live_stack, "#/vendor/api-keys"))
    page.get_by_test_id("api-key-name").fill("Order export")
    page.get_by_test_id("api-key-create").click()
    old = page.get_by_test_id("api-key-secret").input_value()
    page.get_by_test_id("api-key-secret-done").click()

    page.get_by_test_id("api-key-rotate").click()
    page.get_by_test_id("api-key-grace").select_option("0")
    page.get_by_test_id("api-key-rotate-confirm").click()
    expect(page.get_by_test_id("api-key-secret-box")).to_contain_text("rotated")
    new = page.get_by_test_id("api-key-secret").input_value()
    assert new != old and new.rsplit("_", 1)[0] == old.rsplit("_", 1)[0]
    assert live_stack.call("GET", "/vendor/offers", token=old)[0] == 401
    assert live_stack.call("GET", "/vendor/offers", token=new)[0] == 200
