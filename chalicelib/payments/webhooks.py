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
