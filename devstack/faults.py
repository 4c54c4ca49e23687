"""Fault injection for the local stack: `python -m devstack run --faults=<spec>`.

The spec is a comma-separated list of `name=value`; every fault is a rate (0..1, the chance that
one eligible call gets it), and a few settings tune them:

    provider_5xx        the payment provider answers 500 to an API call, before doing anything
    provider_timeout    the provider DOES the call, then the answer never arrives (the connection is
                        held `provider_timeout_seconds`, then dropped): the caller cannot know it happened
    ddb_throttle        a DynamoDB call is refused with ProvisionedThroughputExceededException or
                        ThrottlingException (half each), as AWS does under load (botocore retries those)
    ddb_tx_cancel       a TransactWriteItems is refused with TransactionCanceledException
                        (reason TransactionConflict on its first item: another transaction held it)
    sqs_duplicate       a message handled successfully is not deleted (as when SQS's delete is lost):
                        the consumer gets it a second time
    sqs_delay           a received message is put back for `sqs_delay_seconds` before it is handled
    crash_after_write   the function dies right after a DynamoDB write succeeded, before its next
                        step (the API answers 502 as API Gateway does; a queue batch or a schedule
                        run fails as a crashed Lambda invocation does)
    seed                the random seed (default 0): each fault draws from its own seeded stream,
                        so a run makes the same decisions for the same sequence of calls
    sqs_delay_seconds   default 3; provider_timeout_seconds default 1 (the app's Stripe client gives
                        up after 10 s: set it above that to see real client timeouts)

e.g. `--faults=provider_5xx=0.1,provider_timeout=0.05,ddb_throttle=0.05,ddb_tx_cancel=0.05,sqs_duplicate=0.1,
sqs_delay=0.1,crash_after_write=0.02,seed=7`.

Where the faults live (nothing of this is in the product code): the DynamoDB faults are botocore
event handlers (`before-send.dynamodb` answers in place of the server, `after-call.dynamodb` raises
after a write) added to `botocore.handlers.BUILTIN_HANDLERS`, so every botocore session created
afterwards has them (PynamoDB, Powertools and boto3 each make their own). They fire only while
the app's code runs (an API request, a queue batch, a schedule: see `armed()`), never for the
stack's own calls (deploy, seed, snapshots, pumps). The provider faults hit only calls made by the
Stripe SDK (its `User-Agent`), not a test reading the provider's state nor the card page. The SQS
faults are the pumps' (devstack/pump.py). `GET /_devstack/faults` answers what was injected.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

RATES = {
    "provider_5xx": "the payment provider answers 500 before doing anything",
    "provider_timeout": "the payment provider does the call, its answer is lost",
    "ddb_throttle": "a DynamoDB call is throttled",
    "ddb_tx_cancel": "a DynamoDB TransactWriteItems is cancelled (TransactionConflict)",
    "sqs_duplicate": "an SQS message is delivered twice",
    "sqs_delay": "an SQS message is delivered late",
    "crash_after_write": "the function dies right after a DynamoDB write",
}
SETTINGS = {"seed": 0, "sqs_delay_seconds": 3.0, "provider_timeout_seconds": 1.0}
WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
THROTTLE_ERRORS = (
    ("com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
     "The level of configured provisioned throughput for the table was exceeded. Consider increasing your "
     "provisioning level with the UpdateTable API."),
    ("com.amazon.coral.availability#ThrottlingException", "Rate of requests exceeds the allowed throughput."),
)


class FaultSpecError(ValueError):
    """A --faults spec that cannot be used; the message names the offending part."""


class InjectedCrash(BaseException):  # noqa: N818 - it is not an error of the code under test: a death
    """The function died. A BaseException, so that no `except Exception` in the app survives it,
    as no code survives a Lambda whose process is gone."""


class FunctionCrashed(RuntimeError):
    """What the runner sees of an injected crash: a failed invocation (the batch is retried...)."""


@dataclass
class FaultPlan:
    rates: dict[str, float] = field(default_factory=dict)
    seed: int = 0
    sqs_delay_seconds: float = SETTINGS["sqs_delay_seconds"]
    provider_timeout_seconds: float = SETTINGS["provider_timeout_seconds"]

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._streams = {name: random.Random(f"{self.seed}:{name}") for name in RATES}
        self.injected: Counter[str] = Counter()

    def roll(self, name: str) -> bool:
        """Whether this call gets fault `name` (counted when it does)."""
        rate = self.rates.get(name, 0.0)
        if rate <= 0:
            return False
        with self._lock:
            hit = self._streams[name].random() < rate
            if hit:
                self.injected[name] += 1
        return hit

    def pick(self, name: str, options: tuple) -> Any:
        with self._lock:
            return self._streams[name].choice(options)

    def describe(self) -> str:
        rates = ", ".join(f"{name}={rate:g}" for name, rate in self.rates.items() if rate > 0)
        return f"{rates} (seed {self.seed})"

    def report(self) -> dict:
        with self._lock:
            injected = dict(self.injected)
        return {"rates": dict(self.rates), "seed": self.seed, "injected": injected,
                "total": sum(injected.values())}


def parse_spec(spec: str) -> FaultPlan:
    """`provider_5xx=0.1,ddb_throttle=0.05,seed=3` -> FaultPlan; FaultSpecError names what is wrong."""
    rates: dict[str, float] = {}
    settings: dict[str, float] = dict(SETTINGS)
    for part in (p.strip() for p in spec.split(",")):
        if not part:
            continue
        name, sep, raw = part.partition("=")
        name = name.strip()
        if not sep:
            raise FaultSpecError(f"{name!r}: expected name=value")
        if name not in RATES and name not in SETTINGS:
            raise FaultSpecError(f"unknown fault {name!r} (known: {', '.join([*RATES, *SETTINGS])})")
        try:
            value = int(raw) if name == "seed" else float(raw)
        except ValueError:
            raise FaultSpecError(f"{name}={raw!r} is not a number") from None
        if name in RATES and not 0 <= value <= 1:
            raise FaultSpecError(f"{name}={raw}: a rate is between 0 and 1")
        if name not in RATES and value < 0:
            raise FaultSpecError(f"{name}={raw} cannot be negative")
        (rates if name in RATES else settings)[name] = value
    return FaultPlan(rates=rates, seed=int(settings["seed"]), sqs_delay_seconds=float(settings["sqs_delay_seconds"]),
                     provider_timeout_seconds=float(settings["provider_timeout_seconds"]))


# ---- where the faults apply: the app's own code --------------------------------------------------

_scope = threading.local()


@contextmanager
def armed() -> Iterator[None]:
    """While the app's code runs on this thread, its DynamoDB calls may get faults."""
    previous = getattr(_scope, "armed", False)
    _scope.armed = True
    try:
        yield
    finally:
        _scope.armed = previous


