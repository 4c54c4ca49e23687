"""DynamoDB storage of the search index: one item per (term, product) (table `search`, pk term, sk title_key).

A search reads the postings of one term of the query, in title order, and re-checks each product's
title and brand against every word (an index item left by a lost create race matches nothing).
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from chalicelib.domain import search as search_rules
from chalicelib.domain.catalog import BrowseFilters, summary_matches
from chalicelib.store.base import bind, register
from chalicelib.store.cursors import collect_page
from chalicelib.store.cursors import decode as decode_cursor
from chalicelib.store.products import ProductItem, get_products

SEARCH_PAGE_SIZE = 50


@register
class SearchItem(Model):
    class Meta:
        short_name = "search"
        table_name = None
        region = None

    term = UnicodeAttribute(hash_key=True)
    title_key = UnicodeAttribute(range_key=True)
    product_id = UnicodeAttribute()


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


def postings(terms: Iterable[str], budget: int) -> list[str]:
    """The product ids indexed under any of `terms`, in term order then title order, at most `budget` items read.

    Each term is one Query on its own partition (never a scan).
    """
    bind()
    found: dict[str, None] = {}
    read = 0
    for term in dict.fromkeys(terms):
        for item in SearchItem.query(term, page_size=min(budget, 100), limit=budget - read):
            read += 1
            found.setdefault(item.product_id, None)
        if read >= budget:
            break
    return list(found)


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

    return collect_page(iterator.page_iter, path, key_names, limit, resolve)
