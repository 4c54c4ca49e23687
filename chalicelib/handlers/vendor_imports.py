"""Vendor bulk offer imports (CSV through SQS) and their queue consumer. The vendor is always the
signed-in principal: another vendor's import id answers 404, as an unknown one does."""

import base64
import binascii

from chalice import Blueprint, Response
from pydantic import ConfigDict, Field

from chalicelib.api import json_response, route
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.input_limits import IMPORT_MAX_FILE_BYTES as MAX_FILE_BYTES
from chalicelib.handlers.sqs_batches import consume_batch
from chalicelib.schema import ApiModel, Text, bounded

bp = Blueprint(__name__)
VENDOR = ("vendor",)
# base64 of the largest file, plus the JSON around it (API Gateway takes up to 10 MB).
UPLOAD_BODY_BYTES = MAX_FILE_BYTES * 4 // 3 + 4096


class ImportIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    file_name: bounded(Text, max_length=200) | None = Field(None, description="Shown in your imports list")
    content_base64: str = Field(min_length=1, max_length=UPLOAD_BODY_BYTES,
                                description="The CSV file's bytes, base64-encoded (UTF-8 text; see README "
                                            "'Bulk CSV import' for the columns)")


class ImportView(ApiModel):
    import_id: str
    file_name: str
    status: str = Field(description="queued, processing or done")
    rows_total: int
    rows_done: int = Field(description="Rows processed so far, imported or failed")
    rows_failed: int
    rows_imported: int
    created_at: str
    updated_at: str
    finished_at: str | None


class ImportList(ApiModel):
    items: list[ImportView]
    next_cursor: str | None


class ImportsQuery(ApiModel):
    model_config = ConfigDict(extra="ignore")

    limit: int = Field(20, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2048)


@route(bp, "/vendor/imports", "POST", body=ImportIn, response=ImportView, roles=VENDOR, status=202, also=(200,),
       tags=("vendor",), errors=(400, 401, 403, 409, 413), max_body_bytes=UPLOAD_BODY_BYTES,
       summary="Import offers and stock from a CSV file (202: queued; 200: this file is already your latest "
               "import). A malformed file is a 400 naming the problem, before anything is written")
def vendor_start_import(req):
    from chalicelib.services import offer_imports

    try:
        raw = base64.b64decode(req.body.content_base64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("content_base64 is not base64.", fields={"content_base64": "not base64"}) from None
    job, created = offer_imports.start_import(req.principal.user_id, raw, req.body.file_name)
    return json_response(ImportView.model_validate(job).model_dump(mode="json"), 202 if created else 200,
                         req.correlation_id)


@route(bp, "/vendor/imports", query=ImportsQuery, response=ImportList, roles=VENDOR, tags=("vendor",),
       errors=(400, 401, 403), summary="Your imports, newest first")
def vendor_list_imports(req):
    from chalicelib.services import offer_imports

    return ImportList.model_validate(offer_imports.list_imports(req.principal.user_id, req.query.limit,
                                                                req.query.cursor))


@route(bp, "/vendor/imports/{import_id}", response=ImportView, roles=VENDOR, tags=("vendor",),
       errors=(401, 403, 404), summary="An import's progress: rows done of total, rows failed")
def vendor_get_import(req):
    from chalicelib.services import offer_imports

    return ImportView.model_validate(offer_imports.get_import(req.principal.user_id, req.params["import_id"]))


@route(bp, "/vendor/imports/{import_id}/errors.csv", roles=VENDOR, tags=("vendor",), errors=(401, 403, 404),
       content_type="text/csv",
       summary="An import's error report (text/csv): row, column, message; the header is row 1")
def vendor_import_errors(req):
    from chalicelib.services import offer_imports

    file_name, text = offer_imports.error_report(req.principal.user_id, req.params["import_id"])
    safe_name = "".join(c if c.isalnum() or c in "-_." else "_" for c in file_name)
    return Response(body=text, status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="{safe_name}"',
        "X-Correlation-Id": req.correlation_id,
    })


@bp.on_sqs_message(queue="offer-imports", batch_size=1, name="offer_imports_consumer")
def offer_imports_consumer(event):
    """One chunk a record (batch of 1: a chunk is up to 200 rows, i.e. seconds of work)."""
    from chalicelib.services import offer_imports

    return consume_batch(
        event, kind="offer import chunk",
        parse=offer_imports.ChunkMessage.model_validate,
        log_keys=lambda message: {"import_id": message.import_id, "chunk": message.chunk},
        handle=lambda message, _context: offer_imports.apply_chunk(message),
    )
