"""Build the deployable SAM template: `python -m scripts.package [--stage prod] [--out build/<stage>]`.

1. `chalice package --merge-template infra/template.json` (offline: fake credentials; Chalice
   fetches Lambda (manylinux) wheels from PyPI and caches the bundle in .chalice/deployments).
2. Post-process `sam.json` for what Chalice does not emit:
   - SQS event sources report partial batch failures (`ReportBatchItemFailures`) and point at the
     template's queue (`Fn::GetAtt <logical id>.Arn`, via `Metadata."Halles::QueueBindings"`);
   - every function gets `Metadata."Halles::Environment"` (table prefix, pool ids, queue URLs...);
   - Chalice's REST API becomes an HTTP API (`as_http_api`: 1.00 instead of 3.50 USD per million
     requests), payload format 1.0 so Chalice's handler reads the same event; CORS answered by API
     Gateway from Chalice's CORS settings; a `$default` route sends any other path to the handler,
     which answers 404 in the project's error shape (`chalicelib.gateway_responses`);
   - the hot routes get functions of their own (`route_functions`, chalicelib/entries): a copy of Chalice's
     `APIHandler` per entry of `ROUTE_FUNCTIONS`, whose handler module registers only its blueprints, with
     its own invoke permission; the HTTP API's integrations for the routes that module's app registers
     (read from a fresh interpreter importing only it) invoke it, every other route and `$default` stay
     on `APIHandler`;
   - each function gets an IAM role of its own that may use exactly the tables (and their indexes),
     queues, SSM parameters, images prefix, user pool and mail identity its entry in
     infra/function_access.json lists, and that entry must match what the function's code reaches
     (scripts/function_access.py walks its imports; a mismatch fails the build). Chalice's policy
     autogeneration only sees boto3 calls in app.py, not PynamoDB, so it would grant nothing useful.
3. Leave out of deployment.zip what the function never needs from it (`prune_bundle`):
   - the AWS SDK the Lambda Python runtime already has (botocore, jmespath; boto3 and s3transfer
     are never bundled: nothing in requirements.txt asks for them). Decision on pinning: the app
     calls only long-stable APIs (DynamoDB, SQS, SES, Cognito admin, SSM GetParameter, S3 presign)
     whose botocore shapes have not changed in years, and the runtime's SDK gets AWS's security
     fixes without a redeploy; what we lose is the exact botocore version the tests ran against.
     `make package ARGS=--bundle-aws-sdk` keeps the pinned SDK in the zip (+17 MB) for whoever
     prefers reproducibility over size;
   - Babel's CLDR data for every locale but those the notifications format in (BABEL_LOCALES and
     the parents Babel merges them with, e.g. en_GB -> en_001 -> en -> root): ~10 MB compressed;
   - botocore's request examples (documentation, when the SDK is bundled), type stubs (.pyi) and packages' own test folders.
4. Add compiled bytecode to deployment.zip. Lambda's /var/task is read-only, so without it every
   cold start compiles every imported module from source (several times the cost of the import
   itself; see `python -m scripts.bench`). The .pyc files are `unchecked-hash`: valid whatever
   mtimes the extracted files get, which is safe because a deployed bundle never changes.
5. Add the frontend: S3 bucket, CloudFront distribution, security headers (scripts/frontend_template.py).
6. `cfn-lint` the result: any error fails the build; warnings are shown.

SnapStart (README, "SnapStart"): every function gets `SnapStart: {ApplyOn: PublishedVersions}` and
`AutoPublishAlias: live`, so each deploy publishes a version (snapshotted once, its init already run) and
points the `live` alias at it. What invokes a function must invoke the alias, since $LATEST is never
snapshotted: SAM itself points the events declared on a function (SQS, schedules) at its alias; the API's
integration URIs and its invoke permission are rewritten here, and any other invoker of an unqualified
function fails the build. `AutoPublishAliasAllProperties` publishes a new version whenever any property
changes (SAM's default looks only at the code, environment and memory: a new timeout or role would
otherwise keep serving the old version).
"""

from __future__ import annotations

import argparse
import compileall
import copy
import json
import os
import py_compile
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.frontend_template import FrontendTemplateError, add_frontend
from scripts.function_access import Access, declared_access, derive_access, differences

ROOT = Path(__file__).resolve().parent.parent
FUNCTION = "AWS::Serverless::Function"
ROLE = "AWS::IAM::Role"
REST_API = "AWS::Serverless::Api"
HTTP_API = "AWS::Serverless::HttpApi"
API = "HttpAPI"  # the API's logical id in the packaged template (Chalice's is `RestAPI`)
POLICY_NAME = "HallesResources"
ALARM = "AWS::CloudWatch::Alarm"
DASHBOARD = "AWS::CloudWatch::Dashboard"
MONITORING = ROOT / "infra" / "monitoring.json"
# Per function, alarms on these AWS/Lambda metrics (Sum over 5 minutes above 0); README, "Alarms".
FUNCTION_ALARMS = {
    "Errors": "{fn} failed (an exception escaped the handler, a timeout, out of memory).",
    "Throttles": "{fn} was throttled (account or reserved concurrency reached): its requests or events waited.",
}
# The alias every invoker targets (SAM names it `<Function>Aliaslive`; `{"Ref": "<Function>.Alias"}` refers to it).
LIVE_ALIAS = "live"
SNAPSTART = {"ApplyOn": "PublishedVersions"}
API_GATEWAY = "apigateway.amazonaws.com"
SNAPSTART_RUNTIMES = re.compile(r"^python3\.(1[2-9]|[2-9]\d)$")  # Lambda's SnapStart for Python: 3.12 and newer
_CHALICE_QUEUE_ARN = re.compile(r"^arn:\$\{AWS::Partition\}:sqs:\$\{AWS::Region\}:\$\{AWS::AccountId\}:(?P<name>.+)$")

