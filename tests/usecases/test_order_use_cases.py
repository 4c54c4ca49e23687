"""The order use cases on in-memory adapters (no moto, no provider): settlement, cancel and sweeper."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.errors import Conflict
from chalicelib.domain.orders import CancelReason, Order, OrderLine, OrderStatus, PaymentOutcome, VendorOrder
from chalicelib.domain.ports import ConcurrentUpdate
from chalicelib.payments.port import PaymentError, PaymentIntent
from chalicelib.services.cancel_order import cancel_by_shopper
from chalicelib.services.effect_runner import EffectRunner
from chalicelib.services.reservation_sweeper import expire_reservations
from chalicelib.services.settle_payment import settle
from chalicelib.store.carts import Cart
from chalicelib.store.memory import InMemoryCarts, InMemoryOrders, Stock

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


class FakeGateway:
    def __init__(self):
        self.status = "requires_payment_method"
        self.refunds: list[str] = []
        self.cancel_keys: set[str] = set()  # the provider's idempotency: one cancel per key

    @property
    def cancels(self) -> int:
        return len(self.cancel_keys)

    def cancel_payment_intent(self, payment_intent_id, *, idempotency_key):
        if idempotency_key in self.cancel_keys:
            return PaymentIntent(payment_intent_id, "canceled", 3000, "eur")
        if self.status in ("succeeded", "processing"):
            err = PaymentError("cannot cancel", code="payment_intent_unexpected_state", status=409)
            err.payment_intent = PaymentIntent(payment_intent_id, self.status, 3000, "eur", latest_charge="ch_1")
            raise err
        self.cancel_keys.add(idempotency_key)
        self.status = "canceled"
        return PaymentIntent(payment_intent_id, "canceled", 3000, "eur")

    def retrieve_payment_intent(self, payment_intent_id):
        return PaymentIntent(payment_intent_id, self.status, 3000, "eur")

    def refund(self, *, payment_intent_id, amount, idempotency_key, reason):
        if idempotency_key not in self.refunds:
            self.refunds.append(idempotency_key)
        return f"re_{len(self.refunds)}"


@pytest.fixture
def world():
    carts = InMemoryCarts()
    carts.carts["s1"] = Cart("s1", version=1, pending_order_id="ord_1")  # the cart names its unpaid order
    repo = InMemoryOrders({"o1": Stock(available=5)}, carts=carts)
    order, effects = Order.place(
        order_id="ord_1", shopper_id="s1", created_at="2026-11-27T02:30:00Z", reserved_until="2026-11-27T03:00:00Z",
        currency="EUR", country="DE", quote={}, lines=[OrderLine("o1", "p1", "v1", "Alpine", "Tent", "new", 2, 1000, 500)],
        total=3000, vendor_orders=[VendorOrder("v1", "Alpine", "EUR", 2000, 500, 0, 2500, 200, 2300)])
    order.attach_payment("pi_1", "secret")
    repo.save(order, effects=[e for e in effects if type(e).__name__ == "ReserveStock"])
    gateway, published, cleared = FakeGateway(), [], []
    runner = EffectRunner(gateway=lambda: gateway, publish=lambda event: published.append(event.event_type),
                          clear_cart=lambda shopper_id, quantities, order_id: cleared.append(quantities),
                          forget_pending_order=carts.forget_pending_order)
    return repo, gateway, runner, published, cleared


def stock(repo):
    level = repo.stock["o1"]
    return level.available, level.reserved, level.sold


def test_a_success_applies_once_and_its_effects_run_once(world):
    repo, _gateway, runner, published, cleared = world
    for _ in range(3):
        settle("ord_1", PaymentOutcome.SUCCEEDED, orders=repo, effects=runner, now=NOW, charge_id="ch_1")
    assert repo.get("ord_1").status is OrderStatus.PAID and repo.get("ord_1").outbox == []
    assert stock(repo) == (3, 0, 2)
    assert published == ["order.paid"] and cleared == [{"o1": 2}]


def test_a_decline_keeps_the_stock_and_the_retry_pays(world):
    repo, _gateway, runner, published, _ = world
    settle("ord_1", PaymentOutcome.DECLINED, orders=repo, effects=runner, now=NOW, attempt="ch_0",
           reason="insufficient_funds")
    settle("ord_1", PaymentOutcome.DECLINED, orders=repo, effects=runner, now=NOW, attempt="ch_0")
    assert repo.get("ord_1").status is OrderStatus.PENDING_PAYMENT and stock(repo) == (3, 2, 0)
    assert published == ["payment.failed"]
    settle("ord_1", PaymentOutcome.SUCCEEDED, orders=repo, effects=runner, now=NOW)
    assert stock(repo) == (3, 0, 2)


def test_a_stale_copy_cannot_be_saved(world):
    repo = world[0]
    stale, fresh = repo.get("ord_1"), repo.get("ord_1")
    fresh.apply_payment(PaymentOutcome.SUCCEEDED, at="t")
    repo.save(fresh, effects=[])
    stale.cancel(CancelReason.SHOPPER, at="t")
    with pytest.raises(ConcurrentUpdate):
        repo.save(stale, effects=[])
    assert repo.get("ord_1").status is OrderStatus.PAID


def test_the_shopper_cancels_provider_first_then_releases_once(world):
    repo, gateway, runner, published, _ = world
    cancel_by_shopper("s1", "ord_1", orders=repo, effects=runner, gateway=gateway, now=NOW)
    cancel_by_shopper("s1", "ord_1", orders=repo, effects=runner, gateway=gateway, now=NOW)
    assert gateway.cancels == 1 and stock(repo) == (5, 0, 0) and published == ["order.cancelled"]
    assert repo.carts.get_cart("s1").pending_order_id is None  # its next checkout need not read this order


def test_a_cancel_finding_the_payment_succeeded_pays_the_order_instead(world):
    repo, gateway, runner, _, _ = world
    gateway.status = "succeeded"
    with pytest.raises(Conflict) as err:
        cancel_by_shopper("s1", "ord_1", orders=repo, effects=runner, gateway=gateway, now=NOW)
    assert err.value.fields == {"status": "paid"} and stock(repo) == (3, 0, 2)


def test_the_sweeper_leaves_a_processing_payment_and_refunds_a_late_success_once(world):
    repo, gateway, runner, _, _ = world
    gateway.status = "processing"
    later = NOW + timedelta(minutes=5)
    assert expire_reservations(later, gateway=gateway, orders=repo, effects=runner) == {"processing": 1}
    gateway.status = "requires_payment_method"
    assert expire_reservations(later, gateway=gateway, orders=repo, effects=runner) == {"cancelled": 1}
    assert stock(repo) == (5, 0, 0)
    for _ in range(2):
        settle("ord_1", PaymentOutcome.SUCCEEDED, orders=repo, effects=runner, now=later)
    order = repo.get("ord_1")
    assert order.status is OrderStatus.REFUNDED and gateway.refunds == ["refund-ord_1"]
    assert list(order.refunds) == ["re_1"] and stock(repo) == (5, 0, 0)
