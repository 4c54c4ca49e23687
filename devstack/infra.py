"""Deploy `infra/template.json` into an AWS-compatible endpoint (moto's server or `mock_aws`).

The template is the one definition of tables, queues, the user pool and the mail identity.
moto's CloudFormation (5.2.x) creates tables, GSIs, streams, queues and redrive policies, but
silently skips `AWS::Cognito::*` and `AWS::SES::EmailIdentity` and ignores
`TimeToLiveSpecification`. So after the stack is created we provision what it left out from
the *same* resource properties through the service APIs, then check every resource with a
describe call, and fail loudly on a resource type we can neither deploy nor provision.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_PATH = ROOT / "infra" / "template.json"

PROVISIONED_BY_API = {
    "AWS::Cognito::UserPool",
    "AWS::Cognito::UserPoolClient",
    "AWS::Cognito::UserPoolGroup",
    "AWS::SES::EmailIdentity",
}
DEPLOYED_BY_CLOUDFORMATION = {"AWS::DynamoDB::Table", "AWS::SQS::Queue", "AWS::S3::Bucket"}


class DeployError(RuntimeError):
    pass


def load_template(path: Path = TEMPLATE_PATH) -> dict:
    return json.loads(path.read_text())


@dataclass
class Deployment:
    stack_name: str
    physical: dict[str, str] = field(default_factory=dict)  # logical id -> physical id (Ref value)
    arns: dict[str, str] = field(default_factory=dict)
    environment: dict[str, str] = field(default_factory=dict)
    queues: dict[str, str] = field(default_factory=dict)  # chalice queue name -> queue URL



class _Resolver:
    """Resolves the intrinsic functions the template uses, against what was deployed."""

    def __init__(self, stack_name: str, region: str, deployment: Deployment):
        self.stack_name = stack_name
        self.region = region
        self.deployment = deployment

    def __call__(self, value: Any) -> Any:
        if isinstance(value, dict) and len(value) == 1:
            (fn, arg), = value.items()
            if fn == "Ref":
                return self.ref(arg)
            if fn == "Fn::Sub":
                return re.sub(r"\$\{([^}]+)\}", lambda m: self._sub(m.group(1)), arg)
            if fn == "Fn::GetAtt":
                logical, attr = arg
                if attr == "Arn" and logical in self.deployment.arns:
                    return self.deployment.arns[logical]
                raise DeployError(f"cannot resolve Fn::GetAtt {logical}.{attr}")
        if isinstance(value, dict):
            return {k: self(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self(v) for v in value]
        return value

    def _sub(self, name: str) -> str:
        if name == "AWS::StackName":
            return self.stack_name
        if name == "AWS::Region":
            return self.region
        if name == "AWS::AccountId":
            return "123456789012"
        return self.ref(name)

    def ref(self, logical: str) -> str:
        if logical == "AWS::StackName":
            return self.stack_name
        if logical not in self.deployment.physical:
            raise DeployError(f"cannot resolve Ref {logical}: not deployed")
        return self.deployment.physical[logical]


def deploy(session, stack_name: str, template: dict | None = None) -> Deployment:
    """Create the stack, provision what moto's CloudFormation skips, verify everything."""
    template = template or load_template()
    resources: dict[str, dict] = template["Resources"]
    unknown = sorted(
        {r["Type"] for r in resources.values()} - PROVISIONED_BY_API - DEPLOYED_BY_CLOUDFORMATION
    )
    if unknown:
        raise DeployError(f"the local stack can neither deploy nor provision: {', '.join(unknown)}")

    region = session.region_name
    cfn = session.client("cloudformation")
    cfn.create_stack(StackName=stack_name, TemplateBody=json.dumps(template))
    deployment = Deployment(stack_name=stack_name)
    for res in cfn.describe_stack_resources(StackName=stack_name)["StackResources"]:
        if res.get("PhysicalResourceId") and res.get("ResourceStatus") == "CREATE_COMPLETE":
            deployment.physical[res["LogicalResourceId"]] = res["PhysicalResourceId"]
    resolve = _Resolver(stack_name, region, deployment)

    # CloudFormation's own resources: check them, add what moto ignored (TTL).
    dynamodb = session.client("dynamodb")
    sqs = session.client("sqs")
    for logical, res in resources.items():
        if res["Type"] not in DEPLOYED_BY_CLOUDFORMATION:
            continue
        if logical not in deployment.physical:
            raise DeployError(f"{logical} ({res['Type']}) was not created by CloudFormation")
        if res["Type"] == "AWS::DynamoDB::Table":
            table = _verify_table(dynamodb, deployment.physical[logical], resolve(res["Properties"]))
            deployment.arns[logical] = table["TableArn"]
        elif res["Type"] == "AWS::S3::Bucket":
            _verify_bucket(session.client("s3"), deployment.physical[logical], resolve(res["Properties"]))
            deployment.arns[logical] = f"arn:aws:s3:::{deployment.physical[logical]}"
        else:
            url = deployment.physical[logical]
            attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
            deployment.arns[logical] = attrs["QueueArn"]
    for logical, res in resources.items():
        if res["Type"] == "AWS::SQS::Queue" and "RedrivePolicy" in res["Properties"]:
            _verify_redrive(sqs, deployment.physical[logical], resolve(res["Properties"]["RedrivePolicy"]))

    # What moto's CloudFormation skipped, provisioned from the same properties (dependency order).
    cognito = session.client("cognito-idp")
    for kind in ("AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolGroup",
                 "AWS::SES::EmailIdentity"):
        for logical, res in resources.items():
            if res["Type"] != kind:
                continue
            if logical in deployment.physical:  # a CloudFormation that did deploy it
                continue
            props = resolve(res["Properties"])
            deployment.physical[logical] = _PROVISIONERS[kind](session, cognito, props)

    meta = template.get("Metadata", {})
    deployment.environment = {k: str(resolve(v)) for k, v in meta.get("Halles::Environment", {}).items()}
    deployment.queues = {name: deployment.physical[logical] for name, logical in meta.get("Halles::QueueBindings", {}).items()}
    return deployment


