"""The order aggregate in DynamoDB: the `orders` item plus one `vendor-orders` item per vendor.

`place` writes a new order as the checkout's ONE TransactWriteItems (chalicelib/store/orders.py
`place_order`): every line's reservation under its conditions, the order, its vendor-orders, its
number's claim, the cart naming it, and the shopper's new customer id and address book entry.

`save` is ONE TransactWriteItems: the order item put on condition `version = <version read>`
(a lost race raises ConcurrentUpdate: the caller reloads and applies again), its vendor-orders'
states, and the stock moves among the effects (`reserved >= q` each). Effects that leave the
database (provider calls, cart, events) are saved in the order's `outbox` in the same write.
Orders stored before the aggregate existed (no `payment_status`, `attempts`...) read with defaults.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.claims import Claim
from chalicelib.domain.ledger import REFUND_COMMISSION
from chalicelib.domain.order_effects import (
    STOCK_EFFECTS,
    Effect,
    ReleaseStock,
    ReserveStock,
    RestockSold,
    SellStock,
    effect_from_json,
)
from chalicelib.domain.orders import (
    Audience,
    Dispute,
    Order,
    OrderLine,
    OrderStatus,
    PaymentAttempt,
    PaymentStatus,
    PayoutStatus,
    Refund,
    TimelineEntry,
    VendorOrder,
    VendorOrderState,
)
from chalicelib.domain.ports import CheckoutWrites, ConcurrentUpdate
from chalicelib.domain.returns import ReturnRequest
from chalicelib.store import fulfilment_queries
from chalicelib.store import orders as tables
from chalicelib.store.attributes import plain
from chalicelib.store.base import bind
from chalicelib.store.cases import case_rows
from chalicelib.store.cases import put_rows_in_transaction as put_case_rows
from chalicelib.store.ledger import put_in_transaction
from chalicelib.store.payout_queue import list_due_payouts
from chalicelib.store.returns import projection as return_projection
from chalicelib.store.stock import Reservation, offer_model
from chalicelib.store.vendor_orders import PAYOUT_DUE, RECEIPT_DUE, REFUND_ATTENTION, VendorOrderModel

_LEGACY_STATES = {"paid": VendorOrderState.PLACED, "payment_failed": VendorOrderState.CANCELLED,
                  "refunded": VendorOrderState.CANCELLED}
_LEGACY_PAYMENT = {"pending_payment": PaymentStatus.AWAITING_PAYMENT, "paid": PaymentStatus.PAID,
                   "payment_failed": PaymentStatus.FAILED, "cancelled": PaymentStatus.CANCELLED,
                   "refunded": PaymentStatus.REFUNDED}
_ENTRY_KEYS = {"id", "at", "label", "audience", "status", "kind", "details"}


# --- items -> aggregate --------------------------------------------------------------------


def _line(raw: dict) -> OrderLine:
    return OrderLine(offer_id=raw["offer_id"], product_id=raw.get("product_id", ""), vendor_id=raw["vendor_id"],
                     vendor_name=raw.get("vendor_name", ""), title=raw.get("title", ""),
                     condition=raw.get("condition", ""), quantity=int(raw["quantity"]),
                     unit_price=int(raw.get("unit_price", 0)), shipping_fee=int(raw.get("shipping_fee", 0)),
                     promotion_id=raw.get("promotion_id", ""), unit_discount=int(raw.get("unit_discount", 0)))


def _entry(raw: dict) -> TimelineEntry:
    details = dict(raw.get("details") or {})
    details.update({k: v for k, v in raw.items() if k not in _ENTRY_KEYS})  # pre-aggregate entries: flat
    audience = raw.get("audience") or (Audience.INTERNAL if raw.get("kind") == "transfer" else Audience.SHOPPER)
    return TimelineEntry(id=raw.get("id", ""), at=raw.get("at", ""), label=raw.get("label", ""),
                         audience=Audience(audience), status=raw.get("status"), kind=raw.get("kind"), details=details)


def _vendor_order(raw: dict, order_address: dict | None = None) -> VendorOrder:
    state = raw.get("status", VendorOrderState.PENDING_PAYMENT.value)
    return VendorOrder(vendor_id=raw["vendor_id"], vendor_name=raw.get("vendor_name") or "",
                       currency=raw.get("currency", ""), items=int(raw.get("items", 0)),
                       shipping=int(raw.get("shipping", 0)), discount=int(raw.get("discount", 0)),
                       total=int(raw.get("total", 0)), commission=int(raw.get("commission", 0)),
                       payout=int(raw.get("payout", 0)),
                       state=_LEGACY_STATES.get(state) or VendorOrderState(state),
                       delivered_at=raw.get("delivered_at"), charge_id=raw.get("charge_id"),
                       # Where the vendor ships: the order's address (items placed before kept a copy).
                       shipping_address=raw.get("shipping_address") or order_address,
                       transfer_id=raw.get("transfer_id"),
                       # Transfers made before `transferred` was kept moved the whole payout.
                       transferred=int(raw["transferred"]) if raw.get("transferred") is not None
                       else (int(raw.get("payout", 0)) if raw.get("transfer_id") else 0),
                       reversals=frozenset(raw.get("reversals") or ()),
                       payout_status=PayoutStatus(raw["payout_status"]) if raw.get("payout_status") else None,
                       payout_due_at=raw.get("payout_due_at") if raw.get("payout_due") else None,
                       commission_bps=int(raw["commission_bps"]) if raw.get("commission_bps") is not None else None,
                       commission_rates=tuple(raw.get("commission_rates") or ()),
                       accepted_at=raw.get("accepted_at"), shipped_at=raw.get("shipped_at"),
                       shipment=raw.get("shipment"), receipt_confirmed_at=raw.get("receipt_confirmed_at"),
                       receipt_confirmed_by=raw.get("receipt_confirmed_by"),
                       cancelled_lines=dict(raw.get("cancelled_lines") or {}),
                       case_refunds=dict(raw.get("case_refunds") or {}),
                       restocked=dict(raw.get("restocked") or {}),
                       reversal_failed=raw.get("reversal_failed") or None,
                       reversal_refusals=int(raw.get("reversal_refusals") or 0),
                       # Sold before the policy was frozen: the commission was always given back pro rata.
                       refund_commission=raw.get("refund_commission") or REFUND_COMMISSION,
                       top_ups=tuple(raw.get("top_ups") or ()),
                       transfer_left={t: int(v) for t, v in (raw.get("transfer_left") or {}).items()},
                       top_up_failed=raw.get("top_up_failed") or None,
                       top_up_refusals=int(raw.get("top_up_refusals") or 0),
                       outside_settlements=_outside_settlements(raw))


def _outside_settlements(raw: dict) -> tuple[dict, ...]:
    """Settlements outside the platform; saved before they were kept one by one, only their sum was
    (`settled_outside`), always counted as paid back by the vendor."""
    if raw.get("outside_settlements"):
        return tuple(dict(s, amount=int(s["amount"])) for s in raw["outside_settlements"])
    legacy = int(raw.get("settled_outside") or 0)
    return ({"kind": "returned_by_vendor", "amount": legacy, "at": ""},) if legacy else ()


def order_from_items(item: dict, vendor_items: list[dict]) -> Order:
    status = OrderStatus(item["status"])
    return Order(
        order_id=item["order_id"], order_number=item.get("order_number") or "", shopper_id=item["shopper_id"],
        created_at=item["created_at"], reserved_until=item.get("reserved_until", ""), currency=item["currency"],
        country=item.get("country"), quote=item.get("quote") or {}, lines=[_line(x) for x in item.get("lines", [])],
        total=int(item["total"]),
        vendor_orders={v["vendor_id"]: _vendor_order(v, item.get("shipping_address")) for v in vendor_items},
        status=status,
        payment_status=PaymentStatus(item.get("payment_status") or _LEGACY_PAYMENT[status.value]),
        payment_intent_id=item.get("payment_intent_id"), client_secret=item.get("client_secret"),
        charge_id=item.get("charge_id"), shipping_address=item.get("shipping_address"),
        attempts=[PaymentAttempt(a["id"], a["at"], a["outcome"], a.get("reason")) for a in item.get("attempts") or []],
        refunds={rid: Refund(id=rid, amount=int(r.get("amount") or 0), currency=r.get("currency", ""),
                             at=r.get("at", ""), reason=r.get("reason"), status=r.get("status"),
                             vendor_id=r.get("vendor_id"))
                 for rid, r in (item.get("refunds") or {}).items()},
        disputes={did: Dispute(id=did, amount=int(d.get("amount") or 0), currency=d.get("currency", ""),
                               status=d.get("status", ""), reason=d.get("reason"), charge_id=d.get("charge_id"),
                               event_created=int(d.get("event_created") or 0), due_by=d.get("due_by"))
                  for did, d in (item.get("disputes") or {}).items()},
        timeline=[_entry(e) for e in item.get("timeline", [])],
        outbox=[effect_from_json(e) for e in item.get("outbox") or []],
        version=int(item.get("version") or 1),
        ledger_ids=set(item.get("ledger_ids") or ()),
        returns={rid: ReturnRequest.from_json(r) for rid, r in (item.get("returns") or {}).items()},
        claims={cid: Claim.from_json(c) for cid, c in (item.get("claims") or {}).items()},
    )


# --- aggregate -> items --------------------------------------------------------------------


def _drop_none(data: dict) -> dict:
    return {k: v for k, v in data.items() if v is not None}


def order_item(order: Order) -> dict:
    """The orders item (the shape of chalicelib/store/orders.py's OrderModel)."""
    return _drop_none({
        "order_id": order.order_id, "order_number": order.order_number or None, "shopper_id": order.shopper_id,
        "status": order.status.value, "payment_status": order.payment_status.value,
        "created_at": order.created_at, "reserved_until": order.reserved_until, "currency": order.currency,
        "country": order.country, "quote": order.quote,
        "lines": [line.__dict__.copy() for line in order.lines], "total": order.total,
        "payment_intent_id": order.payment_intent_id, "client_secret": order.client_secret,
        "charge_id": order.charge_id, "shipping_address": order.shipping_address,
        "attempts": [_drop_none(a.__dict__.copy()) for a in order.attempts],
        "refunds": {rid: _drop_none({k: v for k, v in r.__dict__.items() if k != "id"})
                    for rid, r in order.refunds.items()},
        "disputes": {did: _drop_none({k: v for k, v in d.__dict__.items() if k != "id"})
                     for did, d in order.disputes.items()},
        "timeline": [_drop_none({"id": e.id, "at": e.at, "label": e.label, "audience": e.audience.value,
                                 "status": e.status, "kind": e.kind, "details": e.details or None})
                     for e in order.timeline],
        "outbox": [e.to_json() for e in order.outbox],
        "version": order.version,
        "ledger_ids": set(order.ledger_ids) or None,
        "returns": {rid: r.to_json() for rid, r in order.returns.items()} or None,
        "claims": {cid: c.to_json() for cid, c in order.claims.items()} or None,
    })


def vendor_order_item(order: Order, vendor_order: VendorOrder) -> dict:
    """A new vendor-orders item (placement); later saves only update its state fields."""
    return _drop_none({
        "order_id": order.order_id, "vendor_id": vendor_order.vendor_id, "vendor_name": vendor_order.vendor_name,
        "vendor_created": _vendor_list_key(order), "shopper_id": order.shopper_id,
        "created_at": order.created_at, "status": vendor_order.state.value, "currency": vendor_order.currency,
        "items": vendor_order.items, "shipping": vendor_order.shipping, "discount": vendor_order.discount,
        "total": vendor_order.total, "commission": vendor_order.commission, "payout": vendor_order.payout,
        "commission_bps": vendor_order.commission_bps, "commission_rates": list(vendor_order.commission_rates) or None,
        "refund_commission": vendor_order.refund_commission,
        # Not the vendor's lines nor the address: the order item has both (the address is read from it,
        # `order_from_items`). A vendor item is rewritten on every save of its state, billed per KB of it
        # whole: without those copies it stays under 1 KB (1 write unit instead of 2).
    })


def _vendor_list_key(order: Order) -> str | None:
    """The range key of the vendor's list (`by_vendor`), set once the order is paid and kept after:
    the list shows paid orders only, so an order pending payment (and one never paid) is not written
    into that index at all (its placement and its expiry cost no index write)."""
    return f"{order.created_at}#{order.order_id}" if order.status is OrderStatus.PAID else None


def _vendor_order_state(vendor_order: VendorOrder, order: Order) -> tuple[dict, dict]:
    """The fields a save keeps in step: state, delivery, and the payout's bookkeeping (the sparse
    `by_payout_due` index carries the vendor-order exactly while its payout is due). `kept` fields
    are set when known; `tracked` ones are removed when None."""
    kept = {"status": vendor_order.state.value, "vendor_created": _vendor_list_key(order),
            "delivered_at": vendor_order.delivered_at,
            "charge_id": vendor_order.charge_id, "transfer_id": vendor_order.transfer_id,
            "transferred": vendor_order.transferred if vendor_order.transfer_id else None}
    tracked = {"payout_status": vendor_order.payout_status.value if vendor_order.payout_status else None,
               "payout_due": PAYOUT_DUE if vendor_order.payout_due else None,
               "payout_due_at": vendor_order.payout_due_at,
               "reversals": set(vendor_order.reversals) or None,
               # Fulfilment; `receipt_due` keeps the sparse by_receipt_due index (auto-confirm) in step.
               "accepted_at": vendor_order.accepted_at, "shipped_at": vendor_order.shipped_at,
               "shipment": vendor_order.shipment, "receipt_confirmed_at": vendor_order.receipt_confirmed_at,
               "receipt_confirmed_by": vendor_order.receipt_confirmed_by,
               "receipt_due": RECEIPT_DUE if vendor_order.awaiting_receipt_since else None,
               "cancelled_lines": vendor_order.cancelled_lines or None,
               # After-sales refunds; `refund_attention` keeps the sparse by_refund_attention index in step.
               "case_refunds": vendor_order.case_refunds or None, "restocked": vendor_order.restocked or None,
               "reversal_failed": vendor_order.reversal_failed,
               "reversal_refusals": vendor_order.reversal_refusals or None,
               "refund_attention": REFUND_ATTENTION if vendor_order.refund_attention_since else None,
               "refund_attention_at": vendor_order.refund_attention_since,
               "top_ups": list(vendor_order.top_ups) or None,
               "transfer_left": vendor_order.transfer_left or None,
               "top_up_failed": vendor_order.top_up_failed,
               "top_up_refusals": vendor_order.top_up_refusals or None,
               "outside_settlements": list(vendor_order.outside_settlements) or None,
               "settled_outside": None}  # replaced by outside_settlements (read once by _outside_settlements)
    return kept, tracked


def _vendor_order_actions(state: tuple[dict, dict], order_version: int) -> list:
    vendor, (kept, tracked) = VendorOrderModel, state
    actions = [getattr(vendor, name).set(value) for name, value in kept.items() if value is not None]
    actions.append(vendor.order_version.set(order_version))
    return actions + [getattr(vendor, name).set(value) if value is not None else getattr(vendor, name).remove()
                      for name, value in tracked.items()]


# --- what a save must write ----------------------------------------------------------------------
#
# A save writes only what changed since the order was read (or last saved): vendor items and case
# rows as they were are left alone (each rewrite costs write units on the item and on its indexes),
# and a save that only moves the outbox (effects carried out) is one conditional update of the
# order item instead of a transaction (half the write units). The state as read is kept on the
# order object by this adapter (`_persisted`): an order without it (placed in this process, or
# built elsewhere) is written whole, as before.


def _case_row_key(row: dict) -> str:
    return json.dumps(row, sort_keys=True, default=lambda v: sorted(v) if isinstance(v, (set, frozenset)) else str(v))


@dataclass
class _Persisted:
    """The order's items as last read or written: what `save` compares to write only changes."""

    order: dict  # the order item without `outbox` and `version`
    vendors: dict[str, tuple[dict, dict]]
    case_rows: set[str]


def _persisted_state(order: Order) -> _Persisted:
    core = {k: v for k, v in order_item(order).items() if k not in ("outbox", "version")}
    return _Persisted(core, {v.vendor_id: _vendor_order_state(v, order) for v in order.vendor_orders.values()},
                      {_case_row_key(row) for row in case_rows(order)})


def _remember(order: Order, item: dict, vendor_items: list[dict]) -> None:
    """Keep the items as read; their state is worked out only if the order is saved (most reads are not).
    A copy: the order may share their lists and dicts and change them in place."""
    object.__setattr__(order, "_persisted", copy.deepcopy((item, vendor_items)))


def _as_read(order: Order) -> _Persisted | None:
    kept = getattr(order, "_persisted", None)
    if isinstance(kept, tuple):
        return _persisted_state(order_from_items(*kept))
    return kept


# --- the adapter ---------------------------------------------------------------------------


_TORN_READ_ATTEMPTS = 5  # each retry means another save landed meanwhile: five in a row is contention


class _EntriesExist(Exception):
    def __init__(self, entry_ids: set[str]):
        super().__init__(sorted(entry_ids))
        self.entry_ids = entry_ids



class DynamoOrderRepository:
    """OrderRepository over the orders and vendor-orders tables."""

    def get(self, order_id: str) -> Order | None:
        """The order as one save left it. The order item and its vendor items are two reads: when a
        save lands between them, a vendor item is newer than the order item read (its `order_version`
        says so) and both are read again, so a decision never mixes two versions of the aggregate."""
        bind()
        for _ in range(_TORN_READ_ATTEMPTS):
            try:
                model = tables.OrderModel.get(order_id, consistent_read=True)
            except tables.OrderModel.DoesNotExist:
                return None
            item = tables.unpacked(plain(model.attribute_values))
            vendor_items = [plain(m.attribute_values)
                            for m in VendorOrderModel.query(order_id, consistent_read=True)]
            version = int(item.get("version") or 1)
            if all(int(v.get("order_version") or 0) <= version for v in vendor_items):
                order = order_from_items(item, vendor_items)
                _remember(order, item, vendor_items)
                return order
        raise ConcurrentUpdate(order_id)

    def find_by_payment_intent(self, payment_intent_id: str) -> Order | None:
        order_id = tables.find_order_id_by_payment_intent(payment_intent_id)
        return self.get(order_id) if order_id else None

    def list_expired_pending(self, now_iso: str, limit: int) -> list[str]:
        return tables.list_expired_pending(now_iso, limit)

    def place(self, order: Order, reserve: ReserveStock, *, checkout: CheckoutWrites) -> None:
        item = order_item(order)
        item["version"] = 1
        tables.place_order(item, [{**vendor_order_item(order, v), "order_version": 1} for v in order.vendor_orders.values()],
                           [Reservation(*line) for line in reserve.lines], client_token=order.order_id,
                           shopper_customer_id=checkout.new_customer_id, remember_in_cart=True,
                           cart_pending_order_id=checkout.cart_pending_order_id,
                           address_to_remember=checkout.address_to_remember,
                           promotion_holds=checkout.promotion_holds,
                           selling_vendors=dict(checkout.selling_vendors))
        order.version = 1

    def attach_payment(self, order_id: str, payment_intent_id: str, client_secret: str | None) -> None:
        tables.set_payment_intent(order_id, payment_intent_id, client_secret)

    def list_due_payouts(self, before_iso: str, limit: int) -> list[tuple[str, str]]:
        return list_due_payouts(before_iso, limit)

    def list_receipt_due(self, shipped_before_iso: str, limit: int) -> list[tuple[str, str]]:
        return fulfilment_queries.list_receipt_due(shipped_before_iso, limit)

    def list_vendor_orders(self, vendor_id: str, *, status: str | None, limit: int,
                           cursor: str | None) -> tuple[list[Order], str | None]:
        return fulfilment_queries.list_vendor_orders(self, vendor_id, status=status, limit=limit, cursor=cursor)

    def list_refund_attention(self, limit: int, cursor: str | None) -> tuple[list[tuple[str, str]], str | None]:
        from chalicelib.store.refund_queries import list_refund_attention

        return list_refund_attention(limit, cursor)

    def save(self, order: Order, *, effects: list[Effect]) -> None:
        bind()
        outside = [e for e in effects if not isinstance(e, STOCK_EFFECTS)]
        known = {e.key for e in order.outbox}
        outbox = order.outbox + [e for e in outside if e.key not in known]
        expected = order.version
        item = order_item(order)
        item["outbox"] = [e.to_json() for e in outbox]
        item["version"] = expected + 1
        entries = list(order.ledger_entries)
        before, now = _as_read(order), _persisted_state(order)
        vendors = [v for v in order.vendor_orders.values()
                   if before is None or before.vendors.get(v.vendor_id) != now.vendors[v.vendor_id]]
        rows = [row for row in case_rows(order) if before is None or _case_row_key(row) not in before.case_rows]
        only_the_outbox = (before is not None and before.order == now.order and not vendors and not rows
                           and not entries and not order.changed_returns and not any(
                               isinstance(e, STOCK_EFFECTS) for e in effects))
        if only_the_outbox:
            self._write_outbox(order.order_id, item, expected)
            entries = []
        for _ in range(len(entries) + 1) if not only_the_outbox else ():
            try:
                self._write(order, item, expected, effects, entries, vendors, rows)
                break
            except _EntriesExist as exists:
                # Written already (a change re-applied after its write went through): the order's own
                # version condition passed, so only those entries are dropped, never written twice.
                entries = [e for e in entries if e.entry_id not in exists.entry_ids]
        order.outbox = outbox
        order.version = expected + 1
        order.ledger_entries = []
        order.changed_returns = set()
        object.__setattr__(order, "_persisted", now)

    def _write_outbox(self, order_id: str, item: dict, expected: int) -> None:
        """Only the outbox moved (effects carried out): one conditional update, not a transaction. The
        outbox is packed with the order's other bulky parts (chalicelib/store/orders.py): they are
        rewritten as they were."""
        model = tables.OrderModel
        actions = [model.packed.set(tables.packed(item)["packed"]), model.version.set(expected + 1)]
        try:
            model(order_id).update(actions=actions, condition=model.version == expected,
                                   add_version_condition=False)
        except UpdateError as exc:
            # A moved version, or a transaction holding the item (DynamoDB refuses a single-item write
            # to an item a transaction is changing): nothing was written, the change is re-applied.
            if exc.cause_response_code in ("ConditionalCheckFailedException", "TransactionConflictException"):
                raise ConcurrentUpdate(order_id) from exc
            raise

    def _write(self, order: Order, item: dict, expected: int, effects: list[Effect], entries: list,
               vendors: list[VendorOrder], rows: list[dict]) -> None:
        model, vendor = tables.OrderModel, VendorOrderModel
        offer = offer_model()
        try:
            with TransactWrite(connection=tables._connection()) as tx:
                tx.save(model(**tables.packed(item)), condition=model.version == expected)
                for entry in entries:  # the vendor ledger's entries of this change (puts: right after the order)
                    put_in_transaction(tx, entry)
                for return_id in sorted(order.changed_returns):  # the return queues, in step with the order
                    tx.save(return_projection(order.returns[return_id]))
                put_case_rows(tx, rows)  # the claims' and disputes' queues, in step with the order
                for vendor_order in vendors:  # the vendor items this change moved (stamped with its version)
                    tx.update(vendor(order.order_id, vendor_order.vendor_id),
                              actions=_vendor_order_actions(_vendor_order_state(vendor_order, order), expected + 1),
                              condition=vendor.order_id.exists())
                for effect in effects:
                    if isinstance(effect, (SellStock, ReleaseStock)):
                        for offer_id, quantity in effect.quantities:
                            target = offer.sold if isinstance(effect, SellStock) else offer.available
                            tx.update(offer(offer_id), actions=[offer.reserved.set(offer.reserved - quantity),
                                                                target.add(quantity)],
                                      condition=offer.reserved >= quantity, add_version_condition=False)
                    elif isinstance(effect, RestockSold):
                        tx.update(offer(effect.offer_id), actions=[offer.sold.set(offer.sold - effect.quantity),
                                                                   offer.available.add(effect.quantity)],
                                  condition=offer.sold >= effect.quantity, add_version_condition=False)
        except TransactWriteError as exc:
            reasons = exc.cancellation_reasons or []
            if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
                raise ConcurrentUpdate(order.order_id) from exc
            codes = {reason.code for reason in reasons if reason is not None}
            if "TransactionConflict" in codes and "ConditionalCheckFailed" not in codes:
                # Another transaction held one of these items: nothing was written, the same lost race
                # as a moved version, so the change is re-applied to the order as it is now.
                raise ConcurrentUpdate(order.order_id) from exc
            # PynamoDB sends the puts first, in call order: the order, then the entries.
            taken = {entry.entry_id for entry, reason in zip(entries, reasons[1:])
                     if reason is not None and reason.code == "ConditionalCheckFailed"}
            if taken:
                raise _EntriesExist(taken) from exc
            raise

    def clear_outbox(self, order: Order) -> None:
        """Record that the outbox's effects were carried out (saved like any change, conditional on version)."""
        self.save(order, effects=[])
