"""Shoppers' orders: list, detail, pay again with a saved card and cancel, only ever one's own.

Someone else's order answers exactly like a missing one (404), so ids cannot be probed. The view
shows the shopper's timeline only (stock moves and vendor payouts are internal).
"""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain.errors import NotFound
from chalicelib.domain.money import Money
from chalicelib.domain.orders import Order, OrderStatus, PaymentStatus
from chalicelib.domain.timestamps import now_iso


def _money(amount, currency: str) -> dict:
    return Money(int(amount or 0), currency).to_json()


def _vendor_groups(order: Order) -> list[dict]:
    currency = order.currency
    groups = []
    for group in (order.quote or {}).get("vendors", []):
        sub = order.vendor_orders.get(group["vendor_id"])
        groups.append({
            "vendor_id": group["vendor_id"],
            "vendor_name": sub.vendor_name if sub and sub.vendor_name else _line_vendor_name(order, group["vendor_id"]),
            "status": sub.state.value if sub else order.status.value,
            "offer_ids": [line["offer_id"] for line in group.get("lines", [])],
            "items": group["items"],
            "discount": group["discount"],
            "shipping": group["shipping"],
            "total": group["total"],
            "delivered_at": sub.delivered_at if sub else None,
            **_fulfilment(sub),
        })
    if not groups:
        zero = _money(0, currency)
        groups = [{"vendor_id": v, "vendor_name": _line_vendor_name(order, v), "status": order.status.value,
                   "offer_ids": [], "items": zero, "discount": zero, "shipping": zero, "total": zero,
                   "delivered_at": None}
                  for v in sorted({line.vendor_id for line in order.lines})]
    return groups


def _fulfilment(sub) -> dict:
    """What the shopper sees of the vendor's fulfilment: the tracking, and whether "I received it" applies."""
    if sub is None:
        return {}
    return {"shipped_at": sub.shipped_at, "shipment": sub.shipment,
            "receipt_confirmed_at": sub.receipt_confirmed_at,
            "can_confirm_receipt": bool(sub.shipped_at) and not sub.receipt_confirmed_at
            and sub.state.value in ("shipped", "delivered"),
            "cancelled_offer_ids": sorted(sub.cancelled_lines)}


def _line_vendor_name(order: Order, vendor_id: str) -> str:
    """The shop's name as snapshot at checkout ("" for orders placed before names were kept)."""
    return next((line.vendor_name for line in order.lines if line.vendor_id == vendor_id and line.vendor_name), "")


def _payment_page_url(order: Order) -> str | None:
    try:
        from chalicelib.payments import PaymentIntent, get_gateway

        intent = PaymentIntent(id=order.payment_intent_id, status="requires_payment_method", amount=order.total,
                               currency=order.currency.lower(), client_secret=order.client_secret)
        return get_gateway().payment_page_url(intent, None)
    except Exception:  # noqa: BLE001 - a missing link must not hide the order
        return None


def order_view(order: Order, *, include_payment_secret: bool = True) -> dict:
    """The order as its shopper sees it (`OrderView`)."""
    currency = order.currency
    quote = order.quote or {}
    zero = _money(0, currency)
    can_pay = (order.holds_stock and bool(order.payment_intent_id) and order.reserved_until > now_iso()
               and order.payment_status is not PaymentStatus.PROCESSING)
    last = order.last_attempt
    attempts = [{"at": a.at, "outcome": a.outcome, "reason": a.reason} for a in order.attempts]
    payment = {
        "state": order.payment_status.value,
        "payment_intent_id": order.payment_intent_id,
        "can_pay": can_pay,
        "can_cancel": order.holds_stock and order.payment_status is not PaymentStatus.PROCESSING,
        "client_secret": order.client_secret if (include_payment_secret and can_pay) else None,
        "payment_page_url": _payment_page_url(order) if (include_payment_secret and can_pay) else None,
        "last_attempt": attempts[-1] if last else None,
        "attempts": attempts,
        "refunded": _money(order.refunded, currency),
        "disputed": bool(order.disputes),
    }
    return {
        "order_id": order.order_id,
        "order_number": order.order_number or None,
        "status": order.status.value,
        "created_at": order.created_at,
        "reserved_until": order.reserved_until or None,
        "currency": currency,
        "country": order.country,
        "lines": [
            {
                "offer_id": line.offer_id,
                "product_id": line.product_id,
                "vendor_id": line.vendor_id,
                "vendor_name": line.vendor_name,
                "title": line.title,
                "condition": line.condition,
                "quantity": line.quantity,
                "unit_price": _money(line.unit_price, currency),
                "promotion_id": line.promotion_id or None,
                "promoted_unit_price": _money(line.paid_unit_price, currency) if line.promotion_id else None,
                "shipping_fee": _money(line.shipping_fee, currency),
                "subtotal": _money(line.paid_unit_price * line.quantity, currency),
            }
            for line in order.lines
        ],
        "vendors": _vendor_groups(order),
        "totals": {
            "items": quote.get("items", zero),
            "discount": quote.get("discount", zero),
            "shipping": quote.get("shipping", zero),
            "service_fee": quote.get("service_fee", zero),
            "vat_rate_bps": int(quote.get("vat_rate_bps", 0)),
            "vat_included": quote.get("vat_included", zero),
            "total": _money(order.total, currency),
        },
        "payment": payment,
        "timeline": [{"at": e.at, "status": e.status, "kind": e.kind, "label": e.label}
                     for e in order.shopper_timeline()],
        "shipping_address": order.shipping_address,
    }


