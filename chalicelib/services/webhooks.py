"""Receiving Stripe's webhooks: verify, deduplicate, enqueue, acknowledge.

1. The `Stripe-Signature` header is checked against the raw body (`chalicelib.payments.webhooks`).
2. The body is parsed into `StripeEvent`. An event of the other mode (live vs test), or of a
   type the platform does not act on (chalicelib/domain/provider_events.py), is acknowledged and
   ignored: neither recorded nor queued. An event on the Connect endpoint without `account` is refused
   (400): it would otherwise be applied as one of the platform's own events.
3. The event id is claimed in the webhook-events table (conditional put): a duplicate is
   acknowledged without being queued again.
4. A compact message goes to the payment-events queue, where the consumer applies it. If that
   fails the claim is given up and we answer 500, so Stripe retries later.

Nothing here logs the body or the signature header: ids and types are enough to trace.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from pydantic import Field, ValidationError

from chalicelib.domain.errors import Conflict, DomainError, InvalidInput
from chalicelib.domain.provider_events import HANDLED_EVENTS
from chalicelib.observability import count, logger
from chalicelib.payments.webhooks import SignatureRejected, StripeEvent, queue_message, secrets_for, verify_signature
from chalicelib.schema import ApiModel
from chalicelib.settings import get_settings

RETRY_AFTER_SECONDS = 60
ENDPOINTS = ("platform", "connect")


class WebhookAck(ApiModel):
    """What Stripe gets back; any 2xx stops its retries."""

    received: bool = True
    duplicate: bool = False
    ignored: str | None = Field(default=None, description="why the event was acknowledged but not queued")


@lru_cache(maxsize=4)
def _sqs(region: str, endpoint_url: str | None):
    from botocore.config import Config

    from chalicelib import aws_clients

    # The endpoint comes from botocore's own AWS_ENDPOINT_URL; it is part of the key so a changed one gets a client.
    return aws_clients.client("sqs", region_name=region, config=Config(connect_timeout=2, read_timeout=5,
                                                                 retries={"mode": "standard", "max_attempts": 3}))


def send_to_queue(message: dict[str, Any]) -> None:
    settings = get_settings()
    if not settings.payment_events_queue_url:
        raise RuntimeError("HALLES_PAYMENT_EVENTS_QUEUE_URL is not set")
    _sqs(settings.region, settings.endpoint_url).send_message(
        QueueUrl=settings.payment_events_queue_url,
        MessageBody=json.dumps(message, separators=(",", ":")),
        MessageAttributes={"event_type": {"DataType": "String", "StringValue": message["type"]}},
    )


class WebhookFailed(DomainError):
    """We could not take the event (our side): answer 5xx so that Stripe retries it."""

    status = 500

    def __init__(self, code: str, message: str):
        super().__init__(message, code=code)


def receive(endpoint: str, raw_body: bytes, signature_header: str | None, *,
            enqueue: Callable[[dict], None] = send_to_queue, now: float | None = None) -> WebhookAck:
    if endpoint not in ENDPOINTS:
        raise ValueError(f"unknown webhook endpoint {endpoint!r}")
    settings = get_settings()
    secrets = secrets_for(endpoint, settings)
    if not secrets:
        logger.error("webhook secret not configured", extra={"endpoint": endpoint})
        count("WebhookRejected", 1, endpoint=endpoint)
        raise WebhookFailed("webhook_not_configured", "This webhook endpoint is not configured.")
    try:
        verify_signature(raw_body, signature_header, secrets, now=now)
    except SignatureRejected as rejected:
        logger.warning("webhook rejected", extra={"endpoint": endpoint, "reason": rejected.reason})
        count("WebhookRejected", 1, endpoint=endpoint)
        raise InvalidInput("The Stripe-Signature header is missing or does not match the body.",
                           code="invalid_signature", fields={"Stripe-Signature": "invalid"}) from None
    try:
        event = StripeEvent.model_validate_json(raw_body)
    except ValidationError as exc:
        # Genuinely from Stripe (signed) but not an event we can read: refuse, so it stays visible there.
        fields = {".".join(str(p) for p in e["loc"]) or "body": e["msg"] for e in exc.errors(include_url=False)}
        logger.warning("webhook payload unreadable", extra={"endpoint": endpoint, "fields": list(fields)})
        count("WebhookRejected", 1, endpoint=endpoint)
        raise InvalidInput("The event could not be read.", code="invalid_event", fields=fields) from None

    trace = {"endpoint": endpoint, "event_id": event.id, "event_type": event.type, "account": event.account}
    if endpoint == "connect" and not event.account:
        # Signed with the Connect secret yet about no connected account: applying it would treat it as
        # one of the platform's own events (a refund or dispute on a platform charge). Refused, not queued.
        logger.warning("connect webhook without account refused", extra=trace)
        count("WebhookRejected", 1, endpoint=endpoint)
        raise InvalidInput("An event on the Connect endpoint must name its connected account.",
                           code="invalid_event", fields={"account": "required on the Connect endpoint"})
    if event.livemode != settings.stripe_livemode:
        logger.warning("webhook of the other mode ignored", extra=trace | {"livemode": event.livemode})
        count("WebhookIgnored", 1, endpoint=endpoint)
        return WebhookAck(ignored="livemode_mismatch")
    if event.type not in HANDLED_EVENTS:
        # An endpoint subscribed to more than the platform needs: the consumer would acknowledge it too.
        logger.info("webhook of a type not acted on ignored", extra=trace)
        count("WebhookIgnored", 1, endpoint=endpoint)
        return WebhookAck(ignored="type_not_handled")

    from chalicelib.store import webhook_events

    claim = webhook_events.claim(event.id, event.type, endpoint=endpoint, account=event.account)
    if claim is webhook_events.Claim.DUPLICATE:
        logger.info("duplicate webhook acknowledged", extra=trace)
        count("WebhookDuplicate", 1, endpoint=endpoint)
        return WebhookAck(duplicate=True)
    if claim is webhook_events.Claim.IN_PROGRESS:
        logger.info("webhook already being enqueued; sender asked to retry", extra=trace)
        busy = Conflict("This event is being received right now; retry later.", code="event_in_progress")
        busy.headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
        raise busy

    try:
        enqueue(queue_message(event))
    except Exception:
        logger.exception("webhook could not be enqueued; claim released for the retry", extra=trace)
        count("WebhookEnqueueFailed", 1, endpoint=endpoint)
        try:
            webhook_events.release(event.id)
        except Exception:  # the claim then goes stale and a later retry takes it over
            logger.exception("webhook claim could not be released", extra=trace)
        raise WebhookFailed("enqueue_failed", "The event could not be queued; it will be retried.") from None
    try:
        webhook_events.mark_enqueued(event.id)
    except Exception:
        # Queued already: a retry after the claim timeout may queue it again, which the consumer tolerates.
        logger.exception("webhook enqueued but not marked", extra=trace)
    logger.info("webhook enqueued", extra=trace)
    count("WebhookAccepted", 1, endpoint=endpoint)
    return WebhookAck()
