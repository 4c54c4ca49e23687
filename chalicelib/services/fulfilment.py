"""The vendor's side of an order: its own sub-orders (with the shipping address frozen at checkout),
and the steps it takes on them: accept, ship with tracking, mark delivered, cancel a line before
shipping (the shopper is refunded for it and the units go back on sale).

The vendor is always the signed-in principal. Another vendor's order, or an unpaid one, is "not
found" whatever the id: a vendor learns nothing about orders that are not its own to fulfil. Each
step is an aggregate method (chalicelib/domain/orders.py) applied through `change_order`, so a
retried request changes the order once, and an illegal step is a 409 naming the allowed actions.
The shopper's receipt and the payout it releases live in chalicelib/services/payouts.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from chalicelib.domain.errors import NotFound
from chalicelib.domain.fulfilment import Shipment
from chalicelib.domain.order_effects import Effect
from chalicelib.domain.orders import Order, OrderStatus
from chalicelib.domain.ports import OrderRepository
from chalicelib.domain.timestamps import iso
from chalicelib.observability import count
from chalicelib.payments.port import PaymentGateway
from chalicelib.services.effect_runner import EffectRunner
from chalicelib.services.order_changes import change_order


def _money(amount: int, currency: str) -> dict:
    return {"amount": amount, "currency": currency}


def vendor_order_view(order: Order, vendor_id: str) -> dict:
    """One vendor's part of an order as that vendor sees it (never the other vendors' parts)."""
    vendor_order = order.vendor_orders[vendor_id]
    currency = vendor_order.currency or order.currency
    lines = []
    for line in order.vendor_lines(vendor_id):
        cancelled = vendor_order.cancelled_lines.get(line.offer_id)
        lines.append({"line_id": line.offer_id, "offer_id": line.offer_id, "product_id": line.product_id,
                      "title": line.title, "condition": line.condition, "quantity": line.quantity,
                      "unit_price": _money(line.unit_price, currency),
                      "line_total": _money(line.unit_price * line.quantity, currency),
                      "cancelled": cancelled is not None,
                      "cancel_reason": cancelled["reason"] if cancelled else None,
                      "refunded": _money(int(cancelled["refund"]), currency) if cancelled else None})
    timeline = [{"at": e.at, "label": e.label, "kind": e.kind} for e in order.timeline
                if (e.details or {}).get("vendor_id") == vendor_id and e.kind in ("fulfilment", "shipment", "delivery")]
    return {
        "order_id": order.order_id, "order_number": order.order_number, "created_at": order.created_at,
        "status": vendor_order.state.value, "allowed_actions": list(order.vendor_actions(vendor_id)),
        "shipping_address": vendor_order.shipping_address or order.shipping_address,
        "lines": lines,
        "totals": {"items": _money(vendor_order.items, currency), "discount": _money(vendor_order.discount, currency),
                   "shipping": _money(vendor_order.shipping, currency), "total": _money(vendor_order.total, currency),
                   "commission": _money(vendor_order.commission, currency),
                   "payout": _money(vendor_order.payout, currency)},
        "accepted_at": vendor_order.accepted_at, "shipped_at": vendor_order.shipped_at,
        "shipment": vendor_order.shipment, "delivered_at": vendor_order.delivered_at,
        "receipt_confirmed_at": vendor_order.receipt_confirmed_at,
        "receipt_confirmed_by": vendor_order.receipt_confirmed_by,
        "payout_status": vendor_order.payout_status.value if vendor_order.payout_status else None,
        "timeline": timeline,
    }


def _orders(orders: OrderRepository | None) -> OrderRepository:
    from chalicelib.services import wiring

    return orders or wiring.order_repository()


def _not_found() -> NotFound:
    return NotFound("No such order among yours.", fields={"order_id": "not found"})


def _own_order(orders: OrderRepository, vendor_id: str, order_id: str) -> Order:
    order = orders.get(order_id) if order_id.startswith("ord_") and len(order_id) <= 64 else None
    if order is None or vendor_id not in order.vendor_orders:
        raise _not_found()
    return order


def list_vendor_orders(vendor_id: str, *, status: str | None = None, limit: int = 20, cursor: str | None = None,
                       orders: OrderRepository | None = None) -> dict:
    """The vendor's paid sub-orders, newest first, optionally in one status."""
    found, next_cursor = _orders(orders).list_vendor_orders(vendor_id, status=status, limit=limit, cursor=cursor)
    return {"items": [vendor_order_view(order, vendor_id) for order in found], "next_cursor": next_cursor}


