"""The reservation sweeper (a schedule): unpaid orders past their reservation are cancelled and
their stock released, exactly once, never while the provider is processing their payment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.domain.orders import CancelReason
from chalicelib.domain.ports import OrderRepository
from chalicelib.domain.timestamps import iso
from chalicelib.observability import count, logger
from chalicelib.payments.port import PaymentGateway
from chalicelib.services.cancel_order import end_unpaid
from chalicelib.services.effect_runner import EffectRunner


def expire_reservations(now: datetime | None = None, *, gateway: PaymentGateway | None = None, limit: int = 100,
                        orders: OrderRepository | None = None, effects: EffectRunner | None = None) -> dict[str, int]:
    """Cancel orders still unpaid after their reservation ended; returns counts per outcome."""
    from chalicelib.services.wiring import effect_runner, order_repository, payment_gateway

    now = now or datetime.now(UTC)
    orders = orders or order_repository()
    outcomes: dict[str, int] = {}
    processing: set[str] = set()  # the provider is still processing their payment: not stuck
    order_ids = orders.list_expired_pending(iso(now), limit)
    if order_ids:
        gateway = gateway or payment_gateway()
        effects = effects or effect_runner(gateway)
    for order_id in order_ids:
        try:
            result = expire_order(order_id, orders=orders, effects=effects, gateway=gateway, now=now)
        except Exception:
            # One order must not keep the others reserved: the next run retries it.
            logger.exception("could not expire an order", extra={"order_id": order_id})
            result = "error"
        outcomes[result] = outcomes.get(result, 0) + 1
        if result == "processing":
            processing.add(order_id)
    if order_ids:
        logger.info("reservations swept", extra={"outcomes": outcomes})
    # Every run reports, zero included: the ReservationsNotSwept alarm also fires when the reports stop.
    late = [order_id for order_id in not_swept(now, orders=orders, limit=limit) if order_id not in processing]
    count("ReservationsNotSwept", len(late), schedule="expire_reservations")
    return outcomes


NOT_SWEPT_AFTER = timedelta(minutes=10)


def not_swept(now: datetime, *, orders: OrderRepository, limit: int = 100) -> list[str]:
    """Unpaid orders still holding stock NOT_SWEPT_AFTER past their reservation, though they could expire
    (a payment known to be processing may take longer: not counted)."""
    stale = orders.list_expired_pending(iso(now - NOT_SWEPT_AFTER), limit)
    late = []
    for order_id in stale:
        order = orders.get(order_id)
        if order is not None and order.holds_stock and order.can_expire(iso(now)):
            late.append(order_id)
    return late


def expire_order(order_id: str, *, gateway: PaymentGateway, now: datetime, orders: OrderRepository | None = None,
                 effects: EffectRunner | None = None) -> str:
    from chalicelib.services.wiring import effect_runner, order_repository

    orders = orders or order_repository()
    effects = effects or effect_runner(gateway)
    order = orders.get(order_id)
    if order is None or not order.holds_stock:
        return "unchanged"
    if not order.can_expire(iso(now)):
        return "processing" if order.reserved_until < iso(now) else "not_expired"
    result = end_unpaid(order_id, CancelReason.RESERVATION_EXPIRED, orders=orders, effects=effects,
                        gateway=gateway, now=now)
    if result == "cancelled":
        count("ReservationsExpired", 1)
    return result
