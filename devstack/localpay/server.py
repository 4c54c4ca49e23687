"""The local provider's HTTP side: Stripe's API surface, the payment page, and `LocalPaymentProvider`.

API requests are handled as Stripe handles them: a secret key in `Authorization: Bearer`
(401 otherwise), form-encoded parameters, `Idempotency-Key` honoured (same key and parameters:
the saved answer again, with `Idempotent-Replayed: true`; same key, other parameters or
endpoint: 400 `idempotency_error`), Stripe-shaped objects and errors, a `Request-Id` on every
answer. Tests can inject faults (a 500, a slow answer) to exercise the SDK's retries.

Local-only controls live under `/_localpay/` (same key, form parameters, Stripe-shaped errors):
set a balance, open a dispute on a charge, decide a dispute, make a refund fail (_LOCAL_ROUTES).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

from devstack.localpay import pages
from devstack.localpay.cards import shopper_text
from devstack.localpay.delivery import DEFAULT_RETRY_DELAYS, Attempt, Dispatcher, Endpoint, Target
from devstack.localpay.forms import StripeAPIError, check_known, parse_form
from devstack.localpay.ids import new_id
from devstack.localpay.ledger import API_VERSION, Ledger

DEFAULT_API_KEY = "sk_test_local_halles"
DEFAULT_PUBLISHABLE_KEY = "pk_test_local_halles"
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
MAX_BODY_BYTES = 1024 * 1024
# What our endpoints subscribe to (as configured on a Stripe webhook endpoint); `*` suffix = prefix match.
DEFAULT_ENABLED_EVENTS = frozenset({
    "payment_intent.succeeded", "payment_intent.payment_failed", "payment_intent.canceled",
    "payment_intent.processing", "payment_intent.requires_action",
    "charge.succeeded", "charge.failed", "charge.refunded", "charge.dispute.*", "refund.updated", "refund.failed",
    "transfer.created", "transfer.reversed", "transfer.updated", "account.updated", "account.application.deauthorized",
    "capability.updated",
})

Response = tuple[int, dict[str, str], bytes]


class AnswerLost(Exception):  # noqa: N818 - not an error of the provider: what its caller experiences
    """The request was carried out; its answer is never sent (the connection is held, then dropped)."""

    def __init__(self, hold_seconds: float):
        super().__init__(f"answer lost after {hold_seconds} s")
        self.hold_seconds = hold_seconds


@dataclass
class Fault:
    method: str
    path: str  # exact path, or a prefix ending with `*`
    status: int | None = 500  # None: answer normally (after `delay`)
    delay: float = 0.0
    after: bool = False  # process the request first, then answer `status` (the answer is "lost")
    times: int = 1

    def matches(self, method: str, path: str) -> bool:
        if method != self.method:
            return False
        return path.startswith(self.path[:-1]) if self.path.endswith("*") else path == self.path


class LocalPaymentProvider:
    """A Stripe-compatible payment provider for the local stack and the tests.

    `deliver` / `connect_deliver`: where signed events go (a URL or a callable
    `(body, headers) -> status`; None: events are recorded but not sent). `public_url`: the
    base URL browsers use for the payment page (default: the bound address).
    `processing_delay`: seconds a `processing` payment waits before it settles (None: only when
    `settle_processing()` is called, which is what tests do).
    """

    def __init__(
        self,
        webhook_secret: str,
        deliver: Target | None = None,
        public_url: str | None = None,
        *,
        api_key: str = DEFAULT_API_KEY,
        connect_webhook_secret: str | None = None,
        connect_deliver: Target | None = None,
        enabled_events: frozenset[str] | set[str] = DEFAULT_ENABLED_EVENTS,
        auto_deliver: bool = True,
        retry_delays: tuple[float, ...] = DEFAULT_RETRY_DELAYS,
        delivery_timeout: float = 10.0,
        state: dict | None = None,
        clock: Callable[[], float] = time.time,
        processing_delay: float | None = 3.0,
    ):
        self.api_key = api_key
        self.publishable_key = DEFAULT_PUBLISHABLE_KEY
        self.webhook_secret = webhook_secret
        self._public_url = public_url.rstrip("/") if public_url else None
        self.ledger = Ledger(clock=clock)
        endpoints: dict[str, Endpoint] = {}
        if deliver is not None:
            endpoints["platform"] = Endpoint("platform", webhook_secret, deliver, frozenset(enabled_events))
        if connect_deliver is not None:
            if not connect_webhook_secret:
                raise ValueError("connect_deliver needs connect_webhook_secret")
            endpoints["connect"] = Endpoint("connect", connect_webhook_secret, connect_deliver,
                                            frozenset(enabled_events), connect=True)
        self.dispatcher = Dispatcher(endpoints, auto=auto_deliver, retry_delays=retry_delays,
                                     timeout=delivery_timeout, clock=clock)
        self.ledger.on_event = self.dispatcher.submit
        self.ledger.on_processing = self._schedule_settlement
        self.ledger.on_refund_pending = self._schedule_refund_settlement
        self.ledger.base_url = lambda: self.url
        self.processing_delay = processing_delay
        self._settlements: list[threading.Timer] = []
        self.requests: list[dict] = []  # every API request seen (method, path, headers, body, params, status)
        self.faults: list[Fault] = []
        # Random faults of `devstack run --faults` (devstack/faults.py): (method, path, headers) -> "5xx",
        # "timeout" or None, and how long a "timeout" holds the connection before dropping it.
        self.chaos: Callable[[str, str, dict], str | None] | None = None
        self.chaos_hold_seconds = 1.0
        self._requests_seen = threading.Condition(self.ledger.lock)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        if state:
            self.ledger.load_json(state)
            events = {k: v for k, v in self.ledger.objects.items() if v.get("object") == "event"}
            self.dispatcher.restore(state.get("pending_deliveries", []), events)
            for intent in self.ledger.of_kind("payment_intent", status="processing"):
                self._schedule_settlement(intent["id"])
            for refund_id in list(self.ledger.refund_settlements):
                self._schedule_refund_settlement(refund_id)

    # -- lifecycle ------------------------------------------------------------------------

    def start(self, host: str = "127.0.0.1", port: int = 0) -> LocalPaymentProvider:
        handler = type("Handler", (_Handler,), {"provider": self})
        self._server = ThreadingHTTPServer((host, port), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="localpay-http", daemon=True)
        self._thread.start()
        self.dispatcher.start()
        return self

    def stop(self) -> None:
        for timer in self._settlements:
            timer.cancel()
        self._settlements.clear()
        self.dispatcher.stop()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> LocalPaymentProvider:
        return self if self._server else self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    @property
    def bound_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the local payment provider is not started")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def url(self) -> str:
        """The base URL: STRIPE_API_BASE for the SDK, and where the payment page lives."""
        return self._public_url or self.bound_url

    def environment(self) -> dict[str, str]:
        """The settings that point Halles at this provider (webhook secrets included)."""
        env = {"STRIPE_SECRET_KEY": self.api_key, "STRIPE_API_BASE": self.url,
               "STRIPE_PUBLISHABLE_KEY": self.publishable_key, "STRIPE_WEBHOOK_SECRET": self.webhook_secret}
        connect = self.dispatcher.endpoints.get("connect")
        if connect:
            env["STRIPE_CONNECT_WEBHOOK_SECRET"] = connect.secret
        return env

    # -- snapshot -------------------------------------------------------------------------

    def to_json(self) -> dict:
        """Everything the provider knows (objects, events, idempotency keys, undelivered webhooks), as JSON."""
        state = self.ledger.to_json()
        state["pending_deliveries"] = self.dispatcher.pending()
        return state

    @classmethod
    def from_json(cls, state: dict, webhook_secret: str, deliver: Target | None = None,
                  public_url: str | None = None, **options: Any) -> LocalPaymentProvider:
        """A provider that carries on from `to_json()`'s snapshot (not started yet)."""
        return cls(webhook_secret, deliver, public_url, state=state, **options)

    # -- helpers for tests and the seed ----------------------------------------------------

    def complete_payment(self, payment_intent_id: str, card_number: str = "4242424242424242", *,
                         expiry: str | None = None, cvc: str = "123", return_url: str | None = None) -> dict:
        """Pay on the payment page as a shopper would (over HTTP); answers the PaymentIntent afterwards."""
        with self.ledger.lock:
            secret = self.ledger.get("payment_intent", payment_intent_id)["client_secret"]
        submit_payment_page(self.bound_url, payment_intent_id, secret, card_number, expiry=expiry, cvc=cvc,
                            return_url=return_url)
        return self.payment_intent(payment_intent_id)

    def authenticate(self, payment_intent_id: str, *, succeed: bool = True) -> tuple[int, str]:
        """Answer the 3-D Secure challenge of a `requires_action` intent as a shopper would (over HTTP):
        "Complete authentication" or "Fail authentication". Answers (status, Location or page)."""
        with self.ledger.lock:
            url = _challenge_url(self.ledger.get("payment_intent", payment_intent_id))
        if not url:
            raise ValueError(f"{payment_intent_id} is not waiting for authentication")
        return _post_form(url.replace(self.url, self.bound_url, 1), {"outcome": "complete" if succeed else "fail"})

    def settle_processing(self, payment_intent_id: str | None = None) -> list[dict]:
        """Settle `processing` payments now (that one, or all): each succeeds or fails as its card says."""
        request = {"id": new_id("req", 14), "idempotency_key": None}
        with self.ledger.lock:
            waiting = [payment_intent_id] if payment_intent_id else [
                i["id"] for i in self.ledger.of_kind("payment_intent", status="processing")]
            return [json.loads(json.dumps(self.ledger.settle(intent_id, request))) for intent_id in waiting]

    def _schedule_settlement(self, payment_intent_id: str) -> None:
        self._later(self.settle_processing, payment_intent_id)

    def _schedule_refund_settlement(self, refund_id: str) -> None:
        self._later(self.settle_refunds, refund_id)

    def _later(self, action: Callable[[str], Any], object_id: str) -> None:
        if self.processing_delay is None:
            return
        timer = threading.Timer(self.processing_delay, action, args=(object_id,))
        timer.daemon = True
        self._settlements = [t for t in self._settlements if t.is_alive()] + [timer]
        timer.start()

    def settle_refunds(self, refund_id: str | None = None) -> list[dict]:
        """Give refunds whose outcome comes later (test cards 5126 and 7726) that outcome now (that one, or all)."""
        request = {"id": new_id("req", 14), "idempotency_key": None}
        with self.ledger.lock:
            waiting = [refund_id] if refund_id else list(self.ledger.refund_settlements)
            return [json.loads(json.dumps(self.ledger.settle_refund(r, request))) for r in waiting]

    def payment_intent(self, payment_intent_id: str) -> dict:
        with self.ledger.lock:
            return json.loads(json.dumps(self.ledger.get("payment_intent", payment_intent_id)))

    def settle_dispute(self, dispute_id: str, *, won: bool) -> dict:
        """Decide a dispute as Stripe's test mode does: submit `winning_evidence` or `losing_evidence`.

        The same as `POST /v1/disputes/{id}` with `evidence[uncategorized_text]`, without an API key
        (the `devstack` console and tests); answers the dispute afterwards.
        """
        evidence = "winning_evidence" if won else "losing_evidence"
        with self.ledger.lock:
            dispute = self.ledger.update_dispute(dispute_id, {"evidence": {"uncategorized_text": evidence}},
                                                 {"id": new_id("req", 14), "idempotency_key": None})
            return json.loads(json.dumps(dispute))

    def open_dispute(self, charge_id: str, *, reason: str = "fraudulent", inquiry: bool = False,
                     amount: int | None = None) -> dict:
        """The cardholder disputes this charge (or payment intent's charge) now, e.g. after the vendor was paid.
        Stripe cannot do this on demand; its dispute test cards dispute at payment time."""
        params = {"reason": reason, "inquiry": "true" if inquiry else "false"}
        if amount is not None:
            params["amount"] = str(amount)
        return self._local_call(lambda request: self.ledger.open_dispute(params, request, charge_id))

    def expire_disputes(self) -> list[dict]:
        """Disputes left without evidence past their `due_by` (by the provider's clock) are lost now."""
        return self._local_call(lambda request: self.ledger.expire_disputes({}, request))["data"]

    def fail_refund(self, refund_id: str, failure_reason: str = "expired_or_canceled_card") -> dict:
        """The refund fails now (`refund.updated`, `refund.failed`), as a refund to a closed card does later."""
        return self._local_call(lambda request: self.ledger.fail_refund(
            refund_id, {"failure_reason": failure_reason}, request))

    def set_balance(self, amount: int, currency: str = "eur", account: str | None = None) -> dict:
        """Make the platform's (or a connected account's) available balance `amount` from now on."""
        with self.ledger.lock:
            return json.loads(json.dumps(self.ledger.set_balance(amount, currency, account)))

    def balance(self, account: str | None = None) -> dict:
        with self.ledger.lock:
            return json.loads(json.dumps(self.ledger.balance_object(account)))

    def _local_call(self, operation: Callable[[dict], dict]) -> dict:
        with self.ledger.lock:
            return json.loads(json.dumps(operation({"id": new_id("req", 14), "idempotency_key": None})))

    def add_account(self, account_id: str | None = None, *, onboarded: bool = True, email: str | None = None,
                    metadata: dict | None = None) -> dict:
        return self.ledger.add_account(account_id, onboarded=onboarded, email=email, metadata=metadata)

    def events(self, event_type: str | None = None) -> list[dict]:
        with self.ledger.lock:
            return [json.loads(json.dumps(o)) for o in self.ledger.objects.values()
                    if o.get("object") == "event" and (event_type is None or o["type"] == event_type)]

    def fail_next(self, method: str, path: str, status: int = 500, *, times: int = 1, after: bool = False) -> None:
        self.faults.append(Fault(method.upper(), path, status, times=times, after=after))

    def delay_next(self, method: str, path: str, seconds: float, *, times: int = 1) -> None:
        self.faults.append(Fault(method.upper(), path, None, delay=seconds, times=times))

    def deliver_webhooks(self) -> list[Attempt]:
        """With `auto_deliver=False`: one attempt per pending delivery, now, on this thread."""
        return self.dispatcher.deliver_pending()

    def wait_for_webhooks(self, timeout: float = 10.0) -> bool:
        return self.dispatcher.wait_idle(timeout)

    def wait_for_requests(self, count: int, timeout: float = 10.0) -> bool:
        """Blocks until `count` API requests were answered (e.g. a slow one a client gave up on)."""
        with self._requests_seen:
            return self._requests_seen.wait_for(lambda: len(self.requests) >= count, timeout)

    @property
    def deliveries(self) -> list[Attempt]:
        return list(self.dispatcher.log)

    # -- request handling (transport-independent) -------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], body: bytes) -> Response:
        url = urlsplit(target)
        path = url.path.rstrip("/") or "/"
        lowered = {k.lower(): v for k, v in headers.items()}
        request_id = new_id("req", 14)
        if path.startswith("/v1/"):
            return self._api(method, path, url.query, lowered, body, request_id)
        if path.startswith("/_localpay/"):
            return self._local_control(method, path, lowered, body, request_id)
        for verb, pattern, view in _PAGE_ROUTES:
            match = pattern.fullmatch(path)
            if match and verb == method:
                return view(self, match, dict(parse_qsl(url.query)), parse_form(body.decode("utf-8", "replace")),
                            {"id": request_id, "idempotency_key": None})
        if path in ("/", "/health") and method == "GET":
            return _json(200, {"status": "ok", "provider": "localpay"}, request_id)
        return _json(404, _error_body(f"Unrecognized request URL ({method}: {path}).", "invalid_request_error"),
                     request_id)

    def _api(self, method: str, path: str, query: str, headers: dict, body: bytes, request_id: str) -> Response:
        denied = self._authenticate(headers.get("authorization"))
        if denied:
            return self._log(method, path, headers, body, {},
                             _json(401, _error_body(denied, "invalid_request_error"), request_id))
        chaos = self.chaos(method, path, headers) if self.chaos else None
        if chaos == "5xx":
            return self._log(method, path, headers, body, {}, _json(
                500, _error_body("An unknown error occurred", "api_error"), request_id))
        fault = self._take_fault(method, path)
        if fault and fault.delay:
            time.sleep(fault.delay)  # the slowness under test, on the server's side
        if fault and fault.status and not fault.after:
            return self._log(method, path, headers, body, {}, _json(
                fault.status, _error_body("An unknown error occurred", "api_error"), request_id))
        raw = body.decode("utf-8", "replace") if method == "POST" else query
        params = parse_form(raw)
        key = headers.get("idempotency-key") if method == "POST" else None
        context = {"id": request_id, "idempotency_key": key, "account": headers.get("stripe-account")}
        with self.ledger.lock:
            response = self._idempotent(method, path, params, key, context)
        if fault and fault.status and fault.after:
            response = _json(fault.status, _error_body("An unknown error occurred", "api_error"), request_id)
        if chaos == "timeout":  # done, but the caller never hears of it
            self._log(method, path, headers, body, params, response)
            raise AnswerLost(self.chaos_hold_seconds)
        return self._log(method, path, headers, body, params, response)

    def _local_control(self, method: str, path: str, headers: dict, body: bytes, request_id: str) -> Response:
        """Local-only test controls (not Stripe's API): the same secret key, form parameters, Stripe-shaped
        answers and errors. See _LOCAL_ROUTES."""
        denied = self._authenticate(headers.get("authorization"))
        if denied:
            return _json(401, _error_body(denied, "invalid_request_error"), request_id)
        params = parse_form(body.decode("utf-8", "replace"))
        context = {"id": request_id, "idempotency_key": None}
        for verb, pattern, view in _LOCAL_ROUTES:
            match = pattern.fullmatch(path)
            if match and verb == method:
                with self.ledger.lock:
                    try:
                        return _json(200, json.loads(json.dumps(view(self, match, params, context))), request_id)
                    except StripeAPIError as err:
                        return _json(err.status, err.body(), request_id)
        return _json(404, _error_body(f"Unrecognized request URL ({method}: {path}).", "invalid_request_error"),
                     request_id)

    def _authenticate(self, authorization: str | None) -> str | None:
        if not authorization:
            return ("You did not provide an API key. You need to provide your API key in the Authorization header, "
                    "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
                    "https://stripe.com/docs/api#authentication for details.")
        scheme, _, credentials = authorization.partition(" ")
        key = credentials.strip()
        if scheme.lower() == "basic":
            try:
                key = base64.b64decode(key).decode().split(":", 1)[0]
            except ValueError:
                key = ""
        elif scheme.lower() != "bearer":
            key = ""
        if key != self.api_key:
            return f"Invalid API Key provided: {key[:8]}{'*' * 4}{key[-4:]}" if key else "Invalid API Key provided"
        return None

    def _take_fault(self, method: str, path: str) -> Fault | None:
        with self.ledger.lock:
            for fault in self.faults:
                if fault.times > 0 and fault.matches(method, path):
                    fault.times -= 1
                    if fault.times == 0:
                        self.faults.remove(fault)
                    return fault
        return None

    def _idempotent(self, method: str, path: str, params: dict, key: str | None, context: dict) -> Response:
        request_id = context["id"]
        if key is None:
            return self._execute(method, path, params, context)
        if len(key) > 255:
            return _json(400, _error_body("Idempotency keys can be up to 255 characters long.",
                                          "invalid_request_error"), request_id)
        fingerprint = hashlib.sha256(json.dumps(params, sort_keys=True).encode()).hexdigest()
        saved = self.ledger.idempotency.get(key)
        if saved and saved["created"] < self.ledger.now() - IDEMPOTENCY_TTL_SECONDS:
            saved = None
        if saved:
            endpoint = f"{method} {path}"
            if saved["endpoint"] != endpoint:
                message = (f"Keys for idempotent requests can only be used for the same endpoint they were first "
                           f"used for ('{saved['endpoint']}' vs '{endpoint}'). Try using a key other than '{key}' if "
                           f"you meant to execute a different request.")
                return _json(400, _error_body(message, "idempotency_error"), request_id)
            if saved["fingerprint"] != fingerprint:
                message = (f"Keys for idempotent requests can only be used with the same parameters they were first "
                           f"used with. Try using a key other than '{key}' if you meant to execute a different "
                           f"request.")
                return _json(400, _error_body(message, "idempotency_error"), request_id)
            return _json(saved["status"], saved["body"], request_id,
                         {"Idempotent-Replayed": "true", "Original-Request": saved["request_id"], "Idempotency-Key": key})
        status, body, keep = self._run(method, path, params, context)
        if keep:
            self.ledger.idempotency[key] = {"endpoint": f"{method} {path}", "fingerprint": fingerprint,
                                            "status": status, "body": body, "request_id": request_id,
                                            "created": self.ledger.now()}
        return _json(status, body, request_id, {"Idempotency-Key": key})

    def _execute(self, method: str, path: str, params: dict, context: dict) -> Response:
        status, body, _ = self._run(method, path, params, context)
        return _json(status, body, context["id"])

    def _run(self, method: str, path: str, params: dict, context: dict) -> tuple[int, dict, bool]:
        """(status, body, whether an idempotency key keeps this answer)."""
        for verb, pattern, view in _API_ROUTES:
            match = pattern.fullmatch(path)
            if match and verb == method:
                try:
                    result = view(self, match, params, context)
                    return 200, self.ledger.expand(result, params.get("expand")), True
                except StripeAPIError as err:
                    return err.status, err.body(), err.saved
        return 404, _error_body(f"Unrecognized request URL ({method}: {path}).", "invalid_request_error"), False

    def _log(self, method: str, path: str, headers: dict, body: bytes, params: dict, response: Response) -> Response:
        keep = ("idempotency-key", "stripe-version", "content-type", "user-agent", "stripe-account")
        with self._requests_seen:
            self.requests.append({
                "method": method, "path": path, "headers": {k: v for k, v in headers.items() if k in keep},
                "body": body.decode("utf-8", "replace"), "params": params, "status": response[0],
                "request_id": response[1].get("Request-Id"),
            })
            self._requests_seen.notify_all()
        return response


