"""DynamoDB storage of the vendors' offers: terms and stock (table `offers`, pk offer_id; GSI
by_product(product_id, total_minor), by_vendor(vendor_id, product_key), and the sparse
by_listing(listing_category, product_key) that holds the catalogue's listing entries).

One offer of each listed product, its best one, also carries the product's listing entry (the
`listing_*` attributes: what the category listing, search and filters read); only that offer has
`listing_category`, so only it is in by_listing. Who holds it and how it moves:
chalicelib/store/listings.py.

Stock lives on the offer item (`available`, `reserved`, `sold`, `version`) so that checkout can
reserve it with conditional writes on that one item; only `available` is shown to shoppers.
Units on hand are `available + reserved` (a sale moves reserved -> sold: sold units are no longer
on hand). A vendor declares units on hand (`declared_stock` remembers the last declaration, so
that re-sending it changes nothing) and `available` is derived in the update expression itself,
`available = :on_hand - reserved`, under `reserved <= :on_hand`: never from a value read earlier.
`version` moves on every vendor write (terms, declarations, stock adjustments), never on checkout
moves; it is the offer's ETag. Stock adjustments: chalicelib/store/stock_adjustments.py.
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.attributes import (
    BooleanAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection
from pynamodb.models import Model

from chalicelib.domain.catalog import OFFER_ACTIVE, Offer, OfferTerms
from chalicelib.domain.money import Money
from chalicelib.store.base import bind, conditional_failed, register, utc_now
from chalicelib.store.cursors import collect_page
from chalicelib.store.cursors import decode as decode_cursor
from chalicelib.store.products import ProductItem

MAX_OFFERS_PER_PRODUCT = 500


class OfferRules:
    """What an offer record knows about itself (the DynamoDB item and the in-memory record share it)."""

    def to_offer(self) -> Offer:
        return Offer(
            offer_id=self.offer_id,
            product_id=self.product_id,
            vendor_id=self.vendor_id,
            condition=self.condition,
            price=Money(int(self.price), self.currency),
            shipping_fee=Money(int(self.shipping_fee), self.currency),
            available=int(self.available),
            min_days=int(self.min_days),
            max_days=int(self.max_days),
            status=self.offer_status,
        )

    @property
    def offer_status(self) -> str:
        """active, paused or delisted (offers written before statuses existed are active)."""
        return self.status or OFFER_ACTIVE

    @property
    def on_hand(self) -> int:
        """Units not sold yet: available to new orders plus held by unpaid ones."""
        return int(self.available) + int(self.reserved)

    @property
    def declared(self) -> int:
        """The last declared units on hand (for an offer older than declarations: its units on hand)."""
        return int(self.declared_stock) if self.declared_stock is not None else self.on_hand

    def has_terms(self, terms: OfferTerms) -> bool:
        """True when `terms` is exactly the vendor's last declaration (re-sending it changes nothing)."""
        return (
            int(self.price) == terms.price.amount
            and int(self.shipping_fee) == terms.shipping_fee.amount
            and self.currency == terms.price.currency
            and self.declared == terms.stock
            and int(self.min_days) == terms.min_days
            and int(self.max_days) == terms.max_days
        )


# Every attribute of the offer itself (not its product's listing entry, only whether it holds it:
# `listing_category`). tests/component/test_listing_holders.py checks it against the model.
OFFER_ATTRIBUTES = ("product_id", "product_key", "product_title", "vendor_id", "condition", "currency", "price",
                    "shipping_fee", "total_minor", "min_days", "max_days", "available", "reserved", "sold",
                    "declared_stock", "version", "status", "created_at", "updated_at", "listing_category")
