"""Return requests' queues: the `returns` table holds one PROJECTION item per return request.

The return itself lives on the order aggregate (`Order.returns`, saved in the order item); the
order repository's save writes the projection of each return the change touched in the SAME
transaction as the order (conditional on the order's version), so a queue never shows a state
the order did not reach. Every read below is an index query, never a scan:

* `by_vendor`  (vendor_id, vendor_queue = `<state>#<deadline>#<return_id>`): a vendor's returns by
  state, the most urgent first (the answer deadline while requested, else when it was asked);
* `by_shopper` (shopper_id, requested_at): a shopper's returns, newest first;
* `by_admin_queue` (admin_queue = `escalated` | `refund_failed`, queued_at): sparse, the platform's
  queue of returns it must decide or resolve;
* `by_answer_due` (answer_due = `due`, answer_due_at): sparse, requested returns still unanswered:
  the escalation schedule reads those past their deadline.
"""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.domain.returns import ReturnRequest, ReturnState
from chalicelib.store import cursors
from chalicelib.store.base import bind, register

ANSWER_DUE = "due"
ADMIN_STATES = (ReturnState.ESCALATED.value, ReturnState.REFUND_FAILED.value)


class ByVendor(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_vendor"
        projection = AllProjection()

    vendor_id = UnicodeAttribute(hash_key=True)
    vendor_queue = UnicodeAttribute(range_key=True)


class ByShopper(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_shopper"
        projection = AllProjection()

    shopper_id = UnicodeAttribute(hash_key=True)
    requested_at = UnicodeAttribute(range_key=True)


class ByAdminQueue(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_admin_queue"
        projection = AllProjection()

    admin_queue = UnicodeAttribute(hash_key=True)
    queued_at = UnicodeAttribute(range_key=True)


class ByAnswerDue(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_answer_due"
        projection = AllProjection()

    answer_due = UnicodeAttribute(hash_key=True)
    answer_due_at = UnicodeAttribute(range_key=True)


@register
class ReturnModel(Model):
    class Meta:
        short_name = "returns"

    return_id = UnicodeAttribute(hash_key=True)
    order_id = UnicodeAttribute()
    vendor_id = UnicodeAttribute()
    shopper_id = UnicodeAttribute()
    state = UnicodeAttribute()
    requested_at = UnicodeAttribute()
    answer_due_at = UnicodeAttribute()
    vendor_queue = UnicodeAttribute()
    admin_queue = UnicodeAttribute(null=True)
    queued_at = UnicodeAttribute(null=True)
    answer_due = UnicodeAttribute(null=True)

    by_vendor = ByVendor()
    by_shopper = ByShopper()
    by_admin_queue = ByAdminQueue()
    by_answer_due = ByAnswerDue()


def projection(ret: ReturnRequest) -> ReturnModel:
    """The queue item of one return as its order now has it."""
    state = ret.state.value
    deadline = ret.answer_due_at if ret.awaiting_answer else ret.requested_at
    queued = ret.escalated_at or ret.requested_at
    if ret.state is ReturnState.REFUND_FAILED and ret.timeline:
        queued = ret.timeline[-1]["at"]
    return ReturnModel(ret.return_id, order_id=ret.order_id, vendor_id=ret.vendor_id, shopper_id=ret.shopper_id,
                       state=state, requested_at=ret.requested_at, answer_due_at=ret.answer_due_at,
                       vendor_queue=f"{state}#{deadline}#{ret.return_id}",
                       admin_queue=state if state in ADMIN_STATES else None,
                       queued_at=queued if state in ADMIN_STATES else None,
                       answer_due=ANSWER_DUE if ret.awaiting_answer else None)


def order_of(return_id: str) -> str | None:
    """The order a return belongs to (the aggregate is then read whole)."""
    bind()
    try:
        return ReturnModel.get(return_id).order_id
    except ReturnModel.DoesNotExist:
        return None


Page = tuple[list[tuple[str, str]], "str | None"]  # ((order_id, return_id) pairs, the next page's cursor)


def _page(result, path: str) -> Page:
    found = [(item.order_id, item.return_id) for item in result]
    last = result.last_evaluated_key
    return found, cursors.encode(path, last) if last else None


def vendor_returns(vendor_id: str, *, state: str | None, limit: int, cursor: str | None = None) -> Page:
    """(order_id, return_id) of a vendor's returns, in `state` (most urgent first) or all of them."""
    bind()
    path = f"vendor-returns:{state or 'all'}"
    start = cursors.decode(cursor, path, ("return_id", "vendor_id", "vendor_queue"), {"vendor_id": vendor_id})
    condition = ReturnModel.vendor_queue.startswith(f"{state}#") if state else None
    return _page(ReturnModel.by_vendor.query(vendor_id, condition, limit=limit, page_size=limit,
                                             last_evaluated_key=start), path)


def shopper_returns(shopper_id: str, *, limit: int, cursor: str | None = None) -> Page:
    bind()
    path = "shopper-returns"
    start = cursors.decode(cursor, path, ("return_id", "shopper_id", "requested_at"), {"shopper_id": shopper_id})
    return _page(ReturnModel.by_shopper.query(shopper_id, scan_index_forward=False, limit=limit, page_size=limit,
                                              last_evaluated_key=start), path)


def admin_queue(state: str, *, limit: int, cursor: str | None = None) -> Page:
    """Returns waiting for the platform in `state` (escalated | refund_failed), oldest first."""
    bind()
    path = f"admin-returns:{state}"
    start = cursors.decode(cursor, path, ("return_id", "admin_queue", "queued_at"), {"admin_queue": state})
    return _page(ReturnModel.by_admin_queue.query(state, limit=limit, page_size=limit, last_evaluated_key=start),
                 path)


def answer_overdue(now_iso: str, *, limit: int) -> list[tuple[str, str]]:
    """(order_id, return_id) still unanswered whose deadline passed, oldest deadline first."""
    bind()
    result = ReturnModel.by_answer_due.query(ANSWER_DUE, ReturnModel.answer_due_at <= now_iso, limit=limit,
                                             page_size=limit)
    return [(item.order_id, item.return_id) for item in result]