# -- API views: (provider, path match, params, request context) -> object ------------------------

def _retrieve(kind: str) -> Callable:
    def view(p: LocalPaymentProvider, m: re.Match, params: dict, ctx: dict) -> dict:
        check_known(params, {"client_secret"})
        return p.ledger.get(kind, m.group(1))
    return view


def _list_events(p: LocalPaymentProvider, m: re.Match, params: dict, ctx: dict) -> dict:
    check_known(params, {"type", "limit", "starting_after", "ending_before", "created", "delivery_success", "types"})
    kind = params.get("type")
    events = [o for o in p.ledger.objects.values() if o.get("object") == "event" and (not kind or o["type"] == kind)]
    return p.ledger.listing(events, params, "/v1/events")


_API_ROUTES: list[tuple[str, re.Pattern, Callable]] = [
    (verb, re.compile(pattern), view) for verb, pattern, view in (
        ("POST", r"/v1/customers", lambda p, m, q, c: p.ledger.create_customer(q, c)),
        ("GET", r"/v1/customers/([^/]+)", _retrieve("customer")),
        ("POST", r"/v1/customers/([^/]+)", lambda p, m, q, c: p.ledger.update_customer(m.group(1), q, c)),
        ("GET", r"/v1/customers/([^/]+)/payment_methods",
         lambda p, m, q, c: p.ledger.list_payment_methods(m.group(1), q, f"/v1/customers/{m.group(1)}/payment_methods")),
        ("POST", r"/v1/payment_intents", lambda p, m, q, c: p.ledger.create_payment_intent(q, c)),
        ("GET", r"/v1/payment_intents/([^/]+)", _retrieve("payment_intent")),
        ("POST", r"/v1/payment_intents/([^/]+)", lambda p, m, q, c: p.ledger.update_payment_intent(m.group(1), q, c)),
        ("POST", r"/v1/payment_intents/([^/]+)/confirm",
         lambda p, m, q, c: p.ledger.confirm_payment_intent(m.group(1), q, c)),
        ("POST", r"/v1/payment_intents/([^/]+)/cancel",
         lambda p, m, q, c: p.ledger.cancel_payment_intent(m.group(1), q, c)),
        ("GET", r"/v1/charges/([^/]+)", _retrieve("charge")),
        ("POST", r"/v1/refunds", lambda p, m, q, c: p.ledger.create_refund(q, c)),
        ("GET", r"/v1/refunds/([^/]+)", _retrieve("refund")),
        ("POST", r"/v1/transfers", lambda p, m, q, c: p.ledger.create_transfer(q, c)),
        ("GET", r"/v1/transfers/([^/]+)", _retrieve("transfer")),
        ("POST", r"/v1/transfers/([^/]+)/reversals",
         lambda p, m, q, c: p.ledger.create_transfer_reversal(m.group(1), q, c)),
        ("GET", r"/v1/transfers/([^/]+)/reversals", lambda p, m, q, c: p.ledger.list_transfer_reversals(m.group(1), q)),
        ("GET", r"/v1/transfers/([^/]+)/reversals/([^/]+)",
         lambda p, m, q, c: p.ledger.get_transfer_reversal(m.group(1), m.group(2))),
        ("GET", r"/v1/balance", lambda p, m, q, c: p.ledger.retrieve_balance(q, c.get("account"))),
        ("GET", r"/v1/application_fees/([^/]+)", _retrieve("application_fee")),
        ("GET", r"/v1/disputes", lambda p, m, q, c: p.ledger.list_disputes(q)),
        ("GET", r"/v1/disputes/([^/]+)", _retrieve("dispute")),
        ("POST", r"/v1/disputes/([^/]+)", lambda p, m, q, c: p.ledger.update_dispute(m.group(1), q, c)),
        ("POST", r"/v1/disputes/([^/]+)/close", lambda p, m, q, c: p.ledger.close_dispute(m.group(1), q, c)),
        ("POST", r"/v1/payment_methods", lambda p, m, q, c: p.ledger.create_payment_method(q, c)),
        ("GET", r"/v1/payment_methods", lambda p, m, q, c: p.ledger.list_payment_methods(None, q, "/v1/payment_methods")),
        ("GET", r"/v1/payment_methods/([^/]+)", _retrieve("payment_method")),
        ("POST", r"/v1/payment_methods/([^/]+)/attach",
         lambda p, m, q, c: p.ledger.attach_payment_method(m.group(1), q, c)),
        ("POST", r"/v1/payment_methods/([^/]+)/detach",
         lambda p, m, q, c: p.ledger.detach_payment_method(m.group(1), q, c)),
        ("POST", r"/v1/accounts", lambda p, m, q, c: p.ledger.create_account(q, c)),
        ("GET", r"/v1/accounts/([^/]+)", _retrieve("account")),
        ("POST", r"/v1/accounts/([^/]+)", lambda p, m, q, c: p.ledger.update_account(m.group(1), q, c)),
        ("POST", r"/v1/account_links", lambda p, m, q, c: p.ledger.create_account_link(q, c, p.url)),
        ("GET", r"/v1/events", _list_events),
        ("GET", r"/v1/events/([^/]+)", _retrieve("event")),
    )
]


