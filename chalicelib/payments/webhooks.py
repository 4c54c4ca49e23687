"""Receiving Stripe's webhooks: verify, deduplicate, enqueue, acknowledge.

1. The `Stripe-Signature` header is checked against the RAW body, exactly as Stripe signs it:
   `t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>[,v1=...]`. Any `v1` may match
   (Stripe sends one per active secret while a secret is being rolled), comparisons are
   constant-time, and a timestamp older than 5 minutes is refused (a replayed capture). This
   is what `stripe.WebhookSignature.verify_header` does (the tests check both agree); it is
   written out here so that the webhook path never pays for importing the SDK.
2. The body is parsed into `StripeEvent` (pydantic). An event of the other mode (live vs test)
   is acknowledged and ignored. An event on the Connect endpoint without `account` is refused
   (400): it would otherwise be applied as one of the platform's own events.
3. The event id is claimed in the webhook-events table (conditional put): a duplicate is
   acknowledged without being queued again.
4. A compact message goes to the payment-events queue, where the consumer applies it. If that
   fails the claim is given up and we answer 500, so Stripe retries later.

Nothing here logs the body or the signature header: ids and types are enough to trace.
"""

from __future__ import annotations

import hmac
import json
import time
from collections.abc import Callable, Sequence
from functools import lru_cache
from hashlib import sha256
from typing import Any

from pydantic import ConfigDict, Field, ValidationError

from chalicelib.domain.errors import Conflict, DomainError, InvalidInput
from chalicelib.observability import count, logger
from chalicelib.schema import ApiModel
from chalicelib.settings import Settings, get_settings

TOLERANCE_SECONDS = 300
MAX_HEADER_LENGTH = 4096
RETRY_AFTER_SECONDS = 60
ENDPOINTS = ("platform", "connect")


# -- the signature ------------------------------------------------------------------------------


class SignatureRejected(Exception):
    """Why a signature was refused; for our logs only (the sender gets one generic answer)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _read_header(header: str) -> tuple[int, list[str]] | None:
    """The header's timestamp and `v1` signatures, read exactly as the SDK reads them; None when it refuses.

    Stripe's `_get_timestamp_and_signatures` splits on "," then on the first two "=", takes the
    FIRST `t` through `int()` (which also takes "+1", " 1", "1_0" and other scripts' decimal
    digits, but not "²", which `str.isdigit` calls a digit) and gives up on the whole header when
    any `t` or `v1` item has no "=". Nothing here may raise: a header is client input.
    """
    items = [item.split("=", 2) for item in header.split(",")]
    if any(len(item) < 2 for item in items if item[0] in ("t", "v1")):
        return None
    stamps = [item[1] for item in items if item[0] == "t"]
    if not stamps:
        return None
    try:
        timestamp = int(stamps[0])
    except ValueError:  # also digits past int()'s limit; the header is at most 4 KB anyway
        return None
    return timestamp, [item[1] for item in items if item[0] == "v1"]


def verify_signature(payload: bytes, header: str | None, secrets: Sequence[str], *,
                     tolerance: int = TOLERANCE_SECONDS, now: float | None = None) -> int:
    """Checks a `Stripe-Signature` header against the raw payload; answers its timestamp."""
    if not header:
        raise SignatureRejected("missing_header")
    if len(header) > MAX_HEADER_LENGTH:
        raise SignatureRejected("malformed_header")
    read = _read_header(header)
    if read is None:
        raise SignatureRejected("malformed_header")
    timestamp, signatures = read
    if not signatures:
        raise SignatureRejected("no_v1_signature")
    try:
        payload.decode("utf-8")  # Stripe's bodies are UTF-8 JSON; the SDK refuses anything else
    except UnicodeDecodeError:
        raise SignatureRejected("payload_not_utf8") from None
    signed = str(timestamp).encode() + b"." + payload
    # As the SDK: a blank secret verifies nothing (it would otherwise be a key anyone knows).
    expected = [hmac.new(secret.encode(), signed, sha256).hexdigest().encode()
                for secret in secrets if secret.strip(" \t\r\n\f\v")]
    # Every pair is compared (no early exit), so the time taken says nothing about which part matched.
    matches = [False] * len(signatures)
    for index, signature in enumerate(signatures):
        offered = signature.encode("utf-8", "replace")
        for candidate in expected:
            matches[index] |= hmac.compare_digest(candidate, offered)
    # The SDK tries the signatures in order and fails on the first non-ASCII one (compare_digest raises),
    # so a match counts only when every signature before it is ASCII: the same verdict, without raising.
    first_non_ascii = next((i for i, signature in enumerate(signatures) if not signature.isascii()), len(signatures))
    matched = any(matches[:first_non_ascii])
    if not matched:
        raise SignatureRejected("signature_mismatch")
    if timestamp < (time.time() if now is None else now) - tolerance:
        raise SignatureRejected("timestamp_outside_tolerance")
    return timestamp


def secrets_for(endpoint: str, settings: Settings) -> list[str]:
    """The endpoint's signing secrets. Several, comma-separated, while we roll ours."""
    raw = settings.stripe_connect_webhook_secret if endpoint == "connect" else settings.stripe_webhook_secret
    return [s.strip() for s in raw.split(",") if s.strip()]


# -- the payload and the queue message ---------------------------------------------------------


class StripeEventData(ApiModel):
    model_config = ConfigDict(extra="ignore")

    object: dict[str, Any]


class StripeEvent(ApiModel):
    """The parts of a Stripe event (snapshot payload) we rely on."""

    model_config = ConfigDict(extra="ignore")

    id: str = Field(pattern=r"^evt_[A-Za-z0-9_]+$", max_length=255)
    type: str = Field(min_length=1, max_length=100)
    created: int = Field(ge=0)
    livemode: bool
    account: str | None = Field(default=None, max_length=255)  # set on events of connected accounts
    data: StripeEventData


class WebhookAck(ApiModel):
    """What Stripe gets back; any 2xx stops its retries."""

    received: bool = True
    duplicate: bool = False
    ignored: str | None = Field(default=None, description="why the event was acknowledged but not queued")


def queue_message(event: StripeEvent) -> dict[str, Any]:
    """The payment-events message (the consumer's `ProviderEvent`)."""
    return {
        "event_id": event.id,
        "type": event.type,
        "created": event.created,
        "livemode": event.livemode,
        "account": event.account,
        "object": event.data.object,
    }


@lru_cache(maxsize=4)
def _sqs(region: str, endpoint_url: str | None):
    import boto3
    from botocore.config import Config

    # The endpoint comes from botocore's own AWS_ENDPOINT_URL; it is part of the key so a changed one gets a client.
    return boto3.client("sqs", region_name=region, config=Config(connect_timeout=2, read_timeout=5,
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


# -- the use case -------------------------------------------------------------------------------


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
