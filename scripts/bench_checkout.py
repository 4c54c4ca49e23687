"""Checkout benchmarks (`python -m scripts.bench checkout`), registered in scripts/bench.py's registry.

In process, under moto's `mock_aws` with infra/ deployed and the local payment provider
(as the component tests run the app):
- checkout_dynamodb_calls: DynamoDB round trips of one POST /checkout with an inline delivery
  address (kept in the address book), Powertools' idempotency records included; the worse of a
  shopper's first checkout (a payment customer and the address book are created too) and a
  returning shopper's (a new order after its earlier one was cancelled: customer and book exist), in a
  warm container. Target <= 5. A container's very first checkout also reads the commission rules
  (one BatchGetItem, then cached): `--why` prints it as "cold".
- webhook_dynamodb_calls: round trips of one POST /webhooks/stripe carrying a new, correctly
  signed `payment_intent.succeeded` (claim the event id, mark it enqueued).

On the real local stack (`python -m devstack run --fresh`, started as the e2e tests start it):
- checkout_p50_ms: median HTTP latency of sequential checkouts, each placing a new order (a shopper per
  checkout: the same shopper paying again for an unchanged cart resumes its unpaid order instead);
- checkouts_per_s: new orders placed per second in a parallel burst (one shopper per order);
- oversold_units: units sold beyond the stock when 50 checkouts race for 10 units (must be 0).

The local stack's timings say how the code behaves on moto and one Python process on a shared
machine, not what Lambda and DynamoDB would do; the round-trip counts hold anywhere.
"""

from __future__ import annotations

import logging
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, redirect_stdout
from pathlib import Path

from scripts.bench_host import running_bench

SEQUENTIAL_CHECKOUTS = 40
BURST_CHECKOUTS = 120
BURST_CLIENTS = 12
CONTENTION_STOCK = 10
CONTENTION_ATTEMPTS = 50
SHOPPERS = 10  # signed up in parallel by this many threads
PASSWORD = "Passw0rd!bench"


bench = running_bench()


@bench.benchmark("checkout")
def checkout_figures(options) -> Iterator:
    # First: the botocore hook must be registered before any client exists in this process.
    from tests.fixtures.dynamodb_calls import count_dynamodb_calls

    checkout_calls, webhook_calls = _round_trips(count_dynamodb_calls, explain=options.why)
    yield bench.Figure("checkout_dynamodb_calls", checkout_calls, "calls", digits=0)
    yield bench.Figure("webhook_dynamodb_calls", webhook_calls, "calls", digits=0)
    yield from _local_stack_figures()


# ---- in process: DynamoDB round trips -----------------------------------------------------------


def _round_trips(count_dynamodb_calls, *, explain: bool) -> tuple[int, int]:
    from chalice.test import Client

    import app as halles
    from tests.fixtures.addresses import checkout_body
    from tests.fixtures.catalog import build_catalog, module_stack
    from tests.fixtures.payments import local_payment_provider

    with _quiet(), module_stack(), local_payment_provider() as provider, Client(halles.app, stage_name="dev") as client:
        catalog = build_catalog(_component_user("vendor", "Alpine Bench"), _component_user("vendor", "Bytes Bench"))
        offers = (catalog.offers[("tent", "a")], catalog.offers[("headphones", "b")])
        returning, first = _component_user("shopper"), _component_user("shopper")

        def fill_cart(shopper) -> None:
            for offer_id in offers:
                status, body = _client_call(client, "PUT", f"/cart/lines/{offer_id}", shopper, {"quantity": 1})
                assert status == 200, body

        def checkout(shopper) -> tuple[dict, list[str]]:
            with count_dynamodb_calls() as calls:
                status, placed = _client_call(client, "POST", "/checkout", shopper, checkout_body(),
                                              {"Idempotency-Key": uuid.uuid4().hex})
            assert status == 201, placed
            return placed, list(calls)

        # The container's first checkout also reads the commission rules (cached afterwards; reported as
        # "cold"). The returning shopper's earlier order is cancelled, so its next checkout places a NEW
        # order with the customer and address book it already has (the same shopper paying again for an
        # unchanged cart would only resume its unpaid order: no reservation, not a checkout to count).
        fill_cart(returning)
        earlier, cold = checkout(returning)
        status, body = _client_call(client, "POST", f"/orders/{earlier['order']['order_id']}/cancel", returning)
        assert status == 200, body
        counts = {}
        for attempt, shopper in (("first", first), ("returning", returning)):
            fill_cart(shopper)
            placed, counts[attempt] = checkout(shopper)
            assert placed["order"]["order_id"] != earlier["order"]["order_id"]

        # A webhook as the provider sends it: pay the last order, capture the signed delivery.
        deliveries = []
        provider.webhook_target = lambda body, headers: deliveries.append((body, headers)) or 200
        provider.complete_payment(placed["payment"]["payment_intent_id"])
        provider.deliver_webhooks()
        body, headers = next((b, h) for b, h in deliveries if b"payment_intent.succeeded" in b)
        with count_dynamodb_calls() as webhook:
            response = client.http.post("/webhooks/stripe", body=body, headers=headers)
        assert response.status_code == 200, response.body

    if explain:
        print(f"checkout (a container's first, commission rules not cached yet): {', '.join(cold)}", file=sys.stderr)
        for attempt, calls in counts.items():
            print(f"checkout ({attempt} checkout of a shopper): {', '.join(calls)}", file=sys.stderr)
        print(f"webhook: {', '.join(webhook)}", file=sys.stderr)
    return max(len(calls) for calls in counts.values()), len(webhook)


