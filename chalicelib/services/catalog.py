"""Catalogue use cases for shoppers and product creation: browse and search pages, a product's page
with every offer ranked, categories, and adding products to the shared catalogue.

Every function returns plain JSON-ready dicts in the shapes of the API contract
(docs: notes/COMMON.md, "Catalogue"); money is `{"amount": minor units, "currency"}`.
Vendor ids always come from the caller's verified identity, never from input. The vendors' own
offers: chalicelib/services/vendor_offers.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chalicelib.domain import search as search_rules
from chalicelib.domain.catalog import (
    CATEGORIES,
    BrowseFilters,
    Offer,
    is_valid_id,
    rank_offers,
    validate_product,
)
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.localized import DEFAULT_LANGUAGE, category_name, category_names_all, localized_text
from chalicelib.domain.money import Money
from chalicelib.domain.ports import OfferCatalogue
from chalicelib.domain.presentation import presentation_problems
from chalicelib.domain.promotions import promoted_offer
from chalicelib.domain.timestamps import now_iso
from chalicelib.observability import count
from chalicelib.services.vendors import registered_vendor
from chalicelib.store import listings, search_index
from chalicelib.store import offers as offers_store
from chalicelib.store import products as products_store
from chalicelib.store import promotions as promotions_store
from chalicelib.store import vendors as vendors_store

DEFAULT_PAGE, MAX_PAGE = 24, 50


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
        # While a promotion runs `price` is the promoted price and `list_price` the struck one.
        "list_price": offer.list_price.to_json() if offer.list_price else None,
        "promotion_id": offer.promotion_id,
    }


def product_detail(item: products_store.ProductItem, lang: str | None = None) -> dict:
    """The product in `lang` (falling back to its main texts); None: the main texts, as its vendor wrote them."""
    translations = item.translations_dict
    return {
        "product_id": item.product_id,
        "title": localized_text(item.title, translations, lang, "title"),
        "description": localized_text(item.description or "", translations, lang, "description"),
        "translations": translations,
        "brand": item.brand,
        "category": item.category,
        "attributes": item.attributes_dict,
        "images": list(item.images or []),
        "gtin": item.gtin,
    }


def _snapshot_offer(item: listings.ListedProduct) -> dict | None:
    snap = item.best_offer
    if snap is None or not item.in_stock:
        return None
    offer = Offer(
        offer_id=snap.offer_id, product_id=item.product_id, vendor_id=snap.vendor_id, condition=snap.condition,
        price=Money(int(snap.price), snap.currency), shipping_fee=Money(int(snap.shipping_fee), snap.currency),
        available=int(snap.available), min_days=int(snap.min_days), max_days=int(snap.max_days),
        list_price=Money(int(snap.list_price), snap.currency) if snap.list_price is not None else None,
        promotion_id=snap.promotion_id,
    )
    return offer_view(offer, snap.vendor_name, True)


def product_summary_view(item: listings.ListedProduct, lang: str | None = None) -> dict:
    return {
        "product_id": item.product_id,
        "title": localized_text(item.title, item.translations_dict, lang, "title"),
        "brand": item.brand,
        "category": item.category,
        "image": (item.images or [None])[0],
        "offer_count": int(item.offer_count or 0),
        "in_stock": bool(item.in_stock),
        "best_offer": _snapshot_offer(item),
    }

# --- products ---------------------------------------------------------------------------

def search_terms(product) -> list[str]:
    """The index terms of a product (ProductData or a stored item): every language's title, brand, category."""
    translations = getattr(product, "translations_dict", None)
    if translations is None:
        translations = product.translations
    return search_rules.index_terms(
        product.title, product.brand, other_titles=[t.get("title", "") for t in translations.values()],
        category_names=category_names_all(product.category, CATEGORIES.get(product.category, "")))


def ensure_presentable(product) -> None:
    """400 naming every field of a proposed product that breaks a presentation rule (domain/presentation.py)."""
    problems = presentation_problems(product.title, product.category, product.attributes)
    if problems:
        raise InvalidInput("The product does not follow the catalogue's presentation rules.",
                           code="validation_error", fields=problems)


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
    registered_vendor(vendor_id)
    existing = products_store.get_products((p.product_id for p in products), consistent=True)
    fresh = {p.product_id: p for p in products if p.product_id not in existing}
    for product in fresh.values():  # a known product is not a proposal: only new ones must present well
        ensure_presentable(product)
    search_index.write_search_terms([(p.product_id, p.title_key, search_terms(p)) for p in fresh.values()])
    created: dict[str, products_store.ProductItem] = {}
    for product in fresh.values():
        item = products_store.insert_product(product, created_by=vendor_id)
        if item is None:
            winner = products_store.get_product(product.product_id, consistent=True)
            if winner.title_key != product.title_key:
                search_index.write_search_terms([(product.product_id, product.title_key,
                                          search_terms(product))], delete=True)
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


