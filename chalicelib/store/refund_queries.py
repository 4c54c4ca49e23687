"""The admin's failed-refunds queue: vendor-orders with a case refund failed and unresolved, a
transfer reversal refused or a top-up transfer refused, on the sparse `by_refund_attention` index (the order repository's save
keeps it in step with the aggregate; oldest failure first; no table scan)."""

from __future__ import annotations

from chalicelib.store import cursors
from chalicelib.store.base import bind
from chalicelib.store.vendor_orders import REFUND_ATTENTION, VendorOrderModel

_PATH = "refund-attention"
_KEYS = ("order_id", "vendor_id", "refund_attention", "refund_attention_at")


def list_refund_attention(limit: int = 50, cursor: str | None = None) -> tuple[list[tuple[str, str]], str | None]:
    """((order_id, vendor_id) oldest failure first, next cursor or None)."""
    bind()
    start = cursors.decode(cursor, _PATH, _KEYS, {"refund_attention": REFUND_ATTENTION})
    result = VendorOrderModel.by_refund_attention.query(REFUND_ATTENTION, limit=limit, page_size=limit,
                                                        last_evaluated_key=start)
    found = [(item.order_id, item.vendor_id) for item in result]
    last = result.last_evaluated_key
    return found, cursors.encode(_PATH, last) if last else None
