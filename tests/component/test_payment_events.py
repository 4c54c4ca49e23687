"""Provider events drive orders: the payment-events consumer, the reservation sweeper, payouts and
saved cards, end to end through the local payment provider (real Stripe SDK over HTTP), the
signed webhook endpoint, the moto queue and the consumer as Lambda calls it.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from chalicelib.store import offers as offers_store
from chalicelib.store import orders as order_store
from chalicelib.store import vendor_orders as vendor_order_store
from chalicelib.store import vendors as vendors_store
from tests.fixtures.addresses import checkout_body
from tests.fixtures.aws import REGION, call

GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
DISPUTED_CARD = "4000000000000259"
TRACKING = {"carrier": "DHL", "tracking_number": "JD014600003828",
            "tracking_url": "https://www.dhl.com/track?id=JD014600003828"}


class Market:
    """A shopper buying from the test catalogue, with the provider's webhooks wired to the app."""

    def __init__(self, client, catalog, shopper, payments, drain, take_messages, stack):
        self.client, self.catalog, self.shopper = client, catalog, shopper
        self.payments, self._drain, self.take_messages, self.stack = payments, drain, take_messages, stack

    def call(self, method, path, body=None, token=None, headers=None):
        return call(self.client, method, path, body, token=token or self.shopper.access_token, headers=headers)

    def add(self, name, who, quantity, token=None):
        status, body, _ = self.call("PUT", f"/cart/lines/{self.catalog.offers[(name, who)]}", {"quantity": quantity},
                                    token)
        assert status == 200, body

    def checkout(self, body=None, token=None) -> tuple[dict, dict]:
        status, answer, _ = self.call("POST", "/checkout", body or checkout_body(), token,
                                      {"Idempotency-Key": uuid.uuid4().hex})
        assert status == 201, answer
        return answer["order"], answer["payment"]

    def pay(self, payment_intent_id: str, card: str = GOOD_CARD) -> dict:
        return self.payments.complete_payment(payment_intent_id, card)

    def settle(self):
        """Deliver the provider's pending webhooks to the app, then run the consumer on what they queued."""
        self.payments.deliver_webhooks()
        return self.drain()

    def drain(self):
        drained = self._drain("payment-events")
        assert not drained.errors, drained.errors
        return drained

    def order(self, order_id: str, token=None) -> dict:
        status, body, _ = self.call("GET", f"/orders/{order_id}", token=token)
        assert status == 200, body
        return body

    def stock(self, name, who) -> tuple[int, int, int]:
        item = offers_store.get_offer(self.catalog.offers[(name, who)])
        return int(item.available), int(item.reserved), int(item.sold)

    def cart_offers(self, token=None) -> dict[str, int]:
        return {line["offer_id"]: line["quantity"] for line in self.call("GET", "/cart", token=token)[1]["lines"]}

    def published(self) -> list[tuple[str, str]]:
        return [(m["type"], m["data"].get("order_id")) for m in self.take_messages("notifications")]

    def requeue(self, event: dict) -> None:
        """What an SQS redelivery (or a webhook retry past dedup) puts on the queue: the same event again."""
        from chalicelib.payments.webhooks import StripeEvent, queue_message

        message = queue_message(StripeEvent.model_validate(event))
        boto3.client("sqs", region_name=REGION).send_message(
            QueueUrl=self.stack.queues["payment-events"], MessageBody=json.dumps(message))

    def event_for(self, event_type: str, payment_intent_id: str) -> dict:
        (event,) = [e for e in self.payments.events(event_type)
                    if e["data"]["object"].get("id") == payment_intent_id
                    or e["data"]["object"].get("payment_intent") == payment_intent_id]
        return event

    def refunds_of(self, payment_intent_id: str) -> list[dict]:
        return self.payments.ledger.of_kind("refund", payment_intent=payment_intent_id)

    def transfers_of(self, order_id: str) -> list[dict]:
        return self.payments.ledger.of_kind("transfer", transfer_group=order_id)

    def ship(self, order_id: str, vendor) -> None:
        """The vendor accepts and ships its part: only then may the shopper confirm receipt."""
        for step, body in (("accept", None), ("ship", TRACKING)):
            status, answer, _ = self.call("POST", f"/vendor/orders/{order_id}/{step}", body,
                                          token=vendor.access_token)
            assert status == 200, answer


