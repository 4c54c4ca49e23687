"""CSV import benchmarks (`python -m scripts.bench imports`), registered in scripts/bench.py's registry.

- csv_import_dynamodb_writes_per_row: DynamoDB writes per CSV row, counted as the items the import asks
  DynamoDB to write (a PutItem or UpdateItem is one, a BatchWriteItem of 25 puts is 25, a transaction
  its items; index copies are not writes the import asks for), for a first import of IMPORT_ROWS new
  offers (one per product, none of the products offered before), from the upload to the last chunk, in
  process under moto's `mock_aws` (as the component tests run the app). The issue's target: <= 1.1.
- csv_import_dynamodb_wru_per_row: the same import in write request units as AWS bills an on-demand
  table, billed as scripts/bench_cost.py's AwsMeter bills an order (its rules: tests/unit/test_cost_model.py):
  1 WRU per started KB of the larger of the item before and after, twice in a transaction, PLUS 1 WRU
  per started KB for every global secondary index whose image of the item changed. Not moto's
  ReturnConsumedCapacity, which answers a constant whatever was written.
- csv_import_dynamodb_writes_per_row_reimport: items per row when the same rows are imported again after
  another import (nothing changes, nothing is written but the job's own records).

Measured with `--why`, 10,000 rows, 2026-11-27: offers 40,000 WRU for 10,000 items, imports 205 WRU for
103 (the job and one transaction per chunk): 1.01 items and 4.02 WRU per row; re-import 0.011 items
(0.021 WRU) per row; two conditions of half as many products 1.01 items, 3.52 WRU per row.
Why 1.0 item per row: the catalogue's listing entry of a product
(what the category listing, search and filters read: in stock, best offer, totals, vendors, offer count,
stale_at) lives on the product's best offer (chalicelib/store/listings.py), so a product's FIRST offer
is one item written carrying its listing; until 2026-11 the entry was a summary on the product item, a
second item per new offer (2.01 items, 5.02 WRU per row). Offers that change a product that already has
offers still refresh its entry, on the offer that holds it, and only when what the listing shows changed;
a best offer moving to another offer is one transaction of two items.
Why WRU cannot reach 1.1: a new offer must enter the indexes that find it (by_product: the product page
and the listing refresh; by_vendor: the vendor's offer list) and, carrying the listing, the sparse
by_listing the catalogue reads: 4 WRU for a product's first offer (every item under 1 KB), 2 WRU of
which (by_product, by_vendor) any offer costs. The ideas weighed before (WRU per row of this bench): one
summary per product per chunk (already so), BatchWriteItem (the same units, fewer calls), a listing table
of its own (1 WRU + the offer's 3: 4.0, and 2.0 items); an offer entering no index at all would be 1.0
WRU, but the product page, the vendor's list and the listing each need one.
Metering reads every written item back twice (its size before and after): the bench takes longer.

What they do not cover: DynamoDB's and SQS's own latency and throttling (moto answers in-process
or over loopback, one Python process on a shared machine); Lambda concurrency (in AWS several
chunks run at once); products that already have other vendors' offers (their summaries need an
index query per product); rows that fail; read units (the chunk's BatchGetItem of products and offers, and
one by_product query per product: who holds its listing).
"""

from __future__ import annotations

import base64
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from scripts.bench_host import running_bench

IMPORT_ROWS = int(os.environ.get("HALLES_BENCH_IMPORT_ROWS", "10000"))  # smaller for a quick look
HEADER = "product_id,condition,price,shipping_fee,stock,min_days,max_days\n"


bench = running_bench()


