"""The cases table: projections of an order's claims and disputes, for the queues that list them.

A case itself lives on its order (chalicelib/domain/claims.py, `Order.disputes`); the order
repository rewrites these rows in the SAME transaction as the order (chalicelib/store/order_repository.py),
so a queue never shows a case in a state its order does not have. Each case has:

- one `case` row: the admin's queue (sparse `by_admin_queue` index, `<kind>#<bucket>`, bucket
  escalated | open | closed, sorted by `<deadline>#<opened_at>#<case_id>`: the nearest deadline first,
  none last) and, while a claim waits for the vendor's answer, the escalation schedule's deadline
  (sparse `by_answer_due` index, oldest first: no scan);
- one `vendor#<vendor_id>` row per vendor concerned (the claim's vendor; every vendor of a disputed
  order): the vendor's queue (`by_vendor`, `open#...` before `closed#...`).

Rows carry a `summary` (what a list shows) so a listing reads no order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from pynamodb.attributes import JSONAttribute, ListAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.store import cursors
from chalicelib.store.base import bind, register

CASE_ROW = "case"
ANSWER_DUE = "due"  # the one hash key value of by_answer_due
OPEN_DISPUTE_STATUSES = frozenset({"warning_needs_response", "warning_under_review", "needs_response",
                                   "under_review"})


class ByAdminQueue(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_admin_queue"
        projection = AllProjection()

    admin_queue = UnicodeAttribute(hash_key=True)
    queue_key = UnicodeAttribute(range_key=True)


class ByVendor(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_vendor"
        projection = AllProjection()

    vendor_id = UnicodeAttribute(hash_key=True)
    vendor_key = UnicodeAttribute(range_key=True)


class ByAnswerDue(GlobalSecondaryIndex):
    """Sparse: only claims still waiting for the vendor's answer carry its keys."""

    class Meta:
        index_name = "by_answer_due"
        projection = KeysOnlyProjection()

    answer_due = UnicodeAttribute(hash_key=True)
    answer_due_at = UnicodeAttribute(range_key=True)


@register
class CaseModel(Model):
    class Meta:
        short_name = "cases"

    case_id = UnicodeAttribute(hash_key=True)
    row = UnicodeAttribute(range_key=True)  # case | vendor#<vendor_id>
    kind = UnicodeAttribute()  # claim | dispute
    order_id = UnicodeAttribute()
    shopper_id = UnicodeAttribute()
    vendor_ids = ListAttribute(default=list)
    state = UnicodeAttribute()
    summary = JSONAttribute(null=True)
    admin_queue = UnicodeAttribute(null=True)
    queue_key = UnicodeAttribute(null=True)
    vendor_id = UnicodeAttribute(null=True)
    vendor_key = UnicodeAttribute(null=True)
    answer_due = UnicodeAttribute(null=True)
    answer_due_at = UnicodeAttribute(null=True)

    by_admin_queue = ByAdminQueue()
    by_vendor = ByVendor()
    by_answer_due = ByAnswerDue()


# --- rows of an order (written by the order repository's transaction) -----------------------------


NO_DEADLINE = "~"  # sorts after every ISO time: cases without a deadline come last


def _rows(case_id: str, kind: str, order, *, state: str, bucket: str, opened_at: str, vendor_ids: list[str],
          summary: dict, vendor_summaries: dict[str, dict], vendor_open: set[str],
          answer_due_at: str | None) -> list[dict]:
    base = {"case_id": case_id, "kind": kind, "order_id": order.order_id, "shopper_id": order.shopper_id,
            "vendor_ids": vendor_ids, "state": state}
    case = {**base, "row": CASE_ROW, "summary": summary, "admin_queue": f"{kind}#{bucket}",
            "queue_key": f"{summary.get('deadline') or NO_DEADLINE}#{opened_at}#{case_id}"}
    if answer_due_at:
        case.update(answer_due=ANSWER_DUE, answer_due_at=answer_due_at)
    rows = [case]
    for vendor_id in vendor_ids:
        rows.append({**base, "row": f"vendor#{vendor_id}", "summary": vendor_summaries[vendor_id],
                     "vendor_id": vendor_id,
                     "vendor_key": f"{'open' if vendor_id in vendor_open else 'closed'}#{opened_at}#{case_id}"})
    return rows


