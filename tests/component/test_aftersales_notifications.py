"""After-sales as people hear about it (moto, the local payment provider, the real notifications
consumer): each step of a return reaches the side that must act or know, in their words; a case
that escalates opens its conversation to the platform and reaches every admin, once however often
the event is redelivered; a refund the provider fails reaches every admin, and tells the shopper the team is on it."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.services import notification_delivery
from tests.component.test_claims_and_disputes import open_claim, shipped_order
from tests.component.test_notifications import consume, mails_to, sqs_event
from tests.component.test_payment_events import Market
from tests.component.test_returns import BACK, ask, delivered_order, vendor_call


@pytest.fixture(autouse=True)
def fresh_admin_list():
    """Each test makes its own admin: forget the group members another test's events listed."""
    notification_delivery._group_members.clear()
    yield
    notification_delivery._group_members.clear()


@pytest.fixture
def market(app_client, catalog, payments, make_user, drain, take_messages, stack):
    payments.webhook_target = lambda body, headers: app_client.http.post(
        "/webhooks/stripe", body=body, headers=headers).status_code
    shop = Market(app_client, catalog, make_user("shopper", name="Camille"), payments, drain, take_messages, stack)
    take_messages("notifications")  # sign-ups of the test users
    return shop


def notify_all(shop: Market) -> None:
    drained = shop._drain("notifications")
    assert not drained.errors and drained.failed == 0, drained.errors


def about(address: str, number: str) -> list:
    return [m for m in mails_to(address) if number in m.subject]


def subjects(address: str, number: str) -> list[str]:
    return sorted(m.subject for m in about(address, number))


def test_each_step_of_a_return_tells_the_side_that_must_act_or_know(market):
    order = delivered_order(market)
    oid, number, vendor, shopper = order["order_id"], order["order_number"], market.catalog.vendor_a, market.shopper
    notify_all(market)  # the order's own mails (paid, shipped, delivered)
    before_shopper, before_vendor = len(about(shopper.email, number)), len(about(vendor.email, number))
    assert market.call("PUT", "/me/preferences", {"locale": "fr"})[0] == 200

    rid = ask(market, oid, reason="damaged")[1]["return_id"]
    notify_all(market)
    (request,) = about(vendor.email, number)[before_vendor:]
    assert request.subject == f"Return request on order {number}: please answer"
    assert "(damaged)" in request.text and "Approve or reject the request by" in request.text
    tent = next(line["title"] for line in market.order(oid)["lines"]
                if line["offer_id"] == market.catalog.offers[("tent", "a")])
    assert f"decides.\n- 1 x {tent}\n" in request.text
    (acknowledged,) = about(shopper.email, number)[before_shopper:]
    assert acknowledged.subject == f"Demande de retour pour la commande {number}"
    assert "(article endommagé)" in acknowledged.text  # the reason in the shopper's language

    label = vendor_call(market, vendor, "POST", f"/vendor/returns/{rid}/approve")[1]["label_reference"]
    notify_all(market)
    (approved,) = [m for m in about(shopper.email, number) if "accepté" in m.subject]
    assert label in approved.text and label in approved.html

    market.call("POST", f"/returns/{rid}/ship-back", BACK)
    notify_all(market)
    (on_its_way,) = [m for m in about(vendor.email, number) if "on its way back" in m.subject]
    assert BACK["tracking_number"] in on_its_way.text and BACK["carrier"] in on_its_way.text

    vendor_call(market, vendor, "POST", f"/vendor/returns/{rid}/receive", {"restock": True})
    market.settle()
    notify_all(market)
    (refunded,) = [m for m in about(shopper.email, number) if m.subject.startswith("Remboursement")]
    assert "199,00\u00a0€" in refunded.subject  # what was paid for that unit, in French
    assert len([m for m in about(shopper.email, number) if "est arrivé" in m.subject]) == 1
    titles = [n["title"] for n in market.call("GET", "/me/notifications")[1]["items"]]
    assert refunded.subject in titles


def test_a_rejected_return_tells_the_shopper_why(market):
    order = delivered_order(market)
    rid = ask(market, order["order_id"])[1]["return_id"]
    status, _, _ = vendor_call(market, market.catalog.vendor_a, "POST", f"/vendor/returns/{rid}/reject",
                               {"reason": "The seal was broken before delivery."})
    assert status == 200
    notify_all(market)
    (declined,) = [m for m in about(market.shopper.email, order["order_number"]) if "declined" in m.subject]
    assert "The seal was broken before delivery." in declined.text and "by the shop" in declined.text


