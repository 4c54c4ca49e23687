"""The local stack's SQS pump and snapshots against the deployed template (moto's mock_aws).

The pump is driven one poll at a time, with failed messages visible again at once, so the
redrive to the DLQ after `maxReceiveCount` (5) happens without waiting.
"""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from chalice import Chalice

from devstack.functions import discover, lambda_context
from devstack.infra import load_template
from devstack.pump import SqsPump
from devstack.snapshot import Snapshotter, read_document, stack_tables
from tests.fixtures.aws import REGION


def consumer_app(behaviour):
    app = Chalice("pump-test")

    @app.on_sqs_message(queue="notifications", batch_size=10)
    def consumer(event):
        return behaviour(event)

    return discover(app)["consumer"]


def make_pump(stack, function) -> tuple[SqsPump, object]:
    sqs = boto3.client("sqs", region_name=REGION)
    url = stack.queues["notifications"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    pump = SqsPump(function, url, arn, sqs, REGION, lambda: lambda_context("halles", "local", "consumer", REGION),
                   retry_after=0, wait_seconds=0)
    return pump, sqs


def bodies_in(sqs, url) -> list[str]:
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, VisibilityTimeout=0).get("Messages", [])
    return sorted(m["Body"] for m in messages)


def dlq_url(stack) -> str:
    return stack.physical["NotificationsQueueDLQ"]


def test_only_the_failed_messages_of_a_batch_are_retried_then_dead_lettered(stack):
    seen: list[str] = []

    def fail_the_bad_ones(event):
        records = event.to_dict()["Records"]
        seen.extend(r["body"] for r in records)
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in records if r["body"] == "bad"]}

    pump, sqs = make_pump(stack, consumer_app(fail_the_bad_ones))
    for body in ("good", "bad"):
        sqs.send_message(QueueUrl=stack.queues["notifications"], MessageBody=body)

    first = pump.poll_once()
    assert (first.received, first.deleted, first.failed) == (2, 1, 1)
    for _ in range(4):  # receives 2..5 of the bad message
        assert pump.poll_once().failed == 1
    assert pump.poll_once().received == 0  # the 6th receive moves it to the DLQ instead

    assert seen.count("good") == 1
    assert seen.count("bad") == 5
    assert bodies_in(sqs, dlq_url(stack)) == ["bad"]


def test_a_consumer_that_raises_fails_the_whole_batch(stack):
    def explode(event):
        raise RuntimeError("boom")

    pump, sqs = make_pump(stack, consumer_app(explode))
    sqs.send_message(QueueUrl=stack.queues["notifications"], MessageBody="one")
    sqs.send_message(QueueUrl=stack.queues["notifications"], MessageBody="two")

    outcome = pump.poll_once()

    assert (outcome.deleted, outcome.failed) == (0, 2)
    assert "boom" in outcome.error
    assert bodies_in(sqs, stack.queues["notifications"]) == ["one", "two"]


def test_the_consumer_gets_a_lambda_shaped_event_and_context(stack):
    received = {}

    def capture(event):
        received["event"] = event.to_dict()
        received["context"] = event.context
        return None

    pump, sqs = make_pump(stack, consumer_app(capture))
    sqs.send_message(QueueUrl=stack.queues["notifications"], MessageBody='{"x":1}',
                     MessageAttributes={"event_type": {"DataType": "String", "StringValue": "user.signed_up"}})

    assert pump.poll_once().deleted == 1
    record = received["event"]["Records"][0]
    assert record["body"] == '{"x":1}'
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"]["event_type"]["stringValue"] == "user.signed_up"
    assert record["eventSourceARN"].endswith(":" + stack.physical["NotificationsQueue"].rsplit("/", 1)[-1])
    assert received["context"].get_remaining_time_in_millis() > 0
    assert received["context"].function_name == "halles-local-consumer"


@pytest.fixture
def second_stack(stack):
    """Another deployment of the template in the same moto: what a restart gets."""
    from devstack.infra import deploy

    return deploy(boto3.Session(region_name=REGION), f"halles-r{uuid.uuid4().hex[:6]}")


def snapshotter(deployment, path) -> Snapshotter:
    return Snapshotter(path, boto3.Session(region_name=REGION), stack_tables(load_template(), deployment.physical),
                       deployment.environment["HALLES_USER_POOL_ID"], REGION)


