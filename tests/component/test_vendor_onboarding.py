"""Vendor onboarding, readiness and approval through the API: what a vendor, an admin and a shopper notice.

A new vendor (`make_user("vendor", ready=False)`) fills in its profile, mints an onboarding link
(the local provider's hosted page), completes it; the provider's signed Connect events go through
/webhooks/stripe/connect and the payment-events consumer; an admin approves; only then are its
offers in the catalogue, addable to a cart and checkout-able. Suspension hides them at once.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest

from tests.fixtures.addresses import checkout_body
from tests.fixtures.aws import call

PROFILE = {"legal_name": "Nouveau Commerce SARL", "country": "FR", "support_email": "help@nouveau.example",
           "return_policy": "Returns accepted within 30 days, unused and in the original box.",
           "shipping_origin": "Lyon, France", "logo_url": "https://cdn.example.com/logo.png"}
TENT = {"title": "Ultralight Trekking Tent", "brand": "Summit", "category": "outdoor",
        "description": "A two-person tent under 1.5 kg.", "gtin": "4006381333931",
        "attributes": {"capacity": "2 persons"}}
OFFER = {"condition": "new", "price": {"amount": 19900, "currency": "EUR"},
         "shipping_fee": {"amount": 0, "currency": "EUR"}, "stock": 5, "delivery": {"min_days": 2, "max_days": 4}}


class _NoFollow(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture
def world(stack, app_client, make_user, payments, drain):
    """The app, the local provider delivering Connect events to the app, and the people involved."""
    def to_app(body, headers):
        return app_client.http.post("/webhooks/stripe/connect", body=body, headers=headers).status_code

    payments.connect_webhook_target = to_app

    class World:
        client = app_client
        provider = payments
        vendor = make_user("vendor", ready=False, shop_name="Nouveau")
        admin = make_user("admin")
        shopper = make_user("shopper")

        def api(self, method, path, body=None, who=None):
            return call(app_client, method, path, body, token=who.access_token if who else None)

        def onboard(self, action: str) -> str:
            status, link, _ = self.api("POST", "/vendor/onboarding/link", who=self.vendor)
            assert status == 201, link
            form = urlencode({"action": action}).encode()
            with pytest.raises(urllib.error.HTTPError) as redirect:
                urllib.request.build_opener(_NoFollow).open(urllib.request.Request(link["url"], data=form))
            payments.deliver_webhooks()
            drained = drain("payment-events")
            assert drained.failed == 0, drained.errors
            return redirect.value.headers["Location"]

        def status(self):
            return self.api("GET", "/vendor/onboarding", who=self.vendor)[1]

    return World()


def _offer_tent(world) -> tuple[str, str]:
    status, product, _ = world.api("POST", "/vendor/products", TENT, world.vendor)
    assert status in (200, 201), product
    status, offer, _ = world.api("PUT", f"/vendor/products/{product['product_id']}/offer", OFFER, world.vendor)
    assert status in (200, 201), offer
    return product["product_id"], offer["offer_id"]


def _listed_offers(world, product_id: str) -> list[str]:
    status, page, _ = world.api("GET", f"/catalog/products/{product_id}")
    assert status == 200, page
    return [o["vendor_id"] for o in page["offers"]]


def test_a_new_vendor_fills_its_profile_and_each_wrong_field_is_named(world):
    status, empty, _ = world.api("GET", "/vendor/profile", who=world.vendor)
    bad_status, bad, _ = world.api("PUT", "/vendor/profile", {**PROFILE, "country": "XX", "support_email": "nope",
                                                              "return_policy": "no", "logo_url": "http://x"},
                                   world.vendor)
    ok_status, saved, _ = world.api("PUT", "/vendor/profile", PROFILE, world.vendor)
    forged_status, forged, _ = world.api("PUT", "/vendor/profile", {**PROFILE, "approval_status": "approved"},
                                         world.vendor)

    assert (status, empty["profile"]) == (200, None)
    assert bad_status == 400
    assert set(bad["error"]["fields"]) == {"country", "support_email", "return_policy", "logo_url"}
    assert ok_status == 200 and saved["profile"]["legal_name"] == "Nouveau Commerce SARL"
    assert forged_status == 400 and "approval_status" in forged["error"]["fields"]


def test_onboarding_needs_a_profile_first_then_creates_one_account_whatever_the_clicks(world):
    status, refused, _ = world.api("POST", "/vendor/onboarding/link", who=world.vendor)
    world.api("PUT", "/vendor/profile", PROFILE, world.vendor)
    first = world.api("POST", "/vendor/onboarding/link", who=world.vendor)[1]
    second = world.api("POST", "/vendor/onboarding/link", who=world.vendor)[1]

    assert (status, refused["error"]["code"], list(refused["error"]["fields"])) == (409, "profile_required",
                                                                                    ["profile"])
    assert first["url"] != second["url"]  # a fresh single-use link per click
    accounts = world.provider.ledger.of_kind("account")
    assert len(accounts) == 1  # one connected account, created idempotently
    account = accounts[0]
    assert account["controller"]["fees"]["payer"] == "application"
    assert account["controller"]["losses"]["payments"] == "application"
    assert account["controller"]["stripe_dashboard"]["type"] == "express"
    assert account["controller"]["requirement_collection"] == "stripe"
    assert set(account["capabilities"]) == {"card_payments", "transfers"}
    assert world.status()["step"] == "continue_onboarding"


def test_payouts_wait_until_the_account_can_receive_transfers(world):
    from chalicelib.store.vendors import payout_account

    world.api("PUT", "/vendor/profile", PROFILE, world.vendor)
    world.api("POST", "/vendor/onboarding/link", who=world.vendor)
    before = payout_account(world.vendor.user_id)
    world.onboard("complete")

    assert before is None  # the account exists, but a transfer to it would be refused
    assert payout_account(world.vendor.user_id) == world.provider.ledger.of_kind("account")[0]["id"]


def test_requirements_left_due_are_shown_in_plain_words(world):
    world.api("PUT", "/vendor/profile", PROFILE, world.vendor)
    back = world.onboard("leave_due")
    status = world.status()

    assert back.endswith("#/vendor/onboarding?return=1")
    assert status["step"] == "continue_onboarding" and status["can_sell"] is False
    assert status["next_step"].startswith("Stripe needs: your date of birth, a photo of your ID document")
    assert "individual.dob.day" in status["account"]["currently_due"]


def test_offers_go_live_only_once_onboarded_and_approved_and_suspension_hides_them_at_once(world):
    world.api("PUT", "/vendor/profile", PROFILE, world.vendor)
    product_id, offer_id = _offer_tent(world)
    vendor_id = world.vendor.user_id

    hidden_before = _listed_offers(world, product_id)
    cart_before = world.api("PUT", f"/cart/lines/{offer_id}", {"quantity": 1}, world.shopper)
    world.onboard("complete")
    onboarded = world.status()
    still_hidden = _listed_offers(world, product_id)
    approve = world.api("POST", f"/admin/vendors/{vendor_id}/approve", who=world.admin)
    live = world.status()
    listed = _listed_offers(world, product_id)
    added = world.api("PUT", f"/cart/lines/{offer_id}", {"quantity": 1}, world.shopper)
    suspend = world.api("POST", f"/admin/vendors/{vendor_id}/suspend", {"reason": "Counterfeit reports"},
                        world.admin)
    hidden_after = _listed_offers(world, product_id)
    cart_after = world.api("GET", "/cart", who=world.shopper)[1]
    checkout = call(world.client, "POST", "/checkout", checkout_body(), world.shopper.access_token,
                    {"Idempotency-Key": "onboarding-paused-shop-1"})
    suspended = world.status()
    reinstate = world.api("POST", f"/admin/vendors/{vendor_id}/reinstate", who=world.admin)

    assert hidden_before == [] and (cart_before[0], cart_before[1]["error"]["code"]) == (409, "vendor_not_selling")
    assert onboarded["step"] == "wait_for_approval" and onboarded["account"]["transfers"] == "active"
    assert still_hidden == []
    assert approve[0] == 200 and approve[1]["can_sell"] is True
    assert (live["step"], live["next_step"], live["can_sell"]) == ("ready", "Ready to sell", True)
    assert listed == [vendor_id] and added[0] == 200
    assert suspend[0] == 200 and suspend[1]["approval"] == "suspended"
    assert hidden_after == []
    assert [c["reason"] for c in cart_after["changes"]] == ["vendor_not_selling"]
    assert (checkout[0], checkout[1]["error"]["code"]) == (409, "cart_changed")  # nothing reserved
    assert checkout[1]["error"]["fields"] == {f"lines.{offer_id}": "This shop is not selling right now."}
    assert suspended["step"] == "suspended" and "Counterfeit reports" in suspended["next_step"]
    assert reinstate[0] == 200 and _listed_offers(world, product_id) == [vendor_id]


def test_out_of_order_and_duplicate_connect_events_change_the_state_once(world, drain):
    """An older account.updated arriving after a newer one does not undo it."""
    from chalicelib.store import vendors as vendors_store
    from devstack.localpay.delivery import sign

    world.api("PUT", "/vendor/profile", PROFILE, world.vendor)
    world.onboard("complete")
    account_id = vendors_store.get_vendor(world.vendor.user_id).stripe_account_id
    stale = {"id": account_id, "object": "account", "charges_enabled": False, "payouts_enabled": False,
             "capabilities": {"card_payments": "inactive", "transfers": "inactive"},
             "requirements": {"currently_due": ["external_account"], "disabled_reason": "requirements.past_due"},
             "metadata": {"vendor_id": world.vendor.user_id}}
    body = json.dumps({"id": "evt_stale_1", "object": "event", "type": "account.updated", "created": 1,
                       "livemode": False, "account": account_id, "data": {"object": stale}}).encode()
    headers = {"Stripe-Signature": sign(body, os.environ["STRIPE_CONNECT_WEBHOOK_SECRET"], int(time.time())),
               "Content-Type": "application/json"}
    for _ in range(2):  # the duplicate is acknowledged and not queued again
        assert world.client.http.post("/webhooks/stripe/connect", body=body, headers=headers).status_code == 200
    drain("payment-events")

    assert world.status()["account"]["transfers"] == "active"


def test_deauthorizing_the_platform_pauses_the_vendor(world, drain):
    from chalicelib.store import vendors as vendors_store

    world.api("PUT", "/vendor/profile", PROFILE, world.vendor)
    world.onboard("complete")
    world.api("POST", f"/admin/vendors/{world.vendor.user_id}/approve", who=world.admin)
    account_id = vendors_store.get_vendor(world.vendor.user_id).stripe_account_id
    with world.provider.ledger.lock:
        world.provider.ledger.emit("account.application.deauthorized",
                                   {"id": "ca_halles", "object": "application", "name": "Halles"}, {},
                                   account=account_id)
    world.provider.deliver_webhooks()
    drain("payment-events")

    status = world.status()
    assert status["can_sell"] is False and "disconnected" in status["next_step"]


def test_admin_lists_vendors_by_status_with_paging(world, make_user):
    others = [make_user("vendor", ready=False) for _ in range(2)]

    status, pending, _ = world.api("GET", "/admin/vendors?status=pending&limit=2", who=world.admin)
    rest = world.api("GET", f"/admin/vendors?status=pending&limit=2&cursor={pending['next_cursor']}",
                     who=world.admin)[1] if pending["next_cursor"] else {"items": []}
    approved = world.api("GET", "/admin/vendors?status=approved", who=world.admin)[1]
    bad = world.api("GET", "/admin/vendors?status=banana", who=world.admin)
    missing = world.api("POST", "/admin/vendors/nope/approve", who=world.admin)

    ids = {v["vendor_id"] for v in pending["items"] + rest["items"]}
    assert status == 200 and len(pending["items"]) == 2
    assert ids == {world.vendor.user_id, *(o.user_id for o in others)}
    assert world.vendor.user_id not in {v["vendor_id"] for v in approved["items"]}
    assert bad[0] == 400 and "status" in bad[1]["error"]["fields"]
    assert missing[0] == 404


def test_admin_lists_every_vendor_newest_first_in_pages_without_a_scan(world, make_user, dynamodb_calls):
    """No status filter: the approval index is queried per status and merged (a Scan reads the whole table)."""
    approved = make_user("vendor")  # ready: approved
    pending = [make_user("vendor", ready=False) for _ in range(3)]
    assert world.api("POST", f"/admin/vendors/{pending[0].user_id}/suspend", {"reason": "Fake documents"},
                     who=world.admin)[0] == 200
    mine = {approved.user_id, world.vendor.user_id, *(v.user_id for v in pending)}

    pages, cursor, calls_per_page, cursors = [], None, [], []
    while True:
        with dynamodb_calls() as calls:
            path = "/admin/vendors?limit=2" + (f"&cursor={cursor}" if cursor else "")
            status, page, _ = world.api("GET", path, who=world.admin)
        assert status == 200, page
        calls_per_page.append(list(calls))
        pages.append(page["items"])
        cursor = page["next_cursor"]
        cursors.append(cursor)
        if not cursor:
            break

    listed = [v for page in pages for v in page]
    ids = [v["vendor_id"] for v in listed]
    assert len(ids) == len(set(ids)) and mine <= set(ids)  # every vendor once, whatever its status
    assert {v["approval"] for v in listed if v["vendor_id"] in mine} == {"pending", "approved", "suspended"}
    assert [v["created_at"] for v in listed] == sorted((v["created_at"] for v in listed), reverse=True)
    assert all(len(page) <= 2 for page in pages)
    assert not any("Scan" in calls for calls in calls_per_page), calls_per_page
    # The merged list's cursor is not a cursor of one status's list (and the reverse).
    foreign = world.api("GET", f"/admin/vendors?status=pending&cursor={cursors[0]}", who=world.admin)
    assert foreign[0] == 400 and "cursor" in foreign[1]["error"]["fields"]
