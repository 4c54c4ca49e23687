"""DynamoDB storage of the catalogue: products, offers, vendors and the search index.

Tables (infra/template.json): `products` (pk product_id; GSI by_category(category, title_key),
by_gtin(gtin)), `offers` (pk offer_id; GSI by_product(product_id, total_minor), by_vendor(vendor_id,
product_key)), `search` (pk term, sk title_key) and `vendors` (pk vendor_id).

Stock lives on the offer item (`available`, `reserved`, `sold`, `version`) so that checkout can
reserve it with conditional writes on that one item; only `available` is shown to shoppers.
Units on hand are `available + reserved` (a sale moves reserved -> sold: sold units are no longer
on hand). A vendor declares units on hand (`declared_stock` remembers the last declaration, so
that re-sending it changes nothing) and `available` is derived in the update expression itself,
`available = :on_hand - reserved`, under `reserved <= :on_hand`: never from a value read earlier.
`version` moves on every vendor write (terms, declarations, stock adjustments), never on checkout
moves; it is the offer's ETag. Stock adjustments (a signed delta) are applied once per
Idempotency-Key: the key's record (table `idempotency`, the one Powertools uses, TTL
`expiration`) is put in the same transaction as the offer update.
A product item carries a denormalised summary of its offers (best offer snapshot, counts, the
total price filters compare, vendor ids) that the catalogue use cases rewrite whenever an offer
changes, so that a listing page is one query.

Paginated reads stop at `limit` hits or at a read budget, whichever comes first, and hand back
an opaque cursor (`chalicelib.store.cursors`): the DynamoDB key to resume after (the key of the
last item returned when the page was cut short, else DynamoDB's LastEvaluatedKey), tagged with
the access path it belongs to. A cursor is validated before it reaches DynamoDB.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.domain import search as search_rules
from chalicelib.domain.catalog import (
    BrowseFilters,
    Compare,
    Offer,
    OfferTerms,
    ProductData,
    ProductSummary,
    summary_clauses,
    summary_matches,
)
from chalicelib.domain.money import Money
from chalicelib.store.base import bind, register
from chalicelib.store.cursors import decode as decode_cursor
from chalicelib.store.cursors import encode as encode_cursor

# Reads per request: a page never evaluates more than this many items in total, whatever the filters.
READ_BUDGET = 600
FILTERED_PAGE_SIZE = 100
SEARCH_PAGE_SIZE = 50
MAX_OFFERS_PER_PRODUCT = 500


def _now() -> datetime:
    return datetime.now(UTC)


# --- models -----------------------------------------------------------------------------

class ByCategory(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_category"
        projection = AllProjection()

    category = UnicodeAttribute(hash_key=True)
    title_key = UnicodeAttribute(range_key=True)


class ByGtin(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_gtin"
        projection = KeysOnlyProjection()

    gtin = UnicodeAttribute(hash_key=True)


class OfferSnapshot(MapAttribute):
    """The best offer as it was when the summary was computed (listings show it without another read)."""

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


@register
class ProductItem(Model):
    class Meta:
        short_name = "products"
        table_name = None
        region = None

    product_id = UnicodeAttribute(hash_key=True)
    title = UnicodeAttribute()
    title_key = UnicodeAttribute()
    brand = UnicodeAttribute()
    description = UnicodeAttribute(default="")
    category = UnicodeAttribute()
    specs = MapAttribute(attr_name="attributes", default=dict)
    images = ListAttribute(of=UnicodeAttribute, default=list)
    gtin = UnicodeAttribute(null=True)
    created_by = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    # Summary of the offers, rewritten by the use cases whenever one of them changes.
    offer_count = NumberAttribute(default=0)
    in_stock = BooleanAttribute(default=False)
    best_offer_id = UnicodeAttribute(null=True)
    best_offer = OfferSnapshot(null=True)
    best_total = NumberAttribute(null=True)
    listed_total = NumberAttribute(null=True)
    min_total = NumberAttribute(null=True)
    min_price = NumberAttribute(null=True)
    vendor_ids = UnicodeSetAttribute(null=True)
    summary_at = UTCDateTimeAttribute(null=True)

    by_category = ByCategory()
    by_gtin = ByGtin()

    @property
    def attributes_dict(self) -> dict[str, str]:
        specs = self.specs
        return dict(specs.as_dict() if isinstance(specs, MapAttribute) else specs or {})


class ByProduct(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_product"
        projection = AllProjection()

    product_id = UnicodeAttribute(hash_key=True)
    total_minor = NumberAttribute(range_key=True)


class ByVendor(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_vendor"
        projection = AllProjection()

    vendor_id = UnicodeAttribute(hash_key=True)
    product_key = UnicodeAttribute(range_key=True)


@register
class OfferItem(Model):
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
    created_at = UTCDateTimeAttribute()
    updated_at = UTCDateTimeAttribute()

    by_product = ByProduct()
    by_vendor = ByVendor()

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
        )

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


@register
class SearchItem(Model):
    class Meta:
        short_name = "search"
        table_name = None
        region = None

    term = UnicodeAttribute(hash_key=True)
    title_key = UnicodeAttribute(range_key=True)
    product_id = UnicodeAttribute()


@register
class VendorItem(Model):
    class Meta:
        short_name = "vendors"
        table_name = None
        region = None

    vendor_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    # The vendor's Stripe Connect account that receives payouts; set once onboarding completed.
    stripe_account_id = UnicodeAttribute(null=True)


def _conditional_failed(err: Exception) -> bool:
    cause = getattr(err, "cause_response_code", None)
    return cause == "ConditionalCheckFailedException"


def _collect(pages, path: str, key_names: Sequence[str], limit: int, resolve: Callable[[list[dict]], list]) -> tuple[list, str | None]:
    """Read pages until `limit` resolved hits or the read budget; return the hits and the cursor after them.

    `resolve` maps a page's raw items to results aligned with them (None: not a hit).
    """
    hits: list = []
    evaluated = 0
    for page in pages:
        raws = page.get("Items", [])
        resolved = resolve(raws)
        for i, (raw, result) in enumerate(zip(raws, resolved)):
            if result is None:
                continue
            hits.append(result)
            if len(hits) == limit:
                more = any(r is not None for r in resolved[i + 1:]) or pages.last_evaluated_key is not None
                return hits, encode_cursor(path, {k: raw[k] for k in key_names}) if more else None
        evaluated += page.get("ScannedCount", len(raws))
        if pages.last_evaluated_key is None:
            return hits, None
        if evaluated >= READ_BUDGET:
            return hits, encode_cursor(path, pages.last_evaluated_key)
    return hits, None


# --- vendors ----------------------------------------------------------------------------

def get_vendor(vendor_id: str) -> VendorItem | None:
    """Strongly consistent: a vendor who just signed up can sell at once."""
    bind()
    try:
        return VendorItem.get(vendor_id, consistent_read=True)
    except VendorItem.DoesNotExist:
        return None


def set_vendor_payout_account(vendor_id: str, account_id: str) -> None:
    """Record the connected account payouts go to (the vendor must exist)."""
    bind()
    VendorItem(vendor_id).update(
        actions=[VendorItem.stripe_account_id.set(account_id)], condition=VendorItem.vendor_id.exists()
    )


def put_vendor(vendor_id: str, name: str) -> tuple[VendorItem, bool]:
    """Create the vendor if it does not exist, else rename it if the name changed. Returns (item, created)."""
    bind()
    item = VendorItem(vendor_id, name=name, created_at=_now())
    try:
        item.save(condition=VendorItem.vendor_id.does_not_exist())
        return item, True
    except PutError as err:
        if not _conditional_failed(err):
            raise
    existing = VendorItem.get(vendor_id, consistent_read=True)
    if existing.name != name:
        existing.update(actions=[VendorItem.name.set(name)])
    return existing, False


def vendor_names(vendor_ids: Iterable[str]) -> dict[str, str]:
    bind()
    ids = sorted(set(vendor_ids))
    if not ids:
        return {}
    return {v.vendor_id: v.name for v in VendorItem.batch_get(ids)}


# --- products ---------------------------------------------------------------------------

def get_product(product_id: str, *, consistent: bool = False) -> ProductItem | None:
    bind()
    try:
        return ProductItem.get(product_id, consistent_read=consistent)
    except ProductItem.DoesNotExist:
        return None


def get_products(product_ids: Iterable[str], *, consistent: bool = False) -> dict[str, ProductItem]:
    """Products by id (BatchGetItem, 100 keys a request); unknown ids are absent."""
    bind()
    ids = list(dict.fromkeys(product_ids))
    if not ids:
        return {}
    return {p.product_id: p for p in ProductItem.batch_get(ids, consistent_read=consistent)}


def insert_product(data: ProductData, created_by: str) -> ProductItem | None:
    """Write a new product; None when a product with this id already exists."""
    bind()
    item = ProductItem(
        data.product_id,
        title=data.title,
        title_key=data.title_key,
        brand=data.brand,
        description=data.description,
        category=data.category,
        specs=dict(data.attributes),
        images=list(data.images),
        gtin=data.gtin,
        created_by=created_by,
        created_at=_now(),
        offer_count=0,
        in_stock=False,
    )
    try:
        item.save(condition=ProductItem.product_id.does_not_exist())
    except PutError as err:
        if _conditional_failed(err):
            return None
        raise
    return item


def write_search_terms(entries: Iterable[tuple[str, str, Iterable[str]]], *, delete: bool = False) -> None:
    """Put (or delete) one index item per (product_id, title_key, terms) term.

    BatchWriteItem, 25 items a request (PynamoDB retries unprocessed items).
    """
    bind()
    with SearchItem.batch_write() as batch:
        for product_id, title_key, terms in entries:
            for term in terms:
                item = SearchItem(term, title_key, product_id=product_id)
                batch.delete(item) if delete else batch.save(item)


def save_summary(product_id: str, summary: ProductSummary, best_vendor_name: str | None) -> None:
    bind()
    P = ProductItem
    best = summary.best_offer
    actions = [
        P.offer_count.set(summary.offer_count),
        P.in_stock.set(summary.in_stock),
        P.summary_at.set(_now()),
    ]
    optional = [
        (P.best_offer_id, best.offer_id if best else None),
        (P.best_total, summary.best_total),
        (P.listed_total, summary.listed_total),
        (P.min_total, summary.min_total),
        (P.min_price, summary.min_price),
        (P.vendor_ids, set(summary.vendor_ids) or None),
        (P.best_offer, OfferSnapshot(
            offer_id=best.offer_id, vendor_id=best.vendor_id, vendor_name=best_vendor_name or "",
            condition=best.condition, price=best.price.amount, shipping_fee=best.shipping_fee.amount,
            currency=best.price.currency, available=best.available, min_days=best.min_days, max_days=best.max_days,
        ) if best else None),
    ]
    for attr, value in optional:
        actions.append(attr.remove() if value is None else attr.set(value))
    ProductItem(product_id).update(actions=actions, condition=P.product_id.exists())


def _summary_condition(filters: BrowseFilters):
    """The domain's summary clauses (`summary_clauses`) as one DynamoDB filter expression, or None."""
    P = ProductItem
    attributes = {"in_stock": P.in_stock, "vendor_ids": P.vendor_ids, "listed_total": P.listed_total}
    condition = None
    for clause in summary_clauses(filters):
        attribute = attributes[clause.attribute]
        part = {
            Compare.EQUALS: lambda a, v: a == v,
            Compare.CONTAINS: lambda a, v: a.contains(v),
            Compare.AT_LEAST: lambda a, v: a >= v,
            Compare.AT_MOST: lambda a, v: a <= v,
        }[clause.compare](attribute, clause.value)
        condition = part if condition is None else condition & part
    return condition


