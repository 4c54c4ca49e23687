"""Run a piece of work once per idempotency key, on the `idempotency` table through PynamoDB.

The checkout (one order per shopper and Idempotency-Key) and the notifications consumer (one
action per event) used Powertools' idempotency utility. Its DynamoDB layer builds its own boto3
client, so the first checkout of every cold start imported boto3 (s3transfer, concurrent.futures,
multiprocessing...) on top of the botocore that PynamoDB already loads. This keeps the semantics
we relied on, over the table layer the app already has:

- the first call puts an INPROGRESS record with a conditional put (`attribute_not_exists(id)`,
  or the record has expired, or it is INPROGRESS past its in-progress deadline): exactly one
  caller wins a key, never check-then-act;
- the winner runs the work; on success the record becomes COMPLETED with the stored response
  (JSON; zlib-compressed in `packed` past PACK_OVER_BYTES, so that a checkout's fits one write unit),
  which every later call with the key gets back without running the work again; if the
  work raises, the record is deleted so that a retry starts afresh;
- a call that loses the put reads the record (consistently): a different payload under the same
  key -> `PayloadMismatch`; still running (in-progress deadline not passed) ->
  `AlreadyInProgress`; completed -> the stored response; gone or expired in between -> the put
  is tried again (at most 3 times in all, as Powertools does);
- `expiration` (seconds, the table's TTL attribute) ends a record: an expired key is reclaimable.

Records have Powertools' layout and key format (`<prefix>#<md5 of the key as sorted JSON>`, the
payload's md5 in `validation`), so the records written before the switch keep counting.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from pynamodb.attributes import BinaryAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PutError
from pynamodb.models import Model

from chalicelib.store import preset_zlib
from chalicelib.store.base import bind, conditional_failed, register

INPROGRESS = "INPROGRESS"
COMPLETED = "COMPLETED"
ATTEMPTS = 3  # the record changed between our put and our read: try again (rare, and never loops for long)
# A stored response longer than this is kept zlib-compressed (`packed`): a write costs one unit per KB,
# and a checkout's response (the order as the shopper sees it) is several KB of repetitive JSON.
PACK_OVER_BYTES = 512

# Responses are packed against a preset dictionary: a checkout's answer (the one long response stored
# per order) with its particulars left out, so the stored record carries only what is particular to it
# (ids, names, amounts): a two-vendor checkout's record ~1.1 KB -> ~0.6 KB (2 WRU -> 1). zlib names the
# dictionary in the stream's header (FDICT), so a response packed before it (or with another) reads as
# written. Frozen: never edit one; add another and point PACK_WITH at it.
_RESPONSE_DICTIONARY_1 = (
    b'{"order": {"country": "DE", "created_at": "2026-", "currency": "EUR", "lines": [{"condition": "refur'
    b'bished", "offer_id": "off_", "product_id": "prd_", "promoted_unit_price": null, "promotion_id": null'
    b', "quantity": 1, "shipping_fee": {"amount": 0, "currency": "EUR"}, "subtotal": {"amount": 0, "curren'
    b'cy": "EUR"}, "title": "", "unit_price": {"amount": 0, "currency": "EUR"}, "vendor_id": "", "vendor_n'
    b'ame": ""}, {"condition": "new", "offer_id": "off_", "product_id": "prd_", "promoted_unit_price": nul'
    b'l, "promotion_id": null, "quantity": 1, "shipping_fee": {"amount": 0, "currency": "EUR"}, "subtotal"'
    b': {"amount": 0, "currency": "EUR"}, "title": "", "unit_price": {"amount": 0, "currency": "EUR"}, "ve'
    b'ndor_id": "", "vendor_name": ""}], "order_id": "ord_", "order_number": "H-", "payment": {"attempts":'
    b' [], "can_cancel": true, "can_pay": true, "client_secret": "pi__secret_", "disputed": false, "last_a'
    b'ttempt": null, "payment_intent_id": "pi_", "payment_page_url": "pi_?client_secret=pi__secret_", "ref'
    b'unded": {"amount": 0, "currency": "EUR"}, "state": "awaiting_payment"}, "reserved_until": "2026-", "'
    b'shipping_address": {"city": "", "country": "DE", "line1": "", "line2": "", "name": "", "phone": "", '
    b'"postal_code": ""}, "status": "pending_payment", "timeline": [{"at": "2026-", "kind": null, "label":'
    b' "Order placed", "status": "pending_payment"}], "totals": {"discount": {"amount": 0, "currency": "EU'
    b'R"}, "items": {"amount": 0, "currency": "EUR"}, "service_fee": {"amount": 0, "currency": "EUR"}, "sh'
    b'ipping": {"amount": 0, "currency": "EUR"}, "total": {"amount": 0, "currency": "EUR"}, "vat_included"'
    b': {"amount": 0, "currency": "EUR"}, "vat_rate_bps": 1900}, "vendors": [{"can_confirm_receipt": false'
    b', "cancelled_offer_ids": [], "delivered_at": null, "discount": {"amount": 0, "currency": "EUR"}, "it'
    b'ems": {"amount": 0, "currency": "EUR"}, "offer_ids": ["off_"], "receipt_confirmed_at": null, "shipme'
    b'nt": null, "shipped_at": null, "shipping": {"amount": 0, "currency": "EUR"}, "status": "pending_paym'
    b'ent", "total": {"amount": 0, "currency": "EUR"}, "vendor_id": "", "vendor_name": ""}, {"can_confirm_'
    b'receipt": false, "cancelled_offer_ids": [], "delivered_at": null, "discount": {"amount": 0, "currenc'
    b'y": "EUR"}, "items": {"amount": 0, "currency": "EUR"}, "offer_ids": ["off_"], "receipt_confirmed_at"'
    b': null, "shipment": null, "shipped_at": null, "shipping": {"amount": 0, "currency": "EUR"}, "status"'
    b': "pending_payment", "total": {"amount": 0, "currency": "EUR"}, "vendor_id": "", "vendor_name": ""}]'
    b'}, "payment": {"client_secret": "pi__secret_", "payment_intent_id": "pi_", "payment_page_url": "pi_?'
    b'client_secret=pi__secret_", "provider": "local", "publishable_key": "", "status": "requires_payment_'
    b'method"}}'
)
RESPONSE_DICTIONARIES = (_RESPONSE_DICTIONARY_1,)
PACK_WITH = _RESPONSE_DICTIONARY_1


def pack_response(text: str) -> bytes:
    return preset_zlib.pack(text.encode(), PACK_WITH)


def unpack_response(blob: bytes) -> str:
    """A response packed with any of RESPONSE_DICTIONARIES, or with none (records written before them)."""
    return preset_zlib.unpack(blob, RESPONSE_DICTIONARIES, what="a stored response").decode()


class AlreadyInProgress(Exception):
    """Another call holds this key and has not finished (nor passed its in-progress deadline)."""


class PayloadMismatch(Exception):
    """This key was used with another payload."""


@register
class IdempotencyRecord(Model):
    """One key's record (the table is shared with chalicelib/store/stock_adjustments.py)."""

    class Meta:
        short_name = "idempotency"

    id = UnicodeAttribute(hash_key=True)  # "<prefix>#<md5 of the key>"
    status = UnicodeAttribute()  # INPROGRESS | COMPLETED
    expiration = TTLAttribute()  # the table's TTL (epoch seconds, as Powertools wrote it): expired -> reclaimable
    in_progress_expiration = NumberAttribute(null=True)  # epoch ms: past it, an INPROGRESS record is abandoned
    data = UnicodeAttribute(null=True)  # the work's response, as JSON (or a pin: `first_value`)
    packed = BinaryAttribute(null=True, legacy_encoding=False)  # or that JSON zlib-compressed, when long
    validation = UnicodeAttribute(null=True)  # md5 of the payload the key was first used with