TABLE_ACTIONS = [
    "dynamodb:BatchGetItem",
    "dynamodb:BatchWriteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DeleteItem",
    "dynamodb:DescribeTable",
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "dynamodb:UpdateItem",
]
QUEUE_SEND_ACTIONS = ["sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SendMessage"]
QUEUE_CONSUME_ACTIONS = ["sqs:ChangeMessageVisibility", "sqs:DeleteMessage", "sqs:GetQueueAttributes",
                         "sqs:ReceiveMessage"]
MAIL_ACTIONS = ["ses:SendEmail", "ses:SendRawEmail"]


# What the Lambda Python runtime provides (AWS's docs: "Including the SDK in your deployment package"):
# left out of the zip unless --bundle-aws-sdk. urllib3/dateutil/six stay: requests and stripe pin them too.
RUNTIME_PROVIDED = ("botocore", "jmespath", "boto3", "s3transfer")
# The locales chalicelib.services.notification_templates formats money and dates in (its _babel_locale).
BABEL_LOCALES = ("en_GB", "fr_FR")


class PackagingError(RuntimeError):
    pass


@dataclass
class LintReport:
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    informational: list[str] = field(default_factory=list)


@dataclass
class PackageResult:
    out_dir: Path
    sam: dict
    lint: LintReport

    @property
    def sam_path(self) -> Path:
        return self.out_dir / "sam.json"


# ---------------------------------------------------------------- chalice package


def _venv_tool(name: str) -> str:
    """The tool installed next to the running interpreter (.venv/bin/<name>), else the repo's venv."""
    for candidate in (Path(sys.executable).parent / name, ROOT / ".venv" / "bin" / name):
        if candidate.exists():
            return str(candidate)
    found = shutil.which(name)
    if not found:
        raise PackagingError(f"{name} is not installed (run `make venv`)")
    return found


def offline_environment() -> dict[str, str]:
    """Chalice builds a boto3 session even for `package`; it never calls AWS, so fake credentials do."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="packaging-offline",
        AWS_SECRET_ACCESS_KEY="packaging-offline",
        AWS_DEFAULT_REGION=os.environ.get("AWS_DEFAULT_REGION", "eu-west-1"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    return env


def run_chalice_package(project_dir: Path, stage: str, out_dir: Path, template: Path) -> None:
    if out_dir.exists():
        if any(out_dir.iterdir()) and not (out_dir / "sam.json").exists():
            raise PackagingError(f"{out_dir} is not empty and is not a previous package output; refusing to clear it")
        shutil.rmtree(out_dir)
    cmd = [_venv_tool("chalice"), "--project-dir", str(project_dir), "package", "--stage", stage,
           "--merge-template", str(template), str(out_dir)]
    proc = subprocess.run(cmd, cwd=project_dir, env=offline_environment(), capture_output=True, text=True)
    if proc.returncode != 0:
        output = (proc.stdout + proc.stderr).strip()
        raise PackagingError(f"chalice package failed ({proc.returncode}):\n{output[-3000:]}")


# ---------------------------------------------------------------- post-processing


def post_process(sam: dict, infra: dict, declared: dict[str, Access] | None = None,
                 monitoring: dict | None = None, routed: dict[str, RouteFunction] | None = None) -> dict:
    """Add to Chalice's SAM template what it cannot express (see the module docstring). Mutates and returns `sam`."""
    resources: dict[str, dict] = sam["Resources"]
    meta = infra.get("Metadata", {})
    bindings: dict[str, str] = meta.get("Halles::QueueBindings", {})
    environment: dict[str, Any] = meta.get("Halles::Environment", {})
    if "APIHandler" in resources:
        routed = route_functions() if routed is None else routed
        _add_route_functions(resources, routed)
    functions = {name: res for name, res in resources.items() if res["Type"] == FUNCTION}

    # Secrets are never in the template or config: functions get the SSM parameter *names*
    # (SecureString, created by the operator under /<stack name>/) and read them at first use.
    secrets: dict[str, str] = meta.get("Halles::Secrets", {})
    environment = {**environment, **{f"{var}_PARAM": {"Fn::Sub": f"/${{AWS::StackName}}/{param}"}
                                     for var, param in secrets.items()}}
    consumed_queues: dict[str, set[str]] = {}
    for name, fn in functions.items():
        consumed_queues[name] = _bind_sqs_events(name, fn, bindings, resources)
        _inject_environment(name, fn, environment)
    as_http_api(sam)
    if "APIHandler" in resources:
        _route_to_functions(resources.get(API), routed or {})
    _publish_behind_alias(functions, resources)
    _add_monitoring(sam, functions, monitoring if monitoring is not None else json.loads(MONITORING.read_text()))
    _grant_resources(functions, resources, infra, consumed_queues,
                     declared if declared is not None else declared_access())
    return sam