@pytest.fixture
def market(app_client, catalog, payments, make_user, drain, take_messages, stack):
    payments.webhook_target = lambda body, headers: app_client.http.post(
        "/webhooks/stripe", body=body, headers=headers).status_code
    shop = Market(app_client, catalog, make_user("shopper"), payments, drain, take_messages, stack)
    take_messages("notifications")  # sign-ups of the test users
    return shop


def later(minutes: int = 31) -> datetime:
    return datetime.now(UTC) + timedelta(minutes=minutes)


def expire(now=None, gateway=None):
    from chalicelib.services.reservation_sweeper import expire_reservations

    return expire_reservations(now or later(), gateway=gateway)


# --- paying ------------------------------------------------------------------------------------


def test_a_good_card_pays_the_order_sells_the_reserved_stock_and_empties_the_cart(market):
    market.add("tent", "a", 2)
    market.add("headphones", "b", 1)
    order, payment = market.checkout()
    assert market.stock("tent", "a") == (3, 2, 0)

    intent = market.pay(payment["payment_intent_id"])
    market.settle()

    paid = market.order(order["order_id"])
    assert intent["status"] == "succeeded"
    assert paid["status"] == "paid" and paid["payment"]["state"] == "paid"
    assert market.stock("tent", "a") == (3, 0, 2) and market.stock("headphones", "b") == (9, 0, 1)
    assert market.cart_offers() == {}
    assert [v["status"] for v in paid["vendors"]] == ["placed", "placed"]
    assert paid["order_number"].startswith("H-")
    assert all(e["label"] not in ("Stock reserved", "Stock sold") for e in paid["timeline"])  # internal
    assert [e["status"] for e in paid["timeline"] if e["status"]] == ["pending_payment", "paid"]
    assert ("order.paid", order["order_id"]) in market.published()
    vendor_orders = vendor_order_store.list_vendor_orders(order["order_id"])
    assert {v["charge_id"] for v in vendor_orders} == {intent["latest_charge"]}


def test_a_line_changed_after_checkout_stays_in_the_cart(market):
    market.add("tent", "a", 1)
    market.add("headphones", "b", 1)
    _, payment = market.checkout()
    market.add("headphones", "b", 3)  # the shopper wants more for a next order

    market.pay(payment["payment_intent_id"])
    market.settle()

    assert market.cart_offers() == {market.catalog.offers[("headphones", "b")]: 3}


def test_a_declined_card_keeps_the_order_and_its_stock_and_the_retry_pays_the_same_order(market):
    market.add("tent", "a", 2)
    order, payment = market.checkout()

    market.pay(payment["payment_intent_id"], DECLINED_CARD)
    market.settle()

    declined = market.order(order["order_id"])
    assert declined["status"] == "pending_payment" and declined["payment"]["state"] == "awaiting_payment"
    assert declined["payment"]["can_pay"] is True
    assert declined["payment"]["last_attempt"]["outcome"] == "declined"
    assert declined["payment"]["last_attempt"]["reason"] == "card_declined"
    assert market.stock("tent", "a") == (3, 2, 0)  # still held for the retry
    assert market.payments.payment_intent(payment["payment_intent_id"])["status"] == "requires_payment_method"
    assert market.cart_offers() == {market.catalog.offers[("tent", "a")]: 2}
    assert ("payment.failed", order["order_id"]) in market.published()

    market.pay(payment["payment_intent_id"], GOOD_CARD)  # same order, same PaymentIntent
    market.settle()
    assert market.order(order["order_id"])["status"] == "paid"
    assert market.stock("tent", "a") == (3, 0, 2)


def test_back_and_pay_again_resumes_the_same_order_and_a_changed_cart_replaces_it(market):
    market.add("tent", "a", 1)
    first, payment = market.checkout()
    again, again_payment = market.checkout()  # Back, then Pay: the same cart
    assert again["order_id"] == first["order_id"]
    assert again_payment["payment_intent_id"] == payment["payment_intent_id"]
    assert market.stock("tent", "a") == (4, 1, 0)  # reserved once

    market.add("tent", "a", 2)  # the cart changed: the old order gives its stock back
    replaced, _ = market.checkout()
    assert replaced["order_id"] != first["order_id"]
    assert market.order(first["order_id"])["status"] == "cancelled"
    assert market.stock("tent", "a") == (3, 2, 0)


