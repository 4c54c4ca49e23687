"""Chaos figures (`python -m scripts.bench chaos`), registered in scripts/bench.py's registry.

Starts the local stack with `--faults` (CHAOS_FAULTS: the payment provider answering 5xx or losing
its answers, DynamoDB throttling and cancelled transactions, SQS duplicates and delays, functions
dying right after a write; devstack/faults.py) and drives orders through the HTTP API as real
clients do: a new shopper per order fills a cart from one or two vendors, checks out (a 5xx, a 502
of a crashed function, a lost connection or a 409 with Retry-After is retried with the SAME
Idempotency-Key, as the cart page does), then, per order, one of:
- abandon: never pays (the reservation sweeper must release it);
- cancel: the shopper cancels before paying;
- refund: pays on the provider's card page, then one vendor cancels its line (a refund);
- deliver: pays, each vendor accepts and ships, the shopper confirms receipt (the vendors' payouts).
Every action is re-read and repeated until the state it wants is reached (an answer may be lost
after the change was made). Then the sweepers and retry schedules are fired (`devstack fire`)
until every order has settled, and the invariants are checked:
- every order ends in a final state (cancelled, refunded, or paid with each vendor's part delivered
  and paid out, or cancelled), with no stock left reserved;
- per offer, available + reserved + sold = the stock declared;
- nothing charged twice: at most one successful PaymentIntent per order at the provider, exactly one
  for an order that was paid, fully refunded when the order says refunded;
- payouts never above what was kept: per order and vendor, the provider's transfers net of reversals
  are at most what the vendor's ledger says it earned (sale - commission - refunds);
- the vendor ledger's transfers and reversals equal the provider's, per vendor.

Figures: `chaos_orders` (orders placed), `chaos_faults_injected` (from GET /_devstack/faults),
`chaos_invariant_violations` (target 0; each one is printed on stderr). tests/e2e/test_chaos_e2e.py
runs the same driver with fewer orders.
"""

from __future__ import annotations

import json
import random
import sys
import tempfile
import time
import urllib.request
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.bench_host import running_bench

CHAOS_FAULTS = ("provider_5xx=0.1,provider_timeout=0.05,ddb_throttle=0.05,ddb_tx_cancel=0.05,sqs_duplicate=0.1,"
                "sqs_delay=0.1,crash_after_write=0.02,sqs_delay_seconds=2,provider_timeout_seconds=0.5")
CHAOS_ORDERS = 200
CLIENTS = 6  # shoppers acting at once
DECLARED_STOCK = 1000
SCENARIOS = (("deliver", 0.38), ("refund", 0.12), ("return", 0.16), ("dispute", 0.10), ("cancel", 0.12),
             ("abandon", 0.12))
PASSWORD = "Passw0rd!chaos"
CARD_OK = "4242424242424242"
PAID_DEADLINE = 60  # seconds: webhook -> queue -> consumer, through delays, duplicates and crashes
RETRY_BUDGET = 75  # seconds a client keeps retrying one request (a crashed checkout's key frees in 30 s)
SETTLE_DEADLINE = 240  # seconds for the sweepers and retries to settle everything
FINAL_PAYOUTS = frozenset({"transferred", "nothing_to_pay", "nothing_to_pay_refunded"})
# The queue whose consumer moves orders and money; the notifications queue (mails) is not waited for.
QUEUES = ("payment-events",)
# The stack's own reservation time, short so that abandoned orders expire within the run.
STACK_ENVIRONMENT = {"HALLES_RESERVATION_MINUTES": "1"}


# ---- a client that behaves like a real one ------------------------------------------------------


def _retryable(status: int, headers: dict) -> bool:
    if status >= 500 or status == 429:
        return True
    return status == 409 and any(k.lower() == "retry-after" for k in headers)


@dataclass
class Client:
    """One user of the API: retries what a browser or SDK would retry, with the same body and key."""

    stack: Any
    token: str | None = None
    user_id: str = ""

    def call(self, method: str, path: str, body: Any = None, headers: dict | None = None) -> tuple[int, Any]:
        deadline = time.monotonic() + RETRY_BUDGET
        pause = 0.3
        while True:
            try:
                status, answer, answer_headers = self.stack.call(method, path, body, token=self.token,
                                                                 headers=headers, timeout=30)
            except OSError as exc:  # a dropped connection or a timeout: the request may or may not have run
                status, answer, answer_headers = 599, {"error": {"code": "connection", "message": str(exc)}}, {}
            if not _retryable(status, answer_headers) or time.monotonic() > deadline:
                return status, answer
            retry_after = next((v for k, v in answer_headers.items() if k.lower() == "retry-after"), None)
            time.sleep(min(float(retry_after), 5.0) if retry_after and retry_after.isdigit() else pause)
            pause = min(pause * 2, 2.0)