@dataclass
class RouteFunction:
    """A function of its own for some HTTP routes (chalicelib/entries): its handler and the routes it serves."""

    handler: str
    routes: set[tuple[str, str]]  # (path, METHOD), as the entry module's Chalice app registers them


ENTRY_ROUTES = """
import importlib, json, sys
app = importlib.import_module(sys.argv[1]).app
print(json.dumps(sorted([path, method] for path, methods in app.routes.items() for method in methods)))
"""


def route_functions(project_dir: Path = ROOT) -> dict[str, RouteFunction]:
    """chalicelib.entries.ROUTE_FUNCTIONS with the routes each entry module's app registers.

    Each is read from a fresh interpreter that imports only that entry, as Lambda does: Chalice pops a
    blueprint's route options when it first registers it, so in a process that had built app.py's app
    first, a second app would get Chalice's defaults (GET) for the same blueprint."""
    from chalicelib.entries import ROUTE_FUNCTIONS

    found = {}
    for name, module in ROUTE_FUNCTIONS.items():
        proc = subprocess.run([sys.executable, "-c", ENTRY_ROUTES, module], cwd=project_dir, capture_output=True,
                              text=True, env={k: v for k, v in os.environ.items() if not k.startswith("HALLES_")})
        if proc.returncode != 0:
            raise PackagingError(f"{name}: importing {module} failed:\n{proc.stderr[-2000:]}")
        routes = {(path, method) for path, method in json.loads(proc.stdout.strip().splitlines()[-1])}
        if not routes:
            raise PackagingError(f"{name}: {module}.app serves no route")
        found[name] = RouteFunction(handler=f"{module}.app", routes=routes)
    return found


def _add_route_functions(resources: dict, routed: dict[str, RouteFunction]) -> None:
    """A copy of Chalice's `APIHandler` (runtime, memory, timeout, environment, tags, role to copy from) per
    route function, with its entry's handler, and a copy of the API's permission to invoke it. Added before
    the rest of post-processing, so environment, SnapStart, alarms and its own role follow as for any function."""
    api = resources["APIHandler"]
    permission = next((logical for logical, res in resources.items() if res["Type"] == "AWS::Lambda::Permission"
                       and res["Properties"].get("Principal") == API_GATEWAY
                       and res["Properties"].get("FunctionName") == {"Ref": "APIHandler"}), None)
    if permission is None:
        raise PackagingError("no API Gateway permission to invoke APIHandler in Chalice's output")
    seen: dict[tuple[str, str], str] = {}
    for name, function in routed.items():
        if name in resources:
            raise PackagingError(f"route function {name} clashes with a resource of the template")
        for route in function.routes:
            if route in seen:
                raise PackagingError(f"{route[1]} {route[0]} is served by both {seen[route]} and {name}")
            seen[route] = name
        resources[name] = copy.deepcopy(api)
        resources[name]["Properties"]["Handler"] = function.handler
        invoke = copy.deepcopy(resources[permission])
        invoke["Properties"]["FunctionName"] = {"Ref": name}
        resources[f"{name}InvokePermission"] = invoke


def _route_to_functions(api: dict | None, routed: dict[str, RouteFunction]) -> None:
    """Point the HTTP API's integrations of each route function's routes at it (Chalice points them all at
    `APIHandler`); every other route and `$default` stay on `APIHandler`."""
    paths = api["Properties"]["DefinitionBody"]["paths"] if api else {}
    for name, function in routed.items():
        for path, method in sorted(function.routes):
            operation = paths.get(path, {}).get(method.lower())
            if operation is None:
                raise PackagingError(f"{name} serves {method} {path}, which app.py's API does not have")
            integration = operation["x-amazon-apigateway-integration"]
            text = integration["uri"].get("Fn::Sub") if isinstance(integration["uri"], dict) else None
            if not isinstance(text, str) or "${APIHandler.Arn}" not in text:
                raise PackagingError(f"{method} {path}: unexpected integration URI {integration['uri']!r}")
            # A new value: `$default` may share the first route's URI object (as_http_api).
            integration["uri"] = {"Fn::Sub": text.replace("${APIHandler.Arn}", f"${{{name}.Arn}}")}


