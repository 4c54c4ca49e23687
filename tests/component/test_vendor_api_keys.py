"""Vendor API keys (issue 8, item 9): what a vendor's own system can and cannot do with one.

Through the real app (chalice test client) on moto: a key created in the vendor space reads
the vendor's offers, a read key cannot write, a rotated-out or revoked key is refused, a key
never reaches another vendor's data nor any non-vendor route, the limit answers 429, and the
last use shows in the vendor's list.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.fixtures.aws import call
from tests.fixtures.catalog import offer

KEYS = "/vendor/api-keys"


def create_key(client, vendor, scope="write", name="Warehouse sync"):
    status, body, headers = call(client, "POST", KEYS, {"name": name, "scope": scope}, token=vendor.access_token)
    assert status == 201, body
    return body


def offers_with(client, key):
    return call(client, "GET", "/vendor/offers", token=key)


def listed(client, vendor):
    status, body, _ = call(client, "GET", KEYS, token=vendor.access_token)
    assert status == 200, body
    return {item["key_id"]: item for item in body["items"]}


@pytest.fixture
def vendors(app_client, catalog):
    return catalog


def test_a_key_reads_its_vendors_offers_and_is_shown_once(app_client, vendors):
    created = create_key(app_client, vendors.vendor_a, scope="read")
    secret = created["secret"]
    assert re.fullmatch(r"hk_test_[a-z0-9]{16}_[A-Za-z0-9]{40}", secret)
    assert created["prefix"] == f"hk_test_{created['key_id']}" and secret.startswith(created["prefix"] + "_")

    status, body, _ = offers_with(app_client, secret)
    assert status == 200, body
    mine = {item["offer_id"] for item in body["items"]}
    assert mine == {vendors.offers[k] for k in vendors.offers if k[1] == "a"}

    listing = listed(app_client, vendors.vendor_a)[created["key_id"]]
    assert listing["name"] == "Warehouse sync" and listing["scope"] == "read" and listing["status"] == "active"
    assert "secret" not in listing
    assert secret.split("_")[-1] not in str(listing)


def test_the_secret_is_stored_only_as_a_keyed_hash(app_client, vendors):
    from chalicelib.store.api_keys import get_key

    created = create_key(app_client, vendors.vendor_a)
    stored = get_key(created["key_id"]).attribute_values
    assert created["secret"] not in str(stored)
    assert created["secret"].split("_")[-1] not in str(stored)


def test_a_read_key_is_refused_on_a_write_and_a_write_key_writes(app_client, vendors):
    path = f"/vendor/products/{vendors.products['mug']}/offer"
    reader = create_key(app_client, vendors.vendor_a, scope="read")["secret"]
    writer = create_key(app_client, vendors.vendor_a, scope="write")["secret"]

    status, body, _ = call(app_client, "PUT", path, offer(1500, 0, 4), token=reader)
    assert status == 403 and body["error"]["code"] == "api_key_read_only" and "scope" in body["error"]["fields"]
    status, body, _ = call(app_client, "PUT", path, offer(1500, 0, 4), token=writer)
    assert status == 201, body
    _, mine, _ = offers_with(app_client, reader)
    assert any(item["product_id"] == vendors.products["mug"] and item["stock"] == 4 for item in mine["items"])


def test_a_revoked_key_is_refused_at_once_and_revoking_again_is_harmless(app_client, vendors):
    created = create_key(app_client, vendors.vendor_a)
    assert offers_with(app_client, created["secret"])[0] == 200

    status, body, _ = call(app_client, "DELETE", f"{KEYS}/{created['key_id']}", token=vendors.vendor_a.access_token)
    assert status == 200 and body["status"] == "revoked" and body["revoked_at"]
    status, body, _ = offers_with(app_client, created["secret"])
    assert status == 401 and body["error"]["code"] == "invalid_api_key" and "Authorization" in body["error"]["fields"]

    again = call(app_client, "DELETE", f"{KEYS}/{created['key_id']}", token=vendors.vendor_a.access_token)
    assert again[0] == 200 and again[1]["status"] == "revoked"
    rotate = call(app_client, "POST", f"{KEYS}/{created['key_id']}/rotate", {}, token=vendors.vendor_a.access_token)
    assert rotate[0] == 400 and "key_id" in rotate[1]["error"]["fields"]


def test_a_rotated_out_secret_is_refused_and_the_new_one_works(app_client, vendors):
    created = create_key(app_client, vendors.vendor_a)
    status, rotated, _ = call(app_client, "POST", f"{KEYS}/{created['key_id']}/rotate", {},
                              token=vendors.vendor_a.access_token)
    assert status == 200, rotated
    assert rotated["key_id"] == created["key_id"] and rotated["secret"] != created["secret"]
    assert rotated["rotated_at"] and rotated["previous_secret_valid_until"] is None

    assert offers_with(app_client, created["secret"])[0] == 401
    assert offers_with(app_client, rotated["secret"])[0] == 200


def test_with_a_grace_period_the_old_secret_works_until_it_ends(app_client, vendors, monkeypatch):
    from chalicelib.services import api_keys as service

    created = create_key(app_client, vendors.vendor_a)
    status, rotated, _ = call(app_client, "POST", f"{KEYS}/{created['key_id']}/rotate", {"grace_seconds": 300},
                              token=vendors.vendor_a.access_token)
    assert status == 200 and rotated["previous_secret_valid_until"]
    assert offers_with(app_client, created["secret"])[0] == 200
    assert offers_with(app_client, rotated["secret"])[0] == 200

    later = service.utc_now() + timedelta(seconds=301)
    monkeypatch.setattr(service, "utc_now", lambda: later)
    assert offers_with(app_client, created["secret"])[0] == 401
    assert offers_with(app_client, rotated["secret"])[0] == 200


def test_a_key_never_reaches_another_vendors_data_or_keys(app_client, vendors):
    key_a = create_key(app_client, vendors.vendor_a)
    key_b = create_key(app_client, vendors.vendor_b)

    _, seen_by_b, _ = offers_with(app_client, key_b["secret"])
    assert {item["offer_id"] for item in seen_by_b["items"]} == {
        vendors.offers[k] for k in vendors.offers if k[1] == "b"}

    # B's session cannot see, rotate or revoke A's key: answered exactly like an unknown id.
    assert key_a["key_id"] not in listed(app_client, vendors.vendor_b)
    for method, path, body in (("POST", f"{KEYS}/{key_a['key_id']}/rotate", {}),
                               ("DELETE", f"{KEYS}/{key_a['key_id']}", None)):
        status, refused, _ = call(app_client, method, path, body, token=vendors.vendor_b.access_token)
        assert status == 404 and "key_id" in refused["error"]["fields"]
    assert offers_with(app_client, key_a["secret"])[0] == 200

    # A key's id with another vendor's... or a made-up secret: refused.
    forged = key_a["secret"].rsplit("_", 1)[0] + "_" + key_b["secret"].rsplit("_", 1)[1]
    assert offers_with(app_client, forged)[0] == 401


def test_a_key_cannot_manage_keys(app_client, vendors):
    key = create_key(app_client, vendors.vendor_a)["secret"]
    for method, path, body in (("GET", KEYS, None), ("POST", KEYS, {"name": "x", "scope": "write"}),
                               ("POST", f"{KEYS}/aaaaaaaaaaaaaaaa/rotate", {}),
                               ("DELETE", f"{KEYS}/aaaaaaaaaaaaaaaa", None)):
        status, body, _ = call(app_client, method, path, body, token=key)
        assert status == 403 and body["error"]["code"] == "api_key_not_accepted", (method, path)


def test_a_key_is_refused_on_every_route_that_is_not_vendor_only(app_client, vendors):
    """Every registered route (those other areas add later too): shopper, admin, any-user routes."""
    from chalicelib.api import ROUTES

    key = create_key(app_client, vendors.vendor_a)["secret"]
    checked = 0
    for spec in ROUTES:
        if spec.roles is None or (set(spec.roles) == {"vendor"} and spec.api_keys):
            continue
        path = re.sub(r"\{[^}]+\}", "x1", spec.path)
        status, body, _ = call(app_client, spec.method, path, {} if spec.method != "GET" else None, token=key)
        assert status == 403 and body["error"]["code"] == "api_key_not_accepted", (spec.method, spec.path, status)
        checked += 1
    assert checked >= 10


def test_keys_are_only_for_vendors_and_not_for_anonymous_callers(app_client, vendors, make_user):
    shopper = make_user("shopper")
    status, body, _ = call(app_client, "POST", KEYS, {"name": "x", "scope": "read"}, token=shopper.access_token)
    assert status == 403
    assert call(app_client, "GET", KEYS)[0] == 401
    assert call(app_client, "POST", KEYS, {"name": "x", "scope": "read"})[0] == 401


@pytest.mark.parametrize(("body", "field"), [
    ({"name": "", "scope": "read"}, "name"),
    ({"name": "x" * 61, "scope": "read"}, "name"),
    ({"name": "ok", "scope": "admin"}, "scope"),
    ({"name": "ok"}, "scope"),
    ({"name": "ok", "scope": "read", "vendor_id": "someone-else"}, "vendor_id"),
])
def test_bad_key_requests_are_400_naming_the_field(app_client, vendors, body, field):
    status, refused, _ = call(app_client, "POST", KEYS, body, token=vendors.vendor_a.access_token)
    assert status == 400 and field in refused["error"]["fields"], refused


@pytest.mark.parametrize("grace", [-1, 86401, "60", 1.5])
def test_a_bad_grace_period_is_400_naming_it(app_client, vendors, grace):
    created = create_key(app_client, vendors.vendor_a)
    status, refused, _ = call(app_client, "POST", f"{KEYS}/{created['key_id']}/rotate", {"grace_seconds": grace},
                              token=vendors.vendor_a.access_token)
    assert status == 400 and "grace_seconds" in refused["error"]["fields"]


def test_malformed_and_unknown_keys_are_401_never_500(app_client, vendors):
    for token in ("hk_", "hk_test_short", "hk_live_" + "a" * 16 + "_" + "b" * 40, "hk_test_" + "a" * 16 + "_" + "b" * 40):
        status, body, _ = offers_with(app_client, token)
        assert status == 401 and body["error"]["code"] == "invalid_api_key", token


def test_a_vendor_has_at_most_ten_active_keys(app_client, vendors):
    made = [create_key(app_client, vendors.vendor_b, name=f"k{i}") for i in range(10)]
    status, body, _ = call(app_client, "POST", KEYS, {"name": "one more", "scope": "read"},
                           token=vendors.vendor_b.access_token)
    assert status == 400 and body["error"]["code"] == "too_many_keys" and "name" in body["error"]["fields"]

    call(app_client, "DELETE", f"{KEYS}/{made[0]['key_id']}", token=vendors.vendor_b.access_token)
    create_key(app_client, vendors.vendor_b, name="replacement")


def test_past_the_limit_a_key_gets_429_with_retry_after_and_other_keys_are_not_affected(
        app_client, vendors, monkeypatch):
    from chalicelib.services import api_keys as service

    monkeypatch.setenv("HALLES_API_KEY_RATE_LIMIT", "3")
    monkeypatch.setenv("HALLES_API_KEY_RATE_WINDOW_SECONDS", "60")
    monkeypatch.setattr(service, "epoch_seconds", lambda: 1_800_000_015.5)  # 15.5 s into a window
    busy = create_key(app_client, vendors.vendor_a)["secret"]
    other = create_key(app_client, vendors.vendor_a)["secret"]

    assert [offers_with(app_client, busy)[0] for _ in range(3)] == [200, 200, 200]
    status, body, headers = offers_with(app_client, busy)
    assert status == 429 and body["error"]["code"] == "rate_limited" and "Authorization" in body["error"]["fields"]
    assert headers["Retry-After"] == "45"
    assert offers_with(app_client, other)[0] == 200
    # The vendor's own session is not a key: never throttled by it.
    assert call(app_client, "GET", "/vendor/offers", token=vendors.vendor_a.access_token)[0] == 200

    # The next window starts afresh.
    monkeypatch.setattr(service, "epoch_seconds", lambda: 1_800_000_060.0)
    assert offers_with(app_client, busy)[0] == 200


def test_the_last_use_is_recorded_at_most_once_a_minute(app_client, vendors, monkeypatch):
    from chalicelib.services import api_keys as service

    created = create_key(app_client, vendors.vendor_a)
    assert listed(app_client, vendors.vendor_a)[created["key_id"]]["last_used_at"] is None

    offers_with(app_client, created["secret"])
    first = listed(app_client, vendors.vendor_a)[created["key_id"]]["last_used_at"]
    assert first

    start = service.utc_now()
    monkeypatch.setattr(service, "utc_now", lambda: start + timedelta(seconds=30))
    offers_with(app_client, created["secret"])
    assert listed(app_client, vendors.vendor_a)[created["key_id"]]["last_used_at"] == first

    monkeypatch.setattr(service, "utc_now", lambda: start + timedelta(seconds=90))
    offers_with(app_client, created["secret"])
    assert listed(app_client, vendors.vendor_a)[created["key_id"]]["last_used_at"] > first


def test_a_retried_creation_creates_one_key_and_names_it(app_client, vendors):
    vendor = vendors.vendor_a
    retry = {"Idempotency-Key": "create-warehouse-key-1"}
    status, created, _ = call(app_client, "POST", KEYS, {"name": "Warehouse", "scope": "write"},
                              token=vendor.access_token, headers=retry)
    assert status == 201, created

    status, again, _ = call(app_client, "POST", KEYS, {"name": "Warehouse", "scope": "write"},
                            token=vendor.access_token, headers=retry)
    assert status == 409 and again["error"]["code"] == "api_key_already_created"
    assert created["prefix"] in again["error"]["fields"]["Idempotency-Key"]
    assert "secret" not in again and created["secret"].rsplit("_", 1)[1] not in str(again)
    assert [k["name"] for k in listed(app_client, vendor).values()] == ["Warehouse"]

    status, other, _ = call(app_client, "POST", KEYS, {"name": "Something else", "scope": "read"},
                            token=vendor.access_token, headers=retry)
    assert status == 422 and "Idempotency-Key" in other["error"]["fields"]

    # The same Idempotency-Key from another vendor is that vendor's own request.
    status, theirs, _ = call(app_client, "POST", KEYS, {"name": "Warehouse", "scope": "write"},
                             token=vendors.vendor_b.access_token, headers=retry)
    assert status == 201 and theirs["key_id"] != created["key_id"]

    status, bad, _ = call(app_client, "POST", KEYS, {"name": "x", "scope": "read"}, token=vendor.access_token,
                          headers={"Idempotency-Key": "short"})
    assert status == 400 and "Idempotency-Key" in bad["error"]["fields"]
