"""Vendor fulfilment through the API (moto, the local payment provider): a vendor sees only its own
paid sub-orders with the shipping address, accepts, ships with tracking, marks delivered or cancels
a line (the shopper is refunded once, the units are back on sale); the shopper confirms receipt only
once shipped, or the schedule does it after the waiting period; either pays the vendor once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.store import vendors as vendors_store
from tests.component.test_payment_events import TRACKING, Market
from tests.fixtures.aws import call


@pytest.fixture
def market(app_client, catalog, payments, make_user, drain, take_messages, stack):
    payments.webhook_target = lambda body, headers: app_client.http.post(
        "/webhooks/stripe", body=body, headers=headers).status_code
    shop = Market(app_client, catalog, make_user("shopper"), payments, drain, take_messages, stack)
    take_messages("notifications")  # sign-ups of the test users
    return shop


@pytest.fixture
def connected(market):
    """Both test vendors onboarded with a connected account at the provider."""
    accounts = {vendor.user_id: market.payments.add_account()["id"]
                for vendor in (market.catalog.vendor_a, market.catalog.vendor_b)}
    for vendor_id, account_id in accounts.items():
        vendors_store.set_vendor_payout_account(vendor_id, account_id)
    return accounts


def paid_order(shop: Market) -> dict:
    shop.add("tent", "a", 2)  # 2 x 199.00 from vendor a
    shop.add("headphones", "b", 1)
    order, payment = shop.checkout()
    shop.pay(payment["payment_intent_id"])
    shop.settle()
    return order


def as_vendor(shop: Market, vendor, method: str, path: str, body=None):
    return shop.call(method, path, body, token=vendor.access_token)


def test_a_vendor_lists_its_own_paid_sub_orders_with_the_address(market):
    order = paid_order(market)
    market.add("tent", "a", 1)
    unpaid, _ = market.checkout()

    status, listed, _ = as_vendor(market, market.catalog.vendor_a, "GET", "/vendor/orders")

    assert status == 200
    assert [o["order_id"] for o in listed["items"]] == [order["order_id"]]  # not the unpaid one
    (mine,) = listed["items"]
    assert mine["shipping_address"]["city"] and mine["status"] == "placed"
    assert [(line["offer_id"], line["quantity"]) for line in mine["lines"]] == [
        (market.catalog.offers[("tent", "a")], 2)]  # never the other vendor's lines
    assert mine["totals"]["total"] == {"amount": 39800, "currency": "EUR"}
    assert mine["allowed_actions"] == ["accept", "cancel_line"]
    assert as_vendor(market, market.catalog.vendor_a, "GET", f"/vendor/orders/{unpaid['order_id']}")[0] == 404
    assert as_vendor(market, market.catalog.vendor_a, "GET", "/vendor/orders?status=shipped")[1]["items"] == []


def test_another_vendor_shoppers_and_anonymous_callers_cannot_see_or_act(market):
    order = paid_order(market)
    market.add("tent", "a", 1)  # an order with nothing from vendor b
    only_a, payment = market.checkout()
    market.pay(payment["payment_intent_id"])
    market.settle()
    vendor_b, oid = market.catalog.vendor_b, only_a["order_id"]
    line = market.catalog.offers[("tent", "a")]

    for method, path, body in (("GET", f"/vendor/orders/{oid}", None), ("POST", f"/vendor/orders/{oid}/accept", None),
                               ("POST", f"/vendor/orders/{oid}/ship", TRACKING),
                               ("POST", f"/vendor/orders/{oid}/deliver", None),
                               ("POST", f"/vendor/orders/{oid}/lines/{line}/cancel", {"reason": "no"})):
        assert as_vendor(market, vendor_b, method, path, body)[0] == 404, path
        assert market.call(method, path, body)[0] == 403, path  # the shopper
        assert call(market.client, method, path, body)[0] == 401, path
    assert market.order(oid)["vendors"][0]["status"] == "placed"
    assert order["order_id"] in [o["order_id"] for o in as_vendor(market, vendor_b, "GET", "/vendor/orders")[1]["items"]]


def test_a_retried_accept_and_ship_change_the_order_once_and_the_shopper_sees_the_tracking(market):
    order = paid_order(market)
    vendor, oid = market.catalog.vendor_a, order["order_id"]
    market.take_messages("notifications")

    assert as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/ship", TRACKING)[1]["error"]["fields"] == {
        "status": "placed", "allowed_actions": "accept, cancel_line"}
    first = as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/accept")
    again = as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/accept")
    shipped = as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/ship", TRACKING)
    reshipped = as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/ship", TRACKING)

    assert first[0] == again[0] == shipped[0] == reshipped[0] == 200
    assert again[1]["accepted_at"] == first[1]["accepted_at"]
    assert reshipped[1]["shipped_at"] == shipped[1]["shipped_at"] and shipped[1]["shipment"] == TRACKING
    types = [t for t, order_id in market.published() if order_id == oid]
    assert types.count("order.accepted") == 1 and types.count("order.shipped") == 1
    seen = market.order(oid)
    (group,) = [v for v in seen["vendors"] if v["vendor_id"] == vendor.user_id]
    assert group["shipment"] == TRACKING and group["can_confirm_receipt"] is True
    assert any(e["kind"] == "shipment" for e in seen["timeline"])
    assert "accepted" not in " ".join(e["label"].lower() for e in seen["timeline"])  # the vendor's business


def test_bad_ship_bodies_are_400s_naming_the_field(market):
    order = paid_order(market)
    vendor, oid = market.catalog.vendor_a, order["order_id"]
    as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/accept")

    http = as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/ship", {**TRACKING, "tracking_url": "http://x.y/1"})
    owner = as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/ship", {**TRACKING, "vendor_id": "other"})
    blank = as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/ship", {**TRACKING, "carrier": " "})

    assert http[0] == 400 and "tracking_url" in http[1]["error"]["fields"]
    assert owner[0] == 400 and "vendor_id" in owner[1]["error"]["fields"]
    assert blank[0] == 400 and "carrier" in blank[1]["error"]["fields"]
    assert {v["vendor_id"]: v["status"] for v in market.order(oid)["vendors"]}[vendor.user_id] == "accepted"


def test_receipt_only_once_shipped_then_the_vendor_is_paid_once(market, connected):
    order = paid_order(market)
    vendor, oid, vendor_id = market.catalog.vendor_a, order["order_id"], market.catalog.vendor_a.user_id
    receipt = f"/orders/{oid}/vendors/{vendor_id}/confirm-receipt"
    as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/accept")

    early = market.call("POST", receipt)
    assert early[0] == 409 and early[1]["error"]["code"] == "not_shipped"
    assert as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/deliver")[0] == 409  # not shipped either

    as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/ship", TRACKING)
    assert as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/deliver")[1]["status"] == "delivered"
    assert market.transfers_of(oid) == []  # the vendor's own mark pays nothing
    status, body, _ = market.call("POST", receipt)
    again = market.call("POST", receipt)[1]

    assert status == 200 and body["payout"]["status"] == "transferred"
    assert again["receipt_confirmed_at"] == body["receipt_confirmed_at"]
    (transfer,) = market.transfers_of(oid)
    assert transfer["destination"] == connected[vendor_id]


def test_receipt_is_auto_confirmed_after_the_waiting_period_and_pays_once(market, connected, monkeypatch):
    monkeypatch.setenv("HALLES_AUTO_CONFIRM_DAYS", "3")
    order = paid_order(market)
    vendor, oid = market.catalog.vendor_a, order["order_id"]
    as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/accept")
    as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/ship", TRACKING)
    from chalicelib.services.payouts import auto_confirm_receipts as sweep

    assert sweep() == {}  # shipped just now: not yet (HALLES_AUTO_CONFIRM_DAYS=3)
    assert sweep(datetime.now(UTC) + timedelta(days=3, minutes=1)) == {"confirmed": 1}
    assert sweep(datetime.now(UTC) + timedelta(days=4)) == {}

    (transfer,) = market.transfers_of(oid)
    assert transfer["destination"] == connected[vendor.user_id]
    seen = as_vendor(market, vendor, "GET", f"/vendor/orders/{oid}")[1]
    assert seen["receipt_confirmed_by"] == "auto" and seen["status"] == "delivered"


def test_a_cancelled_line_is_refunded_once_and_its_units_are_back_on_sale(market, connected):
    order = paid_order(market)
    vendor, oid = market.catalog.vendor_a, order["order_id"]
    line = market.catalog.offers[("tent", "a")]
    assert market.stock("tent", "a") == (3, 0, 2)
    intent_id = market.order(oid)["payment"]["payment_intent_id"]

    status, seen, _ = as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/lines/{line}/cancel",
                                {"reason": "damaged in the warehouse"})
    again = as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/lines/{line}/cancel", {"reason": "again"})
    market.settle()  # the provider's charge.refunded event comes back: recorded once

    assert status == 200 and again[0] == 200
    (refund,) = market.refunds_of(intent_id)
    assert refund["amount"] == 2 * 19900
    assert market.stock("tent", "a") == (5, 0, 0)
    (cancelled,) = seen["lines"]
    assert cancelled["cancelled"] and cancelled["refunded"] == {"amount": 39800, "currency": "EUR"}
    assert seen["status"] == "cancelled" and seen["allowed_actions"] == []  # its only line
    assert ("order.line_cancelled", oid) in market.published()
    shopper_view = market.order(oid)
    assert {v["vendor_id"]: v["status"] for v in shopper_view["vendors"]}[vendor.user_id] == "cancelled"
    assert as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/accept")[0] == 409
    # The other vendor's part still ships and is paid in full.
    market.ship(oid, market.catalog.vendor_b)
    paid = market.call("POST", f"/orders/{oid}/vendors/{market.catalog.vendor_b.user_id}/confirm-receipt")[1]
    assert paid["payout"]["amount"]["amount"] == 12900 - 1290


def test_a_line_cannot_be_cancelled_once_shipped(market):
    order = paid_order(market)
    vendor, oid = market.catalog.vendor_a, order["order_id"]
    market.ship(oid, vendor)
    line = market.catalog.offers[("tent", "a")]

    late = as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/lines/{line}/cancel", {"reason": "late"})

    assert late[0] == 409 and late[1]["error"]["fields"]["allowed_actions"] == "deliver"
    assert market.stock("tent", "a") == (3, 0, 2)


def test_a_vendors_own_systems_read_with_a_read_key_and_ship_with_a_write_key(market):
    order = paid_order(market)
    oid, vendor = order["order_id"], market.catalog.vendor_a

    def key(scope: str, who=vendor) -> str:
        status, body, _ = as_vendor(market, who, "POST", "/vendor/api-keys", {"name": f"WMS {scope}", "scope": scope})
        assert status == 201, body
        return body["secret"]

    reader, writer, other = key("read"), key("write"), key("write", market.catalog.vendor_b)

    assert [o["order_id"] for o in market.call("GET", "/vendor/orders", token=reader)[1]["items"]] == [oid]
    assert market.call("POST", f"/vendor/orders/{oid}/accept", token=reader)[0] == 403
    assert market.call("POST", f"/vendor/orders/{oid}/accept", token=writer)[1]["status"] == "accepted"
    assert market.call("POST", f"/vendor/orders/{oid}/ship", TRACKING, token=writer)[1]["status"] == "shipped"
    # Vendor b's key sees b's part only, and nothing of a's.
    assert market.call("GET", f"/vendor/orders/{oid}", token=other)[1]["status"] == "placed"
    assert market.call("POST", f"/vendor/orders/{oid}/deliver", token=other)[0] == 409


def test_a_paid_out_sub_order_is_stored_in_one_kilobyte_and_its_vendor_still_sees_the_address(market, connected):
    # Its item is rewritten on every step and billed per KB of it whole: the order item keeps the lines
    # and the address (the one copy), the vendor's item only its own state.
    import boto3

    from chalicelib.settings import get_settings
    from scripts.bench_cost import item_size

    order = paid_order(market)
    vendor, oid = market.catalog.vendor_a, order["order_id"]
    as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/accept")
    as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/ship", TRACKING)
    assert market.call("POST", f"/orders/{oid}/vendors/{vendor.user_id}/confirm-receipt")[0] == 200

    stored = boto3.client("dynamodb", region_name=get_settings().region).get_item(
        TableName=get_settings().table_name("vendor-orders"),
        Key={"order_id": {"S": oid}, "vendor_id": {"S": vendor.user_id}}, ConsistentRead=True)["Item"]
    assert item_size(stored) <= 1024
    status, seen, _ = as_vendor(market, vendor, "GET", f"/vendor/orders/{oid}")
    assert status == 200 and seen["shipping_address"] == order["shipping_address"]


def test_an_order_enters_the_vendors_list_index_only_once_paid(market):
    # The vendor's list shows paid orders only: an order pending payment (most never paid) is not
    # written into its index, neither when placed nor when it expires; paid, it is listed newest first.
    import boto3

    from chalicelib.settings import get_settings

    def indexed(order_id: str) -> list[str]:
        found = boto3.client("dynamodb", region_name=get_settings().region).query(
            TableName=get_settings().table_name("vendor-orders"), IndexName="by_vendor",
            KeyConditionExpression="vendor_id = :v",
            ExpressionAttributeValues={":v": {"S": market.catalog.vendor_a.user_id}})["Items"]
        return [item["status"]["S"] for item in found if item["order_id"]["S"] == order_id]

    market.add("tent", "a", 1)
    order, payment = market.checkout()
    assert indexed(order["order_id"]) == []
    market.pay(payment["payment_intent_id"])
    market.settle()

    assert indexed(order["order_id"]) == ["placed"]
    status, listed, _ = as_vendor(market, market.catalog.vendor_a, "GET", "/vendor/orders")
    assert status == 200 and listed["items"][0]["order_id"] == order["order_id"]


def test_an_order_paid_out_to_both_vendors_is_still_stored_in_one_kilobyte(market, connected):
    # The order item is saved in a transaction at every step (2 WRU under 1 KB, 4 over it); its document is
    # compressed against a dictionary of a whole order's life (chalicelib/store/order_packing.py).
    import boto3

    from chalicelib.settings import get_settings
    from scripts.bench_cost import item_size

    order = paid_order(market)
    oid = order["order_id"]
    for vendor in (market.catalog.vendor_a, market.catalog.vendor_b):
        as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/accept")
        as_vendor(market, vendor, "POST", f"/vendor/orders/{oid}/ship", TRACKING)
    for vendor in (market.catalog.vendor_a, market.catalog.vendor_b):
        status, answer, _ = market.call("POST", f"/orders/{oid}/vendors/{vendor.user_id}/confirm-receipt")
        assert status == 200 and answer["payout"]["status"] == "transferred", answer

    stored = boto3.client("dynamodb", region_name=get_settings().region).get_item(
        TableName=get_settings().table_name("orders"), Key={"order_id": {"S": oid}}, ConsistentRead=True)["Item"]
    assert item_size(stored) <= 1024
    from chalicelib.store.order_repository import DynamoOrderRepository

    read = DynamoOrderRepository().get(oid)
    assert [v.state.value for v in read.vendor_orders.values()] == ["delivered", "delivered"]
    assert len(read.ledger_ids) == 8 and read.shipping_address == order["shipping_address"]


def test_a_two_vendor_checkouts_stored_answer_is_one_write_unit_and_a_retry_gets_it_whole(market):
    # The checkout's answer is kept for its idempotency key (chalicelib/store/idempotency.py), packed against
    # a dictionary of a checkout's answer.
    import uuid

    import boto3

    from chalicelib.services.checkout import CHECKOUT_ONCE
    from chalicelib.settings import get_settings
    from scripts.bench_cost import item_size
    from tests.fixtures.addresses import checkout_body

    market.add("tent", "a", 1)
    market.add("headphones", "b", 1)
    key = uuid.uuid4().hex
    first = market.call("POST", "/checkout", checkout_body(), None, {"Idempotency-Key": key})
    again = market.call("POST", "/checkout", checkout_body(), None, {"Idempotency-Key": key})
    assert first[0] == 201 and again[:2] == first[:2]

    record_id = CHECKOUT_ONCE.record_id([market.shopper.user_id, key])
    stored = boto3.client("dynamodb", region_name=get_settings().region).get_item(
        TableName=get_settings().table_name("idempotency"), Key={"id": {"S": record_id}}, ConsistentRead=True)["Item"]
    assert item_size(stored) <= 1024
