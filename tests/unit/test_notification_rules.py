"""Who hears about what, in which language, and the unsubscribe token (chalicelib/domain/notifications.py);
every notification template rendered in both languages from each event's example payload."""

from __future__ import annotations

import pytest

from chalicelib.domain.events import EVENTS, OrderPaid
from chalicelib.domain.notifications import (
    LOCALES,
    RECIPIENTS,
    BadToken,
    Purpose,
    locale_from_accept_language,
    may_send,
    notification_id,
    recipients_of,
    sign_unsubscribe,
    verify_unsubscribe,
)
from chalicelib.services.notification_templates import has_template, render

SECRET = "s3cret"


@pytest.mark.parametrize(("header", "locale"), [
    ("fr-FR,fr;q=0.9,en;q=0.8", "fr"),
    ("en-GB,fr;q=0.5", "en"),
    ("de-DE,fr;q=0.4", "fr"),
    ("de-DE", "en"),
    ("", "en"),
    ("fr;q=0", "en"),
    ("*;q=0.1, fr;q=0.3, en;q=0.2", "fr"),
    ("garbage;;;,, ;q=x", "en"),
])
def test_the_sign_up_language_comes_from_accept_language(header, locale):
    assert locale_from_accept_language(header) == locale


def test_a_paid_order_tells_the_shopper_and_each_vendor_with_their_own_template():
    data = OrderPaid.example().data()
    recipients = recipients_of("order.paid", data)
    assert [(r.user_id, r.template) for r in recipients] == [
        (data["shopper_id"], "order.paid"), ("alpine", "order.paid.vendor"), ("bytes", "order.paid.vendor")]
    assert recipients[0].link == f"#/orders/{data['order_id']}"


def test_an_event_nobody_should_hear_about_has_no_recipients():
    assert recipients_of("stock.recounted", {"shopper_id": "u1"}) == []


def test_only_transactional_messages_go_out_without_consent():
    assert may_send(Purpose.TRANSACTIONAL, {})
    assert not may_send(Purpose.SURVEYS, {})
    assert not may_send(Purpose.MARKETING, {"marketing": False, "surveys": True})
    assert may_send(Purpose.MARKETING, {"marketing": True})


def test_notification_ids_sort_by_time_and_differ_per_recipient():
    early = notification_id("e1", "user#a", "order.paid", "2026-11-27T08:00:00.000+00:00")
    late = notification_id("e0", "user#a", "order.paid", "2026-11-27T09:00:00.000+00:00")
    assert early < late
    assert notification_id("e1", "user#b", "order.paid", "2026-11-27T08:00:00+00:00") != early


def test_a_genuine_token_names_its_user_and_purpose():
    token = sign_unsubscribe(SECRET, user_id="u-1", purpose=Purpose.SURVEYS, expires_at=2000)
    assert verify_unsubscribe(("other", SECRET), token, now=1000) == ("u-1", Purpose.SURVEYS)


@pytest.mark.parametrize("tamper", ["payload", "mac", "secret", "truncated"])
def test_a_tampered_token_is_refused(tamper):
    token = sign_unsubscribe(SECRET, user_id="u-1", purpose=Purpose.MARKETING, expires_at=2000)
    payload, mac = token.split(".")
    forged = sign_unsubscribe(SECRET, user_id="u-2", purpose=Purpose.MARKETING, expires_at=2000).split(".")[0]
    altered = {"payload": f"{forged}.{mac}", "mac": f"{payload}.{mac[:-2]}AA",
               "secret": sign_unsubscribe("guess", user_id="u-1", purpose=Purpose.MARKETING, expires_at=2000),
               "truncated": payload}[tamper]
    with pytest.raises(BadToken) as refused:
        verify_unsubscribe((SECRET,), altered, now=1000)
    assert refused.value.reason in ("tampered", "malformed")


def test_an_expired_token_is_refused_as_expired():
    token = sign_unsubscribe(SECRET, user_id="u-1", purpose=Purpose.MARKETING, expires_at=999)
    with pytest.raises(BadToken) as refused:
        verify_unsubscribe((SECRET,), token, now=1000)
    assert refused.value.reason == "expired"


SAMPLE_ORDER = {"order": {"order_number": "H-2611-482319", "currency": "EUR", "total": 5480},
                "lines": [{"title": "Tent <script>", "quantity": 2, "vendor_name": "Alpine", "amount": 3980}],
                "address": {"name": "Camille Martin", "line1": "1 rue de Rivoli", "line2": "", "postal_code": "75001",
                            "city": "Paris", "country": "FR"}}
