"""Satisfaction surveys through the real consumer and routes (moto, the local payment provider): a
delivered sub-order gets its survey N days later by e-mail (with consent only), one reminder, an
answer from the link without signing in, counted for the vendor and the admin; a low score opens a
claim, once; tampered, expired and reused links are refused."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib.domain import surveys as rules
from chalicelib.services import surveys
from chalicelib.settings import get_settings
from tests.component.test_notifications import mails_to
from tests.component.test_payment_events import Market
from tests.fixtures.aws import call

ALPINE, BYTES = "Alpine Test", "Bytes Test"
GOOD = {"order": 5, "vendor": 4, "delivery": 5, "nps": 9, "comment": "Lovely tent"}


@pytest.fixture
def market(app_client, catalog, payments, make_user, drain, take_messages, stack):
    payments.webhook_target = lambda body, headers: app_client.http.post(
        "/webhooks/stripe", body=body, headers=headers).status_code
    shop = Market(app_client, catalog, make_user("shopper", name="Camille"), payments, drain, take_messages, stack)
    take_messages("notifications")
    return shop


def notify_all(shop: Market) -> None:
    drained = shop._drain("notifications")
    assert not drained.errors and drained.failed == 0, drained.errors


def delivered_order(shop: Market) -> dict:
    """Tents from vendor a and headphones from vendor b, paid, shipped and delivered; its events consumed."""
    shop.add("tent", "a", 2)
    shop.add("headphones", "b", 1)
    order, payment = shop.checkout()
    shop.pay(payment["payment_intent_id"])
    shop.settle()
    for vendor in (shop.catalog.vendor_a, shop.catalog.vendor_b):
        shop.ship(order["order_id"], vendor)
        status, body, _ = shop.call("POST", f"/vendor/orders/{order['order_id']}/deliver", token=vendor.access_token)
        assert status == 200, body
    notify_all(shop)
    return order


def consent(shop: Market, granted: bool = True) -> None:
    assert shop.call("PUT", "/me/consents", {"surveys": granted})[0] == 200


def days_later(days: float) -> datetime:
    return datetime.now(UTC) + timedelta(days=days)


def survey_mails(shop: Market) -> list:
    return [m for m in mails_to(shop.shopper.email) if "#/survey?token=" in m.text]


def run_job(shop: Market, at: datetime) -> dict:
    done = surveys.send_surveys(at)
    notify_all(shop)
    return done


def token_of(mail) -> str:
    link = next(word for word in mail.text.split() if "#/survey?token=" in word)
    return parse_qs(urlsplit(link.split("#", 1)[1]).query)["token"][0]


def survey_of_vendor(shop: Market, vendor_name: str) -> str:
    (mail,) = [m for m in survey_mails(shop) if vendor_name in m.subject]
    return token_of(mail)


# --- the schedule ------------------------------------------------------------------------------------


def test_a_survey_goes_out_n_days_after_delivery_once_then_one_reminder_never_more(market):
    consent(market)
    delivered_order(market)

    assert run_job(market, days_later(2.9))["sent"] == 0, "not due yet: delivered under 3 days ago"
    assert survey_mails(market) == []

    assert run_job(market, days_later(3.01))["sent"] == 2  # one per vendor of the order
    mails = survey_mails(market)
    assert len(mails) == 2 and all(m.headers.get("List-Unsubscribe") for m in mails)
    assert {m.subject for m in mails} == {f"How was your order {mails[0].subject.split()[4]} from {name}?"
                                          for name in (ALPINE, BYTES)}

    assert run_job(market, days_later(3.5))["sent"] == 0, "already sent"
    assert run_job(market, days_later(3.01 + 3.9))["reminded"] == 0, "the reminder waits 4 days"
    assert len(survey_mails(market)) == 2

    assert run_job(market, days_later(3.01 + 4.01))["reminded"] == 2
    reminders = [m for m in survey_mails(market) if m.subject.startswith("Reminder")]
    assert len(reminders) == 2
    assert run_job(market, days_later(30)) == {"sent": 0, "reminded": 0, "without_consent": 0}
    assert len(survey_mails(market)) == 4


def test_an_answered_survey_gets_no_reminder(market):
    consent(market)
    delivered_order(market)
    run_job(market, days_later(3.01))
    token = survey_of_vendor(market, ALPINE)
    assert call(market.client, "POST", f"/surveys/{token}", GOOD)[0] == 200

    assert run_job(market, days_later(8))["reminded"] == 1  # vendor b's survey only
    reminders = [m for m in survey_mails(market) if m.subject.startswith("Reminder")]
    assert [BYTES in m.subject for m in reminders] == [True]


def test_without_the_shoppers_consent_no_survey_is_sent_even_after_consenting(market):
    delivered_order(market)
    assert run_job(market, days_later(3.01)) == {"sent": 0, "reminded": 0, "without_consent": 2}
    consent(market)
    assert run_job(market, days_later(8)) == {"sent": 0, "reminded": 0, "without_consent": 0}
    assert survey_mails(market) == []


def test_withdrawing_consent_after_the_survey_stops_its_reminder(market):
    consent(market)
    delivered_order(market)
    assert run_job(market, days_later(3.01))["sent"] == 2
    consent(market, False)
    assert run_job(market, days_later(8))["reminded"] == 0
    assert run_job(market, days_later(9))["reminded"] == 0
    assert [m for m in survey_mails(market) if m.subject.startswith("Reminder")] == []


def test_a_survey_is_in_the_shoppers_language_and_inbox(market):
    consent(market)
    assert market.call("PUT", "/me/preferences", {"locale": "fr"})[0] == 200
    delivered_order(market)
    run_job(market, days_later(3.01))
    mails = survey_mails(market)
    assert len(mails) == 2 and all(m.subject.startswith("Comment s'est passée votre commande") for m in mails)
    items = market.call("GET", "/me/notifications")[1]["items"]
    assert len([i for i in items if i["link"].startswith("#/survey?token=")]) == 2


# --- the page's routes -------------------------------------------------------------------------------


@pytest.fixture
def surveyed(market, monkeypatch):
    """Vendor a's survey of a delivered order, sent today (figures count in this week, not a future one)."""
    monkeypatch.setenv("HALLES_SURVEY_AFTER_DAYS", "0")
    consent(market)
    order = delivered_order(market)
    run_job(market, days_later(0.001))
    return market, order, survey_of_vendor(market, ALPINE)


