"""Feeds SQS messages to the app's consumers the way Lambda's event source mapping does.

For each `@bp.on_sqs_message` function a thread long-polls the queue, hands the batch to
the function as a Lambda-shaped SQS event, and then:
- deletes every message the function did not report in `batchItemFailures`
  (partial batch response);
- deletes nothing when the function raised, or answered with an identifier that is not in
  the batch (Lambda treats both as a failure of the whole batch);
- makes failed messages visible again after `retry_after` seconds, so retries happen in
  seconds locally instead of after the queue's production visibility timeout.

Under `devstack run --faults` (devstack/faults.py) a pump also delivers late (`sqs_delay`: the
message is made invisible for a while instead of being handled) and twice (`sqs_duplicate`: a
message handled successfully is left in the queue, as when SQS loses the delete, and comes back).

After `maxReceiveCount` receives moto itself moves a message to the queue's dead-letter
queue on the next receive (moto 5.2 implements the RedrivePolicy), as SQS does.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devstack.faults import FaultPlan, FunctionCrashed
from devstack.functions import LocalFunction

log = logging.getLogger("devstack")
activity = logging.getLogger("devstack.activity")  # requests.log (devstack/console.py)

# How long a received batch stays invisible while the function runs (like the queue's own
# visibility timeout in AWS); failures are then made visible again after `retry_after`.
PROCESSING_VISIBILITY_SECONDS = 60


@dataclass
class BatchOutcome:
    received: int = 0
    deleted: int = 0
    failed: int = 0
    error: str | None = None

    def as_dict(self) -> dict:
        return {"received": self.received, "deleted": self.deleted, "failed": self.failed, "error": self.error}


def lambda_message_attributes(attributes: dict[str, dict]) -> dict[str, dict]:
    """SQS API attribute shape -> the lower-camel shape Lambda puts into SQS events."""
    converted = {}
    for name, value in (attributes or {}).items():
        item: dict[str, Any] = {"dataType": value.get("DataType", "String"),
                                "stringListValues": [], "binaryListValues": []}
        if "StringValue" in value:
            item["stringValue"] = value["StringValue"]
        if "BinaryValue" in value:
            import base64

            raw = value["BinaryValue"]
            item["binaryValue"] = base64.b64encode(raw).decode() if isinstance(raw, bytes) else raw
        converted[name] = item
    return converted


def sqs_record(message: dict, queue_arn: str, region: str) -> dict:
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": dict(message.get("Attributes") or {}),
        "messageAttributes": lambda_message_attributes(message.get("MessageAttributes") or {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if message.get("MD5OfMessageAttributes"):
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def failed_message_ids(result: Any, batch_ids: list[str]) -> set[str]:
    """Which messages failed, per Lambda's partial batch response rules."""
    if not isinstance(result, dict) or not result.get("batchItemFailures"):
        return set()
    failed = set()
    for failure in result["batchItemFailures"]:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not identifier or identifier not in batch_ids:
            log.warning("batchItemFailures names %r, which is not in the batch: the whole batch failed", identifier)
            return set(batch_ids)
        failed.add(identifier)
    return failed