def is_armed() -> bool:
    return getattr(_scope, "armed", False)


def as_function(handler: Callable[[dict, Any], Any]) -> Callable[[dict, Any], Any]:
    """A queue / schedule / Lambda function under faults: its crash is the invocation's failure."""

    @wraps(handler)
    def invoke(event: dict, context: Any) -> Any:
        try:
            with armed():
                return handler(event, context)
        except InjectedCrash as crash:
            raise FunctionCrashed(str(crash)) from None

    return invoke


# ---- DynamoDB, through botocore's event system ----------------------------------------------------

_installed: list[FaultPlan] = []  # the plan the hooks read (one per process: the stack's)


class _Body:
    """The raw part of an AWSResponse: botocore reads `.stream()` for the content."""

    def __init__(self, content: bytes):
        self._content = content

    def stream(self, **_kwargs) -> Iterator[bytes]:
        yield self._content


def _error_response(request, error_type: str, message: str, **extra) -> Any:
    from botocore.awsrequest import AWSResponse

    body = json.dumps({"__type": error_type, "message": message, **extra}).encode()
    headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": "devstack-fault",
               "Content-Length": str(len(body))}
    return AWSResponse(getattr(request, "url", ""), 400, headers, _Body(body))


def _transaction_items(request) -> int:
    try:
        return max(1, len(json.loads(request.body or b"{}").get("TransactItems") or []))
    except (ValueError, TypeError, AttributeError):
        return 1


def _before_send(request=None, event_name: str = "", **_kwargs):
    if not _installed or not is_armed():
        return None
    plan = _installed[0]
    operation = event_name.rsplit(".", 1)[-1]
    if operation == "TransactWriteItems" and plan.roll("ddb_tx_cancel"):
        reasons = [{"Code": "TransactionConflict", "Message": "Transaction is ongoing for the item"}]
        reasons += [{"Code": "None"}] * (_transaction_items(request) - 1)
        return _error_response(
            request, "com.amazonaws.dynamodb.v20120810#TransactionCanceledException",
            "Transaction cancelled, please refer cancellation reasons for specific reasons "
            f"[{', '.join(r['Code'] for r in reasons)}]", CancellationReasons=reasons)
    if plan.roll("ddb_throttle"):
        error_type, message = plan.pick("ddb_throttle", THROTTLE_ERRORS)
        return _error_response(request, error_type, message)
    return None


def _after_call(http_response=None, event_name: str = "", **_kwargs):
    if not _installed or not is_armed():
        return
    operation = event_name.rsplit(".", 1)[-1]
    if operation not in WRITE_OPERATIONS or getattr(http_response, "status_code", 500) >= 300:
        return
    if _installed[0].roll("crash_after_write"):
        raise InjectedCrash(f"devstack fault: the function died after {operation} succeeded")


def install(plan: FaultPlan) -> None:
    """Add the DynamoDB hooks for every botocore session created from now on (call it first)."""
    from botocore.handlers import BUILTIN_HANDLERS

    _installed[:] = [plan]
    for event, hook in (("before-send.dynamodb", _before_send), ("after-call.dynamodb", _after_call)):
        if not any(handler is hook for _, handler, *_ in BUILTIN_HANDLERS):
            BUILTIN_HANDLERS.append((event, hook))


def uninstall() -> None:
    _installed.clear()


# ---- the payment provider ---------------------------------------------------------------------------

STRIPE_SDK_AGENT = "stripe/"


def provider_chooser(plan: FaultPlan) -> Callable[[str, str, dict], str | None]:
    """For devstack/localpay: which fault (\"5xx\", \"timeout\") an API call gets, or None."""

    def choose(method: str, path: str, headers: dict) -> str | None:
        if not (headers.get("user-agent") or "").lower().startswith(STRIPE_SDK_AGENT):
            return None  # a test or an operator reading the provider, not the app
        if plan.roll("provider_5xx"):
            return "5xx"
        if plan.roll("provider_timeout"):
            return "timeout"
        return None

    return choose