@contextmanager
def _quiet():
    """Only the figures on stdout: no app logs, EMF lines or moto CloudFormation warnings."""
    import pytest

    loggers = {name: logging.getLogger(name) for name in ("halles", "moto")}
    levels = {name: logger.level for name, logger in loggers.items()}
    # EMF lines are print()ed: on stderr they stay visible without mixing with the figures.
    with pytest.MonkeyPatch.context() as env, warnings.catch_warnings(), redirect_stdout(sys.stderr):
        warnings.simplefilter("ignore")
        env.setenv("POWERTOOLS_METRICS_DISABLED", "true")
        for logger in loggers.values():
            logger.setLevel(logging.ERROR)
        try:
            yield
        finally:
            for name, logger in loggers.items():
                logger.setLevel(levels[name])


def _component_user(role: str, shop_name: str | None = None):
    """A user of the in-process stack; a vendor is ready to sell (onboarded and approved), as the demo
    vendors are: a pending vendor's offers are not listed, which would leave listing writes out of a figure."""
    from chalicelib.services import accounts
    from tests.fixtures.auth import TestUser, make_vendor_ready

    email = f"bench-{role}-{uuid.uuid4().hex[:8]}@example.com"
    accounts.sign_up(email, PASSWORD, "Bench", role, shop_name=shop_name)
    session = accounts.sign_in(email, PASSWORD)
    if role == "vendor":
        make_vendor_ready(session["user"]["user_id"])
    return TestUser(session["user"]["user_id"], email, PASSWORD, role, session["access_token"],
                    session["id_token"], session["refresh_token"])


def _client_call(client, method: str, path: str, user, body=None, headers=None):
    from tests.fixtures.aws import call

    status, parsed, _ = call(client, method, path, body, token=user.access_token, headers=headers)
    return status, parsed


# ---- on the local stack: latency, throughput, contention ------------------------------------------


def _local_stack_figures() -> Iterator:
    from tests.fixtures.live import LiveStack

    with tempfile.TemporaryDirectory(prefix="halles-bench-stack-") as data_dir:
        stack = LiveStack(data_dir=Path(data_dir))
        stack.start(fresh=True)
        try:
            shop = _LiveShop(stack)
            yield bench.Figure("checkout_p50_ms", shop.sequential_p50_ms(), "ms")
            yield bench.Figure("checkouts_per_s", shop.burst_rate(), "orders/s")
            yield bench.Figure("oversold_units", shop.oversold_units(), "units", digits=0)
        finally:
            stack.stop()


