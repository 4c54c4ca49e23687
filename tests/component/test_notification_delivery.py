"""Notifications as people get them (moto, the local payment provider, the real consumer): a paid order
mails the shopper a confirmation and each vendor what to ship, in each one's language, and lands in
their inboxes; redeliveries send nothing twice; consent gates non-transactional mail, whose
unsubscribe link works without signing in."""

from __future__ import annotations

import json
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.domain import notifications as rules
from chalicelib.domain.events import OrderDelivered, OrderSummary
from chalicelib.domain.notifications import Purpose, sign_unsubscribe
from chalicelib.events import envelope
from chalicelib.store import orders as order_store
from tests.component.test_notifications import consume, mails_to, sqs_event
from tests.component.test_payment_events import Market
from tests.fixtures.aws import call


@pytest.fixture
def market(app_client, catalog, payments, make_user, drain, take_messages, stack):
    payments.webhook_target = lambda body, headers: app_client.http.post(
        "/webhooks/stripe", body=body, headers=headers).status_code
    shop = Market(app_client, catalog, make_user("shopper", name="Camille"), payments, drain, take_messages, stack)
    take_messages("notifications")  # sign-ups and approvals of the test users
    return shop


def pay_an_order(shop: Market) -> dict:
    shop.add("tent", "a", 2)
    shop.add("headphones", "b", 1)
    order, payment = shop.checkout()
    shop.pay(payment["payment_intent_id"])
    shop.settle()
    return order


def notify_all(shop: Market):
    drained = shop._drain("notifications")
    assert not drained.errors and drained.failed == 0, drained.errors
    return drained


def inbox(shop: Market, token: str) -> list[dict]:
    status, body, _ = shop.call("GET", "/me/notifications", token=token)
    assert status == 200, body
    return body["items"]



def ses_down_for(monkeypatch, address: str):
    """SES refuses every mail to `address` until the real sender (returned) is put back."""
    from chalicelib import mailer

    real_send = mailer.send_mime

    def refusing(to, *args, **kwargs):
        if to == address:
            raise RuntimeError("SES throttled")
        return real_send(to, *args, **kwargs)

    monkeypatch.setattr(mailer, "send_mime", refusing)
    return real_send

def test_paying_an_order_tells_the_shopper_in_french_and_each_vendor_what_to_ship(market):
    shopper, alpine, bytes_ = market.shopper, market.catalog.vendor_a, market.catalog.vendor_b
    assert market.call("PUT", "/me/preferences", {"locale": "fr"})[0] == 200

    order = pay_an_order(market)
    notify_all(market)

    number = order["order_number"]
    confirmations = [m for m in mails_to(shopper.email) if number in m.subject and "confirm" in m.subject]
    (confirmation,) = confirmations
    assert confirmation.subject == f"Commande {number} confirmée"
    assert "Bonjour Camille" in confirmation.text and "Adresse de livraison" in confirmation.text
    stored = order_store.get_order(order["order_id"])
    total = stored["total"]
    assert f"Total : {total // 100},{total % 100:02d}\u00a0€" in confirmation.text  # French money and spacing
    assert "2 x" in confirmation.text
    (for_alpine,) = [m for m in mails_to(alpine.email) if number in m.subject]
    assert for_alpine.subject == f"New order {number} to ship"
    assert "Delivery address" in for_alpine.text and "€" in for_alpine.text
    (for_bytes,) = [m for m in mails_to(bytes_.email) if number in m.subject]
    tent_title = next(line["title"] for line in stored["lines"] if line["offer_id"] == market.catalog.offers[("tent", "a")])
    assert tent_title in for_alpine.text and tent_title not in for_bytes.text  # each vendor its own lines

    shopper_inbox = inbox(market, shopper.access_token)
    assert shopper_inbox[0]["title"] == f"Commande {number} confirmée"  # newest first
    assert shopper_inbox[0]["link"] == f"#/orders/{order['order_id']}" and not shopper_inbox[0]["read"]
    assert [n["title"] for n in inbox(market, alpine.access_token)] == [f"New order {number} to ship"]


def test_a_redelivered_event_after_a_failed_send_mails_each_recipient_once(market, monkeypatch):
    """SES failed for one vendor: the record fails; its redelivery mails only that vendor."""
    from chalicelib import mailer

    order = pay_an_order(market)
    paid = [m for m in market.take_messages("notifications") if m["type"] == "order.paid"]
    (body,) = [json.dumps(m) for m in paid]
    real_send = ses_down_for(monkeypatch, market.catalog.vendor_b.email)
    first = sqs_event([body])
    assert consume(market.client, first)["batchItemFailures"] == [{"itemIdentifier": first["Records"][0]["messageId"]}]
    monkeypatch.setattr(mailer, "send_mime", real_send)
    assert consume(market.client, sqs_event([body, body]))["batchItemFailures"] == []  # redelivered, twice

    number = order["order_number"]
    for user in (market.shopper, market.catalog.vendor_a, market.catalog.vendor_b):
        assert len([m for m in mails_to(user.email) if number in m.subject]) == 1, user.role
        assert len([n for n in inbox(market, user.access_token) if number in n["title"]]) == 1


