"""Our Stripe-Signature check agrees with Stripe's own (`stripe.WebhookSignature.verify_header`).

The endpoint uses its own few lines (so the webhook path does not import the SDK); these tests
hold them to the SDK's behaviour, and to the local provider's signing, case by case and on
generated payloads.
"""

from __future__ import annotations

import time

import pytest
import stripe
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.payments.webhooks import SignatureRejected, verify_signature
from devstack.localpay import sign

SECRET = "whsec_unit_secret"
NOW = 1_800_000_000
BODY = b'{\n  "id": "evt_1",\n  "object": "event",\n  "type": "payment_intent.succeeded"\n}'


def stripe_header(body: bytes, secret: str = SECRET, at: int = NOW) -> str:
    return stripe.WebhookSignature.generate_signature_header(body.decode(), secret, at)


def sdk_accepts(body: bytes, header: str | None, at: float = NOW) -> bool:
    real_time = time.time
    time.time = lambda: at  # the SDK reads the clock itself
    try:
        return stripe.WebhookSignature.verify_header(body, header, SECRET, tolerance=300)
    except stripe.SignatureVerificationError:
        return False
    finally:
        time.time = real_time


def ours_accepts(body: bytes, header: str | None, at: float = NOW) -> bool:
    try:
        verify_signature(body, header, [SECRET], now=at)
        return True
    except SignatureRejected:
        return False


GOOD = stripe_header(BODY)
SIG = GOOD.split("v1=")[1]

CASES = {
    "genuine": (BODY, GOOD, True),
    "tampered body": (BODY.replace(b"succeeded", b"failed"), GOOD, False),
    "reserialized body": (BODY.replace(b"\n", b""), GOOD, False),
    "stale timestamp": (BODY, stripe_header(BODY, at=NOW - 301), False),
    "just inside tolerance": (BODY, stripe_header(BODY, at=NOW - 299), True),
    "from the future": (BODY, stripe_header(BODY, at=NOW + 3600), True),  # as Stripe's SDK: only age is checked
    "wrong secret": (BODY, stripe_header(BODY, "whsec_other"), False),
    "missing header": (BODY, None, False),
    "empty header": (BODY, "", False),
    "garbage": (BODY, "garbage", False),
    "timestamp not a number": (BODY, f"t=soon,v1={SIG}", False),
    "no timestamp": (BODY, f"v1={SIG}", False),
    "no v1": (BODY, f"t={NOW}", False),
    "v0 only": (BODY, f"t={NOW},v0={SIG}", False),
    "several v1, one matches": (BODY, f"t={NOW},v1={'0' * 64},v1={SIG},v0=xyz", True),
    "several v1, none match": (BODY, f"t={NOW},v1={'0' * 64},v1={'1' * 64}", False),
    "spaces after commas": (BODY, f"t={NOW}, v1={SIG}", False),  # not Stripe's format; the SDK refuses it too
    "signature of another timestamp": (BODY, f"t={NOW - 1},v1={SIG}", False),
    "uppercase hex": (BODY, f"t={NOW},v1={SIG.upper()}", False),
}


@pytest.mark.parametrize(("body", "header", "genuine"), CASES.values(), ids=CASES.keys())
def test_our_verification_decides_as_stripes_sdk(body, header, genuine):
    assert ours_accepts(body, header) is genuine
    assert sdk_accepts(body, header) is genuine


def test_the_reason_is_given_for_our_logs():
    reasons = {}
    for name, header in {"missing": None, "garbage": "garbage", "no v1": f"t={NOW}",
                         "mismatch": stripe_header(BODY, "whsec_other"),
                         "stale": stripe_header(BODY, at=NOW - 301)}.items():
        with pytest.raises(SignatureRejected) as rejected:
            verify_signature(BODY, header, [SECRET], now=NOW)
        reasons[name] = rejected.value.reason
    assert reasons == {"missing": "missing_header", "garbage": "malformed_header", "no v1": "no_v1_signature",
                       "mismatch": "signature_mismatch", "stale": "timestamp_outside_tolerance"}


def test_any_of_our_secrets_may_match():
    header = stripe_header(BODY, "whsec_previous")
    assert verify_signature(BODY, header, ["whsec_current", "whsec_previous"], now=NOW) == NOW


@settings(max_examples=60, deadline=None)
@given(payload=st.text(max_size=300), secret=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_", min_size=8,
                                                     max_size=40), flip=st.integers(min_value=0))
def test_local_provider_signatures_verify_and_any_changed_byte_breaks_them(payload, secret, flip):
    body = payload.encode()
    header = sign(body, secret, NOW)

    assert verify_signature(body, header, [secret], now=NOW) == NOW
    assert stripe.WebhookSignature.verify_header(body, header, secret, tolerance=None)
    if body:
        index = flip % len(body)
        changed = body[:index] + bytes([body[index] ^ 1]) + body[index + 1:]
        with pytest.raises(SignatureRejected):
            verify_signature(changed, header, [secret], now=NOW)
