"""Checkout and payment on the real local stack, over HTTP only, the way a browser and Stripe would.

The API (`live_stack.api`) and the local provider's payment page (the card form a shopper fills
in) are what the tests act through; the payment turns the order `paid` through the real path:
provider -> signed webhook -> /webhooks/stripe -> SQS -> payment-events consumer. To observe,
the webhook test also reads the provider's Stripe API (the events it sent, as one reads them in
Stripe's dashboard) and moto's SQS (to know the consumer has handled everything queued).

Every test builds its own products and offers (from seeded vendors) and signs up its own
shoppers, so stock figures are exact whatever else ran on the stack. Every wait polls with a
deadline; nothing sleeps a fixed time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urlencode, urljoin

import pytest

from tests.fixtures.addresses import checkout_body

pytestmark = pytest.mark.e2e

PASSWORD = "Passw0rd!e2e"
REGION = "eu-west-1"
LOCAL_API_KEY = "sk_test_local_halles"  # the local provider's secret key (devstack/localpay)
CARD_OK = "4242 4242 4242 4242"
CARD_DECLINED = "4000 0000 0000 0002"
CARD_INSUFFICIENT_FUNDS = "4000 0000 0000 9995"
PAYMENT_DEADLINE = 30  # seconds for webhook -> SQS -> consumer; it takes ~1-2 s on an idle machine


# ---- people ---------------------------------------------------------------------------------


@dataclass
class Person:
    live: object
    email: str
    token: str
    user_id: str

    def call(self, method: str, path: str, body=None, headers: dict | None = None, timeout: float = 30):
        return self.live.call(method, path, body, token=self.token, headers=headers, timeout=timeout)

    def checkout(self, key: str | None = None, body: dict | None = None):
        return self.call("POST", "/checkout", body or checkout_body(), {"Idempotency-Key": key or uuid.uuid4().hex})


def sign_in(live_stack, email: str, password: str) -> Person:
    status, session, _ = live_stack.call("POST", "/auth/signin", {"email": email, "password": password})
    assert status == 200, session
    return Person(live_stack, email, session["access_token"], session["user"]["user_id"])


def new_shopper(live_stack) -> Person:
    email = f"e2e-buyer-{uuid.uuid4().hex[:10]}@example.com"
    status, body, _ = live_stack.call("POST", "/auth/signup",
                                      {"email": email, "password": PASSWORD, "name": "Sam Buyer", "role": "shopper"})
    assert status == 201, body
    return sign_in(live_stack, email, PASSWORD)


def seeded_vendor(live_stack, index: int) -> Person:
    vendors = live_stack.credentials.get("vendors") or []
    assert len(vendors) > index, f"the seed has fewer than {index + 1} vendors: {live_stack.credentials}"
    return sign_in(live_stack, vendors[index]["email"], vendors[index]["password"])


# ---- catalogue: fresh products, so stock figures are ours alone --------------------------------


def new_offer(vendor: Person, *, price: int, shipping: int, stock: int, title: str = "E2E item") -> dict:
    status, product, _ = vendor.call("POST", "/vendor/products", {
        "title": f"{title} {uuid.uuid4().hex[:8]}", "brand": "E2E Works", "category": "outdoor",
        "description": "Made by the end-to-end checkout tests.",
    })
    assert status == 201, product
    status, offer, _ = vendor.call("PUT", f"/vendor/products/{product['product_id']}/offer", {
        "price": {"amount": price, "currency": "EUR"}, "shipping_fee": {"amount": shipping, "currency": "EUR"},
        "condition": "new", "stock": stock, "delivery": {"min_days": 1, "max_days": 3},
    })
    assert status == 201, offer
    return offer


def stock_of(vendor: Person, offer_id: str) -> tuple[int, int, int]:
    """(available, reserved, sold) as the vendor sees them on GET /vendor/offers."""
    cursor = ""
    while True:
        status, page, _ = vendor.call("GET", f"/vendor/offers?limit=100{'&cursor=' + cursor if cursor else ''}")
        assert status == 200, page
        for offer in page["items"]:
            if offer["offer_id"] == offer_id:
                return offer["available"], offer["reserved"], offer["sold"]
        cursor = page["next_cursor"]
        assert cursor, f"{offer_id} is not among the vendor's offers"


def add_to_cart(shopper: Person, offer_id: str, quantity: int) -> dict:
    status, cart, _ = shopper.call("PUT", f"/cart/lines/{offer_id}", {"quantity": quantity})
    assert status == 200, cart
    return cart


# ---- the payment page, filled in as a browser does --------------------------------------------


class _FormReader(HTMLParser):
    """The payment page's form: its action and the fields a browser would submit."""

    def __init__(self):
        super().__init__()
        self.action: str | None = None
        self.fields: dict[str, str] = {}
        self.status_text: list[str] = []
        self._in_status = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = attrs.get("action")
        elif tag == "input" and attrs.get("name"):
            self.fields[attrs["name"]] = attrs.get("value") or ""
        self._in_status = attrs.get("id") in ("payment-status", "payment-error")

    def handle_data(self, data):
        if self._in_status:
            self.status_text.append(data.strip())

    def handle_endtag(self, tag):
        self._in_status = False


