"""The shopper's payment journeys on the real local stack, over HTTP only: what happens when a card
does not pay at once (declined, 3-D Secure, processing), and that neither a retry, a Back + Pay
again nor an abandoned payment ever makes a second order or holds stock twice.

The card page and the bank's 3-D Secure challenge of the local provider are filled in as a browser
would (plain form posts, redirects read, not followed); the order turns paid only through the real
path (provider -> signed webhook -> /webhooks/stripe -> SQS -> consumer). Every wait polls with a
deadline; nothing sleeps a fixed time.
"""

from __future__ import annotations

import uuid
from html.parser import HTMLParser
from urllib.parse import parse_qs, parse_qsl, urlencode, urljoin, urlsplit

import pytest

from tests.e2e.test_checkout_e2e import (
    CARD_DECLINED,
    CARD_INSUFFICIENT_FUNDS,
    CARD_OK,
    PAYMENT_DEADLINE,
    Person,
    add_to_cart,
    http,
    new_offer,
    new_shopper,
    pay_on_provider_page,
    provider_api,
    seeded_vendor,
    stock_of,
    wait_for_status,
)

pytestmark = pytest.mark.e2e

CARD_3DS_ALWAYS = "4000 0027 6000 3184"  # authenticates every time, saved or not
CARD_3DS2 = "4000 0000 0000 3220"
CARD_PROCESSING_SUCCEEDS = "4000 0099 0000 0012"  # local only
CARD_PROCESSING_FAILS = "4000 0099 0000 0020"  # local only
ADDRESS = {"name": "Ada Lovelace", "line1": "Unter den Linden 1", "postal_code": "10117", "city": "Berlin",
           "country": "DE"}
RETURN_URL = "http://127.0.0.1:8080/#/payment-return"


def checkout(shopper: Person, **extra) -> dict:
    """Pay, as the cart page sends it: a new Idempotency-Key per press."""
    status, placed, _ = shopper.call("POST", "/checkout", {"address": ADDRESS, "return_url": RETURN_URL, **extra},
                                     {"Idempotency-Key": uuid.uuid4().hex})
    assert status == 201, placed
    return placed


def order_of(shopper: Person, order_id: str) -> dict:
    status, order, _ = shopper.call("GET", f"/orders/{order_id}")
    assert status == 200, order
    return order


def wait_for_payment_state(live_stack, shopper: Person, order_id: str, wanted: str, attempts: int | None = None):
    def reached():
        order = order_of(shopper, order_id)
        ok = order["payment"]["state"] == wanted and (attempts is None or len(order["payment"]["attempts"]) >= attempts)
        return order if ok else None

    return live_stack.wait_for(reached, f"order {order_id} payment state {wanted}", timeout=PAYMENT_DEADLINE)


class _Links(HTMLParser):
    """Ids -> href of the links of a page, and the `back` field of a challenge form."""

    def __init__(self):
        super().__init__()
        self.links: dict[str, str] = {}
        self.back: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("id"):
            self.links[attrs["id"]] = attrs.get("href") or ""
        if tag == "input" and attrs.get("name") == "back":
            self.back = attrs.get("value")


def submit_card(payment_page_url: str, card: str) -> tuple[int, dict]:
    """Submit the card form of the card page; (status, response headers): a 303 goes to the challenge."""
    status, html, _ = http("GET", payment_page_url)
    assert status == 200, html
    query = dict(parse_qsl(urlsplit(payment_page_url).query))
    fields = {"client_secret": query["client_secret"], "card_number": card, "expiry": "12/34", "cvc": "123"}
    if "return_url" in query:
        fields["return_url"] = query["return_url"]
    confirm = urljoin(payment_page_url, urlsplit(payment_page_url).path + "/confirm")
    status, _, headers = http("POST", confirm, urlencode(fields).encode(),
                              {"Content-Type": "application/x-www-form-urlencoded"})
    return status, headers


