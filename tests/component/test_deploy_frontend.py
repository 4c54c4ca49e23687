"""`make deploy-frontend` (scripts/deploy_frontend.py) against moto's S3, CloudFront and CloudFormation:
the site lands in the stack's bucket with the API's URL in config.js, each file with its content type and
the cache rule that keeps a deploy visible at once (entry points revalidated, hashed assets cached a year),
and CloudFront is told to drop its copies of the entry points."""

from __future__ import annotations

import json
import uuid

import boto3
import pytest
from moto import mock_aws

from scripts.deploy_frontend import INVALIDATED, DeployError, build_site, deploy

NO_CACHE = "no-cache"
HASHED_CACHE = "public, max-age=31536000, immutable"

REGION = "eu-west-1"
API_URL = "https://abc123.execute-api.eu-west-1.amazonaws.com/api/"


@pytest.fixture
def aws(monkeypatch):
    for name in ("AWS_PROFILE", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        yield boto3.Session(region_name=REGION)


def a_stack(session, outputs: dict[str, str] | None = None) -> dict[str, str]:
    """A deployed stack with the outputs the packaged template gives (its bucket and distribution real in moto)."""
    bucket = f"halles-frontend-{uuid.uuid4().hex[:8]}"
    session.client("s3").create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    distribution = session.client("cloudfront").create_distribution(DistributionConfig={
        "CallerReference": uuid.uuid4().hex, "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "site", "DomainName": f"{bucket}.s3.{REGION}.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "site", "ViewerProtocolPolicy": "redirect-to-https",
                                 "MinTTL": 0, "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
                                 "TrustedSigners": {"Enabled": False, "Quantity": 0}},
    })["Distribution"]
    values = outputs if outputs is not None else {"ApiUrl": API_URL, "FrontendBucket": bucket,
                                                  "DistributionId": distribution["Id"],
                                                  "FrontendURL": f"https://{distribution['DomainName']}"}
    template = {"Resources": {"Placeholder": {"Type": "AWS::SNS::Topic"}},
                "Outputs": {key: {"Value": value} for key, value in values.items()}}
    session.client("cloudformation").create_stack(StackName="halles-test", TemplateBody=json.dumps(template))
    return {**values, "bucket": bucket, "distribution": distribution["Id"]}


@pytest.fixture
def site(tmp_path):
    """A built site as scripts/build_frontend writes it: hashed assets, precompressed copies, entry points."""
    root = tmp_path / "site"
    (root / "js").mkdir(parents=True)
    (root / "img").mkdir()
    (root / "index.html").write_text('<!doctype html><script src="/config.js"></script>'
                                     '<script type="module" src="app.3f9a1c2b7d.js"></script>')
    (root / "config.js").write_text("window.HALLES_CONFIG = {apiBase: \"https://abc123.execute-api.eu-west-1.amazonaws.com/api\"};\n")
    (root / "app.3f9a1c2b7d.js").write_text("console.log('app');")
    (root / "app.3f9a1c2b7d.js.gz").write_bytes(b"\x1f\x8b")
    (root / "styles.0a1b2c3d4e.css").write_text("body{}")
    (root / "js" / "catalogue.77aa88bb99.js").write_text("export {};")
    (root / "img" / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    return root


def _object(s3, bucket: str, key: str) -> dict:
    return s3.get_object(Bucket=bucket, Key=key)


def test_the_site_lands_in_the_stacks_bucket_with_cache_rules_and_content_types(aws, site):
    stack = a_stack(aws)
    outputs, written, _ = deploy("halles-test", aws, site, build=False)
    assert outputs.bucket == stack["bucket"] and outputs.api_url == API_URL
    s3 = aws.client("s3")
    stored = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=stack["bucket"])["Contents"])
    assert stored == ["app.3f9a1c2b7d.js", "config.js", "img/favicon.svg", "index.html", "js/catalogue.77aa88bb99.js",
                      "styles.0a1b2c3d4e.css"], "precompressed copies are CloudFront's job, not uploaded"
    expected = {
        "index.html": (NO_CACHE, "text/html; charset=utf-8"),
        "config.js": (NO_CACHE, "text/javascript; charset=utf-8"),
        "app.3f9a1c2b7d.js": (HASHED_CACHE, "text/javascript; charset=utf-8"),
        "js/catalogue.77aa88bb99.js": (HASHED_CACHE, "text/javascript; charset=utf-8"),
        "styles.0a1b2c3d4e.css": (HASHED_CACHE, "text/css; charset=utf-8"),
        "img/favicon.svg": (NO_CACHE, "image/svg+xml"),  # not hashed: its name stays when it changes
    }
    for key, (cache, content_type) in expected.items():
        answer = _object(s3, stack["bucket"], key)
        assert (answer["CacheControl"], answer["ContentType"]) == (cache, content_type), key
    assert written[-2:] == ["config.js", "index.html"], "the entry points go last: they name the assets"


def test_the_entry_points_are_invalidated_in_the_stacks_distribution(aws, site):
    stack = a_stack(aws)
    _, _, invalidation_id = deploy("halles-test", aws, site, build=False)
    cloudfront = aws.client("cloudfront")
    invalidation = cloudfront.get_invalidation(DistributionId=stack["distribution"], Id=invalidation_id)["Invalidation"]
    assert sorted(invalidation["InvalidationBatch"]["Paths"]["Items"]) == sorted(INVALIDATED)
    assert {"/index.html", "/config.js", "/"} <= set(INVALIDATED)


def test_the_site_is_built_with_the_stacks_api_url_and_hashed_names(aws, tmp_path):
    stack = a_stack(aws)
    deploy("halles-test", aws, tmp_path / "built")
    s3 = aws.client("s3")
    body = _object(s3, stack["bucket"], "config.js")["Body"].read().decode()
    assert body == 'window.HALLES_CONFIG = {apiBase: "https://abc123.execute-api.eu-west-1.amazonaws.com/api"};\n'
    index = _object(s3, stack["bucket"], "index.html")
    assert index["CacheControl"] == NO_CACHE
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=stack["bucket"])["Contents"]]
    [app] = [key for key in keys if key.startswith("app.") and key.endswith(".js")]
    assert app.encode() in index["Body"].read(), "index.html names the uploaded, hashed app module"
    assert _object(s3, stack["bucket"], app)["CacheControl"] == HASHED_CACHE


def test_a_stack_without_the_frontend_outputs_is_refused_by_name(aws, site):
    a_stack(aws, outputs={"ApiUrl": API_URL})
    with pytest.raises(DeployError, match="FrontendBucket, DistributionId"):
        deploy("halles-test", aws, site, build=False)


def test_an_unknown_stack_is_refused_by_name(aws, site):
    with pytest.raises(DeployError, match="no-such-stack"):
        deploy("no-such-stack", aws, site, build=False)


def test_a_site_without_index_html_is_refused_before_anything_is_uploaded(aws, tmp_path):
    stack = a_stack(aws)
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "app.js").write_text("")
    with pytest.raises(DeployError, match="index.html"):
        deploy("halles-test", aws, tmp_path / "empty", build=False)
    assert "Contents" not in aws.client("s3").list_objects_v2(Bucket=stack["bucket"])


def test_an_api_url_that_is_not_https_is_refused(tmp_path):
    with pytest.raises(DeployError, match="https"):
        build_site("http://abc123.execute-api.eu-west-1.amazonaws.com/api/", tmp_path / "site")
    assert not (tmp_path / "site").exists()
