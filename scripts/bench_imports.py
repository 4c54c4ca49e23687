"""CSV import benchmarks (`python -m scripts.bench imports`), registered in scripts/bench.py's registry.

- csv_import_dynamodb_writes_per_row: DynamoDB items written per CSV row by a first import of
  IMPORT_ROWS new offers (one per product, none of the products offered before), from the upload
  to the last chunk, in process under moto's `mock_aws` (as the component tests run the app).
  Counted in items, not calls: a BatchWriteItem of 25 puts counts 25 and a TransactWriteItems of 2
  counts 2. Target <= 1.1. Also printed: `..._reimport` (the same rows imported again after
  another import: nothing changes) and `..._summaries` (of the first figure, the products' listing
  summaries refreshed so shoppers see the stock at once).
- csv_import_rows_per_s: IMPORT_ROWS rows on the real local stack (`python -m devstack run
  --fresh`, started as the e2e tests start it), end to end: the upload over HTTP, the chunks
  through the offer-imports queue and the devstack pump (one chunk at a time, like a Lambda with
  reserved concurrency 1), until GET /vendor/imports/{id} says done.

Why the first figure is 2.0 and not the issue's 1.1 (measured by table with `--why`: offers 10,000,
products 10,000, imports ~100, i.e. one job/errors transaction item per chunk): each row of this
bench is a product's FIRST offer, so two items must change, the offer (checkout's conditional stock
writes and the vendor's and product's indexes read it) and the product's listing summary (the
category listing filters on it in its DynamoDB query: in stock, price range, vendor). Coalescing
cannot merge them: a chunk already refreshes each product's summary once, however many of its offers
the chunk holds, and skips it when the listing would not change (the re-import figure); a batched or
asynchronous refresher would still write one summary per product here. Below 2 needs the listing to
live elsewhere than on the product item (e.g. a sparse listing index on the offers table itself, set
on each product's best offer), a catalogue read-model change. A row that changes nothing a listing
shows (e.g. the stock of an offer that is not its product's best, still in stock) costs one item.

Items are not capacity units: in DynamoDB each put of an offer also writes its two ALL-projected
indexes (by_product, by_vendor) and a summary update its by_category index copy, so a new listing
costs about 5 write units there; the figure counts the items the import asks DynamoDB to write.

What they do not cover: DynamoDB's and SQS's own latency and throttling (moto answers in-process
or over loopback, one Python process on a shared machine); Lambda concurrency (in AWS several
chunks run at once); products that already have other vendors' offers (their summaries need an
index query per product); rows that fail.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

IMPORT_ROWS = int(os.environ.get("HALLES_BENCH_IMPORT_ROWS", "10000"))  # smaller for a quick look
HEADER = "product_id,condition,price,shipping_fee,stock,min_days,max_days\n"
WRITE_OPERATIONS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


def _registry():
    main = sys.modules.get("__main__")
    if getattr(getattr(main, "__spec__", None), "name", None) == "scripts.bench":
        return main
    import scripts.bench  # noqa: F401

    return sys.modules["scripts.bench"]  # half-imported when it is the importer: no package attribute yet


bench = _registry()


class _WriteItems:
    """Items written by DynamoDB calls made in this process, per table (a botocore before-call hook)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.by_table: dict[str, int] = {}
        self.active = False

    def __call__(self, model=None, params=None, **_kwargs):
        name = getattr(model, "name", "")
        if not self.active or name not in WRITE_OPERATIONS:
            return
        try:  # before-call sees the serialized request: its JSON body
            params = json.loads((params or {}).get("body") or b"{}")
        except ValueError:
            params = {}
        if name == "BatchWriteItem":
            written = [(table, len(requests)) for table, requests in params.get("RequestItems", {}).items()]
        elif name == "TransactWriteItems":
            written = [(next(iter(item.values()))["TableName"], 1) for item in params.get("TransactItems", [])
                       if "ConditionCheck" not in item]
        else:
            written = [(params.get("TableName", "?"), 1)]
        with self.lock:
            for table, items in written:
                short = table.rsplit("-", 1)[-1]
                self.by_table[short] = self.by_table.get(short, 0) + items

    @property
    def items(self) -> int:
        return sum(self.by_table.values())

    def measure(self):
        recorder = self

        class _Scope:
            def __enter__(self):
                recorder.by_table, recorder.active = {}, True
                return recorder

            def __exit__(self, *exc):
                recorder.active = False

        return _Scope()


WRITES = _WriteItems()
_OPTIONS = {"why": False}


def options_why() -> bool:
    return _OPTIONS["why"]


def _install_hook() -> None:
    from botocore.handlers import BUILTIN_HANDLERS

    if not any(handler is WRITES for _, handler, *_ in BUILTIN_HANDLERS):
        BUILTIN_HANDLERS.append(("before-call.dynamodb", WRITES))


def _csv(product_ids: list[str], stock: int) -> bytes:
    return (HEADER + "".join(f"{pid},new,19.99,0,{stock},1,3\n" for pid in product_ids)).encode()


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
    _install_hook()  # before any client exists in this process
    _OPTIONS["why"] = options.why
    yield from _writes_per_row()
    yield from _live_rows_per_s()


def _writes_per_row() -> Iterator:
    from chalice.test import Client

    import app as halles
    from scripts.bench_checkout import _component_user, _quiet
    from tests.fixtures.catalog import module_stack

    with _quiet(), module_stack() as deployment, Client(halles.app, stage_name="dev") as client:
        vendor = _component_user("vendor", "Bench Imports")
        product_ids = _new_products(vendor.user_id, IMPORT_ROWS)
        figures = {}
        with WRITES.measure():
            _upload_in_process(client, vendor, _csv(product_ids, 5))
            _drain_in_process(halles.app, deployment)
            figures["first"] = WRITES.items
            summaries = WRITES.by_table.get("products", 0)
            if options_why():
                print(f"csv import writes by table: {WRITES.by_table}", file=sys.stderr)
        _upload_in_process(client, vendor, _csv(product_ids[:1], 6))  # another import in between
        _drain_in_process(halles.app, deployment)
        with WRITES.measure():
            _upload_in_process(client, vendor, _csv(product_ids, 5))
            _drain_in_process(halles.app, deployment)
            figures["again"] = WRITES.items
    yield bench.Figure("csv_import_dynamodb_writes_per_row", figures["first"] / IMPORT_ROWS, "items/row", digits=2)
    yield bench.Figure("csv_import_dynamodb_writes_per_row_summaries", summaries / IMPORT_ROWS, "items/row", digits=2)
    yield bench.Figure("csv_import_dynamodb_writes_per_row_reimport", figures["again"] / IMPORT_ROWS, "items/row",
                       digits=3)


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
