"""A product's listing summary, recomputed from its offers whenever one of them changes."""

from __future__ import annotations

from collections.abc import Iterable

from chalicelib.domain.catalog import ProductSummary, summarise
from chalicelib.domain.ports import OfferCatalogue


def refresh_product_summary(product_id: str, written: Iterable = (), names: dict[str, str] | None = None, *,
                            catalogue: OfferCatalogue | None = None) -> ProductSummary:
    """Recompute a product's listing summary from its offers and store it.

    Offers are read through the by_product index, which is eventually consistent, so the offers
    this request just wrote replace whatever the index returned for them. Checkout should call
    this after it changes an offer's stock, so listings do not advertise sold-out offers.
    """
    if catalogue is None:
        from chalicelib.services import wiring

        catalogue = wiring.offer_catalogue()
    items = {o.offer_id: o for o in catalogue.product_offers(product_id)}
    items.update({o.offer_id: o for o in written})
    # The vendor-level gate (approved, payouts ready, not suspended): other vendors' offers are not listed.
    selling = catalogue.selling_vendors({o.vendor_id for o in items.values()})
    summary = summarise(o.to_offer() for o in items.values() if o.vendor_id in selling)
    best_name = None
    if summary.best_offer is not None:
        vendor_id = summary.best_offer.vendor_id
        names = names if names is not None else {}
        if vendor_id not in names:
            names.update(catalogue.vendor_names([vendor_id]))
        best_name = names.get(vendor_id, "")
    catalogue.save_summary(product_id, summary, best_name)
    return summary
