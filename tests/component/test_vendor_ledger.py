"""Commissions and the vendor ledger through the API: rules edited by the admin and frozen at checkout,
the ledger written with the order change that causes it (once, whatever retries), what each vendor
reads of its own money, and the reconciliation with the payment provider (local provider, real SDK)."""

from __future__ import annotations

import csv
import io

import pytest

from chalicelib.store import vendor_orders as vendor_order_store
from chalicelib.store import vendors as vendors_store
from tests.component.test_payment_events import Market, market  # noqa: F401  (the fixture)
from tests.fixtures.aws import call


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def connected(market):  # noqa: F811
    accounts = {market.catalog.vendor_a.user_id: market.payments.add_account()["id"],
                market.catalog.vendor_b.user_id: market.payments.add_account()["id"]}
    for vendor_id, account_id in accounts.items():
        vendors_store.set_vendor_payout_account(vendor_id, account_id)
    return accounts


def paid_and_delivered(market: Market) -> dict:  # noqa: F811
    market.add("tent", "a", 1)  # 199.00 outdoor, vendor A
    market.add("headphones", "b", 1)  # 129.00 electronics, vendor B
    order, payment = market.checkout()
    market.pay(payment["payment_intent_id"])
    market.settle()
    vendor_a = market.catalog.vendor_a.user_id
    market.ship(order["order_id"], market.catalog.vendor_a)
    status, body, _ = market.call("POST", f"/orders/{order['order_id']}/vendors/{vendor_a}/confirm-receipt")
    assert status == 200 and body["payout"]["status"] == "transferred", body
    return order


def test_a_paid_and_delivered_order_shows_sale_commission_and_transfer_in_the_vendors_ledger(market, connected):  # noqa: F811
    order = paid_and_delivered(market)
    vendor_a, vendor_b = market.catalog.vendor_a, market.catalog.vendor_b

    status, page, _ = market.call("GET", "/vendor/ledger", token=vendor_a.access_token)
    assert status == 200
    mine = {(e["kind"], e["amount"]["amount"]) for e in page["items"] if e["order_id"] == order["order_id"]}
    assert mine == {("sale", 19900), ("commission", -1990), ("payout_release", 0), ("transfer", -17910)}
    (transfer,) = market.transfers_of(order["order_id"])
    assert [e["provider_object_id"] for e in page["items"] if e["kind"] == "transfer"] == [transfer["id"]]

    assert market.call("GET", "/vendor/balance", token=vendor_a.access_token)[1] == {
        "currency": "EUR", "pending": 0, "available": 0, "paid_out": 17910, "earned": 17910}
    # Vendor B's part is still waiting for its delivery, and B never sees A's entries.
    _, theirs, _ = market.call("GET", "/vendor/ledger", token=vendor_b.access_token)
    assert {e["kind"] for e in theirs["items"]} == {"sale", "commission"}
    assert all(e["entry_id"].split(":")[1] == vendor_b.user_id for e in theirs["items"])
    assert market.call("GET", "/vendor/balance", token=vendor_b.access_token)[1]["pending"] == 12900 - 1290
    _, payouts, _ = market.call("GET", "/vendor/payouts", token=vendor_b.access_token)
    assert payouts["transfers"] == [] and payouts["due"][0]["status"] == "awaiting_delivery"
    _, payouts, _ = market.call("GET", "/vendor/payouts", token=vendor_a.access_token)
    assert [t["amount"]["amount"] for t in payouts["transfers"]] == [17910]
    assert payouts["sales_per_week"][-1]["sales"] == 19900

    response = market.client.http.get("/vendor/ledger.csv",
                                      headers={"Authorization": f"Bearer {vendor_a.access_token}"})
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.body.decode())))
    assert rows[0][:3] == ["at", "kind", "amount"]
    assert {(r[1], r[2]) for r in rows[1:]} == {("sale", "199.00"), ("commission", "-19.90"),
                                                ("transfer", "-179.10")}


def test_the_reconciliation_is_clean_then_lists_a_transfer_broken_on_purpose(market, connected, admin):  # noqa: F811
    order = paid_and_delivered(market)
    status, clean, _ = market.call("GET", "/admin/reconciliation", token=admin.access_token)
    assert status == 200 and clean["reconciled"] is True and clean["checked"]["transfers"] == 1

    (transfer,) = market.transfers_of(order["order_id"])
    market.payments.ledger.objects[transfer["id"]]["amount"] = 15000  # the provider's side, broken

    _, broken, _ = market.call("GET", "/admin/reconciliation", token=admin.access_token)
    assert broken["reconciled"] is False
    assert [(m["provider_object_id"], m["problem"], m["ledger_amount"], m["provider_amount"])
            for m in broken["mismatches"]] == [(transfer["id"], "amount_differs", 17910, 15000)]
    assert market.call("GET", "/admin/reconciliation", token=market.catalog.vendor_a.access_token)[0] == 403