def browse_products(filters: BrowseFilters, limit: int, cursor: str | None) -> tuple[list[ProductItem], str | None]:
    """Products of one category in title order (GSI query), or of every category (Scan), filtered on the summary."""
    bind()
    condition = _summary_condition(filters)
    page_size = FILTERED_PAGE_SIZE if condition is not None else limit + 1
    if filters.category:
        path, key_names = f"category:{filters.category}", ("product_id", "category", "title_key")
        start = decode_cursor(cursor, path, key_names, {"category": filters.category})
        iterator = ProductItem.by_category.query(filters.category, filter_condition=condition,
                                                 last_evaluated_key=start, page_size=page_size)
    else:
        path, key_names = "all", ("product_id",)
        start = decode_cursor(cursor, path, key_names)
        iterator = ProductItem.scan(filter_condition=condition, last_evaluated_key=start, page_size=page_size)
    return _collect(iterator.page_iter, path, key_names, limit,
                    lambda raws: [ProductItem.from_raw_data(r) for r in raws])


def search_products(query: search_rules.SearchQuery, filters: BrowseFilters, limit: int,
                    cursor: str | None) -> tuple[list[ProductItem], str | None]:
    """Products whose title/brand match every query word, in title order, via one term of the index."""
    bind()
    if not query.can_match:
        return [], None
    term = query.lookup_term
    path, key_names = f"search:{term}", ("term", "title_key")
    start = decode_cursor(cursor, path, key_names, {"term": term})
    simple = len(query.words) == 1 and filters == BrowseFilters(q=filters.q)
    iterator = SearchItem.query(term, last_evaluated_key=start,
                                page_size=limit + 1 if simple else SEARCH_PAGE_SIZE)

    def resolve(raws: list[dict]) -> list[ProductItem | None]:
        hits = [SearchItem.from_raw_data(r) for r in raws]
        products = get_products(h.product_id for h in hits)
        out: list[ProductItem | None] = []
        for hit in hits:
            product = products.get(hit.product_id)
            ok = (
                product is not None
                and product.title_key == hit.title_key  # an index item left by a lost create race
                and search_rules.matches(query, product.title, product.brand)
                and summary_matches(filters, category=product.category, vendor_ids=product.vendor_ids or (),
                                    in_stock=bool(product.in_stock), listed_total=product.listed_total)
            )
            out.append(product if ok else None)
        return out

    return _collect(iterator.page_iter, path, key_names, limit, resolve)


