"""Refunds that could not complete, for admins: a case refund the provider refused or that failed
after it was made, a transfer reversal the provider refused, and a top-up transfer (the vendor's money
given back after a refund failed) the provider refused. Each stays visible (the sparse
`by_refund_attention` queue) until it is retried or resolved; nothing is ever left half-done silently.

* retry a failed case refund: a new attempt with its own idempotency key (`refund-<case_id>-<n>`);
* resolve it: settled outside the platform (a bank transfer, a voucher), with the admin's note;
* retry a refused reversal or top-up: what the ledger still says is due, with a new key; resolve it:
  settled outside the platform, with a note. The `retry_payouts` schedule retries refused reversals
  and top-ups too (`retry_refused_transfers`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from chalicelib.domain.errors import NotFound
from chalicelib.domain.orders import NOTHING_LEFT_TO_REVERSE, Order
from chalicelib.domain.ports import OrderRepository
from chalicelib.domain.timestamps import iso
from chalicelib.observability import count, logger
from chalicelib.payments.port import PaymentGateway
from chalicelib.services.effect_runner import EffectRunner
from chalicelib.services.order_changes import change_order

_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")


def _adapters(orders: OrderRepository | None, effects: EffectRunner | None,
              gateway: PaymentGateway | None) -> tuple[OrderRepository, EffectRunner]:
    from chalicelib.services import wiring

    return orders or wiring.order_repository(), effects or wiring.effect_runner(gateway)


def _money(amount: int, currency: str) -> dict:
    return {"amount": int(amount), "currency": currency}


def _order(orders: OrderRepository, order_id: str) -> Order:
    order = orders.get(order_id) if _ID.match(order_id or "") else None
    if order is None:
        raise NotFound("No such order.", fields={"order_id": "not found"})
    return order


def attention_items(order: Order, vendor_id: str) -> list[dict]:
    """What needs an admin on one vendor-order: failed case refunds and a refused reversal."""
    vendor_order = order.vendor_orders[vendor_id]
    common = {"order_id": order.order_id, "order_number": order.order_number, "vendor_id": vendor_id,
              "vendor_name": vendor_order.vendor_name}
    items = [{**common, "kind": "refund", "case_id": case_id,
              "amount": _money(record["amount"], order.currency), "failure_code": record.get("failure_code"),
              "failed_at": record.get("failed_at") or record["at"], "attempts": int(record.get("attempt", 0)) + 1,
              "actions": ["retry", "resolve"]}
             for case_id, record in sorted(vendor_order.case_refunds.items()) if record["status"] == "failed"]
    for kind, failed in (("reversal", vendor_order.reversal_failed), ("top_up", vendor_order.top_up_failed)):
        if failed:
            # No transfer has anything left to reverse it from: a retry cannot move it, only an admin can.
            retry = [] if failed.get("failure_code") == NOTHING_LEFT_TO_REVERSE else ["retry"]
            items.append({**common, "kind": kind, "case_id": None,
                          "amount": _money(failed["amount"], vendor_order.currency or order.currency),
                          "failure_code": failed.get("failure_code"), "failed_at": failed["at"],
                          "attempts": int(failed.get("attempts", 1)), "actions": [*retry, "resolve"]})
    return items


def failed_refunds(*, limit: int = 50, cursor: str | None = None, orders: OrderRepository | None = None) -> dict:
    """The admin's queue, oldest failure first, read from the sparse index (no scan)."""
    from chalicelib.services import wiring

    orders = orders or wiring.order_repository()
    pairs, next_cursor = orders.list_refund_attention(limit, cursor)
    items: list[dict] = []
    for order_id, vendor_id in pairs:
        order = orders.get(order_id)
        if order is not None and vendor_id in order.vendor_orders:
            items += attention_items(order, vendor_id)
    return {"items": items, "next_cursor": next_cursor}


def case_refund_view(order: Order, case_id: str) -> dict:
    record = order.case_refund(case_id)
    if record is None:
        raise NotFound("This order has no refund for that case.", fields={"case_id": "no refund for this case"})
    return {"order_id": order.order_id, "order_number": order.order_number, "vendor_id": record["vendor_id"],
            "case_id": case_id, "amount": _money(record["amount"], order.currency), "status": record["status"],
            "refund_id": record.get("refund_id"), "failure_code": record.get("failure_code"),
            "attempt": int(record.get("attempt", 0)), "resolution": record.get("resolution")}


