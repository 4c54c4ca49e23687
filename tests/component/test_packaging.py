"""`make package` produces a template AWS would accept and that wires what Chalice leaves out.

Runs the real `chalice package` once per session (about 10 s; Chalice caches the Lambda bundle in
.chalice/deployments), then checks the post-processed sam.json and cfn-lint's verdict.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from chalicelib.entries import ROUTE_FUNCTIONS
from scripts.function_access import KINDS, declared_access
from scripts.package import (
    FUNCTION,
    FUNCTION_ALARMS,
    POLICY_NAME,
    PackagingError,
    function_alarm_name,
    latest_invokers,
    lint,
    package,
    post_process,
    route_functions,
)

# `chalice package` caches its bundle in .chalice/deployments: two xdist workers packaging at once would
# corrupt each other's zip, so this module's tests (and their module-scoped packages) stay on one worker.
pytestmark = pytest.mark.xdist_group("packaging")

ROOT = Path(__file__).resolve().parents[2]
INFRA = json.loads((ROOT / "infra" / "template.json").read_text())
MONITORING = json.loads((ROOT / "infra" / "monitoring.json").read_text())
README = (ROOT / "README.md").read_text()


@pytest.fixture(scope="module")
def packaged(tmp_path_factory):
    return package("prod", tmp_path_factory.mktemp("package") / "prod")


def _functions(sam: dict) -> dict[str, dict]:
    return {name: res for name, res in sam["Resources"].items() if res["Type"] == FUNCTION}


def _sqs_events(sam: dict) -> list[dict]:
    return [
        event["Properties"]
        for fn in _functions(sam).values()
        for event in (fn["Properties"].get("Events") or {}).values()
        if event["Type"] == "SQS"
    ]


def _role_policy(sam: dict, fn: dict) -> dict:
    role = sam["Resources"][fn["Properties"]["Role"]["Fn::GetAtt"][0]]
    return {p["PolicyName"]: p["PolicyDocument"] for p in role["Properties"]["Policies"]}


def test_the_package_passes_cfn_lint_without_errors(packaged):
    assert packaged.lint.errors == []
    assert (packaged.out_dir / "deployment.zip").stat().st_size > 0


def test_every_sqs_consumer_reports_partial_batch_failures_from_the_template_queue(packaged):
    queues = set(INFRA["Metadata"]["Halles::QueueBindings"].values())
    for event in _sqs_events(packaged.sam):
        assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        logical, attribute = event["Queue"]["Fn::GetAtt"]
        assert logical in queues and attribute == "Arn"


def test_every_function_gets_the_template_environment(packaged):
    expected = INFRA["Metadata"]["Halles::Environment"]
    for name, fn in _functions(packaged.sam).items():
        variables = fn["Properties"]["Environment"]["Variables"]
        assert {k: variables.get(k) for k in expected} == expected, name
        assert variables["HALLES_STAGE"] == "prod"


def test_functions_get_secret_parameter_names_and_may_read_only_those(packaged):
    secrets = INFRA["Metadata"]["Halles::Secrets"]
    for name, fn in _functions(packaged.sam).items():
        variables = fn["Properties"]["Environment"]["Variables"]
        for var, parameter in secrets.items():
            assert var not in variables, f"{name} must not carry the secret {var} itself"
            assert variables[f"{var}_PARAM"] == {"Fn::Sub": f"/${{AWS::StackName}}/{parameter}"}
    statements = [s for role in packaged.sam["Resources"].values() if role["Type"] == "AWS::IAM::Role"
                  for policy in role["Properties"].get("Policies", [])
                  for s in policy["PolicyDocument"]["Statement"] if "ssm:GetParameter" in s.get("Action", [])]
    allowed = {f"parameter/${{AWS::StackName}}/{parameter}" for parameter in secrets.values()}
    granted = {"parameter/" + r["Fn::Sub"].partition(":parameter/")[2] for s in statements for r in s["Resource"]}
    assert statements and granted <= allowed


def test_the_api_is_an_http_api_with_every_route_and_a_default_route_to_the_handler(packaged):
    """An HTTP API bills a third of a REST API's price; payload format 1.0 is the event Chalice routes on, and
    requests no route matches reach the handler through `$default` (it answers 404 in the error shape)."""
    resources = packaged.sam["Resources"]
    assert "RestAPI" not in resources and resources["HttpAPI"]["Type"] == "AWS::Serverless::HttpApi"
    body = resources["HttpAPI"]["Properties"]["DefinitionBody"]
    import app as halles

    routes = {(path, method.lower()) for path, methods in halles.app.routes.items() for method in methods}
    declared = {(path, method) for path, operations in body["paths"].items() for method in operations}
    assert declared == routes | {("$default", "x-amazon-apigateway-any-method")}
    formats = {op["x-amazon-apigateway-integration"]["payloadFormatVersion"]
               for operations in body["paths"].values() for op in operations.values()}
    assert formats == {"1.0"}
    cors = body["x-amazon-apigateway-cors"]
    assert cors["allowOrigins"] == ["*"] and "Idempotency-Key" in cors["allowHeaders"]
    assert "X-Correlation-Id" in cors["exposeHeaders"]
    outputs = json.dumps(packaged.sam["Outputs"])
    assert "RestAPI" not in outputs and "${HttpAPI}" in outputs


def _granted(sam: dict, fn: dict) -> dict[str, set[str]]:
    """What a function's role allows, per kind of infra/function_access.json (logical ids / secret names)."""
    by_sid = {s["Sid"]: s for s in _role_policy(sam, fn)[POLICY_NAME]["Statement"]}
    parameters = {param: var for var, param in INFRA["Metadata"]["Halles::Secrets"].items()}

    def resources(sid):
        return by_sid[sid]["Resource"] if sid in by_sid else []

    return {
        "tables": {r["Fn::GetAtt"][0] for r in resources("Tables") if "Fn::GetAtt" in r},
        "indexes": {r["Fn::Sub"].split(".Arn}/index/*")[0].lstrip("${") for r in resources("Tables") if "Fn::Sub" in r},
        "publishes": {r["Fn::GetAtt"][0] for r in resources("PublishEvents")},
        "consumes": {r["Fn::GetAtt"][0] for r in resources("ConsumeEvents")},
        "secrets": {parameters[r["Fn::Sub"].rsplit("/", 1)[-1]] for r in resources("ReadSecrets")},
        "images": {r["Fn::Sub"].split(".Arn}")[0].lstrip("${") for r in resources("Images")},
        "users": {r["Fn::GetAtt"][0] for r in resources("Users")},
        "user_actions": set(by_sid["Users"]["Action"]) if "Users" in by_sid else set(),
        "mail": {r["Fn::Sub"].rsplit("${", 1)[-1].rstrip("}") for r in resources("SendMail")},
    }


