"""Orders, vendor sub-orders and shoppers: the order store.

Every change that moves stock is ONE DynamoDB transaction whose conditions are the business
rules (`available >= :q AND price = :p AND shipping_fee = :s` to reserve, `reserved >= :q` to
sell or release, `status = :expected` to transition), so nothing here ever checks then acts.

Functions take and return plain dicts (the shapes below) so the use cases and the other
helpers (payment-events consumer, sweeper, transfers) never touch PynamoDB.

Order item:  order_id, shopper_id, status, created_at, reserved_until (ISO UTC), currency,
             country, quote (Quote.to_json()), lines [{offer_id, product_id, vendor_id, vendor_name, title,
             quantity, unit_price, shipping_fee}], total, payment_intent_id, client_secret,
             timeline [{id, at, status|kind, label, ...}], refunds {id: {...}},
             disputes {id: {...}}, recorded (ids of timeline entries), version.
Vendor-order: order_id, vendor_id, vendor_created (`created_at#order_id`), status, currency,
             items, shipping, discount, commission, payout, lines, transfer_id, delivered_at,
             charge_id, payout_status, payout_due + payout_due_at (only while a payout is due).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import (
    Attribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.expressions.operand import Path
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.store import cursors
from chalicelib.store.base import bind, register

ALL_OLD = "ALL_OLD"


# --- models -------------------------------------------------------------------------------


class ByShopper(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_shopper"
        projection = AllProjection()

    shopper_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ByStatus(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_status"
        projection = KeysOnlyProjection()

    status = UnicodeAttribute(hash_key=True)
    reserved_until = UnicodeAttribute(range_key=True)


class ByPaymentIntent(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_payment_intent"
        projection = KeysOnlyProjection()

    payment_intent_id = UnicodeAttribute(hash_key=True)


@register
class OrderModel(Model):
    class Meta:
        short_name = "orders"

    order_id = UnicodeAttribute(hash_key=True)
    shopper_id = UnicodeAttribute()
    status = UnicodeAttribute()
    created_at = UnicodeAttribute()
    reserved_until = UnicodeAttribute()
    currency = UnicodeAttribute()
    country = UnicodeAttribute()
    quote = JSONAttribute()
    lines = ListAttribute(default=list)  # raw maps: {offer_id, product_id, vendor_id, title, quantity, ...}
    total = NumberAttribute()
    payment_intent_id = UnicodeAttribute(null=True)
    client_secret = UnicodeAttribute(null=True)
    timeline = ListAttribute(default=list)  # raw maps: {id, at, status|kind, label, ...}
    refunds = MapAttribute(default=dict)  # refund id -> record
    disputes = MapAttribute(default=dict)  # dispute id -> latest record
    recorded = UnicodeSetAttribute(null=True)  # ids of timeline entries already appended
    shipping_address = JSONAttribute(null=True)  # domain.addresses.Address.to_json(), frozen at checkout
    version = NumberAttribute(default=1)

    by_shopper = ByShopper()
    by_status = ByStatus()
    by_payment_intent = ByPaymentIntent()


class ByVendor(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_vendor"
        projection = AllProjection()

    vendor_id = UnicodeAttribute(hash_key=True)
    vendor_created = UnicodeAttribute(range_key=True)


class ByPayoutDue(GlobalSecondaryIndex):
    """Sparse: only vendor-orders whose payout is due and not transferred yet carry its keys."""

    class Meta:
        index_name = "by_payout_due"
        projection = KeysOnlyProjection()

    payout_due = UnicodeAttribute(hash_key=True)
    payout_due_at = UnicodeAttribute(range_key=True)


PAYOUT_DUE = "due"  # the one hash key value of by_payout_due


@register
class VendorOrderModel(Model):
    class Meta:
        short_name = "vendor-orders"

    order_id = UnicodeAttribute(hash_key=True)
    vendor_id = UnicodeAttribute(range_key=True)
    vendor_created = UnicodeAttribute()  # `created_at#order_id`: sortable per vendor
    vendor_name = UnicodeAttribute(null=True)  # the shop's name at checkout (snapshot)
    shopper_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    currency = UnicodeAttribute()
    total = NumberAttribute(default=0)  # items - discount + shipping: what the shopper paid this vendor
    items = NumberAttribute(default=0)
    shipping = NumberAttribute(default=0)
    discount = NumberAttribute(default=0)
    commission = NumberAttribute(default=0)
    payout = NumberAttribute(default=0)
    lines = ListAttribute(default=list)
    transfer_id = UnicodeAttribute(null=True)
    delivered_at = UnicodeAttribute(null=True)
    charge_id = UnicodeAttribute(null=True)  # the charge its payout transfers from (payment-events consumer)
    payout_status = UnicodeAttribute(null=True)  # transferred | awaiting_vendor_account | transfer_refused | ...
    # Set (to PAYOUT_DUE) while the payout is due and not transferred; removed once it is settled.
    payout_due = UnicodeAttribute(null=True)
    payout_due_at = UnicodeAttribute(null=True)  # ISO UTC: when the retry schedule may pick it up (oldest first)
    shipping_address = JSONAttribute(null=True)  # where this vendor ships its parcel (copy of the order's)

    by_vendor = ByVendor()
    by_payout_due = ByPayoutDue()


@register
class ShopperModel(Model):
    class Meta:
        short_name = "shoppers"

    shopper_id = UnicodeAttribute(hash_key=True)
    stripe_customer_id = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)


# --- errors -------------------------------------------------------------------------------


class OrderExists(Exception):
    """The order id is already taken: a retried checkout (crash after the transaction). Return it."""

    def __init__(self, order_id: str):
        super().__init__(order_id)
        self.order_id = order_id


class CartChanged(Conflict):
    """Some line no longer matches the offer (price, shipping or stock): nothing was reserved.

    `fields` names each line (`lines.<offer_id>`) with what changed; `changes` is the
    machine-readable form: [{offer_id, reason: price_changed|out_of_stock|gone, ...}].
    """

    code = "cart_changed"

    def __init__(self, changes: list[dict]):
        fields = {f"lines.{c['offer_id']}": c["message"] for c in changes}
        super().__init__(
            "Some items in your cart changed since you added them. Review your cart and try again.",
            fields=fields,
        )
        self.changes = changes


class StockBusy(Conflict):
    """Another transaction touched the same offer at the same moment; retrying soon succeeds."""

    code = "busy"
    headers = {"Retry-After": "1"}


# --- offers (the catalogue's table; only the stock and price attributes are touched) ----------


def _offer_model():
    """The catalogue's offer model: its attribute names are the ones conditions must use."""
    from chalicelib.store.catalog import OfferItem

    return OfferItem


