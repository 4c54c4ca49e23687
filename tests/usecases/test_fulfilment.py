"""Fulfilment on in-memory adapters: the vendor ships with tracking, the shopper (or the auto-confirm
schedule) confirms receipt and the vendor is paid once; a line cancelled before shipping is refunded
once and its units are back on sale; a vendor only ever sees its own sub-orders."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.orders import Order, OrderLine, PaymentOutcome, VendorOrder
from chalicelib.payments.port import PaymentIntent, RefundRecord
from chalicelib.services import fulfilment
from chalicelib.services.effect_runner import EffectRunner
from chalicelib.services.payouts import auto_confirm_receipts, confirm_receipt
from chalicelib.services.settle_payment import settle
from chalicelib.store.memory import InMemoryOrders, Stock

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
TRACKING = dict(carrier="DHL", tracking_number="JD014600003828",
                tracking_url="https://www.dhl.com/track?id=JD014600003828")


class Provider:
    """Refunds and transfers as the provider keeps them: one per idempotency key."""

    def __init__(self):
        self.transfers: dict[str, dict] = {}
        self.refunds: dict[str, int] = {}
        self.reversals: dict[str, int] = {}

    def retrieve_payment_intent(self, payment_intent_id):
        return PaymentIntent(payment_intent_id, "succeeded", 4200, "eur", latest_charge="ch_1")

    def create_transfer(self, *, amount, currency, destination, source_transaction, transfer_group,
                        idempotency_key, metadata):
        return self.transfers.setdefault(idempotency_key, {"id": f"tr_{len(self.transfers) + 1}",
                                                           "amount": amount})["id"]

    def reverse_transfer(self, *, transfer_id, amount, idempotency_key, metadata):
        self.reversals[idempotency_key] = amount
        return f"trr_{len(self.reversals)}"

    def refund(self, *, payment_intent_id, amount, idempotency_key, reason):
        self.refunds.setdefault(idempotency_key, amount)
        return f"re_{list(self.refunds).index(idempotency_key) + 1}"

    def create_refund(self, *, payment_intent_id, amount, idempotency_key, reason, metadata):
        return RefundRecord(self.refund(payment_intent_id=payment_intent_id, amount=amount,
                                        idempotency_key=idempotency_key, reason=reason), amount, "succeeded")


class World:
    def __init__(self, pay_at_payment: bool = False):
        self.repo = InMemoryOrders({"tent": Stock(available=9), "stove": Stock(available=9),
                                    "phones": Stock(available=9)})
        self.provider = Provider()
        self.published: list[str] = []
        self.runner = EffectRunner(gateway=lambda: self.provider, publish=lambda e: self.published.append(e.event_type),
                                   clear_cart=lambda *a, **k: None, vendor_account=lambda vendor_id: f"acct_{vendor_id}",
                                   release_payouts_at_payment=pay_at_payment)

    def place(self, order_id: str, created_at: str, *, paid: bool = True) -> None:
        lines = [OrderLine("tent", "p1", "alpine", "Alpine", "Tent", "new", 2, 1000, 500),
                 OrderLine("stove", "p2", "alpine", "Alpine", "Stove", "new", 1, 1000, 0),
                 OrderLine("phones", "p3", "bytes", "Bytes", "Headphones", "new", 1, 700, 0)]
        order, effects = Order.place(
            order_id=order_id, shopper_id="s1", created_at=created_at, reserved_until="2026-11-27T03:30:00Z",
            currency="EUR", country="DE", quote={}, lines=lines, total=4200,
            vendor_orders=[VendorOrder("alpine", "Alpine", "EUR", 3000, 500, 0, 3500, 350, 3150),
                           VendorOrder("bytes", "Bytes", "EUR", 700, 0, 0, 700, 70, 630)],
            shipping_address={"name": "Ada Lovelace", "line1": "Hauptstr. 1", "city": "Berlin", "country": "DE"})
        order.attach_payment(f"pi_{order_id}", "secret")
        self.repo.save(order, effects=[e for e in effects if type(e).__name__ == "ReserveStock"])
        if paid:
            settle(order_id, PaymentOutcome.SUCCEEDED, orders=self.repo, effects=self.runner, now=NOW,
                   charge_id="ch_1")

    def use(self, **extra):
        return dict(orders=self.repo, effects=self.runner, **extra)


@pytest.fixture
def world():
    w = World()
    w.place("ord_1", "2026-11-27T02:30:00Z")
    return w


def ship(world, vendor="alpine", order_id="ord_1", at=NOW):
    fulfilment.accept(vendor, order_id, **world.use(now=at))
    return fulfilment.ship(vendor, order_id, **TRACKING, **world.use(now=at))


def test_the_vendor_sees_its_part_with_the_address_and_not_the_other_vendors_lines(world):
    seen = fulfilment.get_vendor_order("alpine", "ord_1", orders=world.repo)

    assert seen["shipping_address"]["city"] == "Berlin"
    assert [line["title"] for line in seen["lines"]] == ["Tent", "Stove"]
    assert seen["totals"]["total"] == {"amount": 3500, "currency": "EUR"}
    assert seen["allowed_actions"] == ["accept", "cancel_line"]


def test_another_vendor_cannot_see_or_act_on_the_order(world):
    world.place("ord_2", "2026-11-27T02:40:00Z")
    for step in (lambda: fulfilment.get_vendor_order("nordic", "ord_1", orders=world.repo),
                 lambda: fulfilment.accept("nordic", "ord_1", **world.use()),
                 lambda: fulfilment.cancel_line("nordic", "ord_1", "tent", reason="x", **world.use())):
        with pytest.raises(NotFound):
            step()
    assert fulfilment.list_vendor_orders("nordic", orders=world.repo)["items"] == []
    assert world.repo.get("ord_1").vendor_orders["alpine"].state.value == "placed"


def test_the_vendors_list_is_newest_first_paid_only_and_filters_by_status(world):
    world.place("ord_2", "2026-11-27T02:40:00Z")
    world.place("ord_3", "2026-11-27T02:50:00Z", paid=False)
    ship(world, order_id="ord_1")

    listed = fulfilment.list_vendor_orders("alpine", orders=world.repo)
    shipped = fulfilment.list_vendor_orders("alpine", status="shipped", orders=world.repo)

    assert [o["order_id"] for o in listed["items"]] == ["ord_2", "ord_1"]
    assert [o["order_id"] for o in shipped["items"]] == ["ord_1"]
    first_page = fulfilment.list_vendor_orders("alpine", limit=1, orders=world.repo)
    second = fulfilment.list_vendor_orders("alpine", limit=1, cursor=first_page["next_cursor"], orders=world.repo)
    assert [o["order_id"] for o in first_page["items"] + second["items"]] == ["ord_2", "ord_1"]


def test_a_retried_accept_and_ship_change_the_order_once(world):
    ship(world)
    again = ship(world, at=NOW + timedelta(minutes=5))

    assert again["status"] == "shipped" and again["shipped_at"] == "2026-11-27T03:00:00Z"
    assert world.published.count("order.accepted") == 1 and world.published.count("order.shipped") == 1


def test_receipt_before_shipping_is_refused_and_pays_nobody(world):
    with pytest.raises(Conflict) as early:
        confirm_receipt("s1", "ord_1", "alpine", **world.use(now=NOW))
    assert early.value.code == "not_shipped" and world.provider.transfers == {}


def test_the_shoppers_receipt_pays_the_vendor_once(world):
    ship(world)
    first = confirm_receipt("s1", "ord_1", "alpine", **world.use(now=NOW + timedelta(days=1)))
    again = confirm_receipt("s1", "ord_1", "alpine", **world.use(now=NOW + timedelta(days=2)))

    assert first["payout"]["status"] == "transferred" and first["payout"]["amount"]["amount"] == 3150
    assert again["receipt_confirmed_at"] == first["receipt_confirmed_at"]
    assert list(world.provider.transfers) == ["tr-ord_1-alpine"]
    assert world.published.count("order.delivered") == 1


def test_receipt_is_auto_confirmed_after_the_waiting_period_through_the_same_payout_once(world):
    ship(world)
    fulfilment.mark_delivered("alpine", "ord_1", **world.use(now=NOW + timedelta(days=2)))
    assert world.provider.transfers == {}  # the vendor's own mark does not pay it

    assert auto_confirm_receipts(NOW + timedelta(days=13), days=14, **world.use()) == {}
    assert auto_confirm_receipts(NOW + timedelta(days=14, minutes=1), days=14, **world.use()) == {"confirmed": 1}
    assert auto_confirm_receipts(NOW + timedelta(days=15), days=14, **world.use()) == {}

    assert [t["amount"] for t in world.provider.transfers.values()] == [3150]
    assert world.repo.get("ord_1").vendor_orders["alpine"].receipt_confirmed_by == "auto"


def test_a_cancelled_line_is_refunded_once_restocked_and_the_payout_shrinks(world):
    seen = fulfilment.cancel_line("alpine", "ord_1", "tent", reason="damaged", **world.use(now=NOW))
    fulfilment.cancel_line("alpine", "ord_1", "tent", reason="damaged", **world.use(now=NOW))

    assert world.provider.refunds == {"refund-ord_1-line-tent": 2000}
    assert world.repo.stock["tent"] == Stock(available=9, reserved=0, sold=0)
    assert [line["cancelled"] for line in seen["lines"]] == [True, False] and seen["status"] == "placed"
    order = world.repo.get("ord_1")
    assert [(r.amount, r.vendor_id) for r in order.refunds.values()] == [(2000, "alpine")]
    assert world.published.count("order.line_cancelled") == 1

    ship(world)
    paid = confirm_receipt("s1", "ord_1", "alpine", **world.use(now=NOW + timedelta(days=1)))
    assert paid["payout"]["amount"]["amount"] == 3150 * 1500 // 3500  # what is left of the sub-order


def test_cancelling_every_line_cancels_the_sub_order_and_refunds_its_total(world):
    fulfilment.cancel_line("alpine", "ord_1", "tent", reason="closed", **world.use(now=NOW))
    seen = fulfilment.cancel_line("alpine", "ord_1", "stove", reason="closed", **world.use(now=NOW))

    assert seen["status"] == "cancelled" and seen["allowed_actions"] == []
    assert sum(world.provider.refunds.values()) == 3500
    assert world.repo.stock["stove"].available == 9


def test_paid_at_payment_a_cancelled_line_takes_the_vendors_share_back_once():
    world = World(pay_at_payment=True)
    world.place("ord_1", "2026-11-27T02:30:00Z")
    assert world.provider.transfers["tr-ord_1-alpine"]["amount"] == 3150

    fulfilment.cancel_line("alpine", "ord_1", "tent", reason="damaged", **world.use(now=NOW))
    fulfilment.cancel_line("alpine", "ord_1", "tent", reason="damaged", **world.use(now=NOW))

    assert list(world.provider.reversals.values()) == [3150 - 3150 * 1500 // 3500]
    assert world.repo.get("ord_1").vendor_orders["alpine"].transferred == 3150 * 1500 // 3500
