"""Vendor API keys: their format, how their secret is kept, and what a key may do.

A key reads `hk_<env>_<key id>_<secret>`, e.g. `hk_live_k7f3q9x2m4p8r1t6_<40 letters and digits>`:

- `hk_` makes a leaked key recognisable (secret scanners, logs, a support ticket), and tells it
  apart from a Cognito JWT in the same `Authorization: Bearer` header;
- `<env>` is `live` on a deployed stage and `test` on the local stack, so a key pasted into the
  wrong system is refused by its shape before any lookup;
- the key id is public (it is the key's "prefix" shown in lists) and is what the key is looked
  up by, so verifying a key is one read by primary key, never a scan over hashes;
- the secret is 40 characters of [A-Za-z0-9] from `secrets` (about 238 bits).

Only a keyed hash of the whole key is stored: HMAC-SHA256 under a server-side pepper (SSM).
Not bcrypt/scrypt/argon2: those slow hashes exist to make guessing *low-entropy* passwords
expensive; a 238-bit random secret cannot be guessed at any hashing speed, while a slow hash
would cost every API call tens of milliseconds of Lambda CPU. The pepper means a copy of the
table alone does not even allow checking a candidate key. Comparison is constant-time.

Pure: the service passes the pepper, the clock and the randomness in.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from dataclasses import dataclass
from datetime import datetime, timedelta

from chalicelib.domain.errors import DomainError, InvalidInput

PREFIX = "hk"
ENVIRONMENTS = ("live", "test")
KEY_ID_LENGTH = 16
SECRET_LENGTH = 40
_KEY_ID_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits
_KEY = re.compile(rf"^{PREFIX}_(live|test)_([a-z0-9]{{{KEY_ID_LENGTH}}})_([A-Za-z0-9]{{{SECRET_LENGTH}}})$")
KEY_ID = re.compile(rf"^[a-z0-9]{{{KEY_ID_LENGTH}}}$")

READ = "read"
WRITE = "write"
SCOPES = (READ, WRITE)
# Methods that change nothing: all a read key may call.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

MAX_ACTIVE_KEYS_PER_VENDOR = 10  # per-key throttling means little if a vendor can mint keys without end
LAST_USE_PRECISION = timedelta(minutes=1)  # `last_used_at` is written at most this often per key
MAX_ROTATION_GRACE = timedelta(hours=24)

ACTIVE = "active"
REVOKED = "revoked"


@dataclass(frozen=True)
class ParsedKey:
    """A vendor API key split into its environment, key id and secret."""

    environment: str
    key_id: str
    secret: str

    @property
    def token(self) -> str:
        return format_key(self.environment, self.key_id, self.secret)


def looks_like_api_key(credential: str) -> bool:
    """Whether a bearer credential is meant as one of our keys (a JWT never starts with `hk_`)."""
    return credential.startswith(f"{PREFIX}_")


def format_key(environment: str, key_id: str, secret: str) -> str:
    return f"{PREFIX}_{environment}_{key_id}_{secret}"


def display_prefix(environment: str, key_id: str) -> str:
    """What a list shows of a key: enough to recognise it, nothing that authenticates."""
    return f"{PREFIX}_{environment}_{key_id}"


def parse_key(token: str) -> ParsedKey | None:
    """The parts of a well-formed key, or None (the caller answers 401 without any lookup)."""
    match = _KEY.fullmatch(token or "")
    if match is None:
        return None
    return ParsedKey(*match.groups())


def new_key_id(choice=secrets.choice) -> str:
    return "".join(choice(_KEY_ID_ALPHABET) for _ in range(KEY_ID_LENGTH))


def key_id_for_request(vendor_id: str, idempotency_key: str, pepper: str) -> str:
    """The key id a creation request with this Idempotency-Key gets: the same on a retry, so the
    store's conditional put sees the retry. Keyed, so ids stay unpredictable to others."""
    digest = hmac.new(pepper.encode(), f"api-key-id\n{vendor_id}\n{idempotency_key}".encode(), hashlib.sha256).digest()
    number = int.from_bytes(digest, "big")
    chars = []
    for _ in range(KEY_ID_LENGTH):
        number, index = divmod(number, len(_KEY_ID_ALPHABET))
        chars.append(_KEY_ID_ALPHABET[index])
    return "".join(chars)


