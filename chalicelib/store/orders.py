"""Orders: the `orders` table, placing an order (the checkout's one transaction), reading orders.

Placing is ONE DynamoDB transaction whose conditions are the business rules (`available >= :q AND
price = :p AND shipping_fee = :s` to reserve each line, the order, its vendor-orders and its number
put only where none exists), so nothing here ever checks then acts. Later changes go through the
order aggregate's repository (chalicelib/store/order_repository.py: saves conditional on `version`).

Order item:  order_id, order_number, shopper_id, status, payment_status, created_at, reserved_until
             (ISO UTC), currency, country, quote (Quote.to_json()), lines [{offer_id, product_id,
             vendor_id, vendor_name, title, condition, quantity, unit_price, shipping_fee}], total,
             payment_intent_id, client_secret, charge_id, attempts [{id, at, outcome, reason}],
             timeline [{id, at, label, audience, status, kind, details}], refunds {id: {...}},
             disputes {id: {...}}, outbox [effects], version.

Stored layout (chalicelib/store/order_packing.py): the keys, the indexed and conditioned attributes
are attributes of their own; everything else (quote, lines, timeline, address, refunds, outbox, the
small scalars...) is ONE zlib-compressed JSON document, with a preset dictionary, in the Binary
attribute `packed`: an order is rewritten on every transition and DynamoDB bills each write per KB of
the whole item, so it is kept under 1 KB for most of an order's life. Items stored before (those
fields as attributes) read the same (`unpacked`).
Related tables: vendor_orders.py (one item per vendor), payout_queue.py, shoppers.py, stock.py.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.connection import Connection
from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.indexes import GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.ports import AddressBookChanged, OrderExists, OrderNumberTaken, PendingOrderChanged
from chalicelib.store import cursors
from chalicelib.store.addresses import AddressToRemember, remember_in_transaction
from chalicelib.store.attributes import plain
from chalicelib.store.base import bind, register
from chalicelib.store.order_packing import PACKED_FIELDS, packed, unpacked  # noqa: F401 (the layout's API here)
from chalicelib.store.shoppers import ShopperModel, number_key
from chalicelib.store.stock import CartChanged, Reservation, StockBusy, line_changes, offer_model
from chalicelib.store.vendor_orders import VendorOrderModel

ALL_OLD = "ALL_OLD"


# --- models -------------------------------------------------------------------------------


class ByShopper(GlobalSecondaryIndex):
    """Keys only: the list reads the orders it names (reads cost a fifth of writes, and a projection
    of the whole order would rewrite it into the index on every save)."""

    class Meta:
        index_name = "by_shopper"
        projection = KeysOnlyProjection()

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
    # In `packed` except while pending payment (the by_status index's range key: order_packing.PENDING_ONLY).
    reserved_until = UnicodeAttribute(null=True)
    # In `packed` (order_packing.PACKED_FIELDS); attributes of their own only on items stored before it.
    currency = UnicodeAttribute(null=True)
    country = UnicodeAttribute(null=True)
    quote = JSONAttribute(null=True)
    lines = ListAttribute(null=True)  # raw maps: {offer_id, product_id, vendor_id, title, quantity, ...}
    total = NumberAttribute(null=True)
    payment_intent_id = UnicodeAttribute(null=True)
    client_secret = UnicodeAttribute(null=True)
    timeline = ListAttribute(null=True)  # raw maps: {id, at, status|kind, label, ...}
    refunds = MapAttribute(null=True)  # refund id -> record
    disputes = MapAttribute(null=True)  # dispute id -> latest record
    shipping_address = JSONAttribute(null=True)  # domain.addresses.Address.to_json(), frozen at checkout
    version = NumberAttribute(default=1)
    # The aggregate's own state (chalicelib/domain/orders.py); absent on orders placed before it.
    order_number = UnicodeAttribute(null=True)  # H-<yymm>-<digits>, unique (claimed in the shoppers table)
    payment_status = UnicodeAttribute(null=True)
    charge_id = UnicodeAttribute(null=True)
    attempts = ListAttribute(null=True)  # raw maps: {id, at, outcome, reason}
    outbox = ListAttribute(null=True)  # effects saved with the order, not carried out yet
    ledger_ids = UnicodeSetAttribute(null=True)  # vendor ledger entries this order booked (chalicelib/store/ledger.py)
    returns = JSONAttribute(null=True)  # return_id -> ReturnRequest.to_json() (chalicelib/domain/returns.py)
    claims = JSONAttribute(null=True)  # claim id -> Claim.to_json() (chalicelib/domain/claims.py)
    packed = BinaryAttribute(null=True, legacy_encoding=False)  # PACKED_FIELDS, zlib JSON (module docstring)

    by_shopper = ByShopper()
    by_status = ByStatus()
    by_payment_intent = ByPaymentIntent()


# --- helpers ------------------------------------------------------------------------------


def _order_dict(model: OrderModel) -> dict:
    data = unpacked(plain(model.attribute_values))
    data.pop("recorded", None)  # orders saved before the aggregate kept the ids of their timeline entries
    data.pop("ledger_ids", None)  # the vendor ledger entries the order booked: bookkeeping, not for views
    data.setdefault("payment_intent_id", None)
    data.setdefault("client_secret", None)
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


# --- placing an order ---------------------------------------------------------------------


def place_order(
    order: dict,
    vendor_orders: list[dict],
    reservations: list[Reservation],
    client_token: str,
    *,
    shopper_customer_id: str | None = None,
    remember_in_cart: bool = False,
    cart_pending_order_id: str | None = None,
    address_to_remember: AddressToRemember | None = None,
    selling_vendors: Mapping[str, Sequence[str]] | None = None,
    promotion_holds: Sequence = (),
) -> None:
    """Reserve every line and write the order and its vendor-orders in ONE transaction.

    Optional: `selling_vendors` ({vendor_id: [its offer ids]}) checks in the same transaction that
    each vendor may sell (chalicelib/store/vendors.py `selling_condition`); a paused one cancels it
    with CartChanged naming its lines (`vendor_not_selling`).

    Each offer is updated `available -= q, reserved += q` under the condition
    `available >= q AND price = expected AND shipping_fee = expected`, so a price change or a
    sale to someone else between "add to cart" and "checkout" cancels the whole transaction and
    nothing is reserved. The order is put with `attribute_not_exists(order_id)`.

    Optional: `shopper_customer_id` also records the shopper's new Stripe customer id in the same
    transaction (first checkout), on condition that no other customer id was recorded meanwhile.

    Optional: `address_to_remember` keeps the checkout's address in the shopper's book, in the
    same transaction (no round trip of its own); if the book changed meanwhile, `AddressBookChanged`.

    Optional: `promotion_holds` (chalicelib/domain/promotions.py `PromotionHold`): the promotions the lines
    are charged with must still be running (ConditionChecks), else `CartChanged` naming their lines.

    Raises `CartChanged` (409, `fields["lines.<offer_id>"]`) naming each line that changed,
    `OrderExists` when only the order put failed because the order is already there (a retried
    request: return the existing order), `StockBusy` (409 + Retry-After) on a transaction conflict.
    """
    bind()
    offer = offer_model()
    names = {
        "available": offer.available.attr_name,
        "price": offer.price.attr_name,
        "shipping_fee": offer.shipping_fee.attr_name,
        "currency": offer.currency.attr_name,
        "status": offer.status.attr_name,
    }
    order = dict(order)
    order.setdefault("timeline", [])
    order.setdefault("refunds", {})
    order.setdefault("disputes", {})
    order.setdefault("version", 1)
    order_model = OrderModel(**packed(order))
    book_updated = address_to_remember is not None and address_to_remember.book_exists  # an update, else a put
    items: list[tuple[str, Any]] = []  # what each transaction item is, in the order DynamoDB sees them
    try:
        with TransactWrite(connection=_connection(), client_request_token=request_token(
            client_token, order, vendor_orders, [r.__dict__ for r in reservations], shopper_customer_id,
            address_to_remember and address_to_remember.address)) as tx:
            # PynamoDB sends condition checks, then puts, then updates, whatever the call order; `items` mirrors that.
            if selling_vendors:
                from chalicelib.store.vendors import VendorItem, selling_condition

                for vendor_id, offer_ids in selling_vendors.items():
                    tx.condition_check(VendorItem, vendor_id, condition=selling_condition())
                    items.append(("vendor", list(offer_ids)))
            if promotion_holds:
                from chalicelib.store.promotions import check_running

                for hold in promotion_holds:
                    check_running(tx, hold)
                    items.append(("promotion", hold))
            tx.save(order_model, condition=OrderModel.order_id.does_not_exist(), return_values=ALL_OLD)
            items.append(("order", None))
            for vendor_order in vendor_orders:
                tx.save(VendorOrderModel(**vendor_order), condition=VendorOrderModel.order_id.does_not_exist())
                items.append(("vendor_order", vendor_order["vendor_id"]))
            if order.get("order_number"):
                # Unique across orders: the number's own item, put only where none exists.
                tx.save(ShopperModel(number_key(order["order_number"]), order_id=order["order_id"]),
                        condition=ShopperModel.shopper_id.does_not_exist(), return_values=ALL_OLD)
                items.append(("number", None))
            if address_to_remember is not None and not book_updated:
                remember_in_transaction(tx, address_to_remember)
                items.append(("address_book", None))
            if remember_in_cart:
                # The cart knows its unpaid order: a new checkout of the same cart resumes it.
                from chalicelib.store.carts import CartModel

                # Only if no other checkout of this cart placed an order since it was read: two concurrent
                # Pay clicks (distinct keys) place one order; the other then resumes it.
                pending = CartModel.pending_order_id
                tx.update(CartModel(order["shopper_id"]), actions=[pending.set(order["order_id"])],
                          condition=(pending.does_not_exist() if cart_pending_order_id is None
                                     else pending == cart_pending_order_id))
                items.append(("cart", None))
            if shopper_customer_id:
                tx.update(
                    ShopperModel(order["shopper_id"]),
                    actions=[ShopperModel.stripe_customer_id.set(shopper_customer_id)],
                    condition=ShopperModel.stripe_customer_id.does_not_exist()
                    | (ShopperModel.stripe_customer_id == shopper_customer_id),
                )
                items.append(("shopper", None))
            if book_updated:
                remember_in_transaction(tx, address_to_remember)
                items.append(("address_book", None))
            for r in reservations:
                tx.update(
                    offer(r.offer_id),
                    actions=[offer.available.set(offer.available - r.quantity), offer.reserved.add(r.quantity)],
                    condition=(offer.available >= r.quantity)
                    & (offer.status.does_not_exist() | (offer.status == "active"))  # not paused/delisted
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
    pending_changed = False
    number_taken = False
    book_changed = False
    busy = False
    for (kind, detail), reason in zip(items, reasons):
        if reason is None:
            continue
        if reason.code == "TransactionConflict":
            busy = True
        elif reason.code == "ConditionalCheckFailed":
            if kind == "order" or kind == "vendor_order":
                order_taken = True
            elif kind == "number":
                owner = ((reason.raw_item or {}).get("order_id") or {}).get("S")
                number_taken = owner != order_id
            elif kind == "cart":
                pending_changed = True
            elif kind == "shopper":
                busy = True  # a customer id was recorded by a concurrent request: retrying uses it
            elif kind == "address_book":
                book_changed = True
            elif kind == "offer":
                changes.extend(line_changes(detail, reason.raw_item, names))
            elif kind == "vendor":
                from chalicelib.domain.cart_changes import vendor_not_selling

                changes.extend(vendor_not_selling(offer_id) for offer_id in detail)
            elif kind == "promotion":
                changes.append(detail.change)
    if order_taken:
        raise OrderExists(order_id) from exc
    if pending_changed:
        raise PendingOrderChanged(order_id) from exc
    if changes:
        raise CartChanged(changes) from exc
    if number_taken:
        raise OrderNumberTaken(order_id) from exc
    if book_changed:
        raise AddressBookChanged(order_id) from exc
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
    keys = [m.order_id for m in result]
    found = {m.order_id: m for m in OrderModel.batch_get(keys)} if keys else {}
    orders = [_order_dict(found[k]) for k in keys if k in found]
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
                OrderModel.version.add(1),  # the aggregate's saves are conditional on it
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


# --- the sweeper's index -----------------------------------------------------------------


def list_expired_pending(now_iso: str, limit: int = 100) -> list[str]:
    """Order ids still `pending_payment` whose reservation ended before `now_iso` (oldest first)."""
    bind()
    result = OrderModel.by_status.query(
        "pending_payment", OrderModel.reserved_until < now_iso, limit=limit, page_size=limit
    )
    return [item.order_id for item in result]


