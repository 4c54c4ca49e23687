"""Vendors' stock adjustments (a signed delta), applied once per Idempotency-Key.

The key's record (table `idempotency`, the one Powertools uses, TTL `expiration`) is put in the
same transaction as the offer update.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.store.base import bind, register, utc_now
from chalicelib.store.offers import OfferItem

ADJUSTMENT_RETENTION = timedelta(days=7)


@register
class StockAdjustmentItem(Model):
    """One applied stock adjustment, keyed by the vendor's Idempotency-Key (shares Powertools' table)."""

    class Meta:
        short_name = "idempotency"
        table_name = None
        region = None

    id = UnicodeAttribute(hash_key=True)  # "stock-adjustment#<vendor_id>#<Idempotency-Key>"
    expiration = TTLAttribute()
    offer_id = UnicodeAttribute()
    vendor_id = UnicodeAttribute()
    delta = NumberAttribute()
    reason = UnicodeAttribute()
    applied_at = UTCDateTimeAttribute()


@dataclass(frozen=True)
class AdjustmentOutcome:
    """`applied` is False when the key was already used: `record` is then the earlier adjustment."""

    record: StockAdjustmentItem | None
    applied: bool
    offer_refused: bool = False  # the offer's condition failed (gone, not the vendor's, or not enough units)


def adjustment_id(vendor_id: str, key: str) -> str:
    return f"stock-adjustment#{vendor_id}#{key}"


def get_adjustment(vendor_id: str, key: str) -> StockAdjustmentItem | None:
    bind()
    try:
        return StockAdjustmentItem.get(adjustment_id(vendor_id, key), consistent_read=True)
    except StockAdjustmentItem.DoesNotExist:
        return None


def adjust_stock(offer_id: str, vendor_id: str, delta: int, reason: str, key: str, *, max_available: int) -> AdjustmentOutcome:
    """Add `delta` to the units available (and so on hand), once per (vendor, key): ONE transaction.

    The key's record is put under `attribute_not_exists(id)` together with the offer update
    `available += delta` under `available >= -delta` (never below 0) or `available <= max - delta`;
    either both happen or neither. The version moves, so an If-Match from before is stale.
    """
    bind()
    Off = OfferItem
    now = utc_now()
    record = StockAdjustmentItem(adjustment_id(vendor_id, key), expiration=now + ADJUSTMENT_RETENTION,
                                 offer_id=offer_id, vendor_id=vendor_id, delta=delta, reason=reason, applied_at=now)
    bound = (Off.available >= -delta) if delta < 0 else (Off.available <= max_available - delta)
    try:
        with TransactWrite(connection=OfferItem._get_connection().connection) as tx:
            tx.save(record, condition=StockAdjustmentItem.id.does_not_exist())
            tx.update(
                OfferItem(offer_id),
                actions=[Off.available.add(delta), Off.version.add(1), Off.updated_at.set(now)],
                condition=Off.offer_id.exists() & (Off.vendor_id == vendor_id) & bound,
                add_version_condition=False,
            )
    except TransactWriteError as exc:
        reasons = list(exc.cancellation_reasons or []) + [None, None]
        if reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
            return AdjustmentOutcome(get_adjustment(vendor_id, key), applied=False)
        if reasons[1] is not None and reasons[1].code == "ConditionalCheckFailed":
            return AdjustmentOutcome(None, applied=False, offer_refused=True)
        raise
    return AdjustmentOutcome(record, applied=True)
