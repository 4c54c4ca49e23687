"""Admin pages for the money edge cases, in the browser against the local stack: a top-up the provider
refused (the vendor's money given back after a refund failed) is listed in Refunds and recorded as paid
elsewhere with a note; the Cases list reads its next page with "More".

The refused top-up and the extra cases are arranged in the stack's DynamoDB (moto) exactly as the order
repository writes them: making the provider refuse a top-up takes a refund that fails after the vendor
was clawed back (tests/component/test_case_refunds.py covers that path end to end).
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import boto3
import pytest
from playwright.sync_api import expect

from tests.browser.test_admin_refunds_ui import paid_order, refunds_page
from tests.browser.test_checkout_ui import api, sign_in_api
from tests.browser.test_vendor_money_ui import DEMO_PASSWORD, sign_in_as

pytestmark = pytest.mark.browser

STACK_NAME = "halles-local"  # devstack/runner.py: the tables are `<stack>-<name>`
REGION = "eu-west-1"


def dynamodb(live_stack):
    return boto3.client("dynamodb", region_name=REGION, endpoint_url=live_stack.moto,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def a_top_up_was_refused(live_stack, order_id: str, vendor_id: str, amount: int) -> None:
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    failed = {"amount": amount, "failure_code": "balance_insufficient", "at": at, "last_failed_at": at, "attempts": 1}
    dynamodb(live_stack).update_item(
        TableName=f"{STACK_NAME}-vendor-orders", Key={"order_id": {"S": order_id}, "vendor_id": {"S": vendor_id}},
        UpdateExpression="SET top_up_failed = :t, refund_attention = :f, refund_attention_at = :at",
        ConditionExpression="attribute_exists(order_id)",
        ExpressionAttributeValues={":t": {"S": json.dumps(failed)}, ":f": {"S": "failed"}, ":at": {"S": at}})


def test_a_refused_top_up_is_listed_and_recorded_as_paid_elsewhere(page, live_stack):
    order = paid_order(live_stack, "pm_card_visa")
    order_id, vendor_id, price = order.order_id, order.vendor_id, order.price
    a_top_up_was_refused(live_stack, order_id, vendor_id, price)
    admin = sign_in_api(live_stack, "admin@halles.local", DEMO_PASSWORD)
    (item,) = [i for i in api(live_stack, "GET", "/admin/refunds?status=failed&limit=100", token=admin)["items"]
               if i["order_id"] == order_id]

    refunds_page(page, live_stack)
    row = page.locator('[data-testid="refund-row"][data-kind="top_up"]').filter(has_text=item["order_number"])
    expect(row.get_by_role("rowheader")).to_have_text("Top-up to the vendor")
    expect(row.get_by_test_id("refund-reason")).to_have_text("Balance insufficient")
    row.get_by_test_id("refund-resolve").click()
    expect(row.get_by_test_id("refund-resolve-borne-by")).to_have_count(0)  # Halles paid it: nobody else to name
    row.get_by_test_id("refund-resolve-note").fill("Paid by bank transfer on 27 Nov")
    row.get_by_test_id("refund-resolve-confirm").click()
    expect(row).to_have_count(0)
    listed = api(live_stack, "GET", "/admin/refunds?status=failed&limit=100", token=admin)["items"]
    assert order_id not in {i["order_id"] for i in listed}


def test_the_cases_list_reads_its_next_page_with_more(page, live_stack):
    tag = uuid.uuid4().hex[:8].upper()
    requests = []
    for n in range(51):  # one more than a page: closed claims opened far ahead, listed after every real one
        case_id = f"clm_{tag}{n:018d}"
        opened = f"2099-01-01T00:00:{n:02d}Z"
        summary = {"case_id": case_id, "kind": "claim", "state": "resolved", "reason": "damaged",
                   "order_id": f"ord_{tag}", "order_number": f"H-9901-{n:06d}", "vendor_id": "v_arranged",
                   "vendor_name": "Arranged", "text": f"Arranged claim {tag} {n}", "currency": "EUR",
                   "opened_at": opened, "history": [], "allowed_actions": []}
        requests.append({"PutRequest": {"Item": {
            "case_id": {"S": case_id}, "row": {"S": "case"}, "kind": {"S": "claim"}, "order_id": {"S": f"ord_{tag}"},
            "shopper_id": {"S": "s_arranged"}, "vendor_ids": {"L": [{"S": "v_arranged"}]}, "state": {"S": "resolved"},
            "summary": {"S": json.dumps(summary)}, "admin_queue": {"S": "claim#closed"},
            "queue_key": {"S": f"~#{opened}#{case_id}"}}}})
    client = dynamodb(live_stack)
    for start in range(0, len(requests), 25):
        client.batch_write_item(RequestItems={f"{STACK_NAME}-cases": requests[start:start + 25]})

    sign_in_as(page, live_stack, "admin@halles.local", "#/admin/cases")
    page.get_by_test_id("cases-state").select_option("closed")
    more = page.get_by_test_id("cases-more")
    expect(more).to_be_visible()
    arranged = page.locator('[data-testid="case"]').filter(has_text=f"Arranged claim {tag}")
    expect(arranged.first).to_be_visible()
    assert arranged.count() < 51  # the first page holds 50 cases at most
    more.click()
    expect(arranged).to_have_count(51)
    expect(more).to_be_hidden()
    expect(page.get_by_test_id("cases-status")).to_contain_text("cases")
