"""Stock and money invariants under any interleaving of checkouts, payments, failures, expiry,
duplicate and reordered provider events, and the vendor's stock updates: re-sent and new
declarations of units on hand (PUT offer, with and without a stale If-Match) and stock
adjustments, repeated with the same Idempotency-Key (Hypothesis stateful testing).

Everything real but the clock: checkout and cart use cases on the DynamoDB tables (moto), the
local payment provider over HTTP through the Stripe SDK, signed webhooks into the app, the
payment-events consumer as Lambda calls it, and the sweeper. Each example gets fresh offers
and shoppers in one deployed stack; the invariants only look at the example's own offers.

Invariants, after every step:
- for every offer: available + reserved + sold == the units the vendor supplied (the last
  declaration of units on hand plus what was sold before it, plus the adjustments since), none
  negative: checkout never promises more units than the vendor declared, and re-sending a
  declaration or an adjustment never adds any;
- reserved == units of the example's orders still `pending_payment`, sold == units of `paid`
  ones (an order's status and its stock move together, in one transaction);
- each order is charged at most once: successful charges minus refunds at the provider <= 1;
- once every event has been delivered and consumed: an order is `paid` exactly when the
  provider holds its money (a charge that was not refunded).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from chalicelib.domain.errors import DomainError
from chalicelib.settings import get_settings
from chalicelib.store import offers as offers_store
from chalicelib.store import orders as order_store
from tests.fixtures.addresses import checkout_body
from tests.fixtures.aws import REGION

GOOD_CARD = "4242424242424242"
DECLINED_CARD = "4000000000000002"
INITIAL_STOCK = (3, 2)
CHECKOUT_BODY = checkout_body(save_card=False, payment_method_id=None, return_url=None)


class World:
    """What the machine drives, built once per test (a stack, the provider, the app, a vendor)."""

    def __init__(self, app_client, payments, drain, vendor_id: str):
        self.app_client, self.payments, self.drain, self.vendor_id = app_client, payments, drain, vendor_id

    def settle(self) -> None:
        """Deliver every pending webhook and consume every queued event, until nothing is left."""
        for _ in range(10):
            attempts = self.payments.deliver_webhooks()
            drained = self.drain("payment-events")
            assert not drained.errors, drained.errors
            if not attempts and not drained.processed and not drained.failed:
                return
        raise AssertionError("events kept coming")


class StockMachine(RuleBasedStateMachine):
    world: World  # set by the test

    @initialize()
    def open_shop(self):
        from chalicelib.services import catalog
        from chalicelib.services import vendor_offers as use_cases

        self.offers: dict[str, int] = {}  # offer id -> units supplied (available + reserved + sold must equal it)
        self.products: dict[str, str] = {}  # offer id -> product id
        self.declared: dict[str, dict] = {}  # offer id -> the vendor's last declaration (PUT body)
        self.versions: dict[str, list[int]] = {}  # offer id -> every version the vendor was shown
        self.adjustments: list[tuple[str, str, int]] = []  # (offer id, Idempotency-Key, delta) applied
        for stock in INITIAL_STOCK:
            product, _ = catalog.create_product(self.world.vendor_id, {
                "title": f"Item {uuid.uuid4().hex[:12]}", "brand": "Machine", "category": "home"})
            terms = _terms(stock)
            view, _ = use_cases.upsert_offer(self.world.vendor_id, product["product_id"], terms)
            self.offers[view["offer_id"]] = stock
            self.products[view["offer_id"]] = product["product_id"]
            self.declared[view["offer_id"]] = terms
            self.versions[view["offer_id"]] = [view["version"]]
        self.offer_ids = list(self.offers)
        self.orders: list[dict] = []  # {order_id, payment_intent_id}
        self.quiet = True  # every event delivered and consumed

    # --- rules ------------------------------------------------------------------------------

    @rule(offer=st.integers(0, len(INITIAL_STOCK) - 1), quantity=st.integers(1, 2))
    def checkout(self, offer, quantity):
        from chalicelib.services import cart as cart_service
        from chalicelib.services import checkout as checkout_service

        shopper_id = f"shopper-{uuid.uuid4().hex[:12]}"
        try:
            cart_service.set_line(shopper_id, self.offer_ids[offer], quantity)
            placed = checkout_service.checkout(shopper_id=shopper_id, email=None, idempotency_key=uuid.uuid4().hex,
                                               body=dict(CHECKOUT_BODY))
        except DomainError as err:  # not enough stock left: refused, nothing reserved
            assert err.code in ("insufficient_stock", "cart_changed", "invalid_input"), err.code
            return
        self.orders.append({"order_id": placed["order"]["order_id"],
                            "payment_intent_id": placed["payment"]["payment_intent_id"]})

    def _pay(self, order: dict, card: str, deliver: bool) -> None:
        # A payment the provider refuses (already paid, cancelled) just shows an error on its page.
        self.world.payments.complete_payment(order["payment_intent_id"], card)
        self.quiet = False
        if deliver:
            self.deliver()

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def pay(self, data):
        self._pay(data.draw(st.sampled_from(self.orders)), GOOD_CARD, deliver=True)

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def pay_and_the_webhook_is_late(self, data):
        self._pay(data.draw(st.sampled_from(self.orders)), GOOD_CARD, deliver=False)

    @precondition(lambda self: self.orders)
    @rule(data=st.data(), deliver=st.booleans())
    def pay_with_a_declined_card(self, data, deliver):
        self._pay(data.draw(st.sampled_from(self.orders)), DECLINED_CARD, deliver)

    @rule()
    def deliver(self):
        self.world.settle()
        self.quiet = True

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def expire(self, data):
        """The sweeper runs after this order's reservation ended (the others are left alone)."""
        from chalicelib.payments import get_gateway
        from chalicelib.services.reservation_sweeper import expire_order

        order = data.draw(st.sampled_from(self.orders))
        expire_order(order["order_id"], gateway=get_gateway(), now=datetime.now(UTC) + timedelta(minutes=31))
        self.quiet = False  # the provider sends payment_intent.canceled

    @rule()
    def sweep_everything(self):
        from chalicelib.services.reservation_sweeper import expire_reservations

        expire_reservations(datetime.now(UTC) + timedelta(minutes=31))
        self.quiet = False

    @precondition(lambda self: self.orders)
    @rule(data=st.data())
    def provider_refuses_next_cancel(self, data):
        """The provider refuses to cancel (not because it was paid): the payment stays open."""
        order = data.draw(st.sampled_from(self.orders))
        self.world.payments.fail_next("POST", f"/v1/payment_intents/{order['payment_intent_id']}/cancel", 400, times=2)

    @precondition(lambda self: self._events())
    @rule(data=st.data())
    def duplicate_webhook(self, data):
        """The provider sends an event again: the endpoint acknowledges it and queues nothing."""
        from devstack.localpay.delivery import render, sign

        event = data.draw(st.sampled_from(self._events()))
        body = render(event)
        headers = {"Content-Type": "application/json",
                   "Stripe-Signature": sign(body, self.world.payments.webhook_secret, int(datetime.now(UTC).timestamp()))}
        status = self.world.app_client.http.post("/webhooks/stripe", body=body, headers=headers).status_code
        assert status == 200
        self.world.settle()
        self.quiet = True

    @precondition(lambda self: self._events())
    @rule(data=st.data())
    def redelivered_or_reordered_event(self, data):
        """SQS hands the consumer an event again, possibly long after newer ones (out of order)."""
        from chalicelib.payments.webhooks import StripeEvent, queue_message

        event = data.draw(st.sampled_from(self._events()))
        message = queue_message(StripeEvent.model_validate(event))
        boto3.client("sqs", region_name=REGION).send_message(
            QueueUrl=get_settings().payment_events_queue_url, MessageBody=json.dumps(message))
        drained = self.world.drain("payment-events")
        assert not drained.errors, drained.errors

    # --- the vendor's stock updates -------------------------------------------------------------

    @rule(offer=st.integers(0, len(INITIAL_STOCK) - 1))
    def vendor_resends_the_last_declaration(self, offer):
        """A retried PUT, or a form loaded long ago: whatever happened since, nothing changes."""
        from chalicelib.services import vendor_offers as use_cases

        offer_id = self.offer_ids[offer]
        before = _stock(offer_id)
        view, created = use_cases.upsert_offer(self.world.vendor_id, self.products[offer_id], self.declared[offer_id])
        assert not created and _stock(offer_id) == before and view["version"] == self.versions[offer_id][-1]

    @rule(offer=st.integers(0, len(INITIAL_STOCK) - 1), on_hand=st.integers(0, 5), stale=st.booleans())
    def vendor_declares_units_on_hand(self, offer, on_hand, stale):
        from chalicelib.domain.errors import Conflict, PreconditionFailed
        from chalicelib.services import vendor_offers as use_cases

        offer_id = self.offer_ids[offer]
        before = _stock(offer_id)
        seen = self.versions[offer_id][0 if stale else -1]
        terms = _terms(on_hand)
        try:
            view, _ = use_cases.upsert_offer(self.world.vendor_id, self.products[offer_id], terms,
                                             if_match=use_cases.IfMatch(versions=frozenset({seen})))
        except PreconditionFailed:
            assert seen != self.versions[offer_id][-1] and _stock(offer_id) == before
            return
        except Conflict as refused:  # fewer units on hand than unpaid orders hold
            assert refused.code == "stock_below_reserved" and on_hand < before[1] and _stock(offer_id) == before
            return
        available, reserved, sold = _stock(offer_id)
        if terms != self.declared[offer_id]:
            assert (available, reserved) == (on_hand - before[1], before[1])
            self.offers[offer_id] = on_hand + sold
        self.declared[offer_id] = terms
        self.versions[offer_id].append(view["version"])

    @rule(offer=st.integers(0, len(INITIAL_STOCK) - 1), delta=st.integers(-3, 3).filter(bool), repeat=st.booleans())
    def vendor_adjusts_stock(self, offer, delta, repeat):
        """A delta (received, broken...), sometimes the retry of an earlier one with its key."""
        from chalicelib.domain.errors import Conflict
        from chalicelib.services import vendor_offers as use_cases

        offer_id = self.offer_ids[offer]
        earlier = [a for a in self.adjustments if a[0] == offer_id]
        if repeat and earlier:
            offer_id, key, delta = earlier[-1]
        else:
            repeat, key = False, uuid.uuid4().hex
        before = _stock(offer_id)
        try:
            result, applied = use_cases.adjust_offer_stock(self.world.vendor_id, self.products[offer_id], "new",
                                                           delta, "machine", key)
        except Conflict as refused:  # would take available units below zero
            assert refused.code == "insufficient_stock" and before[0] + delta < 0 and not repeat
            assert _stock(offer_id) == before
            return
        assert applied is not repeat
        if applied:
            self.offers[offer_id] += delta
            self.adjustments.append((offer_id, key, delta))
            self.versions[offer_id].append(result["offer"]["version"])
        else:
            assert _stock(offer_id) == before

    @rule(units=st.lists(st.integers(0, 5), min_size=len(INITIAL_STOCK), max_size=len(INITIAL_STOCK)),
          shopper_during_the_write=st.integers(-1, len(INITIAL_STOCK) - 1), redeliver=st.booleans())
    def vendor_imports_units_on_hand(self, units, shopper_during_the_write, redeliver):
        """A CSV import declares units on hand for every offer, through the queue; a shopper may check out
        between the consumer's read of an offer and its write (the race a bulk update runs into), and
        SQS may deliver the chunk twice. Rows below what unpaid orders hold fail naming `stock`."""
        from chalicelib.services import offer_imports
        from chalicelib.store import imports as import_store
        from chalicelib.store.offer_catalogue import DynamoOfferCatalogue

        rows = "".join(f"{self.products[o]},new,10.00,0,{n},1,2\n" for o, n in zip(self.offer_ids, units))
        csv_text = "product_id,condition,price,shipping_fee,stock,min_days,max_days\n" + rows
        before = {offer_id: _stock(offer_id) for offer_id in self.offer_ids}
        job, created = offer_imports.start_import(self.world.vendor_id, csv_text.encode(), "machine.csv")
        if not created:  # the same file as the vendor's latest import: that import, nothing queued or changed
            assert self.world.drain("offer-imports").processed == 0
            assert {offer_id: _stock(offer_id) for offer_id in self.offer_ids} == before
            return
        queue = get_settings().imports_queue_url
        sqs = boto3.client("sqs", region_name=REGION)
        if redeliver:
            body = sqs.receive_message(QueueUrl=queue, VisibilityTimeout=0)["Messages"][0]["Body"]
            sqs.send_message(QueueUrl=queue, MessageBody=body)
        racing = self.offer_ids[shopper_during_the_write] if shopper_during_the_write >= 0 else None
        write = DynamoOfferCatalogue.update_offer_terms

        def checkout_first(offer_id, *args, **kwargs):
            nonlocal racing
            if offer_id == racing:
                racing = None
                self.checkout(self.offer_ids.index(offer_id), 1)
            return write(offer_id, *args, **kwargs)

        DynamoOfferCatalogue.update_offer_terms = staticmethod(checkout_first)
        try:
            drained = self.world.drain("offer-imports")
        finally:
            DynamoOfferCatalogue.update_offer_terms = staticmethod(write)
        assert not drained.errors and not drained.failed, drained
        refused = {e.row for e in import_store.job_errors(self.world.vendor_id, job["import_id"])}
        for row, (offer_id, on_hand) in enumerate(zip(self.offer_ids, units), start=2):
            available, reserved, sold = _stock(offer_id)
            if row in refused:
                assert on_hand < reserved
                continue
            terms = _terms(on_hand)
            if terms != self.declared[offer_id]:
                assert available == on_hand - reserved
                self.offers[offer_id] = on_hand + sold
            self.declared[offer_id] = terms
            self.versions[offer_id].append(int(offers_store.get_offer(offer_id).version))

    # --- invariants ----------------------------------------------------------------------------

    @invariant()
    def stock_is_conserved_and_follows_the_orders(self):
        if not hasattr(self, "offers"):
            return
        pending = {offer_id: 0 for offer_id in self.offers}
        paid = dict(pending)
        for order in self._stored_orders():
            for line in order["lines"]:
                if order["status"] == "pending_payment":
                    pending[line["offer_id"]] += int(line["quantity"])
                elif order["status"] == "paid":
                    paid[line["offer_id"]] += int(line["quantity"])
        for offer_id, supplied in self.offers.items():
            available, reserved, sold = _stock(offer_id)
            assert min(available, reserved, sold) >= 0, (available, reserved, sold)
            assert available + reserved + sold == supplied, (available, reserved, sold, supplied)
            assert (reserved, sold) == (pending[offer_id], paid[offer_id]), (reserved, sold, pending, paid)

    @invariant()
    def each_order_is_charged_at_most_once(self):
        for order in getattr(self, "orders", []):
            assert self._net_charges(order["payment_intent_id"]) <= 1

    @invariant()
    def when_quiet_paid_means_the_provider_holds_the_money(self):
        if not getattr(self, "quiet", False):
            return
        for stored in self._stored_orders():
            held = self._net_charges(stored["payment_intent_id"]) == 1
            assert held == (stored["status"] == "paid"), (stored["order_id"], stored["status"], held)

    def teardown(self):
        # Leave nothing in flight for the next example, and check the end state fully.
        if hasattr(self, "offers"):
            self.world.settle()
            self.quiet = True
            self.when_quiet_paid_means_the_provider_holds_the_money()
            self.stock_is_conserved_and_follows_the_orders()

    # --- helpers --------------------------------------------------------------------------------

    def _stored_orders(self) -> list[dict]:
        stored = [order_store.get_order(o["order_id"]) for o in getattr(self, "orders", [])]
        return [{**s, "payment_intent_id": s.get("payment_intent_id")} for s in stored if s]

    def _net_charges(self, payment_intent_id: str | None) -> int:
        if not payment_intent_id:
            return 0
        ledger = self.world.payments.ledger
        with ledger.lock:
            charges = ledger.of_kind("charge", payment_intent=payment_intent_id, status="succeeded")
            return sum(1 for c in charges if c["amount_refunded"] < c["amount"])

    def _events(self) -> list[dict]:
        mine = {o["payment_intent_id"] for o in getattr(self, "orders", [])}
        return [e for e in self.world.payments.events()
                if e["type"].startswith(("payment_intent.", "charge."))
                and (e["data"]["object"].get("id") in mine or e["data"]["object"].get("payment_intent") in mine)]


def _terms(stock: int) -> dict:
    return {"price": {"amount": 1000, "currency": "EUR"}, "shipping_fee": {"amount": 0, "currency": "EUR"},
            "condition": "new", "stock": stock, "delivery": {"min_days": 1, "max_days": 2}}


def _stock(offer_id: str) -> tuple[int, int, int]:
    item = offers_store.get_offer(offer_id)
    return int(item.available), int(item.reserved), int(item.sold)


@pytest.fixture
def world(app_client, payments, drain):
    from chalicelib.services import vendors
    from tests.fixtures.auth import make_vendor_ready

    payments.webhook_target = lambda body, headers: app_client.http.post(
        "/webhooks/stripe", body=body, headers=headers).status_code
    vendor_id = str(uuid.uuid4())
    vendors.register_vendor(vendor_id=vendor_id, name="Machine Shop")
    make_vendor_ready(vendor_id)  # onboarded and approved: its offers are live
    return World(app_client, payments, drain, vendor_id)


def test_stock_and_money_stay_consistent_under_any_event_order(world):
    StockMachine.world = world
    run_state_machine_as_test(StockMachine, settings=settings(
        max_examples=15, stateful_step_count=20, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]))