# Local-only controls (POST, form-encoded, the secret key): what Stripe's test mode does with test
# cards and the Dashboard, on demand.
_LOCAL_ROUTES: list[tuple[str, re.Pattern, Callable]] = [
    (verb, re.compile(pattern), view) for verb, pattern, view in (
        # amount (may be negative), currency (eur), account (a connected account; else the platform's)
        ("POST", r"/_localpay/balance", lambda p, m, q, c: p.ledger.set_balance_from_form(q)),
        # reason, inquiry=true|false, amount: the cardholder disputes a charge (or a payment intent's)
        ("POST", r"/_localpay/charges/([^/]+)/dispute", lambda p, m, q, c: p.ledger.open_dispute(q, c, m.group(1))),
        # no parameters: disputes still waiting for evidence past their due_by are lost
        ("POST", r"/_localpay/disputes/expire", lambda p, m, q, c: p.ledger.expire_disputes(q, c)),
        # outcome=won|lost: the test-mode evidence (winning_evidence / losing_evidence), submitted
        ("POST", r"/_localpay/disputes/([^/]+)/settle",
         lambda p, m, q, c: p.ledger.settle_dispute_from_form(m.group(1), q, c)),
        # failure_reason: the refund fails now (refund.updated, refund.failed)
        ("POST", r"/_localpay/refunds/([^/]+)/fail", lambda p, m, q, c: p.ledger.fail_refund(m.group(1), q, c)),
    )
]