def retry_refund(order_id: str, case_id: str, *, now: datetime | None = None, orders: OrderRepository | None = None,
                 effects: EffectRunner | None = None, gateway: PaymentGateway | None = None) -> dict:
    """Try a failed case refund again; answers the case's refund as the provider left it."""
    orders, effects = _adapters(orders, effects, gateway)
    _order(orders, order_id)
    at = iso(now or datetime.now(UTC))
    order = change_order(order_id, lambda o: o.retry_case_refund(case_id, at=at), orders=orders, effects=effects)
    count("CaseRefundRetries", 1)
    logger.info("case refund retried", extra={"order_id": order_id, "case_id": case_id})
    return case_refund_view(order, case_id)


def resolve_refund(order_id: str, case_id: str, *, note: str, admin_id: str, now: datetime | None = None,
                   borne_by: str = "platform", orders: OrderRepository | None = None,
                   effects: EffectRunner | None = None, gateway: PaymentGateway | None = None) -> dict:
    """A failed case refund settled outside the platform: off the queue, with the admin's note and who
    bears it. Borne by the vendor, it is collected from it as a refund is (booked with the order): its
    payout not made yet shrinks, or its transfer is reversed now (the provider is asked, so this takes a
    gateway; refused, the reversal joins this queue). Once."""
    orders, effects = _adapters(orders, effects, gateway)
    _order(orders, order_id)
    at = iso(now or datetime.now(UTC))
    order = change_order(order_id, lambda o: o.resolve_case_refund(case_id, note=note, by=admin_id, at=at,
                                                                    borne_by=borne_by),
                         orders=orders, effects=effects)
    logger.info("case refund resolved outside the platform", extra={"order_id": order_id, "case_id": case_id})
    return case_refund_view(order, case_id)


def retry_reversal(order_id: str, vendor_id: str, *, orders: OrderRepository | None = None,
                   effects: EffectRunner | None = None, gateway: PaymentGateway | None = None) -> dict:
    """Try a refused transfer reversal again (what is still due, a new idempotency key)."""
    orders, effects = _adapters(orders, effects, gateway)
    order = _order(orders, order_id)
    if vendor_id not in order.vendor_orders:
        raise NotFound("This order has nothing from that vendor.", fields={"vendor_id": "not in this order"})
    order = change_order(order_id, lambda o: o.retry_reversal(vendor_id), orders=orders, effects=effects)
    vendor_order = order.vendor_orders[vendor_id]
    failed = vendor_order.reversal_failed
    return {"order_id": order_id, "vendor_id": vendor_id,
            "transferred": _money(vendor_order.transferred, vendor_order.currency or order.currency),
            "still_due": _money(failed["amount"] if failed else 0, vendor_order.currency or order.currency),
            "failure_code": failed.get("failure_code") if failed else None}


def resolve_reversal(order_id: str, vendor_id: str, *, note: str, borne_by: str, admin_id: str,
                     now: datetime | None = None, orders: OrderRepository | None = None,
                     effects: EffectRunner | None = None) -> dict:
    """A refused reversal settled outside the platform (paid back by the vendor, or written off)."""
    orders, effects = _adapters(orders, effects, None)
    order = _order(orders, order_id)
    if vendor_id not in order.vendor_orders:
        raise NotFound("This order has nothing from that vendor.", fields={"vendor_id": "not in this order"})
    at = iso(now or datetime.now(UTC))
    settled: list[int] = []

    def transition(o: Order):
        settled[:] = [o.resolve_reversal(vendor_id, note=note, by=admin_id, at=at, borne_by=borne_by)]
        return []

    order = change_order(order_id, transition, orders=orders, effects=effects)
    logger.info("transfer reversal settled outside the platform",
                extra={"order_id": order_id, "vendor_id": vendor_id, "borne_by": borne_by})
    vendor_order = order.vendor_orders[vendor_id]
    currency = vendor_order.currency or order.currency
    return {"order_id": order_id, "vendor_id": vendor_id, "transferred": _money(vendor_order.transferred, currency),
            "still_due": _money(0, currency), "failure_code": None, "settled_outside": _money(settled[0], currency),
            "borne_by": borne_by}