def test_an_unanswered_return_opens_its_conversation_to_the_platform_and_tells_every_admin_once(market, make_user):
    from chalicelib.services import messages, returns

    admins = [make_user("admin"), make_user("admin")]
    order = delivered_order(market)
    oid, number, vendor = order["order_id"], order["order_number"], market.catalog.vendor_a
    rid = ask(market, oid)[1]["return_id"]
    notify_all(market)
    assert returns.escalate_overdue_returns(datetime.now(UTC) + timedelta(days=3, minutes=1)) == {"escalated": 1}
    (escalated,) = [m for m in market.take_messages("notifications") if m["type"] == "return.escalated"]
    body = json.dumps(escalated)

    assert consume(market.client, sqs_event([body]))["batchItemFailures"] == []
    assert consume(market.client, sqs_event([body, body]))["batchItemFailures"] == []  # redelivered twice

    thread_id = messages.thread_id_of(oid, vendor.user_id, rid)
    for admin in admins:
        queue = market.call("GET", "/admin/messages/threads", token=admin.access_token)[1]["items"]
        assert [(t["thread_id"], t["escalated"]) for t in queue if t["thread_id"] == thread_id] == [(thread_id, True)]
        (told,) = about(admin.email, number)
        assert told.subject == f"To decide: return on order {number} (vendor {vendor.user_id})"
        inbox = market.call("GET", "/me/notifications", token=admin.access_token)[1]["items"]
        assert [(n["title"], n["link"]) for n in inbox] == [(told.subject, "#/admin/returns")]
    posted = market.call("POST", f"/admin/messages/threads/{thread_id}",
                         {"text": "Halles here: we decide by tomorrow.", "client_message_id": "c" * 16},
                         token=admins[0].access_token)
    assert posted[0] == 201, posted[1]
    assert subjects(market.shopper.email, number).count(f"Return on order {number}: Halles now decides") == 1
    assert subjects(vendor.email, number).count(f"Return on order {number} went to Halles") == 1


def test_a_claim_the_shopper_escalates_opens_its_conversation_and_reaches_the_admins(market, make_user):
    from chalicelib.services import messages

    admin = make_user("admin")
    order = shipped_order(market)
    vendor = market.catalog.vendor_a
    claim = open_claim(market, order["order_id"])
    market.call("POST", f"/vendor/claims/{claim['claim_id']}/answer",
                {"resolution": "rejection", "reason": "Bent by the carrier"}, token=vendor.access_token)
    assert market.call("POST", f"/claims/{claim['claim_id']}/escalate")[0] == 200
    thread_id = messages.thread_id_of(order["order_id"], vendor.user_id, claim["claim_id"])
    before = market.call("GET", f"/admin/messages/threads/{thread_id}", token=admin.access_token)
    assert before[0] == 404 or before[1]["can_post"] is False  # nothing opened it yet: the queue does

    notify_all(market)

    seen = market.call("GET", f"/admin/messages/threads/{thread_id}", token=admin.access_token)[1]
    assert seen["escalated"] and seen["can_post"] and seen["case_id"] == claim["claim_id"]
    (told,) = [m for m in about(admin.email, order["order_number"]) if m.subject.startswith("To decide: claim")]
    assert "sent to Halles by the shopper" in told.text
    status, mine, _ = market.call("GET", f"/messages/threads/{thread_id}")
    assert status == 200 and mine["escalated"] is True  # the shopper sees Halles is in the conversation


def test_a_refund_the_provider_fails_reaches_every_admin_and_tells_the_shopper_in_their_language(market, make_user):
    admin = make_user("admin")
    order = delivered_order(market, card="4000000000005126")  # its refunds fail after being made
    oid, number, vendor, shopper = order["order_id"], order["order_number"], market.catalog.vendor_a, market.shopper
    assert market.call("PUT", "/me/preferences", {"locale": "fr"})[0] == 200
    rid = ask(market, oid)[1]["return_id"]
    vendor_call(market, vendor, "POST", f"/vendor/returns/{rid}/approve")
    market.call("POST", f"/returns/{rid}/ship-back", BACK)
    vendor_call(market, vendor, "POST", f"/vendor/returns/{rid}/receive", {})
    notify_all(market)
    before = len(about(shopper.email, number))
    market.payments.settle_refunds()  # the provider's later word: refund.failed
    market.settle()

    notify_all(market)

    (told,) = [m for m in about(admin.email, number) if m.subject.startswith("Refund failed")]
    assert "€199.00" in told.subject and rid in told.text and "No money moved" in told.text
    inbox = market.call("GET", "/me/notifications", token=admin.access_token)[1]["items"]
    assert [n["link"] for n in inbox if n["title"] == told.subject] == ["#/admin/refunds"]
    (shopper_told,) = about(shopper.email, number)[before:]
    assert shopper_told.subject == f"Votre remboursement de 199,00\u00a0€ pour la commande {number} est retardé"
    assert "n'a pas pu être versé sur votre carte" in shopper_told.text and "Notre équipe s'en occupe" in shopper_told.text
    assert rid not in shopper_told.text  # the shopper reads about their refund, not the platform's case ids
    mine = market.call("GET", "/me/notifications")[1]["items"]
    assert [n["link"] for n in mine if n["title"] == shopper_told.subject] == [f"#/orders/{oid}"]


def test_the_demo_seed_leaves_one_conversation_and_one_open_claim_once(stack, payments):
    from chalicelib.services import claims, messages
    from devstack.seed import seed_demo

    credentials = seed_demo(payments=payments)
    seed_demo(payments=payments)  # a restart: nothing more
    shopper_id = credentials["shopper"]["user_id"]
    vendors = {v["email"]: v["vendor_id"] for v in credentials["vendors"]}

    threads = messages.list_threads(messages.shopper(shopper_id))["items"]
    (thread,) = [t for t in threads if t["vendor_id"] == vendors["alpine@halles.local"]]
    seen = messages.read_thread(messages.shopper(shopper_id), thread["thread_id"])
    assert [m["author_role"] for m in seen["messages"]] == ["shopper", "vendor"]
    open_claims = claims.vendor_cases(vendors["bytes@halles.local"], open_only=True)["items"]
    assert [(c["kind"], c["reason"], c["state"]) for c in open_claims] == [("claim", "damaged", "opened")]