def test_the_shopper_cancels_an_unpaid_order_once_but_never_a_paid_one(market):
    market.add("tent", "a", 2)
    order, payment = market.checkout()
    status, cancelled, _ = market.call("POST", f"/orders/{order['order_id']}/cancel")
    assert status == 200 and cancelled["status"] == "cancelled"
    assert market.stock("tent", "a") == (5, 0, 0)
    assert market.payments.payment_intent(payment["payment_intent_id"])["status"] == "canceled"
    assert market.call("POST", f"/orders/{order['order_id']}/cancel")[0] == 200  # a repeat: same answer
    assert market.stock("tent", "a") == (5, 0, 0)

    market.add("tent", "a", 1)
    paid, paid_payment = market.checkout()
    market.pay(paid_payment["payment_intent_id"])
    market.settle()
    status, body, _ = market.call("POST", f"/orders/{paid['order_id']}/cancel")
    assert status == 409 and body["error"]["fields"] == {"status": "paid"}


# --- duplicates and reordering ----------------------------------------------------------------


def test_a_redelivered_success_changes_the_order_once(market):
    market.add("tent", "a", 2)
    order, payment = market.checkout()
    market.pay(payment["payment_intent_id"])
    market.settle()
    market.published()

    succeeded = market.event_for("payment_intent.succeeded", payment["payment_intent_id"])
    market.requeue(succeeded)
    market.requeue(succeeded)
    drained = market.drain()

    assert drained.processed == 2 and drained.failed == 0
    paid = market.order(order["order_id"])
    assert [e["status"] for e in paid["timeline"] if e["status"]] == ["pending_payment", "paid"]
    assert market.stock("tent", "a") == (3, 0, 2)
    assert market.published() == []
    assert market.refunds_of(payment["payment_intent_id"]) == []


def test_a_failure_arriving_after_the_success_changes_nothing(market):
    market.add("tent", "a", 1)
    order, payment = market.checkout()
    market.pay(payment["payment_intent_id"], DECLINED_CARD)  # first try declined...
    market.pay(payment["payment_intent_id"], GOOD_CARD)  # ...the second one goes through
    failed = market.event_for("payment_intent.payment_failed", payment["payment_intent_id"])
    succeeded = market.event_for("payment_intent.succeeded", payment["payment_intent_id"])

    market.requeue(succeeded)
    market.drain()
    market.requeue(failed)
    market.drain()

    assert market.order(order["order_id"])["status"] == "paid"
    assert market.stock("tent", "a") == (4, 0, 1)
    assert market.payments.payment_intent(payment["payment_intent_id"])["status"] == "succeeded"
    assert market.refunds_of(payment["payment_intent_id"]) == []


def test_a_stale_failure_read_after_the_retry_succeeded_pays_the_order(market):
    """The failure event arrives first, but the provider now says succeeded: the truth wins."""
    market.add("tent", "a", 1)
    order, payment = market.checkout()
    market.pay(payment["payment_intent_id"], DECLINED_CARD)
    market.pay(payment["payment_intent_id"], GOOD_CARD)

    market.settle()  # failure, then success, as the provider sent them

    assert market.order(order["order_id"])["status"] == "paid"
    assert market.stock("tent", "a") == (4, 0, 1)
    assert market.refunds_of(payment["payment_intent_id"]) == []


# --- the reservation sweeper and its races --------------------------------------------------------


def test_an_unpaid_order_expires_once_and_can_no_longer_be_paid(market):
    market.add("tent", "a", 2)
    order, payment = market.checkout()

    assert expire(now=later(29)) == {}  # still within its reservation
    assert expire() == {"cancelled": 1}
    assert expire() == {}

    cancelled = market.order(order["order_id"])
    assert cancelled["status"] == "cancelled" and market.stock("tent", "a") == (5, 0, 0)
    assert market.payments.payment_intent(payment["payment_intent_id"])["status"] == "canceled"
    market.pay(payment["payment_intent_id"])  # the payment page refuses a cancelled payment
    market.settle()
    assert market.order(order["order_id"])["status"] == "cancelled"
    assert market.stock("tent", "a") == (5, 0, 0)
    assert ("order.cancelled", order["order_id"]) in market.published()


def test_the_sweeper_pays_an_order_whose_success_webhook_is_still_on_its_way(market):
    market.add("tent", "a", 2)
    order, payment = market.checkout()
    market.pay(payment["payment_intent_id"])  # the provider took the money; the webhook is late

    assert expire() == {"paid": 1}
    market.settle()  # the webhook, late: nothing more happens

    paid = market.order(order["order_id"])
    assert paid["status"] == "paid" and market.stock("tent", "a") == (3, 0, 2)
    assert market.refunds_of(payment["payment_intent_id"]) == []
    assert market.cart_offers() == {}


