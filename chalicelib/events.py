"""Domain events out: a small publisher port and its SQS adapter.

Only the typed events of chalicelib/domain/events.py are published. Every message is one JSON
envelope, the contract every consumer validates:

    {"event_id": str, "type": "user.signed_up", "occurred_at": ISO-8601 UTC, "data": {...}}

`event_id` is what consumers deduplicate on (SQS delivers at least once). It derives from the
event's `dedup_key`, the fact it states (an order id, a user id...), so publishing the same fact
twice (a retried request) yields the same id and consumers act once.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, Protocol

from chalicelib.domain.counted_events import COUNTED_EVENT_TYPES
from chalicelib.domain.events import DomainEvent
from chalicelib.domain.timestamps import iso
from chalicelib.observability import logger
from chalicelib.settings import get_settings

# Fixed namespace so derived event ids are stable across processes and deployments.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c3f0e-3b7a-4e5c-9a51-0d0a4f6a8e21")


class EventPublisher(Protocol):
    def __call__(self, event: DomainEvent, *, queue_url: str | None = None) -> str: ...


def event_id_for(event_type: str, dedup_key: str | None) -> str:
    if dedup_key is None:
        return str(uuid.uuid4())
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{event_type}:{dedup_key}"))


def envelope(event: DomainEvent, *, now: datetime | None = None) -> dict[str, Any]:
    if not isinstance(event, DomainEvent):
        raise TypeError(f"publish a typed event of chalicelib/domain/events.py, not {type(event).__name__}")
    return {
        "event_id": event_id_for(event.event_type, event.dedup_key),
        "type": event.event_type,
        "occurred_at": iso(now or datetime.now(UTC), precise=True),  # orders events of the same second (inbox)
        "data": event.data(),
    }


@lru_cache(maxsize=8)
def _sqs_for(region: str, endpoint_url: str | None):
    from botocore.config import Config

    from chalicelib import aws_clients

    return aws_clients.client("sqs", region_name=region, config=Config(connect_timeout=3, read_timeout=10))


def publish(event: DomainEvent, *, queue_url: str | None = None) -> str:
    """Send one event to `queue_url` (default: the notifications queue); returns its event_id."""
    settings = get_settings()
    url = queue_url or settings.notifications_queue_url
    if not url:
        raise RuntimeError("no queue to publish to: HALLES_NOTIFICATIONS_QUEUE_URL is not set")
    message = envelope(event)
    event_type = event.event_type
    kwargs: dict[str, Any] = {
        "QueueUrl": url,
        "MessageBody": json.dumps(message, separators=(",", ":"), default=str),
        "MessageAttributes": {"event_type": {"DataType": "String", "StringValue": event_type}},
    }
    if url.endswith(".fifo"):
        kwargs["MessageGroupId"] = event.dedup_key
        kwargs["MessageDeduplicationId"] = message["event_id"]
    sqs = _sqs_for(settings.region, settings.endpoint_url)
    sqs.send_message(**kwargs)
    if queue_url is None and settings.analytics_queue_url and event_type in COUNTED_EVENT_TYPES:
        # Return analytics counts these on its own queue (an SQS message has one consumer). Sent after
        # the notification: a failure here retries the whole publish, and both consumers dedupe on event_id.
        sqs.send_message(QueueUrl=settings.analytics_queue_url, MessageBody=kwargs["MessageBody"],
                         MessageAttributes=kwargs["MessageAttributes"])
    logger.info("event published", extra={"event_type": event_type, "event_id": message["event_id"]})
    return message["event_id"]


def publish_after_the_fact(event: DomainEvent) -> None:
    """Publish an event about a change already stored: a failure to publish is logged and counted,
    never raised (the change stands; only the notification about it is lost)."""
    from chalicelib.observability import count

    if not get_settings().notifications_queue_url:
        return
    try:
        publish(event)
    except Exception:  # noqa: BLE001 - see the docstring
        logger.exception(f"could not publish {event.event_type}")
        count("EventPublishFailed", event_type=event.event_type)
