"""Vendor API keys as pure rules: the key's format, its keyed hash, scopes, rotation grace, rate windows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain import api_keys as rules
from chalicelib.domain.errors import InvalidInput

PEPPER = "pepper-one"


def a_key(environment: str = "live") -> rules.ParsedKey:
    return rules.ParsedKey(environment, rules.new_key_id(), rules.new_secret())


def test_a_new_key_parses_back_to_its_parts_and_shows_only_its_prefix():
    key = a_key()
    token = key.token

    assert token.startswith(f"hk_live_{key.key_id}_")
    assert rules.parse_key(token) == key
    assert rules.display_prefix("live", key.key_id) == f"hk_live_{key.key_id}"
    assert key.secret not in rules.display_prefix("live", key.key_id)


def test_two_new_keys_never_share_an_id_or_a_secret():
    keys = [a_key() for _ in range(200)]
    assert len({k.key_id for k in keys}) == len({k.secret for k in keys}) == 200


@pytest.mark.parametrize("token", [
    "",
    "hk_live_abc_def",
    "hk_prod_" + "a" * 16 + "_" + "b" * 40,  # unknown environment
    "hk_live_" + "A" * 16 + "_" + "b" * 40,  # key ids are lower case
    "hk_live_" + "a" * 16 + "_" + "b" * 39,  # secret one short
    "hk_live_" + "a" * 16 + "_" + "b" * 41,
    "hk_live_" + "a" * 16 + "_" + "b" * 39 + "-",
    "hk_live_" + "a" * 16 + "_" + "b" * 40 + "\n",
    " hk_live_" + "a" * 16 + "_" + "b" * 40,
    "eyJhbGciOiJSUzI1NiJ9.e30.sig",
])
def test_anything_but_a_well_formed_key_is_refused_before_any_lookup(token):
    assert rules.parse_key(token) is None


def test_only_hk_credentials_are_taken_for_keys():
    assert rules.looks_like_api_key("hk_live_x")
    assert not rules.looks_like_api_key("eyJhbGciOiJSUzI1NiJ9.e30.sig")


def test_the_hash_verifies_the_key_and_nothing_else():
    key = a_key()
    stored = rules.hash_key(key.token, PEPPER)

    assert key.secret not in stored and key.token not in stored
    assert rules.matches(key.token, stored, (PEPPER,))
    other_secret = rules.ParsedKey(key.environment, key.key_id, rules.new_secret())
    assert not rules.matches(other_secret.token, stored, (PEPPER,))
    assert not rules.matches(rules.ParsedKey("test", key.key_id, key.secret).token, stored, (PEPPER,))
    assert not rules.matches(key.token, None, (PEPPER,))


def test_the_hash_is_keyed_a_copy_of_the_table_without_the_pepper_checks_nothing():
    key = a_key()
    stored = rules.hash_key(key.token, PEPPER)

    assert not rules.matches(key.token, stored, ("another-pepper",))
    import hashlib
    assert stored != hashlib.sha256(key.token.encode()).hexdigest()


def test_while_the_pepper_rolls_old_hashes_still_verify():
    key = a_key()
    old = rules.hash_key(key.token, "old")

    assert rules.matches(key.token, old, ("new", "old"))
    with pytest.raises(ValueError):
        rules.hash_key(key.token, "")


def test_a_read_key_may_only_read_and_a_write_key_may_do_everything():
    assert rules.scope_allows("read", "GET")
    assert not any(rules.scope_allows("read", m) for m in ("PUT", "POST", "PATCH", "DELETE"))
    assert all(rules.scope_allows("write", m) for m in ("GET", "PUT", "POST", "PATCH", "DELETE"))
    assert not rules.scope_allows("admin", "GET")
    with pytest.raises(InvalidInput) as refused:
        rules.check_scope("admin")
    assert "scope" in refused.value.fields


@pytest.mark.parametrize(("roles", "keys_allowed", "accepted"), [
    (("vendor",), True, True),
    (("vendor",), False, False),  # key management
    (("shopper",), True, False),
    (("admin",), True, False),
    (("vendor", "admin"), True, False),
    ((), True, False),  # any signed-in user
    (None, True, False),  # public
])
def test_keys_reach_vendor_only_routes(roles, keys_allowed, accepted):
    assert rules.route_accepts_keys(roles, keys_allowed) is accepted


def test_after_a_rotation_the_old_secret_works_only_during_its_grace():
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    old, new = a_key(), a_key()
    hashes = dict(current_hash=rules.hash_key(new.token, PEPPER), previous_hash=rules.hash_key(old.token, PEPPER),
                  peppers=(PEPPER,))

    assert rules.secret_accepted(new.token, previous_valid_until=None, now=now, **hashes)
    assert not rules.secret_accepted(old.token, previous_valid_until=None, now=now, **hashes)
    until = now + timedelta(minutes=5)
    assert rules.secret_accepted(old.token, previous_valid_until=until, now=now, **hashes)
    assert not rules.secret_accepted(old.token, previous_valid_until=until, now=until, **hashes)


def test_the_grace_is_at_most_a_day_and_never_negative():
    assert rules.rotation_grace(0) == timedelta(0)
    assert rules.rotation_grace(86400) == timedelta(days=1)
    for seconds in (-1, 86401):
        with pytest.raises(InvalidInput) as refused:
            rules.rotation_grace(seconds)
        assert "grace_seconds" in refused.value.fields


def test_a_use_is_recorded_at_most_once_a_minute():
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)
    assert rules.use_worth_recording(None, now)
    assert not rules.use_worth_recording(now - timedelta(seconds=59), now)
    assert rules.use_worth_recording(now - timedelta(seconds=60), now)


def test_rate_windows_are_fixed_and_say_when_the_next_one_opens():
    window = rules.window_at(600_030.4, 60)
    assert (window.start, window.end) == (600_000, 600_060)
    assert window.retry_after(600_030.4) == 30
    assert window.retry_after(window.end - 0.2) == 1  # never 0: the client must wait for something
    assert rules.window_at(window.end, 60).start == window.end
    with pytest.raises(ValueError):
        rules.window_at(0, 0)


def test_rate_limited_answers_with_retry_after():
    err = rules.RateLimited(12, 120, 60)
    assert err.status == 429 and err.headers == {"Retry-After": "12"}
    assert "Authorization" in err.fields


def test_a_retried_creation_gets_the_same_key_id_and_nobody_else_does():
    first = rules.key_id_for_request("vendor-a", "request-123", PEPPER)

    assert rules.KEY_ID.fullmatch(first)
    assert rules.key_id_for_request("vendor-a", "request-123", PEPPER) == first
    assert rules.key_id_for_request("vendor-b", "request-123", PEPPER) != first
    assert rules.key_id_for_request("vendor-a", "request-124", PEPPER) != first
    assert rules.key_id_for_request("vendor-a", "request-123", "another-pepper") != first


@pytest.mark.parametrize("key", ["short", "x" * 129, "with\nnewline"])
def test_an_idempotency_key_is_8_to_128_printable_characters(key):
    with pytest.raises(InvalidInput) as refused:
        rules.check_idempotency_key(key)
    assert "Idempotency-Key" in refused.value.fields
