"""`devstack fire <consumer>` answers at once while the stack's own pump long-polls the queue.

The pump long-polls in a loop. It used to hold its one-batch-at-a-time lock during the long
poll too and take it back the instant it let it go, so a fire waiting for that lock starved:
`python -m devstack fire notifications_consumer` blocked 40 to 180 s on a running stack. The
lock now covers only the processing of a received batch.

A fake SQS client stands in for moto: a receive with WaitTimeSeconds blocks that long (an
empty queue under long polling) unless a message is there.
"""

from __future__ import annotations

import threading
import time

from devstack.functions import LocalFunction
from devstack.pump import SqsPump


class FakeQueue:
    def __init__(self):
        self.messages: list[dict] = []
        self.arrived = threading.Condition()
        self.deleted: list[str] = []

    def put(self, body: str) -> None:
        with self.arrived:
            self.messages.append({"MessageId": f"m{len(self.messages) + len(self.deleted)}-{body}",
                                  "ReceiptHandle": f"rh-{body}", "Body": body})
            self.arrived.notify_all()

    def receive_message(self, QueueUrl, MaxNumberOfMessages, WaitTimeSeconds, **_):  # noqa: N803 - boto3 names
        with self.arrived:
            self.arrived.wait_for(lambda: self.messages, timeout=WaitTimeSeconds)
            batch, self.messages = self.messages[:MaxNumberOfMessages], self.messages[MaxNumberOfMessages:]
        return {"Messages": batch}

    def delete_message_batch(self, QueueUrl, Entries):  # noqa: N803
        self.deleted.extend(e["ReceiptHandle"] for e in Entries)

    def change_message_visibility_batch(self, QueueUrl, Entries):  # noqa: N803
        pass


def running_pump(handler, queue: FakeQueue, wait_seconds: int = 1) -> tuple[SqsPump, threading.Event]:
    function = LocalFunction("consumer", "sqs", handler, queue="notifications", batch_size=10)
    pump = SqsPump(function, "url", "arn:aws:sqs:eu-west-1:123456789012:q", queue, "eu-west-1", lambda: None,
                   retry_after=0, wait_seconds=wait_seconds)
    stop = threading.Event()
    pump.start(stop)
    return pump, stop


def test_fire_answers_at_once_while_the_pump_is_in_a_long_poll():
    queue = FakeQueue()
    pump, stop = running_pump(lambda event, context: {"batchItemFailures": []}, queue, wait_seconds=4)
    try:
        for _ in range(3):
            time.sleep(0.3)  # the pump is inside one of its long polls
            started = time.monotonic()
            outcome = pump.poll_once(wait_seconds=0)
            assert time.monotonic() - started < 1.0, "the fire waited for the pump's long poll"
            assert outcome.received == 0
    finally:
        stop.set()
        queue.put("wake-up")  # ends the pump's long poll, so it sees the stop
        pump.join(3)


def test_a_fire_never_runs_a_batch_alongside_the_pumps_own():
    """Lambda's concurrency 1 per consumer still holds: batches are handled one after the other."""
    queue = FakeQueue()
    running, overlaps, handled = [0], [], []
    pump_batch_started = threading.Event()

    def slow_consumer(event, context):
        running[0] += 1
        overlaps.append(running[0])
        handled.extend(r["body"] for r in event["Records"])
        pump_batch_started.set()
        time.sleep(0.5)
        running[0] -= 1
        return {"batchItemFailures": []}

    queue.put("first")
    pump, stop = running_pump(slow_consumer, queue)
    try:
        assert pump_batch_started.wait(2)
        queue_second = threading.Thread(target=queue.put, args=("second",))
        queue_second.start()
        queue_second.join()
        # Whoever receives "second" (this fire or the pump), it is handled after "first", never alongside it.
        pump.poll_once(wait_seconds=0)
        deadline = time.monotonic() + 3
        while len(handled) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
        pump.join(3)
    assert handled == ["first", "second"]
    assert max(overlaps) == 1
    assert sorted(queue.deleted) == ["rh-first", "rh-second"]