def test_each_function_has_its_own_role_granting_exactly_its_entry(packaged):
    declared = declared_access()
    functions = _functions(packaged.sam)
    assert set(functions) == set(declared)
    roles = [fn["Properties"]["Role"]["Fn::GetAtt"][0] for fn in functions.values()]
    assert len(set(roles)) == len(roles), "two functions share a role"
    bindings = INFRA["Metadata"]["Halles::QueueBindings"]
    for name, fn in functions.items():
        granted = _granted(packaged.sam, fn)
        for kind in KINDS:
            assert granted[kind] == getattr(declared[name], kind), (name, kind)
        assert granted["indexes"] == granted["tables"], name
        consumed = {e["Queue"]["Fn::GetAtt"][0] for e in _sqs_events({"Resources": {name: fn}})}
        assert granted["consumes"] == consumed, name
        assert consumed <= set(bindings.values())
        for document in _role_policy(packaged.sam, fn).values():
            for statement in document["Statement"]:
                if statement["Resource"] == "*" or statement["Resource"] == ["*"]:
                    pytest.fail(f"{name}: {statement['Action']} granted on every resource")


def test_a_consumer_or_schedule_gets_less_than_the_api(packaged):
    """The point of one role per function: a queue consumer cannot touch, e.g., API keys or messages."""
    functions = _functions(packaged.sam)
    api = _granted(packaged.sam, functions["APIHandler"])
    for name in ("PaymentEventsConsumer", "ExpireReservations", "RetryPayouts"):
        granted = _granted(packaged.sam, functions[name])
        assert granted["tables"] < api["tables"], name
        assert {"ApiKeysTable", "MessagesTable", "WebhookEventsTable"}.isdisjoint(granted["tables"]), name
        assert not granted["users"] and not granted["images"], name


@pytest.mark.parametrize(("kind", "change", "expected"), [
    pytest.param("tables", lambda tables: tables - {"OrdersTable"}, "uses tables ['OrdersTable']", id="missing-table"),
    pytest.param("tables", lambda tables: tables | {"MessagesTable"}, "grants tables ['MessagesTable']",
                 id="unused-table"),
    pytest.param("publishes", lambda queues: queues | {"OfferImportsQueue"}, "grants publishes ['OfferImportsQueue']",
                 id="unused-queue"),
    pytest.param("publishes", lambda queues: queues - {"NotificationsQueue"}, "uses publishes ['NotificationsQueue']",
                 id="missing-queue"),
])
def test_the_build_fails_when_an_entry_and_the_code_disagree(kind, change, expected):
    entry = declared_access()["PaymentEventsConsumer"]
    setattr(entry, kind, change(getattr(entry, kind)))

    with pytest.raises(PackagingError, match=re.escape("PaymentEventsConsumer: its")) as err:
        post_process(_chalice_output(), INFRA, {"PaymentEventsConsumer": entry})

    assert expected in str(err.value)


def test_the_build_fails_for_a_function_without_an_entry():
    with pytest.raises(PackagingError, match="PaymentEventsConsumer: no entry in infra/function_access.json"):
        post_process(_chalice_output(), INFRA, {})


