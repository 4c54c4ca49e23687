"""The admin's Refunds section in the browser against the local stack: a case refund that failed is
listed with its amount and reason; Retry makes it at the provider (the row goes), or the provider
refuses again (the row stays, the reason is shown) and the admin records it settled elsewhere with a note.

The failed refund is arranged in the stack's DynamoDB (moto) on the order's vendor-order item, exactly
as the order repository saves one: no route makes a case refund on its own (the returns and claims
flows do), and the retry then runs the real path through the local payment provider.
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
import uuid
from datetime import UTC, datetime

import boto3
import pytest
from playwright.sync_api import expect

from tests.browser.test_checkout_ui import PASSWORD, Shopper, api, fresh_email, sign_in_api
from tests.browser.test_vendor_money_ui import DEMO_PASSWORD, LOCAL_API_KEY, sign_in_as
from tests.fixtures.addresses import checkout_body

pytestmark = pytest.mark.browser

STACK_NAME = "halles-local"  # devstack/runner.py: the tables are `<stack>-<name>`
REGION = "eu-west-1"


def paid_order(live_stack, payment_method: str) -> tuple[str, str, int]:
    """A new shopper buys one unit of alpine's first offer in stock; (order_id, vendor_id, amount paid for it)."""
    vendor_token = sign_in_api(live_stack, "alpine@halles.local", DEMO_PASSWORD)
    vendor_id = api(live_stack, "GET", "/me", token=vendor_token)["user_id"]
    offers = api(live_stack, "GET", "/vendor/offers?limit=100", token=vendor_token)["items"]
    offer = next(o for o in offers if o["stock"] - o["reserved"] >= 1 and o.get("status", "active") == "active")
    shopper = Shopper(fresh_email(), PASSWORD)
    api(live_stack, "POST", "/auth/signup", expected=201,
        body={"email": shopper.email, "password": PASSWORD, "name": "Refund Shopper", "role": "shopper"})
    token = sign_in_api(live_stack, shopper.email, PASSWORD)
    api(live_stack, "PUT", f"/cart/lines/{offer['offer_id']}", token=token, body={"quantity": 1})
    status, answer, _ = live_stack.call("POST", "/checkout", body=checkout_body(), token=token,
                                        headers={"Idempotency-Key": uuid.uuid4().hex})
    assert status == 201, answer
    order_id = answer["order"]["order_id"]
    data = urllib.parse.urlencode({"payment_method": payment_method, "return_url": live_stack.frontend}).encode()
    request = urllib.request.Request(
        f"{live_stack.payments}/v1/payment_intents/{answer['payment']['payment_intent_id']}/confirm", data=data,
        method="POST", headers={"Authorization": f"Bearer {LOCAL_API_KEY}"})
    with urllib.request.urlopen(request, timeout=15) as response:
        assert response.status == 200
    live_stack.wait_for(lambda: api(live_stack, "GET", f"/orders/{order_id}", token=token)["status"] == "paid",
                        f"order {order_id} to be paid")
    if payment_method == "pm_card_createDispute":  # its dispute recorded too: nothing moves the order after this
        live_stack.wait_for(lambda: api(live_stack, "GET", f"/orders/{order_id}", token=token)["payment"]["disputed"],
                            f"order {order_id}'s dispute to be recorded")
    return order_id, vendor_id, int(offer["price"]["amount"])


def a_refund_failed(live_stack, order_id: str, vendor_id: str, case_id: str, amount: int) -> None:
    """The vendor-order as the repository saves a case refund the provider refused (first attempt)."""
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    record = {case_id: {"amount": amount, "status": "failed", "refund_id": None, "failure_code": "processing_error",
                        "at": at, "failed_at": at, "reason": "requested_by_customer", "attempt": 0}}
    dynamodb = boto3.client("dynamodb", region_name=REGION, endpoint_url=live_stack.moto,
                            aws_access_key_id="testing", aws_secret_access_key="testing")
    dynamodb.update_item(
        TableName=f"{STACK_NAME}-vendor-orders", Key={"order_id": {"S": order_id}, "vendor_id": {"S": vendor_id}},
        UpdateExpression="SET case_refunds = :c, refund_attention = :f, refund_attention_at = :at",
        ConditionExpression="attribute_exists(order_id)",
        ExpressionAttributeValues={":c": {"S": json.dumps(record)}, ":f": {"S": "failed"}, ":at": {"S": at}})


def refunds_page(page, live_stack):
    sign_in_as(page, live_stack, "admin@halles.local", "#/admin/refunds")
    expect(page.get_by_test_id("admin-tab-refunds")).to_have_attribute("aria-current", "page")


def test_the_admin_retries_a_failed_refund_and_it_is_made(page, live_stack):
    order_id, vendor_id, price = paid_order(live_stack, "pm_card_visa")
    case_id = f"ret_{uuid.uuid4().hex[:26].upper()}"
    a_refund_failed(live_stack, order_id, vendor_id, case_id, price)

    refunds_page(page, live_stack)
    row = page.locator(f'[data-testid="refund-row"][data-case-id="{case_id}"]')
    expect(row.get_by_test_id("refund-reason")).to_have_text("Processing error")
    expect(row.get_by_test_id("refund-amount")).to_contain_text(f"{price // 100}")
    row.get_by_test_id("refund-retry").click()
    expect(row).to_have_count(0)

    admin = sign_in_api(live_stack, "admin@halles.local", DEMO_PASSWORD)
    listed = api(live_stack, "GET", "/admin/refunds?status=failed&limit=100", token=admin)["items"]
    assert case_id not in {item["case_id"] for item in listed}


def test_a_refund_refused_again_is_resolved_elsewhere_with_a_note(page, live_stack):
    order_id, vendor_id, price = paid_order(live_stack, "pm_card_createDispute")  # refunds of it are refused
    case_id = f"clm_{uuid.uuid4().hex[:26].upper()}"
    a_refund_failed(live_stack, order_id, vendor_id, case_id, price)

    refunds_page(page, live_stack)
    row = page.locator(f'[data-testid="refund-row"][data-case-id="{case_id}"]')
    row.get_by_test_id("refund-retry").click()
    expect(page.get_by_test_id("refunds-error")).to_contain_text("Still refused: Charge disputed")
    expect(row.get_by_test_id("refund-reason")).to_have_text("Processing error")  # as listed; the row stays

    row.get_by_test_id("refund-resolve").click()
    row.get_by_test_id("refund-resolve-note").fill("no")
    row.get_by_test_id("refund-resolve-confirm").click()
    expect(page.get_by_test_id("refunds-error")).to_contain_text("3 characters")
    row.get_by_test_id("refund-resolve-note").fill("Refunded by bank transfer on 27 Nov")
    row.get_by_test_id("refund-resolve-confirm").click()
    expect(row).to_have_count(0)

    admin = sign_in_api(live_stack, "admin@halles.local", DEMO_PASSWORD)
    listed = api(live_stack, "GET", "/admin/refunds?status=failed&limit=100", token=admin)["items"]
    assert case_id not in {item["case_id"] for item in listed}
