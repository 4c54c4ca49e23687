"""Vendor API keys: create, list, rotate, revoke, and authenticate a request that carries one.

Vendors' own systems (stock, orders) call the vendor routes with `Authorization: Bearer hk_...`.
`principal_for_key` is called by `chalicelib.api` (the one place principals are resolved) for
any bearer credential that starts with `hk_`, so every vendor route accepts keys without doing
anything. What a key may call, in the order it is checked:

1. a well-formed key of this environment, known, active, whose secret matches: else 401;
2. within its rate limit (a fixed window per key, counted in DynamoDB so the limit is the same
   locally, in tests and on AWS, whichever Lambda container serves it): else 429 + Retry-After;
3. a vendor-only route that accepts keys (not the key-management routes: a key cannot mint
   keys), and, for a read key, a method that changes nothing: else 403.
Then the use is recorded, at most once a minute per key.
"""

from __future__ import annotations

import time
from datetime import datetime

from chalicelib.domain import api_keys as rules
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthorized, Unprocessable
from chalicelib.domain.timestamps import iso
from chalicelib.observability import logger
from chalicelib.settings import get_settings
from chalicelib.store import api_keys as store
from chalicelib.store.base import utc_now


def _environment() -> str:
    return "test" if get_settings().local_mode else "live"


def _peppers() -> tuple[str, ...]:
    peppers = get_settings().api_key_peppers
    if not peppers:
        # Settings refuse to start without one outside local mode; this guards a misuse, not a config.
        raise RuntimeError("no API key pepper configured (HALLES_API_KEY_PEPPER)")
    return peppers


def _when(moment: datetime | None) -> str | None:
    return iso(moment) if moment else None


def view(item: store.ApiKeyItem, now: datetime | None = None) -> dict:
    """What a vendor may see of a key: never a secret nor a hash."""
    now = now or utc_now()
    grace_until = item.previous_valid_until if item.previous_valid_until and item.previous_valid_until > now else None
    return {
        "key_id": item.key_id,
        "name": item.name,
        "prefix": rules.display_prefix(item.environment, item.key_id),
        "scope": item.scope,
        "status": item.status,
        "created_at": _when(item.created_at),
        "rotated_at": _when(item.rotated_at),
        "revoked_at": _when(item.revoked_at),
        "last_used_at": _when(item.last_used_at),
        "previous_secret_valid_until": _when(grace_until),
    }


def create_key(vendor_id: str, name: str, scope: str, idempotency_key: str | None = None) -> dict:
    """A new key for the vendor; the answer holds the secret, which is never shown again.

    With an Idempotency-Key, a retry of the same request creates nothing more. It cannot answer
    the secret again (only its hash exists), so it is a 409 naming the key that was created: the
    vendor revokes it if the first answer never arrived.
    """
    rules.check_scope(scope)
    now = utc_now()
    environment = _environment()
    requested_id = None
    if idempotency_key is not None:
        rules.check_idempotency_key(idempotency_key)
        requested_id = rules.key_id_for_request(vendor_id, idempotency_key, _peppers()[0])
    for _ in range(3):  # a clash of 82-bit random ids is next to impossible; the condition makes it harmless
        parsed = rules.ParsedKey(environment, requested_id or rules.new_key_id(), rules.new_secret())
        item = store.ApiKeyItem(
            parsed.key_id, vendor_id=vendor_id, name=name, scope=scope, environment=environment,
            status=rules.ACTIVE, secret_hash=rules.hash_key(parsed.token, _peppers()[0]), created_at=now)
        outcome = store.create_key(item, max_active=rules.MAX_ACTIVE_KEYS_PER_VENDOR)
        if outcome == store.ID_TAKEN and requested_id:
            _already_created(vendor_id, requested_id, name, scope)
        if outcome == store.ID_TAKEN:
            continue
        if outcome == store.AT_CAP:
            raise InvalidInput(
                f"You already have {rules.MAX_ACTIVE_KEYS_PER_VENDOR} active API keys. Revoke one you no longer use.",
                code="too_many_keys", fields={"name": f"at most {rules.MAX_ACTIVE_KEYS_PER_VENDOR} active keys"})
        logger.info("api key created", extra={"key_id": parsed.key_id, "scope": scope})
        return {**view(item, now), "secret": parsed.token}
    raise RuntimeError("could not draw an unused API key id")


def _already_created(vendor_id: str, key_id: str, name: str, scope: str):
    existing = store.get_key(key_id)
    if existing is None or existing.vendor_id != vendor_id or (existing.name, existing.scope) != (name, scope):
        raise Unprocessable("This Idempotency-Key was already used for another key; send a new one.",
                            code="idempotency_key_reused", fields={"Idempotency-Key": "already used with another body"})
    prefix = rules.display_prefix(existing.environment, existing.key_id)
    raise Conflict(f"This request already created the key {prefix}; its secret was shown in that answer only. "
                   "If it never reached you, revoke that key and create another.",
                   code="api_key_already_created", fields={"Idempotency-Key": f"already created {prefix}"})