NO_ORDER = {"order": None, "lines": [], "address": None}


def _templates_of_every_event():
    for event in EVENTS:
        data = event.example().data()
        for recipient in recipients_of(event.event_type, data) or [None]:
            yield event.event_type, (recipient.template if recipient else event.event_type), data


CASES = sorted({(event_type, template) for event_type, template, _ in _templates_of_every_event()})


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(("event_type", "template"), CASES, ids=[f"{e}:{t}" for e, t in CASES])
@pytest.mark.parametrize("order", ["with_order", "without_order"])
def test_every_event_renders_in_both_languages_without_an_undefined_variable(event_type, template, locale, order):
    event_class = next(e for e in EVENTS if e.event_type == event_type)
    data = event_class.example().data()
    context = {"event_type": event_type, "event": data, "name": "Camille", "link": "http://127.0.0.1:8080/#/",
               "frontend_url": "http://127.0.0.1:8080", "unsubscribe_url": "http://127.0.0.1:8000/unsubscribe?token=t",
               **(SAMPLE_ORDER if order == "with_order" else NO_ORDER)}

    rendered = render(template, locale, context)  # StrictUndefined: an unknown variable raises

    assert rendered.subject and "\n" not in rendered.subject
    assert rendered.text.strip() and rendered.html.strip().startswith("<!doctype html>")
    assert ("Bonjour Camille" if locale == "fr" else "Hello Camille") in rendered.text
    assert "unsubscribe?token=t" in rendered.text and 'href="http://127.0.0.1:8000/unsubscribe?token=t"' in rendered.html
    if event_type in RECIPIENTS:
        assert has_template(template, locale), f"{template}.{locale}: falls back to the generic text"
    if order == "with_order" and "_lines" in (rendered.text + "lines"):
        assert "<script>" not in rendered.html  # autoescaped


def test_money_and_dates_follow_the_recipients_locale():
    data = OrderPaid.example().data()
    context = {"event_type": "order.paid", "event": data, "name": "", "link": "l", "frontend_url": "f",
               "unsubscribe_url": None, **SAMPLE_ORDER}
    french, english = render("order.paid", "fr", context), render("order.paid", "en", context)
    assert "54,80\u00a0€" in french.text and "27 novembre 2026" in french.text
    assert "€54.80" in english.text and "27 November 2026" in english.text
    assert "&lt;script&gt;" in english.html and "Tent <script>" in english.text  # HTML escaped, text as is


def test_an_event_type_without_templates_falls_back_to_the_generic_message():
    data = {**OrderPaid.example().data()}
    context = {"event_type": "return.teleported", "event": data, "name": "", "link": "l", "frontend_url": "f",
               "unsubscribe_url": None, **NO_ORDER}
    assert not has_template("return.teleported", "fr")
    rendered = render("return.teleported", "fr", context)
    assert rendered.subject == f"Commande {data['order_number']} : du nouveau sur Halles"


def test_a_new_message_tells_the_listed_people_but_not_the_platform():
    from chalicelib.domain.events import MessageReceived

    data = {**MessageReceived.example().data(), "recipients": [
        {"role": "vendor", "id": "alpine"}, {"role": "admin", "id": ""}, {"role": "shopper", "id": "u-1"}]}
    assert [(r.user_id, r.link) for r in recipients_of("message.received", data)] == [
        ("alpine", f"#/vendor/messages?thread={data['thread_id']}"), ("u-1", f"#/messages?thread={data['thread_id']}")]


@pytest.mark.parametrize(("event", "template", "link"), [
    ("return.escalated", "return.escalated.admin", "#/admin/returns"),
    ("claim.escalated", "claim.escalated.admin", "#/admin/cases"),
    ("dispute.opened", "dispute.opened.admin", "#/admin/cases"),
    ("refund.failed", "refund.failed.admin", "#/admin/refunds"),
])
def test_what_needs_the_platform_reaches_its_admins_group(event, template, link):
    from chalicelib.domain.events import EVENTS_BY_TYPE

    data = EVENTS_BY_TYPE[event].example().data()
    (admins,) = [r for r in recipients_of(event, data) if r.group]
    assert (admins.group, admins.template, admins.link, admins.key) == ("admins", template, link, "group#admins")