def test_an_event_published_again_later_after_a_failed_send_mails_and_lists_each_recipient_once(market, monkeypatch):
    """SES failed for one vendor, then the publisher sent the same event again with a later occurred_at
    (an effect re-run): the vendor gets its mail then, and nobody gets a second mail or inbox entry."""
    from chalicelib import mailer

    order = pay_an_order(market)
    (paid,) = [m for m in market.take_messages("notifications") if m["type"] == "order.paid"]
    real_send = ses_down_for(monkeypatch, market.catalog.vendor_b.email)
    assert len(consume(market.client, sqs_event([json.dumps(paid)]))["batchItemFailures"]) == 1
    monkeypatch.setattr(mailer, "send_mime", real_send)
    later = {**paid, "occurred_at": "2099-01-01T00:00:00.000000Z"}
    assert consume(market.client, sqs_event([json.dumps(later)]))["batchItemFailures"] == []

    number = order["order_number"]
    for user in (market.shopper, market.catalog.vendor_a, market.catalog.vendor_b):
        assert len([m for m in mails_to(user.email) if number in m.subject]) == 1, user.role
        assert len([n for n in inbox(market, user.access_token) if number in n["title"]]) == 1, user.role


def test_the_inbox_counts_unread_and_marks_read_for_its_owner_only(market):
    pay_an_order(market)
    notify_all(market)
    token, other = market.shopper.access_token, market.catalog.vendor_a.access_token
    entries = inbox(market, token)
    first = entries[0]["notification_id"]
    unread = market.call("GET", "/me/notifications/unread-count", token=token)[1]["unread"]
    assert unread == len(entries) >= 1

    assert market.call("POST", f"/me/notifications/{first}/read", token=other)[0] == 404  # not theirs
    assert call(market.client, "POST", f"/me/notifications/{first}/read")[0] == 401
    assert call(market.client, "GET", "/me/notifications")[0] == 401
    assert market.call("POST", "/me/notifications/n_1/read", token=token)[0] == 404
    assert market.call("POST", f"/me/notifications/{first}/read", token=token)[1] == {
        "notification_id": first, "read": True}
    assert market.call("POST", f"/me/notifications/{first}/read", token=token)[0] == 200  # again is fine
    assert market.call("GET", "/me/notifications/unread-count", token=token)[1]["unread"] == unread - 1
    assert inbox(market, token)[0]["read"] is True

    assert market.call("POST", "/me/notifications/read-all", token=token)[1]["marked"] == unread - 1
    assert market.call("GET", "/me/notifications/unread-count", token=token)[1]["unread"] == 0
    assert market.call("GET", "/me/notifications/unread-count", token=other)[1]["unread"] == 1


def test_the_inbox_pages_newest_first_with_a_cursor_only_its_owner_can_use(market):
    pay_an_order(market)
    notify_all(market)
    token = market.shopper.access_token
    everything = inbox(market, token)
    status, page, _ = market.call("GET", "/me/notifications?limit=1", token=token)
    assert status == 200 and [n["notification_id"] for n in page["items"]] == [everything[0]["notification_id"]]
    assert page["next_cursor"]
    rest = market.call("GET", f"/me/notifications?limit=50&cursor={page['next_cursor']}", token=token)[1]
    assert [n["notification_id"] for n in rest["items"]] == [n["notification_id"] for n in everything[1:]]
    stolen = market.call("GET", f"/me/notifications?cursor={page['next_cursor']}",
                         token=market.catalog.vendor_a.access_token)
    assert stolen[0] == 400 and "cursor" in stolen[1]["error"]["fields"]
    assert market.call("GET", "/me/notifications?limit=0", token=token)[1]["error"]["fields"].keys() == {"limit"}


def test_preferences_refuse_an_unknown_language_or_field_naming_it(market):
    bad = market.call("PUT", "/me/preferences", {"locale": "de"})
    extra = market.call("PUT", "/me/preferences", {"locale": "fr", "user_id": "someone-else"})
    assert bad[0] == 400 and "locale" in bad[1]["error"]["fields"]
    assert extra[0] == 400 and "user_id" in extra[1]["error"]["fields"]
    assert market.call("GET", "/me/preferences")[1] == {"locale": "en"}
    assert call(market.client, "PUT", "/me/preferences", {"locale": "fr"})[0] == 401


