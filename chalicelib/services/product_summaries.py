"""A product's listing summary, recomputed from its offers whenever one of them changes, and stored as
the product's listing entry on its best offer (chalicelib/store/listings.py: who holds it, how it moves).

Promotions: the summary ranks the offers at their promoted prices (the best offer may be another
one while a promotion runs) and records `stale_at`, the next start or end of a promotion of its
offers. Nothing runs at that moment: the catalogue's read path (services/catalog.py `browse`)
recomputes a summary whose `stale_at` has passed before showing it, and creating or ending a
promotion recomputes the summaries of the products it targets at once.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterable
from dataclasses import replace

from chalicelib.domain.catalog import ProductSummary, summarise
from chalicelib.domain.ports import OfferCatalogue
from chalicelib.domain.promotions import next_change, promoted_offer
from chalicelib.domain.timestamps import now_iso

SAVE_ATTEMPTS = 10
RETRY_PAUSE_S = 0.02  # times the attempt, jittered: refreshes racing on one product take turns


def retry_pause(attempt: int) -> None:
    time.sleep(random.uniform(0, RETRY_PAUSE_S * (attempt + 1)))  # noqa: S311 (jitter, not a secret)


def refresh_product_summary(product_id: str, written: Iterable = (), names: dict[str, str] | None = None, *,
                            catalogue: OfferCatalogue | None = None) -> ProductSummary:
    """Recompute a product's listing summary from its offers and store it.

    Offers are read through the by_product index, which is eventually consistent, so the offers
    this request just wrote replace whatever the index returned for them. Checkout should call
    this after it changes an offer's stock, so listings do not advertise sold-out offers. When
    another refresh moved the listing entry meanwhile (the store's conditions failed), the offers
    are read again, consistently, and the summary recomputed from them.
    """
    if catalogue is None:
        from chalicelib.services import wiring

        catalogue = wiring.offer_catalogue()
    names = names if names is not None else {}
    items = {o.offer_id: o for o in catalogue.product_offers(product_id)}
    items.update({o.offer_id: o for o in written})
    for attempt in range(SAVE_ATTEMPTS):
        summary = compute_product_summary(product_id, items.values(), catalogue=catalogue, only_written=True)
        best_name = None
        if summary.best_offer is not None:
            vendor_id = summary.best_offer.vendor_id
            if vendor_id not in names:
                names.update(catalogue.vendor_names([vendor_id]))
            best_name = names.get(vendor_id, "")
        if catalogue.save_summary(product_id, summary, best_name, offers=list(items.values())) is not False:
            return summary
        retry_pause(attempt)
        ids = {o.offer_id for o in catalogue.product_offers(product_id, stock=False)} | set(items)
        items = catalogue.get_offers(ids, consistent=True)
    raise RuntimeError(f"the listing of product {product_id} kept moving under {SAVE_ATTEMPTS} refreshes")


def compute_product_summary(product_id: str, written: Iterable = (), *, catalogue: OfferCatalogue,
                            only_written: bool = False) -> ProductSummary:
    """The summary `refresh_product_summary` stores, without storing it. `only_written`: `written` are all
    the product's offers (an import's new listings, or offers the caller read), so the index is not queried."""
    items = {} if only_written else {o.offer_id: o for o in catalogue.product_offers(product_id)}
    items.update({o.offer_id: o for o in written})
    # The vendor-level gate (approved, payouts ready, not suspended): other vendors' offers are not listed.
    selling = catalogue.selling_vendors({o.vendor_id for o in items.values()})
    items = {offer_id: o for offer_id, o in items.items() if o.vendor_id in selling}
    # An adapter without promotions (the in-memory one of the use-case tests) lists none.
    current_promotions = getattr(catalogue, "current_promotions", None)
    now = now_iso()
    promotions = current_promotions({o.vendor_id for o in items.values()}, now) if current_promotions else []
    summary = summarise(promoted_offer(o.to_offer(), promotions, now) for o in items.values())
    return replace(summary, stale_at=next_change(promotions, now))


def migrate_listings(product_ids: Iterable[str] | None = None) -> int:
    """One-off migration of items written before the listing moved onto offers (2026-11): refresh the
    listing entry (onto its best offer) of every product still carrying a summary of before (or of
    `product_ids`) and drop the summary attributes its item carried. Idempotent; returns the products
    done. The local stack runs it when it restores data saved before (devstack/runner.py)."""
    from chalicelib.store import listings

    done = 0
    for product_id in product_ids if product_ids is not None else listings.products_with_old_summary():
        refresh_product_summary(product_id)
        listings.drop_product_summary(product_id)
        done += 1
    return done