# --- offers -----------------------------------------------------------------------------

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
    bind()
    now = _now()
    item = OfferItem(
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
    try:
        item.save(condition=OfferItem.offer_id.does_not_exist())
    except PutError as err:
        if _conditional_failed(err):
            return None
        raise
    return item


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
        Off.updated_at.set(_now()),
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
        if _conditional_failed(err):
            return None
        raise
    return item


# --- stock adjustments ----------------------------------------------------------------------

ADJUSTMENT_RETENTION = timedelta(days=7)


@register
class StockAdjustmentItem(Model):
    """One applied stock adjustment, keyed by the vendor's Idempotency-Key (shares Powertools' table)."""

    class Meta:
        short_name = "idempotency"
        table_name = None
        region = None

    id = UnicodeAttribute(hash_key=True)  # "stock-adjustment#<vendor_id>#<Idempotency-Key>"
    expiration = TTLAttribute()
    offer_id = UnicodeAttribute()
    vendor_id = UnicodeAttribute()
    delta = NumberAttribute()
    reason = UnicodeAttribute()
    applied_at = UTCDateTimeAttribute()


@dataclass(frozen=True)
class AdjustmentOutcome:
    """`applied` is False when the key was already used: `record` is then the earlier adjustment."""

    record: StockAdjustmentItem | None
    applied: bool
    offer_refused: bool = False  # the offer's condition failed (gone, not the vendor's, or not enough units)


def adjustment_id(vendor_id: str, key: str) -> str:
    return f"stock-adjustment#{vendor_id}#{key}"


def get_adjustment(vendor_id: str, key: str) -> StockAdjustmentItem | None:
    bind()
    try:
        return StockAdjustmentItem.get(adjustment_id(vendor_id, key), consistent_read=True)
    except StockAdjustmentItem.DoesNotExist:
        return None


def adjust_stock(offer_id: str, vendor_id: str, delta: int, reason: str, key: str, *, max_available: int) -> AdjustmentOutcome:
    """Add `delta` to the units available (and so on hand), once per (vendor, key): ONE transaction.

    The key's record is put under `attribute_not_exists(id)` together with the offer update
    `available += delta` under `available >= -delta` (never below 0) or `available <= max - delta`;
    either both happen or neither. The version moves, so an If-Match from before is stale.
    """
    bind()
    Off = OfferItem
    now = _now()
    record = StockAdjustmentItem(adjustment_id(vendor_id, key), expiration=now + ADJUSTMENT_RETENTION,
                                 offer_id=offer_id, vendor_id=vendor_id, delta=delta, reason=reason, applied_at=now)
    bound = (Off.available >= -delta) if delta < 0 else (Off.available <= max_available - delta)
    try:
        with TransactWrite(connection=OfferItem._get_connection().connection) as tx:
            tx.save(record, condition=StockAdjustmentItem.id.does_not_exist())
            tx.update(
                OfferItem(offer_id),
                actions=[Off.available.add(delta), Off.version.add(1), Off.updated_at.set(now)],
                condition=Off.offer_id.exists() & (Off.vendor_id == vendor_id) & bound,
                add_version_condition=False,
            )
    except TransactWriteError as exc:
        reasons = list(exc.cancellation_reasons or []) + [None, None]
        if reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
            return AdjustmentOutcome(get_adjustment(vendor_id, key), applied=False)
        if reasons[1] is not None and reasons[1].code == "ConditionalCheckFailed":
            return AdjustmentOutcome(None, applied=False, offer_refused=True)
        raise
    return AdjustmentOutcome(record, applied=True)


def product_offers(product_id: str) -> list[OfferItem]:
    """Every offer of a product, cheapest total first (GSI: eventually consistent)."""
    bind()
    return list(OfferItem.by_product.query(product_id, limit=MAX_OFFERS_PER_PRODUCT))


def vendor_offers(vendor_id: str, limit: int, cursor: str | None) -> tuple[list[OfferItem], str | None]:
    bind()
    path, key_names = f"vendor:{vendor_id}", ("offer_id", "vendor_id", "product_key")
    start = decode_cursor(cursor, path, key_names, {"vendor_id": vendor_id})
    iterator = OfferItem.by_vendor.query(vendor_id, last_evaluated_key=start, page_size=limit + 1)
    return _collect(iterator.page_iter, path, key_names, limit,
                    lambda raws: [OfferItem.from_raw_data(r) for r in raws])


__all__ = [
    "OfferItem", "ProductItem", "SearchItem", "VendorItem", "UpdateError",
    "browse_products", "search_products", "get_product", "get_products", "insert_product", "write_search_terms",
    "save_summary", "get_offer", "get_offers", "insert_offer", "update_offer_terms", "product_offers",
    "StockAdjustmentItem", "AdjustmentOutcome", "adjust_stock", "get_adjustment",
    "vendor_offers", "get_vendor", "put_vendor", "vendor_names",
]
