"""The ranked catalogue listing: search (French and English, plurals, one typo per word), sort by
relevance, total price or newest, facets with counts, a suggestion, breadcrumbs.

Candidates come from the search index (a few Query calls on its term partitions, see
chalicelib/domain/search.py) or, without a query, from the categories' listing (chalicelib/store/
listings.py: the products' by_category index joined with their listing entries): never a table scan. At most `MAX_CANDIDATES` products are read; the listing is then ranked, counted
and cut into pages in memory (pure rules: chalicelib/domain/listing.py). The page cursor is an
offset tied to the exact query, filters, sort and language.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

from chalicelib.domain import listing as listing_rules
from chalicelib.domain import search as search_rules
from chalicelib.domain.catalog import CATEGORIES, BrowseFilters, summary_matches
from chalicelib.domain.localized import CATALOGUE_LABEL, category_name, category_names_all
from chalicelib.store import cursors, listings, search_index
from chalicelib.store import products as products_store

MAX_CANDIDATES = search_rules.MAX_CANDIDATES


# --- candidates -------------------------------------------------------------------------

def _document(item: products_store.ProductItem) -> search_rules.SearchDocument:
    titles = [item.title, *(t.get("title", "") for t in item.translations_dict.values())]
    names = category_names_all(item.category, CATEGORIES.get(item.category, ""))
    return search_rules.SearchDocument.of(item.product_id, titles, item.brand, names)


@dataclasses.dataclass
class SearchOutcome:
    """A catalogue search's page, with its scores and any correction offered."""

    items: list  # listings.ListedProduct
    scores: dict  # product_id -> Scored
    did_you_mean: str | None = None
    relaxed: bool = False  # the items do not match every word: they match `did_you_mean`
    truncated: bool = False


def search(q: str) -> SearchOutcome:
    """The products matching every word of `q` (stem, prefix or one typo), else the best partial matches."""
    query = search_rules.parse_query(q)
    if not query.can_match:
        return SearchOutcome([], {})
    found: dict[str, products_store.ProductItem] = {}
    scores: dict[str, search_rules.Scored] = {}
    budget = cursors.READ_BUDGET
    complete = False
    for word in query.lookup_words:
        for terms in ([search_rules.lookup_term(word)], search_rules.typo_keys(word)):
            if not terms or budget <= 0 or len(found) >= MAX_CANDIDATES:
                continue
            ids = search_index.postings(terms, budget)
            budget -= len(ids)
            new = [i for i in ids if i not in found][:MAX_CANDIDATES - len(found)]
            for item in products_store.get_products(new).values():
                found[item.product_id] = item
                scores[item.product_id] = search_rules.score(query, _document(item))
            complete = any(s.matches_all(query) for s in scores.values())
            if complete:
                break
        if complete:
            break
    truncated = len(found) >= MAX_CANDIDATES or budget <= 0
    full = [found[p] for p, s in scores.items() if s.matches_all(query)]
    if full:
        corrected = [scores[i.product_id] for i in full if scores[i.product_id].corrections]
        return SearchOutcome(_listed_products(full), scores, search_rules.suggestion(query, corrected), False,
                             truncated)
    partial = [p for p, s in scores.items() if s.matched]
    if partial:
        most = max(len(scores[p].matched) for p in partial)
        best = [p for p in partial if len(scores[p].matched) == most]
        return SearchOutcome(_listed_products([found[p] for p in best]), scores,
                             search_rules.suggestion(query, [scores[p] for p in best]), True, truncated)
    return SearchOutcome([], scores, _prefix_suggestion(query), False, truncated)


def _listed_products(products: list) -> list:
    """The matching products with their listing entries (one key lookup each: they come in any order)."""
    entries = listings.listings_of(products)
    return [entries[p.product_id] for p in products]


def _prefix_suggestion(query: search_rules.SearchQuery) -> str | None:
    """Nothing matched at all: the product word closest to the longest query word, found by its first letters."""
    for word in query.lookup_words[:1]:
        for size in (4, 3):
            if len(word) <= size:
                continue
            ids = search_index.postings([word[:size]], 50)
            if ids:
                items = products_store.get_products(ids).values()
                vocabulary = [w for item in items for w in _document(item).title_words if w.startswith(word[:size])]
                return search_rules.closest_word(word, vocabulary)
    return None


