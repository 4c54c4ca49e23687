"""In-memory adapters of the ports (orders, carts, the cart's view of the catalogue, the vendor offers'
catalogue): the use-case tests run on them without moto, in milliseconds.

Orders: the same contract as the DynamoDB adapter. `place` writes a new order all or nothing, refused like
DynamoDB's conditions refuse it (an order id or number already taken, a cart that names another pending order
meanwhile, a reservation that would oversell or whose price/shipping changed, an address book changed since it
was read); `save` is conditional on the version read (ConcurrentUpdate otherwise), moves stock with the
transition (refusing to move more than is reserved), and keeps the effects that leave the database in the
order's outbox.

Stock: `InMemoryOrders(stock=...)` takes any offer records with `available`/`reserved`/`sold` (and, to check a
reservation's terms, `price`/`shipping_fee`/`currency`): pass `InMemoryCartCatalog.offers` to let the cart
use cases and the orders see one stock, as they do in DynamoDB.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chalicelib.domain.cart_changes import LineTerms, OfferNow, line_changes
from chalicelib.domain.catalog import OfferTerms, ProductSummary
from chalicelib.domain.commissions import CommissionRules
from chalicelib.domain.errors import Conflict
from chalicelib.domain.order_effects import (
    STOCK_EFFECTS,
    Effect,
    ReleaseStock,
    ReserveStock,
    RestockSold,
    SellStock,
)
from chalicelib.domain.orders import Order
from chalicelib.domain.ports import (
    AddressBookChanged,
    CheckoutWrites,
    ConcurrentUpdate,
    OrderExists,
    OrderNumberTaken,
    PendingOrderChanged,
)
from chalicelib.domain.vendor_ledger import LedgerEntry
from chalicelib.store.carts import Cart, CartLine, cart_changed
from chalicelib.store.offers import OfferRules
from chalicelib.store.stock import CartChanged, StockBusy
from chalicelib.store.stock_adjustments import AdjustmentOutcome


@dataclass
class Stock:
    """An offer's units in memory: available, reserved, sold, and the price a reservation checks."""

    available: int
    reserved: int = 0
    sold: int = 0
    price: int | None = None  # None: a reservation's price is not checked
    shipping_fee: int | None = None
    currency: str = "EUR"


class InMemoryCarts:
    """Same contract as chalicelib/store/carts.py: a save from a stale read is a `cart_conflict`. Also holds
    what a checkout reads with the cart: the shoppers' payment-provider customer ids and address books."""

    def __init__(self):
        self.carts: dict[str, Cart] = {}
        self.customers: dict[str, str] = {}  # shopper_id -> payment-provider customer id
        self.address_books: dict[str, dict[str, dict]] = {}  # shopper_id -> {address_id: address}

    def get_cart(self, shopper_id: str) -> Cart:
        return copy.deepcopy(self.carts.get(shopper_id) or Cart(shopper_id))

    def get_for_checkout(self, shopper_id: str) -> tuple[Cart, str | None, dict[str, dict] | None]:
        book = self.address_books.get(shopper_id)
        return self.get_cart(shopper_id), self.customers.get(shopper_id), copy.deepcopy(book)

    def save_lines(self, cart: Cart, lines: Sequence[CartLine]) -> Cart:
        stored = self.carts.get(cart.shopper_id)
        if (stored.version if stored else 0) != cart.version:
            raise cart_changed()
        # Like the UpdateItem: the pending order is the stored one, whatever the caller read.
        saved = Cart(cart.shopper_id, list(lines), cart.version + 1, stored.pending_order_id if stored else None)
        self.carts[cart.shopper_id] = copy.deepcopy(saved)
        return saved

    def forget_pending_order(self, shopper_id: str, order_id: str) -> None:
        cart = self.carts.get(shopper_id)
        if cart is not None and cart.pending_order_id == order_id:
            cart.pending_order_id = None

    def clear_lines(self, shopper_id: str, offer_quantities: dict[str, int], order_id: str | None = None) -> None:
        """After payment (chalicelib/store/carts.py `clear_cart`): lines still at the ordered quantity go."""
        cart = self.carts.get(shopper_id)
        if cart is None:
            return
        if order_id is not None:
            self.forget_pending_order(shopper_id, order_id)
        cart.lines = [line for line in cart.lines if offer_quantities.get(line.offer_id) != line.quantity]
        cart.version += 1


