"""The admin's Refunds section in the browser against the local stack: a case refund that failed is
listed with its amount and reason; Retry makes it at the provider (the row goes), or the provider
refuses again (the row stays, the reason is shown) and the admin records it settled elsewhere with a note.

The failed refund is reached the way it happens for real: the shopper claims a damaged unit, the vendor
answers with a refund, the shopper accepts it and the order refunds it on the charge through the local
payment provider; that refund is refused at once (a disputed charge) or fails afterwards (the local
provider's documented trigger `POST /_localpay/refunds/{id}/fail`, as a card that cannot take it back),
and its `refund.failed` webhook puts it on the admin's queue. Nothing is written behind the stack's back
(a write straight into DynamoDB raced the stack's own saves of the order and was sometimes lost).
"""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass

import pytest
from playwright.sync_api import expect

from tests.browser.test_checkout_ui import PASSWORD, Shopper, api, fresh_email, sign_in_api
from tests.browser.test_vendor_money_ui import DEMO_PASSWORD, LOCAL_API_KEY, sign_in_as
from tests.fixtures.addresses import checkout_body

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class PaidOrder:
    order_id: str
    vendor_id: str
    offer_id: str
    price: int  # what the shopper paid for the unit
    shopper_token: str
    vendor_token: str


def local_provider(live_stack, path: str, params: dict | None = None) -> dict:
    """A POST to the local payment provider, authenticated as the platform."""
    request = urllib.request.Request(f"{live_stack.payments}{path}", data=urllib.parse.urlencode(params or {}).encode(),
                                     method="POST", headers={"Authorization": f"Bearer {LOCAL_API_KEY}"})
    with urllib.request.urlopen(request, timeout=15) as response:
        assert response.status == 200
        return json.loads(response.read())


def paid_order(live_stack, payment_method: str) -> PaidOrder:
    """A new shopper buys one unit of a new offer of alpine's (its own stock: tests share the live stack)."""
    from tests.browser.test_vendor_orders_ui import new_offer

    vendor_token = sign_in_api(live_stack, "alpine@halles.local", DEMO_PASSWORD)
    vendor_id = api(live_stack, "GET", "/me", token=vendor_token)["user_id"]
    made = new_offer(live_stack, vendor_token)
    offer = next(o for o in api(live_stack, "GET", f"/catalog/products/{made['product_id']}")["offers"]
                 if o["offer_id"] == made["offer_id"])
    shopper = Shopper(fresh_email(), PASSWORD)
    api(live_stack, "POST", "/auth/signup", expected=201,
        body={"email": shopper.email, "password": PASSWORD, "name": "Refund Shopper", "role": "shopper"})
    token = sign_in_api(live_stack, shopper.email, PASSWORD)
    api(live_stack, "PUT", f"/cart/lines/{offer['offer_id']}", token=token, body={"quantity": 1})
    status, answer, _ = live_stack.call("POST", "/checkout", body=checkout_body(), token=token,
                                        headers={"Idempotency-Key": uuid.uuid4().hex})
    assert status == 201, answer
    order_id = answer["order"]["order_id"]
    local_provider(live_stack, f"/v1/payment_intents/{answer['payment']['payment_intent_id']}/confirm",
                   {"payment_method": payment_method, "return_url": live_stack.frontend})
    live_stack.wait_for(lambda: api(live_stack, "GET", f"/orders/{order_id}", token=token)["status"] == "paid",
                        f"order {order_id} to be paid")
    if payment_method == "pm_card_createDispute":  # its dispute recorded too: nothing moves the order after this
        live_stack.wait_for(lambda: api(live_stack, "GET", f"/orders/{order_id}", token=token)["payment"]["disputed"],
                            f"order {order_id}'s dispute to be recorded")
    return PaidOrder(order_id, vendor_id, offer["offer_id"], int(offer["price"]["amount"]), token, vendor_token)


def failed_refunds(live_stack) -> dict[str, dict]:
    admin = sign_in_api(live_stack, "admin@halles.local", DEMO_PASSWORD)
    items = api(live_stack, "GET", "/admin/refunds?status=failed&limit=100", token=admin)["items"]
    return {item["case_id"]: item for item in items if item["kind"] == "refund"}


