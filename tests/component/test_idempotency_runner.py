"""chalicelib/store/idempotency.py on the deployed `idempotency` table (moto): the work behind a key
runs once, whatever order the calls come in, and records written by Powertools' idempotency (what the
checkout and the notifications consumer used before) are honoured."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.store.idempotency import (
    COMPLETED,
    INPROGRESS,
    AlreadyInProgress,
    IdempotencyRecord,
    Once,
    PayloadMismatch,
)


@pytest.fixture
def bound(stack):
    from chalicelib.store.base import bind

    bind()  # the tests write records themselves, before any run() bound the models to the stack's tables


@pytest.fixture
def once(bound):
    return Once(f"test-{uuid.uuid4().hex[:8]}", expires_after_seconds=3600, validate_payload=True)


class Work:
    """Counts its runs; answers what it was given."""

    def __init__(self, answer=None, error: Exception | None = None):
        self.runs, self.answer, self.error = 0, answer, error

    def __call__(self):
        self.runs += 1
        if self.error:
            raise self.error
        return self.answer


def minute_left() -> int:
    return 60_000


def test_the_work_runs_once_and_every_later_call_gets_its_answer(once):
    work = Work({"order_id": "ord_1", "total": 1299})

    first = once.run(["shopper", "key-1"], work, payload={"a": 1}, remaining_ms=minute_left)
    again = once.run(["shopper", "key-1"], work, payload={"a": 1}, remaining_ms=minute_left)

    assert first == again == {"order_id": "ord_1", "total": 1299}
    assert work.runs == 1
    assert IdempotencyRecord.get(once.record_id(["shopper", "key-1"])).status == COMPLETED


def test_other_keys_run_their_own_work(once):
    work = Work("done")
    once.run(["shopper", "key-1"], work, payload={}, remaining_ms=minute_left)
    once.run(["another shopper", "key-1"], work, payload={}, remaining_ms=minute_left)
    assert work.runs == 2


def test_the_same_key_with_another_payload_is_refused_without_running(once):
    once.run(["shopper", "key-1"], Work("first"), payload={"country": "DE"}, remaining_ms=minute_left)
    work = Work("second")

    with pytest.raises(PayloadMismatch):
        once.run(["shopper", "key-1"], work, payload={"country": "FR"}, remaining_ms=minute_left)
    assert work.runs == 0


def test_a_call_arriving_while_the_first_runs_is_told_it_is_in_progress(once):
    seen = []

    def first():
        with pytest.raises(AlreadyInProgress):
            once.run(["shopper", "key-1"], Work("dup"), payload={}, remaining_ms=minute_left)
        seen.append("duplicate refused")
        return "first"

    assert once.run(["shopper", "key-1"], first, payload={}, remaining_ms=minute_left) == "first"
    assert seen == ["duplicate refused"]


def test_a_failed_run_frees_the_key_for_a_retry(once):
    with pytest.raises(RuntimeError):
        once.run(["shopper", "key-1"], Work(error=RuntimeError("provider down")), payload={}, remaining_ms=minute_left)
    retry = Work("paid")

    assert once.run(["shopper", "key-1"], retry, payload={}, remaining_ms=minute_left) == "paid"
    assert retry.runs == 1


def test_a_holder_past_its_in_progress_deadline_is_taken_over(once):
    now = time.time()
    IdempotencyRecord(once.record_id(["shopper", "key-1"]), status=INPROGRESS, expiration=timedelta(hours=1),
                      in_progress_expiration=int(now * 1000) - 1, validation=None).save()  # its process died
    work = Work("placed")

    assert once.run(["shopper", "key-1"], work, payload={}, remaining_ms=minute_left) == "placed"
    assert work.runs == 1


def test_a_holder_without_a_deadline_keeps_the_key_until_the_record_expires(bound):
    once = Once(f"test-{uuid.uuid4().hex[:8]}", expires_after_seconds=3600)
    IdempotencyRecord(once.record_id("evt_1"), status=INPROGRESS, expiration=timedelta(hours=1)).save()
    with pytest.raises(AlreadyInProgress):
        once.run("evt_1", Work("acted"))

    IdempotencyRecord(once.record_id("evt_2"), status=COMPLETED, expiration=datetime.now(UTC) - timedelta(seconds=1),
                      data='"old"').save()
    work = Work("acted again")
    assert once.run("evt_2", work) == "acted again" and work.runs == 1  # expired: reclaimable


def test_records_written_by_powertools_idempotency_are_honoured(once):
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        IdempotencyConfig,
        idempotent_function,
    )

    from chalicelib.settings import get_settings

    config = IdempotencyConfig(event_key_jmespath="[shopper_id, idempotency_key]", payload_validation_jmespath="body",
                               raise_on_no_idempotency_key=True, expires_after_seconds=3600)
    persistence = DynamoDBPersistenceLayer(table_name=get_settings().table_name("idempotency"))

    @idempotent_function(data_keyword_argument="request", persistence_store=persistence, config=config,
                         key_prefix=once.prefix)
    def place(request: dict) -> dict:
        return {"order_id": "ord_from_before"}

    place(request={"shopper_id": "shopper", "idempotency_key": "key-1", "body": {"country": "DE"}})
    work = Work({"order_id": "ord_new"})

    assert once.run(["shopper", "key-1"], work, payload={"country": "DE"}) == {"order_id": "ord_from_before"}
    with pytest.raises(PayloadMismatch):
        once.run(["shopper", "key-1"], work, payload={"country": "FR"})
    assert work.runs == 0


def test_a_long_response_comes_back_whole_from_a_record_under_one_write_unit(once):
    # A checkout's answer is the whole order (lines, address, totals): several KB of JSON, which cost
    # one write unit per KB when stored as text.
    answer = {"order_id": "ord_long", "lines": [{"product_id": f"p{i}", "title": f"Handmade mug no. {i}",
                                                 "quantity": 1, "unit_price": 1299, "currency": "EUR"}
                                                for i in range(40)]}
    work = Work(answer)

    once.run(["shopper", "key-long"], work, payload={"a": 1})
    assert once.run(["shopper", "key-long"], work, payload={"a": 1}) == answer
    assert work.runs == 1

    record = IdempotencyRecord.get(once.record_id(["shopper", "key-long"]))
    stored = len(record.packed or b"") + len(record.data or "")
    assert len(str(answer)) > 3000 and stored < 800


def test_a_pinned_value_is_the_first_callers_whatever_the_later_ones_bring(bound):
    from chalicelib.store.idempotency import first_value

    record_id = f"test-pin#{uuid.uuid4().hex}"
    assert first_value(record_id, "2026-01-01T10:00:00+00:00", expires_after_seconds=3600) == (
        "2026-01-01T10:00:00+00:00", None)
    assert first_value(record_id, "2099-01-01T00:00:00+00:00", expires_after_seconds=3600) == (
        "2026-01-01T10:00:00+00:00", None)


def test_an_expired_pin_is_replaced_and_a_runner_record_is_handed_back(bound):
    from chalicelib.store.idempotency import first_value

    expired = f"test-pin#{uuid.uuid4().hex}"
    IdempotencyRecord(expired, status="PINNED", data="old",
                      expiration=datetime.now(UTC) - timedelta(seconds=5)).save()
    assert first_value(expired, "new", expires_after_seconds=3600) == ("new", None)

    legacy = f"test-pin#{uuid.uuid4().hex}"
    IdempotencyRecord(legacy, status=COMPLETED, data='{"event_id": "e"}',
                      expiration=datetime.now(UTC) + timedelta(hours=1)).save()
    pinned, record = first_value(legacy, "new", expires_after_seconds=3600)
    assert pinned is None and record.status == COMPLETED


def test_a_response_packed_before_the_response_dictionary_comes_back_whole(once):
    import json
    import zlib

    from chalicelib.store.idempotency import _md5_of

    answer = {"order_id": "ord_before", "lines": [{"title": f"Mug {i}", "quantity": 1} for i in range(30)]}
    record_id = once.record_id(["shopper", "key-before"])
    IdempotencyRecord(record_id, status=COMPLETED, expiration=datetime.now(UTC) + timedelta(hours=1),
                      validation=_md5_of({"a": 1}),
                      packed=zlib.compress(json.dumps(answer, sort_keys=True).encode(), 9)).save()
    work = Work({"order_id": "ord_new"})

    assert once.run(["shopper", "key-before"], work, payload={"a": 1}) == answer
    assert work.runs == 0
