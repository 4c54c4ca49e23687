"""Survey and notification benchmarks (`python -m scripts.bench surveys notifications`), registered in scripts/bench.py.

- survey_schedule_ms_per_1000_orders: the daily `send_surveys` job over SURVEY_ORDERS sub-orders due
  (delivered 4 days ago, each of its own shopper who consented), in process under moto's `mock_aws`
  (as the component tests run the app), scaled to 1,000. Per survey it reads the shopper's consent
  (one Query), publishes `survey.requested` to the notifications queue (one SendMessage) and moves the
  survey along its queue with its `sent` counters (one TransactWriteItems); the surveys come from the
  sparse `by_queue` index, 100 per Query. moto's copy of each table a transaction touches (its
  rollback) is turned off for the run (see `_no_moto_table_backup`). Printed with it: `survey_schedule_dynamodb_scans` (must be
  0: the job never scans) and `survey_schedule_queries_per_1000_orders`.
- notifications_per_s: NOTIFICATION_EVENTS `user.signed_up` events (each: a profile write, a Jinja2
  render in the recipient's locale, an inbox entry with its dedupe key in one transaction, the e-mail's
  claim and moto's SES) put on the notifications queue of the real local stack (`python -m devstack
  run --fresh`, as the e2e tests start it) and consumed by its pump in batches of 10, like the
  Lambda's event source mapping with batch_size 10; from the first send to the queue being empty.

Measured on the shared 2-core machine (load ~0.7), 2026-11-27: survey_schedule_ms_per_1000_orders
45,310 ms (1,011 Queries: 1,000 consent reads + 11 index pages; 0 scans); notifications_per_s 15.0
(200 events). Per survey the job is ~45 ms of moto round trips; in DynamoDB the consent read could be
batched (BatchGetItem of the shoppers' consents) if the job ever needs to be faster.

What they do not cover: DynamoDB's, SQS's and SES's own latency and throttling (moto answers in
process or over loopback, one Python process on a shared 2-core machine); Lambda concurrency (in AWS
several consumers drain the queue at once, the local pump is one); SES sending quotas (a new SES
account sends 1 mail/s in the sandbox); the survey job's figure excludes rendering the survey mails,
which the notifications consumer does afterwards (that cost is in notifications_per_s).
"""

from __future__ import annotations

import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from scripts.bench_host import running_bench

SURVEY_ORDERS = int(os.environ.get("HALLES_BENCH_SURVEY_ORDERS", "1000"))
NOTIFICATION_EVENTS = int(os.environ.get("HALLES_BENCH_NOTIFICATION_EVENTS", "300"))


bench = running_bench()


class _Operations:
    """DynamoDB operations called in this process (a botocore before-call hook), while active."""

    def __init__(self):
        self.counts: dict[str, int] = {}
        self.active = False

    def __call__(self, model=None, **_kwargs):
        if self.active:
            name = getattr(model, "name", "?")
            self.counts[name] = self.counts.get(name, 0) + 1


OPERATIONS = _Operations()


@bench.benchmark("surveys")
def survey_figures(options) -> Iterator:
    from botocore.handlers import BUILTIN_HANDLERS

    if not any(handler is OPERATIONS for _, handler, *_ in BUILTIN_HANDLERS):
        BUILTIN_HANDLERS.append(("before-call.dynamodb", OPERATIONS))
    yield from _schedule_ms()


@bench.benchmark("notifications")
def notification_figures(options) -> Iterator:
    yield from _notifications_per_s()


