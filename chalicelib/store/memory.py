"""In-memory adapters of the ports (orders, carts, the cart's view of the catalogue, the vendor offers'
catalogue): the use-case tests run on them without moto, in milliseconds.

Orders: the same contract as the DynamoDB adapter; `save` is conditional on the version read (ConcurrentUpdate
otherwise), moves stock with the transition (refusing to move more than is reserved), and keeps the
effects that leave the database in the order's outbox.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from chalicelib.domain.catalog import OfferTerms, ProductSummary
from chalicelib.domain.order_effects import STOCK_EFFECTS, Effect, ReleaseStock, ReserveStock, SellStock
from chalicelib.domain.orders import Order
from chalicelib.domain.ports import ConcurrentUpdate
from chalicelib.store.carts import Cart, CartLine, cart_changed
from chalicelib.store.offers import OfferRules
from chalicelib.store.stock_adjustments import AdjustmentOutcome


@dataclass
class Stock:
    available: int
    reserved: int = 0
    sold: int = 0


class InMemoryOrders:
    def __init__(self, stock: dict[str, Stock] | None = None):
        self.orders: dict[str, Order] = {}
        self.stock: dict[str, Stock] = stock if stock is not None else {}

    def get(self, order_id: str) -> Order | None:
        order = self.orders.get(order_id)
        return copy.deepcopy(order) if order else None

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

    def save(self, order: Order, *, effects: list[Effect]) -> None:
        stored = self.orders.get(order.order_id)
        if (stored.version if stored else 0) != order.version:
            raise ConcurrentUpdate(order.order_id)
        moves = [e for e in effects if isinstance(e, STOCK_EFFECTS)]
        planned = copy.deepcopy(self.stock)
        for effect in moves:
            self._move(planned, effect)
        known = {e.key for e in order.outbox}
        order.outbox = order.outbox + [e for e in effects if not isinstance(e, STOCK_EFFECTS) and e.key not in known]
        order.version += 1
        self.stock = planned
        self.orders[order.order_id] = copy.deepcopy(order)

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


class InMemoryCarts:
    """Same contract as chalicelib/store/carts.py: a save from a stale read is a `cart_conflict`."""

    def __init__(self):
        self.carts: dict[str, Cart] = {}

    def get_cart(self, shopper_id: str) -> Cart:
        return copy.deepcopy(self.carts.get(shopper_id) or Cart(shopper_id))

    def save_lines(self, cart: Cart, lines: Sequence[CartLine]) -> Cart:
        stored = self.carts.get(cart.shopper_id)
        if (stored.version if stored else 0) != cart.version:
            raise cart_changed()
        saved = Cart(cart.shopper_id, list(lines), cart.version + 1, cart.pending_order_id)
        self.carts[cart.shopper_id] = copy.deepcopy(saved)
        return saved


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass
class VendorRecord:
    vendor_id: str
    name: str
    can_sell: bool = True  # the vendor-level gate (approved, payouts ready, not suspended)


@dataclass
class ProductRecord:
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


@dataclass
class AdjustmentRecord:
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

    def product_offers(self, product_id: str) -> list[OfferRecord]:
        mine = [copy.copy(o) for o in self.offers.values() if o.product_id == product_id]
        return sorted(mine, key=lambda o: o.price + o.shipping_fee)

    def vendor_offers(self, vendor_id: str, limit: int, cursor: str | None) -> tuple[list[OfferRecord], str | None]:
        mine = sorted((o for o in self.offers.values() if o.vendor_id == vendor_id),
                      key=lambda o: (o.product_title, o.offer_id))
        start = int(cursor or 0)
        page = [copy.copy(o) for o in mine[start:start + limit]]
        return page, str(start + limit) if start + limit < len(mine) else None

    def save_summary(self, product_id: str, summary: ProductSummary, best_vendor_name: str | None) -> None:
        product = self.products[product_id]
        product.summary = summary
        product.best_offer_id = summary.best_offer.offer_id if summary.best_offer else None
