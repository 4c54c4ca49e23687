"""DynamoDB storage of vendors' offer imports (table `imports`, pk vendor_id, sk key).

Per vendor, three kinds of items:
- `job#<import_id>`: the import (file name, content hash, counters). Import ids start with the
  creation time, so a query in descending key order lists the newest first;
- `latest`: the vendor's last import (id and content hash): uploading the same file again while it
  is the latest gives back that import instead of a second one (a double click, a retried upload);
- `chunk#<import_id>#<nnnn>`: a processed chunk and its row errors. Put in the same transaction as
  the job's counters, under `attribute_not_exists`: a redelivered chunk counts once.

Every key starts with the vendor id, so one vendor's ids never reach another vendor's items.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.domain.imports import RowError
from chalicelib.store.base import bind, register, utc_now
from chalicelib.store.cursors import collect_page
from chalicelib.store.cursors import decode as decode_cursor

LATEST = "latest"


@register
class ImportItem(Model):
    class Meta:
        short_name = "imports"
        table_name = None
        region = None

    vendor_id = UnicodeAttribute(hash_key=True)
    key = UnicodeAttribute(range_key=True)
    import_id = UnicodeAttribute(null=True)
    file_name = UnicodeAttribute(null=True)
    content_hash = UnicodeAttribute(null=True)
    rows_total = NumberAttribute(null=True)
    rows_done = NumberAttribute(null=True)
    rows_failed = NumberAttribute(null=True)
    chunks_total = NumberAttribute(null=True)
    chunks_done = NumberAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)
    updated_at = UTCDateTimeAttribute(null=True)
    finished_at = UTCDateTimeAttribute(null=True)
    errors = UnicodeAttribute(null=True)  # on chunk items: JSON [[row, column, message], ...]


def job_key(import_id: str) -> str:
    return f"job#{import_id}"


def chunk_key(import_id: str, number: int) -> str:
    return f"chunk#{import_id}#{number:04d}"


def get_job(vendor_id: str, import_id: str) -> ImportItem | None:
    bind()
    try:
        return ImportItem.get(vendor_id, job_key(import_id), consistent_read=True)
    except ImportItem.DoesNotExist:
        return None


def get_latest(vendor_id: str) -> ImportItem | None:
    bind()
    try:
        return ImportItem.get(vendor_id, LATEST, consistent_read=True)
    except ImportItem.DoesNotExist:
        return None


def create_job(vendor_id: str, import_id: str, file_name: str, content_hash: str, rows_total: int,
               chunks_total: int, *, previous_latest: str | None) -> bool:
    """Put the job and make it the vendor's latest, in one transaction; False when another upload
    became the latest since `previous_latest` was read (the caller reads again)."""
    bind()
    now = utc_now()
    job = ImportItem(vendor_id, job_key(import_id), import_id=import_id, file_name=file_name,
                     content_hash=content_hash, rows_total=rows_total, rows_done=0, rows_failed=0,
                     chunks_total=chunks_total, chunks_done=0, created_at=now, updated_at=now)
    latest = ImportItem(vendor_id, LATEST, import_id=import_id, content_hash=content_hash, updated_at=now)
    if previous_latest is None:
        latest_condition = ImportItem.key.does_not_exist()
    else:
        latest_condition = ImportItem.import_id == previous_latest
    try:
        with TransactWrite(connection=ImportItem._get_connection().connection) as tx:
            tx.save(job, condition=ImportItem.key.does_not_exist())
            tx.save(latest, condition=latest_condition)
    except TransactWriteError as exc:
        reasons = list(exc.cancellation_reasons or [])
        if any(r is not None and r.code == "ConditionalCheckFailed" for r in reasons):
            return False
        raise
    return True


def chunk_done(vendor_id: str, import_id: str, number: int) -> bool:
    bind()
    try:
        ImportItem.get(vendor_id, chunk_key(import_id, number), consistent_read=True, attributes_to_get=["key"])
        return True
    except ImportItem.DoesNotExist:
        return False


def record_chunk(vendor_id: str, import_id: str, number: int, rows: int, errors: Sequence[RowError]) -> bool:
    """The chunk's errors and the job's counters, once: False when the chunk was recorded before."""
    bind()
    now = utc_now()
    failed = len({e.row for e in errors})
    chunk = ImportItem(vendor_id, chunk_key(import_id, number), import_id=import_id, rows_done=rows,
                       rows_failed=failed, errors=json.dumps([e.as_list() for e in errors], ensure_ascii=False),
                       created_at=now)
    J = ImportItem
    try:
        with TransactWrite(connection=ImportItem._get_connection().connection) as tx:
            tx.save(chunk, condition=J.key.does_not_exist())
            tx.update(ImportItem(vendor_id, job_key(import_id)),
                      actions=[J.rows_done.add(rows), J.rows_failed.add(failed), J.chunks_done.add(1),
                               J.updated_at.set(now)],
                      condition=J.key.exists())
    except TransactWriteError as exc:
        reasons = list(exc.cancellation_reasons or []) + [None]
        if reasons[0] is not None and reasons[0].code == "ConditionalCheckFailed":
            return False
        raise
    return True


def mark_finished(vendor_id: str, import_id: str) -> None:
    """Stamp the job's end (once all chunks are in); repeated stamps keep the first."""
    bind()
    J = ImportItem
    try:
        ImportItem(vendor_id, job_key(import_id)).update(
            actions=[J.finished_at.set(utc_now())],
            condition=J.key.exists() & J.finished_at.does_not_exist() & (J.chunks_done >= J.chunks_total))
    except Exception as err:  # noqa: BLE001 - a lost race for the stamp changes nothing
        from chalicelib.store.base import conditional_failed

        if not conditional_failed(err):
            raise


def job_errors(vendor_id: str, import_id: str) -> list[RowError]:
    bind()
    errors: list[RowError] = []
    for item in ImportItem.query(vendor_id, ImportItem.key.startswith(f"chunk#{import_id}#"), consistent_read=True):
        errors.extend(RowError(int(r), str(c), str(m)) for r, c, m in json.loads(item.errors or "[]"))
    return errors


def list_jobs(vendor_id: str, limit: int, cursor: str | None) -> tuple[list[ImportItem], str | None]:
    bind()
    path, key_names = f"imports:{vendor_id}", ("vendor_id", "key")
    start = decode_cursor(cursor, path, key_names, {"vendor_id": vendor_id})
    iterator = ImportItem.query(vendor_id, ImportItem.key.startswith("job#"), scan_index_forward=False,
                                last_evaluated_key=start, page_size=limit + 1)
    return collect_page(iterator.page_iter, path, key_names, limit,
                        lambda raws: [ImportItem.from_raw_data(r) for r in raws])
