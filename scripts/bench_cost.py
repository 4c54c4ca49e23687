"""Infrastructure cost of one order (`python -m scripts.bench cost [--why]`), registered in scripts/bench.py.

One full order, in process under moto's `mock_aws` with infra/ deployed and the local payment
provider (as the component tests run the app), everything counted from the shopper's first page:
browse (listing, two product pages), cart (two lines, the cart), quote, checkout, the provider's
webhooks, every queue consumer until all queues are empty (payment events, notifications and their
mails, analytics), both vendors accepting and shipping, the shopper confirming receipt of each part
(the vendor transfers: the payout), and the consumers again.

Counted, per order:
- API requests (API Gateway HTTP API, as packaged) and Lambda invocations: one per HTTP call (API handler) and one per
  SQS batch a consumer received (as the event source mapping invokes it; the mapping's own receive
  and delete are SQS requests, not the function's duration);
- Lambda duration: per invocation, the CPU time of the thread that ran it (the app's Python and the
  SDK's) plus a modelled round trip per AWS call it made (AWS_ROUND_TRIP_S: DynamoDB, SQS, SES from
  inside the region), rounded up to 1 ms, times the functions' memory. The CPU moto spends answering
  a call in process is AWS's side of that round trip, not the function's: it is measured (moto's
  botocore stubber, timed) and left out, the round trip standing for it
  (.chalice/config.json `lambda_memory_size`). Not wall time: on this shared 2-core machine wall time
  is mostly waiting for a core (`--why` prints it next to the billed figure);
- DynamoDB request units, computed here from item sizes as DynamoDB bills on-demand tables (moto's
  ConsumedCapacity is a constant, not a measure): a write is 1 WRU per KB (rounded up) of the larger of
  the item before and after, 2x in a transaction (condition checks included), plus 1 WRU per KB for each
  global secondary index whose projected image of the item changed (ALL: the whole item; KEYS_ONLY and
  INCLUDE: the projected attributes; a changed index key is a delete plus a put); a read is 1 RRU per 4 KB
  (rounded up, per item for GetItem/BatchGetItem, per request for Query/Scan on the items returned),
  half when eventually consistent. The item sizes before/after a write are read from moto with the
  counters off. A failed conditional write costs 1 WRU (DynamoDB bills the attempt);
- SQS requests: every call the app and the event source mapping make (send, receive that got messages,
  delete), one request per 64 KB of payload;
- mails: SES SendEmail/SendRawEmail calls, priced apart (`mail_usd_per_1000_orders`): they grow with
  the messages sent, not with the machinery.

Not covered (say so when quoting the figure): Lambda cold starts (init time is billed since 2025 on
some runtimes: add about one cold start per container), the event source mappings' empty long polls
(a fixed ~0.26 USD per queue and month, whatever the orders), CloudWatch Logs ingestion and metrics
(EMF lines), Cognito (priced per monthly active user, not per order), S3 image requests and data
transfer out, the payment provider's fees, and DynamoDB storage. The payment provider's own latency
(the Stripe API answers in 100-400 ms; the local provider in a thread of this process) is not in the
billed duration: the checkout's and the payout's Lambda time is under-counted by that much. The CPU
time is this machine's, on a whole core; Lambda gives a function CPU in proportion to its memory (one
vCPU at 1,769 MB), so at 512 MB the CPU part of the duration is under-counted too (about 3.5x on a
core as fast as this one); and for that reason the model cannot price a smaller memory size honestly
(it would bill the same CPU seconds for less memory): the functions keep `lambda_memory_size`.
"""

from __future__ import annotations

import dataclasses
import json
import math
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from scripts.bench_host import running_bench

ROOT = Path(__file__).resolve().parent.parent