def test_the_link_describes_its_survey_and_takes_one_answer_without_signing_in(surveyed):
    shop, order, token = surveyed
    status, described, _ = call(shop.client, "GET", f"/surveys/{token}")
    assert status == 200, described
    assert described["order_number"] == order["order_number"] and described["answered"] is False
    assert described["vendor_name"] == ALPINE and described["products"]

    status, answered, _ = call(shop.client, "POST", f"/surveys/{token}", GOOD)
    assert status == 200, answered
    assert answered["answered"] is True and answered["follow_up"] is False

    status, again, _ = call(shop.client, "POST", f"/surveys/{token}", {**GOOD, "order": 1})
    assert status == 409 and again["error"]["code"] == "survey_already_answered"
    assert "already been answered" in again["error"]["message"]
    assert call(shop.client, "GET", f"/surveys/{token}")[1]["answered"] is True


@pytest.mark.parametrize("body, field", [
    ({**GOOD, "order": 6}, "order"),
    ({**GOOD, "delivery": 0}, "delivery"),
    ({**GOOD, "nps": 11}, "nps"),
    ({k: v for k, v in GOOD.items() if k != "vendor"}, "vendor"),
    ({**GOOD, "nps": "9"}, "nps"),
    ({**GOOD, "comment": "x" * 2001}, "comment"),
    ({**GOOD, "vendor_id": "bytes"}, "vendor_id"),
], ids=["order-6", "delivery-0", "nps-11", "vendor-missing", "nps-string", "comment-too-long", "vendor-id-given"])
def test_a_bad_answer_is_a_400_naming_the_field_and_leaves_the_survey_open(surveyed, body, field):
    shop, _, token = surveyed
    status, refused, _ = call(shop.client, "POST", f"/surveys/{token}", body)
    assert status == 400, refused
    assert field in refused["error"]["fields"], refused
    assert call(shop.client, "GET", f"/surveys/{token}")[1]["answered"] is False


def test_tampered_and_expired_links_are_refused(surveyed):
    shop, order, token = surveyed
    payload, mac = token.split(".")
    forged = rules.sign_token("not-our-key", order_id=order["order_id"], vendor_id=shop.catalog.vendor_a.user_id,
                              expires_at=int(time.time()) + 3600)
    expired = rules.sign_token(get_settings().unsubscribe_secrets[0], order_id=order["order_id"],
                               vendor_id=shop.catalog.vendor_a.user_id, expires_at=int(time.time()) - 1)
    cases = {"tampered": f"{payload}.{mac[:-3]}AAA" if not mac.endswith("AAA") else f"{payload}.{mac[:-3]}BBB",
             "forged": forged, "expired": expired, "garbage": "nothing-here"}
    codes = {}
    for name, bad in cases.items():
        for method, body in (("GET", None), ("POST", GOOD)):
            status, answer, _ = call(shop.client, method, f"/surveys/{bad}", body)
            assert status == 400 and "token" in answer["error"]["fields"], (name, method, answer)
            codes[name] = answer["error"]["code"]
    assert codes == {"tampered": "survey_token_tampered", "forged": "survey_token_tampered",
                     "expired": "survey_token_expired", "garbage": "survey_token_malformed"}
    assert call(shop.client, "GET", f"/surveys/{token}")[1]["answered"] is False