def http(method: str, url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, str, dict]:
    """A plain request that does not follow redirects (the result page is what we read)."""
    import urllib.error
    import urllib.request

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.build_opener(NoRedirect).open(request, timeout=15) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode(), dict(err.headers)


def pay_on_provider_page(payment_page_url: str, card_number: str) -> tuple[int, str]:
    """Open the payment page, fill in the card form and submit it: (status, the message shown)."""
    status, html, _ = http("GET", payment_page_url)
    assert status == 200, html
    form = _FormReader()
    form.feed(html)
    assert form.action and {"card_number", "expiry", "cvc", "client_secret"} <= set(form.fields), html
    fields = {**form.fields, "card_number": card_number, "expiry": f"12/{(time.gmtime().tm_year + 3) % 100:02d}",
              "cvc": "123"}
    status, result, _ = http("POST", urljoin(payment_page_url, form.action), urlencode(fields).encode(),
                             {"Content-Type": "application/x-www-form-urlencoded"})
    page = _FormReader()
    page.feed(result)
    return status, " ".join(t for t in page.status_text if t)


def wait_for_status(live_stack, shopper: Person, order_id: str, wanted: str) -> dict:
    def settled():
        status, order, _ = shopper.call("GET", f"/orders/{order_id}")
        assert status == 200, order
        return order if order["status"] != "pending_payment" else None

    order = live_stack.wait_for(settled, f"order {order_id} to leave pending_payment", timeout=PAYMENT_DEADLINE)
    assert order["status"] == wanted, order
    return order


# ---- the provider's side: its events and Stripe's signature -------------------------------------


def provider_api(live_stack, path: str) -> dict:
    status, body, _ = http("GET", f"{live_stack.payments}{path}", headers={"Authorization": f"Bearer {LOCAL_API_KEY}"})
    assert status == 200, body
    return json.loads(body)


def event_for(live_stack, event_type: str, payment_intent_id: str) -> dict:
    events = provider_api(live_stack, f"/v1/events?type={event_type}&limit=100")["data"]
    return next(e for e in events if e["data"]["object"]["id"] == payment_intent_id)


