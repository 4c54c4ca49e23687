"""A refund's status as the provider reports it (`refund.updated`, `refund.failed`, and each refund a
`charge.refunded` lists) reconciles the refund and the case it refunds, once, whatever the order of
events: a pending refund becomes succeeded; a failed one marks its case `failed` for an admin and is
un-booked from the ledger (a failed refund moves no money)."""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.order_effects import Effect
from chalicelib.domain.orders import Order
from chalicelib.domain.ports import OrderRepository
from chalicelib.domain.timestamps import iso
from chalicelib.observability import count, logger
from chalicelib.payments.stripe_objects import RefundObject
from chalicelib.services.effect_runner import EffectRunner
from chalicelib.services.order_changes import change_order
from chalicelib.services.payment_messages import ProviderEvent


def reconcile(orders: OrderRepository, effects: EffectRunner, order_id: str, refund: RefundObject,
              now: datetime) -> bool:
    """Apply the refund's status to its order; returns whether it changed anything."""
    if not refund.status:
        return False
    changed = {"order": False}

    def transition(order: Order) -> list[Effect] | None:
        todo = order.reconcile_refund(refund.id, status=refund.status, at=iso(now), failure_code=refund.failure_reason,
                                      case_id=refund.metadata.get("case_id"))
        changed["order"] = todo is not None
        return todo

    change_order(order_id, transition, orders=orders, effects=effects)
    return changed["order"]


def on_refund_event(event: ProviderEvent, *, orders: OrderRepository, effects: EffectRunner, now: datetime) -> str:
    refund = RefundObject.model_validate(event.object)
    order_id = refund.metadata.get("order_id")
    order = orders.get(order_id) if order_id else None
    if order is None and refund.payment_intent:
        order = orders.find_by_payment_intent(refund.payment_intent)
    if order is None:
        logger.info("refund event without a known order", extra={"refund_id": refund.id})
        return "no_order"
    if not reconcile(orders, effects, order.order_id, refund, now):
        return "unchanged"
    count("RefundsReconciled", 1, status=refund.status or "unknown")
    return "refund_reconciled"