def _vendor_order_named(orders: OrderRepository, order_id: str, vendor_id: str) -> Order:
    order = _order(orders, order_id)
    if vendor_id not in order.vendor_orders:
        raise NotFound("This order has nothing from that vendor.", fields={"vendor_id": "not in this order"})
    return order


def _top_up_view(order: Order, vendor_id: str, **extra) -> dict:
    vendor_order = order.vendor_orders[vendor_id]
    currency = vendor_order.currency or order.currency
    failed = vendor_order.top_up_failed
    return {"order_id": order.order_id, "vendor_id": vendor_id, "transferred": _money(vendor_order.transferred, currency),
            "still_owed": _money(failed["amount"] if failed else 0, currency),
            "failure_code": failed.get("failure_code") if failed else None, **extra}


def retry_top_up(order_id: str, vendor_id: str, *, orders: OrderRepository | None = None,
                 effects: EffectRunner | None = None, gateway: PaymentGateway | None = None) -> dict:
    """Try a refused top-up transfer again (what the vendor is still owed, a new idempotency key)."""
    orders, effects = _adapters(orders, effects, gateway)
    _vendor_order_named(orders, order_id, vendor_id)
    order = change_order(order_id, lambda o: o.retry_top_up(vendor_id), orders=orders, effects=effects)
    return _top_up_view(order, vendor_id)


def resolve_top_up(order_id: str, vendor_id: str, *, note: str, admin_id: str, now: datetime | None = None,
                   orders: OrderRepository | None = None, effects: EffectRunner | None = None) -> dict:
    """A refused top-up the platform paid the vendor outside the platform (a bank transfer), with a note."""
    orders, effects = _adapters(orders, effects, None)
    _vendor_order_named(orders, order_id, vendor_id)
    at = iso(now or datetime.now(UTC))
    settled: list[int] = []

    def transition(o: Order):
        settled[:] = [o.resolve_top_up(vendor_id, note=note, by=admin_id, at=at)]
        return []

    order = change_order(order_id, transition, orders=orders, effects=effects)
    logger.info("top-up paid outside the platform", extra={"order_id": order_id, "vendor_id": vendor_id})
    currency = order.vendor_orders[vendor_id].currency or order.currency
    return _top_up_view(order, vendor_id, settled_outside=_money(settled[0], currency))


def retry_refused_transfers(*, limit: int = 50, orders: OrderRepository | None = None,
                            effects: EffectRunner | None = None,
                            gateway: PaymentGateway | None = None) -> dict[str, int]:
    """The retry_payouts schedule's second half: refused reversals and top-ups tried again (a new key
    each); counts per outcome. A failed case refund waits for an admin, never retried blindly."""
    from chalicelib.services import wiring

    orders = orders or wiring.order_repository()
    pairs, _ = orders.list_refund_attention(limit, None)
    outcomes: dict[str, int] = {}

    def tally(outcome: str) -> None:
        outcomes[outcome] = outcomes.get(outcome, 0) + 1

    for order_id, vendor_id in pairs:
        order = orders.get(order_id)
        vendor_order = order.vendor_orders.get(vendor_id) if order is not None else None
        if vendor_order is None:
            continue
        runner = effects or wiring.effect_runner(gateway)
        # The reversal first, then the top-up as the reversal's retry left the order.
        for kind, refused, retry, left in (("reversal", "reversal_failed", retry_reversal, "still_due"),
                                           ("top_up", "top_up_failed", retry_top_up, "still_owed")):
            if not getattr(orders.get(order_id).vendor_orders[vendor_id], refused):
                continue
            try:
                after = retry(order_id, vendor_id, orders=orders, effects=runner)
                tally(f"{kind}_still_refused" if after[left]["amount"] else f"{kind}_made")
            except Exception:
                logger.exception(f"{kind} retry failed", extra={"order_id": order_id, "vendor_id": vendor_id})
                tally(f"{kind}_error")
    return outcomes
