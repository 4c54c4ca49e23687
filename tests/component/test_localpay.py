"""The local payment provider plays Stripe's part: test cards, the payment page, signed events
with retried delivery, idempotency, Connect onboarding, and snapshots of its state.

Requests go over real HTTP, either raw (to see the wire format) or through Stripe's own SDK.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import stripe

from devstack.localpay import LocalPaymentProvider, submit_payment_page

SECRET = "whsec_localpay_tests"
CONNECT_SECRET = "whsec_localpay_connect_tests"


class Inbox:
    """A webhook endpoint as a callable: records what it got, answers the statuses it is told to."""

    def __init__(self, *statuses: int):
        self.statuses = list(statuses)
        self.received: list[tuple[bytes, dict]] = []

    def __call__(self, body: bytes, headers: dict) -> int:
        self.received.append((body, headers))
        return self.statuses.pop(0) if self.statuses else 200

    def events(self) -> list[dict]:
        return [json.loads(body) for body, _ in self.received]


@pytest.fixture
def inbox():
    return Inbox()


@pytest.fixture
def provider(inbox):
    with LocalPaymentProvider(SECRET, deliver=inbox, auto_deliver=False, processing_delay=None) as running:
        yield running


@pytest.fixture
def sdk(provider):
    return stripe.StripeClient(provider.api_key, base_addresses={"api": provider.url}, max_network_retries=0)


def api(provider, method: str, path: str, form: str = "", *, key: str | None = "default",
        headers: dict | None = None) -> tuple[int, dict, dict]:
    """A raw API call: (status, JSON body, response headers)."""
    sent = {"Content-Type": "application/x-www-form-urlencoded", **(headers or {})}
    if key:
        sent["Authorization"] = f"Bearer {provider.api_key if key == 'default' else key}"
    request = urllib.request.Request(provider.url + path, data=form.encode() if method == "POST" else None,
                                     method=method, headers=sent)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read()), dict(response.headers)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read()), dict(err.headers)


SHOP = "http://shop.test/orders/o1?tab=status"


def back_to_shop(location: str) -> dict:
    back = urlsplit(location)
    assert (back.netloc, back.path) == ("shop.test", "/orders/o1"), location
    return parse_qs(back.query)


def new_intent(sdk, amount: int = 1299, **params):
    return sdk.v1.payment_intents.create(params={"amount": amount, "currency": "eur", **params})


# -- test cards, as in Stripe's test mode ------------------------------------------------------


def test_the_succeeding_test_card_pays(sdk):
    intent = new_intent(sdk, payment_method="pm_card_visa", payment_method_types=["card"], confirm=True)

    assert intent.status == "succeeded" and intent.amount_received == 1299
    charge = sdk.v1.charges.retrieve(intent.latest_charge)
    assert (charge.status, charge.paid, charge.payment_intent) == ("succeeded", True, intent.id)


@pytest.mark.parametrize(("test_card", "decline_code", "message"), [
    ("pm_card_chargeDeclined", "generic_decline", "Your card was declined."),
    ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds", "Your card has insufficient funds."),
])
def test_declining_test_cards_answer_a_card_error(sdk, test_card, decline_code, message):
    with pytest.raises(stripe.CardError) as declined:
        new_intent(sdk, payment_method=test_card, payment_method_types=["card"], confirm=True)

    error = declined.value.json_body["error"]
    assert (declined.value.http_status, error["code"], error["decline_code"], error["message"]) == (
        402, "card_declined", decline_code, message)
    intent = sdk.v1.payment_intents.retrieve(error["payment_intent"]["id"])
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error.decline_code == decline_code


@pytest.mark.parametrize(("test_card", "code", "decline_code"), [
    ("pm_card_chargeDeclinedExpiredCard", "expired_card", "expired_card"),
    ("pm_card_chargeDeclinedIncorrectCvc", "incorrect_cvc", "incorrect_cvc"),
    ("pm_card_chargeDeclinedLostCard", "card_declined", "lost_card"),
    ("pm_card_chargeDeclinedStolenCard", "card_declined", "stolen_card"),
])
def test_a_declined_intent_is_confirmed_again_with_another_card_and_succeeds(provider, sdk, inbox, test_card, code,
                                                                             decline_code):
    intent = new_intent(sdk, payment_method_types=["card"])
    with pytest.raises(stripe.CardError) as declined:
        sdk.v1.payment_intents.confirm(intent.id, params={"payment_method": test_card})
    failed = sdk.v1.payment_intents.retrieve(intent.id)
    assert failed.status == "requires_payment_method"
    error = failed.last_payment_error
    assert (error.type, error.code, error.decline_code) == ("card_error", code, decline_code)
    assert error.message == declined.value.user_message and error.payment_method.id.startswith("pm_")
    first_charge = failed.latest_charge

    paid = sdk.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa"})

    assert (paid.status, paid.last_payment_error, paid.amount_received) == ("succeeded", None, 1299)
    assert paid.latest_charge != first_charge
    assert sdk.v1.charges.retrieve(first_charge).status == "failed"
    assert sdk.v1.charges.retrieve(paid.latest_charge).status == "succeeded"
    provider.deliver_webhooks()
    assert [e["type"] for e in inbox.events()] == [
        "charge.failed", "payment_intent.payment_failed", "charge.succeeded", "payment_intent.succeeded"]
    assert all(stripe.WebhookSignature.verify_header(body, headers["Stripe-Signature"], SECRET, tolerance=300)
               for body, headers in inbox.received)


# -- 3-D Secure ---------------------------------------------------------------------------------


@pytest.mark.parametrize("test_card", [
    "pm_card_authenticationRequired", "pm_card_authenticationRequiredOnSetup", "pm_card_threeDSecure2Required",
    "pm_card_threeDSecureRequired"])
def test_a_3ds_card_asks_for_authentication_then_succeeds_when_completed(provider, sdk, inbox, test_card):
    intent = new_intent(sdk, payment_method=test_card, confirm=True, return_url=SHOP)

    assert (intent.status, intent.next_action.type) == ("requires_action", "redirect_to_url")
    assert intent.next_action.redirect_to_url.return_url == SHOP
    assert intent.next_action.redirect_to_url.url.startswith(f"{provider.url}/3ds/")
    with urllib.request.urlopen(intent.next_action.redirect_to_url.url) as challenge:
        page = challenge.read().decode()
    assert "Complete authentication" in page and "Fail authentication" in page

    code, location = provider.authenticate(intent.id, succeed=True)

    assert code == 303 and back_to_shop(location)["redirect_status"] == ["succeeded"]
    paid = sdk.v1.payment_intents.retrieve(intent.id)
    assert (paid.status, paid.next_action) == ("succeeded", None)
    charge = sdk.v1.charges.retrieve(paid.latest_charge)
    assert charge.payment_method_details.card.three_d_secure.result == "authenticated"
    provider.deliver_webhooks()
    assert [e["type"] for e in inbox.events()] == [
        "payment_intent.requires_action", "charge.succeeded", "payment_intent.succeeded"]
    assert all(stripe.WebhookSignature.verify_header(body, headers["Stripe-Signature"], SECRET, tolerance=300)
               for body, headers in inbox.received)


def test_a_failed_authentication_leaves_the_intent_to_pay_again(provider, sdk, inbox):
    intent = new_intent(sdk, payment_method="pm_card_authenticationRequired", confirm=True, return_url=SHOP)

    code, location = provider.authenticate(intent.id, succeed=False)

    assert code == 303 and back_to_shop(location)["redirect_status"] == ["failed"]
    failed = sdk.v1.payment_intents.retrieve(intent.id)
    assert (failed.status, failed.next_action, failed.latest_charge) == ("requires_payment_method", None, None)
    assert failed.last_payment_error.code == "payment_intent_authentication_failure"
    provider.deliver_webhooks()
    assert [e["type"] for e in inbox.events()] == ["payment_intent.requires_action", "payment_intent.payment_failed"]
    # the same challenge cannot be answered twice; the intent takes another card
    with pytest.raises(urllib.error.HTTPError) as gone:
        urllib.request.urlopen(intent.next_action.redirect_to_url.url)
    assert gone.value.code == 404
    paid = sdk.v1.payment_intents.confirm(intent.id, params={"payment_method": "pm_card_visa", "return_url": SHOP})
    assert (paid.status, paid.last_payment_error) == ("succeeded", None)


def test_a_card_that_authenticates_then_declines_fails_after_the_challenge(provider, sdk):
    intent = new_intent(sdk, payment_method="pm_card_authenticationRequiredChargeDeclinedInsufficientFunds",
                        confirm=True, return_url=SHOP)

    provider.authenticate(intent.id, succeed=True)

    failed = sdk.v1.payment_intents.retrieve(intent.id)
    assert (failed.status, failed.last_payment_error.decline_code) == ("requires_payment_method", "insufficient_funds")
    assert sdk.v1.charges.retrieve(failed.latest_charge).status == "failed"


def test_a_server_side_confirmation_without_return_url_hands_the_challenge_to_stripe_js(sdk):
    intent = new_intent(sdk, payment_method="pm_card_authenticationRequired", payment_method_types=["card"],
                        confirm=True)

    assert (intent.status, intent.next_action.type) == ("requires_action", "use_stripe_sdk")
    assert "/3ds/" in intent.next_action.use_stripe_sdk["stripe_js"]


@pytest.mark.parametrize(("outcome", "landing", "shown"), [
    (True, "succeeded", None),
    (False, None, "We could not confirm this payment with your bank."),
])
def test_the_card_page_takes_the_shopper_through_the_challenge(provider, sdk, outcome, landing, shown):
    intent = new_intent(sdk)
    code, challenge = submit_payment_page(provider.url, intent.id, intent.client_secret, "4000 0027 6000 3184",
                                          return_url=SHOP)
    assert code == 303 and "/3ds/" in challenge

    code, back = provider.authenticate(intent.id, succeed=outcome)

    assert code == 303 and urlsplit(back).path == f"/pay/{intent.id}"  # back to the card page first
    request = urllib.request.Request(back)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request) as page:
            status, body = page.status, page.read().decode()
    except urllib.error.HTTPError as err:
        status, body = err.code, err.headers.get("Location")
    if landing:
        assert status == 303 and back_to_shop(body)["redirect_status"] == [landing]
    else:
        assert status == 200 and shown in body and 'id="pay-button"' in body


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


# -- saved cards and off-session payments ---------------------------------------------------------


def saved_card(provider, sdk, number: str, setup: str):
    customer = sdk.v1.customers.create(params={"email": "ada@example.com"})
    intent = new_intent(sdk, customer=customer.id, setup_future_usage=setup)
    submit_payment_page(provider.url, intent.id, intent.client_secret, number, return_url=SHOP)
    provider.authenticate(intent.id, succeed=True)
    assert sdk.v1.payment_intents.retrieve(intent.id).status == "succeeded"
    (card,) = sdk.v1.customers.payment_methods.list(customer.id).data
    return customer.id, card.id


def reuse(sdk, customer: str, card: str, **params):
    return new_intent(sdk, customer=customer, payment_method=card, payment_method_types=["card"], confirm=True,
                      **params)


def test_a_3155_card_set_up_for_off_session_pays_again_without_authentication(provider, sdk):
    customer, card = saved_card(provider, sdk, "4000002500003155", "off_session")

    assert reuse(sdk, customer, card, off_session=True).status == "succeeded"
    assert reuse(sdk, customer, card).status == "succeeded"


def test_a_3155_card_saved_only_for_on_session_still_asks(provider, sdk):
    customer, card = saved_card(provider, sdk, "4000002500003155", "on_session")

    assert reuse(sdk, customer, card).status == "requires_action"


def test_a_3184_card_asks_every_time_even_saved(provider, sdk):
    customer, card = saved_card(provider, sdk, "4000002760003184", "off_session")

    on_session = reuse(sdk, customer, card)
    assert (on_session.status, on_session.next_action.type) == ("requires_action", "use_stripe_sdk")
    with pytest.raises(stripe.CardError) as nobody_there:  # off session nobody can authenticate: declined
        reuse(sdk, customer, card, off_session=True)
    assert nobody_there.value.code == "authentication_required"
    intent = sdk.v1.payment_intents.retrieve(nobody_there.value.json_body["error"]["payment_intent"]["id"])
    assert (intent.status, intent.last_payment_error.code) == ("requires_payment_method", "authentication_required")


def open_without_redirect(url: str, form: dict | None = None) -> tuple[int, str]:
    """(status, Location or page)."""
    data = urlencode(form).encode() if form is not None else None
    try:
        with urllib.request.build_opener(_NoRedirect).open(urllib.request.Request(url, data=data)) as page:
            return page.status, page.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Location") or err.read().decode()


def test_a_saved_card_the_shop_confirmed_is_authenticated_from_the_card_page(provider, sdk):
    customer, card = saved_card(provider, sdk, "4000002760003184", "off_session")
    intent = reuse(sdk, customer, card)  # the shop confirms on the shopper's behalf: the bank asks
    card_page = f"{provider.url}/pay/{intent.id}?" + urlencode({"client_secret": intent.client_secret,
                                                                "return_url": SHOP})

    _, page = open_without_redirect(card_page)
    challenge = re.search(r'id="authenticate-link" href="([^"]+)"', page).group(1).replace("&amp;", "&")
    _, challenge_page = open_without_redirect(challenge)
    back = re.search(r'name="back" value="([^"]+)"', challenge_page).group(1).replace("&amp;", "&")
    code, location = open_without_redirect(challenge.split("?")[0], {"outcome": "complete", "back": back})

    assert code == 303 and location.startswith(f"{provider.url}/pay/{intent.id}?")
    code, shop = open_without_redirect(location)
    assert code == 303 and back_to_shop(shop)["redirect_status"] == ["succeeded"]
    assert sdk.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_a_challenge_never_sends_the_browser_elsewhere_than_a_card_page(provider, sdk):
    intent = new_intent(sdk, payment_method="pm_card_authenticationRequired", payment_method_types=["card"],
                        confirm=True)

    code, page = open_without_redirect(intent.next_action.use_stripe_sdk["stripe_js"],
                                       {"outcome": "complete", "back": "http://evil.test/pay/x"})

    assert code == 200 and "Payment succeeded." in page


# -- processing: held, then settled ---------------------------------------------------------------


@pytest.mark.parametrize(("test_card", "settled", "events"), [
    ("pm_card_localpay_processingSucceeds", "succeeded", ["charge.succeeded", "payment_intent.succeeded"]),
    ("pm_card_localpay_processingFails", "requires_payment_method",
     ["charge.failed", "payment_intent.payment_failed"]),
])
def test_a_processing_payment_settles_later(provider, sdk, inbox, test_card, settled, events):
    intent = new_intent(sdk, payment_method=test_card, payment_method_types=["card"], confirm=True)
    assert (intent.status, intent.amount_received) == ("processing", 0)
    assert sdk.v1.charges.retrieve(intent.latest_charge).status == "pending"
    provider.deliver_webhooks()

    (after,) = provider.settle_processing(intent.id)

    assert sdk.v1.payment_intents.retrieve(intent.id).status == after["status"] == settled
    provider.deliver_webhooks()
    assert [e["type"] for e in inbox.events()] == ["payment_intent.processing", *events]


def test_a_processing_payment_settles_by_itself_after_the_configured_delay():
    settled = threading.Event()

    def endpoint(body: bytes, headers: dict) -> int:
        if json.loads(body)["type"] == "payment_intent.succeeded":
            settled.set()
        return 200

    with LocalPaymentProvider(SECRET, deliver=endpoint, processing_delay=0.01) as provider:
        sdk = stripe.StripeClient(provider.api_key, base_addresses={"api": provider.url}, max_network_retries=0)
        intent = new_intent(sdk, payment_method="pm_card_localpay_processingSucceeds",
                            payment_method_types=["card"], confirm=True)

        assert settled.wait(timeout=10)
        assert sdk.v1.payment_intents.retrieve(intent.id).status == "succeeded"


def test_a_processing_payment_sends_the_shopper_back_as_processing(provider, sdk):
    intent = new_intent(sdk)

    code, location = submit_payment_page(provider.url, intent.id, intent.client_secret, "4000 0099 0000 0012",
                                         return_url=SHOP)

    assert code == 303 and back_to_shop(location)["redirect_status"] == ["processing"]


def test_an_intent_with_automatic_methods_needs_a_return_url_to_confirm(sdk):
    with pytest.raises(stripe.InvalidRequestError) as refused:
        new_intent(sdk, payment_method="pm_card_visa", confirm=True)
    assert refused.value.param == "return_url"


# -- the payment page --------------------------------------------------------------------------


def test_the_payment_page_shows_the_amount_and_the_test_cards(provider, sdk):
    intent = new_intent(sdk, amount=2599)

    with urllib.request.urlopen(f"{provider.url}/pay/{intent.id}?client_secret={intent.client_secret}") as page:
        html = page.read().decode()

    assert "Pay €25.99" in html and "4242 4242 4242 4242" in html and "4000 0000 0000 9995" in html


def test_the_payment_page_needs_the_client_secret(provider, sdk):
    intent = new_intent(sdk)

    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{provider.url}/pay/{intent.id}?client_secret={intent.id}_secret_wrong")
    assert refused.value.code == 404


def test_paying_on_the_page_sends_the_shopper_back_with_the_outcome(provider, sdk):
    intent = new_intent(sdk)

    code, location = submit_payment_page(provider.url, intent.id, intent.client_secret, "4242 4242 4242 4242",
                                         return_url=SHOP)

    assert code == 303
    assert back_to_shop(location) == {"tab": ["status"], "payment_intent": [intent.id],
                                      "payment_intent_client_secret": [intent.client_secret],
                                      "redirect_status": ["succeeded"]}
    assert sdk.v1.payment_intents.retrieve(intent.id).status == "succeeded"


@pytest.mark.parametrize(("card", "shown"), [
    ("4000 0000 0000 0002", "Your card was declined."),
    ("4000 0000 0000 9995", "Your card has insufficient funds."),
    ("4000 0000 0000 0069", "Your card has expired."),
    ("4000 0000 0000 0127", "Your card's security code is incorrect."),
    ("4000 0000 0000 9987", "Your card was declined."),  # lost: told as a plain decline, as Stripe advises
    ("4000 0000 0000 9979", "Your card was declined."),  # stolen: likewise
])
def test_a_declined_card_keeps_the_shopper_on_the_page_with_the_reason(provider, sdk, card, shown):
    intent = new_intent(sdk)

    code, page = submit_payment_page(provider.url, intent.id, intent.client_secret, card, return_url=SHOP)

    assert code == 402, page
    assert shown in page.replace("&#x27;", "'")
    assert "lost" not in page.lower() and "stolen" not in page.lower()
    assert 'id="pay-button"' in page and 'id="cancel-link"' in page
    assert sdk.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


def test_after_a_decline_the_shopper_pays_the_same_intent_with_another_card(provider, sdk, inbox):
    intent = new_intent(sdk)
    submit_payment_page(provider.url, intent.id, intent.client_secret, "4000000000009995", return_url=SHOP)

    with urllib.request.urlopen(f"{provider.url}/pay/{intent.id}?client_secret={intent.client_secret}") as shown:
        assert "insufficient funds" in shown.read().decode()  # coming back to the page still says why
    code, location = submit_payment_page(provider.url, intent.id, intent.client_secret, "4242424242424242",
                                         return_url=SHOP)

    assert code == 303 and back_to_shop(location)["redirect_status"] == ["succeeded"]
    paid = sdk.v1.payment_intents.retrieve(intent.id)
    assert (paid.status, paid.last_payment_error) == ("succeeded", None)
    provider.deliver_webhooks()
    assert [e["type"] for e in inbox.events()] == [
        "charge.failed", "payment_intent.payment_failed", "charge.succeeded", "payment_intent.succeeded"]


def test_cancel_and_go_back_returns_to_the_shop_without_paying(provider, sdk):
    intent = new_intent(sdk)
    _, page = submit_payment_page(provider.url, intent.id, intent.client_secret, "4000000000000002", return_url=SHOP)

    leave = re.search(r'id="cancel-link" href="([^"]+)"', page).group(1).replace("&amp;", "&")

    assert back_to_shop(leave)["redirect_status"] == ["failed"]
    assert sdk.v1.payment_intents.retrieve(intent.id).status == "requires_payment_method"


def test_a_mistyped_card_number_is_shown_on_the_form_and_changes_nothing(provider, sdk):
    intent = new_intent(sdk)

    code, page = submit_payment_page(provider.url, intent.id, intent.client_secret, "4242 4242 4242 4241")

    assert code == 400 and "Your card number is incorrect." in page
    assert sdk.v1.payment_intents.retrieve(intent.id).latest_charge is None


def test_a_paid_intent_cannot_be_paid_twice(provider, sdk):
    intent = new_intent(sdk)
    provider.complete_payment(intent.id)

    code, page = submit_payment_page(provider.url, intent.id, intent.client_secret, "4242424242424242")

    assert code == 409 and "succeeded" in page
    assert len(provider.ledger.of_kind("charge")) == 1


def test_setup_future_usage_saves_the_card_on_the_customer(provider, sdk):
    customer = sdk.v1.customers.create(params={"email": "ada@example.com"})
    intent = new_intent(sdk, customer=customer.id, setup_future_usage="on_session")

    provider.complete_payment(intent.id, "5555555555554444")

    (card,) = sdk.v1.customers.payment_methods.list(customer.id, params={"type": "card"}).data
    assert (card.card.brand, card.card.last4, card.customer) == ("mastercard", "4444", customer.id)


# -- events: signed exactly as Stripe signs, delivered until acknowledged -------------------------


def test_events_are_stripe_shaped_and_verify_with_the_sdk(provider, sdk, inbox):
    intent = new_intent(sdk, metadata={"order_id": "ord-9"})
    provider.complete_payment(intent.id)

    attempts = provider.deliver_webhooks()

    assert [a.event_type for a in attempts] == ["charge.succeeded", "payment_intent.succeeded"]
    assert all(a.ok for a in attempts)
    for body, headers in inbox.received:
        assert stripe.WebhookSignature.verify_header(body, headers["Stripe-Signature"], SECRET, tolerance=300)
        assert headers["Content-Type"].startswith("application/json")
    event = inbox.events()[1]
    assert event["id"].startswith("evt_") and event["object"] == "event" and event["livemode"] is False
    assert event["api_version"] and event["created"] and event["pending_webhooks"] == 1
    assert set(event["request"]) == {"id", "idempotency_key"}
    assert event["data"]["object"]["id"] == intent.id
    assert event["data"]["object"]["metadata"] == {"order_id": "ord-9"}
    assert event["data"]["object"]["status"] == "succeeded"


def test_a_decline_and_a_cancel_and_a_refund_each_send_their_event(provider, sdk, inbox):
    declined = new_intent(sdk)
    provider.complete_payment(declined.id, "4000000000000002")
    cancelled = new_intent(sdk)
    sdk.v1.payment_intents.cancel(cancelled.id)
    paid = new_intent(sdk)
    provider.complete_payment(paid.id)
    sdk.v1.refunds.create(params={"payment_intent": paid.id, "amount": 300})
    provider.deliver_webhooks()

    assert [e["type"] for e in inbox.events()] == [
        "charge.failed", "payment_intent.payment_failed", "payment_intent.canceled",
        "charge.succeeded", "payment_intent.succeeded", "charge.refunded"]
    refunded = inbox.events()[-1]["data"]
    assert (refunded["object"]["amount_refunded"], refunded["previous_attributes"]) == (
        300, {"amount_refunded": 0, "refunded": False})


def test_delivery_is_retried_until_the_endpoint_answers_2xx():
    failing_twice = Inbox(500, 503)
    with LocalPaymentProvider(SECRET, deliver=failing_twice, retry_delays=(0.01, 0.01, 0.01)) as provider:
        intent = provider.ledger.create_payment_intent({"amount": "1000", "currency": "eur"}, {})
        provider.ledger.cancel_payment_intent(intent["id"], {}, {})

        assert provider.wait_for_webhooks(timeout=5)

    assert [a.status for a in provider.deliveries] == [500, 503, 200]
    assert len({headers["Stripe-Signature"] for _, headers in failing_twice.received}) >= 1
    for body, headers in failing_twice.received:  # each attempt carries a valid signature
        stripe.WebhookSignature.verify_header(body, headers["Stripe-Signature"], SECRET, tolerance=300)


class _FlakyEndpoint(BaseHTTPRequestHandler):
    statuses: list[int] = []
    bodies: list[bytes] = []

    def do_POST(self):
        self.bodies.append(self.rfile.read(int(self.headers["Content-Length"])))
        status = self.statuses.pop(0) if self.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky_endpoint():
    handler = type("Handler", (_FlakyEndpoint,), {"statuses": [500, 302], "bodies": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/webhooks/stripe", handler
    server.shutdown()
    server.server_close()


def test_delivery_to_a_url_counts_errors_and_redirects_as_failures(flaky_endpoint):
    url, handler = flaky_endpoint
    with LocalPaymentProvider(SECRET, deliver=url, retry_delays=(0.01, 0.01)) as provider:
        intent = provider.ledger.create_payment_intent({"amount": "1000", "currency": "eur"}, {})
        provider.ledger.cancel_payment_intent(intent["id"], {}, {})
        assert provider.wait_for_webhooks(timeout=5)

    assert [a.status for a in provider.deliveries] == [500, 302, 200]
    assert json.loads(handler.bodies[-1])["type"] == "payment_intent.canceled"


def test_delivery_gives_up_after_its_attempts_when_nobody_answers():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    with LocalPaymentProvider(SECRET, deliver=f"http://127.0.0.1:{closed}/hook", retry_delays=(0.01, 0.01)) as provider:
        intent = provider.ledger.create_payment_intent({"amount": "1000", "currency": "eur"}, {})
        event = provider.ledger.cancel_payment_intent(intent["id"], {}, {})
        assert provider.wait_for_webhooks(timeout=5)

    assert [(a.attempt, a.status) for a in provider.deliveries] == [(1, None), (2, None), (3, None)]
    assert all("ConnectionRefused" in a.error for a in provider.deliveries)
    assert provider.dispatcher.gave_up == [provider.events("payment_intent.canceled")[0]["id"]]
    assert event["status"] == "canceled"


# -- the API's protocol: auth, idempotency, parameters ---------------------------------------------


def test_requests_need_the_secret_key(provider):
    missing_status, missing, _ = api(provider, "GET", "/v1/payment_intents/pi_x", key=None)
    wrong_status, wrong, _ = api(provider, "GET", "/v1/payment_intents/pi_x", key="sk_test_wrong")

    assert missing_status == wrong_status == 401
    assert "did not provide an API key" in missing["error"]["message"]
    assert wrong["error"]["type"] == "invalid_request_error" and "Invalid API Key" in wrong["error"]["message"]


def test_an_idempotency_key_replays_the_first_answer_and_refuses_other_parameters(provider):
    key = {"Idempotency-Key": "order-42"}
    form = "amount=1299&currency=eur&metadata[order_id]=42"
    first_status, first, _ = api(provider, "POST", "/v1/payment_intents", form, headers=key)
    replay_status, replay, replay_headers = api(provider, "POST", "/v1/payment_intents", form, headers=key)
    other_status, other, _ = api(provider, "POST", "/v1/payment_intents", "amount=999&currency=eur", headers=key)
    elsewhere_status, elsewhere, _ = api(provider, "POST", "/v1/customers", "email=a@b.c", headers=key)

    assert first_status == replay_status == 200 and replay == first
    assert replay_headers["Idempotent-Replayed"] == "true"
    assert (other_status, other["error"]["type"]) == (400, "idempotency_error")
    assert (elsewhere_status, elsewhere["error"]["type"]) == (400, "idempotency_error")
    assert len(provider.ledger.of_kind("payment_intent")) == 1


def test_a_declined_answer_is_kept_under_its_key_too(provider):
    key = {"Idempotency-Key": "declined-1"}
    form = "amount=1299&currency=eur&payment_method=pm_card_chargeDeclined&payment_method_types[0]=card&confirm=true"
    first_status, first, _ = api(provider, "POST", "/v1/payment_intents", form, headers=key)
    again_status, again, _ = api(provider, "POST", "/v1/payment_intents", form, headers=key)

    assert first_status == again_status == 402 and again == first
    assert len(provider.ledger.of_kind("charge")) == 1


def test_unknown_and_invalid_parameters_are_refused_as_stripe_does(provider):
    unknown_status, unknown, _ = api(provider, "POST", "/v1/payment_intents", "amount=1299&currency=eur&colour=red")
    small_status, small, _ = api(provider, "POST", "/v1/payment_intents", "amount=20&currency=eur")
    missing_status, missing, _ = api(provider, "POST", "/v1/payment_intents", "amount=1299&currency=eur&customer=cus_x")

    assert (unknown_status, unknown["error"]["code"], unknown["error"]["param"]) == (400, "parameter_unknown", "colour")
    assert (small_status, small["error"]["code"]) == (400, "amount_too_small")
    assert (missing_status, missing["error"]["code"], missing["error"]["param"]) == (400, "resource_missing", "customer")


def test_expand_replaces_an_id_by_its_object(provider, sdk):
    intent = new_intent(sdk, payment_method="pm_card_visa", payment_method_types=["card"], confirm=True)

    expanded = sdk.v1.payment_intents.retrieve(intent.id, params={"expand": ["latest_charge"]})

    assert expanded.latest_charge.object == "charge" and expanded.latest_charge.amount == 1299


# -- Connect -------------------------------------------------------------------------------------


def test_onboarding_activates_the_account_and_tells_the_connect_endpoint():
    platform, connect = Inbox(), Inbox()
    with LocalPaymentProvider(SECRET, deliver=platform, connect_webhook_secret=CONNECT_SECRET,
                              connect_deliver=connect, auto_deliver=False) as provider:
        sdk = stripe.StripeClient(provider.api_key, base_addresses={"api": provider.url})
        account = sdk.v1.accounts.create(params={"type": "express", "country": "FR",
                                                 "capabilities": {"transfers": {"requested": True}}})
        link = sdk.v1.account_links.create(params={"account": account.id, "type": "account_onboarding",
                                                   "return_url": "http://shop.test/vendor/done",
                                                   "refresh_url": "http://shop.test/vendor/again"})
        with urllib.request.urlopen(link.url) as page:
            assert "Complete onboarding" in page.read().decode()
        completed = urllib.request.Request(link.url, data=b"", method="POST")
        with pytest.raises(urllib.error.HTTPError) as redirect:  # urllib will not follow a 303 for a POST body
            urllib.request.build_opener(_NoFollow).open(completed)
        provider.deliver_webhooks()

    assert redirect.value.code == 303 and redirect.value.headers["Location"] == "http://shop.test/vendor/done"
    assert account.capabilities.transfers == "inactive"
    updated, capability = connect.events()
    assert (updated["type"], updated["account"]) == ("account.updated", account.id)
    assert updated["data"]["object"]["capabilities"] == {"transfers": "active"}
    assert (capability["type"], capability["account"]) == ("capability.updated", account.id)
    assert (capability["data"]["object"]["id"], capability["data"]["object"]["status"]) == ("transfers", "active")
    for received in connect.received:
        stripe.WebhookSignature.verify_header(*_signed(received), CONNECT_SECRET, tolerance=300)
    assert platform.events() == []


CONTROLLER = {"fees": {"payer": "application"}, "losses": {"payments": "application"},
              "stripe_dashboard": {"type": "express"}, "requirement_collection": "stripe"}


def _onboard(provider, sdk, account_id: str, action: str) -> str:
    link = sdk.v1.account_links.create(params={"account": account_id, "type": "account_onboarding",
                                               "return_url": "http://shop.test/back",
                                               "refresh_url": "http://shop.test/again"})
    with urllib.request.urlopen(link.url) as page:
        html = page.read().decode()
    assert "Complete onboarding" in html and "Leave requirements due" in html
    submit = urllib.request.Request(link.url, data=urlencode({"action": action}).encode(), method="POST")
    with pytest.raises(urllib.error.HTTPError) as redirect:
        urllib.request.build_opener(_NoFollow).open(submit)
    provider.deliver_webhooks()
    return redirect.value.headers["Location"]


def test_an_account_created_with_controller_properties_looks_like_stripes():
    with LocalPaymentProvider(SECRET, deliver=Inbox(), connect_webhook_secret=CONNECT_SECRET,
                              connect_deliver=Inbox(), auto_deliver=False) as provider:
        sdk = stripe.StripeClient(provider.api_key, base_addresses={"api": provider.url})
        account = sdk.v1.accounts.create(params={
            "country": "FR", "controller": CONTROLLER,
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}}})
        custom = sdk.v1.accounts.create(params={"type": "custom", "country": "DE"})

    assert account.type == "express"
    assert account.controller.to_dict() == {**CONTROLLER, "is_controller": True, "type": "application"}
    assert account.capabilities.to_dict() == {"card_payments": "inactive", "transfers": "inactive"}
    assert account.requirements.currently_due and account.charges_enabled is False
    assert custom.type == "custom"  # a type given is kept, never forced to express


def test_leaving_requirements_due_lists_them_and_enables_nothing():
    connect = Inbox()
    with LocalPaymentProvider(SECRET, deliver=Inbox(), connect_webhook_secret=CONNECT_SECRET,
                              connect_deliver=connect, auto_deliver=False) as provider:
        sdk = stripe.StripeClient(provider.api_key, base_addresses={"api": provider.url})
        account = sdk.v1.accounts.create(params={"country": "FR", "controller": CONTROLLER})
        location = _onboard(provider, sdk, account.id, "leave_due")
        after = sdk.v1.accounts.retrieve(account.id)

    assert location == "http://shop.test/back"
    assert (after.charges_enabled, after.payouts_enabled, after.capabilities.transfers) == (False, False, "inactive")
    assert "individual.dob.day" in after.requirements.currently_due
    (event,) = connect.events()  # no capability changed status: only the account
    assert event["type"] == "account.updated"
    assert "individual.verification.document" in event["data"]["object"]["requirements"]["currently_due"]


def test_completing_onboarding_activates_both_capabilities(provider, sdk):
    account = sdk.v1.accounts.create(params={"country": "FR", "controller": CONTROLLER})
    _onboard(provider, sdk, account.id, "complete")
    after = sdk.v1.accounts.retrieve(account.id)

    assert after.capabilities.to_dict() == {"card_payments": "active", "transfers": "active"}
    assert (after.charges_enabled, after.payouts_enabled, list(after.requirements.currently_due)) == (True, True, [])


def test_a_transfer_without_source_transaction_needs_the_platform_balance(sdk, provider):
    provider.set_balance(0, "eur")  # the platform holds nothing of its own yet
    vendor = provider.add_account()["id"]
    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.transfers.create(params={"amount": 500, "currency": "eur", "destination": vendor})
    new_intent(sdk, payment_method="pm_card_visa", payment_method_types=["card"], confirm=True)  # 12.99 in
    paid = sdk.v1.transfers.create(params={"amount": 1000, "currency": "eur", "destination": vendor})
    with pytest.raises(stripe.InvalidRequestError) as beyond:
        sdk.v1.transfers.create(params={"amount": 300, "currency": "eur", "destination": vendor})

    assert (refused.value.code, beyond.value.code) == ("balance_insufficient", "balance_insufficient")
    assert paid.amount == 1000 and paid.source_transaction is None


def test_a_transfer_needs_an_onboarded_account(sdk, provider):
    intent = new_intent(sdk, payment_method="pm_card_visa", payment_method_types=["card"], confirm=True)
    pending = provider.add_account(onboarded=False)

    with pytest.raises(stripe.InvalidRequestError) as refused:
        sdk.v1.transfers.create(params={"amount": 500, "currency": "eur", "destination": pending["id"],
                                        "source_transaction": intent.latest_charge})

    assert refused.value.code == "insufficient_capabilities_for_transfer"


class _NoFollow(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _signed(received: tuple[bytes, dict]) -> tuple[bytes, str]:
    body, headers = received
    return body, headers["Stripe-Signature"]


# -- snapshots -----------------------------------------------------------------------------------


def test_a_snapshot_restores_objects_keys_and_undelivered_events(provider, sdk):
    customer = sdk.v1.customers.create(params={"email": "ada@example.com"})
    intent = sdk.v1.payment_intents.create(params={"amount": 1299, "currency": "eur", "customer": customer.id},
                                           options={"idempotency_key": "pi-snap"})
    provider.complete_payment(intent.id)
    state = json.loads(json.dumps(provider.to_json()))  # it is plain JSON

    later = Inbox()
    with LocalPaymentProvider.from_json(state, SECRET, later, auto_deliver=False) as restored:
        again = stripe.StripeClient(restored.api_key, base_addresses={"api": restored.url})
        assert again.v1.payment_intents.retrieve(intent.id).status == "succeeded"
        replay = again.v1.payment_intents.create(params={"amount": 1299, "currency": "eur", "customer": customer.id},
                                                 options={"idempotency_key": "pi-snap"})
        restored.deliver_webhooks()

    assert replay.id == intent.id
    assert [e["type"] for e in later.events()] == ["charge.succeeded", "payment_intent.succeeded"]


def test_the_form_parser_reads_stripes_bracket_notation():
    from devstack.localpay.forms import parse_form

    raw = urlencode([("amount", "5"), ("metadata[order_id]", "o1"), ("metadata[0]", "x"),
                     ("payment_method_types[0]", "card"), ("payment_method_types[1]", "link"),
                     ("automatic_payment_methods[enabled]", "true"), ("expand[]", "latest_charge"),
                     ("a[b][c]", "deep")])

    assert parse_form(raw) == {
        "amount": "5", "metadata": {"order_id": "o1", "0": "x"}, "payment_method_types": ["card", "link"],
        "automatic_payment_methods": {"enabled": "true"}, "expand": ["latest_charge"], "a": {"b": {"c": "deep"}}}