def a_claim_refunded(live_stack, order: PaidOrder) -> dict:
    """The shopper claims the unit arrived damaged, the vendor answers with its refund, the shopper
    accepts: the order refunds it on the charge (the claim as the shopper then sees it)."""
    claim = api(live_stack, "POST", f"/orders/{order.order_id}/claims", token=order.shopper_token, expected=201,
                body={"vendor_id": order.vendor_id, "reason": "damaged", "text": "It arrived broken"})
    api(live_stack, "POST", f"/vendor/claims/{claim['claim_id']}/answer", token=order.vendor_token,
        body={"resolution": "refund", "lines": [{"offer_id": order.offer_id, "quantity": 1}]})
    return api(live_stack, "POST", f"/claims/{claim['claim_id']}/accept", token=order.shopper_token)


def a_refund_failed_later(live_stack, order: PaidOrder, failure_reason: str) -> str:
    """A claim's refund made, then failed at the provider: listed for admins once its webhook is in."""
    claim = a_claim_refunded(live_stack, order)
    assert claim["refund"]["status"] in ("succeeded", "pending"), claim
    local_provider(live_stack, f"/_localpay/refunds/{claim['refund']['refund_id']}/fail",
                   {"failure_reason": failure_reason})
    live_stack.wait_for(lambda: claim["case_id"] in failed_refunds(live_stack),
                        f"the refund of {claim['case_id']} to be listed as failed")
    return claim["case_id"]


def refunds_page(page, live_stack):
    sign_in_as(page, live_stack, "admin@halles.local", "#/admin/refunds")
    expect(page.get_by_test_id("admin-tab-refunds")).to_have_attribute("aria-current", "page")


def test_the_admin_retries_a_failed_refund_and_it_is_made(page, live_stack):
    order = paid_order(live_stack, "pm_card_visa")
    case_id = a_refund_failed_later(live_stack, order, "lost_or_stolen_card")

    refunds_page(page, live_stack)
    row = page.locator(f'[data-testid="refund-row"][data-case-id="{case_id}"]')
    expect(row.get_by_test_id("refund-reason")).to_have_text("Lost or stolen card")
    expect(row.get_by_test_id("refund-amount")).to_contain_text(f"{order.price // 100}")
    row.get_by_test_id("refund-retry").click()
    expect(row).to_have_count(0)

    assert case_id not in failed_refunds(live_stack)
    seen = api(live_stack, "GET", f"/claims/{case_id}", token=order.shopper_token)["refund"]
    assert seen["status"] == "succeeded" and seen["attempt"] == 1  # made by the retry, its own key


def test_a_refund_refused_again_is_resolved_elsewhere_with_a_note(page, live_stack):
    order = paid_order(live_stack, "pm_card_createDispute")  # refunds of it are refused
    claim = a_claim_refunded(live_stack, order)
    case_id = claim["case_id"]
    assert claim["refund"]["status"] == "failed", claim  # refused at once: on the queue with the claim
    assert case_id in failed_refunds(live_stack)

    refunds_page(page, live_stack)
    row = page.locator(f'[data-testid="refund-row"][data-case-id="{case_id}"]')
    expect(row.get_by_test_id("refund-reason")).to_have_text("Charge disputed")
    row.get_by_test_id("refund-retry").click()
    expect(page.get_by_test_id("refunds-error")).to_contain_text("Still refused: Charge disputed")
    expect(row.get_by_test_id("refund-reason")).to_contain_text("Charge disputed")  # the row stays

    row.get_by_test_id("refund-resolve").click()
    row.get_by_test_id("refund-resolve-note").fill("no")
    row.get_by_test_id("refund-resolve-confirm").click()
    expect(page.get_by_test_id("refunds-error")).to_contain_text("3 characters")
    row.get_by_test_id("refund-resolve-note").fill("Refunded by bank transfer on 27 Nov")
    row.get_by_test_id("refund-resolve-confirm").click()
    expect(row).to_have_count(0)

    assert case_id not in failed_refunds(live_stack)