# --- figures and follow-up ---------------------------------------------------------------------------


def test_an_answer_counts_for_its_vendor_only_and_for_the_admin(surveyed, make_user):
    shop, _, token = surveyed
    assert call(shop.client, "POST", f"/surveys/{token}", GOOD)[0] == 200
    alpine, bytes_ = shop.catalog.vendor_a, shop.catalog.vendor_b

    status, mine, _ = shop.call("GET", "/vendor/satisfaction?weeks=4", token=alpine.access_token)
    assert status == 200, mine
    assert (mine["totals"]["sent"], mine["totals"]["answered"], mine["totals"]["response_rate"]) == (1, 1, 1.0)
    assert mine["totals"]["csat"]["vendor"]["average"] == 4.0 and mine["totals"]["nps"]["score"] == 100.0
    assert len(mine["trend"]) == 4 and mine["trend"][-1]["answered"] == 1
    assert [p["title"] for p in mine["products"]] and mine["products"][0]["answered"] == 1

    theirs = shop.call("GET", "/vendor/satisfaction", token=bytes_.access_token)[1]
    assert (theirs["totals"]["sent"], theirs["totals"]["answered"], theirs["totals"]["response_rate"]) == (1, 0, 0.0)

    admin = make_user("admin")
    status, everyone, _ = shop.call("GET", "/admin/satisfaction?weeks=2", token=admin.access_token)
    assert status == 200, everyone
    by_vendor = {v["vendor_id"]: v for v in everyone["vendors"]}
    assert by_vendor[alpine.user_id]["answered"] == 1 and by_vendor[bytes_.user_id]["answered"] == 0
    one = shop.call("GET", f"/admin/satisfaction?vendor_id={bytes_.user_id}", token=admin.access_token)[1]
    assert [v["vendor_id"] for v in one["vendors"]] == [bytes_.user_id]


@pytest.mark.parametrize("path, who, expected", [
    ("/vendor/satisfaction", None, 401), ("/vendor/satisfaction", "shopper", 403),
    ("/admin/satisfaction", "vendor", 403), ("/admin/satisfaction", None, 401),
    ("/vendor/satisfaction?weeks=0", "vendor", 400), ("/admin/satisfaction?vendor_id=nobody", "admin", 404),
], ids=["vendor-anonymous", "vendor-as-shopper", "admin-as-vendor", "admin-anonymous", "weeks-0", "unknown-vendor"])
def test_the_figures_are_only_for_their_readers(market, make_user, path, who, expected):
    token = {"shopper": market.shopper.access_token, "vendor": market.catalog.vendor_a.access_token,
             "admin": make_user("admin").access_token if who == "admin" else None}.get(who) if who else None
    status, body, _ = call(market.client, "GET", path, token=token)
    assert status == expected, body


def test_a_low_score_opens_one_follow_up_claim_for_the_vendor(surveyed):
    shop, order, token = surveyed
    status, answered, _ = call(shop.client, "POST", f"/surveys/{token}",
                               {"order": 2, "vendor": 1, "delivery": 4, "nps": 2, "comment": "Never answered me"})
    assert status == 200 and answered["follow_up"] is True
    assert call(shop.client, "POST", f"/surveys/{token}", {**GOOD, "order": 1})[0] == 409

    claims = shop.call("GET", f"/orders/{order['order_id']}/claims")[1]["items"]
    assert len(claims) == 1
    (claim,) = claims
    assert claim["vendor_id"] == shop.catalog.vendor_a.user_id and claim["reason"] == "other"
    assert "Never answered me" in claim["text"] and "vendor 1/5" in claim["text"]
    vendor_claims = shop.call("GET", "/vendor/claims?state=open", token=shop.catalog.vendor_a.access_token)[1]
    assert [c["claim_id"] for c in vendor_claims["items"]] == [claim["claim_id"]]


def test_a_good_score_opens_no_claim(surveyed):
    shop, order, token = surveyed
    assert call(shop.client, "POST", f"/surveys/{token}", {**GOOD, "order": 3, "vendor": 3, "delivery": 3})[0] == 200
    assert shop.call("GET", f"/orders/{order['order_id']}/claims")[1]["items"] == []


LOW = {"order": 2, "vendor": 1, "delivery": 4, "nps": 2, "comment": "Never answered me"}


def claims_of(shop: Market, order: dict) -> list[dict]:
    return shop.call("GET", f"/orders/{order['order_id']}/claims")[1]["items"]


