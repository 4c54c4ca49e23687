"""The frontend's part of the packaged template: a private S3 bucket served by CloudFront.

`add_frontend(sam)` (called by scripts/package.py) adds:
- FrontendBucket: private (every public-access block on, objects owned by the bucket owner, no ACLs),
  encrypted at rest (SSE-S3), TLS-only; `make deploy-frontend` (scripts/deploy_frontend.py) fills it;
- FrontendOriginAccessControl: CloudFront signs its requests to the bucket (SigV4, Origin Access
  Control: OAI is the legacy way) and the bucket policy lets only this distribution read
  (`AWS:SourceArn` condition), so the bucket never answers anyone directly;
- FrontendHeadersPolicy: a Response Headers Policy with HSTS, nosniff, frame DENY, Referrer-Policy and the
  Content-Security-Policy of scripts/frontend_security.py (no 'unsafe-inline'), its API origin this
  stack's own API and its media origins this stack's images bucket;
- FrontendDistribution: HTTPS only (HTTP redirects), compression on (gzip and brotli through the managed
  CachingOptimized policy), index.html at the root, HTTP/2 and HTTP/3. With the default *.cloudfront.net
  name CloudFront fixes the viewer security policy at TLSv1 whatever the template says (AWS's
  ViewerCertificate documentation); give `FrontendDomainName` and an ACM `FrontendCertificateArn`
  (us-east-1) and the distribution serves that name with TLSv1.2_2021 as the minimum;
- outputs FrontendURL, FrontendBucket, DistributionId and ApiUrl (what deploy-frontend injects).
Kept out of infra/template.json, which the local stack deploys into moto.
"""

from __future__ import annotations

from typing import Any

from scripts.frontend_security import (
    FRAME_OPTIONS,
    HSTS_MAX_AGE_SECONDS,
    REFERRER_POLICY,
    content_security_policy,
)

BUCKET = "FrontendBucket"
BUCKET_POLICY = "FrontendBucketPolicy"
ORIGIN_ACCESS = "FrontendOriginAccessControl"
HEADERS_POLICY = "FrontendHeadersPolicy"
DISTRIBUTION = "FrontendDistribution"
IMAGES_BUCKET = "ImagesBucket"
API_TYPES = ("AWS::Serverless::Api", "AWS::Serverless::HttpApi", "AWS::ApiGatewayV2::Api", "AWS::ApiGateway::RestApi")
HAS_DOMAIN = "HasFrontendDomain"
# AWS's managed cache policy "Managed-CachingOptimized": honours the objects' Cache-Control, caches
# gzip and brotli variants (so Compress works), forwards no cookies or query strings.
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"
ORIGIN_ID = "frontend-bucket"
MINIMUM_TLS = "TLSv1.2_2021"


class FrontendTemplateError(RuntimeError):
    pass


def api_resource(resources: dict) -> str:
    """The logical id of the stack's one API (Chalice's RestAPI, or an HTTP API)."""
    apis = sorted(name for name, res in resources.items() if res.get("Type") in API_TYPES)
    if len(apis) != 1:
        raise FrontendTemplateError(f"expected one API in the template for the frontend's CSP, found {apis}")
    return apis[0]


def csp_value(api: str) -> dict:
    """The Content-Security-Policy as a `Fn::Sub` naming this stack's API and images bucket."""
    policy = content_security_policy(["${ApiOrigin}"], ["${ImagesOrigin}", "${ImagesRegionalOrigin}"])
    return {"Fn::Sub": [policy, {
        "ApiOrigin": {"Fn::Sub": f"https://${{{api}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}"},
        "ImagesOrigin": {"Fn::Sub": f"https://${{{IMAGES_BUCKET}.DomainName}}"},
        "ImagesRegionalOrigin": {"Fn::Sub": f"https://${{{IMAGES_BUCKET}.RegionalDomainName}}"},
    }]}


def add_frontend(sam: dict) -> dict:
    """Add the frontend's resources, parameters, condition and outputs to `sam` (mutated and returned)."""
    resources = sam["Resources"]
    if IMAGES_BUCKET not in resources:
        raise FrontendTemplateError(f"the frontend's CSP names {IMAGES_BUCKET}, which the template lacks")
    api = api_resource(resources)
    ours = {BUCKET, BUCKET_POLICY, ORIGIN_ACCESS, HEADERS_POLICY, DISTRIBUTION}
    clashes = sorted(ours & set(resources))
    if clashes:
        raise FrontendTemplateError(f"the template already defines {', '.join(clashes)}")
    sam.setdefault("Parameters", {}).update(_parameters())
    sam.setdefault("Conditions", {})[HAS_DOMAIN] = {"Fn::Not": [{"Fn::Equals": [{"Ref": "FrontendDomainName"}, ""]}]}
    resources.update({
        BUCKET: _bucket(),
        BUCKET_POLICY: _bucket_policy(),
        ORIGIN_ACCESS: _origin_access_control(),
        HEADERS_POLICY: _headers_policy(api),
        DISTRIBUTION: _distribution(),
    })
    outputs = sam.setdefault("Outputs", {})
    outputs.update({
        "FrontendURL": {"Description": "The storefront (CloudFront)", "Value": {"Fn::If": [
            HAS_DOMAIN, {"Fn::Sub": "https://${FrontendDomainName}"},
            {"Fn::Sub": f"https://${{{DISTRIBUTION}.DomainName}}"}]}},
        "FrontendBucket": {"Description": "Where make deploy-frontend uploads the site", "Value": {"Ref": BUCKET}},
        "DistributionId": {"Description": "The CloudFront distribution make deploy-frontend invalidates",
                           "Value": {"Ref": DISTRIBUTION}},
    })
    if "ApiUrl" not in outputs:
        outputs["ApiUrl"] = {"Description": "The API's base URL (the frontend's apiBase)",
                             "Value": _api_url(outputs, api)}
    return sam


