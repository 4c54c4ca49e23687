"""The shopper's payment journeys in Debian's Chromium against the real local stack: a declined card
is told in plain words and paid again on the same order, a 3-D Secure card is paid after its
challenge, browser Back then Pay again never makes a second order, and an unpaid order is cancelled
from its page (its stock released). The API is the ground truth for orders and stock.

Each test works for its own fresh shopper. Nothing sleeps: Playwright's `expect` waits for
conditions with deadlines.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_checkout_ui import (
    CARD_OK,
    PAID_WITHIN_MS,
    add_to_cart,
    api,
    available,
    click_pay,
    frontend,
    offers_from_two_vendors,
    open_cart,
    order_id_on_page,
    shopper,  # noqa: F401 - the fixture, used by name
    sign_in,
)

pytestmark = pytest.mark.browser

CARD_INSUFFICIENT_FUNDS = "4000 0000 0000 9995"
CARD_3DS = "4000 0027 6000 3184"


def type_card(page, card: str) -> None:
    page.wait_for_url(re.compile(r"/pay/pi_[^/?]+\?"))
    page.locator("#card-number").fill(card)
    page.locator("#card-expiry").fill("12/34")
    page.locator("#card-cvc").fill("123")
    page.locator("#pay-button").click()


def intent_in_url(page) -> str:
    return re.search(r"/pay/(pi_[^/?]+)", page.url).group(1)


def test_a_declined_card_is_told_in_plain_words_and_try_again_pays_the_same_order(page, live_stack, shopper):  # noqa: F811
    offer = offers_from_two_vendors(live_stack)[0]
    before = available(live_stack, offer)
    sign_in(page, live_stack, shopper)
    add_to_cart(page, live_stack, offer, quantity=2)
    open_cart(page, live_stack)
    click_pay(page)
    intent = intent_in_url(page)

    type_card(page, CARD_INSUFFICIENT_FUNDS)
    expect(page.locator("#payment-error")).to_contain_text("insufficient funds")  # still on the payment step
    page.locator("#cancel-link").click()

    expect(page.get_by_test_id("order-status")).to_have_text("Awaiting payment")
    expect(page.get_by_test_id("payment-declined")).to_contain_text("Your card has insufficient funds.",
                                                                    timeout=PAID_WITHIN_MS)
    expect(page.get_by_test_id("payment-attempt")).to_have_count(1)
    expect(page.get_by_test_id("payment-attempt")).to_have_attribute("data-reason", "insufficient_funds")
    expect(page.locator(".timeline-label", has_text="Payment declined (insufficient funds)")).to_have_count(1)
    order_id = order_id_on_page(page)
    assert available(live_stack, offer) == before - 2  # still held for the retry

    page.get_by_test_id("try-again").click()
    assert intent_in_url(page) == intent  # the same payment of the same order
    type_card(page, CARD_OK)

    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=PAID_WITHIN_MS)
    assert order_id_on_page(page) == order_id
    assert [o["order_id"] for o in api(live_stack, "GET", "/orders", token=shopper.token)["items"]] == [order_id]
    assert available(live_stack, offer) == before - 2


def test_a_3ds_card_is_paid_after_its_challenge(page, live_stack, shopper):  # noqa: F811
    offer = offers_from_two_vendors(live_stack)[1]
    sign_in(page, live_stack, shopper)
    add_to_cart(page, live_stack, offer)
    open_cart(page, live_stack)
    click_pay(page)

    type_card(page, CARD_3DS)
    page.get_by_role("button", name="Complete authentication").click()

    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=PAID_WITHIN_MS)
    order = api(live_stack, "GET", f"/orders/{order_id_on_page(page)}", token=shopper.token)
    assert order["status"] == "paid"


def test_back_then_pay_again_never_makes_a_second_order(page, live_stack, shopper):  # noqa: F811
    offer = offers_from_two_vendors(live_stack)[0]
    before = available(live_stack, offer)
    sign_in(page, live_stack, shopper)
    add_to_cart(page, live_stack, offer, quantity=2)
    open_cart(page, live_stack)
    click_pay(page)
    page.wait_for_url(re.compile(r"/pay/pi_"))
    first_intent = intent_in_url(page)

    page.go_back()  # the browser's Back button, from the card page to the cart
    expect(page.get_by_test_id("pay-button")).to_be_enabled()
    click_pay(page)
    page.wait_for_url(re.compile(r"/pay/pi_"))

    assert intent_in_url(page) == first_intent
    orders = api(live_stack, "GET", "/orders", token=shopper.token)["items"]
    assert len(orders) == 1, orders
    assert available(live_stack, offer) == before - 2  # held once
    type_card(page, CARD_OK)
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=PAID_WITHIN_MS)
    assert order_id_on_page(page) == orders[0]["order_id"]


def test_the_shopper_cancels_an_unpaid_order_from_its_page_and_its_items_are_released(page, live_stack, shopper):  # noqa: F811
    offer = offers_from_two_vendors(live_stack)[1]
    before = available(live_stack, offer)
    sign_in(page, live_stack, shopper)
    add_to_cart(page, live_stack, offer)
    open_cart(page, live_stack)
    click_pay(page)
    page.wait_for_url(re.compile(r"/pay/pi_"))
    (order,) = api(live_stack, "GET", "/orders", token=shopper.token)["items"]
    assert available(live_stack, offer) == before - 1

    page.goto(frontend(live_stack, f"#/orders/{order['order_id']}"))  # the shopper changes their mind
    expect(page.get_by_test_id("order-status")).to_have_text("Awaiting payment")
    page.get_by_test_id("cancel-order").click()
    dialog = page.get_by_test_id("cancel-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_test_id("keep-order").click()  # a second thought: nothing happens
    expect(dialog).to_be_hidden()
    assert api(live_stack, "GET", f"/orders/{order['order_id']}", token=shopper.token)["status"] == "pending_payment"

    page.get_by_test_id("cancel-order").click()
    page.get_by_test_id("confirm-cancel").click()

    expect(page.get_by_test_id("order-status")).to_have_text("Cancelled")
    expect(page.get_by_test_id("cancel-order")).to_have_count(0)
    assert api(live_stack, "GET", f"/orders/{order['order_id']}", token=shopper.token)["status"] == "cancelled"
    assert available(live_stack, offer) == before


def test_a_declined_order_is_paid_with_a_saved_card_from_its_page(page, live_stack, shopper):  # noqa: F811
    first, second = offers_from_two_vendors(live_stack)
    sign_in(page, live_stack, shopper)
    add_to_cart(page, live_stack, first)
    open_cart(page, live_stack)
    page.get_by_test_id("save-card").check()
    click_pay(page)
    type_card(page, CARD_OK)
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=PAID_WITHIN_MS)

    add_to_cart(page, live_stack, second)
    open_cart(page, live_stack)
    page.get_by_test_id("pay-new-card").check()
    click_pay(page)
    type_card(page, "4000 0000 0000 0002")
    expect(page.locator("#payment-error")).to_contain_text("declined")
    page.locator("#cancel-link").click()
    expect(page.get_by_test_id("payment-declined")).to_contain_text("Your card was declined.", timeout=PAID_WITHIN_MS)
    order_id = order_id_on_page(page)

    page.get_by_test_id("pay-saved-card").click()

    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=PAID_WITHIN_MS)
    assert order_id_on_page(page) == order_id
    assert len(api(live_stack, "GET", "/orders", token=shopper.token)["items"]) == 2


def test_back_from_the_card_page_then_pay_with_a_saved_card_pays_the_same_order(page, live_stack, shopper):  # noqa: F811
    first, second = offers_from_two_vendors(live_stack)
    sign_in(page, live_stack, shopper)
    add_to_cart(page, live_stack, first)
    open_cart(page, live_stack)
    page.get_by_test_id("save-card").check()
    click_pay(page)
    type_card(page, CARD_OK)
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=PAID_WITHIN_MS)
    before = available(live_stack, second)

    add_to_cart(page, live_stack, second)
    open_cart(page, live_stack)
    page.get_by_test_id("pay-new-card").check()
    click_pay(page)
    page.wait_for_url(re.compile(r"/pay/pi_"))
    order_id = api(live_stack, "GET", "/orders", token=shopper.token)["items"][0]["order_id"]
    page.go_back()
    expect(page.get_by_test_id("pay-saved-card")).to_be_checked()  # the saved card is offered first
    click_pay(page)  # the same cart: the same order, now charged to the saved card

    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=PAID_WITHIN_MS)
    assert order_id_on_page(page) == order_id
    assert len(api(live_stack, "GET", "/orders", token=shopper.token)["items"]) == 2
    assert available(live_stack, second) == before - 1


def test_a_processing_payment_is_shown_processing_then_paid_without_a_reload(page, live_stack, shopper):  # noqa: F811
    offer = offers_from_two_vendors(live_stack)[0]
    sign_in(page, live_stack, shopper)
    add_to_cart(page, live_stack, offer)
    open_cart(page, live_stack)
    click_pay(page)
    loads: list[str] = []
    page.on("load", lambda frame: loads.append(page.url))

    type_card(page, "4000 0099 0000 0012")  # local only: processing, then succeeds (8 s in tests)

    expect(page.get_by_test_id("payment-processing")).to_contain_text("being processed", timeout=PAID_WITHIN_MS)
    loads_while_processing = len(loads)
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=PAID_WITHIN_MS)
    assert len(loads) == loads_while_processing  # the page followed the order itself


def test_a_saved_3ds_card_brings_the_shopper_to_their_bank_then_the_order_is_paid(page, live_stack, shopper):  # noqa: F811
    first, second = offers_from_two_vendors(live_stack)
    sign_in(page, live_stack, shopper)
    add_to_cart(page, live_stack, first)
    open_cart(page, live_stack)
    page.get_by_test_id("save-card").check()
    click_pay(page)
    type_card(page, CARD_3DS)
    page.get_by_role("button", name="Complete authentication").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=PAID_WITHIN_MS)

    add_to_cart(page, live_stack, second)
    open_cart(page, live_stack)
    expect(page.get_by_test_id("pay-saved-card")).to_be_checked()
    click_pay(page)  # the bank asks: on to the payment page, which links to the bank's check
    page.wait_for_url(re.compile(r"/pay/pi_"))
    page.locator("#authenticate-link").click()
    page.get_by_role("button", name="Complete authentication").click()

    expect(page.get_by_test_id("order-status")).to_have_text("Paid", timeout=PAID_WITHIN_MS)
    orders = api(live_stack, "GET", "/orders", token=shopper.token)["items"]
    assert len(orders) == 2 and order_id_on_page(page) == orders[0]["order_id"]
