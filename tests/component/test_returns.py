"""Return requests through the API (moto, the local payment provider): the shopper asks to return a
delivered line, the vendor approves (or its rules do), the shopper sends it back, the vendor
receives it and the shopper is refunded exactly what they paid for those units, once; a request
nobody answers escalates to the admin's queue; only the order's shopper, the sub-order's vendor
and admins see a return, by any id, and no amount is ever taken from a body."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.store import vendors as vendors_store
from tests.component.test_payment_events import TRACKING, Market
from tests.fixtures.aws import call

BACK = {"carrier": "La Poste", "tracking_number": "6A123456789"}


@pytest.fixture
def market(app_client, catalog, payments, make_user, drain, take_messages, stack):
    payments.webhook_target = lambda body, headers: app_client.http.post(
        "/webhooks/stripe", body=body, headers=headers).status_code
    shop = Market(app_client, catalog, make_user("shopper"), payments, drain, take_messages, stack)
    take_messages("notifications")
    return shop


def delivered_order(shop: Market) -> dict:
    """2 tents (199.00 each) from vendor a and headphones (129.00) from vendor b, both delivered."""
    shop.add("tent", "a", 2)
    shop.add("headphones", "b", 1)
    order, payment = shop.checkout()
    shop.pay(payment["payment_intent_id"])
    shop.settle()
    for vendor in (shop.catalog.vendor_a, shop.catalog.vendor_b):
        shop.ship(order["order_id"], vendor)
        status, body, _ = shop.call("POST", f"/vendor/orders/{order['order_id']}/deliver", token=vendor.access_token)
        assert status == 200, body
    return order


def ask(shop: Market, order_id: str, quantity: int = 1, reason: str = "damaged", **extra):
    line = shop.catalog.offers[("tent", "a")]
    return shop.call("POST", f"/orders/{order_id}/returns",
                     {"lines": [{"line_id": line, "quantity": quantity}], "reason": reason, **extra})


def vendor_call(shop: Market, vendor, method: str, path: str, body=None):
    return shop.call(method, path, body, token=vendor.access_token)


def test_a_returned_line_is_refunded_exactly_what_was_paid_for_it_once(market):
    order = delivered_order(market)
    oid, vendor = order["order_id"], market.catalog.vendor_a
    intent_id = market.order(oid)["payment"]["payment_intent_id"]

    status, asked, _ = ask(market, oid)
    assert status == 201, asked
    rid = asked["return_id"]
    assert asked["state"] == "requested" and asked["refund_estimate"] == {"amount": 19900, "currency": "EUR"}
    queue = vendor_call(market, vendor, "GET", "/vendor/returns?state=requested")[1]["items"]
    assert [r["return_id"] for r in queue] == [rid]

    approved = vendor_call(market, vendor, "POST", f"/vendor/returns/{rid}/approve")[1]
    assert approved["state"] == "approved" and approved["label_reference"].startswith("RL-H-")
    assert market.call("POST", f"/returns/{rid}/ship-back", BACK)[1]["state"] == "shipped_back"
    before = market.stock("tent", "a")
    status, received, _ = vendor_call(market, vendor, "POST", f"/vendor/returns/{rid}/receive", {"restock": True})
    again = vendor_call(market, vendor, "POST", f"/vendor/returns/{rid}/receive", {"restock": True})
    market.settle()

    assert status == 200 and again[0] == 200, received
    assert received["state"] == "refunded" and received["refund"] == {"amount": 19900, "currency": "EUR"}
    (refund,) = market.refunds_of(intent_id)
    assert refund["amount"] == 19900
    available, _, sold = market.stock("tent", "a")
    assert (available, sold) == (before[0] + 1, before[2] - 1)
    seen = market.call("GET", f"/returns/{rid}")[1]
    assert [step["state"] for step in seen["timeline"]] == [
        "requested", "approved", "shipped_back", "received", "refunded"]
    types = [t for t, order_id in market.published() if order_id == oid]
    for step in ("requested", "approved", "shipped_back", "received", "refunded"):
        assert types.count(f"return.{step}") == 1, step


def test_the_vendors_rules_approve_at_once_and_a_changed_mind_bears_the_restocking_fee(market):
    order = delivered_order(market)
    oid, vendor = order["order_id"], market.catalog.vendor_a
    rules = {"window_days": 30, "restocking_percent": 10, "auto_approve_reasons": ["changed_mind"]}
    assert vendor_call(market, vendor, "PUT", "/vendor/return-rules", rules)[0] == 200

    asked = ask(market, oid, reason="changed_mind")[1]
    assert asked["state"] == "approved" and asked["decided_by"] == "auto"
    assert asked["refund_estimate"] == {"amount": 19900 - 1990, "currency": "EUR"}
    rid = asked["return_id"]
    market.call("POST", f"/returns/{rid}/ship-back", BACK)
    vendor_call(market, vendor, "POST", f"/vendor/returns/{rid}/receive", {"refund": False})
    greedy = vendor_call(market, vendor, "POST", f"/vendor/returns/{rid}/refund", {"restocking_percent": 20})
    assert greedy[0] == 400 and "restocking_percent" in greedy[1]["error"]["fields"]
    refunded = vendor_call(market, vendor, "POST", f"/vendor/returns/{rid}/refund", {"restocking_percent": 5})[1]
    assert refunded["refund"] == {"amount": 19900 - 995, "currency": "EUR"}
    assert refunded["restocking_fee"] == {"amount": 995, "currency": "EUR"}


def test_illegal_steps_are_409s_naming_the_allowed_ones_and_bad_bodies_400s(market):
    order = delivered_order(market)
    oid, vendor = order["order_id"], market.catalog.vendor_a
    rid = ask(market, oid)[1]["return_id"]

    early = vendor_call(market, vendor, "POST", f"/vendor/returns/{rid}/receive", {"restock": True})
    assert early[0] == 409 and early[1]["error"]["fields"] == {"state": "requested",
                                                               "allowed_actions": "approve, reject"}
    too_many = ask(market, oid, quantity=2)
    assert too_many[0] == 409 and too_many[1]["error"]["fields"] == {"lines[0].quantity": "at most 1"}
    other = ask(market, oid, reason="other")
    assert other[0] == 400 and "text" in other[1]["error"]["fields"]
    amount = ask(market, oid, amount=1)
    assert amount[0] == 400 and "amount" in amount[1]["error"]["fields"]
    vendor_field = vendor_call(market, vendor, "POST", f"/vendor/returns/{rid}/refund", {"amount": 1})
    assert vendor_field[0] == 400 and "amount" in vendor_field[1]["error"]["fields"]
    blank = vendor_call(market, vendor, "POST", f"/vendor/returns/{rid}/reject", {"reason": " "})
    assert blank[0] == 400 and "reason" in blank[1]["error"]["fields"]


def test_only_the_shopper_the_vendor_and_admins_see_or_act_on_a_return(market, make_user):
    order = delivered_order(market)
    oid = order["order_id"]
    rid = ask(market, oid)[1]["return_id"]
    stranger, admin = make_user("shopper"), make_user("admin")
    other_vendor = market.catalog.vendor_b  # sells in the same order, not this line

    assert call(market.client, "GET", f"/returns/{rid}", token=stranger.access_token)[0] == 404
    assert call(market.client, "GET", f"/orders/{oid}/returns", token=stranger.access_token)[0] == 404
    assert call(market.client, "POST", f"/orders/{oid}/returns",
                {"lines": [{"line_id": market.catalog.offers[("tent", "a")], "quantity": 1}],
                 "reason": "damaged"}, token=stranger.access_token)[0] == 404
    assert vendor_call(market, other_vendor, "GET", f"/returns/{rid}")[0] == 404
    assert vendor_call(market, other_vendor, "POST", f"/vendor/returns/{rid}/approve")[0] == 404
    assert vendor_call(market, other_vendor, "GET", "/vendor/returns")[1]["items"] == []
    assert market.call("POST", f"/vendor/returns/{rid}/approve")[0] == 403  # a shopper is no vendor
    assert market.call("GET", "/admin/returns")[0] == 403
    assert call(market.client, "GET", f"/returns/{rid}")[0] == 401
    assert call(market.client, "POST", f"/vendor/returns/{rid}/approve")[0] == 401
    assert vendor_call(market, market.catalog.vendor_a, "GET", f"/returns/{rid}")[1]["state"] == "requested"
    assert call(market.client, "GET", f"/returns/{rid}", token=admin.access_token)[0] == 200
    assert market.call("GET", "/returns/ret_doesnotexist")[0] == 404


def test_an_unanswered_request_escalates_once_and_the_admin_decides(market, make_user):
    from chalicelib.services import returns

    order = delivered_order(market)
    oid, vendor, admin = order["order_id"], market.catalog.vendor_a, make_user("admin")
    rid = ask(market, oid)[1]["return_id"]
    market.take_messages("notifications")

    assert returns.escalate_overdue_returns(datetime.now(UTC) + timedelta(days=2)) == {}
    assert returns.escalate_overdue_returns(datetime.now(UTC) + timedelta(days=3, minutes=1)) == {"escalated": 1}
    assert returns.escalate_overdue_returns(datetime.now(UTC) + timedelta(days=4)) == {}

    queue = call(market.client, "GET", "/admin/returns?state=escalated", token=admin.access_token)[1]["items"]
    assert [r["return_id"] for r in queue] == [rid]
    seen = market.call("GET", f"/returns/{rid}")[1]
    assert seen["state"] == "escalated" and seen["timeline"][-1]["state"] == "escalated"
    late = vendor_call(market, vendor, "POST", f"/vendor/returns/{rid}/approve")
    assert late[0] == 409 and late[1]["error"]["fields"]["allowed_actions"] == "none"
    decided = call(market.client, "POST", f"/admin/returns/{rid}/approve", token=admin.access_token)[1]
    assert decided["state"] == "approved" and decided["decided_by"] == "admin"
    assert call(market.client, "GET", "/admin/returns", token=admin.access_token)[1]["items"] == []
    assert [t for t, _ in market.published()].count("return.escalated") == 1


def test_a_return_of_a_paid_vendor_reverses_its_share_of_the_transfer(market):
    order = delivered_order(market)
    oid, vendor = order["order_id"], market.catalog.vendor_a
    account = market.payments.add_account()["id"]
    vendors_store.set_vendor_payout_account(vendor.user_id, account)
    market.call("POST", f"/orders/{oid}/vendors/{vendor.user_id}/confirm-receipt")
    (transfer,) = market.transfers_of(oid)

    rid = ask(market, oid)[1]["return_id"]
    vendor_call(market, vendor, "POST", f"/vendor/returns/{rid}/approve")
    market.call("POST", f"/returns/{rid}/ship-back", BACK)
    received = vendor_call(market, vendor, "POST", f"/vendor/returns/{rid}/receive", {"restock": False})[1]
    market.settle()

    assert received["refund"] == {"amount": 19900, "currency": "EUR"}
    kinds = [e["kind"] for e in vendor_call(market, vendor, "GET", "/vendor/ledger")[1]["items"]]
    assert "refund" in kinds and transfer["amount"] > 0
