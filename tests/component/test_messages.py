"""Buyer-vendor messages through the API (moto, the local payment provider): a shopper writes to one
of a paid order's vendors, the vendor answers; contact details are masked before anything is stored;
unread counts follow what each side has read; a double click posts once; nobody else reads a thread
by any id; the platform reads every thread and posts only once it is escalated or joined."""

from __future__ import annotations

import uuid

import pytest

from chalicelib.domain.messages import EMAIL_PLACEHOLDER, PHONE_PLACEHOLDER
from tests.component.test_payment_events import Market
from tests.fixtures.aws import call


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


def paid_order(shop: Market, token=None) -> dict:
    shop.add("tent", "a", 1, token)
    shop.add("headphones", "b", 1, token)
    order, payment = shop.checkout(token=token)
    shop.pay(payment["payment_intent_id"])
    shop.settle()
    return order


def client_id() -> str:
    return uuid.uuid4().hex


def write(shop: Market, order_id: str, vendor_id: str, text: str, *, cid: str | None = None, token=None, **extra):
    return shop.call("POST", f"/orders/{order_id}/messages",
                     {"vendor_id": vendor_id, "text": text, "client_message_id": cid or client_id(), **extra},
                     token=token)


def unread(shop: Market, token=None, prefix: str = "") -> int:
    status, body, _ = shop.call("GET", f"{prefix}/messages/unread-count", token=token)
    assert status == 200, body
    return body["unread"]


def test_a_shopper_writes_the_vendor_reads_and_answers_and_unread_counts_follow(market):
    order = paid_order(market)
    vendor = market.catalog.vendor_a
    market.take_messages("notifications")

    status, posted, _ = write(market, order["order_id"], vendor.user_id, "Hello, is the tent waterproof?")
    assert status == 201, posted
    thread_id = posted["thread"]["thread_id"]
    assert unread(market, vendor.access_token, "/vendor") == 1
    assert unread(market) == 0  # one's own message is read
    listed = market.call("GET", "/vendor/messages/threads", token=vendor.access_token)[1]
    assert [(t["thread_id"], t["unread"], t["order_number"]) for t in listed["items"]] == [
        (thread_id, 1, order["order_number"])]
    received = [m for m in market.take_messages("notifications") if m["type"] == "message.received"]
    assert [(m["data"]["recipients"], m["data"]["excerpt"]) for m in received] == [
        ([{"role": "vendor", "id": vendor.user_id}], "Hello, is the tent waterproof?")]

    seen = market.call("GET", f"/vendor/messages/threads/{thread_id}", token=vendor.access_token)[1]
    assert [(m["author_role"], m["text"], m["mine"]) for m in seen["messages"]] == [
        ("shopper", "Hello, is the tent waterproof?", False)]
    read = market.call("POST", f"/vendor/messages/threads/{thread_id}/read", token=vendor.access_token)
    assert read[0] == 200 and read[1]["unread_total"] == 0
    assert unread(market, vendor.access_token, "/vendor") == 0
    answer = market.call("POST", f"/vendor/messages/threads/{thread_id}",
                         {"text": "Yes, 3000 mm.", "client_message_id": client_id()}, token=vendor.access_token)
    assert answer[0] == 201, answer[1]

    assert unread(market) == 1
    mine = market.call("GET", "/messages/threads")[1]
    assert [(t["vendor_id"], t["unread"], t["last_excerpt"]) for t in mine["items"]] == [
        (vendor.user_id, 1, "Yes, 3000 mm.")]
    thread = market.call("GET", f"/messages/threads/{thread_id}")[1]
    assert [m["text"] for m in thread["messages"]] == ["Hello, is the tent waterproof?", "Yes, 3000 mm."]
    assert thread["read_up_to"]["vendor"] == 2  # the vendor has seen its own answer
    market.call("POST", f"/messages/threads/{thread_id}/read")
    market.call("POST", f"/messages/threads/{thread_id}/read")  # twice: the badge never goes below 0
    assert unread(market) == 0
    assert market.call("GET", "/messages/threads")[1]["items"][0]["unread"] == 0


