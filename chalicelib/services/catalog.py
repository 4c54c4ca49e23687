"""Catalogue use cases: what the public and vendor endpoints (and the demo seed) do.

Every function returns plain JSON-ready dicts in the shapes of the API contract
(docs: notes/COMMON.md, "Catalogue"); money is `{"amount": minor units, "currency"}`.
Vendor ids always come from the caller's verified identity, never from input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.domain import search as search_rules
from chalicelib.domain.catalog import (
    CATEGORIES,
    CONDITIONS,
    MAX_STOCK,
    BrowseFilters,
    Offer,
    OfferTerms,
    ProductSummary,
    offer_id_for,
    rank_offers,
    summarise,
    validate_offer,
    validate_product,
)
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, PreconditionFailed, Unprocessable
from chalicelib.domain.money import Money
from chalicelib.observability import count, logger
from chalicelib.settings import get_settings
from chalicelib.store import catalog as repo

VENDOR_NAME_MIN, VENDOR_NAME_MAX = 2, 80
DEFAULT_PAGE, MAX_PAGE = 24, 50
_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,160}$")


# --- views ------------------------------------------------------------------------------

def offer_view(offer: Offer, vendor_name: str, is_best: bool) -> dict:
    return {
        "offer_id": offer.offer_id,
        "product_id": offer.product_id,
        "vendor_id": offer.vendor_id,
        "vendor_name": vendor_name,
        "condition": offer.condition,
        "price": offer.price.to_json(),
        "shipping_fee": offer.shipping_fee.to_json(),
        "total": offer.total.to_json(),
        "available": offer.available,
        "in_stock": offer.in_stock,
        "delivery": {"min_days": offer.min_days, "max_days": offer.max_days},
        "is_best": is_best,
    }


def vendor_offer_view(item: repo.OfferItem, vendor_name: str, is_best: bool) -> dict:
    """The vendor's own view of its offer: what shoppers see plus the stock checkout holds."""
    return {
        **offer_view(item.to_offer(), vendor_name, is_best),
        "product_title": item.product_title,
        "reserved": int(item.reserved),
        "sold": int(item.sold),
        "stock": item.on_hand,
        "version": int(item.version),
        "updated_at": item.updated_at.isoformat(),
    }


def product_detail(item: repo.ProductItem) -> dict:
    return {
        "product_id": item.product_id,
        "title": item.title,
        "description": item.description or "",
        "brand": item.brand,
        "category": item.category,
        "attributes": item.attributes_dict,
        "images": list(item.images or []),
        "gtin": item.gtin,
    }


def _snapshot_offer(item: repo.ProductItem) -> dict | None:
    snap = item.best_offer
    if snap is None or not item.in_stock:
        return None
    offer = Offer(
        offer_id=snap.offer_id, product_id=item.product_id, vendor_id=snap.vendor_id, condition=snap.condition,
        price=Money(int(snap.price), snap.currency), shipping_fee=Money(int(snap.shipping_fee), snap.currency),
        available=int(snap.available), min_days=int(snap.min_days), max_days=int(snap.max_days),
    )
    return offer_view(offer, snap.vendor_name, True)


def product_summary_view(item: repo.ProductItem) -> dict:
    return {
        "product_id": item.product_id,
        "title": item.title,
        "brand": item.brand,
        "category": item.category,
        "image": (item.images or [None])[0],
        "offer_count": int(item.offer_count or 0),
        "in_stock": bool(item.in_stock),
        "best_offer": _snapshot_offer(item),
    }


# --- vendors ----------------------------------------------------------------------------

def register_vendor(vendor_id: str, name: str) -> dict:
    """Create the vendor's shop record (idempotent; a different name renames it)."""
    name = " ".join(str(name or "").split())
    if not vendor_id or not _ID.match(vendor_id):
        raise InvalidInput("A vendor id is required.", fields={"vendor_id": "required"})
    if not VENDOR_NAME_MIN <= len(name) <= VENDOR_NAME_MAX:
        raise InvalidInput("The shop name is invalid.",
                           fields={"name": f"must be {VENDOR_NAME_MIN} to {VENDOR_NAME_MAX} characters"})
    item, created = repo.put_vendor(vendor_id, name)
    if created:
        logger.info("vendor registered", extra={"vendor_id": vendor_id})
    return {"vendor_id": vendor_id, "name": name, "created": created}