def _api_url(outputs: dict, api: str) -> Any:
    if "EndpointURL" in outputs:  # Chalice's own output for its REST API (stage path included)
        return outputs["EndpointURL"]["Value"]
    return {"Fn::Sub": f"https://${{{api}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}/"}


def _parameters() -> dict:
    return {
        "FrontendDomainName": {"Type": "String", "Default": "",
                               "Description": "Optional name for the storefront (e.g. shop.example.com); "
                                              "empty: the distribution's *.cloudfront.net name"},
        "FrontendCertificateArn": {"Type": "String", "Default": "",
                                   "Description": "ACM certificate (us-east-1) for FrontendDomainName; "
                                                  "needed when FrontendDomainName is set"},
    }


def _bucket() -> dict:
    return {"Type": "AWS::S3::Bucket", "Properties": {
        "PublicAccessBlockConfiguration": {"BlockPublicAcls": True, "BlockPublicPolicy": True,
                                           "IgnorePublicAcls": True, "RestrictPublicBuckets": True},
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}, "BucketKeyEnabled": True}]},
        "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
        "VersioningConfiguration": {"Status": "Enabled"},  # a bad upload can be rolled back object by object
        "LifecycleConfiguration": {"Rules": [{"Id": "ForgetOldVersions", "Status": "Enabled",
                                              "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]},
    }}


def _bucket_policy() -> dict:
    objects = {"Fn::Sub": f"${{{BUCKET}.Arn}}/*"}
    return {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": BUCKET}, "PolicyDocument": {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "CloudFrontReadsThroughOriginAccessControl", "Effect": "Allow",
             "Principal": {"Service": "cloudfront.amazonaws.com"}, "Action": "s3:GetObject", "Resource": objects,
             "Condition": {"StringEquals": {"AWS:SourceArn": {
                 "Fn::Sub": f"arn:${{AWS::Partition}}:cloudfront::${{AWS::AccountId}}:distribution/${{{DISTRIBUTION}}}"}}}},
            {"Sid": "TlsOnly", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
             "Resource": [{"Fn::GetAtt": [BUCKET, "Arn"]}, objects],
             "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        ]}}}


def _origin_access_control() -> dict:
    return {"Type": "AWS::CloudFront::OriginAccessControl", "Properties": {"OriginAccessControlConfig": {
        "Name": {"Fn::Sub": "${AWS::StackName}-frontend"},
        "Description": "CloudFront signs its requests to the private frontend bucket",
        "OriginAccessControlOriginType": "s3", "SigningBehavior": "always", "SigningProtocol": "sigv4"}}}


def _headers_policy(api: str) -> dict:
    return {"Type": "AWS::CloudFront::ResponseHeadersPolicy", "Properties": {"ResponseHeadersPolicyConfig": {
        "Name": {"Fn::Sub": "${AWS::StackName}-frontend-security"},
        "Comment": "Security headers of the storefront (scripts/frontend_security.py)",
        "SecurityHeadersConfig": {
            "StrictTransportSecurity": {"AccessControlMaxAgeSec": HSTS_MAX_AGE_SECONDS, "IncludeSubdomains": True,
                                        "Preload": False, "Override": True},
            "ContentTypeOptions": {"Override": True},  # X-Content-Type-Options: nosniff
            "FrameOptions": {"FrameOption": FRAME_OPTIONS, "Override": True},
            "ReferrerPolicy": {"ReferrerPolicy": REFERRER_POLICY, "Override": True},
            "ContentSecurityPolicy": {"ContentSecurityPolicy": csp_value(api), "Override": True},
        }}}}


def _distribution() -> dict:
    # cfn-lint resolves FrontendCertificateArn to its default "" inside the branch HasFrontendDomain leaves
    # out, and warns that "" is not a certificate ARN (W1030): not a problem when that branch is not taken.
    return {"Type": "AWS::CloudFront::Distribution",
            "Metadata": {"cfn-lint": {"config": {"ignore_checks": ["W1030"]}}},
            "Properties": {"DistributionConfig": {
        "Enabled": True,
        "Comment": {"Fn::Sub": "${AWS::StackName} storefront"},
        "DefaultRootObject": "index.html",
        "HttpVersion": "http2and3",
        "IPV6Enabled": True,
        "PriceClass": "PriceClass_100",
        "Aliases": {"Fn::If": [HAS_DOMAIN, [{"Ref": "FrontendDomainName"}], {"Ref": "AWS::NoValue"}]},
        "Origins": [{
            "Id": ORIGIN_ID,
            "DomainName": {"Fn::GetAtt": [BUCKET, "RegionalDomainName"]},
            "OriginAccessControlId": {"Fn::GetAtt": [ORIGIN_ACCESS, "Id"]},
            "S3OriginConfig": {"OriginAccessIdentity": ""},  # empty: access is the OAC's, not a legacy OAI
        }],
        "DefaultCacheBehavior": {
            "TargetOriginId": ORIGIN_ID,
            "ViewerProtocolPolicy": "redirect-to-https",
            "Compress": True,
            "AllowedMethods": ["GET", "HEAD"],
            "CachedMethods": ["GET", "HEAD"],
            "CachePolicyId": CACHING_OPTIMIZED,
            "ResponseHeadersPolicyId": {"Ref": HEADERS_POLICY},
        },
        "ViewerCertificate": {"Fn::If": [
            HAS_DOMAIN,
            {"AcmCertificateArn": {"Ref": "FrontendCertificateArn"}, "SslSupportMethod": "sni-only",
             "MinimumProtocolVersion": MINIMUM_TLS},
            {"CloudFrontDefaultCertificate": True},
        ]},
    }}}

