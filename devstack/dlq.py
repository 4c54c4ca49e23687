"""Dead-letter queues: look at what failed for good, and send it back once the cause is fixed.

    python -m devstack dlq inspect [--queue notifications] [--limit 20]
    python -m devstack dlq redrive [--queue notifications]

`--queue` names a source queue of the stack (`notifications`, `payment-events`, `offer-imports`); its
DLQ is the `deadLetterTargetArn` of its RedrivePolicy. Locally the command talks to the running
stack's moto (its URL is in <data-dir>/runtime.json); with `--endpoint ''` and `--stack <name>` it
works on a deployed stack with the usual AWS credentials.

Redrive uses SQS's own StartMessageMoveTask (the DLQ redrive API) where the service offers it, and
otherwise (moto 5.2 has no message move tasks) receives each message and sends it to the source
queue, deleting it from the DLQ only once the send succeeded (a message is never lost; a crash
between the two can duplicate one, which the consumers' event-id dedupe absorbs).
"""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Queues:
    source_url: str
    source_arn: str
    dlq_url: str
    dlq_arn: str
    max_receive_count: int


def queues(sqs, stack_name: str, queue: str) -> Queues:
    source_url = sqs.get_queue_url(QueueName=f"{stack_name}-{queue}")["QueueUrl"]
    attributes = sqs.get_queue_attributes(QueueUrl=source_url, AttributeNames=["QueueArn", "RedrivePolicy"])
    policy = json.loads(attributes["Attributes"].get("RedrivePolicy") or "{}")
    if not policy.get("deadLetterTargetArn"):
        raise SystemExit(f"devstack: queue {queue!r} has no dead-letter queue")
    dlq_arn = policy["deadLetterTargetArn"]
    dlq_url = sqs.get_queue_url(QueueName=dlq_arn.rsplit(":", 1)[-1])["QueueUrl"]
    return Queues(source_url, attributes["Attributes"]["QueueArn"], dlq_url, dlq_arn,
                  int(policy.get("maxReceiveCount", 0)))


def inspect(sqs, q: Queues, limit: int = 20) -> list[dict]:
    """Up to `limit` dead messages, left in the DLQ (each made visible again at once)."""
    seen: dict[str, dict] = {}
    for _ in range(max(1, limit // 10) + 3):
        batch = sqs.receive_message(QueueUrl=q.dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=0,
                                    AttributeNames=["All"], MessageAttributeNames=["All"],
                                    WaitTimeSeconds=0).get("Messages", [])
        if not batch:
            break
        for message in batch:
            seen.setdefault(message["MessageId"], _describe(message))
        if len(seen) >= limit:
            break
    return list(seen.values())[:limit]


def _describe(message: dict) -> dict:
    try:
        body = json.loads(message["Body"])
    except ValueError:
        body = None
    summary = {"message_id": message["MessageId"],
               "receive_count": int(message.get("Attributes", {}).get("ApproximateReceiveCount", 0)),
               "sent_at": message.get("Attributes", {}).get("SentTimestamp")}
    if isinstance(body, dict):
        summary.update({k: body.get(k) for k in ("type", "event_id", "occurred_at") if k in body})
    else:
        summary["body"] = message["Body"][:200]
    return summary


def redrive(sqs, q: Queues, *, max_messages: int = 10_000) -> dict:
    """Move the DLQ's messages back to the source queue; returns how."""
    from botocore.exceptions import ClientError

    why = ""
    try:
        task = sqs.start_message_move_task(SourceArn=q.dlq_arn, DestinationArn=q.source_arn)
        return {"method": "StartMessageMoveTask", "task_handle": task.get("TaskHandle")}
    except ClientError as err:  # moto's server answers an unimplemented action with an error
        why = err.response.get("Error", {}).get("Code", "") or str(err)
    except NotImplementedError:  # moto in-process
        why = "not implemented"
    moved = 0
    while moved < max_messages:
        batch = sqs.receive_message(QueueUrl=q.dlq_url, MaxNumberOfMessages=10, VisibilityTimeout=60,
                                    MessageAttributeNames=["All"], WaitTimeSeconds=0).get("Messages", [])
        if not batch:
            break
        for message in batch:
            send = {"QueueUrl": q.source_url, "MessageBody": message["Body"]}
            if message.get("MessageAttributes"):
                send["MessageAttributes"] = message["MessageAttributes"]
            sqs.send_message(**send)
            sqs.delete_message(QueueUrl=q.dlq_url, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
    return {"method": f"receive+send (StartMessageMoveTask unavailable: {why})", "moved": moved}
