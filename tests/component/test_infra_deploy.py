"""The local stack deploys infra/template.json, provisions what moto's CloudFormation skips, and says so loudly otherwise."""

import copy
import json

import boto3
import pytest
from moto import mock_aws

from devstack.infra import DeployError, deploy, load_template
from tests.fixtures.aws import REGION


def test_what_cloudformation_skips_is_provisioned_from_the_same_properties(stack):
    template = load_template()
    dynamodb, sqs, cognito = (boto3.client(s, region_name=REGION) for s in ("dynamodb", "sqs", "cognito-idp"))

    for logical, res in template["Resources"].items():
        ttl = res["Properties"].get("TimeToLiveSpecification")
        if res["Type"] == "AWS::DynamoDB::Table" and ttl:
            described = dynamodb.describe_time_to_live(TableName=stack.physical[logical])["TimeToLiveDescription"]
            assert (described["TimeToLiveStatus"], described["AttributeName"]) == ("ENABLED", ttl["AttributeName"])

    pool_id = stack.environment["HALLES_USER_POOL_ID"]
    groups = {g["GroupName"] for g in cognito.list_groups(UserPoolId=pool_id)["Groups"]}
    assert groups == {"shoppers", "vendors", "admins"}
    client = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=stack.environment["HALLES_USER_POOL_CLIENT_ID"])
    assert "ALLOW_USER_PASSWORD_AUTH" in client["UserPoolClient"]["ExplicitAuthFlows"]
    assert boto3.client("sesv2", region_name=REGION).get_email_identity(EmailIdentity="no-reply@halles.local")

    for name, url in stack.queues.items():
        redrive = json.loads(sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["RedrivePolicy"])
                             ["Attributes"]["RedrivePolicy"])
        assert int(redrive["maxReceiveCount"]) == 5, name
        assert redrive["deadLetterTargetArn"].endswith(f"-{name}-dlq")


def test_a_resource_type_the_local_stack_cannot_create_fails_the_deploy_by_name(aws_env):
    template = copy.deepcopy(load_template())
    template["Resources"]["Topic"] = {"Type": "AWS::SNS::Topic", "Properties": {}}

    with mock_aws(), pytest.raises(DeployError) as err:
        deploy(boto3.Session(region_name=REGION), "halles-broken", template)

    assert "AWS::SNS::Topic" in str(err.value)