def get_vendor_order(vendor_id: str, order_id: str, *, orders: OrderRepository | None = None) -> dict:
    order = _own_order(_orders(orders), vendor_id, order_id)
    if order.status is not OrderStatus.PAID:
        raise _not_found()  # unpaid (or never paid): not the vendor's to see, address included
    return vendor_order_view(order, vendor_id)


def _act(vendor_id: str, order_id: str, step: Callable[[Order, str], list[Effect]], *, now: datetime | None,
         orders: OrderRepository | None, effects: EffectRunner | None, gateway: PaymentGateway | None) -> Order:
    from chalicelib.services import wiring

    orders = _orders(orders)
    _own_order(orders, vendor_id, order_id)
    effects = effects or wiring.effect_runner(gateway)
    at = iso(now or datetime.now(UTC))
    # An empty list (a retry of a step already taken) saves nothing: the answer is the order as it is.
    order = change_order(order_id, lambda order: step(order, at) or None, orders=orders, effects=effects)
    if order is None:
        raise _not_found()
    return order


def accept(vendor_id: str, order_id: str, *, now: datetime | None = None, orders: OrderRepository | None = None,
           effects: EffectRunner | None = None, gateway: PaymentGateway | None = None) -> dict:
    order = _act(vendor_id, order_id, lambda o, at: o.accept(vendor_id, at=at), now=now, orders=orders,
                 effects=effects, gateway=gateway)
    return vendor_order_view(order, vendor_id)


def ship(vendor_id: str, order_id: str, *, carrier: str, tracking_number: str, tracking_url: str,
         now: datetime | None = None, orders: OrderRepository | None = None, effects: EffectRunner | None = None,
         gateway: PaymentGateway | None = None) -> dict:
    shipment = Shipment(carrier.strip(), tracking_number.strip(), tracking_url.strip())  # 400 naming the field
    order = _act(vendor_id, order_id, lambda o, at: o.ship(vendor_id, shipment, at=at), now=now, orders=orders,
                 effects=effects, gateway=gateway)
    count("SubOrdersShipped", 1)
    return vendor_order_view(order, vendor_id)


def mark_delivered(vendor_id: str, order_id: str, *, now: datetime | None = None,
                   orders: OrderRepository | None = None, effects: EffectRunner | None = None,
                   gateway: PaymentGateway | None = None) -> dict:
    order = _act(vendor_id, order_id, lambda o, at: o.mark_delivered(vendor_id, at=at), now=now, orders=orders,
                 effects=effects, gateway=gateway)
    return vendor_order_view(order, vendor_id)


def cancel_line(vendor_id: str, order_id: str, line_id: str, *, reason: str, now: datetime | None = None,
                orders: OrderRepository | None = None, effects: EffectRunner | None = None,
                gateway: PaymentGateway | None = None) -> dict:
    """Cancel one line before shipping: refund it (idempotency key from order + line), restock its units.

    Under the at_payment payout policy the vendor may already have been paid for it: the effect runner
    saves and carries out the transfer reversal it makes due as it records the refund."""
    order = _act(vendor_id, order_id, lambda o, at: o.cancel_line(vendor_id, line_id, reason=reason, at=at),
                 now=now, orders=orders, effects=effects, gateway=gateway)
    count("LinesCancelled", 1)
    return vendor_order_view(order, vendor_id)