class SqsPump:
    """One consumer function bound to one queue."""

    def __init__(self, function: LocalFunction, queue_url: str, queue_arn: str, sqs_client, region: str,
                 context_factory: Callable[[], Any], retry_after: int = 2, wait_seconds: int = 1,
                 faults: FaultPlan | None = None):
        self.function = function
        self.queue_url = queue_url
        self.queue_arn = queue_arn
        self.sqs = sqs_client
        self.region = region
        self.context_factory = context_factory
        self.retry_after = retry_after
        self.wait_seconds = wait_seconds
        self.faults = faults
        self._lock = threading.Lock()  # one batch handled at a time per function (Lambda concurrency 1)
        self._thread: threading.Thread | None = None

    def poll_once(self, wait_seconds: int | None = None) -> BatchOutcome:
        # The receive (a long poll for the pump's own loop) stays outside the lock. Held across it, the
        # lock starved `devstack fire`: the pump thread polls in a loop and takes the lock back the
        # instant it lets go, so a fire waiting for it lost race after race (40 to 180 s). SQS hands
        # each message to one receiver, so two receives at once are safe; handling stays one at a time.
        response = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=self.function.batch_size,
            WaitTimeSeconds=self.wait_seconds if wait_seconds is None else wait_seconds,
            VisibilityTimeout=PROCESSING_VISIBILITY_SECONDS,
            AttributeNames=["All"],
            MessageAttributeNames=["All"],
        )
        messages = response.get("Messages") or []
        if not messages:
            return BatchOutcome()
        with self._lock:
            return self._process(messages)

    def _process(self, messages: list[dict]) -> BatchOutcome:
        outcome = BatchOutcome(received=len(messages))
        duplicated: set[str] = set()
        if self.faults is not None:
            messages = self._delay_some(messages)
            if not messages:
                return outcome
            duplicated = {m["MessageId"] for m in messages if self.faults.roll("sqs_duplicate")}
        event = {"Records": [sqs_record(m, self.queue_arn, self.region) for m in messages]}
        batch_ids = [m["MessageId"] for m in messages]
        started = time.monotonic()
        try:
            result = self.function.handler(event, self.context_factory())
            failed = failed_message_ids(result, batch_ids)
        except FunctionCrashed as crash:  # an injected death (devstack/faults.py): no traceback to read
            log.warning("%s: %s; its batch of %d message(s) will be retried", self.function.name, crash,
                        len(messages))
            outcome.error = f"FunctionCrashed: {crash}"
            failed = set(batch_ids)
        except Exception as exc:  # the whole batch failed, as in Lambda
            log.exception("%s raised on a batch of %d message(s); they will be retried", self.function.name,
                          len(messages))
            outcome.error = f"{type(exc).__name__}: {exc}"
            failed = set(batch_ids)
        done = [m for m in messages if m["MessageId"] not in failed | duplicated]
        retry = [m for m in messages if m["MessageId"] in failed | duplicated]
        if done:
            self.sqs.delete_message_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        if retry:
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"], "VisibilityTimeout": self.retry_after}
                         for i, m in enumerate(retry)],
            )
        outcome.deleted, outcome.failed = len(done), len(failed)
        (log.warning if failed else activity.info)(
            "%s: %d message(s) processed, %d failed (%.0f ms)%s", self.function.name, len(messages) - len(failed),
            len(failed), (time.monotonic() - started) * 1000,
            f", {len(duplicated)} left to be delivered again (fault)" if duplicated else "")
        return outcome

    def _delay_some(self, messages: list[dict]) -> list[dict]:
        """`sqs_delay`: put some messages back, invisible for a while; the others are handled now."""
        late = [m for m in messages if self.faults.roll("sqs_delay")]
        if late:
            self.sqs.change_message_visibility_batch(
                QueueUrl=self.queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"],
                          "VisibilityTimeout": round(self.faults.sqs_delay_seconds)} for i, m in enumerate(late)],
            )
        return [m for m in messages if m not in late]

    def pending(self) -> int:
        """Messages in the queue, visible or in flight (failed ones wait `retry_after` to be visible)."""
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue_url,
            AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
        return sum(int(attributes.get(name, 0)) for name in ("ApproximateNumberOfMessages",
                                                               "ApproximateNumberOfMessagesNotVisible"))

    def start(self, stop: threading.Event) -> None:
        self._thread = threading.Thread(target=self._run, args=(stop,), name=f"pump-{self.function.name}",
                                        daemon=True)
        self._thread.start()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.poll_once()
            except Exception:
                if stop.is_set():
                    return
                log.exception("pump %s could not poll %s; retrying", self.function.name, self.queue_url)
                stop.wait(2)


def drain(pumps: list[SqsPump], seconds: float) -> int:
    """Process what the queues still hold, for at most `seconds`; returns the messages left.

    Called on stop, once the API accepts nothing more: a webhook accepted just before Ctrl-C
    is handled now rather than left in a queue. Rounds go over every pump, because one consumer
    may publish to another's queue; a failing message is retried (after `retry_after`) until
    the deadline. What is left is kept by the snapshot.
    """
    deadline = time.monotonic() + seconds
    while True:
        received = 0
        for pump in pumps:
            if time.monotonic() >= deadline:
                break
            try:
                received += pump.poll_once(wait_seconds=0).received
            except Exception:
                log.exception("draining %s failed", pump.function.name)
        try:
            left = sum(pump.pending() for pump in pumps)
        except Exception:
            log.exception("could not count the messages left; the snapshot keeps them")
            return -1
        if left == 0 or time.monotonic() >= deadline:
            return left
        if not received:
            time.sleep(0.2)  # only failed messages are left, waiting for their retry_after
