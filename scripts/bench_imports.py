"""CSV import benchmarks (`python -m scripts.bench imports`), registered in scripts/bench.py's registry.

- csv_import_dynamodb_writes_per_row: DynamoDB write request units (WRU) per CSV row, as AWS bills
  an on-demand table, for a first import of IMPORT_ROWS new offers (one per product, none of the
  products offered before), from the upload to the last chunk, in process under moto's `mock_aws`
  (as the component tests run the app). Billed as scripts/bench_cost.py's AwsMeter bills an order
  (its rules: tests/unit/test_cost_model.py): 1 WRU per started KB of the larger of the item before
  and after, twice in a transaction, PLUS 1 WRU per started KB for every global secondary index whose
  image of the item changed (a new offer enters by_product and by_vendor: 3 WRU). Not moto's
  ReturnConsumedCapacity, which answers a constant whatever was written. Target <= 1.1.
  Also printed: `..._summaries` (of that figure, the products' listing summaries refreshed so shoppers
  see the stock at once), `..._reimport` (the same rows imported again after another import: nothing
  changes) and `csv_import_dynamodb_items_per_row` (items the import asks DynamoDB to write, indexes
  not counted: what the first figure counted until 2026-11; a BatchWriteItem of 25 puts is 25 items).
- csv_import_rows_per_s: IMPORT_ROWS rows on the real local stack (`python -m devstack run
  --fresh`, started as the e2e tests start it), end to end: the upload over HTTP, the chunks
  through the offer-imports queue and the devstack pump (one chunk at a time, like a Lambda with
  reserved concurrency 1), until GET /vendor/imports/{id} says done.

Why the first figure is 5.02 WRU and not the issue's 1.1 (measured with `--why`, 10,000 rows, 2026-11-27:
offers 30,000 WRU for 10,000 items, products 20,000 for 10,000, imports 205 for 103: the job and one
transaction per chunk, billed twice; items 2.01 per row, re-import 0.021 WRU per row). A product's FIRST offer must change two things shoppers read: the offer itself (checkout's
conditional stock writes; 1 WRU, plus its by_product index that the product page and the summary read
and its by_vendor index that the vendor's offer list reads: 3 WRU, every item being under 1 KB) and the
product's listing (the category listing filters on it in its DynamoDB query: in stock, price range,
vendor; 1 WRU plus its by_category index: 2 WRU). The ideas weighed (WRU per row of this bench):
- one summary per product per chunk: already so (a chunk refreshes each product once, however many of
  its offers it holds, and not at all when the listing would not change: the re-import figure); it
  only helps rows sharing products (two conditions of each product: 4.02), not this bench (5.02);
- BatchWriteItem of the summaries: the same units (one per item under 1 KB), fewer calls only;
- the listing folded into the offer, read through a sparse listing index over offers set on each
  product's best offer: 1 + by_product + by_vendor + the listing index = 4.0 per first offer (items 1.0),
  plus a second offer write whenever the best offer moves to another item, and the listing's vendor
  filter (products ANY of whose offers is that vendor's) no longer answerable from one index;
- the listing as a table of its own keyed (category, title_key) instead of the products' by_category
  index: its write is 1 WRU, not 2, so 4.0; the catalogue, search and product page read it instead;
- 1.1 WRU would need an offer that enters no index at all: the offers table keyed by product (the
  product page and the summary reading the table, not an index) still needs the vendor's index and
  the listing's: the offer, its vendor's list and the listing are 3.0 for a product's first offer.
Items are what the issue's 1.1 can mean: 2.0 today, 1.0 with the folded listing, at 4.0 WRU. Each of
these is a change of the catalogue's read model (and a migration), not of the import: not done here.
Metering reads every written item back twice (its size before and after): the bench takes longer.

What they do not cover: DynamoDB's and SQS's own latency and throttling (moto answers in-process
or over loopback, one Python process on a shared machine); Lambda concurrency (in AWS several
chunks run at once); products that already have other vendors' offers (their summaries need an
index query per product); rows that fail; read units (the chunk's BatchGetItem of products and offers).
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
            # The same number of rows as two conditions of half as many products: one summary per product.
            shared = _new_products(vendor.user_id, IMPORT_ROWS // 2)
            with WRITES.measure() as paired:
                _upload_in_process(client, vendor, _csv(shared, 5, ("new", "used")))
                _drain_in_process(halles.app, deployment)
    if options_why():
        print(f"csv import, first: {_per_row(first, IMPORT_ROWS)}", file=sys.stderr)
        print(f"csv import, again: {_per_row(again, IMPORT_ROWS)}", file=sys.stderr)
        print(f"csv import, two conditions per product: {_per_row(paired, IMPORT_ROWS // 2 * 2)} = "
              f"{sum(paired.wru.values()) / (IMPORT_ROWS // 2 * 2):.2f} WRU/row", file=sys.stderr)
    yield bench.Figure("csv_import_dynamodb_writes_per_row", sum(first.wru.values()) / IMPORT_ROWS, "WRU/row",
                       digits=2)
    yield bench.Figure("csv_import_dynamodb_writes_per_row_summaries", first.wru["products"] / IMPORT_ROWS,
                       "WRU/row", digits=2)
    yield bench.Figure("csv_import_dynamodb_writes_per_row_reimport", sum(again.wru.values()) / IMPORT_ROWS,
                       "WRU/row", digits=3)
    yield bench.Figure("csv_import_dynamodb_items_per_row", sum(first.writes.values()) / IMPORT_ROWS, "items/row",
                       digits=2)


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
