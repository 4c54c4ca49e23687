"""Our Stripe-Signature check agrees with Stripe's own (`stripe.WebhookSignature.verify_header`).

The endpoint uses its own few lines (so the webhook path does not import the SDK); these tests
hold them to the SDK's behaviour, and to the local provider's signing, case by case and on
generated payloads.
"""

from __future__ import annotations

import hmac
import time
from hashlib import sha256

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


def sdk_accepts(body: bytes, header: str | None, at: float = NOW, secret: str = SECRET) -> bool:
    real_time = time.time
    time.time = lambda: at  # the SDK reads the clock itself
    try:
        return stripe.WebhookSignature.verify_header(body, header, secret, tolerance=300)
    except (stripe.SignatureVerificationError, UnicodeDecodeError, TypeError):
        # The SDK lets a non-UTF-8 body (UnicodeDecodeError) or a non-ASCII signature (TypeError from
        # hmac.compare_digest) escape; an integration refuses those all the same.
        return False
    finally:
        time.time = real_time


def ours_accepts(body: bytes, header: str | None, at: float = NOW, secret: str = SECRET) -> bool:
    try:
        verify_signature(body, header, [secret], now=at)
        return True
    except SignatureRejected:  # anything else escapes and fails the test: it would be a 500
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
    # str.isdigit() says yes to a superscript two, int() says no: this header was a 500.
    "superscript digit in the timestamp": (BODY, f"t={NOW}\u00b2,v1=00", False),
    "only a superscript digit": (BODY, "t=\u00b2,v1=00", False),
    "first timestamp wins": (BODY, f"t={NOW},t=1,v1={SIG}", True),
    "a later timestamp without a value": (BODY, f"t={NOW},v1={SIG},t", False),
    "a v1 without a value": (BODY, f"t={NOW},v1={SIG},v1", False),
    "a third '=' part is ignored": (BODY, f"t={NOW},v1={SIG}=junk", True),
    "non-ascii signature": (BODY, f"t={NOW},v1=\u00e9{SIG}", False),
    # The SDK raises on a non-ASCII signature it reaches before a match: refused, even if one matches later.
    "non-ascii signature before the matching one": (BODY, f"t={NOW},v1=\x80,v1={SIG}", False),
    "non-ascii signature after the matching one": (BODY, f"t={NOW},v1={SIG},v1=\x80", True),
    "lone surrogate in the header": (BODY, f"t={NOW},v1=\ud800", False),
    "body not utf-8": (b"\xff" + BODY, stripe_header(BODY), False),
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


# --- the SDK and our copy on the same random inputs ---------------------------------------------

SECRETS = st.text(st.characters(exclude_categories=("Cs",)), max_size=30) | st.just(SECRET)
TIMESTAMPS = st.integers(min_value=NOW - 1000, max_value=NOW + 1000) | st.integers() | st.just(NOW)
# What int() and str.isdigit() disagree on, and what Stripe's own parser trips over.
AWKWARD = st.sampled_from(["\u00b2", "\u0663", "\uff11", " ", "+", "-", "_", "=", ",", "t", "v1", "v0", "\ud800",
                           "\u00e9", "\x00", "1_0", "00", "9" * 30])


@st.composite
def stamp_texts(draw, timestamp: int) -> str:
    return draw(st.sampled_from([str(timestamp), f" {timestamp}", f"+{timestamp}", f"{timestamp}\u00b2",
                                 f"0{timestamp}", f"{timestamp:_}"]) | st.text(max_size=12))


@st.composite
def headers(draw, payload: bytes, secret: str) -> str | None:
    timestamp = draw(TIMESTAMPS)
    try:
        genuine = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, sha256).hexdigest()
    except UnicodeEncodeError:
        genuine = "0" * 64
    part = st.one_of(
        st.builds(lambda t: f"t={t}", stamp_texts(timestamp)),
        st.just(f"v1={genuine}"),
        st.just(f"v1={genuine.upper()}"),
        st.builds(lambda s: f"v1={s}", st.text(max_size=70)),
        st.builds(lambda s: f"v0={s}", st.text(max_size=10)),
        st.lists(AWKWARD, max_size=4).map("".join),
        st.text(max_size=20),
    )
    shaped = st.lists(part, min_size=1, max_size=6).map(",".join)
    return draw(shaped | st.just(f"t={timestamp},v1={genuine}") | st.text(max_size=200) | st.none())


@st.composite
def deliveries(draw):
    payload = draw(st.binary(max_size=200) | st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")))
    secret = draw(SECRETS)
    return payload, draw(headers(payload, secret)), secret, draw(st.integers(min_value=NOW - 10, max_value=NOW + 2000))


@settings(max_examples=800, deadline=None)
@given(delivery=deliveries())
def test_our_copy_and_the_sdk_give_the_same_verdict_on_anything(delivery):
    payload, header, secret, now = delivery
    assert ours_accepts(payload, header, now, secret) is sdk_accepts(payload, header, now, secret)


@settings(max_examples=200, deadline=None)
@given(delivery=deliveries(), other=SECRETS)
def test_with_two_secrets_either_one_is_enough(delivery, other):
    payload, header, secret, now = delivery
    try:
        verify_signature(payload, header, [other, secret], now=now)
        ours = True
    except SignatureRejected:
        ours = False
    assert ours is (sdk_accepts(payload, header, now, secret) or sdk_accepts(payload, header, now, other))