# -- pages: (provider, path match, query, form, request context) -> response -------------------

def _pay_page(p: LocalPaymentProvider, m: re.Match, query: dict, form: dict, ctx: dict) -> Response:
    intent, secret, return_url, problem = _page_intent(p, m.group(1), query)
    if problem:
        return problem
    if intent["status"] in ("succeeded", "processing"):
        if return_url:  # e.g. back from a passed 3-D Secure challenge: on to the shop
            return _redirect(_return_to(return_url, intent, intent["status"]))
        message = ("This payment has succeeded." if intent["status"] == "succeeded"
                   else "Your payment is processing. The shop will tell you once it has gone through.")
        return _html(200, pages.payment_result(intent, None, message, ok=True))
    if intent["status"] == "canceled":
        return _html(409, pages.payment_result(intent, None, "This payment was cancelled and can no longer be paid.",
                                               ok=False))
    challenge = _challenge_url(intent)  # e.g. a saved card the shop confirmed: the bank asks first
    if challenge:
        challenge += "?" + urlencode({"back": _card_page_url(p, intent["id"], secret, return_url)})
    return _html(200, _form(intent, secret, return_url, challenge_url=challenge))


def _challenge_url(intent: dict) -> str | None:
    """Where the 3-D Secure challenge of a `requires_action` intent is answered."""
    action = intent["next_action"] or {}
    return (action.get("redirect_to_url") or {}).get("url") or (action.get("use_stripe_sdk") or {}).get("stripe_js")