class InMemoryLedger:
    """Same contract as chalicelib/store/ledger.py: append-only, one entry per id, pages newest first."""

    def __init__(self):
        self.by_id: dict[tuple[str, str], LedgerEntry] = {}

    def append(self, entries: Iterable[LedgerEntry]) -> None:
        for entry in entries:
            self.by_id.setdefault((entry.vendor_id, entry.entry_id), entry)  # an id is written once

    def _in_period(self, vendor_id: str, since: str | None, until: str | None) -> list[LedgerEntry]:
        mine = [e for (vendor, _), e in self.by_id.items() if vendor == vendor_id
                and (not since or e.at >= since) and (not until or e.at[:len(until)] <= until)]
        return sorted(mine, key=lambda e: (e.at, e.entry_id))

    def page(self, vendor_id: str, *, limit: int, cursor: str | None, since: str | None = None,
             until: str | None = None) -> tuple[list[LedgerEntry], str | None]:
        newest_first = list(reversed(self._in_period(vendor_id, since, until)))
        start = int(cursor or 0)
        more = start + limit < len(newest_first)
        return newest_first[start:start + limit], str(start + limit) if more else None

    def entries(self, vendor_id: str, *, since: str | None = None, until: str | None = None):
        return iter(self._in_period(vendor_id, since, until))

    def all_entries(self):
        return iter(sorted(self.by_id.values(), key=lambda e: (e.vendor_id, e.at, e.entry_id)))

    def put_new(self, entry: LedgerEntry) -> tuple[LedgerEntry, bool]:
        key = (entry.vendor_id, entry.entry_id)
        created = key not in self.by_id
        return self.by_id.setdefault(key, entry), created


class InMemoryCommissionRules:
    def __init__(self, rules: CommissionRules | None = None):
        self.rules, self.version, self.updated_at = rules or CommissionRules(), 0, None

    def get(self) -> tuple[CommissionRules, int, str | None]:
        return self.rules, self.version, self.updated_at

    def put(self, rules: CommissionRules, *, expected_version: int | None, at: str, by: str) -> int:
        if expected_version is not None and expected_version != self.version:
            raise Conflict("The commission rules changed since you read them; reload and edit again.",
                           code="version_conflict", fields={"version": "stale"})
        self.rules, self.version, self.updated_at = rules, self.version + 1, at
        return self.version


