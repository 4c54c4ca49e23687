"""Shoppers' orders: list and detail, only ever one's own.

Someone else's order answers exactly like a missing one (404), so ids cannot be probed.
"""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain.errors import NotFound
from chalicelib.domain.money import Money
from chalicelib.store import orders as order_store

PAYMENT_STATES = {
    "pending_payment": "awaiting_payment",
    "paid": "paid",
    "payment_failed": "failed",
    "cancelled": "cancelled",
    "refunded": "refunded",
}


def _money(amount, currency: str) -> dict:
    return Money(int(amount or 0), currency).to_json()


def _refunded(order: dict) -> int:
    total = 0
    for record in (order.get("refunds") or {}).values():
        amount = record.get("amount") if isinstance(record, dict) else None
        if isinstance(amount, dict):
            amount = amount.get("amount")
        if isinstance(amount, (int, float)) and (record.get("status") in (None, "succeeded", "pending")):
            total += int(amount)
    return total


def _vendor_names(order: dict, vendor_orders: list[dict] | None) -> dict[str, str]:
    """The shops' names as snapshot at checkout ("" for orders placed before names were kept)."""
    names = {line["vendor_id"]: line["vendor_name"] for line in order.get("lines", []) if line.get("vendor_name")}
    names.update({v["vendor_id"]: v["vendor_name"] for v in vendor_orders or [] if v.get("vendor_name")})
    return names


def _vendor_groups(order: dict, vendor_orders: list[dict] | None) -> list[dict]:
    currency = order["currency"]
    by_vendor = {v["vendor_id"]: v for v in vendor_orders or []}
    names = _vendor_names(order, vendor_orders)
    groups = []
    for group in (order.get("quote") or {}).get("vendors", []):
        sub = by_vendor.get(group["vendor_id"], {})
        groups.append({
            "vendor_id": group["vendor_id"],
            "vendor_name": names.get(group["vendor_id"], ""),
            "status": sub.get("status", order["status"]),
            "offer_ids": [line["offer_id"] for line in group.get("lines", [])],
            "items": group["items"],
            "discount": group["discount"],
            "shipping": group["shipping"],
            "total": group["total"],
            "delivered_at": sub.get("delivered_at"),
        })
    if not groups:
        zero = _money(0, currency)
        groups = [{"vendor_id": v, "vendor_name": names.get(v, ""), "status": order["status"], "offer_ids": [], "items": zero, "discount": zero,
                   "shipping": zero, "total": zero, "delivered_at": None}
                  for v in sorted({line["vendor_id"] for line in order.get("lines", [])})]
    return groups


def _payment_page_url(order: dict) -> str | None:
    try:
        from chalicelib.payments import PaymentIntent, get_gateway

        intent = PaymentIntent(id=order["payment_intent_id"], status="requires_payment_method",
                               amount=int(order["total"]), currency=order["currency"].lower(),
                               client_secret=order["client_secret"])
        return get_gateway().payment_page_url(intent, None)
    except Exception:  # noqa: BLE001 - a missing link must not hide the order
        return None


def order_view(order: dict, vendor_orders: list[dict] | None = None, *, include_payment_secret: bool = True) -> dict:
    """The order as its shopper sees it (`OrderView`)."""
    currency = order["currency"]
    quote = order.get("quote") or {}
    zero = _money(0, currency)
    pending = order["status"] == "pending_payment"
    can_pay = pending and bool(order.get("payment_intent_id")) and order.get("reserved_until", "") > datetime.now(
        UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    payment = {
        "state": PAYMENT_STATES.get(order["status"], order["status"]),
        "payment_intent_id": order.get("payment_intent_id"),
        "can_pay": can_pay,
        "client_secret": order.get("client_secret") if (include_payment_secret and can_pay) else None,
        "payment_page_url": _payment_page_url(order) if (include_payment_secret and can_pay) else None,
        "refunded": _money(_refunded(order), currency),
        "disputed": bool(order.get("disputes")),
    }
    return {
        "order_id": order["order_id"],
        "status": order["status"],
        "created_at": order["created_at"],
        "reserved_until": order.get("reserved_until"),
        "currency": currency,
        "country": order.get("country"),
        "lines": [
            {
                "offer_id": line["offer_id"],
                "product_id": line["product_id"],
                "vendor_id": line["vendor_id"],
                "vendor_name": line.get("vendor_name", ""),
                "title": line.get("title", ""),
                "condition": line.get("condition", ""),
                "quantity": int(line["quantity"]),
                "unit_price": _money(line["unit_price"], currency),
                "shipping_fee": _money(line["shipping_fee"], currency),
                "subtotal": _money(int(line["unit_price"]) * int(line["quantity"]), currency),
            }
            for line in order.get("lines", [])
        ],
        "vendors": _vendor_groups(order, vendor_orders),
        "totals": {
            "items": quote.get("items", zero),
            "discount": quote.get("discount", zero),
            "shipping": quote.get("shipping", zero),
            "service_fee": quote.get("service_fee", zero),
            "vat_rate_bps": int(quote.get("vat_rate_bps", 0)),
            "vat_included": quote.get("vat_included", zero),
            "total": _money(order["total"], currency),
        },
        "payment": payment,
        "timeline": [
            {"at": e.get("at", ""), "status": e.get("status"), "kind": e.get("kind"), "label": e.get("label", "")}
            for e in order.get("timeline", [])
        ],
        "shipping_address": order.get("shipping_address"),
    }


def list_orders(shopper_id: str, limit: int, cursor: str | None) -> dict:
    orders, next_cursor = order_store.list_orders_for_shopper(shopper_id, limit, cursor)
    return {"items": [order_view(o, include_payment_secret=False) for o in orders], "next_cursor": next_cursor}


def get_order(shopper_id: str, order_id: str) -> dict:
    order = order_store.get_order(order_id) if order_id.startswith("ord_") and len(order_id) <= 64 else None
    if order is None or order["shopper_id"] != shopper_id:
        raise NotFound("No such order.", fields={"order_id": "not found"})
    return order_view(order, order_store.list_vendor_orders(order_id))