# What checkout's moves (reserve, sell, release, restock) change, and nothing else does between two vendor
# writes. by_product and by_vendor do not project them: a move then writes the offer item alone, not two
# index images besides (1 WRU each, 2 in a transaction: 12 of an order's write units, 2026-11). Readers
# that show or compute with the stock read it from the items (`product_offers`, `vendor_offers`).
STOCK_ATTRIBUTES = ("available", "reserved", "sold")
INDEXED_OFFER_ATTRIBUTES = tuple(name for name in OFFER_ATTRIBUTES if name not in STOCK_ATTRIBUTES)


def _projected_beside(*keys: str) -> list[str]:
    return [name for name in INDEXED_OFFER_ATTRIBUTES if name not in keys]


class ByProduct(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_product"
        projection = IncludeProjection(non_attr_keys=_projected_beside("product_id", "total_minor"))

    product_id = UnicodeAttribute(hash_key=True)
    total_minor = NumberAttribute(range_key=True)


class ByVendor(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_vendor"
        projection = IncludeProjection(non_attr_keys=_projected_beside("vendor_id", "product_key"))

    vendor_id = UnicodeAttribute(hash_key=True)
    product_key = UnicodeAttribute(range_key=True)


# What by_listing projects beside its keys and offer_id: the entry, not the offer's stock, so that checkout's
# reservations on the holder (its `available`, `reserved`) write no image of it into the index.
LISTING_PROJECTION = ("product_id", "listing_offer_count", "listing_in_stock", "listing_best", "listing_best_total",
                      "listing_total", "listing_min_total", "listing_min_price", "listing_vendor_ids",
                      "listing_stale_at", "listing_at")


class ByListing(GlobalSecondaryIndex):
    """Sparse: only the offer holding its product's listing entry has `listing_category`."""

    class Meta:
        index_name = "by_listing"
        projection = IncludeProjection(non_attr_keys=list(LISTING_PROJECTION))

    listing_category = UnicodeAttribute(hash_key=True)
    product_key = UnicodeAttribute(range_key=True)


class OfferSnapshot(MapAttribute):
    """The best offer as it was when the listing was computed (at its promoted price, with its shop's name)."""

    offer_id = UnicodeAttribute()
    vendor_id = UnicodeAttribute()
    vendor_name = UnicodeAttribute()
    condition = UnicodeAttribute()
    price = NumberAttribute()
    shipping_fee = NumberAttribute()
    currency = UnicodeAttribute()
    available = NumberAttribute()
    min_days = NumberAttribute()
    max_days = NumberAttribute()
    list_price = NumberAttribute(null=True)  # the struck price while a promotion lowers `price`
    promotion_id = UnicodeAttribute(null=True)


@register
class OfferItem(OfferRules, Model):
    """One vendor's offer. `price`/`shipping_fee` are minor units; checkout conditions on them."""

    class Meta:
        short_name = "offers"
        table_name = None
        region = None

    offer_id = UnicodeAttribute(hash_key=True)
    product_id = UnicodeAttribute()
    product_key = UnicodeAttribute()  # the product's title_key: a vendor's offers list in title order
    product_title = UnicodeAttribute()
    vendor_id = UnicodeAttribute()
    condition = UnicodeAttribute()
    currency = UnicodeAttribute()
    price = NumberAttribute()
    shipping_fee = NumberAttribute()
    total_minor = NumberAttribute()
    min_days = NumberAttribute()
    max_days = NumberAttribute()
    available = NumberAttribute(default=0)
    reserved = NumberAttribute(default=0)
    sold = NumberAttribute(default=0)
    # The units on hand the vendor last declared (absent on offers written before it existed).
    declared_stock = NumberAttribute(null=True)
    version = NumberAttribute(default=1)
    # active | paused | delisted; absent means active. Checkout's reservation is conditional on it.
    status = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    # The product's listing entry, on the one offer that holds it (chalicelib/store/listings.py).
    listing_category = UnicodeAttribute(null=True)  # the product's category: by_listing's partition
    listing_offer_count = NumberAttribute(null=True)
    listing_in_stock = BooleanAttribute(null=True)
    listing_best = OfferSnapshot(null=True)
    listing_best_total = NumberAttribute(null=True)
    listing_total = NumberAttribute(null=True)  # the total price filters compare (ProductSummary.listed_total)
    listing_min_total = NumberAttribute(null=True)
    listing_min_price = NumberAttribute(null=True)
    listing_vendor_ids = UnicodeSetAttribute(null=True)
    # The next start or end of a promotion of the product's offers: the read path recomputes the entry then.
    listing_stale_at = UnicodeAttribute(null=True)
    listing_at = UTCDateTimeAttribute(null=True)

    by_product = ByProduct()
    by_vendor = ByVendor()
    by_listing = ByListing()

    @property
    def holds_listing(self) -> bool:
        return self.listing_category is not None


def get_offer(offer_id: str, *, consistent: bool = True) -> OfferItem | None:
    bind()
    try:
        return OfferItem.get(offer_id, consistent_read=consistent)
    except OfferItem.DoesNotExist:
        return None


def get_offers(offer_ids: Iterable[str], *, consistent: bool = False) -> dict[str, OfferItem]:
    """Offers by id (BatchGetItem); unknown ids are absent from the result."""
    bind()
    ids = list(dict.fromkeys(offer_ids))
    if not ids:
        return {}
    return {o.offer_id: o for o in OfferItem.batch_get(ids, consistent_read=consistent)}


def insert_offer(offer_id: str, vendor_id: str, product: ProductItem, terms: OfferTerms) -> OfferItem | None:
    """Create the offer with its initial stock; None if it already exists (a concurrent create won)."""
    return save_new_offer(new_offer_item(offer_id, vendor_id, product, terms))


def save_new_offer(item: OfferItem) -> OfferItem | None:
    """Write an offer built by `new_offer_item` (maybe carrying its product's listing entry: one item
    written for both); None if it already exists (a concurrent create won)."""
    bind()
    try:
        item.save(condition=OfferItem.offer_id.does_not_exist())
    except PutError as err:
        if conditional_failed(err):
            return None
        raise
    return item


def new_offer_item(offer_id: str, vendor_id: str, product: ProductItem, terms: OfferTerms) -> OfferItem:
    """The item of a new offer with its initial stock, not written yet."""
    now = utc_now()
    return OfferItem(
        offer_id,
        product_id=product.product_id,
        product_key=product.title_key,
        product_title=product.title,
        vendor_id=vendor_id,
        condition=terms.condition,
        currency=terms.price.currency,
        price=terms.price.amount,
        shipping_fee=terms.shipping_fee.amount,
        total_minor=terms.total.amount,
        min_days=terms.min_days,
        max_days=terms.max_days,
        available=terms.stock,
        reserved=0,
        sold=0,
        declared_stock=terms.stock,
        version=1,
        created_at=now,
        updated_at=now,
    )


def update_offer_terms(offer_id: str, vendor_id: str, terms: OfferTerms, *, expected_version: int,
                       declare_stock: bool) -> OfferItem | None:
    """Set the vendor's terms; with `declare_stock`, also declare `terms.stock` units on hand.

    One UpdateItem touching only these attributes, conditional on `version = expected_version`
    (the caller decided `declare_stock` from that version) and, when declaring, on
    `reserved <= stock`; `available` is computed by DynamoDB from the `reserved` it holds at
    that instant, so a reservation running at the same time is never overwritten nor resurrected.
    Returns the updated item, or None when a condition failed (re-read and decide again). The
    condition on `vendor_id` is a second lock on the door: ids are derived from the caller.
    """
    bind()
    Off = OfferItem
    item = OfferItem(offer_id)
    actions = [
        Off.price.set(terms.price.amount),
        Off.shipping_fee.set(terms.shipping_fee.amount),
        Off.currency.set(terms.price.currency),
        Off.total_minor.set(terms.total.amount),
        Off.min_days.set(terms.min_days),
        Off.max_days.set(terms.max_days),
        Off.version.add(1),
        Off.updated_at.set(utc_now()),
        # Also without `declare_stock`: an offer older than declarations gets its declaration recorded.
        Off.declared_stock.set(terms.stock),
    ]
    condition = Off.offer_id.exists() & (Off.vendor_id == vendor_id) & (Off.version == expected_version)
    if declare_stock:
        actions.append(Off.available.set(terms.stock - Off.reserved))
        condition &= Off.reserved <= terms.stock
    try:
        item.update(actions=actions, condition=condition, add_version_condition=False)
    except UpdateError as err:
        if conditional_failed(err):
            return None
        raise
    return item


def set_offer_status(offer_id: str, vendor_id: str, status: str, *, expected_version: int) -> OfferItem | None:
    """Move the offer to `status` (a vendor write: `version` moves), conditional on the version read and on
    the offer being the vendor's. None when a condition failed (re-read and decide again)."""
    bind()
    Off = OfferItem
    item = OfferItem(offer_id)
    try:
        item.update(actions=[Off.status.set(status), Off.version.add(1), Off.updated_at.set(utc_now())],
                    condition=Off.offer_id.exists() & (Off.vendor_id == vendor_id) & (Off.version == expected_version),
                    add_version_condition=False)
    except UpdateError as err:
        if conditional_failed(err):
            return None
        raise
    return item


def retitle_offers(product_id: str, title: str, title_key: str, category: str | None = None) -> None:
    """Copy a product's edited title onto its offers (they carry it for the vendor's list and new cart lines);
    the listing entry's holder also moves to the product's new place in the listing (key, category)."""
    bind()
    for offer in product_offers(product_id, stock=False):
        moves = offer.holds_listing and category is not None and offer.listing_category != category
        if offer.product_title != title or offer.product_key != title_key or moves:
            actions = [OfferItem.product_title.set(title), OfferItem.product_key.set(title_key)]
            if moves:
                actions.append(OfferItem.listing_category.set(category))
            OfferItem(offer.offer_id).update(actions=actions, condition=OfferItem.offer_id.exists(),
                                             add_version_condition=False)


def _with_stock(indexed: list[OfferItem]) -> list[OfferItem | None]:
    """The offers an index query found, whole: their items (one BatchGetItem, eventually consistent like the
    index), in the index's order; None for one deleted meanwhile. The indexes hold no stock
    (STOCK_ATTRIBUTES): an indexed offer's `available` would read as its default, 0."""
    items = get_offers(o.offer_id for o in indexed)
    return [items.get(o.offer_id) for o in indexed]


def product_offers(product_id: str, *, stock: bool = True) -> list[OfferItem]:
    """Every offer of a product, cheapest total first (GSI: eventually consistent; the holder of the listing
    entry says so by `listing_category`, the entry itself is not projected). `stock=False`: the index's images
    alone, without `available`/`reserved`/`sold` (one read fewer, for callers that only need who the offers
    are and who holds the entry)."""
    bind()
    indexed = list(OfferItem.by_product.query(product_id, limit=MAX_OFFERS_PER_PRODUCT))
    return [o for o in _with_stock(indexed) if o is not None] if stock and indexed else indexed


def vendor_offers(vendor_id: str, limit: int, cursor: str | None) -> tuple[list[OfferItem], str | None]:
    """One page of the vendor's offers in title order, whole (with their stock)."""
    bind()
    path, key_names = f"vendor:{vendor_id}", ("offer_id", "vendor_id", "product_key")
    start = decode_cursor(cursor, path, key_names, {"vendor_id": vendor_id})
    iterator = OfferItem.by_vendor.query(vendor_id, last_evaluated_key=start, page_size=limit + 1)
    return collect_page(iterator.page_iter, path, key_names, limit,
                        lambda raws: _with_stock([OfferItem.from_raw_data(r) for r in raws]) if raws else [])
