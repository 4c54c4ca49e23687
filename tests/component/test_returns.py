"""Return requests through the API (moto, the local payment provider): the shopper asks to return a
delivered line, the vendor approves (or its rules do), the shopper sends it back, the vendor
receives it and the shopper is refunded exactly what they paid for those units, once; a request
nobody answers escalates to the admin's queue; only the order's shopper, the sub-order's vendor
and admins see a return, by any id, and no amount is ever taken from a body."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

import pytest
import requests

from chalicelib.store import vendors as vendors_store
from tests.component.test_payment_events import Market
from tests.fixtures.aws import call
from tests.fixtures.s3_post import upload

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
    entries = [e for e in vendor_call(market, vendor, "GET", "/vendor/ledger")[1]["items"] if e["order_id"] == oid]
    amounts = {e["kind"]: e["amount"]["amount"] for e in entries}
    assert amounts["refund"] == -19900  # this vendor bears exactly the returned line
    assert amounts["transfer_reversal"] > 0  # and gives it back from the payout it was already sent
    (reversal,) = market.payments.ledger.of_kind("transfer_reversal")
    assert reversal["transfer"] == transfer["id"] and reversal["amount"] == amounts["transfer_reversal"]


def test_the_demo_seed_leaves_two_delivered_two_vendor_orders_to_return_once(stack, payments):
    from chalicelib.services import returns, wiring
    from chalicelib.store import orders as order_store
    from devstack.seed import seed_demo

    shopper_id = seed_demo(payments=payments)["shopper"]["user_id"]
    seed_demo(payments=payments)  # a restart: no more orders

    listed, _ = order_store.list_orders_for_shopper(shopper_id, limit=10)
    found = [wiring.order_repository().get(item["order_id"]) for item in listed]
    assert len(found) == 2
    for order in found:
        assert order.status.value == "paid" and len(order.vendor_orders) == 2
        assert {v.state.value for v in order.vendor_orders.values()} == {"delivered"}
        assert len(returns.list_order_returns(shopper_id, order.order_id)["returnable"]) == 2
    assert sum(1 for o in found for v in o.vendor_orders.values() if v.transfer_id) == 1  # Alpine, paid out


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64


def test_photos_are_uploaded_under_the_shoppers_prefix_checked_and_shown_to_the_vendor(market, make_user):
    order = delivered_order(market)
    oid, bucket = order["order_id"], os.environ["HALLES_IMAGES_BUCKET"]
    status, form, _ = market.call("POST", "/returns/photos/uploads", {"content_type": "image/png"})
    assert status == 201 and form["key"].startswith(f"returns/{market.shopper.user_id}/")
    assert upload(form, bucket, PNG) in (200, 201, 204)
    _, fake, _ = market.call("POST", "/returns/photos/uploads", {"content_type": "image/png"})
    upload(fake, bucket, b"<svg onload='alert(1)'></svg>" + b" " * 32)
    stranger = make_user("shopper")
    _, theirs, _ = call(market.client, "POST", "/returns/photos/uploads", {"content_type": "image/png"},
                        token=stranger.access_token)
    upload(theirs, bucket, PNG)

    not_mine = ask(market, oid, photos=[theirs["key"]])
    not_an_image = ask(market, oid, photos=[fake["key"]])
    svg = market.call("POST", "/returns/photos/uploads", {"content_type": "image/svg+xml"})
    status, asked, _ = ask(market, oid, photos=[form["key"]])

    assert not_mine[0] == 403 and "photos[0]" in not_mine[1]["error"]["fields"]
    assert not_an_image[0] == 400 and "photos[0]" in not_an_image[1]["error"]["fields"]
    assert svg[0] == 400 and "content_type" in svg[1]["error"]["fields"]
    assert status == 201, asked
    seen = market.call("GET", f"/returns/{asked['return_id']}", token=market.catalog.vendor_a.access_token)[1]
    (link,) = seen["photos"]
    assert requests.get(link, timeout=10).content == PNG