def answer_challenge(challenge_url: str, *, complete: bool) -> str:
    """The bank's challenge page: Complete or Fail authentication. Answers where it sends the browser."""
    status, html, _ = http("GET", challenge_url)
    assert status == 200 and "Complete authentication" in html, html
    page = _Links()
    page.feed(html)
    form = {"outcome": "complete" if complete else "fail", **({"back": page.back} if page.back else {})}
    status, body, headers = http("POST", urljoin(challenge_url, urlsplit(challenge_url).path), urlencode(form).encode(),
                                 {"Content-Type": "application/x-www-form-urlencoded"})
    assert status in (302, 303), (status, body)
    return headers["Location"]


def redirect_status(location: str) -> str:
    query = urlsplit(location).query or urlsplit(location).fragment.partition("?")[2]
    return parse_qs(query)["redirect_status"][0]


def all_orders(shopper: Person) -> list[dict]:
    status, page, _ = shopper.call("GET", "/orders")
    assert status == 200, page
    return page["items"]


# ---- declined, retried on the same order; Back + Pay again ----------------------------------------


def test_declines_are_listed_back_and_pay_resumes_the_same_order_and_a_good_card_pays_it(live_stack):
    vendor = seeded_vendor(live_stack, 0)
    offer = new_offer(vendor, price=2990, shipping=0, stock=5, title="E2E flask")
    shopper = new_shopper(live_stack)
    add_to_cart(shopper, offer["offer_id"], 2)
    placed = checkout(shopper)
    order_id, page_url = placed["order"]["order_id"], placed["payment"]["payment_page_url"]

    assert pay_on_provider_page(page_url, CARD_DECLINED)[0] == 402
    assert pay_on_provider_page(page_url, CARD_INSUFFICIENT_FUNDS)[0] == 402
    waiting = wait_for_payment_state(live_stack, shopper, order_id, "awaiting_payment", attempts=2)
    assert [(a["outcome"], a["reason"]) for a in waiting["payment"]["attempts"]] == [
        ("declined", "card_declined"), ("declined", "insufficient_funds")]
    assert waiting["status"] == "pending_payment" and waiting["payment"]["can_pay"] is True

    # Browser Back from the card page, then Pay again: the same order and payment, stock held once.
    again = checkout(shopper)
    assert again["order"]["order_id"] == order_id
    assert again["payment"]["payment_intent_id"] == placed["payment"]["payment_intent_id"]
    assert [o["order_id"] for o in all_orders(shopper)] == [order_id]
    assert stock_of(vendor, offer["offer_id"]) == (3, 2, 0)

    pay_on_provider_page(again["payment"]["payment_page_url"], CARD_OK)
    paid = wait_for_status(live_stack, shopper, order_id, "paid")
    assert len(paid["payment"]["attempts"]) == 2
    assert stock_of(vendor, offer["offer_id"]) == (3, 0, 2)
    assert [o["order_id"] for o in all_orders(shopper)] == [order_id]


# ---- 3-D Secure on the card page ---------------------------------------------------------------------


def test_a_3ds_card_is_paid_once_its_challenge_is_completed(live_stack):
    vendor = seeded_vendor(live_stack, 1)
    offer = new_offer(vendor, price=4990, shipping=490, stock=3, title="E2E 3DS lamp")
    shopper = new_shopper(live_stack)
    add_to_cart(shopper, offer["offer_id"], 1)
    placed = checkout(shopper)
    order_id = placed["order"]["order_id"]

    status, headers = submit_card(placed["payment"]["payment_page_url"], CARD_3DS_ALWAYS)
    assert status in (302, 303), status
    waiting = wait_for_payment_state(live_stack, shopper, order_id, "requires_action")
    assert waiting["status"] == "pending_payment" and waiting["payment"]["can_pay"] is True

    back = answer_challenge(urljoin(live_stack.payments, headers["Location"]), complete=True)
    assert redirect_status(http("GET", back)[2].get("Location", back)) == "succeeded"

    wait_for_status(live_stack, shopper, order_id, "paid")
    assert stock_of(vendor, offer["offer_id"]) == (2, 0, 1)