class _BilledWrites:
    """DynamoDB writes made in this process while `measure()` is open, in WRU as AWS bills them and in items.

    scripts/bench_cost.py's AwsMeter (botocore before/after-call hooks) does the billing: one model of
    DynamoDB's rules for every bench. `install()` must run before the clients it should see exist
    (botocore sessions copy the built-in handlers when they are created); `know_tables()` once the
    tables exist (their indexes and keys).
    """

    def __init__(self):
        self.meter = None
        self._handlers: list[tuple] = []
        # The consumer writes a chunk's rows from several threads and the meter adds to plain Counters
        # (a lost update under-counted about 1% of 10,000 rows): one call is counted at a time.
        self._lock = threading.RLock()  # reentrant: the meter reads items back through a client of its own

    def install(self) -> None:
        from botocore.handlers import BUILTIN_HANDLERS

        from scripts.bench_cost import AwsMeter

        if self.meter is not None:
            return
        self.meter = meter = AwsMeter({})

        def after_call(**kwargs):
            with self._lock:
                meter.after_call(**kwargs)

        self._handlers = [("before-call", meter.before_call), ("after-call", after_call)]
        BUILTIN_HANDLERS.extend(self._handlers)

    def uninstall(self) -> None:
        from botocore.handlers import BUILTIN_HANDLERS

        BUILTIN_HANDLERS[:] = [entry for entry in BUILTIN_HANDLERS if entry not in self._handlers]
        self.meter, self._handlers = None, []

    def know_tables(self, region: str) -> None:
        import boto3

        from scripts.bench_cost import _indexes

        tables = boto3.client("dynamodb", region_name=region).list_tables()["TableNames"]
        self.meter.tables = _indexes(tables)
        for table in tables:
            self.meter._key_of(table, {})  # key schemas known before the first write

    @contextmanager
    def measure(self) -> Iterator:
        """Yields the Usage being filled: `.wru` and `.writes` (items), per short table name."""
        from scripts.bench_cost import Usage

        self.meter.usage, self.meter.active = Usage(), True
        try:
            yield self.meter.usage
        finally:
            self.meter.active = False


WRITES = _BilledWrites()
_OPTIONS = {"why": False}


def options_why() -> bool:
    return _OPTIONS["why"]


def _csv(product_ids: list[str], stock: int, conditions: tuple[str, ...] = ("new",)) -> bytes:
    return (HEADER + "".join(f"{pid},{condition},19.99,0,{stock},1,3\n"
                             for pid in product_ids for condition in conditions)).encode()


def _new_products(vendor_id: str, count: int) -> list[str]:
    from chalicelib.services import catalog

    ids: list[str] = []
    batch = 200
    for start in range(0, count, batch):
        items = [{"title": f"Bench import item {start + i} {uuid.uuid4().hex[:6]}", "brand": "Bench",
                  "category": "outdoor"} for i in range(min(batch, count - start))]
        ids.extend(product["product_id"] for product, _ in catalog.create_products(vendor_id, items))
    return ids


@bench.benchmark("imports")
def import_figures(options) -> Iterator:
    WRITES.install()  # before any client exists in this process
    _OPTIONS["why"] = options.why
    yield from _writes_per_row()
    yield from _live_rows_per_s()


def _per_row(usage, rows: int) -> str:
    """`--why`'s line: WRU and items per table."""
    return ", ".join(f"{table} {usage.wru[table]} WRU / {usage.writes[table]} items"
                     for table in sorted(usage.wru)) + f" ({rows} rows)"