def list_keys(vendor_id: str) -> list[dict]:
    now = utc_now()
    return [view(item, now) for item in store.vendor_keys(vendor_id)]


def _own_key(vendor_id: str, key_id: str) -> store.ApiKeyItem:
    """The vendor's key, else 404: another vendor's key id is answered exactly like an unknown one."""
    item = store.get_key(key_id) if rules.KEY_ID.fullmatch(key_id or "") else None
    if item is None or item.vendor_id != vendor_id:
        raise NotFound("You have no API key with this id.", fields={"key_id": "not found"})
    return item


def rotate_key(vendor_id: str, key_id: str, grace_seconds: int = 0) -> dict:
    """A new secret for an active key. The old one stops at once, or after `grace_seconds` (max 24 h)
    so that a vendor can deploy the new secret before the old one is refused."""
    grace = rules.rotation_grace(grace_seconds)
    item = _own_key(vendor_id, key_id)
    if item.status != rules.ACTIVE:
        raise InvalidInput("A revoked key cannot be rotated; create a new one.", code="key_revoked",
                           fields={"key_id": "revoked"})
    now = utc_now()
    parsed = rules.ParsedKey(item.environment, item.key_id, rules.new_secret())
    new_hash = rules.hash_key(parsed.token, _peppers()[0])
    rotated = store.rotate_key(
        key_id, vendor_id, new_hash=new_hash, previous_hash=item.secret_hash,
        previous_valid_until=now + grace if grace else None, now=now)
    if rotated is None:
        raise InvalidInput("The key changed while rotating it (rotated or revoked at the same time). "
                           "Reload the list and try again.", code="key_changed", fields={"key_id": "changed"})
    logger.info("api key rotated", extra={"key_id": key_id, "grace_seconds": grace_seconds})
    fresh = store.get_key(key_id) or item
    return {**view(fresh, now), "secret": parsed.token}


def revoke_key(vendor_id: str, key_id: str) -> dict:
    """Revoke at once; revoking a revoked key answers the same (safe to repeat)."""
    item = _own_key(vendor_id, key_id)
    if item.status == rules.ACTIVE:
        if store.revoke_key(key_id, vendor_id, utc_now()):
            logger.info("api key revoked", extra={"key_id": key_id})
        item = _own_key(vendor_id, key_id)
    return view(item)


# --- authenticating a request ---------------------------------------------------------------------


def _refused(reason: str) -> Unauthorized:
    logger.info("api key refused", extra={"reason": reason})
    return Unauthorized("The API key is invalid, rotated or revoked.", code="invalid_api_key",
                        fields={"Authorization": "invalid API key"})


def epoch_seconds() -> float:
    """The clock of the rate-limit windows (a function of its own so that tests can hold it still)."""
    return time.time()


def principal_for_key(token: str, *, method: str, roles: tuple[str, ...] | None, keys_allowed: bool):
    """The vendor a key acts for, if it may call this route now; else 401, 429 or 403 (in that order)."""
    from chalicelib.auth.tokens import Principal

    parsed = rules.parse_key(token)
    if parsed is None:
        raise _refused("malformed")
    if parsed.environment != _environment():
        raise _refused("another environment's key")
    item = store.get_key(parsed.key_id)
    now = utc_now()
    if item is None or item.status != rules.ACTIVE or not rules.secret_accepted(
            parsed.token, current_hash=item.secret_hash, previous_hash=item.previous_secret_hash,
            previous_valid_until=item.previous_valid_until, now=now, peppers=_peppers()):
        raise _refused("unknown, revoked or wrong secret")

    settings = get_settings()
    moment = epoch_seconds()
    window = rules.window_at(moment, settings.api_key_rate_window_seconds)
    if not store.count_request(item.key_id, window.start, window.end, settings.api_key_rate_limit):
        logger.info("api key rate limited", extra={"key_id": item.key_id})
        raise rules.RateLimited(window.retry_after(moment), settings.api_key_rate_limit, window.seconds)

    if not rules.route_accepts_keys(roles, keys_allowed):
        raise Forbidden("API keys are accepted on the vendor routes only; this one needs a signed-in session.",
                        code="api_key_not_accepted", fields={"Authorization": "API keys are not accepted here"})
    if not rules.scope_allows(item.scope, method):
        raise Forbidden("This API key is read-only: it may only read (GET).", code="api_key_read_only",
                        fields={"scope": "read keys may only call GET routes"})

    if rules.use_worth_recording(item.last_used_at, now):
        try:
            store.record_use(item.key_id, now, now - rules.LAST_USE_PRECISION)
        except Exception:  # the request is fine without it; the next use records it
            logger.warning("could not record an API key's use", extra={"key_id": item.key_id})
    return Principal(user_id=item.vendor_id, roles=frozenset({"vendor"}), token_use="api_key",
                     claims={"key_id": item.key_id, "scope": item.scope})