def _category_candidates(category: str | None) -> tuple[list, bool]:
    """A category's listing, or every category's (in turn), at most MAX_CANDIDATES products."""
    items: list = []
    for slug in [category] if category else list(CATEGORIES):
        page, cursor = listings.browse(BrowseFilters(category=slug), MAX_CANDIDATES - len(items), None)
        items.extend(page)
        if len(items) >= MAX_CANDIDATES:
            return items, True
        if cursor:
            return items, True
    return items, False


# --- the listing ------------------------------------------------------------------------

def _listed(item: listings.ListedProduct, score: float) -> listing_rules.Listed:
    snap = item.best_offer if item.in_stock else None
    total = int(item.listed_total) if item.listed_total is not None and item.in_stock else None
    return listing_rules.Listed(
        product_id=item.product_id, title=item.title, brand=item.brand, category=item.category,
        condition=snap.condition if snap is not None else None, total=total, in_stock=bool(item.in_stock),
        created_at=item.created_at.isoformat() if item.created_at else "", score=score)


def _cursor_path(filters: BrowseFilters, sort: str, selected: dict, lang: str) -> str:
    state = json.dumps([dataclasses.asdict(filters), sort, selected, lang], sort_keys=True, default=str)
    return "listing:" + hashlib.sha256(state.encode()).hexdigest()[:16]


def _offset(cursor: str | None, path: str) -> int:
    key = cursors.decode(cursor, path, ("offset",))
    if key is None:
        return 0
    text = key["offset"]["S"]
    if not text.isdigit() or len(text) > 6:
        raise cursors.invalid("malformed")
    return int(text)


def ranked_listing(filters: BrowseFilters, size: int, cursor: str | None, *, lang: str, sort: str | None = None,
                   brand: str | None = None, condition: str | None = None, price_band: str | None = None) -> dict:
    from chalicelib.services.catalog import _fresh, product_summary_view

    q = (filters.q or "").strip()
    sort = sort or "relevance"
    selected = {"category": filters.category, "brand": brand, "condition": condition, "price_band": price_band}
    listing_rules.check_selection(selected)
    listing_rules.sorted_items([], sort)  # a wrong sort is a 400 before any read
    path = _cursor_path(filters, sort, selected, lang)
    offset = _offset(cursor, path)
    if q:
        outcome = search(q)
    else:
        items, truncated = _category_candidates(filters.category)
        outcome = SearchOutcome(items, {}, truncated=truncated)
    rest = dataclasses.replace(filters, category=None, q=None)  # category is a facet here
    by_id = {}
    candidates = []
    for item in outcome.items:
        if summary_matches(rest, category=item.category, vendor_ids=item.vendor_ids or (),
                           in_stock=item.in_stock, listed_total=item.listed_total):
            scored = outcome.scores.get(item.product_id)
            candidates.append(_listed(item, scored.score if scored else 0.0))
            by_id[item.product_id] = item
    chosen = listing_rules.sorted_items(listing_rules.apply_selection(candidates, selected), sort)
    page, next_offset = listing_rules.page(chosen, offset, size)
    facets = listing_rules.facet_counts(candidates, selected)
    for entry in facets["category"]:
        entry["label"] = category_name(entry["value"], CATEGORIES.get(entry["value"], entry["value"]), lang)
    crumbs = listing_rules.breadcrumbs(
        filters.category,
        category_name(filters.category, CATEGORIES[filters.category], lang) if filters.category else None,
        q, CATALOGUE_LABEL.get(lang, "Catalogue"))
    return {
        "items": [product_summary_view(p, lang) for p in _fresh([by_id[i.product_id] for i in page])],
        "next_cursor": cursors.encode(path, {"offset": {"S": str(next_offset)}}) if next_offset else None,
        "total": len(chosen),
        "sort": sort,
        "facets": facets,
        "did_you_mean": outcome.did_you_mean,
        "relaxed": outcome.relaxed,
        "truncated": outcome.truncated,
        "breadcrumbs": crumbs,
        "lang": lang,
    }