def test_a_sign_up_in_a_french_browser_gets_its_welcome_mail_in_french(app_client, stack, drain):
    email = f"lea-{uuid.uuid4().hex[:8]}@example.com"
    status, _, _ = call(app_client, "POST", "/auth/signup",
                        {"email": email, "password": "Passw0rd!x", "name": "Léa", "role": "shopper"},
                        headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert status == 201
    assert not drain("notifications").errors
    (mail,) = mails_to(email)
    assert mail.subject == "Bienvenue sur Halles" and "Bonjour Léa" in mail.text


# --- consent and unsubscribing ----------------------------------------------------------------------


def delivered_event(shop: Market, order: dict) -> str:
    """An `order.delivered` for the shopper (treated as a survey-purpose message by the tests below)."""
    stored = order_store.get_order(order["order_id"])
    summary = OrderSummary(order_id=order["order_id"], order_number=order["order_number"],
                           shopper_id=shop.shopper.user_id, total={"amount": stored["total"], "currency": "EUR"},
                           vendor_ids=[])
    message = envelope(OrderDelivered(summary, vendor_id="", delivered_at="2026-11-29T12:00:00Z",
                                      confirmed_by="shopper"))
    return json.dumps({**message, "event_id": str(uuid.uuid4())})  # each call: a new message to send


BROWSER = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


@pytest.fixture
def survey_purpose(monkeypatch):
    """No survey exists yet (next round): `order.delivered` stands in for a message needing consent."""
    monkeypatch.setitem(rules.PURPOSES, "order.delivered", Purpose.SURVEYS)


def test_a_message_needing_consent_is_sent_only_while_consent_stands(market, survey_purpose):
    order = pay_an_order(market)
    notify_all(market)
    delivered = [m for m in mails_to(market.shopper.email) if "delivered" in m.subject]

    assert consume(market.client, sqs_event([delivered_event(market, order)]))["batchItemFailures"] == []
    assert [m for m in mails_to(market.shopper.email) if "delivered" in m.subject] == delivered == []

    given = market.call("PUT", "/me/consents", {"surveys": True})
    assert given[0] == 200 and given[1]["consents"]["surveys"]["granted"] is True
    assert given[1]["consents"]["surveys"]["source"] == "account_settings" and given[1]["consents"]["surveys"]["at"]
    assert given[1]["consents"]["marketing"]["granted"] is False

    assert consume(market.client, sqs_event([delivered_event(market, order)]))["batchItemFailures"] == []
    (mail,) = [m for m in mails_to(market.shopper.email) if "delivered" in m.subject]
    link = mail.headers["List-Unsubscribe"].strip("<>")
    assert mail.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link in mail.text and link.replace("&", "&amp;") in mail.html

    # RFC 8058 one-click: what a mail client posts, no sign-in.
    path = urlsplit(link)
    token = parse_qs(path.query)["token"][0]
    page = market.client.http.get(f"/unsubscribe?token={token}", headers=BROWSER)
    assert page.status_code == 200 and b"satisfaction surveys" in page.body
    assert market.call("GET", "/me/consents")[1]["consents"]["surveys"]["granted"] is True  # a GET changes nothing
    posted = market.client.http.post(f"/unsubscribe?token={token}", body=b"List-Unsubscribe=One-Click",
                                      headers={"Content-Type": "application/x-www-form-urlencoded", **BROWSER})
    assert posted.status_code == 200 and b"no longer receive" in posted.body

    consents = market.call("GET", "/me/consents")[1]
    assert consents["consents"]["surveys"]["granted"] is False
    assert [(c["purpose"], c["granted"], c["source"]) for c in consents["history"]] == [
        ("surveys", False, "unsubscribe_link"), ("surveys", True, "account_settings")]
    # A new survey-purpose message after unsubscribing: not sent.
    assert consume(market.client, sqs_event([delivered_event(market, order)]))["batchItemFailures"] == []
    assert len([m for m in mails_to(market.shopper.email) if "delivered" in m.subject]) == 1


def test_consents_refuse_an_empty_or_unknown_change_naming_the_field(market):
    empty = market.call("PUT", "/me/consents", {})
    unknown = market.call("PUT", "/me/consents", {"transactional": False})
    wrong = market.call("PUT", "/me/consents", {"marketing": "maybe"})
    assert empty[0] == 400 and {"marketing", "surveys"} <= empty[1]["error"]["fields"].keys()
    assert unknown[0] == 400 and "transactional" in unknown[1]["error"]["fields"]
    assert wrong[0] == 400 and "marketing" in wrong[1]["error"]["fields"]
    assert call(market.client, "GET", "/me/consents")[0] == 401
    market.call("PUT", "/me/consents", {"marketing": True})
    market.call("PUT", "/me/consents", {"marketing": True})  # a repeat is no change
    assert len(market.call("GET", "/me/consents")[1]["history"]) == 1


def test_a_tampered_or_expired_unsubscribe_link_is_refused_politely_and_changes_nothing(market, stack):
    from chalicelib.settings import LOCAL_UNSUBSCRIBE_SECRET

    market.call("PUT", "/me/consents", {"marketing": True})
    user = market.shopper.user_id
    genuine = sign_unsubscribe(LOCAL_UNSUBSCRIBE_SECRET, user_id=user, purpose=Purpose.MARKETING,
                               expires_at=int(time.time()) + 3600)
    payload, mac = genuine.split(".")
    someone_else = sign_unsubscribe(LOCAL_UNSUBSCRIBE_SECRET, user_id="another", purpose=Purpose.MARKETING,
                                    expires_at=int(time.time()) + 3600).split(".")[0]
    expired = sign_unsubscribe(LOCAL_UNSUBSCRIBE_SECRET, user_id=user, purpose=Purpose.MARKETING,
                               expires_at=int(time.time()) - 1)

    for token, words in ((f"{someone_else}.{mac}", b"not valid"), (f"{payload}.{mac[:-3]}xyz", b"not valid"),
                         (expired, b"expired"), ("garbage", b"not valid")):
        for method in ("GET", "POST"):
            answer = getattr(market.client.http, method.lower())(f"/unsubscribe?token={token}", headers=BROWSER)
            assert answer.status_code == 400 and words in answer.body, (token, method)
    as_json = market.client.http.post(f"/unsubscribe?token={expired}", headers={"Accept": "application/json"})
    assert as_json.status_code == 400
    assert json.loads(as_json.body)["error"]["fields"] == {"token": "expired"}
    assert market.client.http.post("/unsubscribe").status_code == 400  # no token at all
    assert market.call("GET", "/me/consents")[1]["consents"]["marketing"]["granted"] is True


# --- what a vendor hears about its shop --------------------------------------------------------------


def test_a_vendor_hears_about_its_onboarding_approval_and_suspension(app_client, stack, make_user, drain,
                                                                      take_messages):
    from chalicelib.services import vendor_admin
    from tests.fixtures.auth import make_vendor_ready

    vendor = make_user("vendor", ready=False)
    take_messages("notifications")
    make_vendor_ready(vendor.user_id)  # its payment account becomes complete, an admin approves it
    make_vendor_ready(vendor.user_id)  # the same facts again: nobody is told twice
    vendor_admin.suspend(vendor.user_id, reason="Counterfeit goods reported", admin_id="admin-1")
    assert not drain("notifications").errors

    subjects = [m.subject for m in mails_to(vendor.email)]
    assert subjects.count("Your shop is approved") == 1 and subjects.count("Your shop is suspended") == 1
    assert len([s for s in subjects if "onboarding" in s or "can sell" in s]) == 1
    (suspended,) = [m for m in mails_to(vendor.email) if m.subject == "Your shop is suspended"]
    assert "Counterfeit goods reported" in suspended.text
    status, body, _ = call(app_client, "GET", "/me/notifications", token=vendor.access_token)
    assert status == 200 and [n["link"] for n in body["items"]][:3] == ["#/vendor/onboarding"] * 3


def test_a_finished_csv_import_tells_the_vendor_what_was_imported_and_refused(app_client, catalog, drain,
                                                                              take_messages):
    from tests.component.test_offer_imports import HEADER, TENT_GTIN, upload

    vendor = catalog.vendor_a
    take_messages("notifications")
    status, job, _ = upload(app_client, vendor, HEADER + f"{TENT_GTIN},new,189.00,0,12,1,3\n4006381333931,new,abc,0,1,1,3\n",
                            name="winter.csv")
    assert status == 202
    drain("offer-imports")
    assert not drain("notifications").errors

    (mail,) = [m for m in mails_to(vendor.email) if "winter.csv" in m.subject]
    assert mail.subject == "Your import winter.csv is done"
    assert "1 row(s) imported, 1 refused" in mail.text


def test_a_released_payout_tells_the_vendor_how_much_was_sent(market):
    from chalicelib.store import vendors as vendors_store

    vendor = market.catalog.vendor_a
    vendors_store.set_vendor_payout_account(vendor.user_id, market.payments.add_account()["id"])
    market.add("tent", "a", 1)
    order, payment = market.checkout()
    market.pay(payment["payment_intent_id"])
    market.settle()
    market.ship(order["order_id"], vendor)
    receipt = f"/orders/{order['order_id']}/vendors/{vendor.user_id}/confirm-receipt"
    assert market.call("POST", receipt)[0] == 200
    market.settle()
    notify_all(market)

    (payout,) = [m for m in mails_to(vendor.email) if m.subject.startswith("Payout of ")]
    assert order["order_number"] in payout.text and "tr_" in payout.text