def _registered_vendor(vendor_id: str) -> repo.VendorItem:
    vendor = repo.get_vendor(vendor_id)
    if vendor is None:
        raise Forbidden("Your account has no shop on Halles yet.", code="vendor_not_registered",
                        fields={"vendor": "no shop is registered for this account"})
    return vendor


# --- products ---------------------------------------------------------------------------

def create_product(vendor_id: str, data: Mapping[str, Any]) -> tuple[dict, bool]:
    """Add a product to the shared catalogue; the same GTIN (or brand + title) returns the existing one.

    Returns (product, created).
    """
    return create_products(vendor_id, [data])[0]


def create_products(vendor_id: str, items: Sequence[Mapping[str, Any]]) -> list[tuple[dict, bool]]:
    """`create_product` for many products in few round trips (imports, the demo seed); same rules.

    Every product is validated before anything is written. The search terms are written before
    the product, so a product that exists is always findable; a create that loses a race to the
    same id removes the terms it wrote (search ignores stray terms anyway: it re-checks titles).
    """
    products = [validate_product(data) for data in items]
    _registered_vendor(vendor_id)
    existing = repo.get_products((p.product_id for p in products), consistent=True)
    fresh = {p.product_id: p for p in products if p.product_id not in existing}
    repo.write_search_terms([(p.product_id, p.title_key, search_rules.index_terms(p.title, p.brand))
                             for p in fresh.values()])
    created: dict[str, repo.ProductItem] = {}
    for product in fresh.values():
        item = repo.insert_product(product, created_by=vendor_id)
        if item is None:
            winner = repo.get_product(product.product_id, consistent=True)
            if winner.title_key != product.title_key:
                repo.write_search_terms([(product.product_id, product.title_key,
                                          search_rules.index_terms(product.title, product.brand))], delete=True)
            existing[product.product_id] = winner
        else:
            created[product.product_id] = item
            count("ProductCreated")
    results, reported = [], set()
    for product in products:
        pid = product.product_id
        is_new = pid in created and pid not in reported  # the same product twice in one call: created once
        reported.add(pid)
        results.append((product_detail(created.get(pid) or existing[pid]), is_new))
    return results


def _product_or_404(product_id: str, *, consistent: bool = False) -> repo.ProductItem:
    item = repo.get_product(product_id, consistent=consistent) if _ID.match(product_id or "") else None
    if item is None:
        raise NotFound("No such product.", fields={"product_id": "unknown"})
    return item


# --- offers -----------------------------------------------------------------------------

def upsert_offer(vendor_id: str, product_id: str, data: Mapping[str, Any], *,
                 if_match: IfMatch | None = None) -> tuple[dict, bool]:
    """Create or update the caller's offer for a product (one per condition). Returns (offer, created).

    `stock` declares the units ON HAND: units not sold yet, whether available to new orders or
    held by unpaid ones (`available + reserved`); a sale (payment) moves reserved -> sold and so
    lowers the units on hand. Units available are derived atomically: `stock - reserved`, and a
    declaration below `reserved` is a 409 naming `stock`. Re-sending the last declaration (the
    identical terms) changes nothing, whatever sold, was reserved or was adjusted since: a retried
    or stale PUT can never resurrect units. To change the count after sales, declare a new number
    (ideally with `if_match`, the version read) or post a stock adjustment (a delta).

    `if_match` (the If-Match header's versions): the write happens only while the offer is at one
    of them, else 412 (`precondition_failed`) -- unless the offer already has exactly these terms
    (the request was applied before, e.g. its response was lost).
    """
    return upsert_offers(vendor_id, [(product_id, data)], if_match=if_match)[0]