def _utc(epoch: float) -> datetime:
    """A time to the second (the TTL attribute's precision), as TTLAttribute reads and writes it."""
    return datetime.fromtimestamp(int(epoch), UTC)


def _md5_of(value: Any) -> str:
    return hashlib.md5(json.dumps(value, sort_keys=True).encode()).hexdigest()


class Once:
    """Runs work at most once per key (module docstring). `validate_payload`: the key must always come
    with the same payload (else `PayloadMismatch`)."""

    def __init__(self, prefix: str | Callable[[], str], *, expires_after_seconds: int, validate_payload: bool = False):
        self.prefix = prefix  # or a function giving it (when it depends on the environment)
        self.expires_after_seconds = expires_after_seconds
        self.validate_payload = validate_payload

    def record_id(self, key: Any) -> str:
        prefix = self.prefix() if callable(self.prefix) else self.prefix
        return f"{prefix}#{_md5_of(key)}"

    def run(self, key: Any, work: Callable[[], Any], *, payload: Any = None,
            remaining_ms: Callable[[], int] | None = None) -> Any:
        """`work()`'s response, computed once for `key`. `remaining_ms`: how long this call may still run
        (a Lambda context's `get_remaining_time_in_millis`); past it, another call may take the key over.
        Without it, a call that dies holds the key until the record expires."""
        bind()
        record_id = self.record_id(key)
        payload_hash = _md5_of(payload) if self.validate_payload else None
        for _ in range(ATTEMPTS):
            if self._claim(record_id, payload_hash, remaining_ms):
                return self._run(record_id, payload_hash, work)
            answered, response = self._answer_from(record_id, payload_hash)
            if answered:
                return response
        raise AlreadyInProgress(f"{record_id}: the record kept changing under us")

    def _claim(self, record_id: str, payload_hash: str | None, remaining_ms: Callable[[], int] | None) -> bool:
        now = time.time()
        record = IdempotencyRecord(record_id, status=INPROGRESS, expiration=self._expiry(now), validation=payload_hash)
        if remaining_ms is not None:
            record.in_progress_expiration = int(now * 1000) + remaining_ms()
        free = (IdempotencyRecord.id.does_not_exist()
                | (IdempotencyRecord.expiration < _utc(now))
                | ((IdempotencyRecord.status == INPROGRESS) & IdempotencyRecord.in_progress_expiration.exists()
                   & (IdempotencyRecord.in_progress_expiration < int(now * 1000))))
        try:
            record.save(condition=free)
        except PutError as err:
            if conditional_failed(err):
                return False
            raise
        return True

    def _expiry(self, now: float) -> datetime:
        return _utc(now) + timedelta(seconds=self.expires_after_seconds)

    def _run(self, record_id: str, payload_hash: str | None, work: Callable[[], Any]) -> Any:
        try:
            response = work()
        except Exception:
            IdempotencyRecord(record_id).delete()  # the key is free again: a retry runs the work afresh
            raise
        text = json.dumps(response, sort_keys=True)
        stored = {"packed": pack_response(text)} if len(text) > PACK_OVER_BYTES else {"data": text}
        IdempotencyRecord(record_id, status=COMPLETED, expiration=self._expiry(time.time()),
                          validation=payload_hash, **stored).save()
        return response

    def _answer_from(self, record_id: str, payload_hash: str | None) -> tuple[bool, Any]:
        """(True, the stored response) or raises; (False, None): the record changed, claim again."""
        try:
            record = IdempotencyRecord.get(record_id, consistent_read=True)
        except DoesNotExist:
            return False, None  # the holder failed and deleted it meanwhile
        if self.validate_payload and record.validation != payload_hash:
            raise PayloadMismatch(f"{record_id} was used with another payload")
        now = time.time()
        if record.expiration < _utc(now):
            return False, None
        if record.status == INPROGRESS:
            if record.in_progress_expiration is not None and record.in_progress_expiration < int(now * 1000):
                return False, None
            raise AlreadyInProgress(f"{record_id} is being processed")
        if record.packed:
            return True, json.loads(unpack_response(record.packed))
        return True, json.loads(record.data) if record.data else None