def test_every_cognito_call_needing_iam_is_granted_to_the_functions_that_make_it(packaged):
    """PynamoDB and boto3 calls outside app.py are invisible to Chalice; this keeps the grants in step with the code."""
    import botocore.session

    # Only names that are Cognito operations count: our own `admin_cases()` or `queue.admin_queue()` are not.
    model = botocore.session.get_session().get_service_model("cognito-idp")
    operations = {re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower(): name for name in model.operation_names}
    called = set()
    for path in (ROOT / "chalicelib").rglob("*.py"):
        for method in re.findall(r"\.(admin_[a-z_]+|list_users(?:_in_group)?)\(", path.read_text()):
            if method in operations:
                called.add("cognito-idp:" + operations[method])
    assert called, "no Cognito admin call found: the scan above no longer matches how the code calls Cognito"
    functions = _functions(packaged.sam)
    granted = {name: set(statements["Users"]["Action"]) for name, fn in functions.items()
               if "Users" in (statements := {s["Sid"]: s for s in _role_policy(packaged.sam, fn)[POLICY_NAME]["Statement"]})}
    assert granted["APIHandler"] == called  # sign-up, confirmation, roles, account deletion: every route's needs
    # A consumer looking recipients up cannot delete accounts, reset passwords or change roles.
    dangerous = {"cognito-idp:AdminDeleteUser", "cognito-idp:AdminSetUserPassword", "cognito-idp:AdminAddUserToGroup"}
    assert dangerous <= called
    for name, actions in granted.items():
        if name != "APIHandler":
            assert actions and actions.isdisjoint(dangerous), name


# ---------------------------------------------------------------- alarms, dashboard, deployment guide


def _alarms(sam: dict) -> dict[str, dict]:
    return {name: res["Properties"] for name, res in sam["Resources"].items() if res["Type"] == "AWS::CloudWatch::Alarm"}