@dataclass(frozen=True)
class IfMatch:
    """An If-Match header: `any` (`*`: the offer must exist) or the versions the client accepts."""

    versions: frozenset[int] = frozenset()
    any: bool = False

    def matches(self, version: int) -> bool:
        return self.any or version in self.versions


def etag(version: int) -> str:
    """The offer's entity tag: its version, quoted as HTTP wants it."""
    return f'"{int(version)}"'


def _stale(detail: str) -> PreconditionFailed:
    return PreconditionFailed(
        "This offer changed since you read it (If-Match names an older version); read it again and resend "
        "your change.", fields={"If-Match": detail})


def _reserved_conflict(reserved: int, stock: int) -> Conflict:
    return Conflict(
        f"{reserved} units are reserved by unpaid orders: stock (units on hand) cannot be {stock}.",
        code="stock_below_reserved",
        fields={"stock": f"at least {reserved}: {reserved} units are reserved by unpaid orders"})


OFFER_WRITE_ATTEMPTS = 5


def _write_terms(item: repo.OfferItem, vendor_id: str, terms: OfferTerms, if_match: IfMatch | None) -> repo.OfferItem:
    """Write `terms` over `item`, conditional on the version read; on a race, re-read and decide again."""
    for _ in range(OFFER_WRITE_ATTEMPTS):
        if item.has_terms(terms):
            return item  # identical to the last declaration: applied before (or by a concurrent twin)
        if if_match is not None and not if_match.matches(int(item.version)):
            raise _stale(f"the offer is at version {int(item.version)}")
        declare = terms.stock != item.declared
        if declare and terms.stock < int(item.reserved):
            raise _reserved_conflict(int(item.reserved), terms.stock)
        updated = repo.update_offer_terms(item.offer_id, vendor_id, terms, expected_version=int(item.version),
                                          declare_stock=declare)
        if updated is not None:
            return updated
        item = repo.get_offer(item.offer_id)  # another write, or a reservation, came first
        if item is None or item.vendor_id != vendor_id:
            raise NotFound("No such offer.", fields={"offer_id": "unknown"})
    raise Conflict("This offer is being changed by another request right now; try again.", code="busy",
                   fields={"offer": "changing"})


def upsert_offers(vendor_id: str, entries: Sequence[tuple[str, Mapping[str, Any]]], *,
                  keep_existing: bool = False, refresh: bool = True,
                  if_match: IfMatch | None = None) -> list[tuple[dict, bool]]:
    """`upsert_offer` for many offers of one vendor (imports, the demo seed); same rules.

    Everything is validated first (an unknown product is a 404 naming it). With
    `keep_existing`, offers that already exist are left exactly as they are (the seed runs on
    every start of the local stack and must not undo what vendors and shoppers did since).
    Each product's summary is recomputed once, after all of its offers are written (with
    `refresh=False` the caller must call `refresh_product_summary` itself, as the seed does
    once per product after every vendor's offers are in).
    """
    currency = get_settings().currency
    terms_list = [(product_id, validate_offer(data, currency)) for product_id, data in entries]
    vendor = _registered_vendor(vendor_id)
    products = repo.get_products(pid for pid, _ in terms_list if _ID.match(pid or ""))
    for pid, _ in terms_list:
        if pid not in products:
            raise NotFound("No such product.", fields={"product_id": f"unknown: {pid}"[:200]})
    ids = [offer_id_for(vendor_id, pid, terms.condition) for pid, terms in terms_list]
    current = repo.get_offers(ids, consistent=True)
    written: dict[str, tuple[repo.OfferItem, bool]] = {}  # offer id -> (item, created by this call)
    for offer_id, (pid, terms) in zip(ids, terms_list):
        item, created = written.get(offer_id, (current.get(offer_id), False))
        existed = offer_id in current
        if item is None and if_match is not None:
            raise _stale("you have no offer for this product in this condition yet")
        if item is None:
            item = repo.insert_offer(offer_id, vendor_id, products[pid], terms)
            created = item is not None
            if not created:  # created meanwhile by a concurrent request of the same vendor
                item, existed = repo.get_offer(offer_id), True
            else:
                count("OfferCreated")
        if item.vendor_id != vendor_id:  # ids derive from the vendor: a hash collision or a bug
            raise Forbidden("This offer belongs to another vendor.", fields={"offer_id": "not yours"})
        if not (keep_existing and existed):
            item = _write_terms(item, vendor_id, terms, if_match)
        written[offer_id] = (item, created)
    names = {vendor_id: vendor.name}
    best_by_product = {}
    for pid in dict.fromkeys(pid for pid, _ in terms_list):
        if refresh:
            mine = [item for item, _ in written.values() if item.product_id == pid]
            summary = refresh_product_summary(pid, written=mine, names=names)
            best_by_product[pid] = summary.best_offer.offer_id if summary.best_offer else None
        else:
            best_by_product[pid] = products[pid].best_offer_id
    results, reported = [], set()
    for offer_id in ids:
        item, created = written[offer_id]
        results.append((vendor_offer_view(item, vendor.name, best_by_product[item.product_id] == offer_id),
                        created and offer_id not in reported))
        reported.add(offer_id)
    return results


