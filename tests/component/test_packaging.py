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

from scripts.package import (
    FUNCTION,
    POLICY_NAME,
    PackagingError,
    lint,
    package,
    post_process,
)

# `chalice package` caches its bundle in .chalice/deployments: two xdist workers packaging at once would
# corrupt each other's zip, so this module's tests (and their module-scoped packages) stay on one worker.
pytestmark = pytest.mark.xdist_group("packaging")

ROOT = Path(__file__).resolve().parents[2]
INFRA = json.loads((ROOT / "infra" / "template.json").read_text())


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
    assert statements and all(str(s["Resource"]).count("parameter/${AWS::StackName}/*") == 1 for s in statements)


def test_unknown_routes_answer_404_in_the_error_shape(packaged):
    body = packaged.sam["Resources"]["RestAPI"]["Properties"]["DefinitionBody"]
    response = body["x-amazon-apigateway-gateway-responses"]["MISSING_AUTHENTICATION_TOKEN"]
    assert response["statusCode"] == "404"
    rendered = json.loads(response["responseTemplates"]["application/json"].replace("$context.requestId", "req-1"))
    assert rendered["error"]["code"] == "not_found"
    assert rendered["error"]["correlation_id"] == "req-1"


def test_functions_may_use_every_table_and_index_and_nothing_is_granted_on_everything(packaged):
    tables = [name for name, res in INFRA["Resources"].items() if res["Type"] == "AWS::DynamoDB::Table"]
    for name, fn in _functions(packaged.sam).items():
        policies = _role_policy(packaged.sam, fn)
        statements = {s["Sid"]: s for s in policies[POLICY_NAME]["Statement"]}
        granted = statements["Tables"]["Resource"]
        for table in tables:
            assert {"Fn::GetAtt": [table, "Arn"]} in granted, (name, table)
            assert {"Fn::Sub": f"${{{table}.Arn}}/index/*"} in granted, (name, table)
        for document in policies.values():
            for statement in document["Statement"]:
                actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
                if statement["Resource"] == "*" or statement["Resource"] == ["*"]:
                    pytest.fail(f"{name}: {actions} granted on every resource")


def test_every_cognito_admin_call_in_the_code_is_granted(packaged):
    """PynamoDB and boto3 calls outside app.py are invisible to Chalice; this keeps the grant in step with the code."""
    import botocore.session

    # Only names that are Cognito operations count: our own `admin_cases()` or `queue.admin_queue()` are not.
    model = botocore.session.get_session().get_service_model("cognito-idp")
    operations = {re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower(): name for name in model.operation_names}
    called = set()
    for path in (ROOT / "chalicelib").rglob("*.py"):
        for method in re.findall(r"\.(admin_[a-z_]+)\(", path.read_text()):
            if method in operations:
                called.add("cognito-idp:" + operations[method])
    assert called, "no Cognito admin call found: the scan above no longer matches how the code calls Cognito"
    fn = next(iter(_functions(packaged.sam).values()))
    statements = {s["Sid"]: s for s in _role_policy(packaged.sam, fn)[POLICY_NAME]["Statement"]}
    assert called <= set(statements["Users"]["Action"])


def test_every_module_in_the_bundle_ships_with_bytecode(packaged):
    with zipfile.ZipFile(packaged.out_dir / "deployment.zip") as bundle:
        names = set(bundle.namelist())
    tag = sys.implementation.cache_tag
    missing = [n for n in names if n.endswith(".py") and
               f"{n.rsplit('/', 1)[0] + '/' if '/' in n else ''}__pycache__/{n.rsplit('/', 1)[-1][:-3]}.{tag}.pyc" not in names]
    assert missing == []


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
bundle, runtime = sys.argv[1:3]
sys.path[:0] = [bundle, runtime]
compiled = []
to_code = loader.SourceLoader.source_to_code
def spy(self, data, path, *args, **kwargs):
    compiled.append(path)
    return to_code(self, data, path, *args, **kwargs)
loader.SourceLoader.source_to_code = spy
import app
print(json.dumps({"routes": len(app.app.routes), "compiled": [p for p in compiled if p.startswith(bundle)]}))
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
    proc = subprocess.run([sys.executable, "-S", "-B", "-c", LAMBDA_LIKE_IMPORT, str(bundle), str(runtime)],
                          cwd=tmp_path, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout)
    assert result["routes"] > 0
    assert result["compiled"] == []


# Post-processing on a hand-made Chalice output: the cases the real app may not have (yet).

CHALICE_QUEUE = "arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:%s"


def _chalice_output(queue_name: str = "payment-events", env: dict | None = None) -> dict:
    return {
        "Resources": {
            "PaymentEventsConsumer": {
                "Type": FUNCTION,
                "Properties": {
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


def test_post_processing_binds_a_chalice_queue_name_to_the_template_queue():
    sam = post_process(_chalice_output("payment-events"), INFRA)
    fn = sam["Resources"]["PaymentEventsConsumer"]["Properties"]
    event = fn["Events"]["PaymentEventsConsumerSqsEventSource"]["Properties"]
    assert event["Queue"] == {"Fn::GetAtt": ["PaymentEventsQueue", "Arn"]}
    assert event["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    policies = {p["PolicyName"]: p["PolicyDocument"] for p in sam["Resources"]["DefaultRole"]["Properties"]["Policies"]}
    consume = {s["Sid"]: s for s in policies[POLICY_NAME]["Statement"]}["ConsumeEvents"]
    assert consume["Resource"] == [{"Fn::GetAtt": ["PaymentEventsQueue", "Arn"]}]
    assert all(s["Resource"] != "*" for s in policies["DefaultRolePolicy"]["Statement"])


def test_post_processing_refuses_a_queue_the_template_does_not_bind():
    with pytest.raises(PackagingError, match="Halles::QueueBindings"):
        post_process(_chalice_output("no-such-queue"), INFRA)


def test_post_processing_refuses_an_environment_variable_set_in_two_places():
    with pytest.raises(PackagingError, match="HALLES_MAIL_FROM"):
        post_process(_chalice_output(env={"HALLES_MAIL_FROM": "other@example.com"}), INFRA)


def test_cfn_lint_errors_are_reported(tmp_path):
    broken = {"AWSTemplateFormatVersion": "2010-09-09",
              "Resources": {"T": {"Type": "AWS::DynamoDB::Table", "Properties": {"BillingMode": "PAY_PER_REQUEST"}}}}
    (tmp_path / "sam.json").write_text(json.dumps(broken))
    assert lint(tmp_path / "sam.json").errors