class InMemoryOrders:
    def __init__(self, stock: dict | None = None, carts: InMemoryCarts | None = None,
                 ledger: InMemoryLedger | None = None):
        self.orders: dict[str, Order] = {}
        self.stock: dict = stock if stock is not None else {}
        self.carts = carts if carts is not None else InMemoryCarts()
        self.numbers: dict[str, str] = {}  # order number -> order id (the number's claim)
        self.ledger = ledger if ledger is not None else InMemoryLedger()

    def get(self, order_id: str) -> Order | None:
        order = self.orders.get(order_id)
        return copy.deepcopy(order) if order else None

    def place(self, order: Order, reserve: ReserveStock, *, checkout: CheckoutWrites) -> None:
        shopper_id = order.shopper_id
        if order.order_id in self.orders:
            raise OrderExists(order.order_id)
        cart = self.carts.carts.get(shopper_id)
        if (cart.pending_order_id if cart else None) != checkout.cart_pending_order_id:
            raise PendingOrderChanged(order.order_id)
        changes = self._reservation_changes(reserve)
        if changes:
            raise CartChanged(changes)
        if self.numbers.get(order.order_number, order.order_id) != order.order_id:
            raise OrderNumberTaken(order.order_id)
        remember = checkout.address_to_remember
        book = self.carts.address_books.get(shopper_id)
        if remember is not None and (
                (book is None) == remember.book_exists
                or (book is not None and remember.address_id not in book and len(book) >= remember.max_entries)):
            raise AddressBookChanged(order.order_id)
        customer = self.carts.customers.get(shopper_id)
        if checkout.new_customer_id and customer not in (None, checkout.new_customer_id):
            raise StockBusy("Many shoppers are buying the same items right now; try again in a moment.")
        # Every condition held: write it all.
        self._apply_moves([reserve])
        self.numbers[order.order_number] = order.order_id
        if cart is None:
            cart = self.carts.carts[shopper_id] = Cart(shopper_id)
        cart.pending_order_id = order.order_id
        if checkout.new_customer_id:
            self.carts.customers[shopper_id] = checkout.new_customer_id
        if remember is not None:
            self.carts.address_books.setdefault(shopper_id, {})[remember.address_id] = dict(remember.address)
        order.version = 1
        self.orders[order.order_id] = copy.deepcopy(order)

    def attach_payment(self, order_id: str, payment_intent_id: str, client_secret: str | None) -> None:
        order = self.orders[order_id]
        if order.payment_intent_id not in (None, payment_intent_id):
            raise Conflict("The order already has another payment.", fields={"order_id": "already has a payment"})
        order.payment_intent_id, order.client_secret = payment_intent_id, client_secret
        order.version += 1

    def _reservation_changes(self, reserve: ReserveStock) -> list[dict]:
        """Why DynamoDB's conditions (`available >= q AND active AND price = seen AND shipping = seen`) would refuse."""
        changes: list[dict] = []
        for offer_id, quantity, price, shipping in reserve.lines:
            level = self.stock.get(offer_id)
            currency = getattr(level, "currency", "") if level is not None else ""
            line = LineTerms(offer_id=offer_id, quantity=quantity, price=price, shipping_fee=shipping,
                             currency=currency)
            now = None if level is None else OfferNow(
                price=price if getattr(level, "price", None) is None else level.price,
                shipping_fee=shipping if getattr(level, "shipping_fee", None) is None else level.shipping_fee,
                available=level.available, currency=currency, status=getattr(level, "offer_status", "active"))
            changes += line_changes(line, now)
        return changes

    def find_by_payment_intent(self, payment_intent_id: str) -> Order | None:
        return next((self.get(o.order_id) for o in self.orders.values() if o.payment_intent_id == payment_intent_id),
                    None)

    def list_expired_pending(self, now_iso: str, limit: int) -> list[str]:
        due = sorted((o.reserved_until, o.order_id) for o in self.orders.values()
                     if o.holds_stock and o.reserved_until < now_iso)
        return [order_id for _, order_id in due[:limit]]

    def list_due_payouts(self, before_iso: str, limit: int) -> list[tuple[str, str]]:
        due = sorted((v.payout_due_at, o.order_id, v.vendor_id) for o in self.orders.values()
                     for v in o.vendor_orders.values() if v.payout_due_at and v.payout_due_at <= before_iso)
        return [(order_id, vendor_id) for _, order_id, vendor_id in due[:limit]]

    def list_receipt_due(self, shipped_before_iso: str, limit: int) -> list[tuple[str, str]]:
        due = sorted((v.awaiting_receipt_since, o.order_id, v.vendor_id) for o in self.orders.values()
                     for v in o.vendor_orders.values()
                     if v.awaiting_receipt_since and v.awaiting_receipt_since <= shipped_before_iso)
        return [(order_id, vendor_id) for _, order_id, vendor_id in due[:limit]]

    def list_vendor_orders(self, vendor_id: str, *, status: str | None, limit: int,
                           cursor: str | None) -> tuple[list[Order], str | None]:
        mine = sorted((o for o in self.orders.values() if vendor_id in o.vendor_orders
                       and o.status.value == "paid"
                       and (status is None or o.vendor_orders[vendor_id].state.value == status)),
                      key=lambda o: (o.created_at, o.order_id), reverse=True)
        start = int(cursor or 0)
        page = [copy.deepcopy(o) for o in mine[start:start + limit]]
        return page, str(start + limit) if start + limit < len(mine) else None

    def list_refund_attention(self, limit: int, cursor: str | None) -> tuple[list[tuple[str, str]], str | None]:
        due = sorted((v.refund_attention_since, o.order_id, v.vendor_id) for o in self.orders.values()
                     for v in o.vendor_orders.values() if v.refund_attention_since)
        start = int(cursor or 0)
        page = [(order_id, vendor_id) for _, order_id, vendor_id in due[start:start + limit]]
        return page, str(start + limit) if start + limit < len(due) else None

    def save(self, order: Order, *, effects: list[Effect]) -> None:
        stored = self.orders.get(order.order_id)
        if (stored.version if stored else 0) != order.version:
            raise ConcurrentUpdate(order.order_id)
        self._apply_moves([e for e in effects if isinstance(e, STOCK_EFFECTS)])
        known = {e.key for e in order.outbox}
        order.outbox = order.outbox + [e for e in effects if not isinstance(e, STOCK_EFFECTS) and e.key not in known]
        order.version += 1
        self.ledger.append(order.ledger_entries)  # with the order, as the DynamoDB transaction writes them
        order.ledger_entries = []
        self.orders[order.order_id] = copy.deepcopy(order)

    def _apply_moves(self, moves: list[Effect]) -> None:
        """All the moves or none: tried on a copy first (a refused one raises before anything changed)."""
        trial = copy.deepcopy(self.stock)
        for effect in moves:
            self._move(trial, effect)
        for effect in moves:
            self._move(self.stock, effect)

    @staticmethod
    def _move(stock: dict[str, Stock], effect: Effect) -> None:
        if isinstance(effect, ReserveStock):
            for offer_id, quantity, _price, _shipping in effect.lines:
                level = stock[offer_id]
                if level.available < quantity:
                    raise ValueError(f"not enough stock of {offer_id}")
                level.available -= quantity
                level.reserved += quantity
            return
        if isinstance(effect, RestockSold):
            level = stock[effect.offer_id]
            if level.sold < effect.quantity:
                raise ValueError(f"{effect.offer_id}: restocking more than was sold")
            level.sold -= effect.quantity
            level.available += effect.quantity
            return
        for offer_id, quantity in effect.quantities:
            level = stock[offer_id]
            if level.reserved < quantity:
                raise ValueError(f"{offer_id}: moving more than is reserved")
            level.reserved -= quantity
            if isinstance(effect, SellStock):
                level.sold += quantity
            elif isinstance(effect, ReleaseStock):
                level.available += quantity


