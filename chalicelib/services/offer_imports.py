"""Bulk offer imports: a vendor's CSV checked whole, stored as a job, applied chunk by chunk from SQS.

`start_import` refuses an unusable file (chalicelib/domain/imports.py) before writing anything,
then creates the job and queues its chunks (CHUNK_ROWS rows a message) on the offer-imports queue.
Uploading the file that is already the vendor's latest import gives that import back (200), and
queues its chunks again when they may never have been queued (a crash between the two steps):
chunks apply at most once, so queuing twice is harmless.

`apply_chunk` (the queue consumer) applies each row with the offer PUT's rules
(chalicelib/services/vendor_offers.py): a create under `attribute_not_exists`, or ONE conditional
update, and nothing at all when the offer already has these terms, so a redelivered chunk or a
re-imported file writes no offer twice; stock is declared as units on hand and never set below
what unpaid orders hold (the row fails naming `stock`). The touched products' listing summaries
are then refreshed in the same step, so shoppers see the new stock at once: a product that had no offer
gets its first offer written once, carrying the product's listing entry (chalicelib/store/listings.py),
so a first import writes one item per row. Last, the chunk's errors
and the job's counters are written in one transaction, once per chunk (never per row).
"""

from __future__ import annotations

import json
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.catalog import offer_id_for, validate_offer
from chalicelib.domain.errors import DomainError, NotFound
from chalicelib.domain.imports import CHUNK_ROWS, ImportRow, ParsedImport, RowError, error_report_csv, parse_import
from chalicelib.observability import count, logger
from chalicelib.services.vendors import registered_vendor
from chalicelib.settings import get_settings
from chalicelib.store import imports as store

FILE_NAME_MAX = 120
CREATE_ATTEMPTS = 3
# SQS takes 10 messages and 256 KB a SendMessageBatch (a chunk full of row errors is large).
SEND_BATCH_BYTES = 200 * 1024
ROW_WORKERS = 8  # DynamoDB calls of one chunk in flight at once


class ChunkMessage(BaseModel):
    """One queued chunk: its rows in `ImportRow.as_list` order and the rows refused at upload."""

    model_config = ConfigDict(extra="forbid")

    vendor_id: str = Field(min_length=1, max_length=160)
    import_id: str = Field(min_length=1, max_length=80)
    chunk: int = Field(ge=0, le=10_000)
    rows: list[list] = Field(default_factory=list, max_length=CHUNK_ROWS)
    errors: list[list] = Field(default_factory=list, max_length=CHUNK_ROWS * 10)


def _import_id(now: datetime) -> str:
    """Time first, so the vendor's imports list newest first by key alone."""
    return f"imp_{now.strftime('%Y%m%d%H%M%S%f')}_{secrets.token_hex(4)}"


def job_view(job) -> dict:
    total, done = int(job.rows_total or 0), int(job.rows_done or 0)
    finished = int(job.chunks_done or 0) >= int(job.chunks_total or 0)
    return {
        "import_id": job.import_id,
        "file_name": job.file_name or "",
        "status": "done" if finished else ("processing" if done else "queued"),
        "rows_total": total,
        "rows_done": done,
        "rows_failed": int(job.rows_failed or 0),
        "rows_imported": done - int(job.rows_failed or 0),
        "created_at": job.created_at.isoformat(),
        "updated_at": (job.updated_at or job.created_at).isoformat(),
        "finished_at": job.finished_at.isoformat() if job.finished_at else None,
    }


def _clean_file_name(name: str | None) -> str:
    cleaned = " ".join(str(name or "").replace("/", " ").replace("\\", " ").split())[:FILE_NAME_MAX]
    return cleaned or "import.csv"


def _queue_chunks(vendor_id: str, import_id: str, parsed: ParsedImport) -> None:
    """Send every chunk (10 messages a SendMessageBatch); a send that failed raises (the upload is retried)."""
    from chalicelib.events import _sqs_for

    settings = get_settings()
    if not settings.imports_queue_url:
        raise RuntimeError("HALLES_IMPORTS_QUEUE_URL is not set")
    sqs = _sqs_for(settings.region, settings.endpoint_url)
    messages = [
        ChunkMessage(vendor_id=vendor_id, import_id=import_id, chunk=chunk.number,
                     rows=[r.as_list() for r in chunk.rows], errors=[e.as_list() for e in chunk.errors])
        for chunk in parsed.chunks()
    ]
    batch: list[dict] = []
    batch_bytes = 0
    for message in messages:
        body = message.model_dump_json()
        if batch and (len(batch) == 10 or batch_bytes + len(body) > SEND_BATCH_BYTES):
            _send(sqs, settings.imports_queue_url, import_id, batch)
            batch, batch_bytes = [], 0
        batch.append({"Id": str(message.chunk), "MessageBody": body})
        batch_bytes += len(body)
    if batch:
        _send(sqs, settings.imports_queue_url, import_id, batch)


