"""The payout retry queue: vendor-orders whose payout is due, on a sparse index (`by_payout_due`).

The retry schedule reads the oldest first (no table scan); a payout leaves the queue once transferred
(or refused for good).
"""

from __future__ import annotations

from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.store.base import bind
from chalicelib.store.vendor_orders import PAYOUT_DUE, VendorOrderModel


def mark_payout_due(order_id: str, vendor_id: str, at: str, *, requeue: bool = False, **fields: Any) -> bool:
    """Put the vendor-order's payout on the retry schedule's index (by_payout_due), with `fields`.

    Never for a payout already transferred (condition `transfer_id` absent). `at` is kept when it
    was due already, unless `requeue` (a retry that leaves it due moves it to the back of the
    queue, so vendors who never onboard cannot starve the others out of the bounded batch).
    Returns False, changing nothing, when the payout was transferred meanwhile (or the row is gone).
    """
    bind()
    due_at = VendorOrderModel.payout_due_at
    actions = [VendorOrderModel.payout_due.set(PAYOUT_DUE), due_at.set(at if requeue else (due_at | at))]
    actions += [getattr(VendorOrderModel, name).set(value) for name, value in fields.items()]
    try:
        VendorOrderModel(order_id, vendor_id).update(
            actions=actions,
            condition=VendorOrderModel.order_id.exists() & VendorOrderModel.transfer_id.does_not_exist(),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def list_due_payouts(before_iso: str, limit: int = 50) -> list[tuple[str, str]]:
    """(order_id, vendor_id) of payouts due since before `before_iso`, oldest first (no table scan)."""
    bind()
    result = VendorOrderModel.by_payout_due.query(
        PAYOUT_DUE, VendorOrderModel.payout_due_at <= before_iso, limit=limit, page_size=limit
    )
    return [(item.order_id, item.vendor_id) for item in result]
