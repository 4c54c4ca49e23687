"""Nothing accepted is lost on Ctrl-C: the queues are drained through the pumps, and what is left
(failing or in-flight messages, dead letters) is kept by the snapshot and queued again at start."""

from __future__ import annotations

import time
import uuid

import boto3

from devstack.infra import deploy, load_template
from devstack.pump import drain
from devstack.snapshot import Snapshotter, read_document, stack_queues, stack_tables
from tests.component.test_devstack_pump_and_snapshot import consumer_app, make_pump
from tests.fixtures.aws import REGION


def snapshotter(deployment, path) -> Snapshotter:
    template = load_template()
    return Snapshotter(path, boto3.Session(region_name=REGION), stack_tables(template, deployment.physical),
                       deployment.environment["HALLES_USER_POOL_ID"], REGION,
                       queues=stack_queues(template, deployment.physical))


def everything_in(sqs, url) -> list[dict]:
    messages = []
    while batch := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                                       MessageAttributeNames=["All"]).get("Messages"):
        messages.extend(batch)
    return messages


def test_stopping_drains_the_queue_through_the_consumer(stack):
    handled: list[str] = []
    pump, sqs = make_pump(stack, consumer_app(lambda event: handled.extend(
        r["body"] for r in event.to_dict()["Records"])))
    url = stack.queues["notifications"]
    for n in range(25):  # more than one batch
        sqs.send_message(QueueUrl=url, MessageBody=f"webhook-{n}")

    assert drain([pump], seconds=10) == 0
    assert sorted(handled) == sorted(f"webhook-{n}" for n in range(25))
    assert everything_in(sqs, url) == []


def test_draining_is_bounded_and_a_failing_message_stays_queued(stack):
    def always_fails(event):
        raise ConnectionError("provider down")

    pump, sqs = make_pump(stack, consumer_app(always_fails))
    pump.retry_after = 1
    sqs.send_message(QueueUrl=stack.queues["notifications"], MessageBody="accepted-before-ctrl-c")
    started = time.monotonic()
    assert drain([pump], seconds=1.5) == 1
    assert time.monotonic() - started < 4


def test_queued_and_in_flight_messages_survive_a_restart(stack, tmp_path):
    sqs = boto3.client("sqs", region_name=REGION)
    url, dlq = stack.queues["notifications"], stack.physical["NotificationsQueueDLQ"]
    marker = uuid.uuid4().hex
    sqs.send_message(QueueUrl=url, MessageBody=f"queued-{marker}", MessageAttributes={
        "event_type": {"DataType": "String", "StringValue": "order.paid"},
        "blob": {"DataType": "Binary", "BinaryValue": b"\x00\xff"}})
    sqs.send_message(QueueUrl=url, MessageBody=f"in-flight-{marker}")
    sqs.send_message(QueueUrl=dlq, MessageBody=f"dead-{marker}")
    in_flight = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=300)["Messages"]
    assert len(in_flight) == 2  # received, not deleted: the consumer was killed mid-batch
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle=next(
        m["ReceiptHandle"] for m in in_flight if m["Body"].startswith("queued-")), VisibilityTimeout=0)
    path = tmp_path / "snapshot.json"
    assert snapshotter(stack, path).save()

    restarted = deploy(boto3.Session(region_name=REGION), f"halles-r{uuid.uuid4().hex[:6]}")
    summary = snapshotter(restarted, path).restore(read_document(path))

    assert summary.messages == 3
    restored = {m["Body"]: m for m in everything_in(sqs, restarted.queues["notifications"])}
    assert set(restored) == {f"queued-{marker}", f"in-flight-{marker}"}
    attributes = restored[f"queued-{marker}"]["MessageAttributes"]
    assert attributes["event_type"]["StringValue"] == "order.paid"
    assert attributes["blob"]["BinaryValue"] == b"\x00\xff"
    dead = everything_in(sqs, restarted.physical["NotificationsQueueDLQ"])
    assert [m["Body"] for m in dead] == [f"dead-{marker}"]


def test_a_snapshot_without_queues_restores_as_before(stack, tmp_path):
    path = tmp_path / "snapshot.json"
    snapshotter(stack, path).save()
    document = read_document(path)
    document.pop("sqs", None)
    assert snapshotter(stack, path).restore(document).messages == 0


