"""The local stack's pure parts: schedule expressions, Lambda-shaped events, batch results."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from chalice import Chalice, Cron, Rate

from devstack.functions import discover
from devstack.pump import failed_message_ids, sqs_record
from devstack.schedules import UnsupportedSchedule, parse, scheduled_event

T0 = datetime(2026, 3, 6, 10, 7, 30, tzinfo=UTC)  # a Friday


@pytest.mark.parametrize(("expression", "expected"), [
    ("rate(5 minutes)", datetime(2026, 3, 6, 10, 12, 30, tzinfo=UTC)),
    ("rate(1 hour)", datetime(2026, 3, 6, 11, 7, 30, tzinfo=UTC)),
    ("rate(2 days)", datetime(2026, 3, 8, 10, 7, 30, tzinfo=UTC)),
])
def test_a_rate_fires_one_period_after_the_start(expression, expected):
    assert parse(expression).next_after(T0, T0) == expected


def test_a_rate_keeps_its_cadence_after_a_late_run():
    schedule = parse("rate(10 minutes)")
    late = datetime(2026, 3, 6, 10, 31, 0, tzinfo=UTC)
    assert schedule.next_after(late, T0) == datetime(2026, 3, 6, 10, 37, 30, tzinfo=UTC)


@pytest.mark.parametrize(("expression", "expected"), [
    ("cron(0 9 * * ? *)", datetime(2026, 3, 7, 9, 0, tzinfo=UTC)),
    ("cron(*/15 * * * ? *)", datetime(2026, 3, 6, 10, 15, tzinfo=UTC)),
    ("cron(5,40 10 * * ? *)", datetime(2026, 3, 6, 10, 40, tzinfo=UTC)),
    ("cron(0 8 ? * MON-FRI *)", datetime(2026, 3, 9, 8, 0, tzinfo=UTC)),  # skips the weekend
    ("cron(0 0 ? * 1 *)", datetime(2026, 3, 8, 0, 0, tzinfo=UTC)),  # 1 = Sunday, as in EventBridge
    ("cron(30 2 1 * ? *)", datetime(2026, 4, 1, 2, 30, tzinfo=UTC)),
    ("cron(0 12 15 JAN ? 2027)", datetime(2027, 1, 15, 12, 0, tzinfo=UTC)),
])
def test_cron_finds_the_next_matching_minute(expression, expected):
    assert parse(expression).next_after(T0) == expected


@pytest.mark.parametrize("expression", [
    "cron(0 9 L * ? *)", "cron(0 9 ? * 2#1 *)", "cron(0 9 15W * ? *)", "cron(0 9 * *)",
    "cron(61 * * * ? *)", "every 5 minutes", "rate(0 minutes)",
])
def test_what_the_local_scheduler_cannot_run_is_refused_clearly(expression):
    with pytest.raises(UnsupportedSchedule):
        parse(expression)


def test_functions_are_discovered_with_their_triggers():
    app = Chalice("t")

    @app.on_sqs_message(queue="notifications", batch_size=25)
    def consumer(event):
        return None

    @app.schedule(Rate(15, unit=Rate.MINUTES))
    def every_quarter(event):
        return None

    @app.schedule(Cron(0, 3, "*", "*", "?", "*"))
    def nightly(event):
        return None

    @app.lambda_function()
    def direct(event, context):
        return {"ok": True}

    found = discover(app)

    assert (found["consumer"].kind, found["consumer"].queue, found["consumer"].batch_size) == ("sqs", "notifications",
                                                                                                10)
    assert found["every_quarter"].schedule == "rate(15 minutes)"
    assert found["nightly"].schedule == "cron(0 3 * * ? *)"
    assert found["direct"].kind == "lambda"
    assert found["direct"].handler({}, None) == {"ok": True}


def test_a_scheduled_event_looks_like_eventbridges():
    event = scheduled_event("nightly", "eu-west-1", T0)
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["time"] == "2026-03-06T10:07:30Z"
    assert event["resources"] == ["arn:aws:events:eu-west-1:123456789012:rule/nightly"]


def test_an_sqs_record_looks_like_lambdas():
    message = {"MessageId": "m-1", "ReceiptHandle": "r-1", "Body": "{}", "MD5OfBody": "99914b",
               "Attributes": {"ApproximateReceiveCount": "2"},
               "MessageAttributes": {"event_type": {"DataType": "String", "StringValue": "user.signed_up"}}}

    record = sqs_record(message, "arn:aws:sqs:eu-west-1:123456789012:q", "eu-west-1")

    assert record["messageId"] == "m-1"
    assert record["attributes"]["ApproximateReceiveCount"] == "2"
    assert record["messageAttributes"]["event_type"]["stringValue"] == "user.signed_up"
    assert record["messageAttributes"]["event_type"]["dataType"] == "String"
    assert (record["eventSource"], record["eventSourceARN"]) == ("aws:sqs", "arn:aws:sqs:eu-west-1:123456789012:q")


@pytest.mark.parametrize(("result", "failed"), [
    (None, set()),
    ({"batchItemFailures": []}, set()),
    ({"batchItemFailures": [{"itemIdentifier": "b"}]}, {"b"}),
    ({"batchItemFailures": [{"itemIdentifier": "zzz"}]}, {"a", "b", "c"}),  # unknown id: whole batch failed
    ({"batchItemFailures": [{"itemIdentifier": ""}]}, {"a", "b", "c"}),
])
def test_partial_batch_responses_follow_lambdas_rules(result, failed):
    assert failed_message_ids(result, ["a", "b", "c"]) == failed
