"""Token verification rules, with a locally generated key and an in-memory key source."""

from __future__ import annotations

import pytest

from chalicelib.auth.tokens import (
    JwksKeySource,
    KeySourceUnavailable,
    Principal,
    parse_jwks,
    principal_from_header,
    verify_token,
)
from chalicelib.domain.errors import Unauthorized
from tests.fixtures.auth import claims, hs256_token, public_jwk, rsa_private_key, sign, unsigned_token

REGION = "eu-west-1"
POOL = "eu-west-1_TestPool"
CLIENT = "test-client-id"
ISSUER = f"https://cognito-idp.{REGION}.amazonaws.com/{POOL}"
KID = "key-1"


class StaticKeys:
    def __init__(self, keys: dict):
        self.keys = keys

    def key_for(self, kid: str):
        return self.keys.get(kid)


@pytest.fixture(scope="module")
def keys():
    return StaticKeys({KID: rsa_private_key().public_key()})


def token(**overrides) -> str:
    kid = overrides.pop("kid", KID)
    return sign(claims(issuer=ISSUER, app_client_id=CLIENT, **overrides), rsa_private_key(), kid=kid)


def verify(raw: str, keys) -> Principal:
    return verify_token(raw, issuer=ISSUER, client_id=CLIENT, keys=keys)


def refusal(raw: str, keys) -> str:
    with pytest.raises(Unauthorized) as caught:
        verify(raw, keys)
    return caught.value.fields["Authorization"]


# --- Given a genuine token -------------------------------------------------------------------------

def test_an_access_token_gives_the_subject_and_roles_from_groups(keys):
    principal = verify(token(sub="user-1", groups=("vendors", "shoppers")), keys)
    assert principal.user_id == "user-1"
    assert principal.roles == frozenset({"vendor", "shopper"})
    assert principal.token_use == "access"
    assert principal.has_any_role(("vendor", "admin"))
    assert not principal.has_any_role(("admin",))


def test_an_id_token_is_accepted_for_its_audience(keys):
    principal = verify(token(token_use="id", groups=("admins",)), keys)
    assert principal.token_use == "id"
    assert principal.roles == {"admin"}


def test_unknown_groups_grant_no_role(keys):
    assert verify(token(groups=("superusers", "Admins")), keys).roles == frozenset()
    assert verify(token(**{"cognito:groups": None}), keys).roles == frozenset()


def test_a_token_just_past_expiry_is_tolerated_for_clock_skew(keys):
    assert verify(token(lifetime=-10), keys).user_id


# --- Given a token that must be refused -----------------------------------------------------------

def test_an_expired_token_is_refused(keys):
    assert refusal(token(lifetime=-120), keys) == "expired"


def test_a_token_from_another_pool_is_refused(keys):
    assert refusal(token(iss=f"https://cognito-idp.{REGION}.amazonaws.com/eu-west-1_Other"), keys) == (
        "issued by another user pool"
    )


def test_an_access_token_for_another_client_is_refused(keys):
    assert refusal(token(client_id="other-client"), keys) == "issued to another app client"


def test_an_id_token_for_another_audience_is_refused(keys):
    assert refusal(token(token_use="id", aud="other-client"), keys) == "issued to another app client"


def test_an_id_token_without_audience_is_refused(keys):
    raw = sign({k: v for k, v in claims(issuer=ISSUER, app_client_id=CLIENT, token_use="id").items() if k != "aud"},
               rsa_private_key(), kid=KID)
    assert refusal(raw, keys) == "issued to another app client"


@pytest.mark.parametrize("use", ["refresh", "", None])
def test_tokens_that_are_neither_access_nor_id_are_refused(keys, use):
    assert refusal(token(token_use=use), keys) in (
        "not an access or id token", "malformed or incomplete token")


@pytest.mark.parametrize("missing", ["exp", "iat", "sub", "iss"])
def test_tokens_missing_a_required_claim_are_refused(keys, missing):
    assert refusal(token(**{missing: None}), keys)


def test_a_token_signed_by_another_key_is_refused(keys):
    from cryptography.hazmat.primitives.asymmetric import rsa

    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raw = sign(claims(issuer=ISSUER, app_client_id=CLIENT), other, kid=KID)
    assert refusal(raw, keys) == "bad signature"


def test_a_tampered_payload_is_refused(keys):
    import base64
    import json

    header, payload, signature = token(groups=("shoppers",)).split(".")
    body = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    body["cognito:groups"] = ["admins"]
    forged_payload = base64.urlsafe_b64encode(json.dumps(body).encode()).rstrip(b"=").decode()
    assert refusal(f"{header}.{forged_payload}.{signature}", keys) == "bad signature"


def test_alg_none_is_refused(keys):
    assert refusal(unsigned_token(claims(issuer=ISSUER, app_client_id=CLIENT), kid=KID), keys) == (
        "signature algorithm not accepted")


