"""Catalogue use cases: what the public and vendor endpoints (and the demo seed) do.

Every function returns plain JSON-ready dicts in the shapes of the API contract
(docs: notes/COMMON.md, "Catalogue"); money is `{"amount": minor units, "currency"}`.
Vendor ids always come from the caller's verified identity, never from input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from chalicelib.domain import search as search_rules
from chalicelib.domain.catalog import (
    CATEGORIES,
    BrowseFilters,
    Offer,
    ProductSummary,
    offer_id_for,
    rank_offers,
    summarise,
    validate_offer,
    validate_product,
)
from chalicelib.domain.errors import Forbidden, InvalidInput, NotFound
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

def upsert_offer(vendor_id: str, product_id: str, data: Mapping[str, Any]) -> tuple[dict, bool]:
    """Create or update the caller's offer for a product (one per condition). Returns (offer, created).

    Re-sending identical terms writes nothing. `stock` sets the units available for new
    orders; units already reserved or sold by checkout are left alone.
    """
    return upsert_offers(vendor_id, [(product_id, data)])[0]


def upsert_offers(vendor_id: str, entries: Sequence[tuple[str, Mapping[str, Any]]], *,
                  keep_existing: bool = False, refresh: bool = True) -> list[tuple[dict, bool]]:
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
        if item is None:
            item = repo.insert_offer(offer_id, vendor_id, products[pid], terms)
            created = item is not None
            if not created:  # created meanwhile by a concurrent request of the same vendor
                item, existed = repo.get_offer(offer_id), True
            else:
                count("OfferCreated")
        if item.vendor_id != vendor_id:  # ids derive from the vendor: a hash collision or a bug
            raise Forbidden("This offer belongs to another vendor.", fields={"offer_id": "not yours"})
        if not (keep_existing and existed) and not item.has_terms(terms):
            item = repo.update_offer_terms(offer_id, vendor_id, terms)
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