# List prices, region eu-west-1 (Europe, Ireland), on-demand, first tier, x86, no free tier, in USD.
# Read from the services' public pricing pages (aws.amazon.com/<service>/pricing) as last known in
# 2025-11 and NOT re-read live when this table was written (no network access to them): check them
# before quoting a figure as a price.
PRICES_EU_WEST_1 = {
    "lambda_request": 0.20 / 1_000_000,
    "lambda_gb_second": 0.0000166667,
    # The packaged template's API is an HTTP API (scripts/package.py `as_http_api`), up to 300 million
    # requests a month; `--why` prints what Chalice's REST API would cost instead.
    "api_gateway_http_request": 1.00 / 1_000_000,
    "api_gateway_rest_request": 3.50 / 1_000_000,
    "dynamodb_write_request_unit": 0.7063 / 1_000_000,  # after the 2024-11 on-demand price cut
    "dynamodb_read_request_unit": 0.1413 / 1_000_000,
    "sqs_standard_request": 0.40 / 1_000_000,
    "ses_message": 0.10 / 1_000,
}
INFRA_TARGET_USD_PER_1000_ORDERS = 0.10
# Typical in-region round trips, seconds (a model, not a measure: moto answers in process).
AWS_ROUND_TRIP_S = {"dynamodb": 0.006, "sqs": 0.010, "ses": 0.030, "sesv2": 0.030}
READ_OPERATIONS = {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"}
WRITE_OPERATIONS = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


bench = running_bench()


# ---- DynamoDB item sizes (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html)


def _number_size(text: str) -> int:
    digits = text.lstrip("-").replace(".", "").strip("0") or "0"
    return math.ceil(len(digits) / 2) + 1


def attribute_value_size(value: dict) -> int:
    (kind, raw), = value.items()
    if kind == "S":
        return len(raw.encode())
    if kind == "N":
        return _number_size(raw)
    if kind == "B":
        return len(raw) * 3 // 4 if isinstance(raw, str) else len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(v.encode()) for v in raw)
    if kind == "NS":
        return sum(_number_size(v) for v in raw)
    if kind == "BS":
        return sum(len(v) * 3 // 4 for v in raw)
    if kind == "L":
        return 3 + sum(1 + attribute_value_size(v) for v in raw)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + attribute_value_size(v) for k, v in raw.items())
    return 0


def item_size(item: dict | None) -> int:
    return sum(len(name.encode()) + attribute_value_size(value) for name, value in (item or {}).items())


def write_units(size: int) -> int:
    return max(1, math.ceil(size / 1024))


def read_units(size: int, consistent: bool) -> float:
    units = max(1, math.ceil(size / 4096))
    return float(units if consistent else units / 2)


# ---- counting -----------------------------------------------------------------------------------


@dataclass
class Usage:
    api_requests: int = 0
    invocations: Counter = field(default_factory=Counter)  # function -> count
    gb_seconds: float = 0.0
    seconds: Counter = field(default_factory=Counter)  # function -> billed seconds (module docstring)
    wall_seconds: Counter = field(default_factory=Counter)  # function -> wall seconds on this machine
    wru: Counter = field(default_factory=Counter)  # table -> units
    rru: Counter = field(default_factory=Counter)
    sqs_requests: Counter = field(default_factory=Counter)  # operation -> requests
    mails: int = 0
    other_calls: Counter = field(default_factory=Counter)  # service.operation -> calls (not priced)
    writes: Counter = field(default_factory=Counter)  # table -> items written (to show WRU per item)
    write_kinds: Counter = field(default_factory=Counter)  # (table, how it was written) -> WRU (`--why`)

    def costs(self) -> dict[str, float]:
        p = PRICES_EU_WEST_1
        return {
            "lambda requests": sum(self.invocations.values()) * p["lambda_request"],
            "lambda duration": self.gb_seconds * p["lambda_gb_second"],
            "api gateway": self.api_requests * p["api_gateway_http_request"],
            "dynamodb writes": sum(self.wru.values()) * p["dynamodb_write_request_unit"],
            "dynamodb reads": sum(self.rru.values()) * p["dynamodb_read_request_unit"],
            "sqs": sum(self.sqs_requests.values()) * p["sqs_standard_request"],
        }

    def mail_cost(self) -> float:
        return self.mails * PRICES_EU_WEST_1["ses_message"]


class AwsMeter:
    """botocore hooks on every client of this process: what each AWS call costs, into `usage`."""

    def __init__(self, tables: dict[str, list[dict]]):
        self.tables = tables  # physical table name -> its GSIs' key schemas
        self.usage = Usage()
        self.active = False
        self._paused = threading.local()
        self._raw = None
        self._key_schemas: dict[str, list[str]] = {}
        self.overhead_s = 0.0  # CPU the meter itself spends inside invocations (sizes read back): not billed
        self.modelled_wait_s = 0.0  # AWS_ROUND_TRIP_S of every counted call
        self.aws_side_s = 0.0  # CPU moto spends answering counted calls (AWS's side of the round trip)

    # A client of its own, used with the meter paused, to read item sizes around writes.
    def _raw_client(self):
        if self._raw is None:
            import boto3

            self._raw = boto3.client("dynamodb", region_name="eu-west-1")
        return self._raw

    @contextmanager
    def paused(self):
        self._paused.on = True
        try:
            yield
        finally:
            self._paused.on = False

    def _counting(self) -> bool:
        return self.active and not getattr(self._paused, "on", False)

    def _stored_item(self, table: str, key: dict) -> dict | None:
        with self.paused():
            return self._raw_client().get_item(TableName=table, Key=key, ConsistentRead=True).get("Item")

    def _index_units(self, table: str, before: dict | None, after: dict | None) -> int:
        """Write units on the table's GSIs: nothing when the projected item is unchanged, a delete plus
        a put when its index key changed (DynamoDB's rules for index writes)."""
        units = 0
        for index in self.tables.get(table, []):
            old, new = _projected(before, index, self._key_schemas.get(table, [])), \
                _projected(after, index, self._key_schemas.get(table, []))
            if old == new:
                continue
            moved = old is not None and new is not None and any(old[k] != new[k] for k in index["keys"])
            for image in ((old, new) if moved else (new if new is not None else old,)):
                if image is not None:
                    units += write_units(item_size(image))
        return units

    def _writes_of(self, name: str, body: dict) -> list[tuple[str, dict, str, dict | None]]:
        """(table, key, kind, item written) of each item a write request touches."""
        if name in ("PutItem", "UpdateItem", "DeleteItem"):
            item = body.get("Item")
            return [(body["TableName"], body.get("Key") or self._key_of(body["TableName"], item or {}), name, item)]
        if name == "BatchWriteItem":
            writes = []
            for table, requests in body.get("RequestItems", {}).items():
                for request in requests:
                    put, delete = request.get("PutRequest"), request.get("DeleteRequest")
                    if put:
                        writes.append((table, self._key_of(table, put["Item"]), "PutItem", put["Item"]))
                    elif delete:
                        writes.append((table, delete["Key"], "DeleteItem", None))
            return writes
        if name == "TransactWriteItems":
            writes = []
            for entry in body.get("TransactItems", []):
                (kind, op), = entry.items()
                item = op.get("Item")
                writes.append((op["TableName"], op.get("Key") or self._key_of(op["TableName"], item or {}), kind, item))
            return writes
        return []

    def before_call(self, model=None, params=None, context=None, **_):
        if not self._counting() or context is None:
            return
        started = time.thread_time()
        try:
            self._before_call(model, params, context)
        finally:
            self.overhead_s += time.thread_time() - started

    def _before_call(self, model, params, context):
        service = model.service_model.service_name
        try:
            body = json.loads((params or {}).get("body") or b"{}")
        except (ValueError, TypeError):
            body = {}
        context["halles_cost"] = body
        if service == "dynamodb" and model.name in WRITE_OPERATIONS:
            context["halles_before"] = [self._stored_item(table, key)
                                        for table, key, _, _ in self._writes_of(model.name, body)]

    def _key_of(self, table: str, item: dict) -> dict:
        if table not in self._key_schemas:
            with self.paused():
                schema = self._raw_client().describe_table(TableName=table)["Table"]["KeySchema"]
            self._key_schemas[table] = [k["AttributeName"] for k in schema]
        return {name: item[name] for name in self._key_schemas[table] if name in item}

    def after_call(self, http_response=None, parsed=None, model=None, context=None, **_):
        if not self._counting() or context is None or "halles_cost" not in context:
            return
        started = time.thread_time()
        self.modelled_wait_s += AWS_ROUND_TRIP_S.get(model.service_model.service_name, 0.010)
        try:
            self._after_call(parsed, model, context)
        finally:
            self.overhead_s += time.thread_time() - started

    def _after_call(self, parsed, model, context):
        body, service, name = context["halles_cost"], model.service_model.service_name, model.name
        failed = bool((parsed or {}).get("Error"))
        if service == "dynamodb":
            self._dynamodb(name, body, parsed or {}, context, failed)
        elif service == "sqs":
            if name == "ReceiveMessage" and not (parsed or {}).get("Messages"):
                return  # empty polls: a fixed cost per queue, not per order (module docstring)
            size = len(json.dumps(body).encode())
            self.usage.sqs_requests[name] += max(1, math.ceil(size / 65536))
        elif service in ("ses", "sesv2") and name in ("SendEmail", "SendRawEmail") and not failed:
            self.usage.mails += 1
        else:
            self.usage.other_calls[f"{service}.{name}"] += 1

    def _dynamodb(self, name: str, body: dict, parsed: dict, context: dict, failed: bool) -> None:
        usage = self.usage
        short = self.short_name
        if name in WRITE_OPERATIONS:
            transaction = name == "TransactWriteItems"
            writes, befores = self._writes_of(name, body), context.get("halles_before") or []
            for (table, key, kind, item), before in zip(writes, befores, strict=False):
                usage.writes[short(table)] += 1
                how = (short(table), f"{'transaction ' if transaction else ''}{kind}{' failed' if failed else ''}")
                if failed:  # the attempt is billed (a failed transaction: each item's units)
                    units = (2 if transaction else 1) * write_units(item_size(before or item))
                    usage.wru[short(table)] += units
                    usage.write_kinds[how] += units
                    continue
                after = self._stored_item(table, key)
                size = max(item_size(before), item_size(after), item_size(item) if kind == "ConditionCheck" else 0)
                units = (2 if transaction else 1) * write_units(size)
                if kind != "ConditionCheck":
                    units += self._index_units(table, before, after)
                usage.wru[short(table)] += units
                usage.write_kinds[how] += units
        elif name == "GetItem":
            usage.rru[short(body["TableName"])] += read_units(item_size(parsed.get("Item")),
                                                              bool(body.get("ConsistentRead")))
        elif name == "BatchGetItem":
            for table, request in body.get("RequestItems", {}).items():
                found = {json.dumps({k: item[k] for k in request["Keys"][0]}, sort_keys=True): item_size(item)
                         for item in parsed.get("Responses", {}).get(table, [])} if request.get("Keys") else {}
                for key in request.get("Keys", []):
                    size = found.get(json.dumps(key, sort_keys=True), 0)
                    usage.rru[short(table)] += read_units(size, bool(request.get("ConsistentRead")))
        elif name in ("Query", "Scan"):
            items = parsed.get("Items", [])
            size = sum(item_size(item) for item in items)
            scanned, returned = parsed.get("ScannedCount", len(items)), max(1, len(items))
            if scanned > len(items) and items:  # a filter dropped items DynamoDB still read
                size = size * scanned // returned
            consistent = bool(body.get("ConsistentRead")) and not body.get("IndexName")
            usage.rru[short(body["TableName"])] += read_units(size, consistent)
        elif name == "TransactGetItems":
            for entry in body.get("TransactItems", []):
                usage.rru[short(entry["Get"]["TableName"])] += 2.0
        else:
            usage.other_calls[f"dynamodb.{name}"] += 1

    @staticmethod
    def short_name(table: str) -> str:
        """The table's name without the stack's prefix (`vendor-orders`, not `orders`)."""
        from chalicelib.settings import get_settings

        prefix = get_settings().table_prefix
        return table[len(prefix):] if table.startswith(prefix) else table

    def install(self) -> None:
        from botocore.handlers import BUILTIN_HANDLERS
        from moto.core.botocore_stubber import BotocoreStubber

        BUILTIN_HANDLERS.append(("before-call", self.before_call))
        BUILTIN_HANDLERS.append(("after-call", self.after_call))
        BotocoreStubber.__call__ = self.aws_side(BotocoreStubber.__call__)

    def aws_side(self, answer):
        """`answer` (moto answering a call, in process) timed into `aws_side_s` while counting: that CPU
        is AWS's side of the call, which the modelled round trip stands for, not the function's."""
        def timed(*args, **kwargs):
            if not self._counting():
                return answer(*args, **kwargs)
            started = time.thread_time()
            try:
                return answer(*args, **kwargs)
            finally:
                self.aws_side_s += time.thread_time() - started

        return timed


def _projected(item: dict | None, index: dict, table_keys: list[str]) -> dict | None:
    """The image of `item` in a GSI, or None when the item is not in it (an index key is missing)."""
    if item is None or not all(k in item for k in index["keys"]):
        return None
    if index["projection"] == "ALL":
        return dict(item)
    names = set(index["keys"]) | set(table_keys) | set(index.get("include", []))
    return {k: v for k, v in item.items() if k in names}


def _indexes(session_tables: list[str]) -> dict[str, list[dict]]:
    import boto3

    client = boto3.client("dynamodb", region_name="eu-west-1")
    found = {}
    for table in session_tables:
        described = client.describe_table(TableName=table)["Table"]
        found[table] = [{"keys": [k["AttributeName"] for k in gsi["KeySchema"]],
                         "projection": gsi["Projection"]["ProjectionType"],
                         "include": gsi["Projection"].get("NonKeyAttributes", [])}
                        for gsi in described.get("GlobalSecondaryIndexes", [])]
    return found


def _memory_gb() -> float:
    config = json.loads((ROOT / ".chalice" / "config.json").read_text())
    return config.get("lambda_memory_size", 128) / 1024


# ---- the order -----------------------------------------------------------------------------------


def one_order(why: bool) -> Usage:
    import boto3
    from chalice.test import Client

    import app as halles
    from chalicelib.store import vendors as vendors_store
    from devstack.functions import discover, lambda_context
    from devstack.pump import SqsPump
    from scripts.bench_checkout import _component_user, _quiet
    from tests.fixtures.addresses import checkout_body
    from tests.fixtures.aws import REGION, call
    from tests.fixtures.catalog import build_catalog, module_stack
    from tests.fixtures.payments import local_payment_provider

    memory_gb = _memory_gb()
    meter = AwsMeter({})
    meter.install()  # before any botocore session exists: sessions copy the built-in handlers when created

    def start() -> tuple[float, ...]:
        return time.perf_counter(), time.thread_time(), meter.overhead_s, meter.aws_side_s, meter.modelled_wait_s

    def charge(function: str, started: tuple[float, ...]) -> None:
        wall, cpu, overhead, aws_side, waited = started
        own_cpu = time.thread_time() - cpu - (meter.overhead_s - overhead) - (meter.aws_side_s - aws_side)
        seconds = own_cpu + (meter.modelled_wait_s - waited)
        usage = meter.usage
        usage.invocations[function] += 1
        usage.seconds[function] += seconds
        usage.wall_seconds[function] += time.perf_counter() - wall
        usage.gb_seconds += math.ceil(seconds * 1000) / 1000 * memory_gb

    with _quiet(), module_stack() as deployment, local_payment_provider() as provider, \
            Client(halles.app, stage_name="dev") as client:
        sqs = boto3.client("sqs", region_name=REGION)
        tables = [t for t in boto3.client("dynamodb", region_name=REGION).list_tables()["TableNames"]]
        meter.tables = _indexes(tables)
        for table in tables:
            meter._key_of(table, {})  # key schemas known before the first write

        def api(method: str, path: str, token: str | None = None, body=None, headers=None):
            started = start()
            status, answer, _ = call(client, method, path, body, token=token, headers=headers)
            if meter.active:
                meter.usage.api_requests += 1
                charge("APIHandler", started)
            assert status < 400, (method, path, status, answer)
            return answer

        def webhook(body, headers):
            started = start()
            response = client.http.post("/webhooks/stripe", body=body, headers=headers)
            if meter.active:
                meter.usage.api_requests += 1
                charge("APIHandler", started)
            return response.status_code

        provider.webhook_target = webhook
        consumers = {fn.queue: fn for fn in discover(halles.app).values() if fn.kind == "sqs"}

        def billed(function):
            """The function as the event source mapping invokes it: its duration is the handler's
            alone (the mapping's receive and delete are SQS requests, priced as such, not Lambda time)."""
            def handler(event, context):
                started = start()
                try:
                    return function.handler(event, context)
                finally:
                    if meter.active:
                        charge(function.name, started)

            return dataclasses.replace(function, handler=handler)

        def drain_all() -> None:
            for _ in range(20):
                moved = 0
                for queue, function in consumers.items():
                    url = deployment.queues.get(queue)
                    if url is None:
                        continue
                    with meter.paused():
                        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
                            "QueueArn"]
                    pump = SqsPump(billed(function), url, arn, sqs, REGION, retry_after=0, wait_seconds=0,
                                   context_factory=lambda f=function: lambda_context("halles", "dev", f.name, REGION))
                    while True:
                        outcome = pump.poll_once(wait_seconds=0)
                        if not outcome.received:
                            break
                        moved += outcome.received
                if not moved:
                    return

        vendor_a = _component_user("vendor", "Alpine Cost")
        vendor_b = _component_user("vendor", "Bytes Cost")
        catalog = build_catalog(vendor_a, vendor_b)
        for vendor in (vendor_a, vendor_b):
            vendors_store.set_vendor_payout_account(vendor.user_id, provider.add_account()["id"])
        shopper = _component_user("shopper")
        drain_all()  # the set-up's own events (sign-ups...) are not the order's

        meter.active = True
        token = shopper.access_token
        api("GET", "/catalog/products?category=outdoor")
        for name in ("tent", "headphones"):
            api("GET", f"/catalog/products/{catalog.products[name]}")
        for name, who in (("tent", "a"), ("headphones", "b")):
            api("PUT", f"/cart/lines/{catalog.offers[(name, who)]}", token, {"quantity": 1})
        api("GET", "/cart", token)
        api("GET", "/cart/quote?country=DE", token)
        placed = api("POST", "/checkout", token, checkout_body(), {"Idempotency-Key": uuid.uuid4().hex})
        order_id = placed["order"]["order_id"]
        provider.complete_payment(placed["payment"]["payment_intent_id"])
        provider.deliver_webhooks()
        drain_all()
        api("GET", f"/orders/{order_id}", token)
        tracking = {"carrier": "DHL", "tracking_number": "JD014600003828",
                    "tracking_url": "https://www.dhl.com/track?id=JD014600003828"}
        for vendor in (vendor_a, vendor_b):
            api("POST", f"/vendor/orders/{order_id}/accept", vendor.access_token)
            api("POST", f"/vendor/orders/{order_id}/ship", vendor.access_token, tracking)
            drain_all()
        for vendor in (vendor_a, vendor_b):
            answer = api("POST", f"/orders/{order_id}/vendors/{vendor.user_id}/confirm-receipt", token)
            assert answer["payout"]["status"] == "transferred", answer
        provider.deliver_webhooks()  # the transfers' own events, if the provider sends any
        drain_all()
        meter.active = False
    return meter.usage