def test_a_return_request_tells_the_vendor_what_why_and_by_when_and_acknowledges_it_to_the_shopper():
    from chalicelib.domain.events import ReturnRequested

    data = ReturnRequested.example().data()
    told = {r.template: r for r in recipients_of("return.requested", data)}
    assert told["return.requested.vendor"].user_id == "alpine" and told["return.requested"].user_id == data["shopper_id"]
    context = {"event_type": "return.requested", "event": data, "name": "", "link": "l", "frontend_url": "f",
               "unsubscribe_url": None, **NO_ORDER}
    vendor = render("return.requested.vendor", "en", context).text
    assert "Trail tent 2P" in vendor and "(damaged)" in vendor and "4 December 2026" in vendor
    assert "(article endommagé)" in render("return.requested", "fr", context).text
    published_before_the_deadline_was = {**data, "lines": [{"offer_id": "off_1", "quantity": 1}]}
    del published_before_the_deadline_was["answer_due_at"]
    older = render("return.requested.vendor", "en", {**context, "event": published_before_the_deadline_was}).text
    assert "off_1" in older and "unanswered, it goes to Halles" in older


def test_every_event_someone_hears_about_is_published_so_the_rendering_test_covers_it():
    published = {event.event_type for event in EVENTS}
    assert set(RECIPIENTS) <= published, set(RECIPIENTS) - published
    assert {e for e, _ in CASES} >= set(RECIPIENTS)


def _every_event_class_defined() -> set[type]:
    """Every concrete event class of the domain (one with its own `event_type`), wherever it is declared:
    a new event class left out of EVENTS is found here too."""
    import importlib
    import pkgutil

    import chalicelib.domain
    from chalicelib.domain.events import DomainEvent

    for module in pkgutil.iter_modules(chalicelib.domain.__path__):
        importlib.import_module(f"chalicelib.domain.{module.name}")
    found, todo = set(), [DomainEvent]
    while todo:
        for sub in todo.pop().__subclasses__():
            todo.append(sub)
            if "event_type" in vars(sub):
                found.add(sub)
    return found


def test_every_event_the_code_can_publish_is_listed_tells_someone_and_has_its_own_words_in_both_languages():
    defined = _every_event_class_defined()
    assert defined == set(EVENTS), {e.event_type for e in defined ^ set(EVENTS)}  # publish() only takes EVENTS
    for event in EVENTS:
        recipients = recipients_of(event.event_type, event.example().data())
        assert recipients, f"{event.event_type}: nobody hears about it (add it to RECIPIENTS)"
        for recipient in recipients:
            for locale in LOCALES:
                assert has_template(recipient.template, locale), \
                    f"{event.event_type}: no {recipient.template}.{locale} template (it would read the generic text)"


def test_a_failed_case_refund_tells_the_shopper_once_and_the_admins_each_time():
    from chalicelib.domain.events import RefundFailed

    first = RefundFailed.example().data()
    told = {(r.user_id or r.group, r.template, r.link) for r in recipients_of("refund.failed", first)}
    assert told == {(first["shopper_id"], "refund.failed", f"#/orders/{first['order_id']}"),
                    ("admins", "refund.failed.admin", "#/admin/refunds")}
    retried = {**first, "attempt": 1}  # an admin's retry failed again: the shopper was told already
    assert [r.template for r in recipients_of("refund.failed", retried)] == ["refund.failed.admin"]


@pytest.mark.parametrize(("locale", "words"), [
    ("en", ("Your refund of €19.90 for order H-2611-482319 could not reach your card", "Our team is on it")),
    ("fr", ("Votre remboursement de 19,90\u00a0€ pour la commande H-2611-482319 n'a pas pu être versé sur votre carte",
            "Notre équipe s'en occupe")),
])
def test_the_shopper_reads_that_the_refund_could_not_reach_their_card_and_the_team_is_on_it(locale, words):
    from chalicelib.domain.events import RefundFailed

    data = RefundFailed.example().data()
    context = {"event_type": "refund.failed", "event": data, "name": "Camille", "link": "l", "frontend_url": "f",
               "unsubscribe_url": None, **NO_ORDER}
    rendered = render("refund.failed", locale, context)
    for text in (rendered.text, rendered.html.replace("<strong>", "").replace("</strong>", "").replace("&#39;", "'")):
        assert all(word in text for word in words), text
    assert data["case_id"] not in rendered.text and data["failure_code"] not in rendered.text