ADJUSTMENT_REASON_MAX = 200
IDEMPOTENCY_KEY_MIN, IDEMPOTENCY_KEY_MAX = 8, 128


def adjust_offer_stock(vendor_id: str, product_id: str, condition: str, delta: int, reason: str,
                       idempotency_key: str | None) -> tuple[dict, bool]:
    """Add `delta` units on hand (negative: breakage, loss, a count correction) to the caller's offer.

    Applied once per Idempotency-Key: the same key answers the same adjustment again without
    applying it twice (another body with it is a 422). Units available never go below 0 (409
    naming `delta`). Returns ({adjustment, offer}, applied_now).
    """
    key = idempotency_key
    if key is None or not (IDEMPOTENCY_KEY_MIN <= len(key) <= IDEMPOTENCY_KEY_MAX) or not key.isprintable():
        raise InvalidInput(
            f"Send an Idempotency-Key header of {IDEMPOTENCY_KEY_MIN} to {IDEMPOTENCY_KEY_MAX} characters (a new "
            "random value per adjustment, the same one when retrying it).", code="idempotency_key_required",
            fields={"Idempotency-Key": f"required, {IDEMPOTENCY_KEY_MIN}-{IDEMPOTENCY_KEY_MAX} characters"})
    errors: dict[str, str] = {}
    if condition not in CONDITIONS:
        errors["condition"] = f"one of {', '.join(CONDITIONS)}"
    if isinstance(delta, bool) or not isinstance(delta, int) or delta == 0 or abs(delta) > MAX_STOCK:
        errors["delta"] = f"a non-zero integer from -{MAX_STOCK} to {MAX_STOCK}"
    reason = " ".join(str(reason or "").split())
    if not 1 <= len(reason) <= ADJUSTMENT_REASON_MAX:
        errors["reason"] = f"1 to {ADJUSTMENT_REASON_MAX} characters"
    if errors:
        raise InvalidInput("The stock adjustment is invalid.", code="validation_error", fields=errors)
    vendor = _registered_vendor(vendor_id)
    product = _product_or_404(product_id)
    offer_id = offer_id_for(vendor_id, product.product_id, condition)
    outcome = repo.adjust_stock(offer_id, vendor_id, delta, reason, key, max_available=MAX_STOCK)
    record = outcome.record
    if outcome.offer_refused:
        item = repo.get_offer(offer_id)
        if item is None or item.vendor_id != vendor_id:
            raise NotFound("You have no offer for this product in this condition.",
                           fields={"product_id": "no offer of yours", "condition": condition})
        if delta < 0:
            raise Conflict(f"Only {int(item.available)} units are available (the others are reserved by unpaid "
                           f"orders): you cannot remove {-delta}.", code="insufficient_stock",
                           fields={"delta": f"at least -{int(item.available)}"})
        raise Conflict(f"Units available would exceed {MAX_STOCK}.", code="stock_too_large",
                       fields={"delta": f"at most {MAX_STOCK - int(item.available)}"})
    if record is None:  # the key's record expired between the two reads: treat as in progress
        raise Conflict("This adjustment is being applied; retry in a moment.", code="busy",
                       fields={"Idempotency-Key": "in progress"})
    if not outcome.applied and (record.offer_id, int(record.delta), record.reason) != (offer_id, delta, reason):
        raise Unprocessable("This Idempotency-Key was already used for a different stock adjustment; use a new key.",
                            code="idempotency_key_reused",
                            fields={"Idempotency-Key": "already used with another body"})
    item = repo.get_offer(offer_id)
    summary = refresh_product_summary(item.product_id, written=[item], names={vendor_id: vendor.name})
    best = summary.best_offer.offer_id if summary.best_offer else None
    return {
        "adjustment": {
            "offer_id": offer_id, "delta": int(record.delta), "reason": record.reason,
            "applied_at": record.applied_at.isoformat(), "idempotency_key": key,
        },
        "offer": vendor_offer_view(item, vendor.name, best == offer_id),
    }, outcome.applied


