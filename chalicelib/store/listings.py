"""The catalogue's listing read model: a product's listing entry lives on its best offer.

What the category listing, search and the filters read about a product's offers (in stock, the best
offer's snapshot, the totals prices are filtered on, its vendors, the offer count, `stale_at`) is
stored on ONE of the product's offers, the holder: its best offer while one is in stock, else the
offer that held it (a sold-out product keeps its entry, `in_stock` false), else its first listed
offer (`ProductSummary.holder`). Only the holder has `listing_category`, so only it is in the offers'
sparse by_listing(listing_category, product_key) index. A product's first offer is therefore ONE
item written with its entry (an import writes 1.0 item per new offer, not the offer plus a product
summary). The product item keeps what the product is (title, brand, images: the card's data).

Moving the entry: when the holder changes, one transaction removes the entry from the old holder
under the condition that it still holds it and sets it on the new one under the condition that it
does not hold it yet (an update in place: that it still does), so two offers never both hold it
after a refresh; a refresh that lost a race (a condition failed) retries from a fresh read. The
one window left: two first offers of a product created at the same instant by two requests that
each saw no offer both carry an entry; readers show the product once and the product's next refresh
keeps one (it clears every holder but its choice).

Reads: with a filter that an offerless product can never meet (in stock, a vendor, a price bound),
the page is a query (or scan) of by_listing filtered in DynamoDB, then one BatchGetItem of the
page's products for the card. Otherwise the products' by_category index drives the page (a product
without any listed offer is listed too, as before), and each page of products gets its holders from
ONE by_listing query over the page's key range. Search candidates (any order) look their holders up
one key each. Sorting by title and cursors work as before (the same key ranges).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.catalog import BrowseFilters, Compare, ProductSummary, summary_clauses, summary_matches
from chalicelib.store.base import bind, conditional_failed, utc_now
from chalicelib.store.cursors import collect_page
from chalicelib.store.cursors import decode as decode_cursor
from chalicelib.store.offers import OfferItem, OfferSnapshot, get_offers, product_offers
from chalicelib.store.products import ProductItem, get_product, get_products

FILTERED_PAGE_SIZE = 100
LOOKUP_WORKERS = 8  # by_listing point queries in flight at once (search candidates, a scanned page)
_LISTING_ATTRIBUTES = ("listing_category", "listing_offer_count", "listing_in_stock", "listing_best",
                       "listing_best_total", "listing_total", "listing_min_total", "listing_min_price",
                       "listing_vendor_ids", "listing_stale_at", "listing_at")


class ListedProduct:
    """A product as the listing shows it: the product item (the card's data, by attribute) and the offer
    holding its listing entry (None: no listed offer; the product lists with no offer, not in stock)."""

    def __init__(self, product: ProductItem, holder: OfferItem | None = None):
        self.product, self.holder = product, holder

    def __getattr__(self, name):  # product_id, title, title_key, brand, category, images, created_at...
        return getattr(self.product, name)

    def _entry(self, name):
        return getattr(self.holder, name) if self.holder is not None else None

    @property
    def offer_count(self) -> int:
        return int(self._entry("listing_offer_count") or 0)

    @property
    def in_stock(self) -> bool:
        return bool(self._entry("listing_in_stock"))

    @property
    def best_offer(self) -> OfferSnapshot | None:
        return self._entry("listing_best")

    @property
    def best_offer_id(self) -> str | None:
        best = self.best_offer
        return best.offer_id if best is not None else None

    @property
    def summary_stale_at(self) -> str | None:
        return self._entry("listing_stale_at")

    @property
    def vendor_ids(self) -> set[str]:
        return set(self._entry("listing_vendor_ids") or ())

    def _number(self, name) -> int | None:
        value = self._entry(name)
        return None if value is None else int(value)

    @property
    def listed_total(self) -> int | None:
        return self._number("listing_total")

    @property
    def best_total(self) -> int | None:
        return self._number("listing_best_total")

    @property
    def min_total(self) -> int | None:
        return self._number("listing_min_total")

    @property
    def min_price(self) -> int | None:
        return self._number("listing_min_price")


# --- writes -----------------------------------------------------------------------------

def _entry_values(summary: ProductSummary, best_vendor_name: str | None, category: str) -> dict:
    best = summary.best_offer
    snapshot = OfferSnapshot(
        offer_id=best.offer_id, vendor_id=best.vendor_id, vendor_name=best_vendor_name or "",
        condition=best.condition, price=best.price.amount, shipping_fee=best.shipping_fee.amount,
        currency=best.price.currency, available=best.available, min_days=best.min_days, max_days=best.max_days,
        list_price=best.list_price.amount if best.list_price else None, promotion_id=best.promotion_id,
    ) if best else None
    return {
        "listing_category": category, "listing_offer_count": summary.offer_count,
        "listing_in_stock": summary.in_stock, "listing_best": snapshot, "listing_best_total": summary.best_total,
        "listing_total": summary.listed_total, "listing_min_total": summary.min_total,
        "listing_min_price": summary.min_price, "listing_vendor_ids": set(summary.vendor_ids) or None,
        "listing_stale_at": summary.stale_at, "listing_at": utc_now(),
    }


def carry_entry(item: OfferItem, summary: ProductSummary, best_vendor_name: str | None, category: str) -> OfferItem:
    """Put the product's listing entry on a new offer before it is first written (one item for both)."""
    for name, value in _entry_values(summary, best_vendor_name, category).items():
        setattr(item, name, value)
    return item


def _set_actions(summary: ProductSummary, best_vendor_name: str | None, category: str) -> list:
    return [getattr(OfferItem, name).remove() if value is None else getattr(OfferItem, name).set(value)
            for name, value in _entry_values(summary, best_vendor_name, category).items()]


def _clear_actions() -> list:
    return [getattr(OfferItem, name).remove() for name in _LISTING_ATTRIBUTES]


def _comparable_entry(item: OfferItem) -> dict:
    """The entry's attributes as DynamoDB stores them, but `listing_at` (when it was computed) and the order
    of a set's members."""
    raw = item.serialize(null_check=False)
    return {name: {kind: sorted(value) if kind == "SS" else value for kind, value in raw[name].items()}
            for name in _LISTING_ATTRIBUTES if name != "listing_at" and name in raw}


def _holds_already(offer_id: str, summary: ProductSummary, best_vendor_name: str | None, category: str) -> bool:
    """True when `offer_id` holds the product's entry and it says exactly what `summary` says, read
    consistently (1 read unit): a refresh after a move that changes nothing shown (a sale: reserved -> sold)
    then writes nothing, instead of the item and its by_listing image (2 write units)."""
    current = get_offers([offer_id], consistent=True).get(offer_id)
    if current is None or not current.holds_listing:
        return False
    wanted = carry_entry(OfferItem(offer_id), summary, best_vendor_name, category)
    return _comparable_entry(wanted) == _comparable_entry(current)


def save_listing(product: ProductItem, summary: ProductSummary, best_vendor_name: str | None,
                 offers: Iterable[OfferItem]) -> bool:
    """Store `summary` as the product's listing entry on the holder it calls for, given the product's offers
    as read (who holds the entry now). False when a condition failed: another refresh moved the entry
    meanwhile, so read the offers again and retry."""
    bind()
    Off = OfferItem
    holders = sorted({o.offer_id for o in offers if o.holds_listing})
    target = summary.holder(holders)
    writes = [(holder, _clear_actions(), Off.listing_category.exists()) for holder in holders if holder != target]
    if not writes and target is not None and _holds_already(target, summary, best_vendor_name, product.category):
        return True
    if target is not None:
        holds = Off.listing_category.exists() if target in holders else Off.listing_category.does_not_exist()
        writes.append((target, _set_actions(summary, best_vendor_name, product.category),
                       Off.offer_id.exists() & holds))
    if not writes:
        return True
    try:
        if len(writes) == 1:
            offer_id, actions, condition = writes[0]
            OfferItem(offer_id).update(actions=actions, condition=condition, add_version_condition=False)
        else:
            with TransactWrite(connection=OfferItem._get_connection().connection) as tx:
                for offer_id, actions, condition in writes:
                    tx.update(OfferItem(offer_id), actions=actions, condition=condition)
    except UpdateError as err:
        if conditional_failed(err):
            return False
        raise
    except TransactWriteError as err:
        # Lost to another writer of these offers: a condition failed, or a concurrent transaction on them.
        codes = {r.code for r in (err.cancellation_reasons or []) if r is not None and r.code} - {"None"}
        if err.cause_response_code == "TransactionConflictException" or (
                codes and codes <= {"ConditionalCheckFailed", "TransactionConflict"}):
            return False
        raise
    return True


def save_summary(product_id: str, summary: ProductSummary, best_vendor_name: str | None, *,
                 offers: Iterable[OfferItem] | None = None, product: ProductItem | None = None) -> bool:
    """The OfferCatalogue port's `save_summary`: `save_listing` reading what the caller did not pass."""
    product = product or get_product(product_id)
    if product is None:
        return True
    return save_listing(product, summary, best_vendor_name, product_offers(product_id) if offers is None else offers)


def entry_holders(product_id: str) -> list[OfferItem]:
    """The product's offers holding a listing entry (one, or none; two only in the window described above),
    read whole and consistently (by_product says who holds it, not what the entry says)."""
    ids = [o.offer_id for o in product_offers(product_id, stock=False) if o.holds_listing]
    return sorted((o for o in get_offers(ids, consistent=True).values() if o.holds_listing), key=lambda o: o.offer_id)


# --- reads ------------------------------------------------------------------------------

def _entry_condition(filters: BrowseFilters):
    """The domain's summary clauses (`summary_clauses`) as one DynamoDB filter expression on the entry, or None."""
    Off = OfferItem
    attributes = {"in_stock": Off.listing_in_stock, "vendor_ids": Off.listing_vendor_ids, "listed_total": Off.listing_total}
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


def matches(entry: ListedProduct, filters: BrowseFilters) -> bool:
    return summary_matches(dataclasses.replace(filters, category=None, q=None), category=entry.category,
                           vendor_ids=entry.vendor_ids, in_stock=entry.in_stock, listed_total=entry.listed_total)


def _offerless_can_match(filters: BrowseFilters) -> bool:
    return summary_matches(dataclasses.replace(filters, category=None, q=None), category="", vendor_ids=(),
                           in_stock=False, listed_total=None)


def browse(filters: BrowseFilters, limit: int, cursor: str | None) -> tuple[list[ListedProduct], str | None]:
    """One page of a category's listing in title order (or of every category, in no order), filtered."""
    bind()
    if _offerless_can_match(filters):
        return _browse_products(filters, limit, cursor)
    return _browse_entries(filters, limit, cursor)


def _browse_entries(filters: BrowseFilters, limit: int, cursor: str | None):
    """Only products with a listed offer can match: the entries themselves, filtered by DynamoDB."""
    condition = _entry_condition(filters)
    key_names = ("offer_id", "listing_category", "product_key")
    if filters.category:
        path = f"listing:{filters.category}"
        start = decode_cursor(cursor, path, key_names, {"listing_category": filters.category})
        iterator = OfferItem.by_listing.query(filters.category, filter_condition=condition,
                                              last_evaluated_key=start, page_size=FILTERED_PAGE_SIZE)
    else:
        path = "listing:all"
        start = decode_cursor(cursor, path, key_names)
        iterator = OfferItem.by_listing.scan(filter_condition=condition, last_evaluated_key=start,
                                             page_size=FILTERED_PAGE_SIZE)
    seen: set[str] = set()

    def resolve(raws: list[dict]) -> list:
        holders = [OfferItem.from_raw_data(raw) for raw in raws]
        products = get_products(h.product_id for h in holders)
        out = []
        for holder in holders:
            product = products.get(holder.product_id)
            fresh = product is not None and holder.product_id not in seen
            seen.add(holder.product_id)
            out.append(ListedProduct(product, holder) if fresh else None)
        return out

    return collect_page(iterator.page_iter, path, key_names, limit, resolve)


def _browse_products(filters: BrowseFilters, limit: int, cursor: str | None):
    """Offerless products can match: the products drive the page, each page joined with its entries."""
    page_size = limit + 1 if not summary_clauses(filters) else FILTERED_PAGE_SIZE
    if filters.category:
        path, key_names = f"category:{filters.category}", ("product_id", "category", "title_key")
        start = decode_cursor(cursor, path, key_names, {"category": filters.category})
        iterator = ProductItem.by_category.query(filters.category, last_evaluated_key=start, page_size=page_size)
    else:
        path, key_names = "all", ("product_id",)
        start = decode_cursor(cursor, path, key_names)
        iterator = ProductItem.scan(last_evaluated_key=start, page_size=page_size)
    in_order = filters.category is not None

    def resolve(raws: list[dict]) -> list:
        products = [ProductItem.from_raw_data(raw) for raw in raws]
        holders = _holders_in_range(filters.category, products) if in_order else _holders_of(products)
        entries = [ListedProduct(p, holders.get(p.product_id)) for p in products]
        return [entry if matches(entry, filters) else None for entry in entries]

    return collect_page(iterator.page_iter, path, key_names, limit, resolve)


def _holders_in_range(category: str, products: list[ProductItem]) -> dict[str, OfferItem]:
    """The holders of a title-ordered page of one category's products: one query over the page's key range."""
    if not products:
        return {}
    keys = sorted(p.title_key for p in products)
    wanted = {p.product_id for p in products}
    found: dict[str, OfferItem] = {}
    for holder in OfferItem.by_listing.query(category, OfferItem.product_key.between(keys[0], keys[-1])):
        if holder.product_id in wanted:
            found.setdefault(holder.product_id, holder)
    return found


def _holder_of(product: ProductItem) -> OfferItem | None:
    for holder in OfferItem.by_listing.query(product.category, OfferItem.product_key == product.title_key):
        if holder.product_id == product.product_id:
            return holder
    return None


def _holders_of(products: Iterable[ProductItem]) -> dict[str, OfferItem]:
    """The holders of products in any order: one by_listing key lookup each, a few at a time."""
    products = list(products)
    if not products:
        return {}
    if len(products) == 1:
        holder = _holder_of(products[0])
        return {products[0].product_id: holder} if holder is not None else {}
    with ThreadPoolExecutor(max_workers=LOOKUP_WORKERS) as pool:
        holders = list(pool.map(_holder_of, products))
    return {p.product_id: h for p, h in zip(products, holders) if h is not None}


def listings_of(products: Iterable[ProductItem]) -> dict[str, ListedProduct]:
    """The listing entries of products (search candidates, a refreshed page), by product id."""
    bind()
    products = list(products)
    holders = _holders_of(products)
    return {p.product_id: ListedProduct(p, holders.get(p.product_id)) for p in products}


def listing_of(product: ProductItem) -> ListedProduct:
    return listings_of([product])[product.product_id]


# --- the one-off migration (chalicelib/services/product_summaries.py `migrate_listings`) ------

_OLD_SUMMARY_ATTRIBUTES = ("offer_count", "in_stock", "best_offer_id", "best_offer", "best_total", "listed_total",
                           "min_total", "min_price", "vendor_ids", "summary_at", "summary_stale_at")


def products_with_old_summary() -> list[str]:
    """The products whose item still carries a summary of before the move (`offer_count` and `summary_at` were
    set by every save of one)."""
    bind()
    client = ProductItem._get_connection().connection.client
    found, start = [], {}
    while True:
        page = client.scan(TableName=ProductItem.Meta.table_name, ProjectionExpression="product_id",
                           FilterExpression="attribute_exists(offer_count) OR attribute_exists(summary_at)", **start)
        found += [item["product_id"]["S"] for item in page.get("Items", [])]
        if "LastEvaluatedKey" not in page:
            return found
        start = {"ExclusiveStartKey": page["LastEvaluatedKey"]}


def drop_product_summary(product_id: str) -> None:
    """Remove the listing summary a product item carried before it moved onto its best offer (those
    attributes are no longer on the model, so the expression names them itself)."""
    bind()
    names = {f"#a{i}": name for i, name in enumerate(_OLD_SUMMARY_ATTRIBUTES)}
    client = ProductItem._get_connection().connection.client
    try:
        client.update_item(TableName=ProductItem.Meta.table_name, Key={"product_id": {"S": product_id}},
                           UpdateExpression="REMOVE " + ", ".join(names), ExpressionAttributeNames=names,
                           ConditionExpression="attribute_exists(product_id)")
    except client.exceptions.ConditionalCheckFailedException:
        pass  # deleted meanwhile: nothing to migrate