def stripe_signature(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """`Stripe-Signature` exactly as Stripe computes it: HMAC-SHA256(secret, "<t>.<raw body>")."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def webhook_secret() -> str:
    """The local stack's webhook signing secret (a fixed, local-only value set by the runner)."""
    from devstack.runner import LOCAL_WEBHOOK_SECRET

    return LOCAL_WEBHOOK_SECRET


def post_webhook(live_stack, payload: bytes, signature: str):
    return live_stack.call("POST", "/webhooks/stripe", payload,
                           headers={"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": signature})


def payment_events_drained(live_stack) -> bool:
    """Nothing waiting on, or being handled from, the payment-events queue (moto's SQS)."""
    import boto3

    sqs = boto3.client("sqs", endpoint_url=live_stack.moto, region_name=REGION, aws_access_key_id="testing",
                       aws_secret_access_key="testing")
    url = sqs.get_queue_url(QueueName="halles-local-payment-events")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
        "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return all(int(value) == 0 for value in attributes.values())


# ---- a) the "done when" path ---------------------------------------------------------------------


def test_a_shopper_buys_from_two_vendors_and_a_signed_webhook_turns_the_order_paid(live_stack):
    alpine, bytes_co = seeded_vendor(live_stack, 0), seeded_vendor(live_stack, 1)
    tent = new_offer(alpine, price=18900, shipping=0, stock=5, title="E2E tent")
    lamp = new_offer(alpine, price=2500, shipping=590, stock=4, title="E2E lamp")
    speaker = new_offer(bytes_co, price=7990, shipping=490, stock=3, title="E2E speaker")
    shopper = new_shopper(live_stack)
    add_to_cart(shopper, tent["offer_id"], 1)
    add_to_cart(shopper, lamp["offer_id"], 2)
    add_to_cart(shopper, speaker["offer_id"], 1)

    status, quote, _ = shopper.call("GET", "/cart/quote?country=DE")

    assert status == 200, quote
    assert quote["can_checkout"] is True and quote["changes"] == []
    groups = {group["vendor_id"]: group for group in quote["vendors"]}
    assert set(groups) == {alpine.user_id, bytes_co.user_id}
    # One parcel per vendor: its shipping is its dearest line's fee, shown before paying.
    assert groups[alpine.user_id]["items"]["amount"] == 18900 + 2 * 2500
    assert groups[alpine.user_id]["shipping"]["amount"] == 590
    assert groups[bytes_co.user_id]["shipping"]["amount"] == 490
    expected_total = 18900 + 2 * 2500 + 590 + 7990 + 490 + quote["service_fee"]["amount"]
    assert quote["total"] == {"amount": expected_total, "currency": "EUR"}
    rate = quote["vat_rate_bps"]
    assert rate > 0 and quote["vat_included"]["amount"] == round(expected_total * rate / (10000 + rate))

    status, placed, _ = shopper.checkout()

    assert status == 201, placed
    order, payment = placed["order"], placed["payment"]
    assert order["status"] == "pending_payment"
    assert order["totals"]["total"] == quote["total"] and order["totals"]["vat_included"] == quote["vat_included"]
    assert {group["vendor_id"] for group in order["vendors"]} == set(groups)
    assert payment["provider"] == "local"
    assert payment["payment_page_url"].startswith(f"{live_stack.payments}/pay/{payment['payment_intent_id']}")
    assert stock_of(alpine, tent["offer_id"]) == (4, 1, 0)
    assert stock_of(alpine, lamp["offer_id"]) == (2, 2, 0)
    assert stock_of(bytes_co, speaker["offer_id"]) == (2, 1, 0)

    status, message = pay_on_provider_page(payment["payment_page_url"], CARD_OK)
    assert status == 200 and "succeeded" in message.lower(), message

    paid = wait_for_status(live_stack, shopper, order["order_id"], "paid")
    assert paid["payment"]["state"] == "paid" and paid["payment"]["can_pay"] is False
    assert [entry["status"] for entry in paid["timeline"] if entry["status"]] == ["pending_payment", "paid"]
    assert stock_of(alpine, tent["offer_id"]) == (4, 0, 1)
    assert stock_of(alpine, lamp["offer_id"]) == (2, 0, 2)
    assert stock_of(bytes_co, speaker["offer_id"]) == (2, 0, 1)
    # The consumer clears the cart right after the transition (a side effect that follows it).
    live_stack.wait_for(lambda: shopper.call("GET", "/cart")[1]["lines"] == [], "the paid cart to be cleared",
                        timeout=PAYMENT_DEADLINE)
    status, orders, _ = shopper.call("GET", "/orders")
    assert [(o["order_id"], o["status"]) for o in orders["items"]] == [(order["order_id"], "paid")]
    intent = provider_api(live_stack, f"/v1/payment_intents/{payment['payment_intent_id']}")
    assert intent["status"] == "succeeded" and intent["amount_received"] == expected_total


# ---- b) declined cards -------------------------------------------------------------------------------


@pytest.mark.parametrize("card, shown, reason", [(CARD_DECLINED, "declined", "card_declined"),
                                               (CARD_INSUFFICIENT_FUNDS, "insufficient funds", "insufficient_funds")])
def test_a_declined_card_keeps_the_order_payable_and_the_retry_pays_it(live_stack, card, shown, reason):
    vendor = seeded_vendor(live_stack, 2)
    offer = new_offer(vendor, price=4590, shipping=0, stock=4, title="E2E kettle")
    shopper = new_shopper(live_stack)
    add_to_cart(shopper, offer["offer_id"], 3)
    status, placed, _ = shopper.checkout()
    assert status == 201, placed
    assert stock_of(vendor, offer["offer_id"]) == (1, 3, 0)
    order_id = placed["order"]["order_id"]

    status, message = pay_on_provider_page(placed["payment"]["payment_page_url"], card)

    assert status == 402 and shown in message.lower(), (status, message)

    def attempt_recorded():
        order = shopper.call("GET", f"/orders/{order_id}")[1]
        return order if order["payment"]["last_attempt"] else None

    declined = live_stack.wait_for(attempt_recorded, "the declined attempt to be recorded", timeout=PAYMENT_DEADLINE)
    assert declined["status"] == "pending_payment" and declined["payment"]["can_pay"] is True
    assert declined["payment"]["last_attempt"]["reason"] == reason
    assert stock_of(vendor, offer["offer_id"]) == (1, 3, 0)  # still held for the retry
    assert [line["offer_id"] for line in shopper.call("GET", "/cart")[1]["lines"]] == [offer["offer_id"]]

    # The shopper tries again on the same order and payment, with a card that works.
    status, _ = pay_on_provider_page(placed["payment"]["payment_page_url"], CARD_OK)
    wait_for_status(live_stack, shopper, order_id, "paid")
    assert stock_of(vendor, offer["offer_id"]) == (1, 0, 3)


# ---- c) replayed, forged, stale and reordered webhooks -----------------------------------------------


def test_replayed_forged_stale_and_reordered_webhooks_change_nothing(live_stack):
    vendor = seeded_vendor(live_stack, 3)
    offer = new_offer(vendor, price=3290, shipping=590, stock=5, title="E2E bulb")
    shopper = new_shopper(live_stack)
    add_to_cart(shopper, offer["offer_id"], 2)
    placed = shopper.checkout()[1]
    intent_id, order_id = placed["payment"]["payment_intent_id"], placed["order"]["order_id"]
    pay_on_provider_page(placed["payment"]["payment_page_url"], CARD_OK)
    wait_for_status(live_stack, shopper, order_id, "paid")
    live_stack.wait_for(lambda: payment_events_drained(live_stack), "the payment's own events to be handled",
                        timeout=PAYMENT_DEADLINE)
    paid = shopper.call("GET", f"/orders/{order_id}")[1]
    assert stock_of(vendor, offer["offer_id"]) == (3, 0, 2)
    secret = webhook_secret()
    # The event the provider delivered (its delivery log is not served over HTTP): re-sent as the
    # provider resends it on a retry, same event and id, signed with the stack's webhook secret.
    delivered = event_for(live_stack, "payment_intent.succeeded", intent_id)
    replay = json.dumps(delivered, indent=2).encode()

    def unchanged():
        status, now, _ = shopper.call("GET", f"/orders/{order_id}")
        assert status == 200
        assert (now["status"], now["timeline"]) == ("paid", paid["timeline"])
        assert stock_of(vendor, offer["offer_id"]) == (3, 0, 2)

    # Replayed with a valid signature: acknowledged as a duplicate, not queued again.
    status, ack, _ = post_webhook(live_stack, replay, stripe_signature(replay, secret))
    assert (status, ack) == (200, {"received": True, "duplicate": True, "ignored": None})
    unchanged()

    # A captured delivery replayed after Stripe's 5-minute tolerance: refused.
    status, body, _ = post_webhook(live_stack, replay, stripe_signature(replay, secret, int(time.time()) - 600))
    assert status == 400 and body["error"]["code"] == "invalid_signature"

    # A forged failure for the paid order: signed with another secret, or a signed body tampered with.
    forged = json.loads(replay)
    forged.update(id=f"evt_e2eforged{uuid.uuid4().hex[:12]}", type="payment_intent.payment_failed")
    forged_body = json.dumps(forged).encode()
    status, body, _ = post_webhook(live_stack, forged_body, stripe_signature(forged_body, "whsec_not_ours"))
    assert status == 400 and body["error"]["code"] == "invalid_signature"
    status, body, _ = post_webhook(live_stack, forged_body, stripe_signature(replay, secret))
    assert status == 400 and body["error"]["code"] == "invalid_signature"
    status, body, _ = post_webhook(live_stack, forged_body, "")
    assert status == 400

    # A genuine but out-of-order failure event (new id, correctly signed) arriving after the success:
    # it is queued, and the consumer, re-reading the intent from the provider, leaves the order paid.
    late = json.loads(replay)
    late.update(id=f"evt_e2elate{uuid.uuid4().hex[:12]}", type="payment_intent.payment_failed")
    late["data"]["object"] = {**late["data"]["object"], "status": "requires_payment_method",
                              "last_payment_error": {"code": "card_declined", "message": "Your card was declined."}}
    late_body = json.dumps(late, indent=2).encode()
    status, ack, _ = post_webhook(live_stack, late_body, stripe_signature(late_body, secret))
    assert (status, ack["duplicate"]) == (200, False)
    live_stack.wait_for(lambda: payment_events_drained(live_stack), "the late event to be handled",
                        timeout=PAYMENT_DEADLINE)
    unchanged()
    intent = provider_api(live_stack, f"/v1/payment_intents/{intent_id}")
    assert intent["status"] == "succeeded"
    assert provider_api(live_stack, f"/v1/charges/{intent['latest_charge']}")["amount_refunded"] == 0


# ---- d) a rush on the last units ------------------------------------------------------------------


def test_fifty_parallel_checkouts_for_ten_units_sell_exactly_ten(live_stack):
    vendor = seeded_vendor(live_stack, 1)
    offer = new_offer(vendor, price=1500, shipping=0, stock=10, title="E2E limited edition")
    with ThreadPoolExecutor(10) as pool:
        shoppers = list(pool.map(lambda _: new_shopper(live_stack), range(10)))
        list(pool.map(lambda shopper: add_to_cart(shopper, offer["offer_id"], 1), shoppers))
    # Each shopper checks out five times (new Idempotency-Key each): the cart stays until paid.
    attempts = [shoppers[i % len(shoppers)] for i in range(50)]
    start = threading.Barrier(len(attempts))

    def attempt(shopper: Person):
        start.wait(timeout=30)
        return shopper.checkout()

    with ThreadPoolExecutor(len(attempts)) as pool:
        results = list(pool.map(attempt, attempts))

    statuses = Counter(status for status, _, _ in results)
    assert set(statuses) <= {201, 409}, [(s, b) for s, b, _ in results if s not in (201, 409)][:3]
    # A shopper's repeated Pay clicks (new keys, same cart) never make a second order: one places it,
    # the others resume it (201, the same order) or are asked to retry while it is being placed (409).
    orders_of: dict[str, set[str]] = {}
    for shopper, (status, body, _) in zip(attempts, results):
        if status == 409:
            assert body["error"]["code"] in ("checkout_in_progress", "busy"), body
        else:
            assert body["order"]["status"] == "pending_payment"
            assert [line["quantity"] for line in body["order"]["lines"]] == [1]
            orders_of.setdefault(shopper.email, set()).add(body["order"]["order_id"])
    assert all(len(ids) == 1 for ids in orders_of.values()), orders_of
    assert len({body["order"]["order_id"] for status, body, _ in results if status == 201}) == 10
    assert stock_of(vendor, offer["offer_id"]) == (0, 10, 0)  # nothing oversold, nothing lost
    pending = sum(1 for shopper in shoppers for order in shopper.call("GET", "/orders?limit=50")[1]["items"]
                  if order["status"] == "pending_payment")
    assert pending == 10


# ---- e) a double-clicked "Pay" button -----------------------------------------------------------------


def double_click(shopper: Person, key: str) -> list[tuple]:
    """Two checkouts with the same Idempotency-Key, released at the same instant."""
    both = threading.Barrier(2)

    def click():
        both.wait(timeout=10)
        return shopper.checkout(key)

    with ThreadPoolExecutor(2) as pool:
        return [future.result() for future in [pool.submit(click), pool.submit(click)]]


def test_a_double_clicked_checkout_places_one_order_and_one_reservation(live_stack):
    vendor = seeded_vendor(live_stack, 0)
    offer = new_offer(vendor, price=8990, shipping=0, stock=20, title="E2E backpack")
    shopper = new_shopper(live_stack)
    add_to_cart(shopper, offer["offer_id"], 2)
    rounds = 3
    first_order = None

    for round_number in range(1, rounds + 1):
        key = uuid.uuid4().hex

        answers = double_click(shopper, key)

        statuses = sorted(status for status, _, _ in answers)
        assert statuses in ([201, 201], [201, 409]), answers
        order_ids = {body["order"]["order_id"] for status, body, _ in answers if status == 201}
        assert len(order_ids) == 1, answers
        for status, body, headers in answers:
            if status == 409:
                assert int(headers["Retry-After"]) >= 1 and body["error"]["fields"] == {"Idempotency-Key": "in progress"}
        # Retrying with the same key (as the client does after Retry-After) returns the same order.
        status, again, _ = shopper.checkout(key)
        assert status == 201 and again["order"]["order_id"] in order_ids
        if round_number == 1:
            first_order = again["order"]["order_id"]
        # Another Pay of the same, unchanged cart (a new key: Back, then Pay) resumes that same order.
        assert again["order"]["order_id"] == first_order
        assert stock_of(vendor, offer["offer_id"]) == (18, 2, 0)

    status, orders, _ = shopper.call("GET", "/orders")
    assert status == 200 and [o["order_id"] for o in orders["items"]] == [first_order]

