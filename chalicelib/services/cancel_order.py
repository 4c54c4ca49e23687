"""Ending an unpaid order: by its shopper (`POST /orders/{id}/cancel`), or when its reservation expires.

The provider is asked first: the PaymentIntent is cancelled there, so it cannot succeed later.
When the provider refuses because the payment already succeeded, the order is paid instead (its
webhook may simply not have arrived yet); a payment still `processing` is left to resolve. Only
then is the order cancelled, its stock released once (one conditional transaction).
"""

from __future__ import annotations

from datetime import datetime

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.order_effects import Effect
from chalicelib.domain.orders import CancelReason, Order, OrderStatus, PaymentOutcome
from chalicelib.domain.ports import OrderRepository
from chalicelib.domain.timestamps import iso
from chalicelib.observability import count
from chalicelib.payments.port import PaymentError, PaymentGateway
from chalicelib.services.effect_runner import EffectRunner
from chalicelib.services.order_changes import change_order
from chalicelib.services.settle_payment import retrieve, settle


def end_unpaid(order_id: str, reason: CancelReason, *, orders: OrderRepository, effects: EffectRunner,
               gateway: PaymentGateway, now: datetime) -> str:
    """Cancel the unpaid order (provider first); returns what happened: cancelled, paid, processing,
    retry_later or unchanged."""
    order = orders.get(order_id)
    if order is None or not order.holds_stock:
        return "unchanged"
    if order.payment_intent_id:
        try:
            intent = gateway.cancel_payment_intent(order.payment_intent_id, idempotency_key=f"cancel-{order_id}")
        except PaymentError as err:
            if err.worth_retrying:
                return "retry_later"
            intent = err.payment_intent or retrieve(gateway, order.payment_intent_id)
        if intent is not None and intent.status == "succeeded":
            count("CancelledOrdersFoundPaid", 1)
            settled = settle(order_id, PaymentOutcome.SUCCEEDED, orders=orders, effects=effects, now=now,
                             charge_id=intent.latest_charge)
            return settled.status.value if settled else "unchanged"
        if intent is not None and intent.status == "processing":
            return "processing"
    cancelled = {"now": False}

    def transition(order: Order) -> list[Effect] | None:
        todo = order.cancel(reason, at=iso(now))
        cancelled["now"] = bool(todo)
        return todo or None

    change_order(order_id, transition, orders=orders, effects=effects)
    return OrderStatus.CANCELLED.value if cancelled["now"] else "unchanged"


def cancel_by_shopper(shopper_id: str, order_id: str, *, orders: OrderRepository, effects: EffectRunner,
                      gateway: PaymentGateway, now: datetime) -> Order:
    """The shopper gives up an unpaid order: 409 naming `status` when it is paid (or otherwise ended)."""
    order = orders.get(order_id) if order_id.startswith("ord_") and len(order_id) <= 64 else None
    if order is None or order.shopper_id != shopper_id:
        raise NotFound("No such order.", fields={"order_id": "not found"})
    if order.status is OrderStatus.CANCELLED:
        return order  # cancelled already (a repeat): the same answer
    if not order.holds_stock:
        raise Conflict(f"This order is {order.status.value} and can no longer be cancelled.",
                       code="order_not_cancellable", fields={"status": order.status.value})
    result = end_unpaid(order_id, CancelReason.SHOPPER, orders=orders, effects=effects, gateway=gateway, now=now)
    order = orders.get(order_id)
    if result == "processing":
        raise Conflict("The payment is being processed and cannot be stopped now; check again in a moment.",
                       code="payment_processing", fields={"status": order.payment_status.value})
    if result == "retry_later":
        raise PaymentError("The payment provider could not be reached; try again shortly.",
                           code="provider_unavailable", retryable=True, status=503)
    if order.status is not OrderStatus.CANCELLED:
        raise Conflict(f"This order is {order.status.value} and can no longer be cancelled.",
                       code="order_not_cancellable", fields={"status": order.status.value})
    return order
