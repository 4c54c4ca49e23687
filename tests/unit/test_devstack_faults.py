"""`devstack run --faults`: the spec, and each fault as the code under it experiences it.

The DynamoDB faults are met through a real botocore client (its own session, so it gets the hooks
like the app's clients do) whose server is a stub answering every call with success: what the
client sees is the fault, not the stub. The SQS faults are met through the pump with a fake queue,
the provider's through its request handling.
"""

from __future__ import annotations

import json

import botocore.session
import pytest
from botocore.awsrequest import AWSResponse
from botocore.config import Config
from botocore.exceptions import ClientError

from devstack import faults
from devstack.functions import LocalFunction
from devstack.localpay.server import AnswerLost, LocalPaymentProvider
from devstack.pump import SqsPump


def test_a_spec_gives_rates_settings_and_a_seed():
    plan = faults.parse_spec("provider_5xx=0.1, ddb_throttle=0.05,sqs_delay_seconds=2,seed=7")

    assert plan.rates == {"provider_5xx": 0.1, "ddb_throttle": 0.05}
    assert (plan.seed, plan.sqs_delay_seconds, plan.provider_timeout_seconds) == (7, 2.0, 1.0)


@pytest.mark.parametrize("spec, named", [("ddb_throtle=0.1", "ddb_throtle"), ("provider_5xx=2", "provider_5xx"),
                                         ("sqs_delay=often", "sqs_delay"), ("crash_after_write", "crash_after_write"),
                                         ("sqs_delay_seconds=-1", "sqs_delay_seconds")])
def test_a_wrong_spec_names_its_wrong_part(spec, named):
    with pytest.raises(faults.FaultSpecError, match=named):
        faults.parse_spec(spec)


def test_the_command_line_refuses_a_wrong_spec_before_starting_anything(capsys):
    from devstack.__main__ import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--faults=ddb_throttle=1.5"])
    assert "ddb_throttle" in capsys.readouterr().err


def test_the_same_seed_makes_the_same_decisions():
    def decisions(seed: int) -> list[bool]:
        plan = faults.parse_spec(f"ddb_throttle=0.3,seed={seed}")
        return [plan.roll("ddb_throttle") for _ in range(200)]

    assert decisions(4) == decisions(4)
    assert decisions(4) != decisions(5)
    assert 30 < sum(decisions(4)) < 90  # about the rate


# ---- DynamoDB, through botocore's event system ---------------------------------------------------


class _OkBody:
    def __init__(self, content: bytes):
        self.content = content

    def stream(self, **_):
        yield self.content


def _server_says_ok(request, **_):
    return AWSResponse(request.url, 200, {"Content-Type": "application/x-amz-json-1.0"}, _OkBody(b"{}"))


@pytest.fixture
def dynamodb():
    """A DynamoDB client of a session created after the hooks (as the app's are), on a stub server."""
    def make(spec: str):
        faults.install(faults.parse_spec(spec))
        session = botocore.session.Session()
        client = session.create_client("dynamodb", region_name="eu-west-1", aws_access_key_id="x",
                                       aws_secret_access_key="x", endpoint_url="http://127.0.0.1:9",
                                       config=Config(retries={"total_max_attempts": 1}))
        client.meta.events.register("before-send.dynamodb", _server_says_ok)
        return client

    yield make
    faults.uninstall()


TRANSACTION = {"TransactItems": [{"Put": {"TableName": "t", "Item": {"pk": {"S": "a"}}}},
                                 {"Put": {"TableName": "t", "Item": {"pk": {"S": "b"}}}}]}


def test_the_stacks_own_calls_never_get_faults(dynamodb):
    client = dynamodb("ddb_throttle=1,ddb_tx_cancel=1,crash_after_write=1")

    client.put_item(TableName="t", Item={"pk": {"S": "a"}})  # not armed: the seed, a snapshot...
    client.transact_write_items(**TRANSACTION)


def test_a_throttled_call_fails_as_aws_fails_it(dynamodb):
    client = dynamodb("ddb_throttle=1")

    with faults.armed(), pytest.raises(ClientError) as refused:
        client.get_item(TableName="t", Key={"pk": {"S": "a"}})

    assert refused.value.response["Error"]["Code"] in ("ProvisionedThroughputExceededException",
                                                       "ThrottlingException")


def test_a_cancelled_transaction_names_a_conflict_on_one_item_and_none_on_the_others(dynamodb):
    client = dynamodb("ddb_tx_cancel=1")

    with faults.armed(), pytest.raises(ClientError) as refused:
        client.transact_write_items(**TRANSACTION)

    assert refused.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert [r["Code"] for r in refused.value.response["CancellationReasons"]] == ["TransactionConflict", "None"]