def _writes_per_row() -> Iterator:
    from chalice.test import Client

    import app as halles
    from scripts.bench_checkout import _component_user, _quiet
    from tests.fixtures.aws import REGION
    from tests.fixtures.catalog import module_stack

    with _quiet(), module_stack() as deployment, Client(halles.app, stage_name="dev") as client:
        WRITES.know_tables(REGION)
        vendor = _component_user("vendor", "Bench Imports")
        product_ids = _new_products(vendor.user_id, IMPORT_ROWS)
        with WRITES.measure() as first:
            _upload_in_process(client, vendor, _csv(product_ids, 5))
            _drain_in_process(halles.app, deployment)
        if not first.writes:  # a figure of 0 would be a meter blind to the app's clients, not a free import
            raise SystemExit("bench imports: no DynamoDB write seen; the meter was installed after the clients")
        _upload_in_process(client, vendor, _csv(product_ids[:1], 6))  # another import in between
        _drain_in_process(halles.app, deployment)
        with WRITES.measure() as again:
            _upload_in_process(client, vendor, _csv(product_ids, 5))
            _drain_in_process(halles.app, deployment)
        if options_why():
            # The same number of rows as two conditions of half as many products: one listing entry per product.
            shared = _new_products(vendor.user_id, IMPORT_ROWS // 2)
            with WRITES.measure() as paired:
                _upload_in_process(client, vendor, _csv(shared, 5, ("new", "used")))
                _drain_in_process(halles.app, deployment)
    if options_why():
        print(f"csv import, first: {_per_row(first, IMPORT_ROWS)}", file=sys.stderr)
        print(f"csv import, again: {_per_row(again, IMPORT_ROWS)}", file=sys.stderr)
        print(f"csv import, two conditions per product: {_per_row(paired, IMPORT_ROWS // 2 * 2)} = "
              f"{sum(paired.wru.values()) / (IMPORT_ROWS // 2 * 2):.2f} WRU/row", file=sys.stderr)
    yield bench.Figure("csv_import_dynamodb_writes_per_row", sum(first.writes.values()) / IMPORT_ROWS, "items/row",
                       digits=2)
    yield bench.Figure("csv_import_dynamodb_wru_per_row", sum(first.wru.values()) / IMPORT_ROWS, "WRU/row",
                       digits=2)
    yield bench.Figure("csv_import_dynamodb_writes_per_row_reimport", sum(again.writes.values()) / IMPORT_ROWS,
                       "items/row", digits=3)


def _upload_in_process(client, vendor, raw: bytes) -> dict:
    from tests.fixtures.aws import call

    status, body, _ = call(client, "POST", "/vendor/imports",
                           {"file_name": "bench.csv", "content_base64": base64.b64encode(raw).decode()},
                           token=vendor.access_token)
    assert status in (200, 202), body
    return body


def _drain_in_process(app, deployment) -> None:
    import boto3

    from devstack.functions import discover, lambda_context
    from devstack.pump import SqsPump
    from tests.fixtures.aws import REGION

    function = next(fn for fn in discover(app).values() if fn.queue == "offer-imports")
    sqs = boto3.client("sqs", region_name=REGION)
    url = deployment.queues["offer-imports"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pump = SqsPump(function, url, arn, sqs, REGION, retry_after=0, wait_seconds=0,
                   context_factory=lambda: lambda_context("halles", "dev", function.name, REGION))
    while pump.poll_once(wait_seconds=0).received:
        pass


def _live_rows_per_s() -> Iterator:
    from tests.fixtures.live import LiveStack

    with tempfile.TemporaryDirectory(prefix="halles-bench-imports-") as data_dir:
        stack = LiveStack(data_dir=Path(data_dir))
        stack.start(fresh=True)
        try:
            vendor = stack.credentials["vendors"][0]
            status, session, _ = stack.call("POST", "/auth/signin", {"email": vendor["email"],
                                                                    "password": vendor["password"]})
            assert status == 200, session
            token = session["access_token"]
            from scripts.bench_checkout import _quiet

            with _quiet():  # the products are set-up, not part of the figure: no app logs or metrics lines
                product_ids = _live_products(stack, session["user"]["user_id"], IMPORT_ROWS)
            raw = _csv(product_ids, 5)
            started = time.perf_counter()
            status, job, _ = stack.call("POST", "/vendor/imports", {
                "file_name": "bench.csv", "content_base64": base64.b64encode(raw).decode()}, token=token, timeout=120)
            assert status == 202, job
            deadline = started + 1800
            while job["status"] != "done" and time.perf_counter() < deadline:
                time.sleep(0.5)
                try:  # the local stack stalls while it snapshots a large data set (every 30 s)
                    status, answer, _ = stack.call("GET", f"/vendor/imports/{job['import_id']}", token=token,
                                                   timeout=120)
                except OSError:
                    continue
                assert status == 200, answer
                job = answer
            elapsed = time.perf_counter() - started
            assert job["status"] == "done" and job["rows_failed"] == 0, job
            yield bench.Figure("csv_import_rows_per_s", IMPORT_ROWS / elapsed, "rows/s")
        finally:
            stack.stop()


def _live_products(stack, vendor_id: str, count: int) -> list[str]:
    """The products to import offers for, written straight into the local stack's moto (not part of the figure)."""
    names = ("AWS_ENDPOINT_URL", "HALLES_TABLE_PREFIX", "HALLES_LOCAL_MODE", "AWS_ACCESS_KEY_ID",
             "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION")
    saved = {name: os.environ.get(name) for name in names}
    os.environ.update({"AWS_ENDPOINT_URL": stack.moto, "HALLES_TABLE_PREFIX": "halles-local-",
                       "HALLES_LOCAL_MODE": "1", "AWS_ACCESS_KEY_ID": "testing",
                       "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing",
                       "AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"})
    try:
        return _new_products(vendor_id, count)
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
