"""Return-cause analytics through the API (moto, the local payment provider): a real paid order and a
real return (request, approve, ship back, receive and refund) in as published events, the figures out
for the vendor and the admin; a redelivered event counts once; a vendor sees only its own."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import boto3
import pytest

from chalicelib.domain.return_analytics import ReturnFact, iso_week
from chalicelib.store import return_analytics as facts_store
from tests.component.test_payment_events import Market
from tests.fixtures.aws import REGION

VENDOR_PATH = "/vendor/analytics/returns"
ADMIN_PATH = "/admin/analytics/returns"
BACK = {"carrier": "La Poste", "tracking_number": "6A123456789"}


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


def paid_order(shop: Market, *, delivered: bool = False) -> dict:
    """2 tents (199.00 each) from vendor a and headphones from vendor b."""
    shop.add("tent", "a", 2)
    shop.add("headphones", "b", 1)
    order, payment = shop.checkout()
    shop.pay(payment["payment_intent_id"])
    shop.settle()
    if delivered:
        for vendor in (shop.catalog.vendor_a, shop.catalog.vendor_b):
            shop.ship(order["order_id"], vendor)
            status, body, _ = shop.call("POST", f"/vendor/orders/{order['order_id']}/deliver",
                                        token=vendor.access_token)
            assert status == 200, body
    return order


def ask_return(shop: Market, order: dict, reason: str = "damaged") -> str:
    line = shop.catalog.offers[("tent", "a")]
    status, asked, _ = shop.call("POST", f"/orders/{order['order_id']}/returns",
                                 {"lines": [{"line_id": line, "quantity": 1}], "reason": reason})
    assert status == 201, asked
    return asked["return_id"]


def refund_return(shop: Market, return_id: str) -> None:
    """The vendor approves, the shopper sends it back, the vendor receives it: the shopper is refunded."""
    vendor = shop.catalog.vendor_a.access_token
    for method, path, body, token in (("POST", f"/vendor/returns/{return_id}/approve", None, vendor),
                                      ("POST", f"/returns/{return_id}/ship-back", BACK, None),
                                      ("POST", f"/vendor/returns/{return_id}/receive", {"restock": True}, vendor)):
        status, answer, _ = shop.call(method, path, body, token=token)
        assert status == 200, answer
    shop.settle()


def count_events(shop: Market) -> None:
    drained = shop._drain("return-analytics")
    assert not drained.errors and drained.failed == 0, drained


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def figures(shop: Market, user, path: str = VENDOR_PATH) -> dict:
    status, body, _ = shop.call("GET", path, token=user.access_token)
    assert status == 200, body
    return body


def reasons(block: dict) -> dict[str, int]:
    return {r["reason"]: r["units"] for r in block["reasons"] if r["units"]}


def test_a_vendor_sees_its_sales_then_a_refunded_return_in_this_weeks_figures(market):
    order = paid_order(market, delivered=True)
    count_events(market)
    vendor_a = market.catalog.vendor_a

    before = figures(market, vendor_a)
    assert len(before["trend"]) == 12 and before["weeks"][-1] == iso_week(now())
    assert before["totals"]["units_sold"] == 2 and before["totals"]["return_rate"] == 0
    assert before["products"] == []  # no product listed before it has a return

    return_id = ask_return(market, order)
    count_events(market)
    asked = figures(market, vendor_a)["totals"]
    assert (asked["units_returned"], asked["return_rate"], asked["resolved"]) == (1, 0.5, 0)
    assert asked["refunded"] == []

    refund_return(market, return_id)
    count_events(market)
    after = figures(market, vendor_a)
    assert after["totals"]["units_returned"] == 1
    assert after["totals"]["return_rate"] == 0.5
    assert reasons(after["totals"]) == {"damaged": 1}
    assert after["totals"]["refunded"] == [{"amount": 19900, "currency": "EUR"}]
    assert after["totals"]["resolved"] == 1 and after["totals"]["median_hours_to_resolve"] is not None
    this_week = after["trend"][-1]
    assert (this_week["units_sold"], this_week["units_returned"]) == (2, 1)
    (tent,) = after["products"]
    assert tent["product_id"] == next(x["product_id"] for x in order["lines"]
                                      if x["offer_id"] == market.catalog.offers[("tent", "a")])
    assert tent["title"] and tent["return_rate"] == 0.5


def test_another_vendor_never_sees_the_figures_of_the_first(market):
    order = paid_order(market, delivered=True)
    ask_return(market, order)
    count_events(market)

    theirs = figures(market, market.catalog.vendor_b)
    assert theirs["totals"]["units_sold"] == 1  # its headphones only
    assert theirs["totals"]["units_returned"] == 0 and theirs["products"] == []
    assert "vendors" not in theirs


def test_a_redelivered_event_counts_once(market, take_messages):
    order = paid_order(market, delivered=True)
    refund_return(market, ask_return(market, order))
    queued = take_messages("return-analytics")
    assert sorted(m["type"] for m in queued) == ["order.paid", "return.approved", "return.received",
                                                  "return.refunded", "return.requested", "return.shipped_back"]
    sqs = boto3.client("sqs", region_name=REGION)
    for message in [*queued, *reversed(queued), *queued]:  # at least once, in any order
        sqs.send_message(QueueUrl=market.stack.queues["return-analytics"], MessageBody=json.dumps(message))
    count_events(market)

    totals = figures(market, market.catalog.vendor_a)["totals"]
    assert (totals["units_sold"], totals["units_returned"], totals["returns"]) == (2, 1, 1)
    assert totals["refunded"] == [{"amount": 19900, "currency": "EUR"}]


def test_a_return_read_from_an_older_order_version_does_not_undo_a_newer_one(stack):
    def fact(state: str, refund: int) -> ReturnFact:
        return ReturnFact(vendor_id="alpine", product_id="prd_tent", offer_id="off_tent", reason="damaged",
                          quantity=1, refund_amount=refund, currency="EUR", requested_at=now(),
                          resolved_at=now() if state == "refunded" else None, state=state)

    assert facts_store.record_return([fact("refunded", 5000)], return_id="ret_1", version=7) == 2
    assert facts_store.record_return([fact("approved", 0)], return_id="ret_1", version=5) == 0  # read earlier
    (stored,) = facts_store.return_facts(facts_store.vendor_scope("alpine"), [iso_week(now())])
    assert (stored.state, stored.refund_amount) == ("refunded", 5000)


def _billed_write_units(calls: list[tuple[str, dict]]) -> int:
    """What DynamoDB bills for these writes: 1 unit per KB of each item, twice in a transaction."""
    from scripts.bench_cost import item_size, write_units

    units = 0
    for operation, body in calls:
        if operation == "TransactWriteItems":
            units += sum(2 * write_units(item_size(next(iter(entry.values())).get("Item")))
                         for entry in body["TransactItems"])
        elif operation in ("PutItem", "UpdateItem"):
            units += write_units(item_size(body.get("Item")))
    return units


def test_an_events_sales_cost_a_write_unit_per_fact_and_a_redelivery_adds_nothing(stack):
    # Two vendors' products in one order: each product's units in the vendor's scope and the platform's.
    from chalicelib.store.base import bind

    bind()
    client = facts_store.ReturnAnalyticsItem._get_connection().connection.client
    calls: list[tuple[str, dict]] = []

    def record(model=None, params=None, **_):
        calls.append((model.name, json.loads(params["body"])))

    client.meta.events.register("before-call.dynamodb", record)
    try:
        sales = [facts_store.Sale("alpine-cost", "prd_tent", 2, "Tent"), facts_store.Sale("bytes-cost", "prd_hp", 1)]
        assert facts_store.count_sales("evt_cost_1", sales, at=now()) is True
        first = _billed_write_units(calls)
        assert facts_store.count_sales("evt_cost_1", sales, at=now()) is False
    finally:
        client.meta.events.unregister("before-call.dynamodb", record)

    assert first == 4
    sold, titles = facts_store.sold_facts(facts_store.PLATFORM, [iso_week(now())])
    mine = {(f.vendor_id, f.product_id): f.quantity for f in sold if f.vendor_id in ("alpine-cost", "bytes-cost")}
    assert mine == {("alpine-cost", "prd_tent"): 2, ("bytes-cost", "prd_hp"): 1} and titles["prd_tent"] == "Tent"


def test_a_weeks_counter_written_before_the_facts_adds_to_them(stack):
    from chalicelib.store.base import bind

    bind()
    week = iso_week(now())
    facts_store.ReturnAnalyticsItem(facts_store.vendor_scope("older-shop"), f"sold#{week}#older-shop#prd_old",
                                    vendor_id="older-shop", product_id="prd_old", units=3).save()
    facts_store.count_sales("evt_older_1", [facts_store.Sale("older-shop", "prd_old", 2)], at=now())
    facts_store.count_sales("evt_older_2", [facts_store.Sale("older-shop", "prd_old", -1)], at=now())

    sold, _ = facts_store.sold_facts(facts_store.vendor_scope("older-shop"), [week])
    assert [(f.product_id, f.quantity) for f in sold] == [("prd_old", 4)]


def test_a_cancelled_line_is_no_longer_counted_as_sold(market):
    order = paid_order(market)
    tent = market.catalog.offers[("tent", "a")]
    status, body, _ = market.call("POST", f"/vendor/orders/{order['order_id']}/lines/{tent}/cancel",
                                  {"reason": "out of stock"}, token=market.catalog.vendor_a.access_token)
    assert status == 200, body
    count_events(market)

    assert figures(market, market.catalog.vendor_a)["totals"]["units_sold"] == 0


def test_the_admin_sees_every_vendor_ranked_and_top_products(market, admin):
    order = paid_order(market, delivered=True)
    ask_return(market, order)
    count_events(market)
    vendor_a, vendor_b = market.catalog.vendor_a.user_id, market.catalog.vendor_b.user_id

    everyone = figures(market, admin, ADMIN_PATH)
    assert [(v["vendor_id"], v["return_rate"]) for v in everyone["vendors"]] == [(vendor_a, 0.5), (vendor_b, 0.0)]
    assert [(p["vendor_id"], p["return_rate"]) for p in everyone["products"]] == [(vendor_a, 0.5)]
    assert all(v["vendor_name"] for v in everyone["vendors"])  # the shop's name, for the admin to read
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


def test_a_malformed_vendor_id_is_a_400_and_an_unknown_one_a_404_naming_it(market, admin):
    status, body, _ = market.call("GET", f"{ADMIN_PATH}?vendor_id=a%20b", token=admin.access_token)
    assert status == 400 and "vendor_id" in body["error"]["fields"]
    status, body, _ = market.call("GET", f"{ADMIN_PATH}?vendor_id=nobody", token=admin.access_token)
    assert status == 404 and "vendor_id" in body["error"]["fields"]


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