def test_a_failed_challenge_leaves_the_order_payable_and_another_card_pays_it(live_stack):
    vendor = seeded_vendor(live_stack, 1)
    offer = new_offer(vendor, price=1990, shipping=0, stock=3, title="E2E 3DS fail")
    shopper = new_shopper(live_stack)
    add_to_cart(shopper, offer["offer_id"], 1)
    placed = checkout(shopper)
    order_id, page_url = placed["order"]["order_id"], placed["payment"]["payment_page_url"]

    status, headers = submit_card(page_url, CARD_3DS2)
    assert status in (302, 303), status
    answer_challenge(urljoin(live_stack.payments, headers["Location"]), complete=False)

    def declined():
        order = order_of(shopper, order_id)
        last = order["payment"]["last_attempt"]
        return order if last and last["outcome"] == "declined" else None

    failed = live_stack.wait_for(declined, "the failed authentication to be recorded", timeout=PAYMENT_DEADLINE)
    assert failed["status"] == "pending_payment" and failed["payment"]["can_pay"] is True
    assert failed["payment"]["last_attempt"]["reason"] == "authentication_failed"
    assert stock_of(vendor, offer["offer_id"]) == (2, 1, 0)

    pay_on_provider_page(page_url, CARD_OK)
    wait_for_status(live_stack, shopper, order_id, "paid")
    assert [o["order_id"] for o in all_orders(shopper)] == [order_id]


# ---- a saved 3-D Secure card --------------------------------------------------------------------------


def test_a_saved_3ds_card_asks_to_authenticate_and_the_order_turns_paid_after_it(live_stack):
    vendor = seeded_vendor(live_stack, 2)
    first = new_offer(vendor, price=1500, shipping=0, stock=3, title="E2E saved 3DS first")
    second = new_offer(vendor, price=2500, shipping=0, stock=3, title="E2E saved 3DS second")
    shopper = new_shopper(live_stack)
    add_to_cart(shopper, first["offer_id"], 1)
    placed = checkout(shopper, save_card=True)
    _, headers = submit_card(placed["payment"]["payment_page_url"], CARD_3DS_ALWAYS)
    answer_challenge(urljoin(live_stack.payments, headers["Location"]), complete=True)
    wait_for_status(live_stack, shopper, placed["order"]["order_id"], "paid")
    (card,) = live_stack.wait_for(lambda: shopper.call("GET", "/me/payment-methods")[1]["items"],
                                  "the card to be saved", timeout=PAYMENT_DEADLINE)

    add_to_cart(shopper, second["offer_id"], 1)
    placed = checkout(shopper, payment_method_id=card["id"])
    order_id = placed["order"]["order_id"]

    assert placed["payment"]["status"] == "requires_action"
    wait_for_payment_state(live_stack, shopper, order_id, "requires_action")
    assert stock_of(vendor, second["offer_id"]) == (2, 1, 0)
    # The card page the API gives offers the bank's challenge; completing it sends the shopper back.
    status, html, _ = http("GET", placed["payment"]["payment_page_url"])
    assert status == 200, html
    links = _Links()
    links.feed(html)
    assert "authenticate-link" in links.links, html
    back = answer_challenge(urljoin(live_stack.payments, links.links["authenticate-link"]),
                            complete=True)
    assert redirect_status(http("GET", back)[2].get("Location", back)) == "succeeded"

    wait_for_status(live_stack, shopper, order_id, "paid")
    assert stock_of(vendor, second["offer_id"]) == (2, 0, 1)
    intent = provider_api(live_stack, f"/v1/payment_intents/{placed['payment']['payment_intent_id']}")
    assert intent["status"] == "succeeded" and intent["payment_method"] == card["id"]


