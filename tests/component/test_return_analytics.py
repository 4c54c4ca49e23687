"""Return-cause analytics through the API (moto, the local payment provider): the published events in
(a real paid order; return steps published as the return requests will publish them), the figures
out for the vendor and the admin; a redelivered event counts once; a vendor sees only its own."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from chalicelib.domain.events import OrderSummary, ReturnApproved, ReturnRefunded, ReturnRequested
from chalicelib.domain.return_analytics import iso_week
from chalicelib.events import publish
from tests.component.test_payment_events import Market
from tests.fixtures.aws import REGION

VENDOR_PATH = "/vendor/analytics/returns"
ADMIN_PATH = "/admin/analytics/returns"


@pytest.fixture
def market(app_client, catalog, payments, make_user, drain, take_messages, stack):
    payments.webhook_target = lambda body, headers: app_client.http.post(
        "/webhooks/stripe", body=body, headers=headers).status_code
    shop = Market(app_client, catalog, make_user("shopper"), payments, drain, take_messages, stack)
    take_messages("notifications")
    return shop


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def paid_order(shop: Market) -> dict:
    shop.add("tent", "a", 2)
    shop.add("headphones", "b", 1)
    order, payment = shop.checkout()
    shop.pay(payment["payment_intent_id"])
    shop.settle()
    return order


def count_events(shop: Market) -> None:
    drained = shop._drain("return-analytics")
    assert not drained.errors and drained.failed == 0, drained


def now(hours: float = 0) -> str:
    return (datetime.now(UTC) + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ")


def return_step(event_class, shop: Market, order: dict, *, at: str, refund: int | None = None,
                return_id: str = "ret_01JDQ7W3M5X8Y2Z4A6B8C0D2E4", requested_at: str | None = None):
    """A step of a return of one tent from vendor a, in the shape the return requests publish."""
    summary = OrderSummary(order_id=order["order_id"], order_number=order.get("order_number", ""),
                           shopper_id=shop.shopper.user_id, total={"amount": 1, "currency": "EUR"},
                           vendor_ids=[shop.catalog.vendor_a.user_id])
    tent = shop.catalog.offers[("tent", "a")]
    line = next(x for x in order["lines"] if x["offer_id"] == tent)
    return event_class(summary, vendor_id=shop.catalog.vendor_a.user_id, return_id=return_id,
                       state=event_class.event_type.removeprefix("return."), reason="damaged",
                       lines=[{"offer_id": tent, "product_id": line["product_id"], "quantity": 1}],
                       requested_at=requested_at or at, at=at,
                       refund={"amount": refund, "currency": "EUR"} if refund is not None else None)


def figures(shop: Market, user, path: str = VENDOR_PATH) -> dict:
    status, body, _ = shop.call("GET", path, token=user.access_token)
    assert status == 200, body
    return body


def reasons(block: dict) -> dict[str, int]:
    return {r["reason"]: r["units"] for r in block["reasons"] if r["units"]}


def test_a_vendor_sees_its_sales_then_a_refunded_return_in_this_weeks_figures(market):
    order = paid_order(market)
    count_events(market)
    vendor_a = market.catalog.vendor_a

    before = figures(market, vendor_a)
    assert len(before["trend"]) == 12 and before["weeks"][-1] == iso_week(now())
    assert before["totals"]["units_sold"] == 2 and before["totals"]["return_rate"] == 0
    assert before["products"] == []  # no product listed before it has a return

    publish(return_step(ReturnRequested, market, order, at=now()))
    publish(return_step(ReturnRefunded, market, order, at=now(30), requested_at=now(), refund=19900))
    count_events(market)

    after = figures(market, vendor_a)
    assert after["totals"]["units_returned"] == 1
    assert after["totals"]["return_rate"] == 0.5
    assert reasons(after["totals"]) == {"damaged": 1}
    assert after["totals"]["refunded"] == [{"amount": 19900, "currency": "EUR"}]
    assert after["totals"]["median_hours_to_resolve"] == 30.0
    this_week = after["trend"][-1]
    assert (this_week["units_sold"], this_week["units_returned"]) == (2, 1)
    (tent,) = after["products"]
    assert tent["product_id"] == next(x["product_id"] for x in order["lines"]
                                      if x["offer_id"] == market.catalog.offers[("tent", "a")])
    assert tent["title"] and tent["return_rate"] == 0.5


def test_another_vendor_never_sees_the_figures_of_the_first(market):
    order = paid_order(market)
    publish(return_step(ReturnRequested, market, order, at=now()))
    count_events(market)

    theirs = figures(market, market.catalog.vendor_b)
    assert theirs["totals"]["units_sold"] == 1  # its headphones only
    assert theirs["totals"]["units_returned"] == 0 and theirs["products"] == []
    assert "vendors" not in theirs


def test_a_redelivered_event_counts_once(market, take_messages):
    order = paid_order(market)
    publish(return_step(ReturnRequested, market, order, at=now()))
    queued = take_messages("return-analytics")
    assert sorted(m["type"] for m in queued) == ["order.paid", "return.requested"]
    sqs = boto3.client("sqs", region_name=REGION)
    for message in queued * 3:  # SQS delivers at least once: each event arrives three times
        sqs.send_message(QueueUrl=market.stack.queues["return-analytics"], MessageBody=json.dumps(message))
    count_events(market)

    totals = figures(market, market.catalog.vendor_a)["totals"]
    assert (totals["units_sold"], totals["units_returned"], totals["returns"]) == (2, 1, 1)


def test_a_late_earlier_step_does_not_undo_the_refund(market):
    order = paid_order(market)
    publish(return_step(ReturnRefunded, market, order, at=now(2), requested_at=now(), refund=5000))
    count_events(market)
    publish(return_step(ReturnApproved, market, order, at=now(1), requested_at=now()))  # delivered late
    count_events(market)

    totals = figures(market, market.catalog.vendor_a)["totals"]
    assert totals["refunded"] == [{"amount": 5000, "currency": "EUR"}] and totals["resolved"] == 1


def test_a_cancelled_line_is_no_longer_counted_as_sold(market):
    order = paid_order(market)
    tent = market.catalog.offers[("tent", "a")]
    status, body, _ = market.call("POST", f"/vendor/orders/{order['order_id']}/lines/{tent}/cancel",
                                  {"reason": "out of stock"}, token=market.catalog.vendor_a.access_token)
    assert status == 200, body
    count_events(market)

    assert figures(market, market.catalog.vendor_a)["totals"]["units_sold"] == 0


def test_the_admin_sees_every_vendor_ranked_and_top_products(market, admin):
    order = paid_order(market)
    publish(return_step(ReturnRequested, market, order, at=now()))
    count_events(market)
    vendor_a, vendor_b = market.catalog.vendor_a.user_id, market.catalog.vendor_b.user_id

    everyone = figures(market, admin, ADMIN_PATH)
    assert [(v["vendor_id"], v["return_rate"]) for v in everyone["vendors"]] == [(vendor_a, 0.5), (vendor_b, 0.0)]
    assert [(p["vendor_id"], p["return_rate"]) for p in everyone["products"]] == [(vendor_a, 0.5)]
    assert everyone["totals"]["units_sold"] == 3

    only_b = figures(market, admin, f"{ADMIN_PATH}?vendor_id={vendor_b}&weeks=4")
    assert len(only_b["trend"]) == 4
    assert [v["vendor_id"] for v in only_b["vendors"]] == [vendor_b]
    assert only_b["totals"]["units_sold"] == 1


@pytest.mark.parametrize(("query", "field"), [("weeks=0", "weeks"), ("weeks=105", "weeks"), ("weeks=soon", "weeks")],
                         ids=["zero", "too-many", "not-a-number"])
def test_a_bad_period_is_a_400_naming_weeks(market, admin, query, field):
    for user, path in ((market.catalog.vendor_a, VENDOR_PATH), (admin, ADMIN_PATH)):
        status, body, _ = market.call("GET", f"{path}?{query}", token=user.access_token)
        assert status == 400, body
        assert field in body["error"]["fields"]


def test_a_malformed_vendor_id_is_a_400_naming_it(market, admin):
    status, body, _ = market.call("GET", f"{ADMIN_PATH}?vendor_id=a%20b", token=admin.access_token)
    assert status == 400 and "vendor_id" in body["error"]["fields"]


def test_who_may_read_which_figures(market, admin):
    anonymous = market.client.http.get(VENDOR_PATH)
    assert anonymous.status_code == 401
    assert market.client.http.get(ADMIN_PATH).status_code == 401
    assert market.call("GET", VENDOR_PATH)[0] == 403  # a shopper
    assert market.call("GET", ADMIN_PATH)[0] == 403
    assert market.call("GET", ADMIN_PATH, token=market.catalog.vendor_a.access_token)[0] == 403
    assert market.call("GET", VENDOR_PATH, token=admin.access_token)[0] == 403


def test_an_event_analytics_does_not_count_fails_to_the_dlq(market):
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.send_message(QueueUrl=market.stack.queues["return-analytics"], MessageBody=json.dumps(
        {"event_id": "e-1", "type": "return.requested", "occurred_at": now(), "data": {"order_id": "x"}}))
    drained = market._drain("return-analytics")
    assert drained.failed >= 1 and drained.processed == 0
    dlq = sqs.get_queue_url(QueueName=f"{market.stack.stack_name}-return-analytics-dlq")["QueueUrl"]
    (dead,) = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert json.loads(dead["Body"])["event_id"] == "e-1"
