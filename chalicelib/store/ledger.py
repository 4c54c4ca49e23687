"""The vendor ledger in DynamoDB (table `ledger`: pk vendor_id, sk entry_id; GSI by_time on
(vendor_id, at_key = `<at>#<entry_id>`) for pages in time order and period filters).

Append-only: entries are only ever put, by the order repository inside the order's own transaction
(`put_in_transaction`), or alone for an admin's adjustment, which changes no order (`put_new`), each on
condition that its id does not exist, so a retried change writes it once. Nothing here updates or
deletes an entry.
"""

from __future__ import annotations

from collections.abc import Iterator

from pynamodb.attributes import JSONAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.domain.vendor_ledger import LedgerEntry
from chalicelib.store import cursors
from chalicelib.store.base import bind, register

_END = "\uffff"  # sorts after every ISO timestamp: `until` includes its whole day/second


class ByTime(GlobalSecondaryIndex):
    class Meta:
        index_name = "by_time"
        projection = AllProjection()

    vendor_id = UnicodeAttribute(hash_key=True)
    at_key = UnicodeAttribute(range_key=True)


@register
class LedgerEntryModel(Model):
    class Meta:
        short_name = "ledger"

    vendor_id = UnicodeAttribute(hash_key=True)
    entry_id = UnicodeAttribute(range_key=True)  # `<order>:<vendor>:<kind>[:<provider object>]`
    at_key = UnicodeAttribute()  # `<at>#<entry_id>`: unique and in time order
    kind = UnicodeAttribute()
    amount = NumberAttribute()  # signed minor units, the vendor's sign
    currency = UnicodeAttribute()
    order_id = UnicodeAttribute()
    at = UnicodeAttribute()
    provider_object_id = UnicodeAttribute(null=True)
    details = JSONAttribute(null=True)

    by_time = ByTime()


def model_of(entry: LedgerEntry) -> LedgerEntryModel:
    return LedgerEntryModel(entry.vendor_id, entry.entry_id, at_key=f"{entry.at}#{entry.entry_id}", kind=entry.kind,
                            amount=entry.amount, currency=entry.currency, order_id=entry.order_id, at=entry.at,
                            provider_object_id=entry.provider_object_id, details=entry.details or None)


def put_in_transaction(tx, entry: LedgerEntry) -> None:
    """One entry among the writes of an order's transaction: put only where its id does not exist."""
    tx.save(model_of(entry), condition=LedgerEntryModel.entry_id.does_not_exist())


def entry_of(model: LedgerEntryModel) -> LedgerEntry:
    return LedgerEntry(entry_id=model.entry_id, vendor_id=model.vendor_id, kind=model.kind, amount=int(model.amount),
                       currency=model.currency, order_id=model.order_id, at=model.at,
                       provider_object_id=model.provider_object_id, details=dict(model.details or {}))


def _range(since: str | None, until: str | None):
    key = LedgerEntryModel.at_key
    if since and until:
        return key.between(since, until + _END)
    if since:
        return key >= since
    if until:
        return key <= until + _END
    return None


CURSOR_KEYS = ("vendor_id", "entry_id", "at_key")


class DynamoLedger:
    """The ledger port over DynamoDB (the in-memory adapter is chalicelib/store/memory.py's InMemoryLedger)."""

    def page(self, vendor_id: str, *, limit: int, cursor: str | None, since: str | None = None,
             until: str | None = None) -> tuple[list[LedgerEntry], str | None]:
        """One vendor's entries, newest first, within [since, until] (ISO prefixes), one page."""
        bind()
        path = f"ledger:{vendor_id}:{since or ''}:{until or ''}"
        start = cursors.decode(cursor, path, CURSOR_KEYS, {"vendor_id": vendor_id})
        result = LedgerEntryModel.by_time.query(vendor_id, _range(since, until), scan_index_forward=False,
                                                limit=limit, page_size=limit, last_evaluated_key=start)
        entries = [entry_of(m) for m in result]
        last = result.last_evaluated_key
        return entries, cursors.encode(path, last) if last and len(entries) == limit else None

    def entries(self, vendor_id: str, *, since: str | None = None, until: str | None = None) -> Iterator[LedgerEntry]:
        """Every entry of the vendor in time order (balances, the CSV export, the chart)."""
        bind()
        for model in LedgerEntryModel.by_time.query(vendor_id, _range(since, until)):
            yield entry_of(model)

    def put_new(self, entry: LedgerEntry) -> tuple[LedgerEntry, bool]:
        """Put an entry that belongs to no order change (an adjustment) where its id does not exist yet.
        Returns (the stored entry, created): an existing id gives the entry stored under it."""
        from pynamodb.exceptions import PutError

        from chalicelib.store.base import conditional_failed

        bind()
        try:
            model_of(entry).save(condition=LedgerEntryModel.entry_id.does_not_exist())
            return entry, True
        except PutError as err:
            if not conditional_failed(err):
                raise
        return entry_of(LedgerEntryModel.get(entry.vendor_id, entry.entry_id, consistent_read=True)), False

    def all_entries(self) -> Iterator[LedgerEntry]:
        """Every vendor's entries (the admin's reconciliation): a Scan, for an operator's occasional check."""
        bind()
        for model in LedgerEntryModel.scan():
            yield entry_of(model)