def test_each_vendor_of_an_order_has_its_own_thread_and_a_thread_reopens_where_it_was(market):
    order = paid_order(market)
    a, b = market.catalog.vendor_a, market.catalog.vendor_b
    first = write(market, order["order_id"], a.user_id, "one")[1]["thread"]["thread_id"]
    again = write(market, order["order_id"], a.user_id, "two")[1]["thread"]
    other = write(market, order["order_id"], b.user_id, "three")[1]["thread"]["thread_id"]

    assert again["thread_id"] == first and again["message_count"] == 2 and other != first
    assert unread(market, a.access_token, "/vendor") == 2 and unread(market, b.access_token, "/vendor") == 1
    by_vendor = market.call("POST", f"/vendor/orders/{order['order_id']}/messages",
                            {"text": "We ship tomorrow.", "client_message_id": client_id()}, token=b.access_token)
    assert by_vendor[0] == 201 and by_vendor[1]["thread"]["thread_id"] == other
    assert unread(market) == 1

    first_page = market.call("GET", "/messages/threads?limit=1")[1]
    second_page = market.call("GET", f"/messages/threads?limit=1&cursor={first_page['next_cursor']}")[1]
    assert [t["thread_id"] for t in first_page["items"] + second_page["items"]] == [other, first]  # latest first
    assert second_page["next_cursor"] is None
    stolen = market.call("GET", f"/vendor/messages/threads?cursor={first_page['next_cursor']}", token=a.access_token)
    assert stolen[0] == 400 and "cursor" in stolen[1]["error"]["fields"]  # a cursor is its owner's only


def test_a_double_click_posts_once(market, drain):
    order = paid_order(market)
    market.take_messages("notifications")
    vendor = market.catalog.vendor_a
    cid = client_id()
    first = write(market, order["order_id"], vendor.user_id, "Where is my parcel?", cid=cid)
    second = write(market, order["order_id"], vendor.user_id, "Where is my parcel?", cid=cid)

    assert (first[0], second[0]) == (201, 200)
    assert second[1]["message"] == first[1]["message"]
    thread_id = first[1]["thread"]["thread_id"]
    assert len(market.call("GET", f"/messages/threads/{thread_id}")[1]["messages"]) == 1
    assert unread(market, vendor.access_token, "/vendor") == 1
    reply_id = client_id()
    replies = [market.call("POST", f"/messages/threads/{thread_id}", {"text": "?", "client_message_id": reply_id})[0]
               for _ in range(2)]
    assert replies == [201, 200] and unread(market, vendor.access_token, "/vendor") == 2
    # The notifications consumer accepts the events (one per message; a repeat has the same event id).
    drained = drain("notifications")
    assert not drained.errors and drained.failed == 0 and drained.processed >= 2


def test_contact_details_are_masked_before_they_are_stored(market):
    from chalicelib.store import messages as store

    order = paid_order(market)
    vendor = market.catalog.vendor_a
    text = "Write to jean.dupont@gmail.com or call 06 12 34 56 78 about order " + order["order_number"]
    posted = write(market, order["order_id"], vendor.user_id, text)[1]

    expected = f"Write to {EMAIL_PLACEHOLDER} or call {PHONE_PLACEHOLDER} about order {order['order_number']}"
    assert posted["message"]["text"] == expected
    (stored,) = store.messages(posted["thread"]["thread_id"])
    assert stored.text == expected and "gmail" not in (store.get_thread(posted["thread"]["thread_id"]).last_excerpt)
    event = [m for m in market.take_messages("notifications") if m["type"] == "message.received"][-1]
    assert "gmail" not in event["data"]["excerpt"] and "06 12" not in event["data"]["excerpt"]