def test_a_payment_succeeding_after_the_order_expired_is_refunded_once(market):
    """The provider refused our cancel (for another reason than a success), so the order expired with
    its payment still open; the shopper then pays: the money goes back, the stock stays released."""
    market.add("tent", "a", 2)
    order, payment = market.checkout()
    pi = payment["payment_intent_id"]
    market.payments.fail_next("POST", f"/v1/payment_intents/{pi}/cancel", status=400, times=2)

    assert expire() == {"cancelled": 1}
    market.pay(pi)
    market.settle()
    market.settle()  # charge.refunded comes back from the provider

    refunded = market.order(order["order_id"])
    (refund,) = market.refunds_of(pi)
    assert refunded["status"] == "refunded" and refunded["payment"]["state"] == "refunded"
    assert refund["amount"] == refunded["totals"]["total"]["amount"]
    assert refunded["payment"]["refunded"] == refunded["totals"]["total"]
    assert market.stock("tent", "a") == (5, 0, 0)
    market.requeue(market.event_for("payment_intent.succeeded", pi))
    market.drain()
    assert len(market.refunds_of(pi)) == 1


def test_a_provider_outage_fails_only_that_record_and_its_retry_applies_it(market, make_user):
    other = make_user("shopper")
    market.add("tent", "a", 1)
    first, first_payment = market.checkout()
    market.add("headphones", "b", 1, token=other.access_token)
    second, second_payment = market.checkout(token=other.access_token)
    market.pay(first_payment["payment_intent_id"])
    market.pay(second_payment["payment_intent_id"])
    market.payments.deliver_webhooks()
    # The SDK retries twice itself; the third failure reaches the consumer.
    market.payments.fail_next("GET", f"/v1/payment_intents/{first_payment['payment_intent_id']}", 503, times=3)

    drained = market.drain()

    assert drained.failed == 1 and drained.processed >= 2
    assert market.order(first["order_id"])["status"] == "paid"
    assert market.order(second["order_id"], token=other.access_token)["status"] == "paid"
    assert market.stock("tent", "a") == (4, 0, 1)


# --- refunds, disputes and events that are not ours ---------------------------------------------


def _send(stack, message: dict) -> None:
    boto3.client("sqs", region_name=REGION).send_message(QueueUrl=stack.queues["payment-events"],
                                                         MessageBody=json.dumps(message))


def test_a_refund_made_at_the_provider_is_recorded_once(market):
    market.add("tent", "a", 1)
    order, payment = market.checkout()
    market.pay(payment["payment_intent_id"])
    market.settle()

    market.payments.ledger.create_refund({"payment_intent": payment["payment_intent_id"], "amount": "5000"}, {})
    market.settle()
    market.requeue(market.event_for("charge.refunded", payment["payment_intent_id"]))
    market.drain()

    seen = market.order(order["order_id"])
    assert seen["status"] == "paid"
    assert seen["payment"]["refunded"] == {"amount": 5000, "currency": "EUR"}
    assert [e["kind"] for e in seen["timeline"]].count("refund") == 1


def test_disputes_are_recorded_and_an_older_event_never_overrides_a_newer_one(market, stack):
    market.add("tent", "a", 1)
    order, payment = market.checkout()
    market.pay(payment["payment_intent_id"], DISPUTED_CARD)
    market.settle()
    created = market.event_for("charge.dispute.created", payment["payment_intent_id"])
    dispute = created["data"]["object"]

    closed = {"event_id": "evt_closed_1", "type": "charge.dispute.closed", "created": created["created"] + 60,
              "livemode": False, "account": None, "object": {**dispute, "status": "lost"}}
    _send(stack, closed)
    _send(stack, closed)
    market.drain()
    market.requeue(created)  # the older event, redelivered late
    market.drain()

    seen = market.order(order["order_id"])
    stored = order_store.get_order(order["order_id"])["disputes"][dispute["id"]]
    assert seen["payment"]["disputed"] is True
    assert stored["status"] == "lost"
    # created, funds withdrawn (the provider sends it as Stripe does), closed: once each
    assert [e["kind"] for e in seen["timeline"]].count("dispute") == 3
    assert seen["status"] == "paid"