def test_every_queue_has_an_alarm_on_its_dead_letter_queue(packaged):
    watched = {props["Dimensions"][0]["Value"]["Fn::GetAtt"][0] for props in _alarms(packaged.sam).values()
               if props.get("MetricName") == "ApproximateNumberOfMessagesVisible"
               and props["Threshold"] == 0 and props["ComparisonOperator"] == "GreaterThanThreshold"}
    dead_letter_queues = {res["Properties"]["RedrivePolicy"]["deadLetterTargetArn"]["Fn::GetAtt"][0]
                          for res in INFRA["Resources"].values()
                          if res["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in res["Properties"]}
    assert dead_letter_queues and watched == dead_letter_queues


def test_every_function_has_an_errors_and_a_throttles_alarm(packaged):
    alarms = _alarms(packaged.sam)
    for name in _functions(packaged.sam):
        for metric in FUNCTION_ALARMS:
            props = alarms[function_alarm_name(name, metric)]
            assert (props["Namespace"], props["MetricName"]) == ("AWS/Lambda", metric)
            assert props["Dimensions"] == [{"Name": "FunctionName", "Value": {"Ref": name}}]


def test_every_alarm_notifies_the_topic_mailing_the_deploy_parameter(packaged):
    topic = packaged.sam["Resources"]["AlertsTopic"]["Properties"]
    assert topic["Subscription"] == [{"Protocol": "email", "Endpoint": {"Ref": "AlertEmail"}}]
    assert "Default" not in packaged.sam["Parameters"]["AlertEmail"], "alerts must go to someone chosen at deploy"
    for name, props in _alarms(packaged.sam).items():
        assert props["AlarmActions"] == [{"Ref": "AlertsTopic"}], name
        assert props["AlarmDescription"], name


def test_the_api_alarms_watch_this_stacks_api(packaged):
    """An HTTP API's metrics are per API id (and named 5xx, Count, Latency): the alarms name the packaged API."""
    stage = packaged.sam["Resources"]["HttpAPI"]["Properties"]["StageName"]
    alarms = _alarms(packaged.sam)
    metrics = [alarms["ApiLatencyP99Alarm"]] + [
        q["MetricStat"]["Metric"] for q in alarms["ApiServerErrorRateAlarm"]["Metrics"] if "MetricStat" in q]
    assert sorted(m["MetricName"] for m in metrics) == ["5xx", "Count", "Latency"]
    for metric in metrics:
        assert {"Name": "ApiId", "Value": {"Ref": "HttpAPI"}} in metric["Dimensions"]
        assert {"Name": "Stage", "Value": stage} in metric["Dimensions"]


def _emitted_metrics() -> set[str]:
    """Metric names passed to `observability.count(...)`, including either side of a conditional name."""
    import ast

    names = set()
    for path in (ROOT / "chalicelib").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "count" and node.args:
                names |= {c.value for c in ast.walk(node.args[0]) if isinstance(c, ast.Constant)
                          and isinstance(c.value, str)}
    return names


def _halles_metrics_in(text: str) -> set[str]:
    return set(re.findall(r"(?:SUM|MAX|AVG)\((\w+)\) FROM Halles", text))


def test_the_application_metrics_alarms_and_dashboard_read_are_emitted_by_the_code(packaged):
    emitted = _emitted_metrics()
    watched = _halles_metrics_in(json.dumps(_alarms(packaged.sam)))
    shown = _halles_metrics_in(json.dumps(packaged.sam["Resources"]["Dashboard"]))
    assert {"WebhookRejected", "PayoutsDueOverADay", "ReservationsNotSwept"} <= watched
    assert {"OrdersPlaced", "OrderTransitions", "PaymentsRefunded"} <= shown
    assert sorted((watched | shown) - emitted) == []


def test_the_dashboard_shows_every_alarm(packaged):
    body = json.loads(packaged.sam["Resources"]["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"])
    shown = {arn for widget in body["widgets"] if widget["type"] == "alarm" for arn in widget["properties"]["alarms"]}
    assert shown == {f"${{{name}.Arn}}" for name in _alarms(packaged.sam)}


def _deployment_guide() -> str:
    start = README.index("## Deploying to AWS")
    end = README.find("\n## ", start + 1)
    return README[start:end if end > 0 else None]


def test_the_deployment_guide_describes_every_alarm(packaged):
    guide = _deployment_guide()
    rows = {line.split("|")[1].strip().strip("`"): line for line in guide.splitlines() if line.startswith("| `")}
    functions = _functions(packaged.sam)
    for name in _alarms(packaged.sam):
        per_function = [(fn, metric) for fn in functions for metric in FUNCTION_ALARMS
                        if name == function_alarm_name(fn, metric)]
        if per_function:
            fn, metric = per_function[0]
            row = rows.get(function_alarm_name("<Function>", metric), "")
            assert f"`{fn}`" in rows.get(function_alarm_name("<Function>", "Errors"), ""), name
        else:
            row = rows.get(name, "")
        cells = [cell.strip() for cell in row.split("|")[1:-1]]
        assert len(cells) == 3 and all(cells), f"{name}: no row (alarm | fires when | what to do) in the README"


def test_the_deployment_guide_lists_every_secret_the_code_reads():
    guide = _deployment_guide()
    secrets = INFRA["Metadata"]["Halles::Secrets"]
    read_by_code = set(re.findall(r'_secret\(env, "([A-Z_]+)"\)', (ROOT / "chalicelib" / "settings.py").read_text()))
    assert read_by_code and read_by_code == set(secrets)
    for variable, parameter in secrets.items():
        assert f"--name /halles-prod/{parameter} " in guide, parameter
        assert re.search(rf"^\| `{re.escape(parameter)}` \| `{variable}` \|", guide, re.M), parameter


def test_the_one_deploy_command_passes_every_parameter_without_a_default(packaged):
    makefile = (ROOT / "Makefile").read_text()
    deploy = makefile[makefile.index("\ndeploy:"):]
    deploy = deploy[:deploy.index("\n\n")]
    required = [name for name, p in packaged.sam.get("Parameters", {}).items() if "Default" not in p]
    assert required
    for name in required:
        assert f"{name}=$(" in deploy, name
    assert "scripts.package" in deploy and "make deploy STACK=" in _deployment_guide()


def test_every_module_in_the_bundle_ships_with_bytecode(packaged):
    with zipfile.ZipFile(packaged.out_dir / "deployment.zip") as bundle:
        names = set(bundle.namelist())
    tag = sys.implementation.cache_tag
    missing = [n for n in names if n.endswith(".py") and
               f"{n.rsplit('/', 1)[0] + '/' if '/' in n else ''}__pycache__/{n.rsplit('/', 1)[-1][:-3]}.{tag}.pyc" not in names]
    assert missing == []


# ---------------------------------------------------------------- SnapStart


def test_every_function_is_published_with_snapstart_behind_the_live_alias(packaged):
    for name, fn in _functions(packaged.sam).items():
        props = fn["Properties"]
        assert props["Runtime"] == f"python3.{sys.version_info.minor}" and sys.version_info >= (3, 12), name
        assert props["SnapStart"] == {"ApplyOn": "PublishedVersions"}, name
        assert props["AutoPublishAlias"] == "live", name
        # Any change (timeout, role...) publishes a version: SAM's default would keep serving the old one.
        assert props["AutoPublishAliasAllProperties"] is True, name


def _integrated_functions(sam: dict) -> dict[tuple[str, str], str]:
    """(path, METHOD) -> the function whose `live` alias the HTTP API's integration for it invokes."""
    paths = sam["Resources"]["HttpAPI"]["Properties"]["DefinitionBody"]["paths"]
    targets = {}
    for path, operations in paths.items():
        for method, operation in operations.items():
            text, variables = operation["x-amazon-apigateway-integration"]["uri"]["Fn::Sub"]
            (variable, alias), = variables.items()
            function = alias["Ref"].removesuffix(".Alias")
            assert text.endswith(f"/functions/${{{variable}}}/invocations") and variable == f"{function}LiveAlias"
            targets[(path, method.upper())] = function
    return targets


def test_the_api_calls_the_alias_and_may_call_nothing_else(packaged):
    resources = packaged.sam["Resources"]
    targets = _integrated_functions(packaged.sam)
    assert len(targets) > 20
    assert set(targets.values()) == {"APIHandler", *ROUTE_FUNCTIONS}
    permissions = [res["Properties"] for res in resources.values() if res["Type"] == "AWS::Lambda::Permission"]
    invoked = [p["FunctionName"] for p in permissions if p["Principal"] == "apigateway.amazonaws.com"]
    assert sorted(invoked, key=json.dumps) == sorted(({"Ref": f"{name}.Alias"} for name in set(targets.values())),
                                                     key=json.dumps)


def test_the_hot_routes_go_to_their_own_functions_and_everything_else_to_the_api_handler(packaged):
    """Stripe's webhooks and POST /checkout run in functions that load only their routes (chalicelib/entries);
    which routes is what each entry module's app registers (tests/component/test_route_functions.py)."""
    functions = _functions(packaged.sam)
    targets = _integrated_functions(packaged.sam)
    assert targets.pop(("$default", "X-AMAZON-APIGATEWAY-ANY-METHOD")) == "APIHandler"
    for name, module in ROUTE_FUNCTIONS.items():
        assert functions[name]["Properties"]["Handler"] == f"{module}.app"
        assert functions[name]["Properties"]["CodeUri"] == functions["APIHandler"]["Properties"]["CodeUri"]
    served = {route: name for name, function in route_functions().items() for route in function.routes}
    assert {route for route, name in targets.items() if name != "APIHandler"} == set(served)
    assert {route: targets[route] for route in served} == served
    assert {("/webhooks/stripe", "POST"), ("/checkout", "POST")} <= set(served)


@pytest.mark.parametrize(("kind", "change", "expected"), [
    pytest.param("tables", lambda tables: tables - {"WebhookEventsTable"}, "uses tables ['WebhookEventsTable']",
                 id="missing-table"),
    pytest.param("tables", lambda tables: tables | {"OrdersTable"}, "grants tables ['OrdersTable']", id="unused-table"),
])
def test_the_build_fails_when_a_route_function_s_entry_and_its_code_disagree(kind, change, expected):
    """The webhook function's own role is checked against the code its entry module reaches, as any function's."""
    declared = declared_access()
    setattr(declared["WebhookHandler"], kind, change(getattr(declared["WebhookHandler"], kind)))
    declared = {name: declared[name] for name in ("APIHandler", "PaymentEventsConsumer", *ROUTE_FUNCTIONS)}

    with pytest.raises(PackagingError, match=re.escape("WebhookHandler: its")) as err:
        post_process(_chalice_output(api=True), INFRA, declared, routed=route_functions())

    assert expected in str(err.value) and "CheckoutHandler" not in str(err.value)


def test_the_build_fails_when_a_route_function_serves_a_route_the_api_lacks_or_another_serves():
    from scripts.package import RouteFunction

    stray = {"WebhookHandler": RouteFunction("chalicelib.entries.webhooks.app", {("/webhooks/nowhere", "POST")})}
    with pytest.raises(PackagingError, match="/webhooks/nowhere"):
        post_process(_chalice_output(api=True), INFRA, declared_access(), routed=stray)
    twice = {"WebhookHandler": RouteFunction("chalicelib.entries.webhooks.app", {("/checkout", "POST")}),
             "CheckoutHandler": RouteFunction("chalicelib.entries.checkout.app", {("/checkout", "POST")})}
    with pytest.raises(PackagingError, match="served by both"):
        post_process(_chalice_output(api=True), INFRA, declared_access(), routed=twice)


def test_queues_and_schedules_invoke_the_alias_through_the_functions_own_events(packaged):
    """SAM points the events declared on a function that has AutoPublishAlias at the alias (the event source
    mapping, the schedule rule and its permission); nothing declared elsewhere may invoke a function."""
    functions = _functions(packaged.sam)
    events = {(name, event["Type"]) for name, fn in functions.items()
              for event in (fn["Properties"].get("Events") or {}).values()}
    consumers = {name for name, kind in events if kind == "SQS"}
    schedules = {name for name, kind in events if kind == "Schedule"}
    assert {"PaymentEventsConsumer", "NotificationsConsumer"} <= consumers
    assert {"ExpireReservations", "RetryPayouts"} <= schedules
    assert consumers | schedules | {"APIHandler", *ROUTE_FUNCTIONS} == set(functions)
    standalone = {res["Type"] for res in packaged.sam["Resources"].values()}
    assert standalone.isdisjoint({"AWS::Lambda::EventSourceMapping", "AWS::Events::Rule", "AWS::Scheduler::Schedule"})
    assert latest_invokers(packaged.sam["Resources"], functions) == []


@pytest.mark.parametrize("invoker", [
    pytest.param({"Type": "AWS::Lambda::Permission", "Properties": {
        "Action": "lambda:InvokeFunction", "Principal": "events.amazonaws.com",
        "FunctionName": {"Fn::GetAtt": ["PaymentEventsConsumer", "Arn"]}}}, id="permission"),
    pytest.param({"Type": "AWS::Events::Rule", "Properties": {"ScheduleExpression": "rate(1 hour)", "Targets": [
        {"Id": "t", "Arn": {"Fn::GetAtt": ["PaymentEventsConsumer", "Arn"]}}]}}, id="rule"),
    pytest.param({"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
        "EventSourceArn": {"Fn::GetAtt": ["OfferImportsQueue", "Arn"]},
        "FunctionName": {"Ref": "PaymentEventsConsumer"}}}, id="event-source-mapping"),
])
def test_the_build_fails_when_something_would_invoke_latest(invoker):
    sam = _chalice_output()
    sam["Resources"]["StrayInvoker"] = invoker

    with pytest.raises(PackagingError, match=re.escape("$LATEST")) as err:
        post_process(sam, INFRA, _declared_consumer())

    assert "StrayInvoker" in str(err.value) and "PaymentEventsConsumer" in str(err.value)


def test_the_build_fails_for_a_runtime_without_snapstart():
    sam = _chalice_output()
    sam["Resources"]["PaymentEventsConsumer"]["Properties"]["Runtime"] = "python3.11"

    with pytest.raises(PackagingError, match=r"PaymentEventsConsumer runs python3\.11: SnapStart needs python3\.12"):
        post_process(sam, INFRA, _declared_consumer())


# What a deployed function must never carry: the local stack, the tests, and test-only libraries.
DEV_ONLY = {"devstack", "tests", "scripts", "moto", "pytest", "_pytest", "hypothesis", "playwright", "cfn_lint",
            "import_linter", "importlinter", "grimp"}


def _distribution(top_level: str) -> str:
    """`moto-5.2.5.dist-info` -> `moto`; a package name stays as it is."""
    name = top_level.split("-", 1)[0] if top_level.endswith((".dist-info", ".egg-info")) else top_level
    return name.lower().replace("-", "_")


def test_the_bundle_carries_no_local_stack_tests_or_test_libraries(packaged):
    with zipfile.ZipFile(packaged.out_dir / "deployment.zip") as bundle:
        top_levels = {name.split("/", 1)[0] for name in bundle.namelist()}
    assert {"app.py", "chalicelib", "pynamodb", "stripe"} <= top_levels, "not the app's bundle"
    assert sorted(t for t in top_levels if _distribution(t) in DEV_ONLY) == []


LAMBDA_LIKE_IMPORT = """
import json, sys, _frozen_importlib_external as loader
bundle, runtime, handler_module = sys.argv[1:4]
sys.path[:0] = [bundle, runtime]
compiled = []
to_code = loader.SourceLoader.source_to_code
def spy(self, data, path, *args, **kwargs):
    compiled.append(path)
    return to_code(self, data, path, *args, **kwargs)
loader.SourceLoader.source_to_code = spy
import importlib
app = importlib.import_module(handler_module).app
print(json.dumps({"routes": len(app.routes), "compiled": [p for p in compiled if p.startswith(bundle)]}))
"""


def test_the_bundle_imports_on_a_lambda_like_path_without_compiling(packaged, tmp_path):
    """Only the bundle plus what the Lambda runtime adds (the AWS SDK); no site-packages, no writes."""
    bundle, runtime = tmp_path / "task", tmp_path / "runtime"
    with zipfile.ZipFile(packaged.out_dir / "deployment.zip") as archive:
        archive.extractall(bundle)
    runtime.mkdir()
    import boto3
    import botocore
    import jmespath
    import s3transfer

    for module in (boto3, botocore, jmespath, s3transfer):
        (runtime / module.__name__).symlink_to(Path(module.__file__).parent)
    handlers = {fn["Properties"]["Handler"].rpartition(".")[0] for fn in _functions(packaged.sam).values()
                if fn["Properties"]["Handler"].endswith(".app")}
    assert handlers == {"app", *ROUTE_FUNCTIONS.values()}
    for handler_module in sorted(handlers):  # each in a fresh interpreter, as its function's Lambda loads it
        proc = subprocess.run([sys.executable, "-S", "-B", "-c", LAMBDA_LIKE_IMPORT, str(bundle), str(runtime),
                               handler_module], cwd=tmp_path, capture_output=True, text=True)
        assert proc.returncode == 0, proc.stderr[-3000:]
        result = json.loads(proc.stdout)
        assert result["routes"] > 0, handler_module
        assert result["compiled"] == [], handler_module


# Post-processing on a hand-made Chalice output: the cases the real app may not have (yet).

CHALICE_QUEUE = "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:%s"


def _chalice_api() -> dict:
    """Chalice's APIHandler, its REST API (two routes) and the API's permission to invoke it."""
    def operation():
        return {"x-amazon-apigateway-integration": {"type": "aws_proxy", "httpMethod": "POST", "uri": {
            "Fn::Sub": "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
                       "${APIHandler.Arn}/invocations"}}}

    return {
        "APIHandler": {"Type": FUNCTION, "Properties": {
            "Runtime": "python3.12", "Handler": "app.app", "Environment": {"Variables": {"HALLES_STAGE": "prod"}},
            "Role": {"Fn::GetAtt": ["DefaultRole", "Arn"]}}},
        "RestAPI": {"Type": "AWS::Serverless::Api", "Properties": {"StageName": "api", "DefinitionBody": {
            "swagger": "2.0", "paths": {"/checkout": {"post": operation()}, "/webhooks/stripe": {"post": operation()},
                                         "/webhooks/stripe/connect": {"post": operation()}}}}},
        "APIHandlerInvokePermission": {"Type": "AWS::Lambda::Permission", "Properties": {
            "FunctionName": {"Ref": "APIHandler"}, "Action": "lambda:InvokeFunction",
            "Principal": "apigateway.amazonaws.com",
            "SourceArn": {"Fn::Sub": ["arn:${AWS::Partition}:execute-api:${AWS::Region}:${AWS::AccountId}:"
                                      "${RestAPIId}/*", {"RestAPIId": {"Ref": "RestAPI"}}]}}},
    }


def _chalice_output(queue_name: str = "payment-events", env: dict | None = None, api: bool = False) -> dict:
    return {
        "Resources": {
            **(_chalice_api() if api else {}),
            "PaymentEventsConsumer": {
                "Type": FUNCTION,
                "Properties": {
                    "Runtime": "python3.12",
                    "Handler": "chalicelib.handlers.payment_events.payment_events_consumer",
                    "Environment": {"Variables": dict(env or {"HALLES_STAGE": "prod"})},
                    "Role": {"Fn::GetAtt": ["DefaultRole", "Arn"]},
                    "Events": {
                        "PaymentEventsConsumerSqsEventSource": {
                            "Type": "SQS",
                            "Properties": {"Queue": {"Fn::Sub": CHALICE_QUEUE % queue_name}, "BatchSize": 10},
                        }
                    },
                },
            },
            "DefaultRole": {"Type": "AWS::IAM::Role", "Properties": {"Policies": [{
                "PolicyName": "DefaultRolePolicy",
                "PolicyDocument": {"Version": "2012-10-17", "Statement": [
                    {"Effect": "Allow", "Action": ["logs:PutLogEvents"], "Resource": "arn:*:logs:*:*:*"},
                    {"Effect": "Allow", "Action": ["sqs:ReceiveMessage"], "Resource": "*"},
                ]},
            }]}},
            **copy.deepcopy(INFRA["Resources"]),
        }
    }


def _declared_consumer() -> dict:
    return {"PaymentEventsConsumer": declared_access()["PaymentEventsConsumer"]}


def test_post_processing_binds_a_chalice_queue_name_to_the_template_queue():
    sam = post_process(_chalice_output("payment-events"), INFRA, _declared_consumer())
    fn = sam["Resources"]["PaymentEventsConsumer"]["Properties"]
    event = fn["Events"]["PaymentEventsConsumerSqsEventSource"]["Properties"]
    assert event["Queue"] == {"Fn::GetAtt": ["PaymentEventsQueue", "Arn"]}
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert fn["Role"] == {"Fn::GetAtt": ["PaymentEventsConsumerRole", "Arn"]} and "DefaultRole" not in sam["Resources"]
    role = sam["Resources"]["PaymentEventsConsumerRole"]["Properties"]
    policies = {p["PolicyName"]: p["PolicyDocument"] for p in role["Policies"]}
    consume = {s["Sid"]: s for s in policies[POLICY_NAME]["Statement"]}["ConsumeEvents"]
    assert consume["Resource"] == [{"Fn::GetAtt": ["PaymentEventsQueue", "Arn"]}]
    assert all(s["Resource"] != "*" for s in policies["DefaultRolePolicy"]["Statement"])
    assert policies["DefaultRolePolicy"]["Statement"][0]["Action"] == ["logs:PutLogEvents"]


def test_post_processing_refuses_a_queue_the_template_does_not_bind():
    with pytest.raises(PackagingError, match="Halles::QueueBindings"):
        post_process(_chalice_output("no-such-queue"), INFRA, _declared_consumer())


def test_post_processing_refuses_an_environment_variable_set_in_two_places():
    with pytest.raises(PackagingError, match="HALLES_MAIL_FROM"):
        post_process(_chalice_output(env={"HALLES_MAIL_FROM": "other@example.com"}), INFRA, _declared_consumer())


def test_cfn_lint_errors_are_reported(tmp_path):
    broken = {"AWSTemplateFormatVersion": "2010-09-09",
              "Resources": {"T": {"Type": "AWS::DynamoDB::Table", "Properties": {"BillingMode": "PAY_PER_REQUEST"}}}}
    (tmp_path / "sam.json").write_text(json.dumps(broken))
    assert lint(tmp_path / "sam.json").errors


# ---------------------------------------------------------------- the frontend (scripts/frontend_template.py)


def _resolve_csp(value: dict, api_id: str = "abc123", region: str = "eu-west-1", images: str = "halles-images") -> str:
    """The Content-Security-Policy CloudFront would send, with this stack's names filled in."""
    policy, variables = value["Fn::Sub"]
    names = {"AWS::Region": region, "AWS::URLSuffix": "amazonaws.com", "RestAPI": api_id, "HttpAPI": api_id,
             "ImagesBucket.DomainName": f"{images}.s3.amazonaws.com",
             "ImagesBucket.RegionalDomainName": f"{images}.s3.{region}.amazonaws.com"}

    def sub(text: str, known: dict) -> str:
        return re.sub(r"\$\{([^}]+)\}", lambda m: known[m.group(1)], text)

    resolved = {name: sub(v["Fn::Sub"], names) for name, v in variables.items()}
    return sub(policy, {**names, **resolved})


def _frontend(packaged) -> dict[str, dict]:
    return {name: res for name, res in packaged.sam["Resources"].items() if name.startswith("Frontend")}


def test_the_frontend_bucket_is_private_encrypted_and_readable_only_by_its_distribution(packaged):
    resources = _frontend(packaged)
    bucket = resources["FrontendBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                                        "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    encryption = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    assert encryption["SSEAlgorithm"] in ("AES256", "aws:kms")
    statements = resources["FrontendBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    allows = [s for s in statements if s["Effect"] == "Allow"]
    assert len(allows) == 1 and allows[0]["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allows[0]["Action"] == "s3:GetObject"
    source = allows[0]["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
    assert source.endswith(":distribution/${FrontendDistribution}")
    oac = resources["FrontendOriginAccessControl"]["Properties"]["OriginAccessControlConfig"]
    assert (oac["OriginAccessControlOriginType"], oac["SigningBehavior"], oac["SigningProtocol"]) == \
        ("s3", "always", "sigv4")


def test_the_distribution_serves_the_bucket_over_https_only_compressed_from_index_html(packaged):
    config = _frontend(packaged)["FrontendDistribution"]["Properties"]["DistributionConfig"]
    [origin] = config["Origins"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["FrontendOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}, "access is the OAC's, never a legacy OAI"
    assert origin["DomainName"] == {"Fn::GetAtt": ["FrontendBucket", "RegionalDomainName"]}
    behaviour = config["DefaultCacheBehavior"]
    assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behaviour["Compress"] is True and config["DefaultRootObject"] == "index.html"
    assert behaviour["ResponseHeadersPolicyId"] == {"Ref": "FrontendHeadersPolicy"}
    _, custom, default = config["ViewerCertificate"]["Fn::If"]
    assert custom["MinimumProtocolVersion"].startswith("TLSv1.2") and custom["SslSupportMethod"] == "sni-only"
    assert default == {"CloudFrontDefaultCertificate": True}


def test_the_frontend_gets_security_headers_and_a_csp_without_unsafe_inline(packaged):
    from scripts.frontend_security import content_security_policy

    headers = _frontend(packaged)["FrontendHeadersPolicy"]["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"]
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["ContentTypeOptions"]["Override"] is True
    assert headers["FrameOptions"]["FrameOption"] == "DENY"
    assert headers["ReferrerPolicy"]["ReferrerPolicy"] in ("no-referrer", "strict-origin-when-cross-origin",
                                                           "same-origin", "strict-origin")
    csp = _resolve_csp(headers["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    directives = {part.split()[0]: part.split()[1:] for part in csp.split("; ")}
    assert directives["script-src"] == ["'self'"] and directives["style-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    api = "https://abc123.execute-api.eu-west-1.amazonaws.com"
    assert api in directives["connect-src"] and api in directives["img-src"] and "data:" in directives["img-src"]
    assert "https://halles-images.s3.eu-west-1.amazonaws.com" in directives["img-src"]
    # The same definition as the local frontend server's (devstack/http.py): one policy, tested locally.
    assert csp == content_security_policy(
        [api], ["https://halles-images.s3.amazonaws.com", "https://halles-images.s3.eu-west-1.amazonaws.com"])


def test_the_frontend_outputs_name_its_url_bucket_distribution_and_the_api(packaged):
    outputs = packaged.sam["Outputs"]
    assert outputs["FrontendBucket"]["Value"] == {"Ref": "FrontendBucket"}
    assert outputs["DistributionId"]["Value"] == {"Ref": "FrontendDistribution"}
    _, custom, default = outputs["FrontendURL"]["Value"]["Fn::If"]
    assert default == {"Fn::Sub": "https://${FrontendDistribution.DomainName}"}
    assert "execute-api" in json.dumps(outputs["ApiUrl"]["Value"])
