"""Webhook delivery as Stripe does it: signed POSTs, retried with backoff until a 2xx.

Each attempt is signed afresh (`Stripe-Signature: t=<now>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`),
a non-2xx answer, a redirect, a timeout or a refused connection counts as a failure, and failed
deliveries are retried on their own schedule, so one failing event never holds up the others
(Stripe guarantees no order either). Attempts are bounded here (Stripe goes on for 3 days).

A target is a URL (the local stack: the API's webhook route) or a callable
`(body: bytes, headers: dict) -> int status` (component tests: the chalice test client).
With `auto=True` a background thread delivers; with `auto=False` nothing is sent until the
owner calls `deliver_pending()`, which makes one attempt per pending delivery on the calling
thread (deterministic tests, no timing).
"""

from __future__ import annotations

import heapq
import hmac
import http.client
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from hashlib import sha256
from typing import Any
from urllib.parse import urlsplit

Target = str | Callable[[bytes, dict], int]
USER_AGENT = "Stripe/1.0 (+https://stripe.com/docs/webhooks)"
DEFAULT_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0, 8.0, 16.0)


def sign(payload: bytes, secret: str, timestamp: int) -> str:
    """The `Stripe-Signature` header Stripe sends for `payload` at `timestamp`."""
    signed = f"{timestamp}.".encode() + payload
    return f"t={timestamp},v1={hmac.new(secret.encode(), signed, sha256).hexdigest()}"


def render(event: dict) -> bytes:
    """Stripe sends events pretty-printed; the signature covers these exact bytes."""
    return json.dumps(event, indent=2).encode()


@dataclass
class Endpoint:
    name: str  # "platform" or "connect"
    secret: str
    target: Target
    enabled_events: frozenset[str] = frozenset({"*"})
    connect: bool = False  # receives events of connected accounts (those with `account`), not the platform's

    def wants(self, event: dict) -> bool:
        if bool(event.get("account")) != self.connect:
            return False
        kind = event["type"]
        return any(pattern == "*" or pattern == kind or (pattern.endswith(".*") and kind.startswith(pattern[:-1]))
                   for pattern in self.enabled_events)


@dataclass
class Attempt:
    event_id: str
    event_type: str
    endpoint: str
    attempt: int
    status: int | None  # HTTP status, None when no answer (connection refused, timeout)
    error: str | None
    at: float

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


@dataclass(order=True)
class _Pending:
    due: float
    seq: int
    event_id: str = field(compare=False)
    event_type: str = field(compare=False)
    endpoint: str = field(compare=False)
    body: bytes = field(compare=False, repr=False)
    attempts: int = field(compare=False, default=0)


class Dispatcher:
    def __init__(self, endpoints: dict[str, Endpoint], *, auto: bool = True,
                 retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS, timeout: float = 10.0,
                 clock: Callable[[], float] = time.time):
        self.endpoints = endpoints
        self.auto = auto
        self.retry_delays = tuple(retry_delays)
        self.max_attempts = len(self.retry_delays) + 1
        self.timeout = timeout
        self.clock = clock
        self.log: list[Attempt] = []
        self.gave_up: list[str] = []  # event ids never acknowledged
        self._queue: list[_Pending] = []
        self._in_flight = 0
        self._seq = itertools.count()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._stopping = False

    # -- intake -------------------------------------------------------------------------

    def submit(self, event: dict) -> int:
        """Queue `event` for every endpoint that wants it; answers how many will receive it."""
        wanted = [e for e in self.endpoints.values() if e.wants(event)]
        event["pending_webhooks"] = len(wanted)  # part of the payload, so set before it is rendered
        if wanted:
            body = render(event)
            with self._cond:
                for endpoint in wanted:
                    heapq.heappush(self._queue, _Pending(self.clock(), next(self._seq), event["id"], event["type"],
                                                         endpoint.name, body))
                self._cond.notify_all()
        return len(wanted)

    def pending(self) -> list[dict]:
        with self._cond:
            return [{"event_id": p.event_id, "endpoint": p.endpoint, "attempts": p.attempts} for p in self._queue]

    def restore(self, pending: list[dict], events: dict[str, dict]) -> None:
        with self._cond:
            for item in pending:
                event = events.get(item["event_id"])
                if event and item["endpoint"] in self.endpoints:
                    heapq.heappush(self._queue, _Pending(self.clock(), next(self._seq), event["id"], event["type"],
                                                         item["endpoint"], render(event), item.get("attempts", 0)))
            self._cond.notify_all()

    # -- delivery -----------------------------------------------------------------------

    def start(self) -> None:
        if self.auto and self._thread is None:
            self._stopping = False
            self._thread = threading.Thread(target=self._run, name="localpay-webhooks", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=self.timeout + 1)
            self._thread = None

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopping and (not self._queue or self._queue[0].due > self.clock()):
                    wait = None if not self._queue else max(0.0, self._queue[0].due - self.clock())
                    self._cond.wait(wait)
                if self._stopping:
                    return
                item = heapq.heappop(self._queue)
                self._in_flight += 1
            try:
                self._attempt(item)
            finally:
                with self._cond:
                    self._in_flight -= 1
                    self._cond.notify_all()

    def deliver_pending(self) -> list[Attempt]:
        """One attempt for every pending delivery, now, on this thread (for `auto=False`)."""
        with self._cond:
            batch, self._queue = sorted(self._queue), []
        first = len(self.log)
        for item in batch:
            self._attempt(item)
        return self.log[first:]

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Blocks until nothing is queued or being sent (failures still waiting to retry count as queued)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._queue or self._in_flight:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
        return True

    def _attempt(self, item: _Pending) -> None:
        endpoint = self.endpoints[item.endpoint]
        item.attempts += 1
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            "Stripe-Signature": sign(item.body, endpoint.secret, int(self.clock())),
        }
        status, error = None, None
        try:
            status = self._send(endpoint.target, item.body, headers)
        except Exception as exc:  # a refused connection, a timeout, a crashing callable: all failures
            error = f"{type(exc).__name__}: {exc}"
        attempt = Attempt(item.event_id, item.event_type, item.endpoint, item.attempts, status, error, self.clock())
        with self._cond:
            self.log.append(attempt)
            if not attempt.ok:
                if item.attempts < self.max_attempts:
                    item.due = self.clock() + self.retry_delays[item.attempts - 1]
                    heapq.heappush(self._queue, item)
                else:
                    self.gave_up.append(item.event_id)
            self._cond.notify_all()

    def _send(self, target: Target, body: bytes, headers: dict) -> int:
        if callable(target):
            return int(target(body, dict(headers)))
        url = urlsplit(target)
        connection_class = http.client.HTTPSConnection if url.scheme == "https" else http.client.HTTPConnection
        connection = connection_class(url.hostname, url.port, timeout=self.timeout)
        try:
            path = url.path or "/"
            if url.query:
                path += "?" + url.query
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status  # redirects are not followed: Stripe counts them as failures
        finally:
            connection.close()


def describe(attempts: list[Attempt]) -> list[dict[str, Any]]:
    return [a.__dict__ | {"ok": a.ok} for a in attempts]