def refresh_product_summary(product_id: str, written: Iterable[repo.OfferItem] = (),
                            names: dict[str, str] | None = None) -> ProductSummary:
    """Recompute a product's listing summary from its offers and store it.

    Offers are read through the by_product index, which is eventually consistent, so the offers
    this request just wrote replace whatever the index returned for them. Checkout should call
    this after it changes an offer's stock, so listings do not advertise sold-out offers.
    """
    items = {o.offer_id: o for o in repo.product_offers(product_id)}
    items.update({o.offer_id: o for o in written})
    summary = summarise(o.to_offer() for o in items.values())
    best_name = None
    if summary.best_offer is not None:
        vendor_id = summary.best_offer.vendor_id
        names = names if names is not None else {}
        if vendor_id not in names:
            names.update(repo.vendor_names([vendor_id]))
        best_name = names.get(vendor_id, "")
    repo.save_summary(product_id, summary, best_name)
    return summary


def list_vendor_offers(vendor_id: str, limit: int = MAX_PAGE, cursor: str | None = None) -> dict:
    vendor = _registered_vendor(vendor_id)
    items, next_cursor = repo.vendor_offers(vendor_id, _limit(limit, 100), cursor)
    best_ids = {p.product_id: p.best_offer_id for p in repo.get_products(o.product_id for o in items).values()}
    return {
        "items": [vendor_offer_view(o, vendor.name, best_ids.get(o.product_id) == o.offer_id) for o in items],
        "next_cursor": next_cursor,
    }


# --- shopper reads ----------------------------------------------------------------------

def _limit(limit: int | None, ceiling: int = MAX_PAGE) -> int:
    if limit is None:
        return DEFAULT_PAGE
    if not isinstance(limit, int) or not 1 <= limit <= ceiling:
        raise InvalidInput("The page size is invalid.", fields={"limit": f"from 1 to {ceiling}"})
    return limit


def browse(filters: BrowseFilters, limit: int | None = None, cursor: str | None = None) -> dict:
    """One page of product summaries: search when `q` is given, else by category or over everything."""
    size = _limit(limit)
    if filters.q is not None and filters.q.strip():
        items, next_cursor = repo.search_products(search_rules.parse_query(filters.q), filters, size, cursor)
    else:
        items, next_cursor = repo.browse_products(filters, size, cursor)
    return {"items": [product_summary_view(p) for p in items], "next_cursor": next_cursor}


def product_page(product_id: str) -> dict:
    """The product with every offer, cheapest total first, the best in-stock offer marked."""
    item = _product_or_404(product_id)
    offers = [o.to_offer() for o in repo.product_offers(item.product_id)]
    names = repo.vendor_names(o.vendor_id for o in offers)
    ranked = rank_offers(offers)
    best = next((r.offer.offer_id for r in ranked if r.is_best), None)
    return {
        "product": product_detail(item),
        "offers": [offer_view(r.offer, names.get(r.offer.vendor_id, ""), r.is_best) for r in ranked],
        "best_offer_id": best,
    }


def categories() -> dict:
    return {"items": [{"slug": slug, "name": name} for slug, name in CATEGORIES.items()]}
