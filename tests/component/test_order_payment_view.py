"""What the order page and the cart page need to guide a shopper through a payment that did not
go through at once: every failed attempt with its reason and time, and, for a saved card whose
bank asks to authenticate, the fact that checkout left the payment waiting for the shopper.

Through the real app, the local payment provider and the payment-events consumer (the `market`
of test_payment_events).
"""

from __future__ import annotations

from tests.component.test_payment_events import GOOD_CARD, market  # noqa: F401 - the fixture is used by name

INSUFFICIENT_FUNDS_CARD = "4000000000009995"
EXPIRED_CARD = "4000000000000069"
THREE_DS_CARD = "4000002760003184"  # authenticates every time, saved or not
ADDRESS = {"name": "Ada Lovelace", "line1": "Unter den Linden 1", "postal_code": "10117", "city": "Berlin",
           "country": "DE"}


def test_the_order_lists_every_declined_attempt_with_its_reason_oldest_first(market):  # noqa: F811
    market.add("tent", "a", 1)
    order, payment = market.checkout({"address": ADDRESS})
    assert market.order(order["order_id"])["payment"]["attempts"] == []

    market.pay(payment["payment_intent_id"], INSUFFICIENT_FUNDS_CARD)
    market.settle()
    market.pay(payment["payment_intent_id"], EXPIRED_CARD)
    market.settle()

    shown = market.order(order["order_id"])["payment"]
    assert [(a["outcome"], a["reason"]) for a in shown["attempts"]] == [
        ("declined", "insufficient_funds"), ("declined", "expired_card")]
    assert shown["attempts"][0]["at"] <= shown["attempts"][1]["at"]
    assert shown["last_attempt"] == shown["attempts"][-1]
    assert shown["can_pay"] is True and shown["payment_page_url"]
    # The list of orders shows the same attempts (the order page's "Try again" needs no second call).
    (listed,) = market.call("GET", "/orders")[1]["items"]
    assert listed["payment"]["attempts"] == shown["attempts"]

    market.pay(payment["payment_intent_id"], GOOD_CARD)
    market.settle()
    paid = market.order(order["order_id"])
    assert paid["status"] == "paid" and len(paid["payment"]["attempts"]) == 2


def test_checkout_with_a_saved_3ds_card_says_the_bank_asks_and_gives_the_page_to_authenticate(market):  # noqa: F811
    market.add("tent", "a", 1)
    _, payment = market.checkout({"address": ADDRESS, "save_card": True})
    assert payment["status"] == "requires_payment_method"  # the card is typed on the payment page
    market.pay(payment["payment_intent_id"], THREE_DS_CARD)
    market.payments.authenticate(payment["payment_intent_id"])
    market.settle()
    (card,) = market.call("GET", "/me/payment-methods")[1]["items"]

    market.add("headphones", "b", 1)
    order, payment = market.checkout({"address": ADDRESS, "payment_method_id": card["id"]})

    assert payment["status"] == "requires_action"
    assert payment["payment_page_url"] and payment["payment_intent_id"] in payment["payment_page_url"]
    market.settle()
    waiting = market.order(order["order_id"])
    assert waiting["status"] == "pending_payment" and waiting["payment"]["state"] == "requires_action"
    assert waiting["payment"]["can_pay"] is True and waiting["payment"]["payment_page_url"]
    assert market.stock("headphones", "b") == (9, 1, 0)

    market.payments.authenticate(payment["payment_intent_id"])
    market.settle()
    assert market.order(order["order_id"])["status"] == "paid"
    assert market.stock("headphones", "b") == (9, 0, 1)


def test_two_declines_read_after_both_happened_are_two_attempts_each_with_its_own_reason(market):  # noqa: F811
    # The consumer re-reads the intent, which by then carries only the second decline: each
    # `payment_failed` event still records the attempt it reports.
    market.add("tent", "a", 1)
    order, payment = market.checkout({"address": ADDRESS})

    market.pay(payment["payment_intent_id"], INSUFFICIENT_FUNDS_CARD)
    market.pay(payment["payment_intent_id"], EXPIRED_CARD)
    market.settle()

    attempts = market.order(order["order_id"])["payment"]["attempts"]
    assert sorted(a["reason"] for a in attempts) == ["expired_card", "insufficient_funds"]


