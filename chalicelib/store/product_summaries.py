"""A product's listing summary of its offers (best offer snapshot, counts, the totals filters compare),
stored on the product item so that a listing page needs no other read."""

from __future__ import annotations

from chalicelib.domain.catalog import ProductSummary
from chalicelib.store.base import bind, utc_now
from chalicelib.store.products import OfferSnapshot, ProductItem


def save_summary(product_id: str, summary: ProductSummary, best_vendor_name: str | None) -> None:
    bind()
    P = ProductItem
    best = summary.best_offer
    actions = [
        P.offer_count.set(summary.offer_count),
        P.in_stock.set(summary.in_stock),
        P.summary_at.set(utc_now()),
    ]
    optional = [
        (P.best_offer_id, best.offer_id if best else None),
        (P.best_total, summary.best_total),
        (P.listed_total, summary.listed_total),
        (P.min_total, summary.min_total),
        (P.min_price, summary.min_price),
        (P.vendor_ids, set(summary.vendor_ids) or None),
        (P.summary_stale_at, summary.stale_at),
        (P.best_offer, OfferSnapshot(
            offer_id=best.offer_id, vendor_id=best.vendor_id, vendor_name=best_vendor_name or "",
            condition=best.condition, price=best.price.amount, shipping_fee=best.shipping_fee.amount,
            currency=best.price.currency, available=best.available, min_days=best.min_days, max_days=best.max_days,
            list_price=best.list_price.amount if best.list_price else None, promotion_id=best.promotion_id,
        ) if best else None),
    ]
    for attr, value in optional:
        actions.append(attr.remove() if value is None else attr.set(value))
    ProductItem(product_id).update(actions=actions, condition=P.product_id.exists())