def test_hs256_keyed_with_the_public_key_or_client_id_is_refused(keys):
    from cryptography.hazmat.primitives import serialization

    public_pem = rsa_private_key().public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    body = claims(issuer=ISSUER, app_client_id=CLIENT)
    for secret in (public_pem, CLIENT.encode()):
        raw = hs256_token(body, secret, kid=KID)
        assert refusal(raw, keys) == "signature algorithm not accepted"


def test_an_unknown_key_id_is_refused(keys):
    assert refusal(token(kid="rotated-away"), keys) == "signed with an unknown key"


def test_garbage_is_refused(keys):
    assert refusal("not-a-jwt", keys) == "not a JWT"


def test_verification_fails_closed_without_configuration(keys):
    with pytest.raises(Unauthorized):
        verify_token(token(), issuer=ISSUER, client_id="", keys=keys)


# --- The Authorization header ----------------------------------------------------------------------

@pytest.fixture
def pool_settings(monkeypatch):
    monkeypatch.setenv("HALLES_LOCAL_MODE", "1")  # only the pool is configured: the rest keeps local defaults
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("HALLES_USER_POOL_ID", POOL)
    monkeypatch.setenv("HALLES_USER_POOL_CLIENT_ID", CLIENT)


@pytest.mark.parametrize("header", [None, "", "   ", "Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a b", "token"])
def test_a_missing_or_malformed_header_is_401_naming_the_header(pool_settings, keys, header):
    with pytest.raises(Unauthorized) as caught:
        principal_from_header(header, keys=keys)
    assert "Authorization" in caught.value.fields
    assert caught.value.message


def test_a_bearer_header_authenticates_against_the_configured_pool(pool_settings, keys):
    principal = principal_from_header(f"Bearer {token(sub='u-9')}", keys=keys)
    assert principal.user_id == "u-9"
    assert principal_from_header(f"bearer   {token(sub='u-9')}", keys=keys).user_id == "u-9"


def test_a_refused_token_is_never_logged(pool_settings, keys, caplog):
    raw = token(lifetime=-3600)
    with caplog.at_level("DEBUG", logger="halles"), pytest.raises(Unauthorized):
        principal_from_header(f"Bearer {raw}", keys=keys)
    logged = " ".join(f"{r.getMessage()} {r.__dict__}" for r in caplog.records)
    assert "token refused" in logged
    assert raw.split(".")[1] not in logged and raw.split(".")[2] not in logged


# --- The JWKS key source ---------------------------------------------------------------------------

class FakeJwks:
    def __init__(self, *documents):
        self.documents = list(documents)
        self.calls = 0

    def __call__(self, url: str) -> dict:
        self.calls += 1
        document = self.documents[min(self.calls, len(self.documents)) - 1]
        if isinstance(document, Exception):
            raise document
        return document


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def jwks(*kids: str) -> dict:
    return {"keys": [public_jwk(rsa_private_key(), kid) for kid in kids]}


def test_keys_are_fetched_once_and_cached_for_an_hour():
    fetch, clock = FakeJwks(jwks("a")), Clock()
    source = JwksKeySource("https://example/jwks.json", fetch=fetch, clock=clock)
    for _ in range(5):
        assert source.key_for("a") is not None
    clock.now += 3599
    source.key_for("a")
    assert fetch.calls == 1
    clock.now += 2
    source.key_for("a")
    assert fetch.calls == 2


def test_an_unknown_kid_refetches_once_but_not_on_every_forged_token():
    fetch, clock = FakeJwks(jwks("a"), jwks("a", "b")), Clock()
    source = JwksKeySource("https://example/jwks.json", fetch=fetch, clock=clock, min_refetch_interval=60)
    source.key_for("a")
    for _ in range(10):
        assert source.key_for("b") is None  # just fetched: a random kid does not trigger a refetch
    assert fetch.calls == 1
    clock.now += 61
    assert source.key_for("b") is not None  # key rotation: picked up by one refetch
    assert fetch.calls == 2
    for _ in range(10):
        assert source.key_for("zzz") is None
    assert fetch.calls == 2


def test_cached_keys_keep_working_while_the_jwks_is_unreachable():
    fetch, clock = FakeJwks(jwks("a"), ConnectionError("down")), Clock()
    source = JwksKeySource("https://example/jwks.json", fetch=fetch, clock=clock)
    source.key_for("a")
    clock.now += 4000
    assert source.key_for("a") is not None


def test_no_keys_at_all_is_a_server_problem_not_a_401():
    source = JwksKeySource("https://example/jwks.json", fetch=FakeJwks(ConnectionError("down")), clock=Clock())
    with pytest.raises(KeySourceUnavailable):
        source.key_for("a")


def test_only_rsa_signing_keys_are_taken_from_a_jwks():
    good = public_jwk(rsa_private_key(), "rsa")
    document = {"keys": [
        good,
        {**good, "kid": "enc", "use": "enc"},
        {**good, "kid": "hs", "alg": "HS256"},
        {"kty": "oct", "kid": "sym", "k": "c2VjcmV0"},
        {"kty": "RSA", "kid": "broken", "n": "xx", "e": "AQAB"},
        "junk",
    ]}
    assert set(parse_jwks(document)) == {"rsa"}
    assert parse_jwks({}) == {}
