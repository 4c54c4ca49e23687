"""Refunds that cannot complete stay visible until settled (in-memory adapters, a provider that can
refuse): a refused case refund is failed, un-booked and listed for admins, who retry it (a new key)
or resolve it with a note; a refused reversal is listed with what is still due and retried by the
retry_payouts schedule with a new key."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import Conflict
from chalicelib.domain.orders import Order, OrderLine, PaymentOutcome, VendorOrder
from chalicelib.payments.port import PaymentError, PaymentIntent, RefundRecord
from chalicelib.services import refund_admin
from chalicelib.services.effect_runner import EffectRunner
from chalicelib.services.order_changes import change_order
from chalicelib.services.settle_payment import settle
from chalicelib.store.memory import InMemoryOrders, Stock
from tests.usecases.test_fulfilment import NOW

AT = "2026-11-27T03:00:00Z"


class Provider:
    """One refund / reversal per idempotency key; `refuse_*` makes the next calls fail as Stripe does."""

    def __init__(self):
        self.refunds: dict[str, RefundRecord] = {}
        self.reversals: dict[str, int] = {}
        self.refuse_refunds: str | None = None
        self.refuse_reversals: str | None = None

    def retrieve_payment_intent(self, payment_intent_id):
        return PaymentIntent(payment_intent_id, "succeeded", 4200, "eur", latest_charge="ch_1")

    def create_transfer(self, *, amount, currency, destination, source_transaction, transfer_group,
                        idempotency_key, metadata):
        return f"tr_{metadata['vendor_id']}"

    def create_refund(self, *, payment_intent_id, amount, idempotency_key, reason, metadata):
        if self.refuse_refunds:
            raise PaymentError("refused", code=self.refuse_refunds, status=400)
        return self.refunds.setdefault(idempotency_key, RefundRecord(f"re_{len(self.refunds) + 1}", amount, "succeeded"))

    def reverse_transfer(self, *, transfer_id, amount, idempotency_key, metadata):
        if self.refuse_reversals:
            raise PaymentError("Insufficient funds in Stripe account.", code=self.refuse_reversals, status=400)
        self.reversals.setdefault(idempotency_key, amount)
        return f"trr_{len(self.reversals)}"


class World:
    def __init__(self, provider: Provider | None = None):
        self.repo = InMemoryOrders({"tent": Stock(available=9), "phones": Stock(available=9)})
        self.provider = provider or Provider()
        self.events: list[str] = []
        self.runner = EffectRunner(gateway=lambda: self.provider, publish=lambda e: self.events.append(e.event_type),
                                   clear_cart=lambda *a, **k: None, vendor_account=lambda vendor_id: f"acct_{vendor_id}",
                                   release_payouts_at_payment=True)  # both vendors paid at once
        lines = [OrderLine("tent", "p1", "alpine", "Alpine", "Tent", "new", 2, 1000, 0),
                 OrderLine("phones", "p3", "bytes", "Bytes", "Headphones", "new", 1, 700, 0)]
        order, effects = Order.place(
            order_id="ord_1", shopper_id="s1", created_at="2026-11-27T02:30:00Z",
            reserved_until="2026-11-27T03:30:00Z", currency="EUR", country="DE", quote={}, lines=lines, total=2700,
            vendor_orders=[VendorOrder("alpine", "Alpine", "EUR", 2000, 0, 0, 2000, 200, 1800),
                           VendorOrder("bytes", "Bytes", "EUR", 700, 0, 0, 700, 70, 630)])
        order.attach_payment("pi_1", "secret")
        self.repo.save(order, effects=[e for e in effects if type(e).__name__ == "ReserveStock"])
        settle("ord_1", PaymentOutcome.SUCCEEDED, orders=self.repo, effects=self.runner, now=NOW, charge_id="ch_1")

    def refund_case(self, case_id="ret_1", vendor_id="alpine", units=1):
        def transition(order):
            amount = order.line_refund_amount(vendor_id, "tent" if vendor_id == "alpine" else "phones", units)
            return order.refund_for_case(vendor_id, case_id=case_id, amount=amount, reason="damaged", at=AT) or None
        return change_order("ord_1", transition, orders=self.repo, effects=self.runner)

    def use(self):
        return dict(orders=self.repo, effects=self.runner)


@pytest.fixture
def world():
    return World()


def test_a_refund_the_provider_refuses_is_failed_listed_and_moves_no_money(world):
    world.provider.refuse_refunds = "charge_disputed"
    order = world.refund_case()

    assert order.case_refund("ret_1")["status"] == "failed" and order.refunded == 0
    assert "refund.failed" in world.events
    assert world.provider.reversals == {}  # nothing was refunded: nothing is taken back from the vendor
    (item,) = refund_admin.failed_refunds(orders=world.repo)["items"]
    assert (item["kind"], item["case_id"], item["amount"]["amount"], item["failure_code"]) == (
        "refund", "ret_1", 1000, "charge_disputed")
    # The same case asked again (a retried request) refunds nothing more and stays failed.
    assert world.refund_case().case_refund("ret_1")["attempt"] == 0


def test_an_admin_retry_uses_a_new_key_refunds_once_and_takes_the_paid_vendors_share_back(world):
    world.provider.refuse_refunds = "processing_error"
    world.refund_case()
    world.provider.refuse_refunds = None

    seen = refund_admin.retry_refund("ord_1", "ret_1", **world.use())

    assert seen["status"] == "succeeded" and seen["attempt"] == 1
    assert list(world.provider.refunds) == ["refund-ret_1-1"]
    assert list(world.provider.reversals.values()) == [1800 - 1800 * 1000 // 2000]
    assert refund_admin.failed_refunds(orders=world.repo)["items"] == []
    with pytest.raises(Conflict):
        refund_admin.retry_refund("ord_1", "ret_1", **world.use())  # succeeded: nothing to retry


def test_an_admin_resolves_a_failed_refund_outside_the_platform_with_a_note(world):
    world.provider.refuse_refunds = "charge_disputed"
    world.refund_case()

    seen = refund_admin.resolve_refund("ord_1", "ret_1", note="Paid back by bank transfer", admin_id="adm_1",
                                       **world.use())
    again = refund_admin.resolve_refund("ord_1", "ret_1", note="twice", admin_id="adm_1", **world.use())

    assert seen["status"] == "resolved" and again["resolution"]["note"] == "Paid back by bank transfer"
    assert refund_admin.failed_refunds(orders=world.repo)["items"] == []
    assert world.provider.refunds == {}


def test_a_refused_reversal_is_listed_with_what_is_due_and_the_schedule_gets_it_back_with_a_new_key(world):
    world.provider.refuse_reversals = "balance_insufficient"
    order = world.refund_case()
    due = 1800 - 1800 * 1000 // 2000
    assert order.case_refund("ret_1")["status"] == "succeeded"  # the shopper has the money back
    (item,) = refund_admin.failed_refunds(orders=world.repo)["items"]
    assert (item["kind"], item["vendor_id"], item["amount"]["amount"], item["failure_code"]) == (
        "reversal", "alpine", due, "balance_insufficient")

    assert refund_admin.retry_refused_transfers(**world.use()) == {"reversal_still_refused": 1}
    (item,) = refund_admin.failed_refunds(orders=world.repo)["items"]
    assert item["attempts"] == 2 and item["amount"]["amount"] == due
    world.provider.refuse_reversals = None
    assert refund_admin.retry_refused_transfers(**world.use()) == {"reversal_made": 1}
    assert refund_admin.retry_refused_transfers(**world.use()) == {}

    assert list(world.provider.reversals.values()) == [due]
    assert all(key.endswith("-r2") for key in world.provider.reversals)  # a key no refusal was stored under
    assert world.repo.get("ord_1").vendor_orders["alpine"].transferred == 1800 - due
    assert refund_admin.failed_refunds(orders=world.repo)["items"] == []
    # Nothing is owed either way any more: the vendor's ledger for the order sums to 0.
    assert sum(e.amount for e in world.repo.ledger.entries("alpine") if e.order_id == "ord_1") == 0