def list_orders(shopper_id: str, limit: int, cursor: str | None) -> dict:
    from chalicelib.store import orders as order_store
    from chalicelib.store.order_repository import order_from_items

    items, next_cursor = order_store.list_orders_for_shopper(shopper_id, limit, cursor)
    return {"items": [order_view(order_from_items(item, []), include_payment_secret=False) for item in items],
            "next_cursor": next_cursor}


def _own_order(shopper_id: str, order_id: str, orders) -> Order:
    order = orders.get(order_id) if order_id.startswith("ord_") and len(order_id) <= 64 else None
    if order is None or order.shopper_id != shopper_id:
        raise NotFound("No such order.", fields={"order_id": "not found"})
    return order


def get_order(shopper_id: str, order_id: str, *, orders=None) -> dict:
    from chalicelib.services.wiring import order_repository

    return order_view(_own_order(shopper_id, order_id, orders or order_repository()))


def cancel_order(shopper_id: str, order_id: str, *, orders=None, gateway=None, now: datetime | None = None) -> dict:
    """`POST /orders/{order_id}/cancel`: the shopper gives up an unpaid order (409 naming `status` once paid)."""
    from chalicelib.services.cancel_order import cancel_by_shopper
    from chalicelib.services.wiring import effect_runner, order_repository, payment_gateway

    orders = orders or order_repository()
    _own_order(shopper_id, order_id, orders)
    gateway = gateway or payment_gateway()
    order = cancel_by_shopper(shopper_id, order_id, orders=orders, effects=effect_runner(gateway), gateway=gateway,
                              now=now or datetime.now(UTC))
    assert order.status is OrderStatus.CANCELLED
    return order_view(order)


PAYABLE_INTENT_STATES = ("requires_payment_method", "requires_confirmation", "requires_action")


def pay_with_saved_card(shopper_id: str, order_id: str, payment_method_id: str, idempotency_key: str | None,
                        return_url: str | None, *, orders=None, gateway=None) -> dict:
    """`POST /orders/{order_id}/pay`: pay an unpaid order again with a saved card, on the same payment.

    The same Idempotency-Key confirms once (the provider replays its answer); a decline is a 402 the
    order survives (its attempt is recorded from the provider's webhook, as on the payment page)."""
    from chalicelib.domain.errors import Conflict, InvalidInput
    from chalicelib.payments import PaymentError
    from chalicelib.services.checkout import PaymentStartFailed, validate_idempotency_key, validate_return_url
    from chalicelib.services.wiring import order_repository, payment_gateway
    from chalicelib.settings import get_settings

    key = validate_idempotency_key(idempotency_key)
    back = validate_return_url(return_url) or f"{get_settings().frontend_url.rstrip('/')}/#/payment-return"
    orders = orders or order_repository()
    order = _own_order(shopper_id, order_id, orders)
    payable = (order.holds_stock and order.payment_intent_id and order.reserved_until > now_iso()
               and order.payment_status is not PaymentStatus.PROCESSING)
    if not payable:
        raise Conflict("This order cannot be paid any more.", code="order_not_payable",
                       fields={"status": order.payment_status.value if order.holds_stock else order.status.value})
    gateway = gateway or payment_gateway()
    intent = gateway.retrieve_payment_intent(order.payment_intent_id)
    if intent.status not in PAYABLE_INTENT_STATES:
        raise Conflict("This order's payment is already under way.", code="order_not_payable",
                       fields={"status": intent.status})
    if not intent.customer or payment_method_id not in {card.id for card in gateway.list_cards(intent.customer)}:
        raise InvalidInput("This is not one of your saved cards.", code="invalid_payment_method",
                           fields={"payment_method_id": "not one of your saved cards"})
    try:
        intent = gateway.confirm_payment_intent(order.payment_intent_id, payment_method_id=payment_method_id,
                                                return_url=back, idempotency_key=f"pay-{order_id}-{key}")
    except PaymentError as err:
        if err.status == 402:
            raise PaymentStartFailed(f"{err.message} Nothing was charged; your order is still waiting for payment.",
                                     status=402, code=err.code or "card_declined",
                                     fields={"payment_method_id": err.message}) from err
        raise
    view = order_view(orders.get(order_id))
    return {"order": view, "payment": {"payment_intent_id": intent.id, "status": intent.status,
                                       "payment_page_url": view["payment"]["payment_page_url"]}}
