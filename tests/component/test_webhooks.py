"""POST /webhooks/stripe and /webhooks/stripe/connect: only genuine, fresh, first deliveries of an
event reach the payment-events queue, and every answer is one Stripe acts on correctly (2xx:
stop retrying; 4xx/5xx: retry later).

Events are signed with Stripe's own SDK (`WebhookSignature.generate_signature_header`), so the
endpoint's verification is checked against Stripe's definition, not against itself.
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import boto3
import pytest
import stripe

from tests.fixtures.aws import REGION

PLATFORM_SECRET = "whsec_test_platform_5b1f0c"
CONNECT_SECRET = "whsec_test_connect_9e4a77"
STRIPE_HEADERS = {"Content-Type": "application/json; charset=utf-8", "User-Agent": "Stripe/1.0"}


@pytest.fixture
def hooks(app_client, monkeypatch):
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", PLATFORM_SECRET)
    monkeypatch.setenv("STRIPE_CONNECT_WEBHOOK_SECRET", CONNECT_SECRET)
    monkeypatch.delenv("STRIPE_LIVEMODE", raising=False)
    return app_client


def stripe_event(event_type: str = "payment_intent.succeeded", *, livemode: bool = False,
                 account: str | None = None, obj: dict | None = None) -> dict:
    event = {
        "id": f"evt_{uuid.uuid4().hex[:24]}",
        "object": "event",
        "api_version": "2026-10-28.endive",
        "created": int(time.time()),
        "data": {"object": obj or {"id": "pi_3Qtest", "object": "payment_intent", "amount": 2599,
                                   "currency": "eur", "status": "succeeded", "latest_charge": "ch_3Qtest",
                                   "metadata": {"order_id": "ord-1"}}},
        "livemode": livemode,
        "pending_webhooks": 1,
        "request": {"id": "req_test", "idempotency_key": "pi-ord-1"},
        "type": event_type,
    }
    if account:
        event["account"] = account
    return event


def body_of(event: dict) -> bytes:
    return json.dumps(event, indent=2).encode()  # pretty-printed, as Stripe sends it


def signature(body: bytes, secret: str = PLATFORM_SECRET, at: int | None = None) -> str:
    return stripe.WebhookSignature.generate_signature_header(body.decode(), secret, at)


def post(client, body: bytes, header: str | None, path: str = "/webhooks/stripe"):
    headers = dict(STRIPE_HEADERS)
    if header is not None:
        headers["Stripe-Signature"] = header
    response = client.http.post(path, body=body, headers=headers)
    return response.status_code, json.loads(response.body), response.headers


def queued(stack) -> list[dict]:
    sqs = boto3.client("sqs", region_name=REGION)
    messages = []
    while batch := sqs.receive_message(QueueUrl=stack.queues["payment-events"], MaxNumberOfMessages=10,
                                       WaitTimeSeconds=0).get("Messages"):
        messages += [json.loads(m["Body"]) for m in batch]
    return messages


def test_a_genuine_event_is_queued_once_and_acknowledged(hooks, stack):
    event = stripe_event()
    body = body_of(event)

    status, answer, _ = post(hooks, body, signature(body))

    assert (status, answer) == (200, {"received": True, "duplicate": False, "ignored": None})
    assert queued(stack) == [{"event_id": event["id"], "type": "payment_intent.succeeded",
                              "created": event["created"], "livemode": False, "account": None,
                              "object": event["data"]["object"]}]


def test_the_same_event_twice_is_queued_once(hooks, stack):
    body = body_of(stripe_event())

    first = post(hooks, body, signature(body))
    again = post(hooks, body, signature(body))  # Stripe re-signs each attempt

    assert first[:2] == (200, {"received": True, "duplicate": False, "ignored": None})
    assert again[:2] == (200, {"received": True, "duplicate": True, "ignored": None})
    assert len(queued(stack)) == 1


def test_the_event_is_remembered_for_more_than_a_week(hooks):
    from chalicelib.store import webhook_events

    event = stripe_event()
    body = body_of(event)
    post(hooks, body, signature(body))

    record = webhook_events.get(event["id"])
    assert record.status == webhook_events.ENQUEUED  # a redelivery within the week is a duplicate
    assert record.expires_at - record.received_at >= timedelta(days=7)


def _tampered(body: bytes) -> bytes:
    return body.replace(b'"amount": 2599', b'"amount": 1')


@pytest.mark.parametrize("forge", [
    pytest.param(lambda body: (_tampered(body), signature(body)), id="tampered-body"),
    pytest.param(lambda body: (body, signature(body, at=int(time.time()) - 301)), id="stale-timestamp"),
    pytest.param(lambda body: (body, signature(body, "whsec_someone_else")), id="wrong-secret"),
    pytest.param(lambda body: (body, None), id="missing-header"),
    pytest.param(lambda body: (body, "garbage"), id="garbage-header"),
])  # every other malformed header: tests/unit/test_webhook_signature.py
def test_forged_tampered_or_stale_events_are_refused_and_nothing_is_queued(hooks, stack, forge):
    sent_body, header = forge(body_of(stripe_event()))

    status, answer, _ = post(hooks, sent_body, header)

    assert status == 400
    assert answer["error"]["code"] == "invalid_signature"
    assert queued(stack) == []


def test_a_timestamp_just_inside_the_tolerance_is_accepted(hooks, stack):
    body = body_of(stripe_event())

    status, _, _ = post(hooks, body, signature(body, at=int(time.time()) - 290))

    assert status == 200 and len(queued(stack)) == 1


def test_one_matching_signature_among_several_is_enough(hooks, stack):
    """While a secret is rolled, Stripe signs with the old and the new one."""
    body = body_of(stripe_event())
    at = int(time.time())
    good = signature(body, at=at).split("v1=")[1]
    stale = signature(body, "whsec_rolled_away", at=at).split("v1=")[1]

    status, _, _ = post(hooks, body, f"t={at},v1={stale},v1={good},v0={stale}")

    assert status == 200 and len(queued(stack)) == 1


def test_our_side_can_roll_its_secret_too(hooks, stack, monkeypatch):
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", f"whsec_new_one,{PLATFORM_SECRET}")
    body = body_of(stripe_event())

    status, _, _ = post(hooks, body, signature(body))

    assert status == 200


def test_rejections_are_logged_and_counted_without_the_body_or_the_signature(hooks, caplog, capfd):
    body = body_of(stripe_event())
    header = signature(body, "whsec_someone_else")
    capfd.readouterr()

    with caplog.at_level("INFO", logger="halles"):
        post(hooks, body, header)

    (rejected,) = [r for r in caplog.records if r.getMessage() == "webhook rejected"]
    assert rejected.levelname == "WARNING" and rejected.reason == "signature_mismatch"
    logged = " ".join(str(vars(record)) for record in caplog.records)
    assert header.split("v1=")[1] not in logged and "pi_3Qtest" not in logged and "2599" not in logged
    assert "WebhookRejected" in capfd.readouterr().out  # the metric (an EMF line)


def test_the_connect_endpoint_takes_connected_account_events_with_its_own_secret(hooks, stack):
    event = stripe_event("account.updated", account="acct_1Vendor",
                         obj={"id": "acct_1Vendor", "object": "account", "charges_enabled": True})
    body = body_of(event)

    platform_secret_there = post(hooks, body, signature(body), "/webhooks/stripe/connect")
    connect_secret_here = post(hooks, body, signature(body, CONNECT_SECRET), "/webhooks/stripe")
    accepted = post(hooks, body, signature(body, CONNECT_SECRET), "/webhooks/stripe/connect")

    assert platform_secret_there[0] == connect_secret_here[0] == 400
    assert accepted[0] == 200
    (message,) = queued(stack)
    assert (message["type"], message["account"]) == ("account.updated", "acct_1Vendor")


@pytest.mark.parametrize("path", ["/webhooks/stripe", "/webhooks/stripe/connect"])
# `{now}`: the current time, filled in when the test runs (a collected id must not change between the
# pytest-xdist workers, which collect at different moments).
@pytest.mark.parametrize("header", ["t={now}\u00b2,v1=00", "t=\u00b2,v1=00", "t=1,v1", "t,v1=00"])
def test_a_header_that_only_looks_like_a_timestamp_is_a_400_not_a_500(hooks, stack, path, header):
    status, answer, _ = post(hooks, body_of(stripe_event()), header.format(now=int(time.time())), path)

    assert status == 400, answer
    assert answer["error"]["fields"] == {"Stripe-Signature": "invalid"}
    assert queued(stack) == []


def test_a_connect_signed_event_without_an_account_is_refused_and_not_queued(hooks, stack, caplog):
    """Otherwise a refund or dispute of a connected account's charge would be applied to the platform's."""
    body = body_of(stripe_event("charge.refunded", obj={"id": "ch_3Qtest", "object": "charge",
                                                        "payment_intent": "pi_3Qtest", "amount_refunded": 2599}))

    with caplog.at_level("INFO", logger="halles"):
        status, answer, _ = post(hooks, body, signature(body, CONNECT_SECRET), "/webhooks/stripe/connect")

    assert status == 400
    assert answer["error"]["fields"] == {"account": "required on the Connect endpoint"}
    assert queued(stack) == []
    assert any(r.getMessage() == "connect webhook without account refused" for r in caplog.records)


def test_an_event_of_the_other_mode_is_acknowledged_and_ignored(hooks, stack):
    from chalicelib.store import webhook_events

    event = stripe_event(livemode=True)
    body = body_of(event)

    status, answer, _ = post(hooks, body, signature(body))

    assert (status, answer) == (200, {"received": True, "duplicate": False, "ignored": "livemode_mismatch"})
    assert queued(stack) == [] and webhook_events.get(event["id"]) is None


@pytest.mark.parametrize("event_type", ["charge.succeeded", "transfer.created", "customer.created"])
def test_an_event_the_platform_does_not_act_on_is_acknowledged_and_neither_recorded_nor_queued(
        hooks, stack, event_type):
    # An endpoint subscribed to every event: those nobody acts on cost no record, message or invocation.
    from chalicelib.store import webhook_events

    event = stripe_event(event_type)
    body = body_of(event)

    status, answer, _ = post(hooks, body, signature(body))

    assert (status, answer) == (200, {"received": True, "duplicate": False, "ignored": "type_not_handled"})
    assert queued(stack) == [] and webhook_events.get(event["id"]) is None


def test_a_signed_payload_that_is_not_an_event_is_refused(hooks, stack):
    body = json.dumps({"id": "not-an-event", "type": "x", "created": 1, "livemode": False}).encode()

    status, answer, _ = post(hooks, body, signature(body))

    assert status == 400 and answer["error"]["code"] == "invalid_event"
    assert queued(stack) == []


def test_when_the_queue_is_down_stripe_is_told_to_retry_and_the_retry_gets_through(hooks, stack, monkeypatch):
    from chalicelib.store import webhook_events

    event = stripe_event()
    body = body_of(event)
    working_queue = stack.queues["payment-events"]
    monkeypatch.setenv("HALLES_PAYMENT_EVENTS_QUEUE_URL", working_queue + "-gone")

    failed = post(hooks, body, signature(body))

    assert failed[0] == 500 and failed[1]["error"]["code"] == "enqueue_failed"
    assert webhook_events.get(event["id"]) is None  # not remembered, so the retry is not a "duplicate"

    monkeypatch.setenv("HALLES_PAYMENT_EVENTS_QUEUE_URL", working_queue)
    retried = post(hooks, body, signature(body))
    assert retried[:2] == (200, {"received": True, "duplicate": False, "ignored": None})
    assert [m["event_id"] for m in queued(stack)] == [event["id"]]


def test_a_delivery_racing_another_one_is_asked_to_retry(hooks, stack):
    from chalicelib.store import webhook_events

    event = stripe_event()
    body = body_of(event)
    webhook_events.claim(event["id"], event["type"], endpoint="platform", account=None)  # in flight elsewhere

    status, answer, headers = post(hooks, body, signature(body))

    assert (status, answer["error"]["code"]) == (409, "event_in_progress")
    assert int(headers["Retry-After"]) > 0
    assert queued(stack) == []


def test_a_delivery_that_died_half_way_is_taken_over_by_the_next(hooks, stack):
    from chalicelib.store import webhook_events

    event = stripe_event()
    body = body_of(event)
    long_ago = datetime.now(UTC) - timedelta(minutes=10)
    webhook_events.claim(event["id"], event["type"], endpoint="platform", account=None, now=long_ago)

    status, answer, _ = post(hooks, body, signature(body))

    assert (status, answer["duplicate"]) == (200, False)
    assert [m["event_id"] for m in queued(stack)] == [event["id"]]


def test_an_unconfigured_endpoint_fails_loudly(hooks, stack, monkeypatch):
    monkeypatch.delenv("STRIPE_WEBHOOK_SECRET")
    body = body_of(stripe_event())

    status, answer, _ = post(hooks, body, signature(body))

    assert (status, answer["error"]["code"]) == (500, "webhook_not_configured")
    assert queued(stack) == []


def test_events_from_the_local_provider_reach_the_queue(app_client, stack, payments):
    """The local provider's signing and the endpoint's verification agree, end to end."""
    payments.webhook_target = lambda body, headers: app_client.http.post(
        "/webhooks/stripe", body=body, headers=headers).status_code
    intent = payments.ledger.create_payment_intent(
        {"amount": "4200", "currency": "eur", "metadata": {"order_id": "ord-local"}}, {})
    payments.complete_payment(intent["id"], "4000000000009995")
    payments.complete_payment(intent["id"], "4242424242424242")

    attempts = payments.deliver_webhooks()
    duplicates = [a.status for a in payments.dispatcher.deliver_pending()]

    assert [(a.event_type, a.status) for a in attempts] == [
        ("charge.failed", 200), ("payment_intent.payment_failed", 200),
        ("charge.succeeded", 200), ("payment_intent.succeeded", 200)]
    assert duplicates == []
    messages = queued(stack)  # the charge's events are acknowledged, not acted on: only the intent's are queued
    assert [m["type"] for m in messages] == ["payment_intent.payment_failed", "payment_intent.succeeded"]
    assert {m["object"].get("payment_intent", m["object"]["id"]) for m in messages} == {intent["id"]}
