"""Verify the Cognito JWTs a request carries, and turn them into a `Principal`.

Verification is the same in every mode (AWS, the local stack, moto under tests): an RS256
signature against the pool's published keys (JWKS), the pool's issuer, expiry, `token_use`,
and the app client (`client_id` on access tokens, `aud` on id tokens). Only RS256 is
accepted: `alg: none` and HS256 (signed with a public value) are the classic forgeries.

PyJWT (and its cryptography backend) and `requests` are imported inside the functions
that need them, so `import app` stays light on a cold start.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from chalicelib.domain.errors import Unauthorized
from chalicelib.observability import logger
from chalicelib.settings import get_settings

ALLOWED_ALGORITHMS = ("RS256",)
LEEWAY_SECONDS = 30  # clock skew between Cognito and Lambda; kept well under a minute
TOKEN_USES = frozenset({"access", "id"})
REQUIRED_CLAIMS = ("exp", "iat", "iss", "sub", "token_use")
ROLE_BY_GROUP = {"shoppers": "shopper", "vendors": "vendor", "admins": "admin"}

JWKS_TTL_SECONDS = 3600
JWKS_FETCH_TIMEOUT_SECONDS = 3
# An unknown `kid` may mean Cognito rotated its keys, so it triggers one refetch; but anyone
# can send a random kid, so refetches are spaced out to keep forged tokens from hammering the JWKS.
JWKS_MIN_REFETCH_SECONDS = 60


@dataclass(frozen=True)
class Principal:
    """Who is calling, as proven by a verified token."""

    user_id: str
    roles: frozenset[str]
    token_use: str
    claims: dict = field(default_factory=dict, compare=False, repr=False)

    def has_any_role(self, roles: Iterable[str]) -> bool:
        return not self.roles.isdisjoint(roles)


class KeySource(Protocol):
    def key_for(self, kid: str) -> Any | None:
        """The public key for `kid`, or None when the pool has no such key."""


class KeySourceUnavailable(RuntimeError):
    """The keys could not be fetched and none are cached: a server-side problem, not the caller's."""


def _fetch_jwks(url: str) -> dict:
    import requests

    response = requests.get(url, timeout=JWKS_FETCH_TIMEOUT_SECONDS)
    response.raise_for_status()
    return response.json()


class JwksKeySource:
    """The signing keys published at one JWKS URL, cached for an hour.

    `fetch` and `clock` are injectable so the caching rules can be tested without a network.
    """

    def __init__(
        self,
        url: str,
        *,
        fetch: Callable[[str], dict] = _fetch_jwks,
        clock: Callable[[], float] = time.monotonic,
        ttl: float = JWKS_TTL_SECONDS,
        min_refetch_interval: float = JWKS_MIN_REFETCH_SECONDS,
    ):
        self.url = url
        self._fetch = fetch
        self._clock = clock
        self._ttl = ttl
        self._min_refetch_interval = min_refetch_interval
        self._keys: dict[str, Any] = {}
        self._fetched_at: float | None = None
        self._lock = threading.Lock()

    def key_for(self, kid: str) -> Any | None:
        with self._lock:
            now = self._clock()
            if self._fetched_at is None or now - self._fetched_at >= self._ttl:
                self._refresh(now)
            elif kid not in self._keys and now - self._fetched_at >= self._min_refetch_interval:
                self._refresh(now)
            return self._keys.get(kid)

    def _refresh(self, now: float) -> None:
        try:
            document = self._fetch(self.url)
        except Exception as exc:
            if self._fetched_at is None:
                raise KeySourceUnavailable(f"cannot fetch the signing keys from {self.url}") from exc
            # Keep serving the keys we have rather than failing every request while the JWKS is unreachable.
            logger.warning("JWKS refresh failed; keeping the cached keys", extra={"jwks_url": self.url})
            self._fetched_at = now
            return
        self._keys = parse_jwks(document)
        self._fetched_at = now