# ---- processing ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("card, ends", [(CARD_PROCESSING_SUCCEEDS, "paid"), (CARD_PROCESSING_FAILS, "declined")])
def test_a_processing_payment_is_shown_processing_then_settles(live_stack, card, ends):
    vendor = seeded_vendor(live_stack, 3)
    offer = new_offer(vendor, price=3590, shipping=0, stock=3, title="E2E processing")
    shopper = new_shopper(live_stack)
    add_to_cart(shopper, offer["offer_id"], 1)
    placed = checkout(shopper)
    order_id = placed["order"]["order_id"]

    status, headers = submit_card(placed["payment"]["payment_page_url"], card)
    assert status in (302, 303) and redirect_status(headers["Location"]) == "processing", (status, headers)
    processing = wait_for_payment_state(live_stack, shopper, order_id, "processing")
    assert processing["status"] == "pending_payment"
    assert processing["payment"]["can_pay"] is False and processing["payment"]["can_cancel"] is False

    if ends == "paid":
        wait_for_status(live_stack, shopper, order_id, "paid")
        assert stock_of(vendor, offer["offer_id"]) == (2, 0, 1)
    else:
        back = wait_for_payment_state(live_stack, shopper, order_id, "awaiting_payment")
        assert back["payment"]["last_attempt"]["outcome"] == "declined" and back["payment"]["can_pay"] is True
        assert stock_of(vendor, offer["offer_id"]) == (2, 1, 0)


# ---- cancel -----------------------------------------------------------------------------------------


def test_the_shopper_cancels_an_unpaid_order_and_its_stock_comes_back(live_stack):
    vendor = seeded_vendor(live_stack, 0)
    offer = new_offer(vendor, price=990, shipping=0, stock=4, title="E2E cancel")
    shopper = new_shopper(live_stack)
    add_to_cart(shopper, offer["offer_id"], 3)
    placed = checkout(shopper)
    order_id = placed["order"]["order_id"]
    assert pay_on_provider_page(placed["payment"]["payment_page_url"], CARD_DECLINED)[0] == 402
    assert stock_of(vendor, offer["offer_id"]) == (1, 3, 0)

    status, cancelled, _ = shopper.call("POST", f"/orders/{order_id}/cancel")

    assert status == 200 and cancelled["status"] == "cancelled", cancelled
    assert cancelled["payment"]["can_pay"] is False and cancelled["payment"]["can_cancel"] is False
    assert stock_of(vendor, offer["offer_id"]) == (4, 0, 0)
    intent = provider_api(live_stack, f"/v1/payment_intents/{placed['payment']['payment_intent_id']}")
    assert intent["status"] == "canceled"
    # The card page no longer takes a payment for it.
    assert http("GET", placed["payment"]["payment_page_url"])[0] == 409


# ---- paying again with a saved card --------------------------------------------------------------------


def test_a_declined_order_is_paid_again_with_a_saved_card_on_the_same_order(live_stack):
    vendor = seeded_vendor(live_stack, 2)
    first = new_offer(vendor, price=1200, shipping=0, stock=3, title="E2E saved first")
    second = new_offer(vendor, price=2200, shipping=0, stock=3, title="E2E saved retry")
    shopper = new_shopper(live_stack)
    add_to_cart(shopper, first["offer_id"], 1)
    placed = checkout(shopper, save_card=True)
    pay_on_provider_page(placed["payment"]["payment_page_url"], CARD_OK)
    wait_for_status(live_stack, shopper, placed["order"]["order_id"], "paid")
    (card,) = live_stack.wait_for(lambda: shopper.call("GET", "/me/payment-methods")[1]["items"],
                                  "the card to be saved", timeout=PAYMENT_DEADLINE)
    add_to_cart(shopper, second["offer_id"], 2)
    placed = checkout(shopper)
    order_id = placed["order"]["order_id"]
    assert pay_on_provider_page(placed["payment"]["payment_page_url"], CARD_DECLINED)[0] == 402
    wait_for_payment_state(live_stack, shopper, order_id, "awaiting_payment", attempts=1)

    status, answer, _ = shopper.call("POST", f"/orders/{order_id}/pay",
                                     {"payment_method_id": card["id"], "return_url": RETURN_URL},
                                     {"Idempotency-Key": uuid.uuid4().hex})

    assert status == 200 and answer["payment"]["status"] == "succeeded", answer
    assert answer["payment"]["payment_intent_id"] == placed["payment"]["payment_intent_id"]
    wait_for_status(live_stack, shopper, order_id, "paid")
    assert stock_of(vendor, second["offer_id"]) == (1, 0, 2)
    assert len(all_orders(shopper)) == 2
