"""Refunds and disputes made at the provider, recorded on their order once (events in any order)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from chalicelib.domain.order_effects import Effect
from chalicelib.domain.orders import Dispute, Order, Refund
from chalicelib.domain.ports import OrderRepository
from chalicelib.domain.timestamps import iso
from chalicelib.observability import count, logger
from chalicelib.payments.stripe_objects import ChargeObject, DisputeObject
from chalicelib.services.effect_runner import EffectRunner
from chalicelib.services.order_changes import change_order
from chalicelib.services.payment_messages import ProviderEvent


def _order_for(orders: OrderRepository, metadata: dict, payment_intent_id: str | None) -> Order | None:
    if metadata.get("order_id"):
        return orders.get(metadata["order_id"])
    return orders.find_by_payment_intent(payment_intent_id) if payment_intent_id else None


def _change(orders: OrderRepository, effects: EffectRunner, order_id: str, change: Callable[[Order], bool]) -> bool:
    """Apply `change` and save it with the transfer reversals it makes due (a refund or a lost dispute
    after a payout), then carry them out. Returns whether it changed the order."""
    changed = {"order": False}

    def transition(order: Order) -> list[Effect] | None:
        changed["order"] = change(order)
        return order.reversals_due() if changed["order"] else None

    return change_order(order_id, transition, orders=orders, effects=effects) is not None and changed["order"]


def on_charge_refunded(event: ProviderEvent, *, orders: OrderRepository, effects: EffectRunner, now: datetime) -> str:
    charge = ChargeObject.model_validate(event.object)
    order = _order_for(orders, charge.metadata, charge.payment_intent)
    if order is None:
        return "no_order"
    at = iso(now)
    if charge.refunds is not None and charge.refunds.data:
        refunds = [Refund(id=r.id, amount=r.amount, currency=r.currency.upper(), at=at, reason=r.reason,
                          status=r.status) for r in charge.refunds.data]
        recorded = sum(_change(orders, effects, order.order_id, lambda o, r=r: o.record_refund(r)) for r in refunds)
    else:
        # Recent API versions leave `refunds` out: the cumulative amount is weighed against what the
        # order knows inside the change (a fresh read, saved on its version), never a read made before.
        recorded = int(_change(orders, effects, order.order_id, lambda o: o.record_refunded_total(
            charge.id, charge.amount_refunded, currency=charge.currency.upper(), at=at)))
    if charge.refunds is not None:  # a case's refund, or one not succeeded yet: its status settles the case
        from chalicelib.services.refund_events import reconcile

        recorded += sum(reconcile(orders, effects, order.order_id, r, now) for r in charge.refunds.data
                        if r.metadata.get("case_id") or r.status != "succeeded")
    if recorded:
        count("RefundsRecorded", recorded)
    return "refund_recorded" if recorded else "unchanged"


def on_dispute(event: ProviderEvent, *, orders: OrderRepository, effects: EffectRunner, now: datetime) -> str:
    dispute = DisputeObject.model_validate(event.object)
    order = _order_for(orders, dispute.metadata, dispute.payment_intent)
    if order is None:
        logger.warning("dispute without a known order", extra={"dispute_id": dispute.id})
        return "no_order"
    stage = event.type.removeprefix("charge.dispute.")
    due_by = (dispute.evidence_details or {}).get("due_by")
    record = Dispute(id=dispute.id, amount=dispute.amount, currency=dispute.currency.upper(), status=dispute.status,
                     reason=dispute.reason, charge_id=dispute.charge, event_created=event.created,
                     due_by=iso(datetime.fromtimestamp(int(due_by), UTC)) if due_by else None)
    if not _change_dispute(orders, effects, order.order_id, record, stage, iso(now)):
        return "unchanged"
    count("DisputeEventsRecorded", 1, stage=stage)
    return "dispute_recorded"


def _change_dispute(orders: OrderRepository, effects: EffectRunner, order_id: str, record: Dispute, stage: str,
                    at: str) -> bool:
    """Record the dispute event with the reversals it makes due and the case's events (dispute.opened
    on the first news of it, dispute.closed when it closes; each published once)."""
    from chalicelib.domain.claims import dispute_events

    changed = {"order": False}

    def transition(order: Order) -> list[Effect] | None:
        known = order.disputes.get(record.id)
        changed["order"] = order.record_dispute(record, stage=stage, at=at)
        if not changed["order"]:
            return None
        return order.reversals_due() + dispute_events(order, order.disputes[record.id], known)

    return change_order(order_id, transition, orders=orders, effects=effects) is not None and changed["order"]
