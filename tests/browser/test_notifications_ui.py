"""Notifications in Debian's Chromium against the local stack: a shopper pays an order; the shopper's
inbox shows the confirmation (with the unread badge in the header), the vendor's inbox the new order,
the local outbox the two e-mails; consents and language set on the settings page are remembered."""

from __future__ import annotations

import urllib.request

import pytest
from playwright.sync_api import expect

from tests.browser.test_checkout_ui import (
    api,
    frontend,
    shopper,  # noqa: F401 - the fixture
    sign_in,
)
from tests.browser.test_vendor_orders_ui import buy, new_offer, seeded_vendor

pytestmark = pytest.mark.browser

DELIVERED_WITHIN_MS = 20_000  # the local stack pumps the notifications queue every few seconds


def test_paying_an_order_fills_the_shoppers_and_the_vendors_inboxes(page, browser, live_stack, shopper):  # noqa: F811
    vendor = seeded_vendor(live_stack)
    order_id = buy(page, live_stack, shopper, new_offer(live_stack, vendor.token))
    number = api(live_stack, "GET", f"/orders/{order_id}", token=shopper.token)["order_number"]

    page.goto(frontend(live_stack, "#/inbox"))
    confirmation = page.get_by_test_id("inbox-item").filter(has_text=f"Order {number} confirmed")
    for _ in range(10):  # the consumer runs a moment after the payment
        if confirmation.count():
            break
        page.wait_for_timeout(DELIVERED_WITHIN_MS // 10)
        page.reload()
    expect(confirmation).to_have_count(1)
    badge = page.get_by_test_id("inbox-count")
    expect(badge).to_be_visible()
    unread = int(badge.inner_text())
    confirmation.get_by_test_id("inbox-mark-read").click()
    expect(confirmation.get_by_test_id("inbox-mark-read")).to_have_count(0)
    if unread > 1:
        expect(badge).to_have_text(str(unread - 1))
    else:
        expect(badge).to_be_hidden()
    expect(confirmation.get_by_test_id("inbox-title")).to_have_attribute("href", f"#/orders/{order_id}")

    errors: list[str] = []
    context = browser.new_context(locale="en-IE", viewport={"width": 1280, "height": 900})
    vendor_page = context.new_page()
    vendor_page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(vendor_page, live_stack, vendor)
    vendor_page.goto(frontend(live_stack, "#/inbox"))
    expect(vendor_page.get_by_test_id("inbox-item").filter(has_text=f"New order {number} to ship")).to_have_count(1)
    expect(vendor_page.get_by_test_id("inbox-link")).to_be_visible()
    context.close()
    assert not errors, f"the vendor's page raised: {errors}"

    # The local outbox shows both e-mails as rendered pages.
    page.goto(f"{live_stack.frontend.rstrip('/')}/_outbox")
    expect(page.get_by_role("link", name=f"Order {number} confirmed")).to_have_count(1)
    expect(page.get_by_role("link", name=f"New order {number} to ship")).to_have_count(1)
    page.get_by_role("link", name=f"Order {number} confirmed").click()
    expect(page.get_by_text("Delivery address")).to_be_visible()
    text = urllib.request.urlopen(page.url + ".txt", timeout=10).read().decode()
    assert f"Order {number} confirmed" in text and "Total:" in text


def test_consents_and_language_are_remembered(page, live_stack, shopper):  # noqa: F811
    sign_in(page, live_stack, shopper)
    page.goto(frontend(live_stack, "#/settings"))
    surveys = page.get_by_test_id("consent-surveys")
    expect(surveys).to_be_enabled()
    expect(surveys).not_to_be_checked()
    surveys.check()
    expect(page.get_by_test_id("settings-status")).to_have_text("Consent given.")
    page.get_by_test_id("settings-locale").select_option("fr")
    expect(page.get_by_test_id("settings-status")).to_have_text("Language saved.")

    page.reload()
    expect(page.get_by_test_id("consent-surveys")).to_be_checked()
    expect(page.get_by_test_id("consent-marketing")).not_to_be_checked()
    expect(page.get_by_test_id("settings-locale")).to_have_value("fr")
    page.get_by_text("History of your choices").click()
    expect(page.get_by_test_id("consent-history")).to_contain_text("gave consent to surveys (account settings)")

    page.get_by_test_id("consent-surveys").uncheck()
    expect(page.get_by_test_id("settings-status")).to_have_text("Consent withdrawn.")
    page.reload()
    expect(page.get_by_test_id("consent-surveys")).not_to_be_checked()