def case_rows(order) -> list[dict]:
    """Every case row of the order as it is now (claims and disputes)."""
    from chalicelib.domain.claims import claim_summary, dispute_summary

    rows: list[dict] = []
    for claim in order.claims.values():
        bucket = "closed" if not claim.is_open else ("escalated" if claim.state.value == "escalated" else "open")
        summary = claim_summary(order, claim)
        rows += _rows(claim.claim_id, "claim", order, state=claim.state.value, bucket=bucket,
                      opened_at=claim.opened_at, vendor_ids=[claim.vendor_id], summary=summary,
                      vendor_summaries={claim.vendor_id: summary},
                      vendor_open={claim.vendor_id} if claim.is_open or claim.awaits_replacement else set(),
                      answer_due_at=claim.answer_overdue_from)
    for dispute in order.disputes.values():
        is_open = dispute.status in OPEN_DISPUTE_STATUSES
        vendor_ids = sorted(order.vendor_orders)
        summary = dispute_summary(order, dispute)
        rows += _rows(dispute.id, "dispute", order, state=dispute.status, bucket="open" if is_open else "closed",
                      opened_at=summary["opened_at"], vendor_ids=vendor_ids, summary=summary,
                      vendor_summaries={v: dispute_summary(order, dispute, vendor_id=v) for v in vendor_ids},
                      vendor_open=set(vendor_ids) if is_open else set(), answer_due_at=None)
    return rows


def put_rows_in_transaction(tx, rows: list[dict]) -> None:
    """Case rows (`case_rows`: those of the order that changed) among the writes of its transaction
    (after the ledger entries: the repository reads the entries' cancellation reasons by position)."""
    for row in rows:
        tx.save(CaseModel(**row))


# --- queries -------------------------------------------------------------------------------------


def get_case(case_id: str) -> dict | None:
    bind()
    try:
        model = CaseModel.get(case_id, CASE_ROW)
    except CaseModel.DoesNotExist:
        return None
    return _plain(model)


def _plain(model: CaseModel) -> dict:
    return {"case_id": model.case_id, "kind": model.kind, "order_id": model.order_id,
            "shopper_id": model.shopper_id, "vendor_ids": list(model.vendor_ids or ()), "state": model.state,
            "summary": model.summary or {}}


ADMIN_QUEUE_START = "!"  # sorts before every queue key: a queue not read yet


def merge_admin_queues(queues: Sequence[str], limit: int, cursor: str | None,
                       read_after: Callable[[str, str, int], list[tuple[str, dict]]]) -> tuple[list[dict], str | None]:
    """One page of several admin queues (`<kind>#<bucket>`) merged in queue-key order (nearest deadline
    first), and the cursor of the next (None on the last). The cursor keeps, per queue, the last key
    listed from it (cursors.py codec, its path naming the queues): each page reads at most `limit` + 1
    rows of each queue after its key, so no row is listed twice or skipped whatever the mix.
    `read_after(queue, key, n)` gives the queue's first n (queue_key, row) after `key`."""
    path = "admin-cases:" + ",".join(queues)
    start = cursors.decode(cursor, path, queues)
    positions = {queue: start[queue]["S"] if start else ADMIN_QUEUE_START for queue in queues}
    found = sorted((key, queue, row) for queue in queues for key, row in read_after(queue, positions[queue], limit + 1))
    page = found[:limit]
    for key, queue, _ in page:
        positions[queue] = max(positions[queue], key)
    more = len(found) > limit
    return [row for _, _, row in page], cursors.encode(path, {q: {"S": k} for q, k in positions.items()}) if more else None


def admin_queues(queues: Sequence[str], limit: int, cursor: str | None = None) -> tuple[list[dict], str | None]:
    """The admin's cases of `queues`, nearest deadline first, a page at a time (no scan)."""
    bind()

    def read_after(queue: str, key: str, n: int) -> list[tuple[str, dict]]:
        result = CaseModel.by_admin_queue.query(queue, CaseModel.queue_key > key, limit=n, page_size=n)
        return [(m.queue_key, _plain(m)) for m in result]

    return merge_admin_queues(queues, limit, cursor, read_after)


VENDOR_CASE_KEYS = ("case_id", "row", "vendor_id", "vendor_key")