@dataclass(frozen=True)
class Reservation:
    offer_id: str
    quantity: int
    expected_price: int  # minor units, as seen by the shopper (cart snapshot)
    expected_shipping: int


# --- helpers ------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, MapAttribute):
        value = value.as_dict()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, set):
        return sorted(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _order_dict(model: OrderModel) -> dict:
    data = _plain(model.attribute_values)
    data.pop("recorded", None)
    data.setdefault("payment_intent_id", None)
    data.setdefault("client_secret", None)
    return data


def _vendor_order_dict(model: VendorOrderModel) -> dict:
    data = _plain(model.attribute_values)
    data.setdefault("transfer_id", None)
    data.setdefault("delivered_at", None)
    return data


def _connection() -> Connection:
    return OrderModel._get_connection().connection


def request_token(client_token: str, *content: Any) -> str:
    """The transaction's ClientRequestToken (at most 36 characters): `client_token` + what is written.

    DynamoDB answers a token replayed with *other* parameters within 10 minutes with
    IdempotentParameterMismatch. Our own retries rebuild the order (new timestamps, maybe a
    corrected cart), so the token covers the content: a resend of the very same request (the
    SDK's retry after a lost response) is deduplicated by DynamoDB, while a rebuilt request is
    judged by its conditions (`OrderExists` when the order was written).
    """
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()
    return hashlib.sha256(f"{client_token}\n{digest}".encode()).hexdigest()[:36]


def _raw_number(item: dict | None, name: str) -> int | None:
    if not item or name not in item:
        return None
    return int(float(item[name]["N"]))


def _line_change(reservation: Reservation, old: dict | None, names: dict[str, str]) -> dict:
    offer_id = reservation.offer_id
    if not old:
        return {"offer_id": offer_id, "reason": "gone", "message": "this offer is no longer available"}
    price = _raw_number(old, names["price"])
    shipping = _raw_number(old, names["shipping_fee"])
    available = _raw_number(old, names["available"]) or 0
    if price != reservation.expected_price or shipping != reservation.expected_shipping:
        return {
            "offer_id": offer_id,
            "reason": "price_changed",
            "price": price,
            "shipping_fee": shipping,
            "message": "the price or shipping fee changed since you added it",
        }
    if available <= 0:
        return {"offer_id": offer_id, "reason": "out_of_stock", "available": 0, "message": "sold out"}
    return {
        "offer_id": offer_id,
        "reason": "out_of_stock",
        "available": available,
        "message": f"only {available} left",
    }


# --- placing an order ---------------------------------------------------------------------


def place_order(
    order: dict,
    vendor_orders: list[dict],
    reservations: list[Reservation],
    client_token: str,
    *,
    shopper_customer_id: str | None = None,
) -> None:
    """Reserve every line and write the order and its vendor-orders in ONE transaction.

    Each offer is updated `available -= q, reserved += q` under the condition
    `available >= q AND price = expected AND shipping_fee = expected`, so a price change or a
    sale to someone else between "add to cart" and "checkout" cancels the whole transaction and
    nothing is reserved. The order is put with `attribute_not_exists(order_id)`.

    Optional: `shopper_customer_id` also records the shopper's new Stripe customer id in the same
    transaction (first checkout), on condition that no other customer id was recorded meanwhile.

    Raises `CartChanged` (409, `fields["lines.<offer_id>"]`) naming each line that changed,
    `OrderExists` when only the order put failed because the order is already there (a retried
    request: return the existing order), `StockBusy` (409 + Retry-After) on a transaction conflict.
    """
    bind()
    offer = _offer_model()
    names = {
        "available": offer.available.attr_name,
        "price": offer.price.attr_name,
        "shipping_fee": offer.shipping_fee.attr_name,
    }
    order = dict(order)
    order.setdefault("timeline", [])
    order.setdefault("refunds", {})
    order.setdefault("disputes", {})
    order.setdefault("version", 1)
    ids = [e["id"] for e in order["timeline"] if e.get("id")]
    if ids:
        order["recorded"] = set(ids)
    order_model = OrderModel(**order)
    items: list[tuple[str, Any]] = []  # what each transaction item is, in the order DynamoDB sees them
    try:
        with TransactWrite(connection=_connection(), client_request_token=request_token(
            client_token, order, vendor_orders, [r.__dict__ for r in reservations], shopper_customer_id)) as tx:
            # PynamoDB sends puts before updates, whatever the call order; `items` mirrors that.
            tx.save(order_model, condition=OrderModel.order_id.does_not_exist(), return_values=ALL_OLD)
            items.append(("order", None))
            for vendor_order in vendor_orders:
                tx.save(VendorOrderModel(**vendor_order), condition=VendorOrderModel.order_id.does_not_exist())
                items.append(("vendor_order", vendor_order["vendor_id"]))
            if shopper_customer_id:
                tx.update(
                    ShopperModel(order["shopper_id"]),
                    actions=[ShopperModel.stripe_customer_id.set(shopper_customer_id)],
                    condition=ShopperModel.stripe_customer_id.does_not_exist()
                    | (ShopperModel.stripe_customer_id == shopper_customer_id),
                )
                items.append(("shopper", None))
            for r in reservations:
                tx.update(
                    offer(r.offer_id),
                    actions=[offer.available.set(offer.available - r.quantity), offer.reserved.add(r.quantity)],
                    condition=(offer.available >= r.quantity)
                    & (offer.price == r.expected_price)
                    & (offer.shipping_fee == r.expected_shipping),
                    return_values=ALL_OLD,
                    add_version_condition=False,
                )
                items.append(("offer", r))
    except TransactWriteError as exc:
        _raise_for_cancellation(exc, order["order_id"], items, names)
        raise


def _raise_for_cancellation(exc: TransactWriteError, order_id: str, items: list[tuple[str, Any]], names) -> None:
    code = exc.cause_response_code
    if code == "IdempotentParameterMismatchException":
        # Cannot happen with content-derived tokens; if it does, the order was being written.
        raise OrderExists(order_id) from exc
    if code != "TransactionCanceledException":
        return
    reasons = list(exc.cancellation_reasons or [])
    reasons += [None] * (len(items) - len(reasons))
    changes: list[dict] = []
    order_taken = False
    busy = False
    for (kind, detail), reason in zip(items, reasons):
        if reason is None:
            continue
        if reason.code == "TransactionConflict":
            busy = True
        elif reason.code == "ConditionalCheckFailed":
            if kind == "order" or kind == "vendor_order":
                order_taken = True
            elif kind == "shopper":
                busy = True  # a customer id was recorded by a concurrent request: retrying uses it
            elif kind == "offer":
                changes.append(_line_change(detail, reason.raw_item, names))
    if changes:
        raise CartChanged(changes) from exc
    if order_taken:
        raise OrderExists(order_id) from exc
    if busy:
        raise StockBusy("Many shoppers are buying the same items right now; try again in a moment.") from exc


# --- reading orders -----------------------------------------------------------------------


def get_order(order_id: str) -> dict | None:
    """The order as a dict (with `client_secret`: only ever show it to its shopper), or None."""
    bind()
    try:
        return _order_dict(OrderModel.get(order_id, consistent_read=True))
    except OrderModel.DoesNotExist:
        return None


ORDER_CURSOR_KEYS = ("order_id", "shopper_id", "created_at")  # table key + by_shopper key


def list_orders_for_shopper(shopper_id: str, limit: int = 20, cursor: str | None = None) -> tuple[list[dict], str | None]:
    """One shopper's orders, newest first: (orders, next_cursor or None)."""
    bind()
    path = f"orders:{shopper_id}"
    start = cursors.decode(cursor, path, ORDER_CURSOR_KEYS, {"shopper_id": shopper_id})
    result = OrderModel.by_shopper.query(
        shopper_id, scan_index_forward=False, limit=limit, last_evaluated_key=start, page_size=limit
    )
    orders = [_order_dict(m) for m in result]
    last = result.last_evaluated_key
    return orders, cursors.encode(path, last) if last else None


def find_order_id_by_payment_intent(payment_intent_id: str) -> str | None:
    bind()
    for item in OrderModel.by_payment_intent.query(payment_intent_id, limit=1):
        return item.order_id
    return None


def set_payment_intent(order_id: str, payment_intent_id: str, client_secret: str | None) -> None:
    """Attach the PaymentIntent to the order (idempotent: the same id may be set again)."""
    bind()
    try:
        OrderModel(order_id).update(
            actions=[
                OrderModel.payment_intent_id.set(payment_intent_id),
                OrderModel.client_secret.set(client_secret),
            ],
            condition=OrderModel.order_id.exists()
            & (OrderModel.payment_intent_id.does_not_exist() | (OrderModel.payment_intent_id == payment_intent_id)),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            existing = get_order(order_id)
            if existing is None:
                raise NotFound("No such order.", fields={"order_id": "not found"}) from exc
            raise Conflict("The order already has another payment.", fields={"order_id": "already has a payment"}) from exc
        raise


# --- transitions --------------------------------------------------------------------------


def _line_quantities(lines) -> list[tuple[str, int]]:
    out: dict[str, int] = {}
    for line in lines:
        offer_id = line["offer_id"] if isinstance(line, dict) else line.offer_id
        quantity = line["quantity"] if isinstance(line, dict) else line.quantity
        out[offer_id] = out.get(offer_id, 0) + int(quantity)
    return sorted(out.items())


def apply_stock_decision(
    order_id: str,
    expected_status: str,
    new_status: str,
    move: str,
    lines,
    timeline_entry: dict,
) -> bool:
    """Transition the order and move its stock in ONE transaction; exactly once.

    The order update carries `status = :expected` (sets status, appends `timeline_entry`, bumps
    version); for each line `move` is applied to its offer: "sell" (reserved -> sold) or
    "release" (reserved -> available), each under `reserved >= q`; "none" moves nothing.
    Returns False, changing nothing, when the order is not in `expected_status` any more (someone
    else applied a transition first). Raises on any other failure.
    """
    bind()
    move = getattr(move, "value", move)
    if move not in ("sell", "release", "none"):
        raise ValueError(f"unknown stock move {move!r}")
    entry = dict(timeline_entry)
    entry.setdefault("status", new_status)
    actions = [
        OrderModel.status.set(new_status),
        OrderModel.timeline.set(OrderModel.timeline.append([entry])),
        OrderModel.version.add(1),
    ]
    if entry.get("id"):
        actions.append(OrderModel.recorded.add({entry["id"]}))
    try:
        with TransactWrite(connection=_connection()) as tx:
            tx.update(
                OrderModel(order_id),
                actions=actions,
                condition=OrderModel.status == expected_status,
                add_version_condition=False,
            )
            if move != "none":
                offer = _offer_model()
                for offer_id, quantity in _line_quantities(lines):
                    target = offer.sold if move == "sell" else offer.available
                    tx.update(
                        offer(offer_id),
                        actions=[offer.reserved.set(offer.reserved - quantity), target.add(quantity)],
                        condition=offer.reserved >= quantity,
                        add_version_condition=False,
                    )
    except TransactWriteError as exc:
        reasons = exc.cancellation_reasons or []
        if reasons and reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
            return False
        raise
    return True


def append_timeline(order_id: str, entry: dict, extra_updates: dict | None = None) -> bool:
    """Record a refund / dispute / transfer fact on the order, once per `entry["id"]`.

    `extra_updates` sets attributes in the same write: plain names (`{"status": "refunded"}`)
    or one level into the maps (`{"refunds.re_123": {...}, "disputes.dp_1": {...}}`).
    Returns False when an entry with this id was already recorded (or the order is missing).
    """
    bind()
    if not entry.get("id"):
        raise ValueError("timeline entries need an id to be recorded once")
    actions = [
        OrderModel.timeline.set(OrderModel.timeline.append([dict(entry)])),
        OrderModel.recorded.add({entry["id"]}),
        OrderModel.version.add(1),
    ]
    for name, value in (extra_updates or {}).items():
        head, _, key = name.partition(".")
        if key:
            if head not in ("refunds", "disputes"):
                raise ValueError(f"cannot update into {head!r}")
            actions.append(Path([head, key]).set(_map_value(value)))
        else:
            actions.append(getattr(OrderModel, name).set(value))
    try:
        OrderModel(order_id).update(
            actions=actions,
            condition=OrderModel.order_id.exists() & ~OrderModel.recorded.contains(entry["id"]),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def _map_value(value: Any):
    from pynamodb.expressions.operand import Value

    attribute = MapAttribute() if isinstance(value, dict) else None
    if attribute is None:
        return value
    return Value(value, attribute=attribute)


def list_expired_pending(now_iso: str, limit: int = 100) -> list[str]:
    """Order ids still `pending_payment` whose reservation ended before `now_iso` (oldest first)."""
    bind()
    result = OrderModel.by_status.query(
        "pending_payment", OrderModel.reserved_until < now_iso, limit=limit, page_size=limit
    )
    return [item.order_id for item in result]


# --- vendor-orders ------------------------------------------------------------------------


def list_vendor_orders(order_id: str) -> list[dict]:
    bind()
    return [_vendor_order_dict(m) for m in VendorOrderModel.query(order_id, consistent_read=True)]


def set_vendor_order_fields(order_id: str, vendor_id: str, **fields: Any) -> None:
    """Set attributes of one vendor-order (status, transfer_id, delivered_at, ...); None removes one."""
    bind()
    if not fields:
        return
    unknown = sorted(name for name in fields if not isinstance(getattr(VendorOrderModel, name, None), Attribute))
    if unknown or {"order_id", "vendor_id"} & set(fields):
        raise ValueError(f"not settable vendor-order fields: {unknown or ['order_id/vendor_id']}")
    actions = [getattr(VendorOrderModel, name).remove() if value is None else getattr(VendorOrderModel, name).set(value)
               for name, value in fields.items()]
    try:
        VendorOrderModel(order_id, vendor_id).update(actions=actions, condition=VendorOrderModel.order_id.exists())
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            raise NotFound("No such vendor order.", fields={"vendor_id": "not found"}) from exc
        raise


def mark_payout_due(order_id: str, vendor_id: str, at: str, *, requeue: bool = False, **fields: Any) -> bool:
    """Put the vendor-order's payout on the retry schedule's index (by_payout_due), with `fields`.

    Never for a payout already transferred (condition `transfer_id` absent). `at` is kept when it
    was due already, unless `requeue` (a retry that leaves it due moves it to the back of the
    queue, so vendors who never onboard cannot starve the others out of the bounded batch).
    Returns False, changing nothing, when the payout was transferred meanwhile (or the row is gone).
    """
    bind()
    due_at = VendorOrderModel.payout_due_at
    actions = [VendorOrderModel.payout_due.set(PAYOUT_DUE), due_at.set(at if requeue else (due_at | at))]
    actions += [getattr(VendorOrderModel, name).set(value) for name, value in fields.items()]
    try:
        VendorOrderModel(order_id, vendor_id).update(
            actions=actions,
            condition=VendorOrderModel.order_id.exists() & VendorOrderModel.transfer_id.does_not_exist(),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def list_due_payouts(before_iso: str, limit: int = 50) -> list[tuple[str, str]]:
    """(order_id, vendor_id) of payouts due since before `before_iso`, oldest first (no table scan)."""
    bind()
    result = VendorOrderModel.by_payout_due.query(
        PAYOUT_DUE, VendorOrderModel.payout_due_at <= before_iso, limit=limit, page_size=limit
    )
    return [(item.order_id, item.vendor_id) for item in result]


# --- shoppers -----------------------------------------------------------------------------


def get_shopper_customer_id(shopper_id: str) -> str | None:
    bind()
    try:
        return ShopperModel.get(shopper_id, consistent_read=True).stripe_customer_id
    except ShopperModel.DoesNotExist:
        return None
