"""Every vendor and admin route refuses callers without the role, read from the OpenAPI document.

The routes are walked from `/openapi.json` as the app serves it, so a route any helper adds under
/vendor or /admin is covered as soon as it is merged: anonymous -> 401, shopper -> 403, and on
/admin routes vendor -> 403. Path parameters get placeholder ids: the role check comes first, so
nothing about the resource can leak to a caller without the role.
"""

from __future__ import annotations

import re

import pytest

from tests.fixtures.aws import call

PLACEHOLDER = "route-security-probe"


def _protected_operations(document: dict) -> list[tuple[str, str]]:
    operations = []
    for path, item in document["paths"].items():
        # /vendor/... is the vendor space; /vendors/{id} is a shop's public page (no sign-in).
        if not (path.startswith(("/vendor/", "/admin/")) or path in ("/vendor", "/admin")):
            continue
        for method in item:
            if method.upper() in {"GET", "POST", "PUT", "PATCH", "DELETE"}:
                operations.append((method.upper(), path))
    return sorted(operations)


@pytest.fixture
def callers(app_client, make_user):
    status, document, _ = call(app_client, "GET", "/openapi.json")
    assert status == 200
    return document, make_user("shopper"), make_user("vendor")


def test_vendor_and_admin_routes_refuse_callers_without_the_role(app_client, callers):
    document, shopper, vendor = callers
    operations = _protected_operations(document)
    assert any(p.startswith("/admin") for _, p in operations) and any(p.startswith("/vendor") for _, p in operations)

    wrong: list[str] = []
    for method, path in operations:
        url = re.sub(r"\{[^}]+\}", PLACEHOLDER, path)
        body = {} if method in {"POST", "PUT", "PATCH"} else None
        expected = [(None, 401), (shopper, 403)] + ([(vendor, 403)] if path.startswith("/admin") else [])
        for who, status in expected:
            got, answer, _ = call(app_client, method, url, body, token=who.access_token if who else None)
            if got != status or "error" not in (answer or {}):
                wrong.append(f"{method} {path} as {who.role if who else 'anonymous'}: {got}, expected {status}")
    assert wrong == []