def _card_page_url(p: LocalPaymentProvider, intent_id: str, secret: str, return_url: str | None) -> str:
    return f"{p.url}/pay/{quote(intent_id, safe='')}?" + urlencode(
        {"client_secret": secret, **({"return_url": return_url} if return_url else {})})


def _form(intent: dict, secret: str, return_url: str | None, **typed: str) -> str:
    """The card form, with what went wrong with the last attempt in the shopper's words."""
    error = typed.pop("error", None) or shopper_text(intent.get("last_payment_error"))
    leave = _return_to(return_url, intent, "failed")
    return pages.payment_form(intent, client_secret=secret, return_url=return_url, error=error, leave_url=leave,
                              **typed)


def _pay_confirm(p: LocalPaymentProvider, m: re.Match, query: dict, form: dict, ctx: dict) -> Response:
    intent, secret, return_url, problem = _page_intent(p, m.group(1), form)
    if problem:
        return problem
    number, expiry = str(form.get("card_number", "")), str(form.get("expiry", ""))
    month, _, year = expiry.replace(" ", "").partition("/")
    if not year and len(month) == 4:
        month, year = month[:2], month[2:]
    with p.ledger.lock:
        try:
            card, exp_month, exp_year = p.ledger.card_from_input(number, month, year, str(form.get("cvc", "")))
        except StripeAPIError as err:  # a typo: say so on the form, nothing happened
            return _html(400, _form(intent, secret, return_url, error=err.message, number=number, expiry=expiry))
        # A 3-D Secure challenge comes back here, to this page: it goes on to the shop only on success.
        back_here = _card_page_url(p, intent["id"], secret, return_url)
        try:
            intent = p.ledger.pay_with_card(intent["id"], card, exp_month, exp_year, ctx, return_url=back_here)
        except StripeAPIError as err:
            intent = json.loads(json.dumps(p.ledger.get("payment_intent", intent["id"])))
            if err.type != "card_error":
                return _html(409, pages.payment_result(intent, None, err.message, ok=False))
            # Declined: the shopper stays here, reads why, and can try another card on the same intent.
            return _html(402, _form(intent, secret, return_url))
    if intent["status"] == "requires_action":
        return _redirect(intent["next_action"]["redirect_to_url"]["url"])
    if return_url:
        return _redirect(_return_to(return_url, intent, intent["status"]))
    message = "Payment succeeded." if intent["status"] == "succeeded" else "Your payment is processing."
    return _html(200, pages.payment_result(intent, None, message, ok=True))