PINNED = "PINNED"


def first_value(record_id: str, value: str, *, expires_after_seconds: int) -> tuple[str | None, IdempotencyRecord | None]:
    """Pin `value` under `record_id` where nothing (unexpired) is pinned yet: ONE conditional put, never an
    update. Returns (the value that stands, None) -- ours when we were first, the first caller's otherwise --
    or (None, the record) when the record there is not a pin (one `Once` wrote: the caller decides).

    For work that is idempotent once one input is fixed (the notifications consumer: every delivery is
    deduplicated by an id derived from the event's first `occurred_at`), this replaces `Once`'s two writes
    (in progress, then completed) and its in-progress state: concurrent or repeated callers all run the
    work with the same pinned value, and whatever they write collides with what the first one wrote."""
    bind()
    for _ in range(ATTEMPTS):
        now = time.time()
        try:
            IdempotencyRecord(record_id, status=PINNED, data=value,
                              expiration=_utc(now) + timedelta(seconds=expires_after_seconds)).save(
                condition=IdempotencyRecord.id.does_not_exist() | (IdempotencyRecord.expiration < _utc(now)))
            return value, None
        except PutError as err:
            if not conditional_failed(err):
                raise
        try:
            record = IdempotencyRecord.get(record_id, consistent_read=True)
        except DoesNotExist:
            continue  # expired and removed by TTL meanwhile: pin again
        if record.expiration < _utc(time.time()):
            continue
        if record.status == PINNED:
            return record.data, None
        return None, record
    raise AlreadyInProgress(f"{record_id}: the record kept changing under us")