def _signed_up(stack, email: str, role: str = "shopper") -> Client:
    anonymous = Client(stack)
    status, body = anonymous.call("POST", "/auth/signup", {"email": email, "password": PASSWORD, "name": "Chaos",
                                                           "role": role})
    if status not in (201, 409):  # 409: an earlier attempt whose answer was lost created the account
        raise RuntimeError(f"sign-up answered {status}: {body}")
    return _signed_in(stack, email, PASSWORD)


def _signed_in(stack, email: str, password: str) -> Client:
    status, session = Client(stack).call("POST", "/auth/signin", {"email": email, "password": password})
    if status != 200:
        raise RuntimeError(f"sign-in of {email} answered {status}: {session}")
    return Client(stack, session["access_token"], session["user"]["user_id"])


# ---- the run ------------------------------------------------------------------------------------


@dataclass
class Order:
    number: int
    scenario: str
    shopper: Client
    vendors: list[str]  # vendor ids, one line each
    order_id: str | None = None
    refund_vendor: str | None = None
    after_sales_vendor: str | None = None  # whose line comes back (return)
    restock: bool = False  # the vendor puts the returned units back on sale
    return_reason: str = "damaged"
    dispute_outcome: str = "won"
    notes: list[str] = field(default_factory=list)


@dataclass
class ChaosReport:
    orders: int
    faults_injected: int
    faults: dict
    violations: list[str]
    scenarios: dict
    seconds: float
    checked: dict  # how much each invariant looked at (a check over nothing proves nothing)