def test_a_snapshot_brings_back_items_and_users_with_their_ids(stack, second_stack, tmp_path):
    cognito = boto3.client("cognito-idp", region_name=REGION)
    pool, client = stack.environment["HALLES_USER_POOL_ID"], stack.environment["HALLES_USER_POOL_CLIENT_ID"]
    cognito.sign_up(ClientId=client, Username="ada@example.com", Password="Passw0rd!x",
                    UserAttributes=[{"Name": "email", "Value": "ada@example.com"}])
    cognito.admin_confirm_sign_up(UserPoolId=pool, Username="ada@example.com")
    cognito.admin_add_user_to_group(UserPoolId=pool, Username="ada@example.com", GroupName="vendors")
    sub = next(a["Value"] for a in cognito.admin_get_user(UserPoolId=pool, Username="ada@example.com")[
        "UserAttributes"] if a["Name"] == "sub")
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    item = {"vendor_id": {"S": sub}, "name": {"S": "Ada's"}, "logo": {"B": b"\x89PNG"},
            "tags": {"L": [{"S": "a"}, {"M": {"n": {"N": "1"}}}]}}
    dynamodb.put_item(TableName=stack.physical["VendorsTable"], Item=item)
    path = tmp_path / "snapshot.json"

    assert snapshotter(stack, path).save() is True
    assert snapshotter(stack, path).save() is True  # a new snapshotter does not know the file
    summary = snapshotter(second_stack, path).restore(read_document(path))

    assert (summary.items, summary.users) == (1, 1)
    restored = dynamodb.get_item(TableName=second_stack.physical["VendorsTable"], Key={"vendor_id": {"S": sub}})
    assert restored["Item"] == item
    new_pool, new_client = (second_stack.environment["HALLES_USER_POOL_ID"],
                            second_stack.environment["HALLES_USER_POOL_CLIENT_ID"])
    tokens = cognito.initiate_auth(ClientId=new_client, AuthFlow="USER_PASSWORD_AUTH",
                                   AuthParameters={"USERNAME": "ada@example.com", "PASSWORD": "Passw0rd!x"})
    import jwt

    claims = jwt.decode(tokens["AuthenticationResult"]["IdToken"], options={"verify_signature": False})
    assert claims["sub"] == sub
    assert claims["cognito:groups"] == ["vendors"]
    assert new_pool in claims["iss"]


def test_an_unchanged_stack_is_not_written_again(stack, tmp_path):
    keeper = snapshotter(stack, tmp_path / "snapshot.json")
    assert keeper.save() is True
    assert keeper.save() is False
    boto3.client("dynamodb", region_name=REGION).put_item(TableName=stack.physical["VendorsTable"],
                                                          Item={"vendor_id": {"S": "v1"}})
    assert keeper.save() is True
    saved = json.loads((tmp_path / "snapshot.json").read_text())
    assert saved["dynamodb"]["VendorsTable"] == [{"vendor_id": {"S": "v1"}}]
    assert not list(tmp_path.glob(".snapshot-*"))  # no temporary file left behind


def test_a_snapshot_brings_back_uploaded_images_but_not_the_seeds_drawings(stack, second_stack, tmp_path):
    from devstack.snapshot import stack_buckets

    s3 = boto3.client("s3", region_name=REGION)
    source = stack_buckets(load_template(), stack.physical)["ImagesBucket"]
    s3.put_object(Bucket=source, Key="vendors/v1/abc.png", Body=b"\x89PNG\r\n\x1a\nxyz", ContentType="image/png")
    s3.put_object(Bucket=source, Key="vendors/v1/seed-prd_1.svg", Body=b"<svg/>", ContentType="image/svg+xml")
    taken = Snapshotter(tmp_path / "s.json", boto3.Session(region_name=REGION), {},
                        stack.environment["HALLES_USER_POOL_ID"], REGION,
                        buckets=stack_buckets(load_template(), stack.physical)).take()

    target = stack_buckets(load_template(), second_stack.physical)
    restored = Snapshotter(tmp_path / "t.json", boto3.Session(region_name=REGION), {},
                           second_stack.environment["HALLES_USER_POOL_ID"], REGION, buckets=target).restore(taken)
    assert restored.objects == 1
    got = s3.get_object(Bucket=target["ImagesBucket"], Key="vendors/v1/abc.png")
    assert got["Body"].read() == b"\x89PNG\r\n\x1a\nxyz" and got["ContentType"] == "image/png"
