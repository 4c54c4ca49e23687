"""Claims and disputes through the API (moto, the local payment provider): a shopper reports a problem with
one vendor's part, the vendor answers from its queue, the claim escalates (on request or by the schedule),
the admin decides; a dispute becomes an admin case with its evidence deadline, evidence goes to the provider,
the vendor sees its payout held, a lost dispute recovers the vendor's share, a won one releases it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.store import vendors as vendors_store
from tests.component.test_payment_events import DISPUTED_CARD, Market
from tests.fixtures.aws import call

TRACKING = {"carrier": "DHL", "tracking_number": "JD014600003828",
            "tracking_url": "https://www.dhl.com/track?id=JD014600003828"}


@pytest.fixture
def market(app_client, catalog, payments, make_user, drain, take_messages, stack):
    payments.webhook_target = lambda body, headers: app_client.http.post(
        "/webhooks/stripe", body=body, headers=headers).status_code
    shop = Market(app_client, catalog, make_user("shopper"), payments, drain, take_messages, stack)
    take_messages("notifications")  # sign-ups of the test users
    return shop


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def connected(market):
    accounts = {vendor.user_id: market.payments.add_account()["id"]
                for vendor in (market.catalog.vendor_a, market.catalog.vendor_b)}
    for vendor_id, account_id in accounts.items():
        vendors_store.set_vendor_payout_account(vendor_id, account_id)
    return accounts


def shipped_order(shop: Market, card: str | None = None) -> dict:
    shop.add("tent", "a", 2)  # 2 x 199.00 from vendor a
    shop.add("headphones", "b", 1)
    order, payment = shop.checkout()
    shop.pay(payment["payment_intent_id"], *((card,) if card else ()))
    shop.settle()
    shop.ship(order["order_id"], shop.catalog.vendor_a)
    return {**order, "payment_intent_id": payment["payment_intent_id"]}


def open_claim(shop: Market, order_id: str, reason: str = "damaged", text: str = "The pole is bent") -> dict:
    status, claim, _ = shop.call("POST", f"/orders/{order_id}/claims",
                                 {"vendor_id": shop.catalog.vendor_a.user_id, "reason": reason, "text": text})
    assert status == 201, claim
    return claim


def escalate_overdue(now: datetime) -> dict:
    from chalicelib.services.claims import escalate_overdue_claims

    return escalate_overdue_claims(now=now)


def test_a_claim_is_answered_escalated_on_request_and_decided_by_the_admin(market, admin):
    order = shipped_order(market)
    vendor = market.catalog.vendor_a
    market.take_messages("notifications")

    claim = open_claim(market, order["order_id"])
    assert (claim["state"], claim["reason"], claim["allowed_actions"]) == ("opened", "damaged", [])
    assert claim["deadline"] > datetime.now(UTC).isoformat()

    status, queue, _ = market.call("GET", "/vendor/claims?state=open", token=vendor.access_token)
    assert status == 200 and [c["case_id"] for c in queue["items"]] == [claim["claim_id"]]
    assert queue["items"][0]["deadline"] == claim["deadline"]

    status, answered, _ = market.call("POST", f"/vendor/claims/{claim['claim_id']}/answer",
                                      {"resolution": "rejection", "reason": "Bent by the carrier"},
                                      token=vendor.access_token)
    assert status == 200 and answered["state"] == "answered", answered
    seen = market.call("GET", f"/claims/{claim['claim_id']}")[1]
    assert seen["answer"]["resolution"] == "rejection" and seen["allowed_actions"] == ["accept", "escalate"]

    status, escalated, _ = market.call("POST", f"/claims/{claim['claim_id']}/escalate")
    assert status == 200 and escalated["state"] == "escalated" and escalated["escalated_by"] == "shopper"
    status, cases, _ = market.call("GET", "/admin/cases?kind=claim&state=escalated", token=admin.access_token)
    assert status == 200 and [c["case_id"] for c in cases["items"]] == [claim["claim_id"]]
    assert cases["items"][0]["allowed_actions"] == ["resolve"]

    status, resolved, _ = market.call("POST", f"/admin/claims/{claim['claim_id']}/resolve",
                                      {"resolution": "replacement"}, token=admin.access_token)
    assert status == 200 and (resolved["state"], resolved["resolved_by"]) == ("resolved", "admin")
    assert market.call("GET", "/admin/cases?kind=claim&state=open", token=admin.access_token)[1]["items"] == []

    # The replacement ships once, with its tracking shown to the shopper.
    status, shipped, _ = market.call("POST", f"/vendor/claims/{claim['claim_id']}/replacement", TRACKING,
                                     token=vendor.access_token)
    assert status == 200 and shipped["replacement_shipment"]["tracking_number"] == TRACKING["tracking_number"]
    mine = market.call("GET", f"/orders/{order['order_id']}/claims")[1]["items"]
    assert mine[0]["replacement_shipment"]["tracking_url"] == TRACKING["tracking_url"]
    assert [h["state"] for h in mine[0]["history"]] == ["opened", "answered", "escalated", "resolved", "resolved"]

    types = [t for t, order_id in market.published() if order_id == order["order_id"]]
    assert [t for t in types if t.startswith("claim.")] == ["claim.opened", "claim.answered", "claim.escalated",
                                                            "claim.resolved"]


def test_an_unanswered_claim_escalates_by_the_schedule_once(market, admin):
    order = shipped_order(market)
    claim = open_claim(market, order["order_id"])
    deadline = datetime.fromisoformat(claim["deadline"].replace("Z", "+00:00"))

    assert escalate_overdue(deadline - timedelta(minutes=1)) == {"escalated": 0}
    assert escalate_overdue(deadline + timedelta(minutes=1)) == {"escalated": 1}
    assert escalate_overdue(deadline + timedelta(minutes=2)) == {"escalated": 0}  # off the due index

    seen = market.call("GET", f"/claims/{claim['claim_id']}")[1]
    assert (seen["state"], seen["escalated_by"]) == ("escalated", "auto")
    cases = market.call("GET", "/admin/cases?kind=all&state=open", token=admin.access_token)[1]["items"]
    assert claim["claim_id"] in [c["case_id"] for c in cases]
    late = market.call("POST", f"/vendor/claims/{claim['claim_id']}/answer", {"resolution": "replacement"},
                       token=market.catalog.vendor_a.access_token)
    assert late[0] == 409 and late[1]["error"]["fields"]["allowed_actions"] == "resolve"


def test_one_open_claim_per_part_and_not_received_only_once_shipped(market):
    order = shipped_order(market)
    open_claim(market, order["order_id"])
    status, body, _ = market.call("POST", f"/orders/{order['order_id']}/claims",
                                  {"vendor_id": market.catalog.vendor_a.user_id, "reason": "other", "text": "again"})
    assert status == 409 and body["error"]["code"] == "claim_already_open"

    status, body, _ = market.call("POST", f"/orders/{order['order_id']}/claims",
                                  {"vendor_id": market.catalog.vendor_b.user_id, "reason": "not_received"})
    assert status == 409 and set(body["error"]["fields"]) == {"reason", "allowed_reasons"}  # b has not shipped


@pytest.mark.parametrize("body, field", [
    ({"vendor_id": "x", "reason": "bored"}, "reason"),
    ({"vendor_id": "x", "reason": "damaged", "amount": 100}, "amount"),
    ({"reason": "damaged"}, "vendor_id"),
    ({"vendor_id": "x", "reason": "damaged", "text": "x" * 2001}, "text"),
], ids=["unknown-reason", "amount-in-body", "no-vendor", "text-too-long"])
def test_bad_claims_are_400s_naming_the_field(market, body, field):
    order = shipped_order(market)
    status, answer, _ = market.call("POST", f"/orders/{order['order_id']}/claims", body)
    assert status == 400 and field in answer["error"]["fields"], answer


def test_a_vendor_answer_cannot_carry_an_amount_or_refund_another_vendors_line(market):
    order = shipped_order(market)
    claim = open_claim(market, order["order_id"])
    vendor = market.catalog.vendor_a
    path = f"/vendor/claims/{claim['claim_id']}/answer"
    status, body, _ = market.call("POST", path, {"resolution": "refund", "amount": 1}, token=vendor.access_token)
    assert status == 400 and "amount" in body["error"]["fields"]
    other_line = market.catalog.offers[("headphones", "b")]
    status, body, _ = market.call("POST", path, {"resolution": "refund", "lines": [
        {"offer_id": other_line, "quantity": 1}]}, token=vendor.access_token)
    assert status == 400 and "lines" in body["error"]["fields"]


def test_only_the_shopper_the_vendor_and_admins_reach_a_claim(market, make_user, admin):
    order = shipped_order(market)
    claim = open_claim(market, order["order_id"])
    cid, oid = claim["claim_id"], order["order_id"]
    stranger, vendor_b = make_user("shopper"), market.catalog.vendor_b

    for method, path, body in (("GET", f"/claims/{cid}", None), ("POST", f"/claims/{cid}/accept", None),
                               ("POST", f"/claims/{cid}/escalate", None), ("GET", f"/orders/{oid}/claims", None),
                               ("POST", f"/orders/{oid}/claims", {"vendor_id": market.catalog.vendor_a.user_id,
                                                                  "reason": "damaged"})):
        assert market.call(method, path, body, token=stranger.access_token)[0] == 404, path
        assert call(market.client, method, path, body)[0] == 401, path
    for method, path, body in (("GET", f"/claims/{cid}", None),
                               ("POST", f"/vendor/claims/{cid}/answer", {"resolution": "replacement"}),
                               ("POST", f"/vendor/claims/{cid}/replacement", TRACKING)):
        assert market.call(method, path, body, token=vendor_b.access_token)[0] == 404, path
    assert cid not in [c["case_id"] for c in market.call("GET", "/vendor/claims",
                                                         token=vendor_b.access_token)[1]["items"]]
    for method, path, body in (("POST", f"/admin/claims/{cid}/resolve", {"resolution": "replacement"}),
                               ("GET", "/admin/cases", None),
                               ("POST", "/admin/disputes/dp_x/evidence", {"uncategorized_text": "x"})):
        assert market.call(method, path, body)[0] == 403, path  # the shopper
        assert market.call(method, path, body, token=market.catalog.vendor_a.access_token)[0] == 403, path
        assert call(market.client, method, path, body)[0] == 401, path
    assert market.call("POST", "/vendor/claims/clm_nope/answer", {"resolution": "replacement"},
                       token=market.catalog.vendor_a.access_token)[0] == 404
    assert market.call("GET", f"/claims/{cid}", token=admin.access_token)[0] == 200
    assert market.call("GET", f"/claims/{cid}", token=market.catalog.vendor_a.access_token)[0] == 200
    assert market.call("GET", f"/claims/{cid}")[1]["state"] == "opened"


# --- disputes as cases ----------------------------------------------------------------------------


def dispute_of(market, payment_intent_id: str) -> dict:
    return market.event_for("charge.dispute.created", payment_intent_id)["data"]["object"]


def test_a_dispute_is_an_admin_case_with_its_deadline_and_the_vendor_sees_its_payout_held(market, admin,
                                                                                           connected):
    order = shipped_order(market, DISPUTED_CARD)
    dispute = dispute_of(market, order["payment_intent_id"])
    vendor_a = market.catalog.vendor_a
    market.call("POST", f"/orders/{order['order_id']}/vendors/{vendor_a.user_id}/confirm-receipt")

    status, cases, _ = market.call("GET", "/admin/cases?kind=dispute", token=admin.access_token)
    assert status == 200
    (case,) = [c for c in cases["items"] if c["case_id"] == dispute["id"]]
    due_by = datetime.fromtimestamp(dispute["evidence_details"]["due_by"], UTC).isoformat().replace("+00:00", "Z")
    assert (case["kind"], case["deadline"], case["reason"]) == ("dispute", due_by, dispute["reason"])
    assert case["amount"] == {"amount": dispute["amount"], "currency": "EUR"}
    assert {v["vendor_id"] for v in case["vendors"]} == {vendor_a.user_id, market.catalog.vendor_b.user_id}
    assert case["history"] and case["order_id"] == order["order_id"]

    (seen,) = [c for c in market.call("GET", "/vendor/claims", token=vendor_a.access_token)[1]["items"]
               if c["case_id"] == dispute["id"]]
    assert seen["payout_status"] == "held_dispute_open" and seen["status"] == "needs_response"
    published = [t for t, order_id in market.published() if order_id == order["order_id"]]
    assert published.count("dispute.opened") == 1


def test_winning_evidence_submitted_by_the_admin_closes_the_case_and_releases_the_payout(market, admin,
                                                                                         connected):
    from tests.component.test_payment_events import retry_payouts

    order = shipped_order(market, DISPUTED_CARD)
    dispute = dispute_of(market, order["payment_intent_id"])
    vendor_a = market.catalog.vendor_a
    market.call("POST", f"/orders/{order['order_id']}/vendors/{vendor_a.user_id}/confirm-receipt")
    assert market.transfers_of(order["order_id"]) == []

    path = f"/admin/disputes/{dispute['id']}/evidence"
    staged = market.call("POST", path, {"product_description": "A tent", "submit": False}, token=admin.access_token)
    assert staged[0] == 200 and staged[1]["status"] == "needs_response", staged
    status, sent, _ = market.call("POST", path, {"uncategorized_text": "winning_evidence", "submit": True},
                                  token=admin.access_token)
    assert status == 200 and sent == {"dispute_id": dispute["id"], "status": "won", "submitted": True}
    market.settle()

    later = datetime.now(UTC) + timedelta(minutes=1)
    assert retry_payouts(later) == {"transferred": 1}
    (transfer,) = market.transfers_of(order["order_id"])
    assert transfer["destination"] == connected[vendor_a.user_id]
    closed = market.call("GET", "/admin/cases?kind=dispute&state=closed", token=admin.access_token)[1]["items"]
    (case,) = [c for c in closed if c["case_id"] == dispute["id"]]
    assert case["state"] == "won" and any(h["state"] == "won" for h in case["history"])
    assert market.call("POST", path, {"uncategorized_text": "more", "submit": True},
                       token=admin.access_token)[0] == 409  # closed: refused, never sent
    published = [t for t, order_id in market.published() if order_id == order["order_id"]]
    assert published.count("dispute.closed") == 1


def test_a_dispute_lost_after_the_payout_recovers_the_vendors_share(market, admin, connected, monkeypatch):
    monkeypatch.setenv("HALLES_PAYOUT_RELEASE", "at_payment")
    market.add("tent", "a", 1)
    order, payment = market.checkout()
    market.pay(payment["payment_intent_id"], DISPUTED_CARD)
    market.settle()
    (transfer,) = market.transfers_of(order["order_id"])
    dispute = dispute_of(market, payment["payment_intent_id"])

    market.payments.settle_dispute(dispute["id"], won=False)
    market.settle()

    reversed_amount = market.payments.ledger.get("transfer", transfer["id"])["amount_reversed"]
    assert reversed_amount == transfer["amount"] > 0
    closed = market.call("GET", "/admin/cases?kind=dispute&state=closed", token=admin.access_token)[1]["items"]
    assert [c["state"] for c in closed if c["case_id"] == dispute["id"]] == ["lost"]
    (seen,) = [c for c in market.call("GET", "/vendor/claims", token=market.catalog.vendor_a.access_token)[1]["items"]
               if c["case_id"] == dispute["id"]]
    assert seen["status"] == "lost"


def test_evidence_for_an_unknown_dispute_is_a_404_and_empty_evidence_a_400(market, admin):
    order = shipped_order(market, DISPUTED_CARD)
    dispute = dispute_of(market, order["payment_intent_id"])
    assert market.call("POST", "/admin/disputes/dp_unknown/evidence", {"uncategorized_text": "x"},
                       token=admin.access_token)[0] == 404
    status, body, _ = market.call("POST", f"/admin/disputes/{dispute['id']}/evidence", {"submit": True},
                                  token=admin.access_token)
    assert status == 400 and "evidence" in body["error"]["fields"]
    status, body, _ = market.call("POST", f"/admin/disputes/{dispute['id']}/evidence", {"status": "won"},
                                  token=admin.access_token)
    assert status == 400 and "status" in body["error"]["fields"]


def test_a_claim_resolved_by_refund_refunds_exactly_the_lines_once(market, admin):
    order = shipped_order(market)
    claim = open_claim(market, order["order_id"])
    vendor = market.catalog.vendor_a
    tent = market.catalog.offers[("tent", "a")]
    market.call("POST", f"/vendor/claims/{claim['claim_id']}/answer", {"resolution": "rejection", "reason": "no"},
                token=vendor.access_token)
    market.call("POST", f"/claims/{claim['claim_id']}/escalate")

    path = f"/admin/claims/{claim['claim_id']}/resolve"
    status, resolved, _ = market.call("POST", path, {"resolution": "refund", "lines": [
        {"offer_id": tent, "quantity": 1}]}, token=admin.access_token)
    again = market.call("POST", path, {"resolution": "refund", "lines": [{"offer_id": tent, "quantity": 1}]},
                        token=admin.access_token)
    market.settle()

    assert status == 200 and resolved["resolution"]["amount"] == 19900, resolved  # one tent, as paid
    assert again[0] == 200
    refunds = market.payments.ledger.of_kind("refund", payment_intent=order["payment_intent_id"])
    assert [r["amount"] for r in refunds] == [19900]
    seen = market.call("GET", f"/claims/{claim['claim_id']}")[1]
    assert seen["refund"]["amount"] == 19900 and seen["refund"]["status"] in ("succeeded", "pending", "requested")
    assert market.order(order["order_id"])["payment"]["refunded"]["amount"] == 19900


def test_the_admin_cases_list_is_paged_with_an_opaque_cursor_and_refuses_a_bad_one(market, admin):
    first = open_claim(market, shipped_order(market)["order_id"])
    second = open_claim(market, shipped_order(market)["order_id"], reason="not_as_described", text="Blue, not red")

    status, page, _ = market.call("GET", "/admin/cases?kind=all&state=open&limit=1", token=admin.access_token)
    assert status == 200 and len(page["items"]) == 1 and page["next_cursor"], page
    status, rest, _ = market.call("GET", f"/admin/cases?kind=all&state=open&limit=1&cursor={page['next_cursor']}",
                                  token=admin.access_token)
    assert status == 200 and rest["next_cursor"] is None, rest
    # Each claim once across the pages, in the queue's order: nearest deadline first, then the older
    # claim, then the case id (two claims opened in the same second tie on both times).
    listed = page["items"] + rest["items"]
    assert sorted(c["case_id"] for c in listed) == sorted([first["claim_id"], second["claim_id"]])
    assert listed == sorted(listed, key=lambda c: (c.get("deadline") or "~", c["opened_at"], c["case_id"]))

    for query, field in ((f"cursor={page['next_cursor'][:-3]}", "cursor"), ("cursor=%00", "cursor"),
                         (f"kind=claim&cursor={page['next_cursor']}", "cursor"), ("limit=0", "limit"),
                         ("limit=many", "limit")):
        status, body, _ = market.call("GET", f"/admin/cases?{query}", token=admin.access_token)
        assert status == 400 and field in body["error"]["fields"], (query, body)
