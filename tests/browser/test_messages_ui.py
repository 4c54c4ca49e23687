"""Messages in Debian's Chromium against the local stack: a shopper pays for a seeded vendor's offer,
writes to the vendor from the order page ("Contact the vendor") with an e-mail address in the text,
which is shown masked; the vendor sees the unread badge in the header, opens the conversation in its
Messages section and replies; the shopper sees the unread badge and the reply. The platform reads the
conversation in the admin space, posts only after joining it with a reason, and the shopper sees that."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_checkout_ui import Shopper, api, frontend, shopper, sign_in  # noqa: F401 - the fixture
from tests.browser.test_vendor_orders_ui import buy, new_offer, seeded_vendor

pytestmark = pytest.mark.browser

EMAIL_PLACEHOLDER = "[e-mail hidden]"


@pytest.mark.live_stack_alone  # counts the demo vendor's unread messages, which other tests' messages change
def test_a_shopper_writes_to_a_vendor_about_an_order_and_reads_the_reply(page, browser, live_stack, shopper):  # noqa: F811
    vendor = seeded_vendor(live_stack)
    order_id = buy(page, live_stack, shopper, new_offer(live_stack, vendor.token))
    before = api(live_stack, "GET", "/vendor/messages/unread-count", token=vendor.token)["unread"]

    page.get_by_test_id("contact-vendor").first.click()
    expect(page.get_by_test_id("compose")).to_be_visible()
    page.get_by_test_id("compose-text").fill("Hello! Is it waterproof? Write to me at ada.shopper@example.com")
    page.get_by_test_id("compose-send").click()
    texts = page.get_by_test_id("message-text")
    expect(texts).to_have_count(1)
    expect(texts.first).to_have_text(f"Hello! Is it waterproof? Write to me at {EMAIL_PLACEHOLDER}")
    thread_id = page.get_by_test_id("conversation").get_attribute("data-thread-id")
    expect(page.locator(f'[data-testid="thread-row"][data-thread-id="{thread_id}"]')).to_be_visible()

    errors: list[str] = []
    context = browser.new_context(locale="en-IE", viewport={"width": 1280, "height": 900})
    vendor_page = context.new_page()
    vendor_page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(vendor_page, live_stack, vendor)
    expect(vendor_page.get_by_test_id("messages-unread")).to_have_text(str(before + 1))
    vendor_page.get_by_test_id("messages-link").click()
    row = vendor_page.locator(f'[data-testid="thread-row"][data-thread-id="{thread_id}"]')
    expect(row.get_by_test_id("thread-unread")).to_have_text("1")
    row.locator("a").click()
    expect(vendor_page.get_by_test_id("message-text").first).to_contain_text(EMAIL_PLACEHOLDER)
    expect(vendor_page.get_by_test_id("conversation")).not_to_contain_text("ada.shopper")
    badge = vendor_page.get_by_test_id("messages-unread")
    if before:  # the demo vendor may have unread messages of its own (a reused local stack)
        expect(badge).to_have_text(str(before))
    else:
        expect(badge).to_be_hidden()
    vendor_page.get_by_test_id("reply-text").fill("Yes, 3000 mm. It ships tomorrow.")
    vendor_page.get_by_test_id("reply-send").click()
    expect(vendor_page.get_by_test_id("message-text")).to_have_count(2)
    context.close()
    assert not errors, f"the vendor's page raised: {errors}"

    page.goto(frontend(live_stack, f"#/orders/{order_id}"))
    expect(page.get_by_test_id("messages-unread")).to_have_text("1")
    page.get_by_test_id("messages-link").click()
    page.locator(f'[data-testid="thread-row"][data-thread-id="{thread_id}"] a').click()
    expect(page.get_by_test_id("message-text").nth(1)).to_have_text("Yes, 3000 mm. It ships tomorrow.")
    expect(page.get_by_test_id("messages-unread")).to_be_hidden()

    admin_context = browser.new_context(locale="en-IE", viewport={"width": 1280, "height": 900})
    admin_page = admin_context.new_page()
    admin_page.on("pageerror", lambda exc: errors.append(str(exc)))
    admin = live_stack.credentials["admin"]
    sign_in(admin_page, live_stack, Shopper(admin["email"], admin["password"]))
    admin_page.goto(frontend(live_stack, "#/admin/messages"))
    admin_page.locator(f'[data-testid="admin-all-threads"] [data-thread-id="{thread_id}"] a').click()
    expect(admin_page.get_by_test_id("message-text")).to_have_count(2)
    expect(admin_page.get_by_test_id("reply-form")).to_have_count(0)  # reads, but may not post yet
    admin_page.get_by_test_id("join-send").click()
    expect(admin_page.get_by_test_id("join-error")).to_contain_text("Reason")
    admin_page.get_by_test_id("join-reason").fill("The shopper asked the platform for help")
    admin_page.get_by_test_id("join-send").click()
    expect(admin_page.locator(f'[data-testid="admin-escalated-threads"] [data-thread-id="{thread_id}"]')).to_be_visible()
    admin_page.get_by_test_id("reply-text").fill("Halles support here: we follow this order.")
    admin_page.get_by_test_id("reply-send").click()
    expect(admin_page.get_by_test_id("message-text")).to_have_count(3)
    admin_context.close()
    assert not errors, f"the admin's page raised: {errors}"

    page.reload()
    expect(page.get_by_test_id("conversation-escalated")).to_contain_text("The shopper asked the platform for help")
    expect(page.get_by_test_id("message").nth(2)).to_have_attribute("data-author", "admin")
    expect(page.get_by_test_id("message-text").nth(2)).to_have_text("Halles support here: we follow this order.")