def _send(sqs, queue_url: str, import_id: str, entries: list[dict]) -> None:
    answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
    if answer.get("Failed"):
        raise RuntimeError(f"could not queue {len(answer['Failed'])} chunk(s) of import {import_id}")


def start_import(vendor_id: str, raw: bytes, file_name: str | None) -> tuple[dict, bool]:
    """Check the file, create the job, queue its chunks. Returns (import, created)."""
    registered_vendor(vendor_id)
    parsed = parse_import(raw, vendor_id, get_settings().currency)  # 400 before any write
    chunks_total = len(parsed.chunks())
    for _ in range(CREATE_ATTEMPTS):
        latest = store.get_latest(vendor_id)
        if latest is not None and latest.content_hash == parsed.content_hash:
            job = store.get_job(vendor_id, latest.import_id)
            if job is not None:
                if int(job.chunks_done or 0) == 0:
                    _queue_chunks(vendor_id, job.import_id, parsed)  # maybe never queued: again, harmlessly
                return job_view(job), False
        import_id = _import_id(datetime.now(UTC))
        if store.create_job(vendor_id, import_id, _clean_file_name(file_name), parsed.content_hash,
                            parsed.rows_total, chunks_total,
                            previous_latest=latest.import_id if latest is not None else None):
            _queue_chunks(vendor_id, import_id, parsed)
            count("OfferImportStarted")
            logger.info("offer import queued", extra={"import_id": import_id, "rows": parsed.rows_total})
            return job_view(store.get_job(vendor_id, import_id)), True
    from chalicelib.domain.errors import Conflict

    raise Conflict("Another import is being started right now; try again.", code="busy", fields={"file": "busy"})


def _job_or_404(vendor_id: str, import_id: str):
    job = store.get_job(vendor_id, import_id) if 0 < len(import_id) <= 80 and import_id.isprintable() else None
    if job is None:
        raise NotFound("No such import.", fields={"import_id": "unknown"})
    return job


def get_import(vendor_id: str, import_id: str) -> dict:
    return job_view(_job_or_404(vendor_id, import_id))


def list_imports(vendor_id: str, limit: int, cursor: str | None) -> dict:
    registered_vendor(vendor_id)
    items, next_cursor = store.list_jobs(vendor_id, limit, cursor)
    return {"items": [job_view(j) for j in items], "next_cursor": next_cursor}


def error_report(vendor_id: str, import_id: str) -> tuple[str, str]:
    """(file name, CSV text) of the import's row errors so far."""
    job = _job_or_404(vendor_id, import_id)
    stem = (job.file_name or "import").rsplit(".", 1)[0]
    return f"{stem}-errors.csv", error_report_csv(store.job_errors(vendor_id, import_id))


# --- the consumer --------------------------------------------------------------------------

def _summary_unchanged(listed, summary, holder_id: str | None) -> bool:
    """True when the product's stored listing entry (`listed`, store/listings.py ListedProduct) already says
    exactly what `summary` says, on the offer that should hold it."""
    def number(value):
        return None if value is None else int(value)

    if (listed.holder.offer_id if listed.holder is not None else None) != holder_id:
        return False
    best, snapshot = summary.best_offer, listed.best_offer
    same_best = (best is None and snapshot is None) or (
        best is not None and snapshot is not None and snapshot.offer_id == best.offer_id
        and (int(snapshot.price), int(snapshot.shipping_fee), int(snapshot.available), int(snapshot.min_days),
             int(snapshot.max_days), snapshot.condition, snapshot.currency, number(snapshot.list_price),
             snapshot.promotion_id)
        == (best.price.amount, best.shipping_fee.amount, best.available, best.min_days, best.max_days,
            best.condition, best.price.currency, best.list_price.amount if best.list_price else None,
            best.promotion_id))
    return same_best and listed.summary_stale_at == summary.stale_at and (
        listed.offer_count, listed.in_stock, listed.min_total, listed.min_price, listed.best_total,
        listed.listed_total, listed.vendor_ids,
    ) == (summary.offer_count, summary.in_stock, summary.min_total, summary.min_price, summary.best_total,
          summary.listed_total, set(summary.vendor_ids))