def test_nobody_else_reads_or_writes_a_thread_by_any_id(market, make_user):
    order = paid_order(market)
    a, b = market.catalog.vendor_a, market.catalog.vendor_b
    thread_id = write(market, order["order_id"], a.user_id, "private")[1]["thread"]["thread_id"]
    stranger = make_user("shopper")
    body = {"text": "hi", "client_message_id": client_id()}

    # another shopper: by thread id and by order id
    assert market.call("GET", f"/messages/threads/{thread_id}", token=stranger.access_token)[0] == 404
    assert market.call("POST", f"/messages/threads/{thread_id}", body, token=stranger.access_token)[0] == 404
    assert market.call("POST", f"/messages/threads/{thread_id}/read", token=stranger.access_token)[0] == 404
    assert write(market, order["order_id"], a.user_id, "hi", token=stranger.access_token)[0] == 404
    assert market.call("GET", "/messages/threads", token=stranger.access_token)[1]["items"] == []
    # the order's other vendor: not its thread
    for method, path, payload in (("GET", f"/vendor/messages/threads/{thread_id}", None),
                                  ("POST", f"/vendor/messages/threads/{thread_id}", body),
                                  ("POST", f"/vendor/messages/threads/{thread_id}/read", None)):
        assert market.call(method, path, payload, token=b.access_token)[0] == 404, path
        assert call(market.client, method, path, payload)[0] == 401, path
    # a vendor with no lines in an order cannot open a thread on it
    market.add("tent", "a", 1)
    only_a, payment = market.checkout()
    market.pay(payment["payment_intent_id"])
    market.settle()
    assert market.call("POST", f"/vendor/orders/{only_a['order_id']}/messages", body, token=b.access_token)[0] == 404
    assert write(market, only_a["order_id"], b.user_id, "hi")[1]["error"]["fields"] == {"vendor_id": "not in this order"}
    # roles: a shopper on vendor routes, a vendor on shopper routes, either on admin routes
    assert market.call("GET", f"/vendor/messages/threads/{thread_id}")[0] == 403
    assert market.call("GET", f"/messages/threads/{thread_id}", token=a.access_token)[0] == 403
    assert market.call("GET", f"/admin/messages/threads/{thread_id}", token=a.access_token)[0] == 403
    assert market.call("GET", "/admin/messages/threads")[0] == 403
    # malformed ids are 404s too, never 500s
    assert market.call("GET", "/messages/threads/thr_nope")[0] == 404
    assert write(market, "ord_missing", a.user_id, "hi")[0] == 404
    # the thread is untouched
    assert len(market.call("GET", f"/messages/threads/{thread_id}")[1]["messages"]) == 1


def test_a_thread_opens_only_on_a_paid_order_and_names_the_bad_field(market):
    market.add("tent", "a", 1)
    unpaid, _ = market.checkout()
    a = market.catalog.vendor_a
    assert write(market, unpaid["order_id"], a.user_id, "hi")[0] == 404
    assert market.call("POST", f"/vendor/orders/{unpaid['order_id']}/messages",
                       {"text": "hi", "client_message_id": client_id()}, token=a.access_token)[0] == 404
    order = paid_order(market)
    oid = order["order_id"]
    for body, field in (({"text": " "}, "text"), ({"text": "x" * 4001}, "text"),
                        ({"client_message_id": "short"}, "client_message_id"),
                        ({"shopper_id": "someone"}, "shopper_id"), ({"case_id": "dp_123"}, "case_id"),
                        ({"case_id": "ret_ABCDEF123456"}, "case_id")):
        status, answer, _ = market.call("POST", f"/orders/{oid}/messages",
                                        {"vendor_id": a.user_id, "text": "hi", "client_message_id": client_id(),
                                         **body})
        assert status in (400, 404) and field in answer["error"]["fields"], (body, answer)


