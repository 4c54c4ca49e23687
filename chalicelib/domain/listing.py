"""Sorting, facets and breadcrumbs of a catalogue listing (search results or a category), pure.

A listing is computed in memory over a bounded set of candidates (chalicelib/domain/search.py
`MAX_CANDIDATES`): facets count what the other selected facets leave (selecting a brand still
shows the other brands' counts), the sort orders, then a page is cut by offset.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from chalicelib.domain.errors import InvalidInput

SORTS = ("relevance", "price", "newest")

# Price bands on the total the listing shows (best offer: price + delivery), in minor units.
PRICE_BANDS: tuple[tuple[str, int, int | None], ...] = (
    ("0-20", 0, 2000),
    ("20-50", 2000, 5000),
    ("50-100", 5000, 10000),
    ("100-200", 10000, 20000),
    ("200+", 20000, None),
)
FACETS = ("category", "brand", "condition", "price_band")


@dataclass(frozen=True)
class Listed:
    """One candidate product as the listing sees it."""

    product_id: str
    title: str
    brand: str
    category: str
    condition: str | None  # the best offer's condition; None when nothing is in stock
    total: int | None  # the best offer's total (price + delivery), minor units
    in_stock: bool
    created_at: str  # ISO UTC
    score: float = 0.0


def price_band(total: int | None) -> str | None:
    if total is None:
        return None
    return next((name for name, low, high in PRICE_BANDS if total >= low and (high is None or total < high)), None)


def facet_value(item: Listed, facet: str) -> str | None:
    return {"category": item.category, "brand": item.brand, "condition": item.condition,
            "price_band": price_band(item.total)}[facet]


def check_selection(selected: Mapping[str, str | None]) -> None:
    bands = {name for name, _, _ in PRICE_BANDS}
    band = selected.get("price_band")
    if band is not None and band not in bands:
        raise InvalidInput("The price band is invalid.", code="validation_error",
                           fields={"price_band": f"one of {', '.join(bands)}"})


def _keep(item: Listed, selected: Mapping[str, str | None], but: str | None = None) -> bool:
    return all(value is None or name == but or facet_value(item, name) == value for name, value in selected.items())


def facet_counts(items: Iterable[Listed], selected: Mapping[str, str | None]) -> dict[str, list[dict]]:
    """Per facet, each value with how many items have it once the OTHER facets' selections apply."""
    items = list(items)
    out: dict[str, list[dict]] = {}
    for facet in FACETS:
        counts: dict[str, int] = {}
        for item in items:
            value = facet_value(item, facet)
            if value is not None and _keep(item, selected, but=facet):
                counts[value] = counts.get(value, 0) + 1
        if facet == "price_band":
            order = [name for name, _, _ in PRICE_BANDS]
            keys = sorted(counts, key=order.index)
        else:
            keys = sorted(counts, key=lambda v: (-counts[v], v))
        out[facet] = [{"value": v, "count": counts[v], "selected": selected.get(facet) == v} for v in keys]
    return out


def apply_selection(items: Iterable[Listed], selected: Mapping[str, str | None]) -> list[Listed]:
    return [i for i in items if _keep(i, selected)]


def sort_key(sort: str) -> Callable[[Listed], tuple]:
    """Unavailable products always go last; the title (then id) breaks ties, so pages are stable."""
    if sort == "price":
        return lambda i: (not i.in_stock, i.total is None, i.total or 0, i.title.casefold(), i.product_id)
    if sort == "newest":
        return lambda i: (not i.in_stock, _desc(i.created_at), i.title.casefold(), i.product_id)
    return lambda i: (not i.in_stock, -i.score, i.title.casefold(), i.product_id)


def _desc(text: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in text)


def sorted_items(items: Iterable[Listed], sort: str) -> list[Listed]:
    if sort not in SORTS:
        raise InvalidInput("The sort is invalid.", code="validation_error", fields={"sort": f"one of {', '.join(SORTS)}"})
    return sorted(items, key=sort_key(sort))


def page(items: Sequence[Listed], offset: int, limit: int) -> tuple[list[Listed], int | None]:
    """The page at `offset` and the next offset (None on the last page)."""
    chunk = list(items[offset:offset + limit])
    return chunk, offset + limit if offset + limit < len(items) else None


def breadcrumbs(category: str | None, category_name: str | None, query: str | None,
                catalogue_label: str) -> list[dict]:
    """Catalogue > category > "query": what the page shows, each crumb a link but the last."""
    crumbs = [{"label": catalogue_label, "category": None, "q": None}]
    if category:
        crumbs.append({"label": category_name or category, "category": category, "q": None})
    if query and query.strip():
        crumbs.append({"label": f"“{query.strip()}”", "category": category, "q": query.strip()})
    return crumbs