def _challenge_page(p: LocalPaymentProvider, m: re.Match, query: dict, form: dict, ctx: dict) -> Response:
    with p.ledger.lock:
        record = p.ledger.challenge(m.group(1))
        if record is None:
            return _html(404, pages.invalid_link("This authentication request is invalid or was already answered."))
        intent = p.ledger.get("payment_intent", record["payment_intent"])
        return _html(200, pages.challenge_form(m.group(1), intent, back=_card_page_back(p, query)))


def _card_page_back(p: LocalPaymentProvider, values: dict) -> str | None:
    """`back`: the card page that sent the shopper to a challenge confirmed without a return_url
    (only one of our own card pages: never an open redirect)."""
    back = str(values.get("back") or "")
    return back if back.startswith(f"{p.url}/pay/") else None


def _challenge_submit(p: LocalPaymentProvider, m: re.Match, query: dict, form: dict, ctx: dict) -> Response:
    outcome = form.get("outcome")
    if outcome not in ("complete", "fail"):
        return _html(400, pages.invalid_link("Choose to complete or to fail the authentication."))
    with p.ledger.lock:
        try:
            intent, record = p.ledger.finish_authentication(m.group(1), authenticated=outcome == "complete",
                                                            request=ctx)
        except StripeAPIError:
            return _html(404, pages.invalid_link("This authentication request is invalid or was already answered."))
        intent = json.loads(json.dumps(intent))
    status = intent["status"] if intent["status"] in ("succeeded", "processing") else "failed"
    back = record["return_url"] or _card_page_back(p, form)
    if back:
        return _redirect(_return_to(back, intent, status))
    ok = status != "failed"
    message = {"succeeded": "Payment succeeded.", "processing": "Your payment is processing."}.get(
        status, shopper_text(intent.get("last_payment_error")) or "The payment failed.")
    return _html(200 if ok else 402, pages.payment_result(intent, None, message, ok=ok))