def test_commission_rules_are_edited_by_the_admin_and_frozen_on_each_sub_order_at_checkout(market, admin):  # noqa: F811
    vendor_b = market.catalog.vendor_b.user_id
    status, rules, _ = market.call("GET", "/admin/commissions", token=admin.access_token)
    assert status == 200 and rules["default_bps"] == 1000 and rules["version"] == 0
    status, saved, _ = market.call("PUT", "/admin/commissions", {
        "default_bps": 1000, "categories": {"outdoor": 1500}, "vendors": {vendor_b: 500}, "version": 0},
        token=admin.access_token)
    assert status == 200 and saved["version"] == 1 and saved["categories"] == {"outdoor": 1500}

    market.add("tent", "a", 1)  # outdoor -> 15 %
    market.add("headphones", "b", 1)  # vendor B's own rate wins over electronics/default -> 5 %
    order, _ = market.checkout()
    frozen = {v["vendor_id"]: v for v in vendor_order_store.list_vendor_orders(order["order_id"])}
    assert (frozen[market.catalog.vendor_a.user_id]["commission"], frozen[market.catalog.vendor_a.user_id]
            ["commission_bps"]) == (2985, 1500)
    assert frozen[vendor_b]["commission"] == 645 and frozen[vendor_b]["commission_rates"][0]["rule"] == "vendor"

    # A later change never touches the order already placed.
    market.call("PUT", "/admin/commissions", {"default_bps": 2000, "version": 1}, token=admin.access_token)
    again = {v["vendor_id"]: v["commission"] for v in vendor_order_store.list_vendor_orders(order["order_id"])}
    assert again[vendor_b] == 645 and again[market.catalog.vendor_a.user_id] == 2985


@pytest.mark.parametrize("body, field", [
    ({"default_bps": 5001}, "default_bps"),
    ({"default_bps": 1000, "categories": {"outdoor": -5}}, "categories.outdoor"),
    ({"default_bps": "1000"}, "default_bps"),
    ({"default_bps": 1000, "commission": 1}, "commission"),
    ({}, "default_bps"),
])
def test_invalid_rules_are_a_400_naming_the_field(shared_catalog, body, field):
    from chalicelib.services import accounts

    accounts.ensure_user("ops-admin@example.com", "Passw0rd!x", "admin", "Ops")
    token = accounts.sign_in("ops-admin@example.com", "Passw0rd!x")["access_token"]
    status, error, _ = call(shared_catalog.client, "PUT", "/admin/commissions", body, token=token)
    assert status == 400, error
    assert any(name.startswith(field) for name in error["error"]["fields"]), error


@pytest.mark.parametrize("method, path", [
    ("GET", "/vendor/ledger"), ("GET", "/vendor/ledger.csv"), ("GET", "/vendor/balance"), ("GET", "/vendor/payouts"),
    ("GET", "/admin/commissions"), ("PUT", "/admin/commissions"), ("GET", "/admin/reconciliation"),
])
def test_anonymous_callers_get_401_and_shoppers_403(shared_catalog, method, path):
    body = {"default_bps": 100} if method == "PUT" else None
    assert call(shared_catalog.client, method, path, body)[0] == 401
    assert call(shared_catalog.client, method, path, body, token=shared_catalog.shopper.access_token)[0] == 403


def test_vendors_cannot_reach_the_admin_routes_and_a_bad_period_is_a_400(shared_catalog):
    token = shared_catalog.vendor_a.access_token
    assert call(shared_catalog.client, "PUT", "/admin/commissions", {"default_bps": 0}, token=token)[0] == 403
    status, error, _ = call(shared_catalog.client, "GET", "/vendor/ledger?since=yesterday", token=token)
    assert status == 400 and "since" in error["error"]["fields"]
    status, error, _ = call(shared_catalog.client, "GET", "/vendor/ledger?since=2026-12-01&until=2026-11-01",
                            token=token)
    assert status == 400 and "until" in error["error"]["fields"]
    status, error, _ = call(shared_catalog.client, "GET", "/vendor/ledger?cursor=abc", token=token)
    assert status == 400 and "cursor" in error["error"]["fields"]


# --- the same transaction, once -----------------------------------------------------------------


def _paid_in_memory_then_saved(market):  # noqa: F811
    """An order placed through the API, its payment applied directly on the aggregate (not saved yet)."""
    from chalicelib.domain.orders import PaymentOutcome
    from chalicelib.store.order_repository import DynamoOrderRepository

    market.add("tent", "a", 1)
    order, _ = market.checkout()
    repo = DynamoOrderRepository()
    loaded = repo.get(order["order_id"])
    effects = loaded.apply_payment(PaymentOutcome.SUCCEEDED, at="2026-11-27T03:00:00Z", charge_id="ch_x")
    return repo, loaded, effects


def _entries(vendor_id):
    from chalicelib.store.ledger import DynamoLedger

    return [(e.kind, e.amount) for e in DynamoLedger().entries(vendor_id)]


def test_ledger_entries_are_written_only_with_the_order_change_that_books_them(market):  # noqa: F811
    from chalicelib.domain.ports import ConcurrentUpdate
    from chalicelib.store import orders as order_store

    repo, order, effects = _paid_in_memory_then_saved(market)
    order_store.set_payment_intent(order.order_id, order.payment_intent_id, None)  # someone else moves the order

    with pytest.raises(ConcurrentUpdate):
        repo.save(order, effects=effects)
    assert _entries(market.catalog.vendor_a.user_id) == []  # the order change lost: no entry either


def test_a_change_re_applied_after_its_write_went_through_writes_each_entry_once(market):  # noqa: F811
    repo, order, effects = _paid_in_memory_then_saved(market)
    booked = list(order.ledger_entries)
    repo.save(order, effects=effects)
    # The same entries again with a later change (as if re-applied): the order saves, the ledger keeps one of each.
    fresh = repo.get(order.order_id)
    fresh.ledger_entries = booked
    repo.save(fresh, effects=[])

    assert sorted(_entries(market.catalog.vendor_a.user_id)) == [("commission", -1990), ("sale", 19900)]
    assert repo.get(order.order_id).version == fresh.version