class _LiveShop:
    """Seeded vendors and fresh shoppers on a running local stack, over HTTP."""

    def __init__(self, stack):
        self.stack = stack
        vendor = stack.credentials["vendors"][0]
        self.vendor_token = self._sign_in(vendor["email"], vendor["password"])
        self.shoppers: list[str] = []

    def new_shoppers(self, count: int) -> list[str]:
        """Shoppers with no unpaid order: each checkout of theirs places a new order (a shopper's second
        checkout of an unchanged cart resumes the first order, which is not what these figures measure)."""
        with ThreadPoolExecutor(SHOPPERS) as pool:
            self.shoppers = list(pool.map(lambda _: self._new_shopper(), range(count)))
        return self.shoppers

    def _call(self, method: str, path: str, token: str, body=None, headers=None):
        return self.stack.call(method, path, body, token=token, headers=headers, timeout=60)

    def _sign_in(self, email: str, password: str) -> str:
        status, session, _ = self.stack.call("POST", "/auth/signin", {"email": email, "password": password})
        assert status == 200, session
        return session["access_token"]

    def _new_shopper(self) -> str:
        email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
        status, body, _ = self.stack.call("POST", "/auth/signup",
                                          {"email": email, "password": PASSWORD, "name": "Bench", "role": "shopper"})
        assert status == 201, body
        return self._sign_in(email, PASSWORD)

    def new_offer(self, stock: int) -> str:
        status, product, _ = self._call("POST", "/vendor/products", self.vendor_token, {
            "title": f"Bench item {uuid.uuid4().hex[:8]}", "brand": "Bench", "category": "outdoor"})
        assert status == 201, product
        status, offer, _ = self._call("PUT", f"/vendor/products/{product['product_id']}/offer", self.vendor_token, {
            "price": {"amount": 1500, "currency": "EUR"}, "shipping_fee": {"amount": 0, "currency": "EUR"},
            "condition": "new", "stock": stock, "delivery": {"min_days": 1, "max_days": 3}})
        assert status == 201, offer
        return offer["offer_id"]

    def fill_carts(self, offer_id: str) -> None:
        for token in self.shoppers:  # replaces whatever a previous round left in the cart
            status, cart, _ = self._call("PUT", f"/cart/lines/{offer_id}", token, {"quantity": 1})
            assert status == 200, cart
            for line in cart["lines"]:
                if line["offer_id"] != offer_id:
                    self._call("DELETE", f"/cart/lines/{line['offer_id']}", token)

    def checkout(self, token: str) -> tuple[int, float]:
        status, elapsed, _ = self.checkout_order(token)
        return status, elapsed

    def checkout_order(self, token: str) -> tuple[int, float, str | None]:
        """(status, seconds, the order id when placed)."""
        from tests.fixtures.addresses import checkout_body

        started = time.perf_counter()
        status, body, _ = self._call("POST", "/checkout", token, checkout_body(),
                                     {"Idempotency-Key": uuid.uuid4().hex})
        elapsed = time.perf_counter() - started
        if status not in (201, 409):
            print(f"bench: unexpected checkout answer {status}: {body}", file=sys.stderr)
        return status, elapsed, body["order"]["order_id"] if status == 201 else None

    def stock(self, offer_id: str) -> tuple[int, int, int]:
        cursor = ""
        while True:
            status, page, _ = self._call("GET", f"/vendor/offers?limit=100{'&cursor=' + cursor if cursor else ''}",
                                         self.vendor_token)
            assert status == 200, page
            for offer in page["items"]:
                if offer["offer_id"] == offer_id:
                    return offer["available"], offer["reserved"], offer["sold"]
            cursor = page["next_cursor"]
            assert cursor, f"{offer_id} not found"

    def sequential_p50_ms(self) -> float:
        offer_id = self.new_offer(stock=10_000)
        shoppers = self.new_shoppers(SEQUENTIAL_CHECKOUTS + 1)
        self.fill_carts(offer_id)
        self.checkout(shoppers[0])  # warm-up: first imports and clients of the stack's process
        timings = []
        for token in shoppers[1:]:
            status, elapsed = self.checkout(token)
            assert status == 201, status
            timings.append(elapsed * 1000)
        return statistics.median(timings)

    def burst_rate(self) -> float:
        offer_id = self.new_offer(stock=10_000)
        self.new_shoppers(BURST_CHECKOUTS)
        self.fill_carts(offer_id)
        started = time.perf_counter()
        with ThreadPoolExecutor(BURST_CLIENTS) as pool:
            results = list(pool.map(self.checkout_order, self.shoppers))
        wall = time.perf_counter() - started
        placed = len({order_id for status, _, order_id in results if status == 201})
        if placed != len(self.shoppers):
            print(f"bench: {len(self.shoppers) - placed} of {len(self.shoppers)} burst checkouts placed no new order",
                  file=sys.stderr)
        return placed / wall

    def oversold_units(self) -> int:
        offer_id = self.new_offer(stock=CONTENTION_STOCK)
        self.new_shoppers(CONTENTION_ATTEMPTS)
        self.fill_carts(offer_id)
        with ThreadPoolExecutor(CONTENTION_ATTEMPTS) as pool:
            results = list(pool.map(self.checkout_order, self.shoppers))
        placed = len({order_id for status, _, order_id in results if status == 201})  # one unit each
        ordered = self.units_ordered(offer_id)
        available, reserved, sold = self.stock(offer_id)
        if (available, reserved, sold) != (0, CONTENTION_STOCK, 0) or {placed, ordered} != {CONTENTION_STOCK}:
            print(f"bench: contention left available={available} reserved={reserved} sold={sold}, "
                  f"{placed} checkouts answered 201, {ordered} units in shoppers' orders", file=sys.stderr)
        # Units promised beyond the stock: by answers, by the orders shoppers see, or stock below zero.
        return max(max(placed, ordered) - CONTENTION_STOCK, 0) + max(-available, 0)

    def units_ordered(self, offer_id: str) -> int:
        """Units of the offer in the shoppers' orders, as they list them (GET /orders)."""
        units = 0
        for token in self.shoppers:
            cursor = ""
            while True:
                status, page, _ = self._call("GET", f"/orders?limit=50{'&cursor=' + cursor if cursor else ''}", token)
                assert status == 200, page
                units += sum(line["quantity"] for order in page["items"] for line in order["lines"]
                             if line["offer_id"] == offer_id)
                cursor = page["next_cursor"]
                if not cursor:
                    break
        return units