IDEMPOTENCY_KEY_MIN, IDEMPOTENCY_KEY_MAX = 8, 128


def check_idempotency_key(key: str) -> str:
    if not (IDEMPOTENCY_KEY_MIN <= len(key) <= IDEMPOTENCY_KEY_MAX) or not key.isprintable():
        raise InvalidInput(f"The Idempotency-Key header must be {IDEMPOTENCY_KEY_MIN} to {IDEMPOTENCY_KEY_MAX} "
                           "printable characters.", fields={"Idempotency-Key": "8 to 128 printable characters"})
    return key


def new_secret(choice=secrets.choice) -> str:
    return "".join(choice(_SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


def hash_key(token: str, pepper: str) -> str:
    """HMAC-SHA256 of the whole key (environment, id and secret bound together), hex."""
    if not pepper:
        raise ValueError("an API key pepper is required")
    return hmac.new(pepper.encode(), token.encode(), hashlib.sha256).hexdigest()


def matches(token: str, stored_hash: str | None, peppers: tuple[str, ...]) -> bool:
    """Constant-time check of a presented key against a stored hash, under any of the peppers.

    Several peppers while one is being rolled: new hashes use the first, old ones still verify.
    Every pepper is tried (no early exit) so the time taken does not tell which one matched.
    """
    if not stored_hash:
        return False
    found = False
    for pepper in peppers:
        found |= hmac.compare_digest(hash_key(token, pepper), stored_hash)
    return found


def check_scope(scope: str) -> str:
    if scope not in SCOPES:
        raise InvalidInput("A key's scope is read or write.", fields={"scope": "one of: read, write"})
    return scope


def scope_allows(scope: str, method: str) -> bool:
    """A read key calls only methods that change nothing; a write key calls any vendor route."""
    return scope == WRITE or (scope == READ and method.upper() in READ_METHODS)


def secret_accepted(token: str, *, current_hash: str, previous_hash: str | None, previous_valid_until: datetime | None,
                    now: datetime, peppers: tuple[str, ...]) -> bool:
    """The current secret, or the one it replaced while the rotation's grace lasts."""
    if matches(token, current_hash, peppers):
        return True
    return previous_valid_until is not None and now < previous_valid_until and matches(token, previous_hash, peppers)


def use_worth_recording(last_used_at: datetime | None, now: datetime) -> bool:
    """Record a use only when the one on record is older than the precision we promise."""
    return last_used_at is None or now - last_used_at >= LAST_USE_PRECISION


@dataclass(frozen=True)
class Window:
    """A fixed rate-limit window: requests of one key from `start` (epoch seconds) for `seconds`."""

    start: int
    seconds: int

    @property
    def end(self) -> int:
        return self.start + self.seconds

    def retry_after(self, now_epoch: float) -> int:
        """Whole seconds until the next window opens (at least 1: a client must wait for something)."""
        return max(1, int(self.end - now_epoch + 0.999))


def window_at(now_epoch: float, seconds: int) -> Window:
    if seconds < 1:
        raise ValueError("a rate-limit window lasts at least one second")
    start = int(now_epoch) // seconds * seconds
    return Window(start, seconds)


def rotation_grace(seconds: int) -> timedelta:
    grace = timedelta(seconds=seconds)
    if grace < timedelta(0) or grace > MAX_ROTATION_GRACE:
        raise InvalidInput("The grace period is 0 to 86400 seconds.",
                           fields={"grace_seconds": "between 0 and 86400"})
    return grace


class RateLimited(DomainError):
    """A key sent more requests than its window allows: 429, and when the next window opens."""

    code = "rate_limited"
    status = 429

    def __init__(self, retry_after: int, limit: int, seconds: int):
        super().__init__(f"This API key may send {limit} requests per {seconds} s. Retry in {retry_after} s.",
                         fields={"Authorization": f"rate limit of {limit} requests per {seconds} s reached"})
        self.headers = {"Retry-After": str(retry_after)}


def route_accepts_keys(roles: tuple[str, ...] | None, keys_allowed: bool) -> bool:
    """Keys act for a vendor, on vendor-only routes: never on public, shopper, admin or any-user routes."""
    return keys_allowed and roles is not None and set(roles) == {"vendor"}