def _bind_sqs_events(name: str, fn: dict, bindings: dict[str, str], resources: dict) -> set[str]:
    consumed = set()
    for event_name, event in (fn["Properties"].get("Events") or {}).items():
        if event.get("Type") != "SQS":
            continue
        props = event["Properties"]
        props["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
        queue = props["Queue"]
        if isinstance(queue, dict) and "Fn::Sub" in queue and isinstance(queue["Fn::Sub"], str):
            match = _CHALICE_QUEUE_ARN.match(queue["Fn::Sub"])
            queue_name = match.group("name") if match else None
            logical = bindings.get(queue_name or "")
            if logical is None:
                raise PackagingError(
                    f"{name}.{event_name} consumes queue {queue_name!r}, which has no entry in "
                    "infra/template.json Metadata.\"Halles::QueueBindings\""
                )
            if resources.get(logical, {}).get("Type") != "AWS::SQS::Queue":
                raise PackagingError(f"Halles::QueueBindings maps {queue_name!r} to {logical!r}, which is not a queue")
            props["Queue"] = {"Fn::GetAtt": [logical, "Arn"]}
            consumed.add(logical)
    return consumed


def _inject_environment(name: str, fn: dict, environment: dict[str, Any]) -> None:
    variables = fn["Properties"].setdefault("Environment", {}).setdefault("Variables", {})
    clashes = sorted(k for k, v in environment.items() if k in variables and variables[k] != v)
    if clashes:
        raise PackagingError(f"{name}: .chalice/config.json and Halles::Environment both set {', '.join(clashes)}")
    variables.update(environment)


def as_http_api(sam: dict) -> None:
    """Chalice's REST API (`RestAPI`, swagger 2.0) as an HTTP API (`HttpAPI`, OpenAPI 3.0) with the same routes.

    Why: API Gateway bills an HTTP API 1.00 USD per million requests, a REST API 3.50 (the largest line
    of `python -m scripts.bench cost` after DynamoDB). What Halles uses exists there: a regional endpoint,
    custom domains, 10 MB payloads, Lambda proxy integrations with payload format 1.0 (the REST event
    shape, whose `requestContext.resourcePath` is the route template Chalice routes on), CORS. What it
    does not have, Halles does not use: API keys and usage plans (throttling and keys are in the app),
    request validation (pydantic), WAF, private endpoints, X-Ray. Gateway responses do not exist: the
    `$default` route hands any other request to the handler, which answers 404 in the error shape
    (chalicelib/gateway_responses.py). Every `RestAPI` reference (outputs, invoke permission) follows.
    """
    resources = sam["Resources"]
    rest = resources.pop("RestAPI", None)
    if rest is None:
        return
    body = rest["Properties"]["DefinitionBody"]
    paths: dict[str, dict] = {}
    cors: dict[str, str] = {}
    methods: set[str] = set()
    handler_uri = None
    for path, operations in body["paths"].items():
        for method, operation in operations.items():
            integration = operation.get("x-amazon-apigateway-integration") if isinstance(operation, dict) else None
            if integration is None:
                continue
            if integration.get("type") == "mock":  # Chalice's CORS preflight: API Gateway answers it here
                cors = cors or integration["responses"]["default"].get("responseParameters", {})
                continue
            if integration.get("type") != "aws_proxy":
                raise PackagingError(f"{method.upper()} {path}: an HTTP API has no {integration.get('type')!r} integration")
            handler_uri = handler_uri or integration["uri"]
            methods.add(method.upper())
            paths.setdefault(path, {})[method] = _http_operation(path, integration["uri"])
    if handler_uri is not None:
        paths["$default"] = {"x-amazon-apigateway-any-method": _http_operation("$default", handler_uri)}
    definition: dict[str, Any] = {"openapi": "3.0.1", "info": {"title": {"Ref": "AWS::StackName"}, "version": "1.0"},
                                  "paths": paths}
    if cors:
        definition["x-amazon-apigateway-cors"] = _cors_configuration(cors, methods)
    resources[API] = {"Type": HTTP_API, "Properties": {"StageName": rest["Properties"]["StageName"],
                                                       "DefinitionBody": definition}}
    _rename_api(resources)
    outputs = sam.get("Outputs", {})
    _rename_api(outputs)
    if "RestAPIId" in outputs:
        outputs["ApiId"] = outputs.pop("RestAPIId")


def _http_operation(path: str, uri: Any) -> dict:
    parameters = [{"name": name.rstrip("+"), "in": "path", "required": True, "schema": {"type": "string"}}
                  for name in re.findall(r"\{([^}]+)\}", path)]
    operation: dict[str, Any] = {"x-amazon-apigateway-integration": {
        "type": "aws_proxy", "httpMethod": "POST", "uri": uri, "payloadFormatVersion": "1.0"}}
    if parameters:
        operation["parameters"] = parameters
    return operation


def _cors_configuration(parameters: dict[str, str], methods: set[str]) -> dict:
    """Chalice's preflight answer (`method.response.header.<name>`: `'<value>'`) as an HTTP API's CORS settings."""
    def header(name: str) -> str:
        return parameters.get(f"method.response.header.{name}", "''").strip("'")

    def listed(name: str) -> list[str]:
        return [v.strip() for v in header(name).split(",") if v.strip()]

    configuration: dict[str, Any] = {"allowOrigins": listed("Access-Control-Allow-Origin"),
                                     "allowHeaders": listed("Access-Control-Allow-Headers"),
                                     "exposeHeaders": listed("Access-Control-Expose-Headers"),
                                     "allowMethods": sorted(methods | {"OPTIONS"})}
    if header("Access-Control-Max-Age"):
        configuration["maxAge"] = int(header("Access-Control-Max-Age"))
    return {k: v for k, v in configuration.items() if v}


def _rename_api(value: Any) -> None:
    """Point Chalice's `RestAPI` references (Ref, `${RestAPI}` in Fn::Sub) at the HTTP API, in place (the
    caller keeps references to the resources' dicts)."""
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, item in list(items):
        if isinstance(item, dict) and item.get("Ref") == "RestAPI":
            value[key] = {"Ref": API}
        elif isinstance(item, str) and "${RestAPI" in item:
            value[key] = item.replace("${RestAPI}", "${" + API + "}").replace("${RestAPI.", "${" + API + ".")
        else:
            _rename_api(item)


def _publish_behind_alias(functions: dict, resources: dict) -> None:
    """SnapStart on published versions, every invoker on the `live` alias (module docstring, "SnapStart")."""
    for name, fn in functions.items():
        props = fn["Properties"]
        runtime = props.get("Runtime", "")
        if not SNAPSTART_RUNTIMES.match(runtime):
            raise PackagingError(f"{name} runs {runtime or 'no runtime'}: SnapStart needs python3.12 or newer "
                                 "(package with Python 3.12, see README 'SnapStart')")
        props["SnapStart"] = dict(SNAPSTART)
        props["AutoPublishAlias"] = LIVE_ALIAS
        props["AutoPublishAliasAllProperties"] = True
    for res in resources.values():
        if res["Type"] in (REST_API, HTTP_API):
            res["Properties"]["DefinitionBody"] = _integrations_on_alias(res["Properties"]["DefinitionBody"], functions)
        elif res["Type"] == "AWS::Lambda::Permission" and res["Properties"].get("Principal") == API_GATEWAY:
            name = _unqualified_function(res["Properties"].get("FunctionName"), functions)
            if name:  # Chalice's permission for the API to call its handler: on the alias the API now calls
                res["Properties"]["FunctionName"] = {"Ref": f"{name}.Alias"}
    invokers = latest_invokers(resources, functions)
    if invokers:
        raise PackagingError("these invoke a function's unpublished $LATEST, which SnapStart never snapshots; make "
                             "them target its alias ({\"Ref\": \"<Function>.Alias\"}) or declare the event on the "
                             "function:\n  " + "\n  ".join(invokers))


def _integrations_on_alias(body: Any, functions: dict) -> Any:
    """The API definition with Chalice's integration URIs (`Fn::Sub` of `${<Function>.Arn}`) on the alias's ARN.

    The alias goes in through a `Fn::Sub` variable (`{"Ref": "<Function>.Alias"}`, which SAM resolves anywhere in
    the template): cfn-lint reads a `${<Function>.Alias}` inside the string as an unknown attribute."""
    if isinstance(body, list):
        return [_integrations_on_alias(v, functions) for v in body]
    if not isinstance(body, dict):
        return body
    sub = body.get("Fn::Sub")
    if len(body) == 1 and isinstance(sub, str):
        targets = [name for name in functions if f"${{{name}.Arn}}" in sub]
        if targets:
            for name in targets:
                sub = sub.replace(f"${{{name}.Arn}}", f"${{{name}LiveAlias}}")
            return {"Fn::Sub": [sub, {f"{name}LiveAlias": {"Ref": f"{name}.Alias"} for name in targets}]}
    return {k: _integrations_on_alias(v, functions) for k, v in body.items()}


def _unqualified_function(value: Any, functions: dict) -> str | None:
    """The function a `Ref`/`Fn::GetAtt .Arn`/`Fn::Sub` value names without a qualifier (alias or version)."""
    if isinstance(value, dict):
        if value.get("Ref") in functions:
            return value["Ref"]
        getatt = value.get("Fn::GetAtt")
        if isinstance(getatt, list) and getatt[:1] and getatt[0] in functions:
            return getatt[0]
        sub = value.get("Fn::Sub")
        text = sub[0] if isinstance(sub, list) and sub else sub
        if isinstance(text, str):
            return next((name for name in functions if f"${{{name}.Arn}}" in text or f"${{{name}}}" in text), None)
    return None


# Where a resource names the function it invokes.
_INVOKER_FIELDS = {
    "AWS::Lambda::Permission": ("FunctionName",),
    "AWS::Lambda::EventSourceMapping": ("FunctionName",),
    "AWS::Lambda::EventInvokeConfig": ("FunctionName",),
    "AWS::Lambda::Url": ("TargetFunctionArn",),
    "AWS::Scheduler::Schedule": ("Target",),
    "AWS::Events::Rule": ("Targets",),
    "AWS::SNS::Subscription": ("Endpoint",),
}


def latest_invokers(resources: dict, functions: dict) -> list[str]:
    """Every resource that would invoke a function's $LATEST rather than its alias ("<resource>: <function>").

    Alarms and dashboards name functions too (by name: CloudWatch's FunctionName dimension aggregates every
    version and alias), so only invoking resources and the API definition are looked at."""
    found = []
    for logical, res in resources.items():
        props = res.get("Properties") or {}
        if res["Type"] in (REST_API, HTTP_API):
            text = json.dumps(props.get("DefinitionBody", {}))
            found += [f"{logical}: {name}" for name in functions if f"${{{name}.Arn}}" in text]
            continue
        for key in _INVOKER_FIELDS.get(res["Type"], ()):
            values = props.get(key)
            values = values if isinstance(values, list) else [values]
            for value in values:
                target = value.get("Arn") if isinstance(value, dict) and "Arn" in value else value
                name = _unqualified_function(target, functions)
                if name:
                    found.append(f"{logical}.{key}: {name}")
    return found


def function_alarm_name(function: str, metric: str) -> str:
    return f"{function}{metric}Alarm"


def _add_monitoring(sam: dict, functions: dict, monitoring: dict) -> None:
    """Merge infra/monitoring.json (topic, alarms, dashboard), then an Errors and a Throttles alarm per function.

    Kept out of infra/template.json because the local stack deploys that one (moto has no alarms to raise);
    the per-function alarms are made here so a function added to the app is watched without anyone
    remembering to. They watch the FunctionName dimension, not the alias: CloudWatch reports every
    invocation under the function's name whatever version or alias ran it, so the alarm keeps its metric
    across deploys (a `Resource: <function>:live` dimension would too, but would miss a version invoked
    directly during a rollback or a test, and each version's own `ExecutedVersion` changes every deploy)."""
    for section in ("Parameters", "Resources", "Outputs"):
        clashes = sorted(set(monitoring.get(section, {})) & set(sam.get(section, {})))
        if clashes:
            raise PackagingError(f"infra/monitoring.json redefines {section} {', '.join(clashes)}")
        if monitoring.get(section):
            sam.setdefault(section, {}).update(copy.deepcopy(monitoring[section]))
    resources = sam["Resources"]
    topic = [{"Ref": "AlertsTopic"}]
    added = []
    for name in sorted(functions):
        for metric, description in FUNCTION_ALARMS.items():
            logical = function_alarm_name(name, metric)
            resources[logical] = {"Type": ALARM, "Properties": {
                "AlarmDescription": description.format(fn=name) + " See README 'Alarms'.",
                "Namespace": "AWS/Lambda", "MetricName": metric,
                "Dimensions": [{"Name": "FunctionName", "Value": {"Ref": name}}],
                "Statistic": "Sum", "Period": 300, "EvaluationPeriods": 1, "Threshold": 0,
                "ComparisonOperator": "GreaterThanThreshold", "TreatMissingData": "notBreaching",
                "AlarmActions": topic, "OKActions": topic}}
            added.append(logical)
    for dashboard in (res for res in resources.values() if res["Type"] == DASHBOARD):
        body = json.loads(dashboard["Properties"]["DashboardBody"]["Fn::Sub"])
        for widget in body["widgets"]:
            if widget["type"] == "alarm":
                widget["properties"]["alarms"] += [f"${{{logical}.Arn}}" for logical in added]
        dashboard["Properties"]["DashboardBody"]["Fn::Sub"] = json.dumps(body)


def resource_statements(access: Access, consumed_queues: set[str]) -> list[dict]:
    """Least-privilege IAM statements for what one function uses (see scripts/function_access.py)."""
    statements = []
    if access.tables:
        arns: list[Any] = []
        for table in sorted(access.tables):
            arns += [{"Fn::GetAtt": [table, "Arn"]}, {"Fn::Sub": f"${{{table}.Arn}}/index/*"}]
        statements.append({"Sid": "Tables", "Effect": "Allow", "Action": TABLE_ACTIONS, "Resource": arns})
    if access.publishes:
        statements.append({"Sid": "PublishEvents", "Effect": "Allow", "Action": QUEUE_SEND_ACTIONS,
                           "Resource": [{"Fn::GetAtt": [q, "Arn"]} for q in sorted(access.publishes)]})
    if consumed_queues:
        statements.append({"Sid": "ConsumeEvents", "Effect": "Allow", "Action": QUEUE_CONSUME_ACTIONS,
                           "Resource": [{"Fn::GetAtt": [q, "Arn"]} for q in sorted(consumed_queues)]})
    if access.users:
        statements.append({"Sid": "Users", "Effect": "Allow", "Action": sorted(access.user_actions),
                           "Resource": [{"Fn::GetAtt": [p, "Arn"]} for p in sorted(access.users)]})
    if access.secrets:  # SecureStrings under /<stack name>/; decrypted with the account's default SSM key
        statements.append({"Sid": "ReadSecrets", "Effect": "Allow", "Action": ["ssm:GetParameter"], "Resource": [
            {"Fn::Sub": f"arn:${{AWS::Partition}}:ssm:${{AWS::Region}}:${{AWS::AccountId}}:parameter/${{AWS::StackName}}/{p}"}
            for p in sorted(access.secrets)
        ]})
    if access.images:  # product images: presigned POSTs and GETs are signed with the function's own rights
        statements.append({"Sid": "Images", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject"],
                           "Resource": [{"Fn::Sub": f"${{{b}.Arn}}/vendors/*"} for b in sorted(access.images)]})
    if access.mail:
        statements.append({"Sid": "SendMail", "Effect": "Allow", "Action": MAIL_ACTIONS, "Resource": [
            {"Fn::Sub": f"arn:${{AWS::Partition}}:ses:${{AWS::Region}}:${{AWS::AccountId}}:identity/${{{i}}}"}
            for i in sorted(access.mail)
        ]})
    return statements


def function_role_name(function: str) -> str:
    return f"{function}Role"


def check_access(functions: dict, infra: dict, declared: dict[str, Access]) -> None:
    """infra/function_access.json must name every function, and each entry must match what its code uses."""
    problems = [f"{name}: no entry in infra/function_access.json" for name in sorted(set(functions) - set(declared))]
    problems += [f"{name}: in infra/function_access.json but not a function of the template"
                 for name in sorted(set(declared) - set(functions))]
    for name in sorted(set(functions) & set(declared)):
        derived = derive_access(functions[name]["Properties"]["Handler"], infra)
        secrets = {s for s in declared[name].secrets if s not in infra.get("Metadata", {}).get("Halles::Secrets", {})}
        problems += [f"{name}: grants secret {s}, missing from Halles::Secrets" for s in sorted(secrets)]
        problems += [f"{name}: {problem}" for problem in differences(declared[name], derived)]
    if problems:
        raise PackagingError("function access does not match the code (see scripts/function_access.py):\n  "
                             + "\n  ".join(problems))


def _grant_resources(functions: dict, resources: dict, infra: dict, consumed: dict[str, set[str]],
                     declared: dict[str, Access]) -> None:
    """Give every function a role of its own: CloudWatch Logs plus exactly what its entry grants.

    Chalice emits one shared role (`DefaultRole`); it is the template each function's role is copied from
    (trust policy, log statement) and is removed once no function uses it."""
    check_access(functions, infra, declared)
    secrets: dict[str, str] = infra.get("Metadata", {}).get("Halles::Secrets", {})
    shared = set()
    for name, fn in functions.items():
        role = fn["Properties"].get("Role")
        if not (isinstance(role, dict) and "Fn::GetAtt" in role):
            raise PackagingError(f"{name}: expected a Chalice-managed role (Fn::GetAtt), got {role!r}")
        template_role = resources[role["Fn::GetAtt"][0]]
        if template_role["Type"] != ROLE:
            raise PackagingError(f"{role['Fn::GetAtt'][0]} is not an IAM role")
        shared.add(role["Fn::GetAtt"][0])
        own = copy.deepcopy(template_role)
        policies = own["Properties"].setdefault("Policies", [])
        policies[:] = [p for p in policies if p.get("PolicyName") != POLICY_NAME]
        for policy in policies:
            _keep_only_log_statements(name, policy["PolicyDocument"])
        access = copy.deepcopy(declared[name])
        access.secrets = {secrets[s] for s in access.secrets}  # env var name -> parameter name
        policies.append({"PolicyName": POLICY_NAME, "PolicyDocument": {
            "Version": "2012-10-17", "Statement": resource_statements(access, consumed.get(name, set()))}})
        resources[function_role_name(name)] = own
        fn["Properties"]["Role"] = {"Fn::GetAtt": [function_role_name(name), "Arn"]}
    for logical in shared - {function_role_name(name) for name in functions}:
        del resources[logical]


def _keep_only_log_statements(function: str, document: dict) -> None:
    """Chalice's autogenerated policy grants what it infers on `Resource: "*"` (e.g. SQS receive for every
    queue); the scoped statements above replace it. Only its CloudWatch Logs statement is kept."""
    kept = []
    for statement in document.get("Statement", []):
        actions = statement.get("Action", [])
        actions = [actions] if isinstance(actions, str) else actions
        if actions and all(a.startswith("logs:") for a in actions):
            kept.append(statement)
    document["Statement"] = kept


# ---------------------------------------------------------------- what the zip leaves out


def babel_locales_kept(locales=BABEL_LOCALES) -> set[str]:
    """The locales and every parent Babel loads with them (CLDR parent exceptions included)."""
    from babel.core import get_global

    parents = get_global("parent_exceptions")
    kept = set()
    for name in locales:
        while name and name not in kept:
            kept.add(name)
            name = "root" if name == "root" else parents.get(name) or (name.rsplit("_", 1)[0] if "_" in name else "root")
            if name in kept:
                break
    return kept


def _distribution_of(top_level: str) -> str:
    """`botocore-1.44.8.dist-info` -> `botocore`; `jmespath-1.1.0.data` -> `jmespath`; a package stays as it is."""
    if top_level.endswith((".dist-info", ".data", ".egg-info")):
        top_level = top_level.split("-", 1)[0]
    return top_level.lower().replace("-", "_")


def left_out(name: str, *, keep_aws_sdk: bool = False, babel_locales: set[str] | None = None) -> bool:
    """Whether the zip entry `name` is something the deployed function never loads."""
    parts = name.split("/")
    if not keep_aws_sdk and _distribution_of(parts[0]) in RUNTIME_PROVIDED:
        return True
    if name.endswith(".pyi") or any(part in ("tests", "test") for part in parts[1:-1]):
        return True
    if name.startswith("botocore/data/") and name.endswith("/examples-1.json"):  # documentation only
        return True
    if name.startswith("babel/locale-data/") and name.endswith(".dat"):
        locale = parts[-1][: -len(".dat")]
        return locale not in (babel_locales if babel_locales is not None else babel_locales_kept())
    return False


def prune_bundle(zip_path: Path, *, keep_aws_sdk: bool = False) -> tuple[int, int]:
    """Rewrite the zip without what `left_out` names; returns (entries removed, bytes saved on disk)."""
    locales = babel_locales_kept()
    before = zip_path.stat().st_size
    rewritten = zip_path.with_name(zip_path.name + ".tmp")
    removed = 0
    with zipfile.ZipFile(zip_path) as bundle, zipfile.ZipFile(rewritten, "w", compression=zipfile.ZIP_DEFLATED) as out:
        for entry in bundle.infolist():
            if left_out(entry.filename, keep_aws_sdk=keep_aws_sdk, babel_locales=locales):
                removed += 1
                continue
            out.writestr(entry, bundle.read(entry))
    os.replace(rewritten, zip_path)
    return removed, before - zip_path.stat().st_size


# ---------------------------------------------------------------- bytecode


def add_bytecode(zip_path: Path, runtime: str) -> int:
    """Compile every module of the bundle into it; returns the number of .pyc files added."""
    here = f"python{sys.version_info.major}.{sys.version_info.minor}"
    if runtime != here:
        raise PackagingError(f"the functions run {runtime} but packaging runs {here}: bytecode would not load")
    with tempfile.TemporaryDirectory(prefix="halles-bundle-") as tmp:
        root = Path(tmp)
        with zipfile.ZipFile(zip_path) as bundle:
            entries = bundle.infolist()
            bundle.extractall(root)
        compileall.compile_dir(root, quiet=2, workers=0,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
        known = {e.filename for e in entries}
        compiled = sorted(p.relative_to(root).as_posix() for p in root.rglob("*.pyc"))
        added = [name for name in compiled if name not in known]
        rewritten = zip_path.with_name(zip_path.name + ".tmp")
        with zipfile.ZipFile(rewritten, "w", compression=zipfile.ZIP_DEFLATED) as out:
            for entry in entries:  # original ZipInfo: keeps Chalice's permissions and fixed timestamps
                out.writestr(entry, b"" if entry.is_dir() else (root / entry.filename).read_bytes())
            for name in added:
                info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(info, (root / name).read_bytes())
        os.replace(rewritten, zip_path)
    return len(added)


# ---------------------------------------------------------------- lint


def lint(sam_path: Path) -> LintReport:
    proc = subprocess.run([_venv_tool("cfn-lint"), "--format", "json", str(sam_path)], capture_output=True, text=True)
    try:
        matches = json.loads(proc.stdout or "[]")
    except ValueError:
        raise PackagingError(f"cfn-lint failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}") from None
    report = LintReport()
    for m in matches:
        where = m.get("Location", {}).get("Path") or []
        line = f"{m['Rule']['Id']} {'/'.join(map(str, where))}: {m['Message']}"
        {"Error": report.errors, "Warning": report.warnings}.get(m.get("Level"), report.informational).append(line)
    if proc.returncode and not matches:
        raise PackagingError(f"cfn-lint failed ({proc.returncode}):\n{proc.stderr}")
    return report


# ---------------------------------------------------------------- entry points


def package(stage: str = "prod", out_dir: Path | None = None, project_dir: Path = ROOT,
            template: Path | None = None, *, keep_aws_sdk: bool = False) -> PackageResult:
    out_dir = Path(out_dir or project_dir / "build" / stage).resolve()
    template = Path(template or project_dir / "infra" / "template.json").resolve()
    run_chalice_package(Path(project_dir).resolve(), stage, out_dir, template)
    sam_path = out_dir / "sam.json"
    sam = post_process(json.loads(sam_path.read_text()), json.loads(template.read_text()))
    try:
        add_frontend(sam)  # the storefront's bucket and CloudFront distribution (scripts/frontend_template.py)
    except FrontendTemplateError as exc:
        raise PackagingError(str(exc)) from None
    sam_path.write_text(json.dumps(sam, indent=2) + "\n")
    runtimes = {res["Properties"]["Runtime"] for res in sam["Resources"].values() if res["Type"] == FUNCTION}
    if len(runtimes) != 1:
        raise PackagingError(f"expected one Python runtime for all functions, got {sorted(runtimes)}")
    prune_bundle(out_dir / "deployment.zip", keep_aws_sdk=keep_aws_sdk)
    add_bytecode(out_dir / "deployment.zip", runtimes.pop())
    return PackageResult(out_dir=out_dir, sam=sam, lint=lint(sam_path))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.package", description=__doc__.split("\n")[0])
    parser.add_argument("--stage", default="prod", help="Chalice stage (default: prod)")
    parser.add_argument("--out", type=Path, help="output directory (default: build/<stage>)")
    parser.add_argument("--bundle-aws-sdk", action="store_true",
                        help="keep botocore/jmespath in the zip (pinned) instead of the Lambda runtime's")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    try:
        result = package(args.stage, args.out, keep_aws_sdk=args.bundle_aws_sdk)
    except PackagingError as exc:
        print(f"package: {exc}", file=sys.stderr)
        return 1
    for line in result.lint.warnings:
        print(f"cfn-lint warning: {line}")
    for line in result.lint.errors:
        print(f"cfn-lint ERROR: {line}", file=sys.stderr)
    functions = [n for n, r in result.sam["Resources"].items() if r["Type"] == FUNCTION]
    size_mb = (result.out_dir / "deployment.zip").stat().st_size / 1e6
    print(f"{result.out_dir / 'deployment.zip'}: {size_mb:.1f} MB")
    print(f"{result.sam_path}: {len(functions)} function(s) ({', '.join(functions)}), "
          f"cfn-lint: {len(result.lint.errors)} error(s), {len(result.lint.warnings)} warning(s)")
    return 1 if result.lint.errors else 0


if __name__ == "__main__":
    sys.exit(main())
