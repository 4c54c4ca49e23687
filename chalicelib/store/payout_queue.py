"""The payout retry queue: vendor-orders whose payout is due, on a sparse index (`by_payout_due`).

The order repository's save keeps the index in step with the aggregate's `payout_due_at`
(chalicelib/store/order_repository.py); the retry schedule reads the oldest first (no table scan).
A payout leaves the queue once transferred (or refused for good).
"""

from __future__ import annotations

from chalicelib.store.base import bind
from chalicelib.store.vendor_orders import PAYOUT_DUE, VendorOrderModel


def list_due_payouts(before_iso: str, limit: int = 50) -> list[tuple[str, str]]:
    """(order_id, vendor_id) of payouts due since before `before_iso`, oldest first (no table scan)."""
    bind()
    result = VendorOrderModel.by_payout_due.query(
        PAYOUT_DUE, VendorOrderModel.payout_due_at <= before_iso, limit=limit, page_size=limit
    )
    return [(item.order_id, item.vendor_id) for item in result]
