"""The two reads fulfilment needs from the vendor-orders table, both on indexes (no scan):

* a vendor's own sub-orders, newest first (`by_vendor`, optional status filter, paged with the one
  cursor codec); each page's orders are then read whole through the order repository, so the
  vendor sees the same aggregate the rules act on;
* the shipped sub-orders still awaiting the shopper's receipt, oldest shipment first (the sparse
  `by_receipt_due` index, which the order repository's save keeps in step): the auto-confirm
  schedule's queue.
"""

from __future__ import annotations

from chalicelib.store.base import bind
from chalicelib.store.cursors import collect_page
from chalicelib.store.cursors import decode as decode_cursor
from chalicelib.store.vendor_orders import RECEIPT_DUE, VendorOrderModel

# Sub-order states a vendor works on (never `pending_payment`: an unpaid order is not the vendor's yet).
VISIBLE_STATES = ("placed", "accepted", "shipped", "delivered", "cancelled")


def list_receipt_due(shipped_before_iso: str, limit: int = 50) -> list[tuple[str, str]]:
    """(order_id, vendor_id) shipped before `shipped_before_iso` and not confirmed received, oldest first."""
    bind()
    result = VendorOrderModel.by_receipt_due.query(
        RECEIPT_DUE, VendorOrderModel.shipped_at <= shipped_before_iso, limit=limit, page_size=limit)
    return [(item.order_id, item.vendor_id) for item in result]


def list_vendor_orders(orders, vendor_id: str, *, status: str | None, limit: int, cursor: str | None):
    """(orders, next cursor): the vendor's paid orders, newest first. `orders` is the order repository."""
    bind()
    path, key_names = f"vendor-orders:{vendor_id}", ("order_id", "vendor_id", "vendor_created")
    start = decode_cursor(cursor, path, key_names, {"vendor_id": vendor_id})
    wanted = (status,) if status else VISIBLE_STATES
    iterator = VendorOrderModel.by_vendor.query(
        vendor_id, scan_index_forward=False, filter_condition=VendorOrderModel.status.is_in(*wanted),
        last_evaluated_key=start, page_size=limit + 1)

    def resolve(raws: list[dict]) -> list:
        found = []
        for raw in raws:
            order = orders.get(raw["order_id"]["S"])
            paid = order is not None and order.status.value == "paid" and vendor_id in order.vendor_orders
            found.append(order if paid else None)
        return found

    return collect_page(iterator.page_iter, path, key_names, limit, resolve)