def _verify_table(dynamodb, name: str, props: dict) -> dict:
    """Check the table against its template properties; returns its description."""
    table = dynamodb.describe_table(TableName=name)["Table"]
    want_keys = {(k["AttributeName"], k["KeyType"]) for k in props["KeySchema"]}
    got_keys = {(k["AttributeName"], k["KeyType"]) for k in table["KeySchema"]}
    if want_keys != got_keys:
        raise DeployError(f"table {name}: key schema {got_keys} != {want_keys}")
    want_gsis = {g["IndexName"] for g in props.get("GlobalSecondaryIndexes", [])}
    got_gsis = {g["IndexName"] for g in table.get("GlobalSecondaryIndexes", [])}
    if want_gsis != got_gsis:
        raise DeployError(f"table {name}: indexes {sorted(got_gsis)} != {sorted(want_gsis)}")
    ttl = props.get("TimeToLiveSpecification")
    if ttl and ttl.get("Enabled"):
        current = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            dynamodb.update_time_to_live(
                TableName=name,
                TimeToLiveSpecification={"AttributeName": ttl["AttributeName"], "Enabled": True},
            )
            current = dynamodb.describe_time_to_live(TableName=name)["TimeToLiveDescription"]
        if current.get("AttributeName") != ttl["AttributeName"] or current.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
            raise DeployError(f"table {name}: TTL on {ttl['AttributeName']} is not enabled")
    if props.get("StreamSpecification"):
        spec = table.get("StreamSpecification") or {}
        if not spec.get("StreamEnabled"):
            raise DeployError(f"table {name}: stream is not enabled")
    return table


def _verify_bucket(s3, name: str, props: dict) -> None:
    """The bucket exists; its CORS rules (the browser uploads straight to it) are applied if moto skipped them."""
    s3.head_bucket(Bucket=name)
    cors = props.get("CorsConfiguration")
    if not cors:
        return
    try:
        s3.get_bucket_cors(Bucket=name)
    except s3.exceptions.ClientError:
        s3.put_bucket_cors(Bucket=name, CORSConfiguration={"CORSRules": [
            {("MaxAgeSeconds" if k == "MaxAge" else k): v for k, v in rule.items()}  # CloudFormation's name
            for rule in cors["CorsRules"]]})
        s3.get_bucket_cors(Bucket=name)


def _verify_redrive(sqs, url: str, redrive: dict) -> None:
    attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])["Attributes"]
    got = json.loads(attrs.get("RedrivePolicy", "{}"))
    if got.get("deadLetterTargetArn") != redrive["deadLetterTargetArn"] or int(got.get("maxReceiveCount", 0)) != int(
        redrive["maxReceiveCount"]
    ):
        raise DeployError(f"queue {url}: redrive policy {got} != {redrive}")


def _provision_user_pool(session, cognito, props: dict) -> str:
    kwargs: dict[str, Any] = {"PoolName": props["UserPoolName"]}
    for key in ("Policies", "UsernameAttributes", "AutoVerifiedAttributes", "Schema"):
        if key in props:
            kwargs[key] = props[key]
    pool_id = cognito.create_user_pool(**kwargs)["UserPool"]["Id"]
    described = cognito.describe_user_pool(UserPoolId=pool_id)["UserPool"]
    if described.get("UsernameAttributes", []) != props.get("UsernameAttributes", []):
        raise DeployError("user pool: username attributes were not applied")
    return pool_id


def _provision_user_pool_client(session, cognito, props: dict) -> str:
    keys = (
        "ClientName", "GenerateSecret", "ExplicitAuthFlows", "PreventUserExistenceErrors",
        "AccessTokenValidity", "IdTokenValidity", "RefreshTokenValidity", "TokenValidityUnits",
    )
    kwargs = {k: props[k] for k in keys if k in props}
    client = cognito.create_user_pool_client(UserPoolId=props["UserPoolId"], **kwargs)["UserPoolClient"]
    described = cognito.describe_user_pool_client(UserPoolId=props["UserPoolId"], ClientId=client["ClientId"])
    if set(described["UserPoolClient"].get("ExplicitAuthFlows", [])) != set(props.get("ExplicitAuthFlows", [])):
        raise DeployError("user pool client: auth flows were not applied")
    return client["ClientId"]


def _provision_group(session, cognito, props: dict) -> str:
    cognito.create_group(UserPoolId=props["UserPoolId"], GroupName=props["GroupName"],
                         Description=props.get("Description", ""))
    cognito.get_group(UserPoolId=props["UserPoolId"], GroupName=props["GroupName"])
    return props["GroupName"]


def _provision_email_identity(session, cognito, props: dict) -> str:
    ses = session.client("sesv2")
    ses.create_email_identity(EmailIdentity=props["EmailIdentity"])
    ses.get_email_identity(EmailIdentity=props["EmailIdentity"])
    # moto's SES v1 send_email checks verification in its own (v1) backend.
    session.client("ses").verify_email_identity(EmailAddress=props["EmailIdentity"])
    return props["EmailIdentity"]


_PROVISIONERS = {
    "AWS::Cognito::UserPool": _provision_user_pool,
    "AWS::Cognito::UserPoolClient": _provision_user_pool_client,
    "AWS::Cognito::UserPoolGroup": _provision_group,
    "AWS::SES::EmailIdentity": _provision_email_identity,
}
