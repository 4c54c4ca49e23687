"""An admin's adjustment of a vendor's money: booked once per Idempotency-Key as an `adjustment` entry,
seen by the vendor in its ledger, balance and CSV, counted by the reconciliation; bad input named."""

from __future__ import annotations

import uuid

import pytest

from tests.component.test_payment_events import market  # noqa: F401  (the fixture)
from tests.fixtures.aws import call


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def adjust(market, admin, vendor_id, body, key=None):  # noqa: F811
    return market.call("POST", f"/admin/vendors/{vendor_id}/adjustments", body, token=admin.access_token,
                       headers={"Idempotency-Key": key or uuid.uuid4().hex})


def test_an_adjustment_shows_in_the_vendors_ledger_balance_csv_and_reconciliation_once(market, admin):  # noqa: F811
    vendor = market.catalog.vendor_a
    market.add("tent", "a", 1)
    order, _ = market.checkout()
    before = market.call("GET", "/vendor/balance", token=vendor.access_token)[1]
    body = {"amount": 1250, "currency": "EUR", "reason": "Goodwill: courier lost the parcel",
            "order_id": order["order_id"]}

    status, booked, _ = adjust(market, admin, vendor.user_id, body, key="adj-key-0001")
    again = adjust(market, admin, vendor.user_id, body, key="adj-key-0001")
    reused = adjust(market, admin, vendor.user_id, {**body, "amount": -1250}, key="adj-key-0001")
    debit = adjust(market, admin, vendor.user_id, {"amount": -250, "currency": "EUR", "reason": "Label fee"})

    assert status == 201 and booked["kind"] == "adjustment" and booked["amount"] == {"amount": 1250,
                                                                                     "currency": "EUR"}
    assert booked["order_id"] == order["order_id"] and booked["details"]["reason"] == body["reason"]
    assert again[0] == 200 and again[1]["entry_id"] == booked["entry_id"]
    assert reused[0] == 422 and "Idempotency-Key" in reused[1]["error"]["fields"]
    assert debit[0] == 201
    ledger = market.call("GET", "/vendor/ledger", token=vendor.access_token)[1]["items"]
    assert sorted(e["amount"]["amount"] for e in ledger if e["kind"] == "adjustment") == [-250, 1250]
    after = market.call("GET", "/vendor/balance", token=vendor.access_token)[1]
    # Nothing waits on a delivery: the net 10.00 is available at once (the unpaid order earns nothing yet).
    assert after["available"] - before["available"] == 1000 and after["earned"] - before["earned"] == 1000
    response = market.client.http.get("/vendor/ledger.csv", headers={"Authorization": f"Bearer {vendor.access_token}"})
    assert response.status_code == 200 and response.body.decode().count(",adjustment,") == 2
    status, report, _ = market.call("GET", f"/admin/reconciliation?vendor_id={vendor.user_id}",
                                    token=admin.access_token)
    assert status == 200 and report["reconciled"] is True
    assert report["checked"]["adjustments"] == 2 and report["checked"]["adjustments_net"] == {"EUR": 1000}
    # The other vendor's money did not move.
    theirs = market.call("GET", "/vendor/ledger", token=market.catalog.vendor_b.access_token)[1]["items"]
    assert not [e for e in theirs if e["kind"] == "adjustment"]


@pytest.mark.parametrize("body, field", [
    ({"amount": 0, "currency": "EUR", "reason": "Nothing at all"}, "amount"),
    ({"amount": 100_000_01, "currency": "EUR", "reason": "Far too much"}, "amount"),
    ({"amount": 100, "currency": "USD", "reason": "Wrong currency"}, "currency"),
    ({"amount": 100, "currency": "EUR", "reason": "no"}, "reason"),
    ({"amount": "100", "currency": "EUR", "reason": "A string amount"}, "amount"),
    ({"amount": 100, "currency": "EUR", "reason": "Extra field", "vendor_id": "someone"}, "vendor_id"),
    ({"amount": 100, "currency": "EUR", "reason": "Unknown order", "order_id": "ord_nope"}, "order_id"),
], ids=["zero", "too-large", "other-currency", "short-reason", "string-amount", "vendor-id-in-body",
        "unknown-order"])
def test_a_bad_adjustment_is_a_400_naming_the_field_and_books_nothing(market, admin, body, field):  # noqa: F811
    vendor = market.catalog.vendor_a
    status, answer, _ = adjust(market, admin, vendor.user_id, body)
    assert status == 400 and field in answer["error"]["fields"], answer
    ledger = market.call("GET", "/vendor/ledger", token=vendor.access_token)[1]["items"]
    assert not [e for e in ledger if e["kind"] == "adjustment"]


def test_only_admins_book_adjustments_on_a_known_vendor_and_only_on_its_own_orders(market, admin):  # noqa: F811
    vendor_a = market.catalog.vendor_a
    market.add("headphones", "b", 1)  # an order of vendor B only
    order_of_b, _ = market.checkout()
    body = {"amount": 100, "currency": "EUR", "reason": "A correction"}
    path = f"/admin/vendors/{vendor_a.user_id}/adjustments"
    headers = {"Idempotency-Key": uuid.uuid4().hex}

    assert call(market.client, "POST", path, body, headers=headers)[0] == 401
    assert market.call("POST", path, body, token=vendor_a.access_token, headers=headers)[0] == 403
    assert market.call("POST", path, body, headers=headers)[0] == 403  # the shopper
    assert adjust(market, admin, "vendor-that-does-not-exist", body)[0] == 404
    status, answer, _ = market.call("POST", path, body, token=admin.access_token)
    assert status == 400 and "Idempotency-Key" in answer["error"]["fields"]
    status, answer, _ = adjust(market, admin, vendor_a.user_id, {**body, "order_id": order_of_b["order_id"]})
    assert status == 400 and "order_id" in answer["error"]["fields"]
    assert not [e for e in market.call("GET", "/vendor/ledger", token=vendor_a.access_token)[1]["items"]
                if e["kind"] == "adjustment"]
