"""Satisfaction surveys in Debian's Chromium against the local stack: a shopper who agreed to surveys
receives a delivered order; the daily job (fired as of 3 days later) mails the survey; opened from the
local outbox, its link shows the survey page without signing in; a low score is answered, a follow-up
is promised, a second visit says it was answered; the vendor's "Satisfaction" section counts it."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

from devstack.schedules import scheduled_event
from tests.browser.test_checkout_ui import PASSWORD, Shopper, api, fresh_email, sign_in_api
from tests.browser.test_vendor_money_ui import TRACKING, confirm_with_test_card, sign_in_as
from tests.browser.test_vendor_orders_ui import new_offer, seeded_vendor
from tests.fixtures.addresses import checkout_body

# Fires schedules as of days ahead, which acts on every live test's returns, claims and orders at once.
pytestmark = [pytest.mark.browser, pytest.mark.live_stack_alone]


def delivered_to_a_consenting_shopper(live_stack, vendor) -> tuple[Shopper, dict]:
    shopper = Shopper(fresh_email("surveyed"), PASSWORD)
    api(live_stack, "POST", "/auth/signup", expected=201,
        body={"email": shopper.email, "password": PASSWORD, "name": "Survey Shopper", "role": "shopper"})
    shopper.token = sign_in_api(live_stack, shopper.email, PASSWORD)
    api(live_stack, "PUT", "/me/consents", token=shopper.token, body={"surveys": True})
    offer = new_offer(live_stack, vendor.token)
    api(live_stack, "PUT", f"/cart/lines/{offer['offer_id']}", token=shopper.token, body={"quantity": 1})
    status, answer, _ = live_stack.call("POST", "/checkout", body=checkout_body(), token=shopper.token,
                                        headers={"Idempotency-Key": uuid.uuid4().hex})
    assert status == 201, answer
    order_id = answer["order"]["order_id"]
    confirm_with_test_card(live_stack, answer["payment"]["payment_intent_id"])
    live_stack.wait_for(lambda: api(live_stack, "GET", f"/orders/{order_id}", token=shopper.token)["status"] == "paid",
                        f"order {order_id} to be paid")
    vendor_id = api(live_stack, "GET", "/me", token=vendor.token)["user_id"]
    for step, body in (("accept", None), ("ship", TRACKING)):
        api(live_stack, "POST", f"/vendor/orders/{order_id}/{step}", token=vendor.token, body=body)
    api(live_stack, "POST", f"/orders/{order_id}/vendors/{vendor_id}/confirm-receipt", token=shopper.token)
    return shopper, api(live_stack, "GET", f"/orders/{order_id}", token=shopper.token)


def fire_surveys_until_mailed(live_stack, email: str) -> None:
    """Run the daily job as of 3 days and an hour from now until the survey is in the outbox (the
    delivery's event reaches the consumer a moment after the confirmation)."""
    event = scheduled_event("send_surveys", "us-east-1", datetime.now(UTC) + timedelta(days=3, hours=1))

    def mailed():
        status, fired, _ = live_stack.call("POST", "/_devstack/fire/send_surveys", body=event)
        assert status == 200, fired
        status, box, _ = live_stack.call("GET", "/_devstack/outbox")
        return [m for m in box["messages"] if email in str(m.get("destinations")) and "How was your order" in str(m)]

    live_stack.wait_for(mailed, f"the survey mail to {email}", timeout=60, interval=2)


def test_a_survey_answered_from_the_outbox_link_counts_and_a_low_score_is_followed_up(page, live_stack):
    vendor = seeded_vendor(live_stack)
    shopper, order = delivered_to_a_consenting_shopper(live_stack, vendor)
    number = order["order_number"]
    fire_surveys_until_mailed(live_stack, shopper.email)
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto(f"{live_stack.frontend.rstrip('/')}/_outbox")
    page.get_by_role("link", name=re.compile(f"How was your order {number}")).click()
    page.get_by_role("link", name="Give my opinion").click()

    expect(page.get_by_test_id("survey-about")).to_contain_text(number)
    page.get_by_test_id("survey-submit").click()  # nothing chosen: told, nothing sent
    expect(page.get_by_test_id("survey-error")).to_have_text("Please answer each question.")
    expect(page.get_by_test_id("survey-order-error")).to_have_text("Choose a score.")
    for question, score in (("order", 2), ("vendor", 4), ("delivery", 4), ("nps", 6)):
        page.get_by_test_id(f"survey-{question}-{score}").check()
    page.get_by_test_id("survey-comment").fill("The lantern arrived without its handle.")
    page.get_by_test_id("survey-submit").click()
    expect(page.get_by_test_id("survey-thanks")).to_contain_text("Thank you for your answers")
    expect(page.get_by_test_id("survey-follow-up")).to_be_visible()

    page.reload()  # the same link again: answered once, said politely
    expect(page.get_by_test_id("survey-thanks")).to_have_text(
        "Thank you, this survey has already been answered: we have your opinion.")
    claims = api(live_stack, "GET", f"/orders/{order['order_id']}/claims", token=shopper.token)["items"]
    assert [c["reason"] for c in claims] == ["other"] and "without its handle" in claims[0]["text"]

    page.goto(page.url.split("#")[0] + "#/survey?token=not-a-real-token")
    expect(page.get_by_test_id("survey-refused")).to_contain_text("not valid")

    sign_in_as(page, live_stack, vendor.email, "#/vendor/satisfaction")
    expect(page.get_by_test_id("vendor-tab-satisfaction")).to_have_attribute("aria-current", "page")
    weekly = page.get_by_test_id("satisfaction-weekly-chart")
    expect(weekly).to_have_attribute("role", "img")
    expect(weekly.locator("rect.satisfaction-bar-order").first).to_be_visible()
    expect(page.get_by_test_id("satisfaction-csat-order")).not_to_contain_text("—")
    order_scores = page.get_by_test_id("satisfaction-order-chart")
    expect(order_scores.locator('rect[data-score="2"]')).to_have_attribute("width", re.compile(r"^[1-9][0-9]*$"))
    assert errors == []


def survey_token_mailed_to(live_stack, email: str) -> str:
    status, box, _ = live_stack.call("GET", "/_devstack/outbox")
    assert status == 200, box
    bodies = [str(m.get("body")) for m in box["messages"] if email in str(m.get("destinations"))]
    tokens = [match.group(1) for body in bodies for match in [re.search(r"#/survey\?token=([A-Za-z0-9_.=-]+)", body)]
              if match]
    assert tokens, f"no survey link in the mails to {email}"
    return tokens[-1]


def test_the_admin_reads_the_satisfaction_section_in_french_with_french_numbers(browser, live_stack):
    vendor = seeded_vendor(live_stack)
    shopper, _ = delivered_to_a_consenting_shopper(live_stack, vendor)
    fire_surveys_until_mailed(live_stack, shopper.email)
    token = survey_token_mailed_to(live_stack, shopper.email)
    api(live_stack, "POST", f"/surveys/{token}", body={"order": 4, "vendor": 5, "delivery": 3, "nps": 9})
    context = browser.new_context(locale="fr-FR", viewport={"width": 1280, "height": 900},
                                  extra_http_headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        sign_in_as(page, live_stack, "admin@halles.local", "#/admin/satisfaction")

        expect(page.get_by_test_id("admin-tab-satisfaction")).to_have_attribute("aria-current", "page")
        expect(page.get_by_role("heading", name="Satisfaction", exact=True)).to_be_visible()
        expect(page.get_by_label("Période")).to_have_value("12")
        expect(page.get_by_label("Vendeur", exact=True).locator("option").first).to_have_text("Tous les vendeurs")
        rate = page.get_by_test_id("satisfaction-response-rate")
        expect(rate).to_contain_text("Taux de réponse")
        expect(rate).to_contain_text(re.compile(r"Réponses : \d+ · Envois : \d+"))
        expect(rate).to_contain_text(re.compile(r"^Taux de réponse\d+(,\d)?[\u00a0\u202f]%"))  # "66,7 %": French
        expect(page.get_by_test_id("satisfaction-csat-vendor")).to_contain_text(re.compile(r"Vendeur \(CSAT\)\d,\d\d / 5"))
        expect(page.get_by_test_id("satisfaction-nps")).to_contain_text(re.compile(r"NPS \(plateforme\).*promoteurs"))
        weekly = page.get_by_test_id("satisfaction-weekly-chart")
        expect(weekly.locator("title").first).to_have_text(re.compile(r"^Satisfaction moyenne \(de 1 à 5\) par semaine"))
        page.get_by_text("Afficher les chiffres en tableau").first.click()
        week_rows = page.get_by_test_id("satisfaction-weekly-table").locator("tbody th")
        expect(week_rows.last).to_have_text(re.compile(r"^Semaine du \d{1,2} [a-zéû]+\.? \d{4} \(\d{4}-W\d{2}\)$"))
        expect(page.get_by_test_id("satisfaction-vendors-table").locator("caption")).to_have_text(
            "Vendeurs, les moins satisfaisants d'abord")
        shown = page.get_by_test_id("satisfaction").inner_text()
        for english in ("answers", "Per week", "Scores", "gave 4 or 5", "Week of", "least satisfying"):
            assert english not in shown, english
        assert errors == []
    finally:
        context.close()