def _page_intent(p: LocalPaymentProvider, intent_id: str, values: dict):
    """The PaymentIntent a page is about, if the client secret proves the visitor may see it."""
    secret = str(values.get("client_secret", ""))
    return_url = str(values.get("return_url", "")) or None
    if return_url and urlsplit(return_url).scheme not in ("http", "https"):
        return None, secret, None, _html(400, pages.invalid_link("The return address is not a web address."))
    with p.ledger.lock:
        intent = p.ledger.objects.get(intent_id)
        if not intent or intent.get("object") != "payment_intent" or not secret or secret != intent["client_secret"]:
            return None, secret, return_url, _html(404, pages.invalid_link("This payment link is invalid."))
        return json.loads(json.dumps(intent)), secret, return_url, None


def _return_to(return_url: str | None, intent: dict, status: str) -> str | None:
    """Where Stripe sends the browser back: the return_url plus the intent and `redirect_status`."""
    if not return_url:
        return None
    parts = urlsplit(return_url)
    query = parse_qsl(parts.query, keep_blank_values=True) + [
        ("payment_intent", intent["id"]), ("payment_intent_client_secret", intent["client_secret"]),
        ("redirect_status", status)]
    return urlunsplit(parts._replace(query=urlencode(query)))


def _onboarding_page(p: LocalPaymentProvider, m: re.Match, query: dict, form: dict, ctx: dict) -> Response:
    with p.ledger.lock:
        token = p.ledger.onboarding.get(m.group(1))
        if token is None:
            return _html(404, pages.invalid_link("This onboarding link is invalid or was already used."))
        if p.ledger.onboarding_link(m.group(1)) is None:
            return _redirect(token["refresh_url"])
        account = p.ledger.get("account", token["account"])
        return _html(200, pages.onboarding_form(m.group(1), account))