def test_unknown_types_and_the_other_mode_are_acknowledged_and_change_nothing(market, stack):
    market.add("tent", "a", 1)
    order, payment = market.checkout()
    intent = market.payments.payment_intent(payment["payment_intent_id"])
    succeeded = {**intent, "status": "succeeded"}
    _send(stack, {"event_id": "evt_live_1", "type": "payment_intent.succeeded", "created": 1, "livemode": True,
                  "account": None, "object": succeeded})
    _send(stack, {"event_id": "evt_other_1", "type": "customer.created", "created": 1, "livemode": False,
                  "account": None, "object": {"id": "cus_1"}})
    _send(stack, {"event_id": "evt_forged_1", "type": "payment_intent.succeeded", "created": 1, "livemode": False,
                  "account": None, "object": succeeded})  # says succeeded; the provider says otherwise

    drained = market.drain()

    assert drained.processed == 3 and drained.failed == 0
    assert market.order(order["order_id"])["status"] == "pending_payment"
    assert market.stock("tent", "a") == (4, 1, 0)


def test_a_malformed_message_fails_and_goes_to_the_dead_letter_queue(market, stack):
    _send(stack, {"type": "payment_intent.succeeded"})

    drained = market.drain()

    assert drained.processed == 0 and drained.failed == 5
    sqs = boto3.client("sqs", region_name=REGION)
    dlq = sqs.get_queue_url(QueueName=f"{stack.stack_name}-payment-events-dlq")["QueueUrl"]
    assert len(sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])) == 1


# --- vendor payouts --------------------------------------------------------------------------------


@pytest.fixture
def connected(market):
    """Both test vendors onboarded with a connected account at the provider."""

    accounts = {market.catalog.vendor_a.user_id: market.payments.add_account()["id"],
                market.catalog.vendor_b.user_id: market.payments.add_account()["id"]}
    for vendor_id, account_id in accounts.items():
        vendors_store.set_vendor_payout_account(vendor_id, account_id)
    return accounts


def _paid_two_vendor_order(market) -> tuple[dict, dict, dict]:
    market.add("tent", "a", 1)  # 199.00, no shipping -> commission 19.90, payout 179.10
    market.add("headphones", "b", 2)  # 2 x 129.00 -> commission 25.80, payout 232.20
    order, payment = market.checkout()
    intent = market.pay(payment["payment_intent_id"])
    market.settle()
    return order, payment, intent


def test_at_payment_each_vendor_gets_one_transfer_from_the_charge(market, connected, monkeypatch):
    monkeypatch.setenv("HALLES_PAYOUT_RELEASE", "at_payment")
    order, payment, intent = _paid_two_vendor_order(market)
    market.requeue(market.event_for("payment_intent.succeeded", payment["payment_intent_id"]))
    market.drain()

    transfers = {t["destination"]: t for t in market.transfers_of(order["order_id"])}
    a, b = connected[market.catalog.vendor_a.user_id], connected[market.catalog.vendor_b.user_id]
    assert {k: v["amount"] for k, v in transfers.items()} == {a: 17910, b: 23220}
    assert {t["source_transaction"] for t in transfers.values()} == {intent["latest_charge"]}
    assert {t["currency"] for t in transfers.values()} == {"eur"}
    by_vendor = {v["vendor_id"]: v for v in vendor_order_store.list_vendor_orders(order["order_id"])}
    assert by_vendor[market.catalog.vendor_a.user_id]["transfer_id"] == transfers[a]["id"]
    assert by_vendor[market.catalog.vendor_a.user_id]["payout_status"] == "transferred"
    # Payouts are the platform's business: recorded on the order, never in the shopper's timeline.
    assert "transfer" not in [e["kind"] for e in market.order(order["order_id"])["timeline"]]
    from chalicelib.store.order_repository import DynamoOrderRepository

    stored = DynamoOrderRepository().get(order["order_id"])
    assert [(e.kind, e.audience.value) for e in stored.timeline].count(("transfer", "internal")) == 2


def test_on_delivery_the_payout_waits_for_the_shoppers_confirmation(market, connected):
    order, _, intent = _paid_two_vendor_order(market)
    assert market.transfers_of(order["order_id"]) == []
    vendor_a = market.catalog.vendor_a.user_id
    path = f"/orders/{order['order_id']}/vendors/{vendor_a}/confirm-receipt"
    assert market.call("POST", path)[1]["error"]["code"] == "not_shipped"  # not before the vendor shipped
    market.ship(order["order_id"], market.catalog.vendor_a)

    status, body, _ = market.call("POST", path)
    again = market.call("POST", path)

    assert status == 200 and again[0] == 200
    assert body["status"] == "delivered" and body["payout"]["status"] == "transferred"
    assert body["payout"]["amount"] == {"amount": 17910, "currency": "EUR"}
    assert again[1]["payout"]["transfer_id"] == body["payout"]["transfer_id"]
    assert again[1]["delivered_at"] == body["delivered_at"]
    (transfer,) = market.transfers_of(order["order_id"])
    assert transfer["destination"] == connected[vendor_a] and transfer["amount"] == 17910
    assert transfer["source_transaction"] == intent["latest_charge"]
    seen = market.order(order["order_id"])
    assert {v["vendor_id"]: v["status"] for v in seen["vendors"]}[vendor_a] == "delivered"