def _schedule_ms() -> Iterator:
    from chalicelib.domain.surveys import survey_id
    from chalicelib.services import surveys
    from chalicelib.store import notifications as notification_store
    from chalicelib.store import surveys as store
    from scripts.bench_checkout import _quiet
    from tests.fixtures.catalog import module_stack

    now = datetime.now(UTC)
    delivered = (now - timedelta(days=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
    with _quiet(), module_stack(), _no_moto_table_backup():
        for n in range(SURVEY_ORDERS):  # set-up, not measured
            shopper = str(uuid.uuid4())
            notification_store.record_consent(shopper, "surveys", True, "bench")
            order_id = f"ord_{uuid.uuid4().hex[:24]}"
            store.schedule(survey_id(order_id, "bench-vendor"), order_id=order_id, order_number=f"H-BENCH-{n}",
                           vendor_id="bench-vendor", vendor_name="Bench", shopper_id=shopper,
                           products=[{"product_id": f"prd_bench{n % 20}", "title": "Bench item"}],
                           delivered_at=delivered)
        OPERATIONS.counts, OPERATIONS.active = {}, True
        started = time.perf_counter()
        done = surveys.send_surveys(now)
        elapsed = time.perf_counter() - started
        OPERATIONS.active = False
    assert done["sent"] == SURVEY_ORDERS, done
    scale = 1000 / SURVEY_ORDERS
    yield bench.Figure("survey_schedule_ms_per_1000_orders", elapsed * 1000 * scale, "ms")
    yield bench.Figure("survey_schedule_dynamodb_scans", OPERATIONS.counts.get("Scan", 0), "calls", digits=0)
    yield bench.Figure("survey_schedule_queries_per_1000_orders", OPERATIONS.counts.get("Query", 0) * scale,
                       "calls", digits=0)


@contextmanager
def _no_moto_table_backup():
    """moto deep-copies every table a TransactWriteItems touches, to roll back if it fails: O(table size)
    per transaction (140 ms each at a few thousand items, and gigabytes of garbage over 1,000 surveys),
    which DynamoDB does not do. No transaction of this bench fails, so tables are not copied."""
    import copy

    import moto.dynamodb.models as backend
    from moto.dynamodb.models.table import Table

    class _Copy:
        def __getattr__(self, name):
            return getattr(copy, name)

        @staticmethod
        def deepcopy(value, memo=None):
            return value if isinstance(value, Table) else copy.deepcopy(value, memo)

    saved = backend.copy
    backend.copy = _Copy()
    try:
        yield
    finally:
        backend.copy = saved


def _notifications_per_s() -> Iterator:
    import boto3

    from chalicelib.domain.events import UserSignedUp
    from chalicelib.events import envelope
    from tests.fixtures.live import LiveStack

    with tempfile.TemporaryDirectory(prefix="halles-bench-notifications-") as data_dir:
        stack = LiveStack(data_dir=Path(data_dir))
        stack.start(fresh=True)
        try:
            sqs = boto3.client("sqs", endpoint_url=stack.moto, region_name="eu-west-1", aws_access_key_id="testing",
                               aws_secret_access_key="testing", aws_session_token="testing")
            url = sqs.get_queue_url(QueueName="halles-local-notifications")["QueueUrl"]
            _wait_empty(sqs, url, deadline=time.perf_counter() + 120)  # the seed's own events first
            bodies = [json.dumps(envelope(UserSignedUp(user_id=str(uuid.uuid4()), email=f"bench-{n}@example.com",
                                                       name="Bench", role="shopper")))
                      for n in range(NOTIFICATION_EVENTS)]
            started = time.perf_counter()
            for start in range(0, len(bodies), 10):
                sqs.send_message_batch(QueueUrl=url, Entries=[
                    {"Id": str(i), "MessageBody": body} for i, body in enumerate(bodies[start:start + 10])])
            _wait_empty(sqs, url, deadline=started + 900)
            elapsed = time.perf_counter() - started
            yield bench.Figure("notifications_per_s", NOTIFICATION_EVENTS / elapsed, "events/s")
        finally:
            stack.stop()


def _wait_empty(sqs, url: str, *, deadline: float) -> None:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    while time.perf_counter() < deadline:
        attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        if all(int(attributes.get(name, 0)) == 0 for name in names):
            return
        time.sleep(0.2)
    raise TimeoutError("the notifications queue did not empty in time")