def test_a_follow_up_claim_the_store_fails_to_save_is_retried_until_opened_once(surveyed, monkeypatch):
    from chalicelib.services import survey_answers
    from chalicelib.store.order_repository import DynamoOrderRepository

    shop, order, token = surveyed
    real_save, failures = DynamoOrderRepository.save, []

    def down_once(self, saved, *, effects):
        if not failures and saved.claims:
            failures.append(saved.order_id)
            raise ConnectionError("DynamoDB did not answer")
        return real_save(self, saved, effects=effects)

    monkeypatch.setattr(DynamoOrderRepository, "save", down_once)
    status, answered, _ = call(shop.client, "POST", f"/surveys/{token}", LOW)
    assert status == 200, answered  # the answer is kept: the shopper is not asked again
    assert answered["answered"] is True and answered["follow_up"] is True
    assert failures == [order["order_id"]] and claims_of(shop, order) == []

    assert survey_answers.retry_follow_ups(days_later(0)) == {"opened": 0, "refused": 0, "failed": 0}  # too fresh
    assert survey_answers.retry_follow_ups(days_later(0.01)) == {"opened": 1, "refused": 0, "failed": 0}
    assert survey_answers.retry_follow_ups(days_later(0.02)) == {"opened": 0, "refused": 0, "failed": 0}
    (claim,) = claims_of(shop, order)
    assert claim["vendor_id"] == shop.catalog.vendor_a.user_id and "Never answered me" in claim["text"]

    assert call(shop.client, "POST", f"/surveys/{token}", LOW)[0] == 409  # a repeat answer opens none
    assert survey_answers.retry_follow_ups(days_later(0.03))["opened"] == 0
    assert [c["claim_id"] for c in claims_of(shop, order)] == [claim["claim_id"]]


def test_a_retry_after_the_claim_was_saved_but_not_marked_done_finds_it_and_opens_no_second(surveyed, monkeypatch):
    from chalicelib.services import survey_answers
    from chalicelib.store import surveys as survey_store

    shop, order, token = surveyed
    real_done, failures = survey_store.follow_up_done, []

    def lost_once(survey_id, **kwargs):
        if not failures:
            failures.append(survey_id)
            raise ConnectionError("DynamoDB did not answer")
        return real_done(survey_id, **kwargs)

    monkeypatch.setattr(survey_store, "follow_up_done", lost_once)
    assert call(shop.client, "POST", f"/surveys/{token}", LOW)[1]["follow_up"] is True
    (claim,) = claims_of(shop, order)  # opened, but the survey still says "to follow up"

    assert survey_answers.retry_follow_ups(days_later(0.01)) == {"opened": 1, "refused": 0, "failed": 0}
    assert [c["claim_id"] for c in claims_of(shop, order)] == [claim["claim_id"]]
    assert survey_answers.retry_follow_ups(days_later(0.02))["opened"] == 0


def test_a_low_score_on_a_part_already_claimed_adds_no_claim_and_leaves_the_retry_queue(surveyed):
    from chalicelib.services import survey_answers

    shop, order, token = surveyed
    vendor_id = shop.catalog.vendor_a.user_id
    status, opened, _ = shop.call("POST", f"/orders/{order['order_id']}/claims",
                                  {"vendor_id": vendor_id, "reason": "damaged", "text": "Torn"})
    assert status == 201, opened
    status, answered, _ = call(shop.client, "POST", f"/surveys/{token}", LOW)
    assert status == 200 and answered["follow_up"] is False  # the vendor is on the open claim already
    assert [c["claim_id"] for c in claims_of(shop, order)] == [opened["claim_id"]]
    assert survey_answers.retry_follow_ups(days_later(0.01)) == {"opened": 0, "refused": 0, "failed": 0}


def test_a_job_fired_as_of_a_later_day_counts_the_survey_sent_in_the_week_its_answer_lands(market):
    """`devstack fire send_surveys --at +7d`: the chart must not read "1 answer of 0 sent"."""
    consent(market)
    delivered_order(market)
    run_job(market, days_later(7))  # always another ISO week than today's
    token = survey_of_vendor(market, ALPINE)
    assert call(market.client, "POST", f"/surveys/{token}", GOOD)[0] == 200

    week = market.call("GET", "/vendor/satisfaction?weeks=1", token=market.catalog.vendor_a.access_token)[1]["totals"]
    assert (week["sent"], week["answered"], week["response_rate"]) == (1, 1, 1.0)


def test_the_follow_up_claim_speaks_the_language_of_the_shopper_it_is_opened_for(surveyed):
    shop, order, token = surveyed
    assert shop.call("PUT", "/me/preferences", {"locale": "fr"})[0] == 200
    assert call(shop.client, "POST", f"/surveys/{token}", LOW)[1]["follow_up"] is True
    (claim,) = claims_of(shop, order)
    assert claim["text"] == (f"Enquête de satisfaction de la commande {order['order_number']} : note basse "
                             "(commande 2/5, vendeur 1/5). Le client a écrit : « Never answered me »")