def _onboarding_submit(p: LocalPaymentProvider, m: re.Match, query: dict, form: dict, ctx: dict) -> Response:
    with p.ledger.lock:
        try:
            leave_due = (form.get("action") or "complete") == "leave_due"
            return _redirect(p.ledger.complete_onboarding(m.group(1), ctx, leave_due=leave_due))
        except StripeAPIError:
            return _html(404, pages.invalid_link("This onboarding link is invalid or was already used."))


_PAGE_ROUTES: list[tuple[str, re.Pattern, Callable]] = [
    ("GET", re.compile(r"/pay/([^/]+)"), _pay_page),
    ("POST", re.compile(r"/pay/([^/]+)/confirm"), _pay_confirm),
    ("GET", re.compile(r"/3ds/([^/]+)"), _challenge_page),
    ("POST", re.compile(r"/3ds/([^/]+)"), _challenge_submit),
    ("GET", re.compile(r"/connect/onboarding/([^/]+)"), _onboarding_page),
    ("POST", re.compile(r"/connect/onboarding/([^/]+)"), _onboarding_submit),
]


# -- responses ---------------------------------------------------------------------------------

def _error_body(message: str, error_type: str) -> dict:
    return {"error": {"message": message, "type": error_type}}


def _json(status: int, body: dict, request_id: str | None, extra: dict | None = None) -> Response:
    headers = {"Content-Type": "application/json", "Request-Id": request_id or new_id("req", 14),
               "Stripe-Version": API_VERSION, **(extra or {})}
    return status, headers, json.dumps(body, indent=2).encode()


def _html(status: int, html: str) -> Response:
    return status, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}, html.encode()


def _redirect(location: str) -> Response:
    return 303, {"Location": location, "Content-Type": "text/plain"}, b""


class _Handler(BaseHTTPRequestHandler):
    provider: LocalPaymentProvider
    protocol_version = "HTTP/1.1"
    server_version = "localpay/1.0"

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY_BYTES:
            self._write((413, {"Content-Type": "text/plain"}, b"request too large"))
            return
        body = self.rfile.read(length) if length else b""
        try:
            response = self.provider.handle(self.command, self.path, dict(self.headers.items()), body)
        except AnswerLost as lost:
            time.sleep(lost.hold_seconds)
            self.close_connection = True
            return
        except Exception as exc:  # a bug here must look like a Stripe 500, not a dropped connection
            response = _json(500, _error_body(f"localpay internal error: {type(exc).__name__}: {exc}", "api_error"),
                             None)
        self._write(response)

    def _write(self, response: Response) -> None:
        status, headers, body = response
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_DELETE = _serve

    def log_message(self, format: str, *args: Any) -> None:  # quiet: tests and the runner read `requests`
        pass


def submit_payment_page(base_url: str, payment_intent_id: str, client_secret: str, card_number: str, *,
                        expiry: str | None = None, cvc: str = "123", return_url: str | None = None) -> tuple[int, str]:
    """Fill in and submit the payment page as a browser would; answers (status, Location or page)."""
    if expiry is None:
        expiry = f"12/{(time.gmtime().tm_year + 5) % 100:02d}"
    form = {"client_secret": client_secret, "card_number": card_number, "expiry": expiry, "cvc": cvc}
    if return_url:
        form["return_url"] = return_url
    return _post_form(f"{base_url.rstrip('/')}/pay/{payment_intent_id}/confirm", form)


def _post_form(url: str, form: dict) -> tuple[int, str]:
    """POST a form as a browser would, without following redirects: (status, Location or page)."""
    request = urllib.request.Request(url, data=urlencode(form).encode(), method="POST",
                                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as err:
        return err.code, err.headers.get("Location") or err.read().decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None