def test_a_vendor_without_a_payout_account_waits_without_failing(market, monkeypatch):
    monkeypatch.setenv("HALLES_PAYOUT_RELEASE", "at_payment")
    order, _, _ = _paid_two_vendor_order(market)

    assert market.order(order["order_id"])["status"] == "paid"
    assert market.transfers_of(order["order_id"]) == []
    assert {v["payout_status"] for v in vendor_order_store.list_vendor_orders(order["order_id"])} == {
        "awaiting_vendor_account"}

    vendor_b = market.catalog.vendor_b.user_id

    vendors_store.set_vendor_payout_account(vendor_b, market.payments.add_account()["id"])
    market.ship(order["order_id"], market.catalog.vendor_b)
    status, body, _ = market.call("POST", f"/orders/{order['order_id']}/vendors/{vendor_b}/confirm-receipt")
    assert status == 200 and body["payout"]["status"] == "transferred"
    assert [t["amount"] for t in market.transfers_of(order["order_id"])] == [23220]


def retry_payouts(now=None):
    from chalicelib.services.payouts import retry_payouts as run

    return run(now or later(1))


def test_a_transfer_failed_on_an_outage_is_paid_once_by_the_retry_schedule(market, connected):
    order, _, _ = _paid_two_vendor_order(market)
    vendor_a = market.catalog.vendor_a.user_id
    # The SDK retries twice itself; the third failure reaches the release.
    market.payments.fail_next("POST", "/v1/transfers", 503, times=3)
    market.ship(order["order_id"], market.catalog.vendor_a)

    status, body, _ = market.call("POST", f"/orders/{order['order_id']}/vendors/{vendor_a}/confirm-receipt")

    assert status == 200 and body["payout"]["status"] != "transferred"
    assert market.transfers_of(order["order_id"]) == []
    assert retry_payouts() == {"transferred": 1}
    assert retry_payouts() == {} and retry_payouts(later(60)) == {}
    (transfer,) = market.transfers_of(order["order_id"])
    assert transfer["destination"] == connected[vendor_a] and transfer["amount"] == 17910
    by_vendor = {v["vendor_id"]: v for v in vendor_order_store.list_vendor_orders(order["order_id"])}
    assert by_vendor[vendor_a]["payout_status"] == "transferred"
    assert by_vendor[vendor_a]["transfer_id"] == transfer["id"]


def test_at_payment_an_outage_does_not_fail_the_payment_and_the_retry_pays_each_vendor_once(
        market, connected, monkeypatch):
    monkeypatch.setenv("HALLES_PAYOUT_RELEASE", "at_payment")
    market.payments.fail_next("POST", "/v1/transfers", 503, times=3)

    order, _, _ = _paid_two_vendor_order(market)

    assert market.order(order["order_id"])["status"] == "paid"
    assert len(market.transfers_of(order["order_id"])) == 1  # the other vendor's went through
    assert retry_payouts() == {"transferred": 1}
    retry_payouts(later(60))
    assert sorted(t["amount"] for t in market.transfers_of(order["order_id"])) == [17910, 23220]
    assert {v["payout_status"] for v in vendor_order_store.list_vendor_orders(order["order_id"])} == {"transferred"}


def test_a_payout_awaiting_the_vendors_account_is_paid_by_the_retry_once_it_exists(market, monkeypatch):
    monkeypatch.setenv("HALLES_PAYOUT_RELEASE", "at_payment")
    order, _, _ = _paid_two_vendor_order(market)
    vendor_b = market.catalog.vendor_b.user_id

    assert retry_payouts() == {"awaiting_vendor_account": 2}  # still no account: both stay due
    assert market.transfers_of(order["order_id"]) == []
    vendors_store.set_vendor_payout_account(vendor_b, market.payments.add_account()["id"])

    assert retry_payouts(later(2)) == {"awaiting_vendor_account": 1, "transferred": 1}
    assert retry_payouts(later(3)) == {"awaiting_vendor_account": 1}
    assert [t["amount"] for t in market.transfers_of(order["order_id"])] == [23220]
    by_vendor = {v["vendor_id"]: v["payout_status"] for v in vendor_order_store.list_vendor_orders(order["order_id"])}
    assert by_vendor == {vendor_b: "transferred", market.catalog.vendor_a.user_id: "awaiting_vendor_account"}


