"""Vendor-orders: one vendor's part of an order (the `vendor-orders` table), listed per order and per vendor.

The aggregate's saves set their state and payout bookkeeping (chalicelib/store/order_repository.py);
chalicelib/store/payout_queue.py reads the retry schedule's index.
"""

from __future__ import annotations

from pynamodb.attributes import (
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.store.attributes import plain
from chalicelib.store.base import bind, register


class ByVendor(GlobalSecondaryIndex):
    """The keys and `status` only: the list filters on the status, then reads each order whole through
    the repository (chalicelib/store/fulfilment_queries.py). A projection of the whole item rewrote the
    index on every save of the vendor-order (1 WRU per KB of it); this image changes only with the status.
    Sparse: its range key `vendor_created` is set when the order is paid (the list shows paid orders only),
    so placing an order and expiring an unpaid one write nothing here."""

    class Meta:
        index_name = "by_vendor"
        projection = IncludeProjection(["status"])

    vendor_id = UnicodeAttribute(hash_key=True)
    vendor_created = UnicodeAttribute(range_key=True)


class ByPayoutDue(GlobalSecondaryIndex):
    """Sparse: only vendor-orders whose payout is due and not transferred yet carry its keys."""

    class Meta:
        index_name = "by_payout_due"
        projection = KeysOnlyProjection()

    payout_due = UnicodeAttribute(hash_key=True)
    payout_due_at = UnicodeAttribute(range_key=True)


PAYOUT_DUE = "due"  # the one hash key value of by_payout_due


class ByReceiptDue(GlobalSecondaryIndex):
    """Sparse: only shipped vendor-orders whose receipt is not confirmed yet, oldest shipment first
    (the auto-confirm schedule reads it; no table scan)."""

    class Meta:
        index_name = "by_receipt_due"
        projection = KeysOnlyProjection()

    receipt_due = UnicodeAttribute(hash_key=True)
    shipped_at = UnicodeAttribute(range_key=True)


RECEIPT_DUE = "due"  # the one hash key value of by_receipt_due


class ByRefundAttention(GlobalSecondaryIndex):
    """Sparse: only vendor-orders with a case refund failed and unresolved, or a transfer reversal
    refused, carry its keys, oldest failure first (the admin's failed-refunds queue; no table scan)."""

    class Meta:
        index_name = "by_refund_attention"
        projection = KeysOnlyProjection()

    refund_attention = UnicodeAttribute(hash_key=True)
    refund_attention_at = UnicodeAttribute(range_key=True)


REFUND_ATTENTION = "failed"  # the one hash key value of by_refund_attention


@register
class VendorOrderModel(Model):
    class Meta:
        short_name = "vendor-orders"

    order_id = UnicodeAttribute(hash_key=True)
    vendor_id = UnicodeAttribute(range_key=True)
    # `created_at#order_id`: sortable per vendor; set once the order is paid (the vendor's list shows no
    # other: chalicelib/store/order_repository.py `_vendor_list_key`), absent before.
    vendor_created = UnicodeAttribute(null=True)
    vendor_name = UnicodeAttribute(null=True)  # the shop's name at checkout (snapshot)
    shopper_id = UnicodeAttribute(null=True)
    created_at = UnicodeAttribute(null=True)
    status = UnicodeAttribute()
    currency = UnicodeAttribute()
    total = NumberAttribute(default=0)  # items - discount + shipping: what the shopper paid this vendor
    items = NumberAttribute(default=0)
    shipping = NumberAttribute(default=0)
    discount = NumberAttribute(default=0)
    commission = NumberAttribute(default=0)
    payout = NumberAttribute(default=0)
    lines = ListAttribute(null=True)  # items placed before the order item was the one copy of the lines
    transfer_id = UnicodeAttribute(null=True)
    delivered_at = UnicodeAttribute(null=True)
    charge_id = UnicodeAttribute(null=True)  # the charge its payout transfers from (payment-events consumer)
    payout_status = UnicodeAttribute(null=True)  # transferred | awaiting_vendor_account | transfer_refused | ...
    # Set (to PAYOUT_DUE) while the payout is due and not transferred; removed once it is settled.
    payout_due = UnicodeAttribute(null=True)
    payout_due_at = UnicodeAttribute(null=True)  # ISO UTC: when the retry schedule may pick it up (oldest first)
    shipping_address = JSONAttribute(null=True)  # items placed before: a copy of the order's (read from it now)
    transferred = NumberAttribute(null=True)  # transferred minus reversed (net); absent before any transfer
    reversals = UnicodeSetAttribute(null=True)  # ids of the transfer reversals already counted in `transferred`
    commission_bps = NumberAttribute(null=True)  # the commission rate frozen at checkout (chalicelib/domain/commissions.py)
    commission_rates = ListAttribute(null=True)  # each line's rate and rule, frozen at checkout: {offer_id, bps, rule}
    # Fulfilment (chalicelib/domain/fulfilment.py)
    accepted_at = UnicodeAttribute(null=True)
    shipped_at = UnicodeAttribute(null=True)
    shipment = JSONAttribute(null=True)  # {carrier, tracking_number, tracking_url}
    receipt_confirmed_at = UnicodeAttribute(null=True)
    receipt_confirmed_by = UnicodeAttribute(null=True)  # shopper | auto
    receipt_due = UnicodeAttribute(null=True)  # RECEIPT_DUE while shipped and not confirmed: by_receipt_due
    cancelled_lines = JSONAttribute(null=True)  # offer_id -> {quantity, refund, reason, at}
    # After-sales refunds (chalicelib/domain/orders.py refund_for_case)
    case_refunds = JSONAttribute(null=True)  # case_id -> {amount, status, refund_id, failure_code, at, ...}
    restocked = JSONAttribute(null=True)  # case_id -> {offer_id: quantity} put back on sale
    reversal_failed = JSONAttribute(null=True)  # {amount, failure_code, at} while a refused reversal is due
    reversal_refusals = NumberAttribute(null=True)  # reversals refused over the order's life: never reset
    refund_commission = UnicodeAttribute(null=True)  # commission policy on refunds, frozen at checkout
    refund_attention = UnicodeAttribute(null=True)  # REFUND_ATTENTION while failed: by_refund_attention
    refund_attention_at = UnicodeAttribute(null=True)
    top_ups = ListAttribute(null=True)  # ids of the top-up transfers after the first (Order.top_ups_due)
    settled_outside = NumberAttribute(null=True)  # legacy sum of outside_settlements (all paid back by the vendor)
    transfer_left = JSONAttribute(null=True)  # transfer id -> what of it is not reversed yet
    top_up_failed = JSONAttribute(null=True)  # {amount, failure_code, at, ...} while a refused top-up is owed
    top_up_refusals = NumberAttribute(null=True)  # top-ups refused over the order's life: never reset
    outside_settlements = JSONAttribute(null=True)  # [{kind, amount, at, note, by}] settled outside the platform
    # The order item's version this item was last written with (in the same transaction): a read that
    # finds a vendor item newer than its order item crossed a save and reads again.
    order_version = NumberAttribute(null=True)

    by_vendor = ByVendor()
    by_payout_due = ByPayoutDue()
    by_receipt_due = ByReceiptDue()
    by_refund_attention = ByRefundAttention()


def _vendor_order_dict(model: VendorOrderModel) -> dict:
    data = plain(model.attribute_values)
    data.setdefault("transfer_id", None)
    data.setdefault("delivered_at", None)
    return data


def list_vendor_orders(order_id: str) -> list[dict]:
    bind()
    return [_vendor_order_dict(m) for m in VendorOrderModel.query(order_id, consistent_read=True)]
