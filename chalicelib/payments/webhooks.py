"""Stripe's webhook format: the `Stripe-Signature` check and the event's shape.

1. The `Stripe-Signature` header is checked against the RAW body, exactly as Stripe signs it:
   `t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>[,v1=...]`. Any `v1` may match
   (Stripe sends one per active secret while a secret is being rolled), comparisons are
   constant-time, and a timestamp older than 5 minutes is refused (a replayed capture). This
   is what `stripe.WebhookSignature.verify_header` does (the tests check both agree); it is
   written out here so that the webhook path never pays for importing the SDK.
2. `StripeEvent` (pydantic) is the part of an event we rely on; `queue_message` turns it into
   the provider-neutral message the payment-events consumer reads.

The use case (verify, deduplicate, enqueue, acknowledge) is `chalicelib.services.webhooks`.
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Sequence
from hashlib import sha256
from typing import Any

from pydantic import ConfigDict, Field

from chalicelib.schema import ApiModel
from chalicelib.settings import Settings

TOLERANCE_SECONDS = 300
MAX_HEADER_LENGTH = 4096


# -- the signature ------------------------------------------------------------------------------


class SignatureRejected(Exception):
    """Why a signature was refused; for our logs only (the sender gets one generic answer)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def verify_signature(payload: bytes, header: str | None, secrets: Sequence[str], *,
                     tolerance: int = TOLERANCE_SECONDS, now: float | None = None) -> int:
    """Checks a `Stripe-Signature` header against the raw payload; answers its timestamp."""
    if not header:
        raise SignatureRejected("missing_header")
    if len(header) > MAX_HEADER_LENGTH:
        raise SignatureRejected("malformed_header")
    timestamp: int | None = None
    signatures: list[bytes] = []
    for item in header.split(","):
        key, sep, value = item.partition("=")  # no stripping: exactly the SDK's reading
        if not sep:
            continue
        if key == "t":
            timestamp = int(value) if value.isdigit() else None
        elif key == "v1":
            signatures.append(value.encode("utf-8", "replace"))
    if timestamp is None:
        raise SignatureRejected("malformed_header")
    if not signatures:
        raise SignatureRejected("no_v1_signature")
    signed = str(timestamp).encode() + b"." + payload
    expected = [hmac.new(secret.encode(), signed, sha256).hexdigest().encode() for secret in secrets if secret]
    # Every pair is compared (no early exit), so the time taken says nothing about which part matched.
    matched = False
    for candidate in expected:
        for signature in signatures:
            matched |= hmac.compare_digest(candidate, signature)
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