def saved_card(market, card_number: str = GOOD_CARD) -> dict:  # noqa: F811
    """A first order paid on the payment page with "save this card": answers the saved card."""
    market.add("headphones", "b", 1)
    _, payment = market.checkout({"address": ADDRESS, "save_card": True})
    intent = market.pay(payment["payment_intent_id"], card_number)
    if intent["status"] == "requires_action":
        market.payments.authenticate(payment["payment_intent_id"])
    market.settle()
    (card,) = market.call("GET", "/me/payment-methods")[1]["items"]
    return card


def pay_again(market, order_id: str, body: dict, key: str = "retry-key-0001", token=None):  # noqa: F811
    return market.call("POST", f"/orders/{order_id}/pay", body, token, {"Idempotency-Key": key})


def test_a_declined_order_is_paid_again_with_a_saved_card_on_the_same_payment(market):  # noqa: F811
    card = saved_card(market)
    market.add("tent", "a", 2)
    order, payment = market.checkout({"address": ADDRESS})
    market.pay(payment["payment_intent_id"], INSUFFICIENT_FUNDS_CARD)
    market.settle()

    status, answer, _ = pay_again(market, order["order_id"], {"payment_method_id": card["id"]})

    assert status == 200, answer
    assert answer["payment"] == {"payment_intent_id": payment["payment_intent_id"], "status": "succeeded",
                                 "payment_page_url": answer["payment"]["payment_page_url"]}
    market.settle()
    paid = market.order(order["order_id"])
    assert paid["status"] == "paid" and market.stock("tent", "a") == (3, 0, 2)
    assert len(market.call("GET", "/orders")[1]["items"]) == 2  # the first order and this one: no new order
    # Repeating the same request changes nothing; a paid order cannot be paid again.
    assert pay_again(market, order["order_id"], {"payment_method_id": card["id"]})[0] == 409


def test_paying_again_with_a_saved_card_declined_or_someone_elses_card_or_an_ended_order(market, make_user):  # noqa: F811
    card = saved_card(market)
    market.add("tent", "a", 1)
    order, payment = market.checkout({"address": ADDRESS})

    missing = pay_again(market, order["order_id"], {"payment_method_id": "pm_card_visa"})
    assert missing[0] == 400 and missing[1]["error"]["fields"] == {"payment_method_id": "not one of your saved cards"}
    assert pay_again(market, order["order_id"], {"payment_method_id": "card"})[0] == 400
    no_key = market.call("POST", f"/orders/{order['order_id']}/pay", {"payment_method_id": card["id"]})
    assert no_key[0] == 400 and "Idempotency-Key" in no_key[1]["error"]["fields"]
    intruder = make_user("shopper")
    assert pay_again(market, order["order_id"], {"payment_method_id": card["id"]},
                     token=intruder.access_token)[0] == 404

    market.call("POST", f"/orders/{order['order_id']}/cancel")
    ended = pay_again(market, order["order_id"], {"payment_method_id": card["id"]})
    assert ended[0] == 409 and ended[1]["error"]["fields"] == {"status": "cancelled"}
    assert market.payments.payment_intent(payment["payment_intent_id"])["status"] == "canceled"


def test_a_saved_3ds_card_paying_an_order_again_asks_the_bank_first(market):  # noqa: F811
    card = saved_card(market, THREE_DS_CARD)
    market.add("tent", "a", 1)
    order, payment = market.checkout({"address": ADDRESS})

    status, answer, _ = pay_again(market, order["order_id"], {"payment_method_id": card["id"]})

    assert status == 200 and answer["payment"]["status"] == "requires_action", answer
    assert answer["payment"]["payment_page_url"]
    market.payments.authenticate(payment["payment_intent_id"])
    market.settle()
    assert market.order(order["order_id"])["status"] == "paid"