class ChaosRun:
    def __init__(self, stack, orders: int, seed: int = 0, log: Callable[[str], None] | None = None):
        self.stack = stack
        self.count = orders
        self.rng = random.Random(seed)
        self.seed = seed
        self.started = time.monotonic()
        output = log or (lambda line: print(f"chaos: {line}", file=sys.stderr, flush=True))
        self.log = lambda line: output(f"[{time.monotonic() - self.started:5.0f} s] {line}")
        self.vendors: dict[str, Client] = {}
        self.offers: dict[str, str] = {}  # vendor id -> offer id
        self.orders: list[Order] = []
        self.violations: list[str] = []
        self.checked: Counter[str] = Counter()
        self._planned: Counter[str] = Counter()  # orders planned per scenario
        self._settled_reads: dict | None = None  # see _read
        from scripts.chaos_aftersales import AfterSales

        self.after_sales = AfterSales(self)

    # -- setup --------------------------------------------------------------------------------

    def _setup_vendors(self) -> None:
        for vendor in self.stack.credentials["vendors"][:2]:
            client = _signed_in(self.stack, vendor["email"], vendor["password"])
            status, product = client.call("POST", "/vendor/products", {
                "title": f"Chaos item {uuid.uuid4().hex[:8]}", "brand": "Chaos", "category": "outdoor"})
            if status not in (201, 200):  # 200: an earlier attempt whose answer was lost created it (same id)
                raise RuntimeError(f"creating a product answered {status}: {product}")
            status, offer = client.call("PUT", f"/vendor/products/{product['product_id']}/offer", {
                "price": {"amount": 2500, "currency": "EUR"}, "shipping_fee": {"amount": 490, "currency": "EUR"},
                "condition": "new", "stock": DECLARED_STOCK, "delivery": {"min_days": 1, "max_days": 3}})
            if status not in (200, 201):
                raise RuntimeError(f"listing the offer answered {status}: {offer}")
            self.vendors[client.user_id] = client
            self.offers[client.user_id] = offer["offer_id"]

    def _plan(self, number: int) -> tuple[str, list[str], dict]:
        """The order's scenario and vendors, and what its after-sales will do. The first orders walk
        through every scenario twice (so that a small run covers each); the rest draw by SCENARIOS.
        Returns alternate restocked / not restocked and disputes won / lost, for the same reason."""
        roll, scenario = self.rng.random(), SCENARIOS[-1][0]
        for name, share in SCENARIOS:
            if roll < share:
                scenario = name
                break
            roll -= share
        if number < 2 * len(SCENARIOS):
            scenario = SCENARIOS[number % len(SCENARIOS)][0]
        vendors = sorted(self.vendors)
        chosen = vendors if self.rng.random() < 0.4 else [self.rng.choice(vendors)]
        nth = self._planned[scenario]
        self._planned[scenario] += 1
        after_sales = {"after_sales_vendor": self.rng.choice(chosen), "restock": nth % 2 == 0,
                       "return_reason": self.rng.choice(("damaged", "changed_mind", "not_as_described")),
                       "dispute_outcome": "won" if nth % 2 == 0 else "lost"}
        return scenario, chosen, after_sales

    # -- one order's journey --------------------------------------------------------------------

    def journey(self, number: int, scenario: str, vendors: list[str], after_sales: dict) -> Order:
        shopper = _signed_up(self.stack, f"chaos-{self.seed}-{number}-{uuid.uuid4().hex[:6]}@example.com")
        order = Order(number, scenario, shopper, vendors, **after_sales)
        for vendor_id in vendors:
            status, cart = shopper.call("PUT", f"/cart/lines/{self.offers[vendor_id]}", {"quantity": 1})
            if status != 200:
                order.notes.append(f"cart answered {status}: {cart}")
                return order
        from tests.fixtures.addresses import checkout_body

        for _press in range(3):
            status, placed = shopper.call("POST", "/checkout", checkout_body(), {"Idempotency-Key": uuid.uuid4().hex})
            if not (status == 409 and placed["error"]["code"] == "checkout_cancelled"):
                break
            # The provider failed at the first press (503, the order cancelled, nothing held); the same key's
            # retry is told so: the shopper presses Pay again, which is a new attempt with a new key.
            order.notes.append("checkout_cancelled after a provider failure: pressed Pay again")
        if status != 201:
            order.notes.append(f"checkout answered {status}: {placed}")
            return order
        order.order_id = placed["order"]["order_id"]
        if scenario == "abandon":
            return order
        if scenario == "cancel":
            self._cancel(order)
            return order
        self._pay(order, placed["payment"])
        if scenario == "refund":
            order.refund_vendor = vendors[0]
        self.advance(order)
        self.after_sales.step(order)
        return order

    def _cancel(self, order: Order) -> None:
        status, body = order.shopper.call("POST", f"/orders/{order.order_id}/cancel")
        if status not in (200, 409):  # 409: an earlier attempt did it
            order.notes.append(f"cancel answered {status}: {body}")

    def _pay(self, order: Order, payment: dict) -> None:
        from devstack.localpay.server import submit_payment_page

        for _ in range(5):
            try:
                status, _ = submit_payment_page(self.stack.payments, payment["payment_intent_id"],
                                                payment["client_secret"], CARD_OK)
            except OSError:
                continue
            if status in (200, 303):
                break
        deadline = time.monotonic() + PAID_DEADLINE
        while time.monotonic() < deadline:
            if self.shopper_view(order).get("status") != "pending_payment":
                return
            time.sleep(0.5)
        order.notes.append(f"not paid {PAID_DEADLINE} s after the card was accepted")

    def _read(self, key: tuple, read: Callable[[], Any]) -> Any:
        """`read()`, or while the invariants are checked (everything settled: nothing moves any more)
        the answer it gave the first time: each check reads the same views, once."""
        if self._settled_reads is None:
            return read()
        if key not in self._settled_reads:
            self._settled_reads[key] = read()
        return self._settled_reads[key]

    def shopper_view(self, order: Order) -> dict:
        status, body = self._read(("order", order.order_id),
                                  lambda: order.shopper.call("GET", f"/orders/{order.order_id}"))
        return body if status == 200 else {}

    def vendor_view(self, order: Order, vendor_id: str) -> dict:
        status, body = self._read(("part", order.order_id, vendor_id), lambda: self.vendors[vendor_id].call(
            "GET", f"/vendor/orders/{order.order_id}"))
        return body if status == 200 else {}

    def advance(self, order: Order) -> None:
        """Each vendor's part one step further towards its end, as its people would (repeatable)."""
        if order.order_id is None or self.shopper_view(order).get("status") != "paid":
            return
        for vendor_id in order.vendors:
            vendor = self.vendors[vendor_id]
            for _ in range(6):
                part = self.vendor_view(order, vendor_id)
                state = part.get("status")
                if state in ("delivered", "cancelled") or not state:
                    break
                if vendor_id == order.refund_vendor and state in ("placed", "accepted"):
                    line = next(line for line in part["lines"] if not line["cancelled"])
                    vendor.call("POST", f"/vendor/orders/{order.order_id}/lines/{line['line_id']}/cancel",
                                {"reason": "Broken in the warehouse"})
                elif state == "placed":
                    vendor.call("POST", f"/vendor/orders/{order.order_id}/accept")
                elif state == "accepted":
                    vendor.call("POST", f"/vendor/orders/{order.order_id}/ship", {
                        "carrier": "DHL", "tracking_number": f"CH{order.number:06d}",
                        "tracking_url": f"https://tracking.example.com/CH{order.number:06d}"})
                elif state == "shipped":
                    order.shopper.call("POST", f"/orders/{order.order_id}/vendors/{vendor_id}/confirm-receipt")

    # -- settling -------------------------------------------------------------------------------

    def fire(self, function: str) -> None:
        for _ in range(5):
            try:
                status, _, _ = self.stack.call("POST", f"/_devstack/fire/{function}", b"", timeout=120)
            except OSError:
                continue
            if status == 200:
                return

    def queued(self) -> dict[str, int]:
        """Messages still in the consumers' queues (visible or in flight), per queue that has some."""
        import boto3

        sqs = boto3.client("sqs", endpoint_url=self.stack.moto, region_name="eu-west-1", aws_access_key_id="testing",
                           aws_secret_access_key="testing")
        left = {}
        for queue in QUEUES:
            url = sqs.get_queue_url(QueueName=f"halles-local-{queue}")["QueueUrl"]
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=[
                "ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
            count = sum(int(value) for value in attributes.values())
            if count:
                left[queue] = count
        return left

    def unsettled(self, orders: list[Order] | None = None) -> list[str]:
        """Why each placed order (of `orders`, default all) is not in a final state yet (empty: all settled),
        its after-sales included."""
        orders = self.orders if orders is None else orders
        reasons = self.after_sales.unsettled(orders)
        for order in orders:
            if order.order_id is None:
                continue
            view = self.shopper_view(order)
            status = view.get("status")
            if status in ("cancelled", "refunded"):
                continue
            if status != "paid":
                reasons.append(f"order {order.number} ({order.scenario}) {order.order_id} is {status}")
                continue
            for vendor_id in order.vendors:
                part = self.vendor_view(order, vendor_id)
                if part.get("status") == "cancelled":
                    continue
                if part.get("status") != "delivered" or part.get("payout_status") not in FINAL_PAYOUTS:
                    reasons.append(f"order {order.number} ({order.scenario}) {order.order_id}: vendor {vendor_id} "
                                   f"is {part.get('status')}, payout {part.get('payout_status')}")
        return reasons

    def settle(self) -> list[str]:
        """Fire the sweepers and retries until every order is final, or the deadline passes."""
        expiry = max((self._reserved_until(o) for o in self.orders if o.scenario == "abandon" and o.order_id),
                     default=0.0)
        deadline = time.monotonic() + SETTLE_DEADLINE
        pending = [order for order in self.orders if order.order_id]
        while True:
            if time.time() > expiry:
                self.fire("expire_reservations")
            self.fire("retry_payouts")
            for order in pending:
                self.advance(order)
                self.after_sales.step(order)
            # An order once final stays so (check() looks at all of them again at the end).
            left, still = [], []
            for order in pending:
                reasons = self.unsettled([order])
                left += reasons
                still += [order] if reasons else []
            pending, queued = still, self.queued()
            if not left and not queued:
                return []
            if time.monotonic() > deadline:
                return left or [f"messages are still queued: {queued}"]
            self.log(f"{len(left)} order part(s) not final yet (e.g. {left[:2]}), messages queued {queued}; "
                     f"firing the sweepers and retries again")
            time.sleep(min(5.0, max(0.5, expiry - time.time() + 0.5)) if time.time() < expiry else 3.0)

    def _reserved_until(self, order: Order) -> float:
        from datetime import datetime

        until = self.shopper_view(order).get("reserved_until")
        return datetime.fromisoformat(until.replace("Z", "+00:00")).timestamp() if until else 0.0

    # -- invariants -------------------------------------------------------------------------------

    def provider(self, path: str) -> dict:
        """The provider's own record (its API, read as an operator would: no faults on these reads)."""
        from devstack.localpay.server import DEFAULT_API_KEY

        def read() -> dict:
            request = urllib.request.Request(f"{self.stack.payments}{path}",
                                             headers={"Authorization": f"Bearer {DEFAULT_API_KEY}"})
            with urllib.request.urlopen(request, timeout=30) as response:
                return json.loads(response.read())

        return self._read(("provider", path), read)

    def provider_events(self, event_type: str) -> list[dict]:
        objects, after = [], ""
        while True:
            page = self.provider(f"/v1/events?type={event_type}&limit=100{'&starting_after=' + after if after else ''}")
            objects += [event["data"]["object"] for event in page["data"]]
            if not page["has_more"]:
                return objects
            after = page["data"][-1]["id"]

    def check(self) -> list[str]:
        self._settled_reads = {}
        try:
            return self._check()
        finally:
            self._settled_reads = None

    def _check(self) -> list[str]:
        violations = [f"not final: {reason}" for reason in self.unsettled()]
        ours = {o.order_id: o for o in self.orders if o.order_id}
        # Stock: every unit declared is available, reserved or sold, and none is left reserved.
        for vendor_id, offer_id in self.offers.items():
            available, reserved, sold = self._stock(vendor_id, offer_id)
            self.checked["units_sold"] += sold
            if available + reserved + sold != DECLARED_STOCK or reserved:
                violations.append(f"offer {offer_id}: available {available} + reserved {reserved} + sold {sold} "
                                  f"!= declared {DECLARED_STOCK} (or units left reserved)")
        # Charged once.
        succeeded = defaultdict(set)
        for intent in self.provider_events("payment_intent.succeeded"):
            order_id = (intent.get("metadata") or {}).get("order_id")
            if order_id in ours:
                succeeded[order_id].add(intent["id"])
        for order_id, order in ours.items():
            view = self.shopper_view(order)
            intents = succeeded.get(order_id, set())
            self.checked["charges"] += len(intents)
            self.checked[f"orders_{view.get('status')}"] += 1
            if len(intents) > 1:
                violations.append(f"order {order_id} charged {len(intents)} times: {sorted(intents)}")
            if view.get("status") == "paid" and len(intents) != 1:
                violations.append(f"order {order_id} is paid but the provider has {len(intents)} successful charges")
            if view.get("status") in ("cancelled", "refunded") and intents:
                for intent_id in intents:
                    intent = self.provider(f"/v1/payment_intents/{intent_id}")
                    charge = self.provider(f"/v1/charges/{intent['latest_charge']}")
                    if charge["amount_refunded"] != charge["amount"]:
                        violations.append(f"order {order_id} is {view.get('status')} but its charge kept "
                                          f"{charge['amount'] - charge['amount_refunded']}")
        # Payouts: provider transfers net of reversals, per order and vendor, against the vendor's ledger.
        transferred: Counter[tuple[str, str]] = Counter()
        for created in self.provider_events("transfer.created"):
            meta = created.get("metadata") or {}
            if meta.get("order_id") in ours:
                transfer = self.provider(f"/v1/transfers/{created['id']}")
                self.checked["transfers"] += 1
                self.checked["reversals"] += len((transfer.get("reversals") or {}).get("data") or [])
                transferred[(meta["order_id"], meta.get("vendor_id", ""))] += (
                    transfer["amount"] - transfer["amount_reversed"])
        earned_per_vendor = {}
        for vendor_id, vendor in self.vendors.items():
            earned, paid = self._ledger(vendor, set(ours))
            earned_per_vendor[vendor_id] = earned
            for order_id in set(earned) | set(paid) | {o for o, v in transferred if v == vendor_id}:
                at_provider = transferred.get((order_id, vendor_id), 0)
                if at_provider > earned.get(order_id, 0):
                    violations.append(f"order {order_id}: vendor {vendor_id} was paid {at_provider}, more than the "
                                      f"{earned.get(order_id, 0)} it kept")
                if at_provider != paid.get(order_id, 0):
                    violations.append(f"order {order_id}: vendor {vendor_id}'s ledger says {paid.get(order_id, 0)} "
                                      f"paid out, the provider {at_provider}")
        placed = [o for o in self.orders if o.order_id]
        return violations + self.after_sales.check(placed, transferred, earned_per_vendor)

    def _stock(self, vendor_id: str, offer_id: str) -> tuple[int, int, int]:
        cursor = ""
        while True:
            status, page = self.vendors[vendor_id].call(
                "GET", f"/vendor/offers?limit=100{'&cursor=' + cursor if cursor else ''}")
            if status != 200:
                raise RuntimeError(f"the vendor's offers answered {status}: {page}")
            for offer in page["items"]:
                if offer["offer_id"] == offer_id:
                    return offer["available"], offer["reserved"], offer["sold"]
            cursor = page["next_cursor"]
            if not cursor:
                raise RuntimeError(f"offer {offer_id} is missing from its vendor's offers")

    def _ledger(self, vendor: Client, orders: set[str]) -> tuple[Counter, Counter]:
        """Per order: what the vendor earned (sale - commission - refunds - disputes) and was paid (net)."""
        earned, paid, cursor = Counter(), Counter(), ""
        while True:
            status, page = vendor.call("GET", f"/vendor/ledger?limit=100{'&cursor=' + cursor if cursor else ''}")
            if status != 200:
                raise RuntimeError(f"the vendor's ledger answered {status}: {page}")
            for entry in page["items"]:
                if entry["order_id"] not in orders:
                    continue
                amount = entry["amount"]["amount"]
                if entry["kind"] in ("transfer", "transfer_reversal"):
                    paid[entry["order_id"]] -= amount  # a transfer is booked as what the platform owes less
                elif entry["kind"] in ("sale", "commission", "refund", "dispute"):
                    earned[entry["order_id"]] += amount
            cursor = page["next_cursor"]
            if not cursor:
                return earned, paid

    # -- all of it ------------------------------------------------------------------------------------

    def run(self) -> ChaosReport:
        started = time.monotonic()
        self._setup_vendors()
        plans = [self._plan(number) for number in range(self.count)]
        with ThreadPoolExecutor(CLIENTS) as pool:
            futures = [pool.submit(self.journey, number, *plan) for number, plan in enumerate(plans)]
            for future in futures:
                try:
                    self.orders.append(future.result())
                except Exception as exc:  # a journey that could not even start is a finding too
                    self.violations.append(f"a journey failed: {type(exc).__name__}: {exc}")
        placed = [o for o in self.orders if o.order_id]
        self.log(f"{len(placed)} of {self.count} orders placed; settling")
        for order in self.orders:
            if order.order_id is None:
                self.log(f"order {order.number} not placed: {'; '.join(order.notes)}")
        left = self.settle()
        self.log("settled; checking the invariants")
        self.violations += self.check()
        self.log(f"checked {dict(self.checked)}")
        status, faults, _ = self.stack.call("GET", "/_devstack/faults")
        injected = faults.get("total", 0) if status == 200 else 0
        for violation in self.violations:
            self.log(f"VIOLATION {violation}")
        if left:
            self.log(f"still not settled after {SETTLE_DEADLINE} s: {left[:5]}")
        return ChaosReport(orders=len(placed), faults_injected=injected,
                           faults=faults.get("injected", {}) if status == 200 else {},
                           violations=list(self.violations), scenarios=dict(Counter(o.scenario for o in placed)),
                           seconds=time.monotonic() - started, checked=dict(self.checked))


def faulty_stack(data_dir: Path, faults: str = CHAOS_FAULTS, seed: int = 0):
    """A LiveStack (tests/fixtures/live.py) that will start with `--faults`."""
    from tests.fixtures.live import LiveStack

    return LiveStack(data_dir=data_dir, args=(f"--faults={faults},seed={seed}",), env=dict(STACK_ENVIRONMENT))


bench = running_bench()


@bench.benchmark("chaos")
def chaos_figures(options) -> Iterator:
    with tempfile.TemporaryDirectory(prefix="halles-bench-chaos-") as data_dir:
        stack = faulty_stack(Path(data_dir))
        stack.start(fresh=True)
        try:
            report = ChaosRun(stack, CHAOS_ORDERS).run()
        finally:
            stack.stop()
    if options.why:
        print(f"chaos: scenarios {report.scenarios}, faults {report.faults}, checked {report.checked}, "
              f"{report.seconds:.0f} s", file=sys.stderr)
    yield bench.Figure("chaos_orders", report.orders, "orders", digits=0)
    yield bench.Figure("chaos_faults_injected", report.faults_injected, "faults", digits=0)
    yield bench.Figure("chaos_invariant_violations", len(report.violations), "", digits=0)