@dataclass
class OfferTermsNow:
    """An offer as the cart reads it (the attributes of the DynamoDB offer item the cart uses)."""

    offer_id: str
    product_id: str
    vendor_id: str
    price: int
    shipping_fee: int = 0
    available: int = 0
    currency: str = "EUR"
    condition: str = "new"
    product_title: str = ""
    reserved: int = 0  # held by unpaid orders (InMemoryOrders moves them when it shares this stock)
    sold: int = 0
    offer_status: str = "active"  # active, paused or delisted (checkout reserves only active offers)


class InMemoryCartCatalog:
    def __init__(self, offers: Iterable[OfferTermsNow] = (), vendor_names: dict[str, str] | None = None,
                 paused_vendors: Iterable[str] = ()):
        self.offers = {offer.offer_id: offer for offer in offers}
        self.names = dict(vendor_names or {})
        self.paused_vendors = set(paused_vendors)  # vendors that may not sell (suspended, not approved...)

    def get_offer(self, offer_id: str) -> OfferTermsNow | None:
        offer = self.offers.get(offer_id)
        return copy.copy(offer) if offer else None

    def get_offers(self, offer_ids: Iterable[str]) -> dict[str, OfferTermsNow]:
        return {offer_id: copy.copy(self.offers[offer_id]) for offer_id in offer_ids if offer_id in self.offers}

    def vendor_names(self, vendor_ids: Iterable[str]) -> dict[str, str]:
        return {vendor_id: self.names[vendor_id] for vendor_id in vendor_ids if vendor_id in self.names}

    def selling_vendors(self, vendor_ids: Iterable[str]) -> set[str]:
        return set(vendor_ids) - self.paused_vendors


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class VendorRecord:
    """A vendor in memory, and whether it may sell."""

    vendor_id: str
    name: str
    can_sell: bool = True  # the vendor-level gate (approved, payouts ready, not suspended)


