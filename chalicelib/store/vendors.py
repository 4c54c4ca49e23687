"""DynamoDB storage of the vendors (table `vendors`, pk vendor_id): shop names and payout accounts."""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.attributes import UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from chalicelib.store.base import bind, conditional_failed, register, utc_now


@register
class VendorItem(Model):
    class Meta:
        short_name = "vendors"
        table_name = None
        region = None

    vendor_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    # The vendor's Stripe Connect account that receives payouts; set once onboarding completed.
    stripe_account_id = UnicodeAttribute(null=True)


def get_vendor(vendor_id: str) -> VendorItem | None:
    """Strongly consistent: a vendor who just signed up can sell at once."""
    bind()
    try:
        return VendorItem.get(vendor_id, consistent_read=True)
    except VendorItem.DoesNotExist:
        return None


def set_vendor_payout_account(vendor_id: str, account_id: str) -> None:
    """Record the connected account payouts go to (the vendor must exist)."""
    bind()
    VendorItem(vendor_id).update(
        actions=[VendorItem.stripe_account_id.set(account_id)], condition=VendorItem.vendor_id.exists()
    )


def put_vendor(vendor_id: str, name: str) -> tuple[VendorItem, bool]:
    """Create the vendor if it does not exist, else rename it if the name changed. Returns (item, created)."""
    bind()
    item = VendorItem(vendor_id, name=name, created_at=utc_now())
    try:
        item.save(condition=VendorItem.vendor_id.does_not_exist())
        return item, True
    except PutError as err:
        if not conditional_failed(err):
            raise
    existing = VendorItem.get(vendor_id, consistent_read=True)
    if existing.name != name:
        existing.update(actions=[VendorItem.name.set(name)])
    return existing, False


def vendor_names(vendor_ids: Iterable[str]) -> dict[str, str]:
    bind()
    ids = sorted(set(vendor_ids))
    if not ids:
        return {}
    return {v.vendor_id: v.name for v in VendorItem.batch_get(ids)}
