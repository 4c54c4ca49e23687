"""The notifications consumer, fed real SQS-shaped events through the app's own handler."""

from __future__ import annotations

import hashlib
import json
import uuid

import boto3

from chalicelib.domain.events import OrderPlaced, UserSignedUp
from chalicelib.events import envelope
from tests.fixtures.aws import REGION, call

FUNCTION = "notifications_consumer"


def sqs_event(bodies: list[str], queue_arn: str = f"arn:aws:sqs:{REGION}:123456789012:notifications") -> dict:
    """A Lambda SQS event with a unique messageId per record (Chalice's generator reuses one)."""
    return {"Records": [{
        "messageId": str(uuid.uuid4()),
        "receiptHandle": uuid.uuid4().hex,
        "body": body,
        "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": "1700000000000", "SenderId": "test",
                       "ApproximateFirstReceiveTimestamp": "1700000000001"},
        "messageAttributes": {},
        "md5OfBody": hashlib.md5(body.encode()).hexdigest(),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": REGION,
    } for body in bodies]}


def consume(app_client, event: dict) -> dict:
    return app_client.lambda_.invoke(FUNCTION, event).payload


def mails_to(address: str) -> list:
    """The mails moto's SES accepted for `address`, parsed as the local outbox shows them."""
    from devstack.outbox import sent_mails

    return [m for m in sent_mails(REGION) if address in m.to]


def signed_up(email: str, role: str = "shopper", user_id: str | None = None) -> str:
    user_id = user_id or str(uuid.uuid4())
    return json.dumps(envelope(UserSignedUp(user_id=user_id, email=email, name="Ada", role=role)))


def raw(event_type: str, data: dict) -> str:
    """A message as a buggy or foreign publisher could put it on the queue."""
    return json.dumps({"event_id": str(uuid.uuid4()), "type": event_type, "occurred_at": "2026-11-27T03:00:00Z",
                       "data": data})


def test_a_sign_up_through_the_api_ends_in_a_welcome_mail(app_client, stack):
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    status, _, _ = call(app_client, "POST", "/auth/signup",
                        {"email": email, "password": "Passw0rd!x", "name": "Ada", "role": "shopper"})
    assert status == 201

    # What the publisher really put on the queue is what the consumer gets.
    sqs = boto3.client("sqs", region_name=REGION)
    received = sqs.receive_message(QueueUrl=stack.queues["notifications"], MaxNumberOfMessages=10)["Messages"]
    assert len(received) == 1
    assert consume(app_client, sqs_event([received[0]["Body"]])) == {"batchItemFailures": []}

    (mail,) = mails_to(email)
    assert mail.headers["From"] == stack.environment["HALLES_MAIL_FROM"]
    assert "Welcome" in mail.subject
    assert "Ada" in mail.text and "Ada" in mail.html


def test_a_bad_record_fails_alone_and_the_rest_of_the_batch_is_processed(app_client, stack):
    shopper, vendor = (f"{role}-{uuid.uuid4().hex[:8]}@example.com" for role in ("shopper", "vendor"))
    event = sqs_event([
        signed_up(shopper),
        "this is not json",
        json.dumps({"type": "user.signed_up", "data": {}}),  # no event_id / occurred_at
        raw("user.signed_up", {"user_id": "u-1", "name": "Ada", "role": "shopper"}),  # no email
        signed_up(vendor, role="vendor"),
    ])
    ids = [r["messageId"] for r in event["Records"]]

    result = consume(app_client, event)

    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == sorted(ids[1:4])
    assert len(mails_to(shopper)) == 1
    assert len(mails_to(vendor)) == 1
    assert "shop" in mails_to(vendor)[0].subject


def test_a_redelivered_event_sends_one_welcome_mail(app_client, stack):
    email = f"twice-{uuid.uuid4().hex[:8]}@example.com"
    body = signed_up(email)
    assert consume(app_client, sqs_event([body])) == {"batchItemFailures": []}
    # SQS redelivers with a new messageId (and can duplicate within one batch).
    assert consume(app_client, sqs_event([body, body])) == {"batchItemFailures": []}
    assert len(mails_to(email)) == 1


def test_a_batch_where_everything_fails_reports_every_record(app_client, stack):
    event = sqs_event(["{", "[]"])
    result = consume(app_client, event)
    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == sorted(
        r["messageId"] for r in event["Records"])