@dataclass
class ProductRecord:
    """A product in memory, with its best offer and summary."""

    product_id: str
    title: str
    title_key: str = ""
    best_offer_id: str | None = None
    summary: ProductSummary | None = None


@dataclass
class OfferRecord(OfferRules):
    """An offer with the attributes of the DynamoDB item (minor units; `declared_stock`: the last declaration)."""

    offer_id: str
    product_id: str
    product_title: str
    vendor_id: str
    condition: str
    currency: str
    price: int
    shipping_fee: int
    min_days: int
    max_days: int
    available: int
    declared_stock: int | None
    reserved: int = 0
    sold: int = 0
    version: int = 1
    updated_at: datetime = field(default_factory=_now)
    status: str | None = None


@dataclass
class AdjustmentRecord:
    """A vendor's stock adjustment in memory: how many units, why and when."""

    offer_id: str
    vendor_id: str
    delta: int
    reason: str
    applied_at: datetime


class InMemoryOfferCatalogue:
    """Same contract as chalicelib/store/offer_catalogue.py: conditional writes answer None when refused,
    a stock declaration never goes below the units reserved, an adjustment applies once per key."""

    def __init__(self, vendors: Iterable[VendorRecord] = (), products: Iterable[ProductRecord] = ()):
        self.vendors = {v.vendor_id: v for v in vendors}
        self.products = {p.product_id: p for p in products}
        self.offers: dict[str, OfferRecord] = {}
        self.adjustments: dict[tuple[str, str], AdjustmentRecord] = {}

    # --- what checkout does to an offer's stock (for tests) ---

    def hold(self, offer_id: str, quantity: int) -> None:
        offer = self.offers[offer_id]
        assert offer.available >= quantity
        offer.available -= quantity
        offer.reserved += quantity

    def sell(self, offer_id: str, quantity: int) -> None:
        offer = self.offers[offer_id]
        assert offer.reserved >= quantity
        offer.reserved -= quantity
        offer.sold += quantity

    # --- the port ---

    def get_vendor(self, vendor_id: str) -> VendorRecord | None:
        return self.vendors.get(vendor_id)

    def vendor_names(self, vendor_ids: Iterable[str]) -> dict[str, str]:
        return {v: self.vendors[v].name for v in vendor_ids if v in self.vendors}

    def selling_vendors(self, vendor_ids: Iterable[str]) -> set[str]:
        return {v for v in vendor_ids if v in self.vendors and self.vendors[v].can_sell}

    def get_product(self, product_id: str, *, consistent: bool = False) -> ProductRecord | None:
        return self.products.get(product_id)

    def get_products(self, product_ids: Iterable[str], *, consistent: bool = False) -> dict[str, ProductRecord]:
        return {p: self.products[p] for p in product_ids if p in self.products}

    def get_offer(self, offer_id: str, *, consistent: bool = True) -> OfferRecord | None:
        offer = self.offers.get(offer_id)
        return copy.copy(offer) if offer else None

    def get_offers(self, offer_ids: Iterable[str], *, consistent: bool = False) -> dict[str, OfferRecord]:
        return {o: copy.copy(self.offers[o]) for o in offer_ids if o in self.offers}

    def insert_offer(self, offer_id: str, vendor_id: str, product: ProductRecord,
                     terms: OfferTerms) -> OfferRecord | None:
        if offer_id in self.offers:
            return None
        self.offers[offer_id] = OfferRecord(
            offer_id, product.product_id, product.title, vendor_id, terms.condition, terms.price.currency,
            terms.price.amount, terms.shipping_fee.amount, terms.min_days, terms.max_days,
            available=terms.stock, declared_stock=terms.stock)
        return self.get_offer(offer_id)

    def update_offer_terms(self, offer_id: str, vendor_id: str, terms: OfferTerms, *, expected_version: int,
                           declare_stock: bool) -> OfferRecord | None:
        offer = self.offers.get(offer_id)
        if offer is None or offer.vendor_id != vendor_id or offer.version != expected_version:
            return None
        if declare_stock and offer.reserved > terms.stock:
            return None
        if declare_stock:
            offer.available = terms.stock - offer.reserved
        offer.price, offer.shipping_fee, offer.currency = terms.price.amount, terms.shipping_fee.amount, \
            terms.price.currency
        offer.min_days, offer.max_days, offer.declared_stock = terms.min_days, terms.max_days, terms.stock
        offer.version += 1
        offer.updated_at = _now()
        return self.get_offer(offer_id)

    def set_offer_status(self, offer_id: str, vendor_id: str, status: str, *,
                         expected_version: int) -> OfferRecord | None:
        offer = self.offers.get(offer_id)
        if offer is None or offer.vendor_id != vendor_id or offer.version != expected_version:
            return None
        offer.status = status
        offer.version += 1
        offer.updated_at = _now()
        return self.get_offer(offer_id)

    def adjust_stock(self, offer_id: str, vendor_id: str, delta: int, reason: str, key: str, *,
                     max_available: int) -> AdjustmentOutcome:
        earlier = self.adjustments.get((vendor_id, key))
        if earlier is not None:
            return AdjustmentOutcome(earlier, applied=False)
        offer = self.offers.get(offer_id)
        fits = offer is not None and (offer.available >= -delta if delta < 0
                                      else offer.available <= max_available - delta)
        if not fits or offer.vendor_id != vendor_id:
            return AdjustmentOutcome(None, applied=False, offer_refused=True)
        offer.available += delta
        offer.version += 1
        offer.updated_at = _now()
        record = AdjustmentRecord(offer_id, vendor_id, delta, reason, _now())
        self.adjustments[(vendor_id, key)] = record
        return AdjustmentOutcome(record, applied=True)

    def product_offers(self, product_id: str, *, stock: bool = True) -> list[OfferRecord]:
        mine = [copy.copy(o) for o in self.offers.values() if o.product_id == product_id]
        return sorted(mine, key=lambda o: o.price + o.shipping_fee)

    def vendor_offers(self, vendor_id: str, limit: int, cursor: str | None) -> tuple[list[OfferRecord], str | None]:
        mine = sorted((o for o in self.offers.values() if o.vendor_id == vendor_id),
                      key=lambda o: (o.product_title, o.offer_id))
        start = int(cursor or 0)
        page = [copy.copy(o) for o in mine[start:start + limit]]
        return page, str(start + limit) if start + limit < len(mine) else None

    def save_summary(self, product_id: str, summary: ProductSummary, best_vendor_name: str | None, *,
                     offers=None) -> None:
        product = self.products[product_id]
        product.summary = summary
        product.best_offer_id = summary.best_offer.offer_id if summary.best_offer else None