def _row_error(row: ImportRow, err: DomainError, product_column: str) -> RowError:
    field, message = next(iter(err.fields.items()), ("row", err.message))
    column = {"product_id": product_column, "offer_id": product_column}.get(field, field)
    return RowError(row.row, column, message if field != "row" else err.message)


def apply_chunk(message: ChunkMessage) -> str:
    """Apply one chunk's rows once; returns what happened (`applied`, `already applied`)."""
    from chalicelib.services import wiring
    from chalicelib.services.product_summaries import SAVE_ATTEMPTS, compute_product_summary, retry_pause
    from chalicelib.services.vendor_offers import _write_terms  # the offer PUT's write: the same rules, once
    from chalicelib.store.listings import ListedProduct

    vendor_id, import_id = message.vendor_id, message.import_id
    job = store.get_job(vendor_id, import_id)
    if job is None:
        raise RuntimeError(f"import {import_id} has no job")  # not ours to guess: the DLQ keeps it
    if store.chunk_done(vendor_id, import_id, message.chunk):
        return "already applied"
    catalogue = wiring.offer_catalogue()
    currency = get_settings().currency
    vendor = registered_vendor(vendor_id, catalogue=catalogue)
    rows = [ImportRow.from_list(values) for values in message.rows]
    refused_at_upload = [RowError(int(r), str(c), str(m)) for r, c, m in message.errors]
    errors = list(refused_at_upload)
    products = catalogue.get_products({r.product_id for r in rows}, consistent=True)
    ids = {r.row: offer_id_for(vendor_id, r.product_id, r.condition) for r in rows}
    current = catalogue.get_offers(ids.values(), consistent=True)

    # Each product's offers as they are (other vendors' too) and the one holding its listing entry: the
    # listing is recomputed from them, and a product with none gets its first offers written with it.
    touched = sorted({r.product_id for r in rows if r.product_id in products})
    with ThreadPoolExecutor(max_workers=ROW_WORKERS) as pool:
        before = dict(zip(touched, pool.map(catalogue.product_offers, touched)))
    # The index says which offer holds the entry, not what the entry says: the holders are read whole.
    holders = catalogue.get_offers([o.offer_id for offers in before.values() for o in offers if o.holds_listing],
                                   consistent=True)
    before = {pid: [holders.get(o.offer_id, o) for o in offers] for pid, offers in before.items()}
    names = {vendor_id: vendor.name}

    def apply_row(row: ImportRow):
        """(the offer written or None when nothing changed) or the row's RowError."""
        product = products.get(row.product_id)
        if product is None:
            return RowError(row.row, "product_id", f"no such product: {row.product_id}"[:200])
        try:
            terms = validate_offer(row.offer_data(currency), currency)
            item = current.get(ids[row.row])
            if item is None:
                inserted = catalogue.insert_offer(ids[row.row], vendor_id, product, terms)
                if inserted is not None:
                    return inserted
                item = catalogue.get_offer(ids[row.row])  # created meanwhile: update it like any other
            written = _write_terms(item, vendor_id, terms, None, catalogue)
            return written if written is not item else None
        except DomainError as err:
            return _row_error(row, err, "product_id")

    def first_offers(product_id: str, product_rows: list[ImportRow]) -> list:
        """A product without any offer: its new offers written once each, the best one carrying the listing
        entry (one item for both). Rows whose offer turned out to exist go the usual way; then (an entry
        left unwritten) the product is refreshed like any other. Outcomes aligned with the rows."""
        product = products[product_id]
        outcomes: list = [None] * len(product_rows)
        items = {}
        for i, row in enumerate(product_rows):
            try:
                terms = validate_offer(row.offer_data(currency), currency)
            except DomainError as err:
                outcomes[i] = _row_error(row, err, "product_id")
                continue
            items[i] = catalogue.new_offer_item(ids[row.row], vendor_id, product, terms)
        summary = compute_product_summary(product_id, items.values(), catalogue=catalogue, only_written=True)
        holder = summary.holder()
        for item in items.values():
            if item.offer_id == holder:
                catalogue.carry_entry(item, summary, names.get(vendor_id, "") if summary.best_offer else None,
                                      product.category)
        entry_written = holder is None
        for i, item in items.items():
            saved = catalogue.save_new_offer(item)
            if saved is not None:
                outcomes[i] = saved
                entry_written = entry_written or item.offer_id == holder
            else:
                outcomes[i] = apply_row(product_rows[i])
        if not entry_written:
            refresh_summary(product_id, [o for o in outcomes if o is not None and not isinstance(o, RowError)])
        return outcomes

    def refresh_summary(product_id: str, written: list) -> None:
        offers = {o.offer_id: o for o in before.get(product_id, [])}
        offers.update({o.offer_id: o for o in written})
        for attempt in range(SAVE_ATTEMPTS):
            summary = compute_product_summary(product_id, offers.values(), catalogue=catalogue, only_written=True)
            holders = [o for o in offers.values() if o.holds_listing]
            listed = ListedProduct(products[product_id], holders[0] if len(holders) == 1 else None)
            if len(holders) == 1 and _summary_unchanged(listed, summary, summary.holder([holders[0].offer_id])):
                return  # e.g. more stock on an offer that is not the best: the listing shows the same
            best = summary.best_offer
            if best is not None and best.vendor_id not in names:
                names.update(catalogue.vendor_names([best.vendor_id]))
            if catalogue.save_summary(product_id, summary, names.get(best.vendor_id, "") if best else None,
                                      offers=list(offers.values()), product=products[product_id]):
                return
            retry_pause(attempt)
            fresh = {o.offer_id for o in catalogue.product_offers(product_id, stock=False)} | set(offers)
            offers = catalogue.get_offers(fresh, consistent=True)  # another refresh moved the entry: re-read
        raise RuntimeError(f"the listing of product {product_id} kept moving")

    firsts: dict[str, list[ImportRow]] = {}
    others: list[ImportRow] = []
    for row in rows:
        if row.product_id in products and not before.get(row.product_id) and ids[row.row] not in current:
            firsts.setdefault(row.product_id, []).append(row)
        else:
            others.append(row)
    changed: dict[str, list] = {}  # product id -> this vendor's offers written by this chunk (not first ones)
    # Rows are distinct offers (the upload refused duplicates): their writes are independent, so they
    # run side by side; each one is still a single conditional write.
    with ThreadPoolExecutor(max_workers=ROW_WORKERS) as pool:
        for row, outcome in zip(others, pool.map(apply_row, others)):
            if isinstance(outcome, RowError):
                errors.append(outcome)
            elif outcome is not None:
                changed.setdefault(row.product_id, []).append(outcome)
        for outcomes in pool.map(lambda entry: first_offers(*entry), firsts.items()):
            errors.extend(o for o in outcomes if isinstance(o, RowError))
        list(pool.map(lambda entry: refresh_summary(*entry), changed.items()))
    chunk_rows = len(rows) + len({e.row for e in refused_at_upload})
    recorded = store.record_chunk(vendor_id, import_id, message.chunk, chunk_rows, errors)
    if recorded:
        job = store.get_job(vendor_id, import_id)
        if job is not None and int(job.chunks_done) >= int(job.chunks_total):
            store.mark_finished(vendor_id, import_id)
            count("OfferImportFinished")
            _announce_finished(vendor_id, import_id)
    logger.info("offer import chunk", extra={"import_id": import_id, "chunk": message.chunk,
                                             "rows": len(rows), "failed": len({e.row for e in errors})})
    return "applied" if recorded else "already applied"


def _announce_finished(vendor_id: str, import_id: str) -> None:
    from chalicelib.domain.events import ImportFinished
    from chalicelib.events import publish_after_the_fact

    job = store.get_job(vendor_id, import_id)
    if job is None:
        return
    view = job_view(job)
    publish_after_the_fact(ImportFinished(vendor_id=vendor_id, import_id=import_id, file_name=view["file_name"],
                                          rows_imported=view["rows_imported"], rows_failed=view["rows_failed"]))


def parse_message(body) -> ChunkMessage:
    return ChunkMessage.model_validate(body if not isinstance(body, str) else json.loads(body))