def test_the_platform_reads_every_thread_and_posts_only_once_it_is_escalated_or_joined(market, admin):
    order = paid_order(market)
    vendor = market.catalog.vendor_a
    thread_id = write(market, order["order_id"], vendor.user_id, "The tent is torn.")[1]["thread"]["thread_id"]
    body = {"text": "The platform here: we look into it.", "client_message_id": client_id()}

    seen = market.call("GET", f"/admin/messages/threads/{thread_id}", token=admin.access_token)[1]
    assert [m["text"] for m in seen["messages"]] == ["The tent is torn."] and seen["can_post"] is False
    refused = market.call("POST", f"/admin/messages/threads/{thread_id}", body, token=admin.access_token)
    assert refused[0] == 403 and refused[1]["error"]["fields"] == {"thread_id": "not escalated"}
    everything = market.call("GET", "/admin/messages/threads?scope=all", token=admin.access_token)[1]["items"]
    assert thread_id in [t["thread_id"] for t in everything]
    assert market.call("GET", "/admin/messages/threads", token=admin.access_token)[1]["items"] == []
    assert market.call("POST", f"/admin/messages/threads/{thread_id}/join", {"reason": ""},
                       token=admin.access_token)[1]["error"]["fields"].keys() == {"reason"}

    joined = market.call("POST", f"/admin/messages/threads/{thread_id}/join", {"reason": "shopper asked for help"},
                         token=admin.access_token)
    assert joined[0] == 200 and joined[1]["escalated"] and joined[1]["can_post"]
    assert joined[1]["escalation_reason"] == "shopper asked for help"
    assert unread(market, admin.access_token, "/admin") == 1  # the thread's message, for the platform
    queue = market.call("GET", "/admin/messages/threads", token=admin.access_token)[1]["items"]
    assert [(t["thread_id"], t["escalated"]) for t in queue] == [(thread_id, True)]
    posted = market.call("POST", f"/admin/messages/threads/{thread_id}", body, token=admin.access_token)
    assert posted[0] == 201 and posted[1]["message"]["author_role"] == "admin"
    assert unread(market) == 1 and unread(market, vendor.access_token, "/vendor") == 2
    assert market.call("GET", "/messages/threads")[1]["items"][0]["escalated"] is True
    market.call("POST", f"/messages/threads/{thread_id}", {"text": "Thanks", "client_message_id": client_id()})
    assert unread(market, admin.access_token, "/admin") == 2


def test_escalating_a_case_thread_opens_it_to_the_platform_once(market, admin):
    from chalicelib.services import messages

    order = paid_order(market)
    vendor = market.catalog.vendor_a
    first = messages.escalate_thread(order["order_id"], vendor.user_id, "")
    again = messages.escalate_thread(order["order_id"], vendor.user_id, "")

    assert first["escalated"] and again["escalated_at"] == first["escalated_at"]
    thread_id = first["thread_id"]
    assert market.call("POST", f"/admin/messages/threads/{thread_id}",
                       {"text": "Platform here.", "client_message_id": client_id()}, token=admin.access_token)[0] == 201
    assert unread(market) == 1
    assert market.call("GET", f"/messages/threads/{thread_id}")[1]["messages"][0]["author_role"] == "admin"


def test_two_posts_read_at_the_same_count_never_share_a_place_and_a_read_never_swallows_a_new_message(stack):
    from chalicelib.domain.messages import Party
    from chalicelib.store import messages as store

    shopper, vendor = Party("shopper", "s-1"), Party("vendor", "alpine")
    summary = store.ThreadSummary(thread_id="thr_" + "a" * 24, order_id="ord_1", order_number="H-1", vendor_id="alpine",
                                  vendor_name="Alpine", shopper_id="s-1", case_id="")

    def post(expected, cid, author=shopper):
        recipients = (vendor,) if author == shopper else (shopper,)
        return store.post(summary, expected_count=expected, author=author, author_id=author.id, text=cid,
                          excerpt=cid, at="2026-11-27T10:00:00Z", client_message_id=cid,
                          inboxes=(shopper, vendor), recipients=recipients, escalated=False)

    assert post(None, "first-post") == 1
    with pytest.raises(store.ThreadChanged):
        post(None, "also-first")  # a second "new thread" lost the race
    assert post(1, "second-post") == 2
    with pytest.raises(store.ThreadChanged):
        post(1, "stale-count")
    with pytest.raises(store.AlreadyPosted):
        post(2, "second-post")
    assert [m.text for m in store.messages(summary.thread_id)] == ["first-post", "second-post"]
    assert store.unread_total(vendor) == 2

    with pytest.raises(store.ReadStateChanged):
        store.mark_read(vendor, summary.thread_id, up_to_seq=1, unread_seen=1)  # a message arrived since
    store.mark_read(vendor, summary.thread_id, up_to_seq=2, unread_seen=2)
    assert store.unread_total(vendor) == 0 and store.get_inbox_item(vendor, summary.thread_id).last_read_seq == 2
