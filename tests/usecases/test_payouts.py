"""Vendor payouts on the order aggregate, on in-memory adapters (no moto, no provider): released at
delivery through the money ledger, held while a dispute is open, reversed after a refund, and left
due for the retry schedule when the provider is unavailable."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.orders import Dispute, Order, OrderLine, PaymentOutcome, PayoutStatus, VendorOrder
from chalicelib.payments.port import PaymentError, PaymentIntent
from chalicelib.services import fulfilment
from chalicelib.services.effect_runner import EffectRunner
from chalicelib.services.payment_messages import ProviderEvent
from chalicelib.services.payouts import confirm_receipt, retry_payouts
from chalicelib.services.refunds_and_disputes import on_charge_refunded
from chalicelib.services.settle_payment import settle
from chalicelib.store.memory import InMemoryOrders, Stock

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
PAYOUT = 2300  # the vendor's share as priced at checkout: 2500 - 200 commission


class ProviderDown(PaymentError):
    def __init__(self):
        super().__init__("provider unavailable", code="api_error", status=503)


class Provider:
    """Transfers and reversals as the provider keeps them: one per idempotency key."""

    def __init__(self):
        self.transfers: dict[str, dict] = {}  # idempotency key -> transfer
        self.reversals: dict[str, int] = {}
        self.down = 0  # how many next transfer calls fail as an outage

    def retrieve_payment_intent(self, payment_intent_id):
        return PaymentIntent(payment_intent_id, "succeeded", 3000, "eur", latest_charge="ch_1")

    def create_transfer(self, *, amount, currency, destination, source_transaction, transfer_group,
                        idempotency_key, metadata):
        if self.down:
            self.down -= 1
            raise ProviderDown()
        transfer = self.transfers.setdefault(idempotency_key, {
            "id": f"tr_{len(self.transfers) + 1}", "amount": amount, "destination": destination,
            "source_transaction": source_transaction})
        return transfer["id"]

    def reverse_transfer(self, *, transfer_id, amount, idempotency_key, metadata):
        self.reversals.setdefault(idempotency_key, amount)
        return f"trr_{len(self.reversals)}"


@pytest.fixture
def world():
    repo = InMemoryOrders({"o1": Stock(available=5)})
    order, effects = Order.place(
        order_id="ord_1", shopper_id="s1", created_at="2026-11-27T02:30:00Z", reserved_until="2026-11-27T03:30:00Z",
        currency="EUR", country="DE", quote={}, lines=[OrderLine("o1", "p1", "v1", "Alpine", "Tent", "new", 2, 1000, 500)],
        total=3000, vendor_orders=[VendorOrder("v1", "Alpine", "EUR", 2000, 500, 0, 2500, 200, PAYOUT)])
    order.attach_payment("pi_1", "secret")
    repo.save(order, effects=[e for e in effects if type(e).__name__ == "ReserveStock"])
    provider = Provider()
    runner = EffectRunner(gateway=lambda: provider, publish=lambda event: None, clear_cart=lambda *a, **k: None,
                          vendor_account=lambda vendor_id: f"acct_{vendor_id}")
    settle("ord_1", PaymentOutcome.SUCCEEDED, orders=repo, effects=runner, now=NOW, charge_id="ch_1")
    return repo, provider, runner


def deliver(world, minutes=10):
    """The vendor ships (once), then the shopper confirms receipt."""
    repo, provider, runner = world
    if repo.get("ord_1").vendor_orders["v1"].shipped_at is None:
        fulfilment.accept("v1", "ord_1", orders=repo, effects=runner, now=NOW)
        fulfilment.ship("v1", "ord_1", carrier="DHL", tracking_number="JD1", tracking_url="https://dhl.example/JD1",
                        orders=repo, effects=runner, now=NOW)
    return confirm_receipt("s1", "ord_1", "v1", orders=repo, effects=runner, now=NOW + timedelta(minutes=minutes))


def retry(world, minutes):
    repo, _, runner = world
    return retry_payouts(NOW + timedelta(minutes=minutes), orders=repo, effects=runner)


def record(world, change):
    repo = world[0]
    order = repo.get("ord_1")
    change(order)
    repo.save(order, effects=[])


def test_delivery_releases_the_vendors_payout_once(world):
    repo, provider, _ = world
    first, again = deliver(world), deliver(world, minutes=20)

    assert first["payout"] == {"status": "transferred", "transfer_id": "tr_1",
                               "amount": {"amount": PAYOUT, "currency": "EUR"}}
    assert again["payout"] == first["payout"] and again["delivered_at"] == first["delivered_at"]
    assert [(t["amount"], t["destination"], t["source_transaction"]) for t in provider.transfers.values()] == [
        (PAYOUT, "acct_v1", "ch_1")]
    assert list(provider.transfers) == ["tr-ord_1-v1"]
    vendor_order = repo.get("ord_1").vendor_orders["v1"]
    assert vendor_order.transferred == PAYOUT and not vendor_order.payout_due
    assert retry(world, 60) == {}


def test_nothing_is_paid_after_a_full_refund_and_the_answer_says_why(world):
    from chalicelib.domain.orders import Refund

    record(world, lambda o: o.record_refund(Refund("re_1", 3000, "EUR", "t")))

    answer = deliver(world)

    assert answer["payout"] == {"status": "nothing_to_pay_refunded", "transfer_id": None,
                                "amount": {"amount": 0, "currency": "EUR"}}
    assert world[1].transfers == {} and retry(world, 60) == {}


def test_an_open_dispute_holds_the_payout_and_it_is_paid_once_when_won(world):
    repo, provider, _ = world
    open_dispute = Dispute("dp_1", 3000, "EUR", "needs_response", event_created=1)
    record(world, lambda o: o.record_dispute(open_dispute, stage="created", at="t"))

    assert deliver(world)["payout"]["status"] == "held_dispute_open"
    assert retry(world, 30) == {"held_dispute_open": 1}  # still open: stays due
    assert provider.transfers == {}

    won = Dispute("dp_1", 3000, "EUR", "won", event_created=2)
    record(world, lambda o: o.record_dispute(won, stage="closed", at="t"))
    assert retry(world, 60) == {"transferred": 1}
    assert retry(world, 90) == {}
    assert [t["amount"] for t in provider.transfers.values()] == [PAYOUT]
    assert repo.get("ord_1").vendor_orders["v1"].payout_status is PayoutStatus.TRANSFERRED


def test_a_refund_after_the_payout_reverses_it_once(world):
    repo, provider, runner = world
    deliver(world)
    refunded = ProviderEvent(event_id="evt_1", type="charge.refunded", created=5, livemode=False, object={
        "id": "ch_1", "amount": 3000, "amount_refunded": 3000, "currency": "eur", "payment_intent": "pi_1",
        "metadata": {"order_id": "ord_1"}})

    for _ in range(2):
        on_charge_refunded(refunded, orders=repo, effects=runner, now=NOW + timedelta(hours=1))

    assert list(provider.reversals.values()) == [PAYOUT]
    vendor_order = repo.get("ord_1").vendor_orders["v1"]
    assert vendor_order.transferred == 0 and len(vendor_order.reversals) == 1
    assert repo.get("ord_1").outbox == []


def test_a_provider_outage_leaves_the_payout_due_and_the_retry_pays_it_once(world):
    repo, provider, _ = world
    provider.down = 1

    answer = deliver(world)

    assert answer["status"] == "delivered" and answer["payout"]["status"] == "pending"
    assert provider.transfers == {} and repo.get("ord_1").vendor_orders["v1"].payout_due
    assert retry(world, 5) == {}  # due since delivery (10 minutes in): not before
    assert retry(world, 30) == {"transferred": 1}
    assert retry(world, 60) == {}
    assert [t["amount"] for t in provider.transfers.values()] == [PAYOUT]
    assert not repo.get("ord_1").vendor_orders["v1"].payout_due


def test_a_payout_still_failing_moves_to_the_back_of_the_queue(world):
    repo, provider, _ = world
    provider.down = 2
    deliver(world)

    assert retry(world, 30) == {"retry_later": 1}
    assert repo.get("ord_1").vendor_orders["v1"].payout_due_at == "2026-11-27T03:30:00Z"
    assert retry(world, 31) == {"transferred": 1}