def test_a_transfer_made_before_a_crash_is_found_again_not_doubled(market, connected):
    order, _, _ = _paid_two_vendor_order(market)
    vendor_a = market.catalog.vendor_a.user_id
    # The provider makes the transfer, but its answer is lost (the SDK's own retries get 503 too).
    market.payments.fail_next("POST", "/v1/transfers", 503, times=3, after=True)
    market.ship(order["order_id"], market.catalog.vendor_a)

    market.call("POST", f"/orders/{order['order_id']}/vendors/{vendor_a}/confirm-receipt")
    retry_payouts()
    retry_payouts(later(60))

    (transfer,) = market.transfers_of(order["order_id"])
    assert transfer["amount"] == 17910
    (vendor_order,) = [v for v in vendor_order_store.list_vendor_orders(order["order_id"]) if v["vendor_id"] == vendor_a]
    assert vendor_order["transfer_id"] == transfer["id"] and vendor_order["payout_status"] == "transferred"


def test_only_the_orders_shopper_confirms_and_only_a_paid_order(market, connected, make_user):
    market.add("tent", "a", 1)
    unpaid, _ = market.checkout()
    vendor_a = market.catalog.vendor_a.user_id
    paid, _, _ = _paid_two_vendor_order(market)
    intruder = make_user("shopper")
    vendor = market.catalog.vendor_a
    market.ship(paid["order_id"], vendor)

    assert market.call("POST", f"/orders/{unpaid['order_id']}/vendors/{vendor_a}/confirm-delivery")[0] == 409
    assert market.call("POST", f"/orders/{paid['order_id']}/vendors/{vendor_a}/confirm-delivery",
                       token=intruder.access_token)[0] == 404
    assert market.call("POST", f"/orders/{paid['order_id']}/vendors/{vendor_a}/confirm-delivery",
                       token=vendor.access_token)[0] == 403
    assert market.call("POST", f"/orders/{paid['order_id']}/vendors/nobody/confirm-delivery")[0] == 404
    assert market.call("POST", f"/orders/ord_nothing/vendors/{vendor_a}/confirm-delivery")[0] == 404
    assert market.transfers_of(paid["order_id"]) == []


# --- saved cards ---------------------------------------------------------------------------------


def test_a_saved_card_is_listed_pays_the_next_order_and_can_be_removed(market, make_user):
    assert market.call("GET", "/me/payment-methods")[1] == {"items": []}  # no customer yet
    market.add("tent", "a", 1)
    _, payment = market.checkout(checkout_body(save_card=True))
    market.pay(payment["payment_intent_id"])
    market.settle()

    status, cards, _ = market.call("GET", "/me/payment-methods")
    (card,) = cards["items"]
    assert status == 200 and card["last4"] == "4242" and card["brand"] == "visa"

    market.add("headphones", "b", 1)
    order, payment = market.checkout(checkout_body(payment_method_id=card["id"]))
    market.settle()
    assert market.order(order["order_id"])["status"] == "paid"
    assert market.stock("headphones", "b") == (9, 0, 1)

    intruder = make_user("shopper")
    assert market.call("DELETE", f"/me/payment-methods/{card['id']}", token=intruder.access_token)[0] == 404
    assert market.call("GET", "/me/payment-methods", token=intruder.access_token)[1] == {"items": []}
    assert market.call("GET", "/me/payment-methods")[1]["items"] == [card]

    status, _, _ = market.call("DELETE", f"/me/payment-methods/{card['id']}")
    assert status == 204
    assert market.call("GET", "/me/payment-methods")[1] == {"items": []}
    assert market.call("DELETE", f"/me/payment-methods/{card['id']}")[0] == 404


def test_another_shoppers_saved_card_cannot_pay_my_order_or_be_removed(market, make_user):
    market.add("tent", "a", 1)
    _, payment = market.checkout(checkout_body(save_card=True))
    market.pay(payment["payment_intent_id"])
    market.settle()
    (card,) = market.call("GET", "/me/payment-methods")[1]["items"]

    intruder = make_user("shopper")
    market.add("headphones", "b", 1, token=intruder.access_token)
    status, body, _ = market.call("POST", "/checkout", checkout_body(payment_method_id=card["id"]),
                                  token=intruder.access_token, headers={"Idempotency-Key": uuid.uuid4().hex})

    assert status in (400, 402, 404), body
    assert market.stock("headphones", "b") == (10, 0, 0)
    assert market.call("DELETE", f"/me/payment-methods/{card['id']}", token=intruder.access_token)[0] == 404
    assert market.call("GET", "/me/payment-methods")[1]["items"] == [card]


