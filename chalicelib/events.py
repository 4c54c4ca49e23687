"""Domain events out: a small publisher port and its SQS adapter.

Every message is one JSON envelope, the contract every consumer validates:

    {"event_id": str, "type": "user.signed_up", "occurred_at": ISO-8601 UTC, "data": {...}}

`event_id` is what consumers deduplicate on (SQS delivers at least once). When the caller
passes a `dedup_key` naming the fact (an order id, a user id...), the id is derived from it,
so publishing the same fact twice (a retried request) yields the same id and consumers act
once. Without it, each publish is a new event.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

from chalicelib.domain.timestamps import iso
from chalicelib.observability import logger
from chalicelib.settings import get_settings

# Fixed namespace so derived event ids are stable across processes and deployments.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c3f0e-3b7a-4e5c-9a51-0d0a4f6a8e21")


class EventPublisher(Protocol):
    def __call__(self, event_type: str, payload: dict, *, queue_url: str | None = None,
                 dedup_key: str | None = None) -> str: ...


def event_id_for(event_type: str, dedup_key: str | None) -> str:
    if dedup_key is None:
        return str(uuid.uuid4())
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{event_type}:{dedup_key}"))


def envelope(event_type: str, payload: dict, *, dedup_key: str | None = None,
             now: datetime | None = None) -> dict[str, Any]:
    return {
        "event_id": event_id_for(event_type, dedup_key),
        "type": event_type,
        "occurred_at": iso(now or datetime.now(UTC)),
        "data": payload,
    }


@lru_cache(maxsize=8)
def _sqs_for(region: str, endpoint_url: str | None):
    import boto3
    from botocore.config import Config

    return boto3.client("sqs", region_name=region, config=Config(connect_timeout=3, read_timeout=10))


def publish(event_type: str, payload: dict, *, queue_url: str | None = None, dedup_key: str | None = None) -> str:
    """Send one event to `queue_url` (default: the notifications queue); returns its event_id."""
    settings = get_settings()
    url = queue_url or settings.notifications_queue_url
    if not url:
        raise RuntimeError("no queue to publish to: HALLES_NOTIFICATIONS_QUEUE_URL is not set")
    message = envelope(event_type, payload, dedup_key=dedup_key)
    kwargs: dict[str, Any] = {
        "QueueUrl": url,
        "MessageBody": json.dumps(message, separators=(",", ":"), default=str),
        "MessageAttributes": {"event_type": {"DataType": "String", "StringValue": event_type}},
    }
    if url.endswith(".fifo"):
        kwargs["MessageGroupId"] = str(dedup_key or event_type)
        kwargs["MessageDeduplicationId"] = message["event_id"]
    _sqs_for(settings.region, settings.endpoint_url).send_message(**kwargs)
    logger.info("event published", extra={"event_type": event_type, "event_id": message["event_id"]})
    return message["event_id"]