def update_product(vendor_id: str, product_id: str, data: Mapping[str, Any]) -> dict:
    """Edit a product the caller created (another vendor's product: 403; unknown: 404).

    The same rules as creating one, presentation included. The product keeps its id and GTIN
    (offers and orders point at them); its search terms and its offers' copy of the title follow
    the new title. A product edited meanwhile by another request is a 409 (re-read and resend).
    """
    current = product_or_404(product_id, consistent=True)
    if current.created_by != vendor_id:
        raise Forbidden("Only the vendor who proposed this product can edit it.", fields={"product_id": "not yours"})
    if data.get("translations") is None:  # an edit that does not mention them keeps them
        data = {**data, "translations": current.translations_dict}
    product = validate_product({**data, "gtin": current.gtin[-14:] if current.gtin else None})
    ensure_presentable(product)
    new_key = products_store.title_key_for(product, product_id)
    new_terms = search_terms(product)
    search_index.write_search_terms([(product_id, new_key, new_terms)])  # findable by the new title first
    item = products_store.update_product_description(product_id, product, created_by=vendor_id,
                                                     expected_title_key=current.title_key)
    if item is None:
        if new_key != current.title_key:
            search_index.write_search_terms([(product_id, new_key, new_terms)], delete=True)
        raise Conflict("This product was changed by another request; read it again and resend your change.",
                       code="product_changed", fields={"product_id": "changed meanwhile"})
    if new_key != current.title_key:
        search_index.write_search_terms([(product_id, current.title_key,
                                          search_terms(current))], delete=True)
    if (current.title, current.title_key, current.category) != (product.title, new_key, product.category):
        # The offers carry the title; the one holding the listing entry also its place (key, category).
        offers_store.retitle_offers(product_id, product.title, new_key, product.category)
    return product_detail(products_store.get_product(product_id, consistent=True))


def product_or_404(product_id: str, *, consistent: bool = False,
                   catalogue: OfferCatalogue | None = None) -> products_store.ProductItem:
    get_product = catalogue.get_product if catalogue is not None else products_store.get_product
    item = get_product(product_id, consistent=consistent) if is_valid_id(product_id) else None
    if item is None:
        raise NotFound("No such product.", fields={"product_id": "unknown"})
    return item


# --- shopper reads ----------------------------------------------------------------------

def page_limit(limit: int | None, ceiling: int = MAX_PAGE) -> int:
    if limit is None:
        return DEFAULT_PAGE
    if not isinstance(limit, int) or not 1 <= limit <= ceiling:
        raise InvalidInput("The page size is invalid.", fields={"limit": f"from 1 to {ceiling}"})
    return limit


def browse(filters: BrowseFilters, limit: int | None = None, cursor: str | None = None, *,
           lang: str = DEFAULT_LANGUAGE, listing: Mapping[str, Any] | None = None) -> dict:
    """One page of product summaries.

    With a query, a sort or a facet selection (`listing`: sort, brand, condition, price_band), the
    ranked listing of chalicelib/services/catalog_search.py (relevance, facets, suggestion,
    breadcrumbs); otherwise a category or everything in title order, as before.
    """
    size = page_limit(limit)
    listing = {k: v for k, v in (listing or {}).items() if v is not None}
    if (filters.q is not None and filters.q.strip()) or listing:
        from chalicelib.services.catalog_search import ranked_listing

        return ranked_listing(filters, size, cursor, lang=lang, **listing)
    items, next_cursor = listings.browse(filters, size, cursor)
    return {"items": [product_summary_view(p, lang) for p in _fresh(items)], "next_cursor": next_cursor}


def _fresh(items: list) -> list:
    """Summaries whose promotion window started or ended since they were computed, recomputed first.

    Only the first page read after a start or end pays for it (the summary is stored again with
    the next `stale_at`); that page was still selected and ordered on the stale summary.
    """
    from chalicelib.services.product_summaries import refresh_product_summary

    now = now_iso()
    fresh = []
    for item in items:
        if item.summary_stale_at and item.summary_stale_at <= now:
            refresh_product_summary(item.product_id)
            item = listings.listing_of(item.product)
            count("ListingSummariesRefreshed", 1)
        fresh.append(item)
    return fresh


def product_page(product_id: str, lang: str = DEFAULT_LANGUAGE) -> dict:
    """The product with every offer, cheapest total first, the best in-stock offer marked."""
    item = product_or_404(product_id)
    listed = offers_store.product_offers(item.product_id, stock=False)
    # The index is eventually consistent: the offers themselves are read consistently, so a stock or
    # price change a vendor just made (an import, a PUT) shows at once.
    fresh = offers_store.get_offers((o.offer_id for o in listed), consistent=True)
    offers = [fresh[o.offer_id].to_offer() for o in listed if o.offer_id in fresh]  # gone meanwhile: not shown
    selling = vendors_store.selling_vendors({o.vendor_id for o in offers})  # paused shops' offers are hidden
    offers = [o for o in offers if o.vendor_id in selling]
    now = now_iso()
    promotions = promotions_store.current_promotions({o.vendor_id for o in offers}, now)
    offers = [promoted_offer(o, promotions, now) for o in offers]
    names = vendors_store.vendor_names(o.vendor_id for o in offers)
    ranked = rank_offers(offers)
    best = next((r.offer.offer_id for r in ranked if r.is_best), None)
    return {
        "product": product_detail(item, lang),
        "offers": [offer_view(r.offer, names.get(r.offer.vendor_id, ""), r.is_best) for r in ranked],
        "best_offer_id": best,
    }


def categories(lang: str | None = None) -> dict:
    """The categories, named in `lang` (English by default)."""
    return {"items": [{"slug": slug, "name": category_name(slug, name, lang or DEFAULT_LANGUAGE)}
                      for slug, name in CATEGORIES.items()]}