def test_a_function_dies_after_its_write_succeeded_and_no_except_exception_survives_it(dynamodb):
    client = dynamodb("crash_after_write=1")
    reached = []

    def function(event, context):
        try:
            client.get_item(TableName="t", Key={"pk": {"S": "a"}})  # a read: no crash
            reached.append("read")
            client.put_item(TableName="t", Item={"pk": {"S": "a"}})
            reached.append("after the write")
        except Exception:
            reached.append("the app caught it")

    with pytest.raises(faults.FunctionCrashed, match="PutItem"):
        faults.as_function(function)({}, None)
    assert reached == ["read"]


# ---- SQS, through the pump --------------------------------------------------------------------------


class _Queue:
    def __init__(self):
        self.deleted: list[str] = []
        self.made_visible: list[tuple[str, int]] = []

    def delete_message_batch(self, QueueUrl, Entries):  # noqa: N803 - boto3 names
        self.deleted += [e["ReceiptHandle"] for e in Entries]

    def change_message_visibility_batch(self, QueueUrl, Entries):  # noqa: N803
        self.made_visible += [(e["ReceiptHandle"], e["VisibilityTimeout"]) for e in Entries]


def _pump(spec: str, queue: _Queue, handled: list) -> SqsPump:
    function = LocalFunction("consumer", "sqs", lambda event, ctx: handled.extend(
        r["body"] for r in event["Records"]) or {"batchItemFailures": []}, queue="q", batch_size=10)
    return SqsPump(function, "url", "arn:aws:sqs:eu-west-1:123456789012:q", queue, "eu-west-1", lambda: None,
                   retry_after=1, faults=faults.parse_spec(spec))


MESSAGES = [{"MessageId": f"m{i}", "ReceiptHandle": f"rh{i}", "Body": f"b{i}"} for i in range(3)]


def test_a_duplicated_message_is_handled_and_left_in_the_queue_to_come_back():
    queue, handled = _Queue(), []

    outcome = _pump("sqs_duplicate=1", queue, handled)._process(list(MESSAGES))

    assert handled == ["b0", "b1", "b2"] and outcome.failed == 0
    assert queue.deleted == [] and queue.made_visible == [("rh0", 1), ("rh1", 1), ("rh2", 1)]


def test_a_delayed_message_is_not_handled_now_but_put_back_for_the_delay():
    queue, handled = _Queue(), []

    _pump("sqs_delay=1,sqs_delay_seconds=4", queue, handled)._process(list(MESSAGES))

    assert handled == [] and queue.deleted == []
    assert queue.made_visible == [("rh0", 4), ("rh1", 4), ("rh2", 4)]


# ---- the payment provider -------------------------------------------------------------------------


SDK = {"authorization": "Bearer sk_test_local_halles", "user-agent": "Stripe/v1 PythonBindings/12.0.0",
       "content-type": "application/x-www-form-urlencoded"}


def _provider(spec: str) -> LocalPaymentProvider:
    provider = LocalPaymentProvider("whsec_x", processing_delay=None)
    provider.chaos = faults.provider_chooser(faults.parse_spec(spec))
    provider.chaos_hold_seconds = 0
    return provider


def test_a_provider_5xx_does_nothing_and_says_so():
    provider = _provider("provider_5xx=1")

    status, _, body = provider.handle("POST", "/v1/customers", SDK, b"email=a%40example.com")

    assert status == 500 and json.loads(body)["error"]["type"] == "api_error"
    assert provider.ledger.of_kind("customer") == []


def test_a_provider_timeout_does_the_call_and_loses_the_answer():
    provider = _provider("provider_timeout=1")

    with pytest.raises(AnswerLost):
        provider.handle("POST", "/v1/customers", SDK, b"email=a%40example.com")

    assert [c["email"] for c in provider.ledger.of_kind("customer")] == ["a@example.com"]


def test_only_the_apps_sdk_calls_get_provider_faults():
    provider = _provider("provider_5xx=1")
    reader = {**SDK, "user-agent": "Python-urllib/3.12"}

    status, _, _ = provider.handle("POST", "/v1/customers", reader, b"email=a%40example.com")

    assert status == 200


# ---- a function that dies while answering an HTTP request -----------------------------------------


def test_an_api_function_that_dies_answers_502_like_api_gateway_and_the_server_keeps_serving():
    import http.client

    from chalice import Chalice
    from chalice.config import Config

    from devstack.http import make_api_server, serve_in_thread

    app = Chalice("crash-test")
    writes = []

    @app.route("/orders", methods=["POST"])
    def place():
        writes.append("written")
        if len(writes) == 1:
            raise faults.InjectedCrash("died after PutItem")
        return {"placed": len(writes)}

    server = make_api_server(app, Config(), "127.0.0.1", 0, None)
    serve_in_thread(server.server, "api-crash-test")
    port = server.server.server_address[1]
    try:
        answers = []
        for _ in range(2):
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("POST", "/orders", body=b"{}", headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            answers.append((response.status, json.loads(response.read())))
            connection.close()
    finally:
        server.server.shutdown()
        server.server.server_close()

    assert answers[0][0] == 502 and answers[0][1]["error"]["code"] == "function_crashed"
    assert answers[1] == (200, {"placed": 2})