def parse_jwks(document: dict) -> dict[str, Any]:
    """kid -> public key, for the RSA signing keys of a JWKS document (other keys are skipped)."""
    import jwt

    keys: dict[str, Any] = {}
    for jwk in (document or {}).get("keys", []) if isinstance(document, dict) else []:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA" or jwk.get("use", "sig") != "sig":
            continue
        if jwk.get("alg", "RS256") not in ALLOWED_ALGORITHMS or not isinstance(jwk.get("kid"), str):
            continue
        try:
            keys[jwk["kid"]] = jwt.PyJWK(jwk, algorithm="RS256").key
        except jwt.PyJWTError:
            logger.warning("skipping an unusable key in the JWKS", extra={"kid": jwk.get("kid")})
    return keys


_key_sources: dict[str, JwksKeySource] = {}
_key_sources_lock = threading.Lock()


def key_source_for(url: str) -> JwksKeySource:
    """One cached key source per JWKS URL (so a process serving several pools keeps them apart)."""
    with _key_sources_lock:
        source = _key_sources.get(url)
        if source is None:
            source = _key_sources[url] = JwksKeySource(url)
        return source


def _refuse(reason: str) -> Unauthorized:
    return Unauthorized("The access token is invalid or expired. Sign in again.", code="invalid_token",
                        fields={"Authorization": reason})


def verify_token(token: str, *, issuer: str, client_id: str, keys: KeySource) -> Principal:
    """Check a Cognito JWT completely; return its principal or raise Unauthorized."""
    import jwt

    if not issuer or not client_id:
        # Misconfiguration must fail closed: an empty client id would match nothing, but be explicit.
        logger.error("token verification is not configured (user pool id / client id missing)")
        raise _refuse("authentication is not configured")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise _refuse("not a JWT") from None
    if header.get("alg") not in ALLOWED_ALGORITHMS:
        raise _refuse("signature algorithm not accepted")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise _refuse("no key id")
    key = keys.key_for(kid)
    if key is None:
        raise _refuse("signed with an unknown key")
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=list(ALLOWED_ALGORITHMS),
            issuer=issuer,
            leeway=LEEWAY_SECONDS,
            options={"require": list(REQUIRED_CLAIMS), "verify_aud": False},
        )
    except jwt.ExpiredSignatureError:
        raise _refuse("expired") from None
    except jwt.InvalidIssuerError:
        raise _refuse("issued by another user pool") from None
    except jwt.InvalidSignatureError:
        raise _refuse("bad signature") from None
    except jwt.PyJWTError:
        raise _refuse("malformed or incomplete token") from None

    token_use = claims.get("token_use")
    if token_use not in TOKEN_USES:
        raise _refuse("not an access or id token")
    if token_use == "access":
        audience_ok = claims.get("client_id") == client_id
    else:
        aud = claims.get("aud")
        audience_ok = aud == client_id or (isinstance(aud, list) and aud == [client_id])
    if not audience_ok:
        raise _refuse("issued to another app client")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise _refuse("no subject")
    return Principal(user_id=sub, roles=roles_from_claims(claims), token_use=token_use, claims=claims)


def roles_from_claims(claims: dict) -> frozenset[str]:
    groups = claims.get("cognito:groups") or []
    if isinstance(groups, str):
        groups = [groups]
    return frozenset(ROLE_BY_GROUP[g] for g in groups if isinstance(g, str) and g in ROLE_BY_GROUP)


def principal_from_header(header: str | None, *, keys: KeySource | None = None) -> Principal:
    """Authenticate an `Authorization: Bearer <token>` header value (the token is never logged)."""
    if not header or not header.strip():
        raise Unauthorized("Sign in first: this endpoint needs an Authorization header.", code="unauthenticated",
                           fields={"Authorization": "missing"})
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        raise Unauthorized("The Authorization header must be 'Bearer <token>'.", code="unauthenticated",
                           fields={"Authorization": "expected 'Bearer <token>'"})
    settings = get_settings()
    try:
        return verify_token(
            token,
            issuer=settings.issuer if settings.user_pool_id else "",
            client_id=settings.user_pool_client_id,
            keys=keys or key_source_for(settings.jwks_url),
        )
    except Unauthorized as err:
        logger.info("token refused", extra={"reason": err.fields.get("Authorization")})
        raise
