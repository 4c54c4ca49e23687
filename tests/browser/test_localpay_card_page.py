"""The local provider's card page in a real browser: a declined card keeps the shopper on the page
with the reason, another card pays the same intent, and 3-D Secure cards go through the challenge.

The shop is stood in for by an intercepted `http://shop.test/` (no live stack needed).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import stripe
from playwright.sync_api import expect

from devstack.localpay import LocalPaymentProvider

SHOP = "http://shop.test/back"


@pytest.fixture
def provider():
    with LocalPaymentProvider("whsec_card_page", deliver=None, processing_delay=None) as running:
        yield running


@pytest.fixture
def card_page(browser, provider):
    """A tab on the card page of a new €12.99 intent; answers (tab, intent)."""
    expect.set_options(timeout=10_000)
    context = browser.new_context(locale="en-IE")
    tab = context.new_page()
    tab.route(re.compile(r"^http://shop\.test/.*"),
              lambda route: route.fulfill(status=200, content_type="text/html", body="<h1>The shop</h1>"))
    sdk = stripe.StripeClient(provider.api_key, base_addresses={"api": provider.url}, max_network_retries=0)
    intent = sdk.v1.payment_intents.create(params={"amount": 1299, "currency": "eur"})
    tab.goto(f"{provider.url}/pay/{intent.id}?" + urlencode({"client_secret": intent.client_secret,
                                                             "return_url": SHOP}))
    yield tab, intent
    context.close()


def pay(tab, card: str) -> None:
    tab.locator("#card-number").fill(card)
    tab.locator("#card-expiry").fill("12/34")
    tab.locator("#card-cvc").fill("123")
    tab.locator("#pay-button").click()


def redirect_status(tab) -> str:
    tab.wait_for_url(re.compile(r"^http://shop\.test/back\?"))
    return parse_qs(urlsplit(tab.url).query)["redirect_status"][0]


def test_a_declined_card_shows_its_reason_and_another_card_pays(card_page, provider):
    tab, intent = card_page

    pay(tab, "4000 0000 0000 0002")
    expect(tab.locator("#payment-error")).to_have_text("Your card was declined. Try another card.")
    pay(tab, "4000 0000 0000 9995")
    expect(tab.locator("#payment-error")).to_have_text("Your card has insufficient funds. Try another card.")
    assert f"/pay/{intent.id}" in tab.url
    pay(tab, "4242 4242 4242 4242")

    assert redirect_status(tab) == "succeeded"
    assert provider.payment_intent(intent.id)["status"] == "succeeded"


def test_a_3ds_card_is_paid_after_completing_the_challenge(card_page, provider):
    tab, intent = card_page

    pay(tab, "4000 0027 6000 3184")
    tab.get_by_role("button", name="Complete authentication").click()

    assert redirect_status(tab) == "succeeded"
    assert provider.payment_intent(intent.id)["status"] == "succeeded"


def test_a_failed_challenge_brings_the_shopper_back_to_the_card_page(card_page, provider):
    tab, intent = card_page

    pay(tab, "4000 0000 0000 3220")
    tab.get_by_role("button", name="Fail authentication").click()

    expect(tab.locator("#payment-error")).to_contain_text("could not confirm this payment with your bank")
    assert provider.payment_intent(intent.id)["status"] == "requires_payment_method"
    tab.locator("#cancel-link").click()
    assert redirect_status(tab) == "failed"