def test_an_unknown_or_malformed_event_fails_its_record_instead_of_being_dropped(app_client, stack):
    placed = OrderPlaced.example().data()
    event = sqs_event([
        raw("order.teleported", placed),  # no such event in chalicelib/domain/events.py
        raw("order.placed", {**placed, "item_count": "three"}),  # the model says an integer
        raw("order.placed", {k: v for k, v in placed.items() if k != "order_number"}),  # summary incomplete
        raw("order.placed", {**placed, "version": 9}),  # a contract this consumer does not read
        raw("user.signed_up", {"user_id": "u-2", "email": " ", "name": "", "role": "shopper"}),  # blank email
        json.dumps(envelope(OrderPlaced.example())),  # valid (its order is unknown here: acknowledged)
    ])
    ids = [r["messageId"] for r in event["Records"]]

    result = consume(app_client, event)

    assert sorted(f["itemIdentifier"] for f in result["batchItemFailures"]) == sorted(ids[:5])


def test_an_unknown_event_ends_in_the_dead_letter_queue(app_client, stack):
    """Through the queue's own redrive: failed on every receive, it lands in the DLQ for an operator."""
    from chalicelib.domain.events import EVENTS_BY_TYPE

    assert "shop.renamed" not in EVENTS_BY_TYPE
    sqs = boto3.client("sqs", region_name=REGION)
    queue = stack.queues["notifications"]
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["RedrivePolicy"])["Attributes"]
    redrive = json.loads(attributes["RedrivePolicy"])
    sqs.send_message(QueueUrl=queue, MessageBody=raw("shop.renamed", {"shop": "x"}))
    for _ in range(int(redrive["maxReceiveCount"])):
        (message,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=1, VisibilityTimeout=0,
                                         WaitTimeSeconds=1)["Messages"]
        result = consume(app_client, sqs_event([message["Body"]]))
        assert len(result["batchItemFailures"]) == 1  # failed: SQS keeps it, never deleted
    assert sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", []) == []
    dlq = sqs.get_queue_url(QueueName=redrive["deadLetterTargetArn"].rsplit(":", 1)[-1])["QueueUrl"]
    (dead,) = sqs.receive_message(QueueUrl=dlq, MaxNumberOfMessages=10).get("Messages", [])
    assert json.loads(dead["Body"])["type"] == "shop.renamed"


def test_an_inbox_entry_is_written_once_as_one_item_even_when_redelivered(stack):
    # The entry's id comes from the event, so the entry is its own dedupe key: one conditional put,
    # no marker item and no transaction (a third of the write units of those).
    from chalicelib.domain.notifications import notification_id
    from chalicelib.store import notifications as store

    owner, event_id = store.user_owner(str(uuid.uuid4())), str(uuid.uuid4())
    nid = notification_id(event_id, owner, "order.paid", "2026-01-01T10:00:00+00:00")
    entry = {"event_id": event_id, "template": "order.paid", "notification_id": nid, "event_type": "order.paid",
             "title": "Paid", "body": "Your order is paid.", "link": "#/orders/x",
             "created_at": "2026-01-01T10:00:00+00:00"}

    assert store.deliver_to_inbox(owner, **entry) is True
    assert store.deliver_to_inbox(owner, **{**entry, "title": "Paid again"}) is False

    stored = list(store.NotificationItem.query(owner, consistent_read=True))
    assert [(item.item, item.title) for item in stored] == [(f"inbox#{nid}", "Paid")]


def test_an_event_redelivered_or_published_again_sends_one_mail(app_client, stack):
    # An effect re-run after a crash publishes the same event (same event_id) again with a later
    # occurred_at: its inbox entry would have another id, so the first occurred_at is pinned per event
    # and every delivery of it acts with that one: each delivery's conditional put then collides.
    email, user_id = f"once-{uuid.uuid4().hex[:8]}@example.com", str(uuid.uuid4())
    body = signed_up(email, user_id=user_id)
    again = json.loads(body)
    again["occurred_at"] = "2099-01-01T00:00:00.000000Z"
    for message in (body, body, json.dumps(again)):
        assert consume(app_client, sqs_event([message])) == {"batchItemFailures": []}

    assert len(mails_to(email)) == 1


def test_an_inbox_delivery_claims_its_email_until_a_failed_send_gives_the_claim_back(stack):
    from chalicelib.domain.notifications import notification_id
    from chalicelib.store import notifications as store

    owner, event_id = store.user_owner(str(uuid.uuid4())), str(uuid.uuid4())
    nid = notification_id(event_id, owner, "order.paid", "2026-01-01T10:00:00+00:00")
    claim = {"event_id": event_id, "template": "order.paid", "notification_id": nid}
    assert store.deliver_to_inbox(owner, **claim, event_type="order.paid", title="Paid", body="Paid.", link="",
                                  created_at="2026-01-01T10:00:00+00:00", claim_email=True) is True

    assert store.claim_email(owner, **claim) is False  # a redelivery: the mail is (being) sent
    store.release_email(owner, **claim)  # SES refused it
    assert store.claim_email(owner, **claim) is True  # the next redelivery sends it
    assert store.claim_email(owner, **claim) is False
