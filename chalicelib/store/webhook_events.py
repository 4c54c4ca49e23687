"""Provider events already received (table `webhook-events`, pk event_id, TTL expires_at).

Stripe delivers an event at least once and retries for up to 3 days, so each event id is kept
for 8 days. A record is first written `enqueueing` by a conditional put (the claim: exactly one
delivery of an event wins it), then set `enqueued` once the event is on the queue. If the
enqueue fails the claim is deleted so that Stripe's retry starts afresh; if the function dies
between the claim and the enqueue, the claim goes stale after `CLAIM_TIMEOUT` and the next
delivery takes it over, so an event is never lost to a half-finished delivery.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from enum import Enum

from pynamodb.attributes import TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import DeleteError, DoesNotExist, PutError
from pynamodb.models import Model

from chalicelib.store.base import bind, register

RETENTION = timedelta(days=8)  # longer than Stripe's 3 days of retries, and >= the 7 days we promise
CLAIM_TIMEOUT = timedelta(minutes=2)  # well past the API function's timeout (30 s)
ENQUEUEING = "enqueueing"
ENQUEUED = "enqueued"


@register
class WebhookEventModel(Model):
    class Meta:
        short_name = "webhook-events"

    event_id = UnicodeAttribute(hash_key=True)
    type = UnicodeAttribute()
    received_at = UTCDateTimeAttribute()
    account = UnicodeAttribute(null=True)  # the connected account, for Connect events
    endpoint = UnicodeAttribute()  # "platform" or "connect"
    status = UnicodeAttribute()  # ENQUEUEING or ENQUEUED
    expires_at = TTLAttribute()


class Claim(Enum):
    NEW = "new"  # this delivery must enqueue the event
    DUPLICATE = "duplicate"  # already enqueued: acknowledge, do nothing
    IN_PROGRESS = "in_progress"  # another delivery is enqueueing it right now: ask the sender to retry


def _conditional_check_failed(err: Exception) -> bool:
    return getattr(err, "cause_response_code", None) == "ConditionalCheckFailedException"


def claim(event_id: str, event_type: str, *, endpoint: str, account: str | None, now: datetime | None = None) -> Claim:
    """One conditional put; a second read only when the event was seen before."""
    bind()
    now = now or datetime.now(UTC)
    record = WebhookEventModel(
        event_id,
        type=event_type,
        received_at=now,
        account=account,
        endpoint=endpoint,
        status=ENQUEUEING,
        expires_at=now + RETENTION,
    )
    first_or_stale = WebhookEventModel.event_id.does_not_exist() | (
        (WebhookEventModel.status == ENQUEUEING) & (WebhookEventModel.received_at < now - CLAIM_TIMEOUT)
    )
    try:
        record.save(condition=first_or_stale)
        return Claim.NEW
    except PutError as err:
        if not _conditional_check_failed(err):
            raise
    try:
        existing = WebhookEventModel.get(event_id, consistent_read=True)
    except DoesNotExist:
        return Claim.IN_PROGRESS  # the other delivery just gave its claim up; the sender's retry will win it
    return Claim.DUPLICATE if existing.status == ENQUEUED else Claim.IN_PROGRESS


def mark_enqueued(event_id: str) -> None:
    bind()
    WebhookEventModel(event_id).update(
        actions=[WebhookEventModel.status.set(ENQUEUED)], condition=WebhookEventModel.event_id.exists()
    )


def release(event_id: str) -> None:
    """Give a claim up (the enqueue failed), unless the event meanwhile got enqueued."""
    bind()
    try:
        WebhookEventModel(event_id).delete(condition=WebhookEventModel.status == ENQUEUEING)
    except DeleteError as err:
        if not _conditional_check_failed(err):
            raise


def get(event_id: str) -> WebhookEventModel | None:
    bind()
    try:
        return WebhookEventModel.get(event_id, consistent_read=True)
    except DoesNotExist:
        return None
