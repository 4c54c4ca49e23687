"""A poison notification ends in the DLQ after 5 receives, and `python -m devstack dlq` lists and
redrives it (devstack/dlq.py; moto has no StartMessageMoveTask, so the receive+send fallback runs)."""

from __future__ import annotations

import json

import boto3

from devstack import dlq
from tests.component.test_notifications import consume, raw, sqs_event
from tests.fixtures.aws import REGION


def test_a_poison_message_is_listed_in_the_dlq_then_redriven_to_its_queue(app_client, stack):
    sqs = boto3.client("sqs", region_name=REGION)
    queues = dlq.queues(sqs, stack.stack_name, "notifications")
    assert queues.max_receive_count == 5  # infra/template.json
    sqs.send_message(QueueUrl=queues.source_url, MessageBody=raw("shop.renamed", {"shop": "x"}))
    for _ in range(queues.max_receive_count):
        (message,) = sqs.receive_message(QueueUrl=queues.source_url, VisibilityTimeout=0,
                                         WaitTimeSeconds=1)["Messages"]
        assert len(consume(app_client, sqs_event([message["Body"]]))["batchItemFailures"]) == 1
    assert sqs.receive_message(QueueUrl=queues.source_url, WaitTimeSeconds=1).get("Messages", []) == []

    (listed,) = dlq.inspect(sqs, queues)
    assert listed["type"] == "shop.renamed" and listed["event_id"]
    assert len(dlq.inspect(sqs, queues)) == 1  # inspecting leaves it there

    outcome = dlq.redrive(sqs, queues)

    assert outcome["moved"] == 1 and outcome["method"].startswith("receive+send")
    assert dlq.inspect(sqs, queues) == []
    (back,) = sqs.receive_message(QueueUrl=queues.source_url, WaitTimeSeconds=1)["Messages"]
    assert json.loads(back["Body"])["event_id"] == listed["event_id"]
