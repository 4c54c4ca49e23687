"""DynamoDB storage of the search index: one item per (term, product) (table `search`, pk term, sk title_key).

A search (chalicelib/services/catalog_search.py) reads the postings of a few terms of the query and
re-scores each product on its real titles and brand (an index item left by a lost create race or an
edit matches nothing).
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from chalicelib.store.base import bind, register


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