def _vendor_cases_path(open_only: bool) -> str:
    return f"vendor-cases:{'open' if open_only else 'all'}"


def vendor_cases(vendor_id: str, *, open_only: bool, limit: int, cursor: str | None = None) -> tuple[list[dict], str | None]:
    """The vendor's open cases first (newest first), then the closed ones unless `open_only`, a page at
    a time: one descending query, "open#..." sorting after "closed#...", so no merge is needed."""
    bind()
    path = _vendor_cases_path(open_only)
    start = cursors.decode(cursor, path, VENDOR_CASE_KEYS, {"vendor_id": vendor_id})
    condition = CaseModel.vendor_key.startswith("open#") if open_only else None
    result = CaseModel.by_vendor.query(vendor_id, condition, scan_index_forward=False, limit=limit,
                                       page_size=limit, last_evaluated_key=start)
    found = [_plain(m) for m in result]
    last = result.last_evaluated_key
    return found, cursors.encode(path, last) if last else None


def vendor_summary(case_id: str, vendor_id: str) -> dict | None:
    bind()
    try:
        return CaseModel.get(case_id, f"vendor#{vendor_id}").summary
    except CaseModel.DoesNotExist:
        return None


def answers_overdue(now_iso: str, limit: int) -> list[tuple[str, str]]:
    """(case_id, order_id) of claims whose answer deadline passed, oldest first (no scan)."""
    bind()
    keys = list(CaseModel.by_answer_due.query(ANSWER_DUE, CaseModel.answer_due_at <= now_iso, limit=limit,
                                              page_size=limit))
    out = []
    for key in keys:
        case = get_case(key.case_id)
        if case:
            out.append((case["case_id"], case["order_id"]))
    return out


class InMemoryCases:
    """The same queries over an in-memory order store (chalicelib/store/memory.py InMemoryOrders), for
    use-case tests: the rows are computed from the orders as saved, as the transaction writes them."""

    def __init__(self, orders):
        self.orders = orders

    def _rows(self) -> list[dict]:
        return [row for order in self.orders.orders.values() for row in case_rows(order)]

    def get_case(self, case_id: str) -> dict | None:
        return next((self._view(r) for r in self._rows() if r["case_id"] == case_id and r["row"] == CASE_ROW), None)

    @staticmethod
    def _view(row: dict) -> dict:
        return {k: row[k] for k in ("case_id", "kind", "order_id", "shopper_id", "vendor_ids", "state", "summary")}

    def admin_queues(self, queues: Sequence[str], limit: int, cursor: str | None = None) -> tuple[list[dict], str | None]:
        def read_after(queue: str, key: str, n: int) -> list[tuple[str, dict]]:
            rows = sorted((r for r in self._rows() if r.get("admin_queue") == queue and r["queue_key"] > key),
                          key=lambda r: r["queue_key"])
            return [(r["queue_key"], self._view(r)) for r in rows[:n]]

        return merge_admin_queues(queues, limit, cursor, read_after)

    def vendor_cases(self, vendor_id: str, *, open_only: bool, limit: int,
                     cursor: str | None = None) -> tuple[list[dict], str | None]:
        path = _vendor_cases_path(open_only)
        start = cursors.decode(cursor, path, VENDOR_CASE_KEYS, {"vendor_id": vendor_id})
        mine = sorted((r for r in self._rows() if r.get("vendor_id") == vendor_id
                       and (not open_only or r["vendor_key"].startswith("open#"))),
                      key=lambda r: r["vendor_key"], reverse=True)
        if start:
            mine = [r for r in mine if r["vendor_key"] < start["vendor_key"]["S"]]
        page = mine[:limit]
        more = len(mine) > limit
        next_cursor = cursors.encode(path, {k: {"S": page[-1][k]} for k in VENDOR_CASE_KEYS}) if more else None
        return [self._view(r) for r in page], next_cursor

    def answers_overdue(self, now_iso: str, limit: int) -> list[tuple[str, str]]:
        due = sorted((r["answer_due_at"], r["case_id"], r["order_id"]) for r in self._rows()
                     if r.get("answer_due") and r["answer_due_at"] <= now_iso)
        return [(case_id, order_id) for _, case_id, order_id in due[:limit]]