def explain(usage: Usage) -> str:
    lines = ["cost of one order (eu-west-1 list prices, USD per 1,000 orders):"]
    for item, usd in usage.costs().items():
        lines.append(f"  {usd * 1000:8.4f}  {item}")
    lines.append(f"  {usage.mail_cost() * 1000:8.4f}  mail (apart)")
    rest_api = usage.api_requests * PRICES_EU_WEST_1["api_gateway_rest_request"]
    lines.append(f"  (with Chalice's REST API instead of the HTTP API: api gateway {rest_api * 1000:.4f}, "
                 f"infra {(sum(usage.costs().values()) - usage.costs()['api gateway'] + rest_api) * 1000:.4f})")
    lines.append(f"API requests {usage.api_requests}; invocations {dict(usage.invocations)}; "
                 f"{usage.gb_seconds:.3f} GB-s at {_memory_gb() * 1024:.0f} MB")
    lines.append("Lambda billed seconds by function (wall on this machine): " + ", ".join(
        f"{name} {seconds:.2f} s ({usage.wall_seconds[name]:.2f} s) / {usage.invocations[name]}"
        for name, seconds in usage.seconds.most_common()))
    lines.append(f"DynamoDB WRU {sum(usage.wru.values())} {dict(usage.wru.most_common())}")
    lines.append(f"DynamoDB items written {sum(usage.writes.values())} {dict(usage.writes.most_common())}")
    lines.append("DynamoDB WRU by table and write: " + ", ".join(
        f"{table} {how} {units}" for (table, how), units in usage.write_kinds.most_common()))
    lines.append(f"DynamoDB RRU {sum(usage.rru.values()):g} {dict(usage.rru.most_common())}")
    lines.append(f"SQS requests {sum(usage.sqs_requests.values())} {dict(usage.sqs_requests)}; mails {usage.mails}")
    if usage.other_calls:
        lines.append(f"not priced per order: {dict(usage.other_calls)}")
    return "\n".join(lines)


@bench.benchmark("cost")
def cost_figures(options) -> Iterator:
    usage = one_order(options.why)
    yield bench.Figure("infra_usd_per_1000_orders", sum(usage.costs().values()) * 1000, "USD", digits=4)
    yield bench.Figure("mail_usd_per_1000_orders", usage.mail_cost() * 1000, "USD", digits=4)
    if options.why:
        print(explain(usage), file=sys.stderr)