def test_payment_method_routes_are_for_shoppers_only(market):
    vendor = market.catalog.vendor_a
    assert market.call("GET", "/me/payment-methods", token=vendor.access_token)[0] == 403
    status, _, _ = call(market.client, "GET", "/me/payment-methods")
    assert status == 401


def test_a_payment_provider_outage_on_saved_cards_is_a_503_to_retry_not_a_500(market):
    market.add("tent", "a", 1)
    _, payment = market.checkout(checkout_body(save_card=True))
    market.pay(payment["payment_intent_id"])
    market.settle()
    market.payments.fail_next("GET", "/v1/customers/*", 503, times=3)

    status, body, headers = market.call("GET", "/me/payment-methods")

    assert status == 503 and headers["Retry-After"] == "5"
    assert body["error"]["code"] == "provider_error"


# --- issue 7: no payout for money that went back ----------------------------------------------------


def _sdk(market):
    import stripe

    return stripe.StripeClient(market.payments.api_key, base_addresses={"api": market.payments.url},
                               max_network_retries=0)


def test_a_refund_at_the_provider_before_delivery_means_no_payout_and_says_why(market, connected):
    order, payment, _ = _paid_two_vendor_order(market)
    _sdk(market).v1.refunds.create(params={"payment_intent": payment["payment_intent_id"]})  # the whole charge
    market.settle()
    vendor_a = market.catalog.vendor_a.user_id
    market.ship(order["order_id"], market.catalog.vendor_a)

    status, body, _ = market.call("POST", f"/orders/{order['order_id']}/vendors/{vendor_a}/confirm-receipt")

    assert status == 200 and body["status"] == "delivered"
    assert body["payout"]["amount"]["amount"] == 0 and body["payout"]["status"] == "nothing_to_pay_refunded"
    assert market.transfers_of(order["order_id"]) == []


def test_no_payout_while_a_dispute_is_open_and_the_retry_pays_it_once_won(market, connected):
    market.add("tent", "a", 1)
    order, payment = market.checkout()
    market.pay(payment["payment_intent_id"], DISPUTED_CARD)
    market.settle()
    vendor_a = market.catalog.vendor_a.user_id
    market.ship(order["order_id"], market.catalog.vendor_a)

    status, body, _ = market.call("POST", f"/orders/{order['order_id']}/vendors/{vendor_a}/confirm-receipt")

    assert status == 200 and body["payout"] == {"status": "held_dispute_open", "transfer_id": None,
                                                "amount": {"amount": 0, "currency": "EUR"}}
    assert market.transfers_of(order["order_id"]) == []

    # Won: the payout was left due, and the retry schedule pays it once.
    dispute = market.event_for("charge.dispute.created", payment["payment_intent_id"])["data"]["object"]
    market.payments.settle_dispute(dispute["id"], won=True)
    market.settle()
    assert retry_payouts(later(1)) == {"transferred": 1}
    assert retry_payouts(later(2)) == {}
    (transfer,) = market.transfers_of(order["order_id"])
    assert transfer["destination"] == connected[vendor_a]


def test_a_refund_after_the_payout_takes_the_vendors_share_back_once(market, connected):
    order, payment, _ = _paid_two_vendor_order(market)
    vendor_a = market.catalog.vendor_a.user_id
    market.ship(order["order_id"], market.catalog.vendor_a)
    paid_out = market.call("POST", f"/orders/{order['order_id']}/vendors/{vendor_a}/confirm-receipt")[1]
    assert paid_out["payout"]["amount"]["amount"] == 17910

    _sdk(market).v1.refunds.create(params={"payment_intent": payment["payment_intent_id"]})
    market.settle()
    market.requeue(market.event_for("charge.refunded", payment["payment_intent_id"]))
    market.drain()

    (transfer,) = market.transfers_of(order["order_id"])
    assert market.payments.ledger.get("transfer", transfer["id"])["amount_reversed"] == 17910
    (vendor_order,) = [v for v in vendor_order_store.list_vendor_orders(order["order_id"]) if v["vendor_id"] == vendor_a]
    assert vendor_order["transferred"] == 0
