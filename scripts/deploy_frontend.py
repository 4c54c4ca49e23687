"""Put the storefront online: `python -m scripts.deploy_frontend --stack <name>` (`make deploy-frontend STACK=<name>`).

Run after `make deploy` created the stack (scripts/frontend_template.py: the bucket and the distribution).
1. Read the stack's outputs: ApiUrl, FrontendBucket, DistributionId (and FrontendURL, printed at the end).
2. Build the site into build/frontend with the API's URL in its config.js:
   `python -m scripts.build_frontend --out build/frontend --api-url <ApiUrl>` (content-hashed names).
3. Upload every file to the bucket with its Content-Type and the Cache-Control of scripts/build_frontend's
   `cache_control()` (the rule the local server follows too): a content-hashed name (app.3f2a9c1b7d.js)
   is cached a year, `immutable`; index.html and config.js (and anything else unhashed) `no-cache`,
   revalidated, so a deploy shows at once. Assets go first and index.html/config.js last, so a page never
   names an asset not yet uploaded, and nothing is deleted: a page cached before the deploy keeps finding
   the assets it names. Precompressed copies (.gz, .br) are not uploaded: CloudFront compresses per viewer.
4. Invalidate /, /index.html and /config.js in CloudFront (the only names whose content changes in place).
"""

from __future__ import annotations

import argparse
import mimetypes
import re
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from scripts.build_frontend import cache_control

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "build" / "frontend"
ENTRY_POINTS = ("index.html", "config.js")  # fetched by the same name after every deploy
INVALIDATED = ("/", "/index.html", "/config.js")  # "/" is cached apart from /index.html (DefaultRootObject)
PRECOMPRESSED = (".gz", ".br")
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".webmanifest": "application/manifest+json",
    ".txt": "text/plain; charset=utf-8",
}


class DeployError(RuntimeError):
    pass


@dataclass(frozen=True)
class StackOutputs:
    api_url: str
    bucket: str
    distribution_id: str
    frontend_url: str = ""


def stack_outputs(cloudformation, stack: str) -> StackOutputs:
    try:
        described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    except Exception as exc:  # botocore's ClientError: the stack does not exist, or no rights to read it
        raise DeployError(f"cannot read stack {stack!r}: {exc}") from None
    outputs = {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}
    missing = [key for key in ("ApiUrl", "FrontendBucket", "DistributionId") if not outputs.get(key)]
    if missing:
        raise DeployError(f"stack {stack!r} has no output {', '.join(missing)}: deploy it with `make deploy` first "
                          "(a template from `make package` of this version)")
    return StackOutputs(outputs["ApiUrl"], outputs["FrontendBucket"], outputs["DistributionId"],
                        outputs.get("FrontendURL", ""))


def api_base(api_url: str) -> str:
    """The frontend's apiBase: the API URL without its trailing slash (paths are appended with their own)."""
    if not re.match(r"^https://[^/\s]+", api_url):
        raise DeployError(f"the API URL must be an https:// URL, got {api_url!r}")
    return api_url.rstrip("/")


def build_site(api_url: str, out: Path = SITE) -> Path:
    """The deployable site in `out`, built by scripts/build_frontend with this API's URL in config.js."""
    proc = subprocess.run([sys.executable, "-m", "scripts.build_frontend", "--out", str(out),
                           "--api-url", api_base(api_url)], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise DeployError(f"the frontend build failed ({proc.returncode}):\n{(proc.stdout + proc.stderr)[-3000:]}")
    return out


def content_type(key: str) -> str:
    suffix = Path(key).suffix.lower()
    return CONTENT_TYPES.get(suffix) or mimetypes.guess_type(key)[0] or "application/octet-stream"


def site_files(site: Path) -> list[tuple[str, Path]]:
    """(key, file) for every file to upload, the entry points last."""
    files = sorted((p.relative_to(site).as_posix(), p) for p in site.rglob("*")
                   if p.is_file() and not p.name.startswith(".") and not p.name.endswith(PRECOMPRESSED))
    if "index.html" not in {key for key, _ in files}:
        raise DeployError(f"{site} has no index.html")
    return sorted(files, key=lambda item: (item[0] in ENTRY_POINTS, item[0]))


def upload(s3, site: Path, bucket: str) -> list[str]:
    """Upload the site; returns the keys in the order they were written."""
    written = []
    for key, path in site_files(site):
        s3.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=content_type(key),
                      CacheControl=cache_control(key))
        written.append(key)
    return written


def invalidate(cloudfront, distribution_id: str, reference: str | None = None) -> str:
    """Ask CloudFront to drop its copies of the entry points; returns the invalidation's id."""
    answer = cloudfront.create_invalidation(DistributionId=distribution_id, InvalidationBatch={
        "Paths": {"Quantity": len(INVALIDATED), "Items": list(INVALIDATED)},
        "CallerReference": reference or f"deploy-frontend-{time.time_ns()}",
    })
    return answer["Invalidation"]["Id"]


def deploy(stack: str, session, site: Path = SITE, build: bool = True) -> tuple[StackOutputs, list[str], str]:
    outputs = stack_outputs(session.client("cloudformation"), stack)
    if build:
        build_site(outputs.api_url, site)
    written = upload(session.client("s3"), site, outputs.bucket)
    invalidation = invalidate(session.client("cloudfront"), outputs.distribution_id)
    return outputs, written, invalidation


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.deploy_frontend", description=__doc__.split("\n")[0])
    parser.add_argument("--stack", required=True, help="the CloudFormation stack `make deploy` created")
    parser.add_argument("--region", help="its region (default: the AWS CLI's)")
    parser.add_argument("--site", type=Path, default=SITE, help=f"the built site (default: {SITE.relative_to(ROOT)})")
    parser.add_argument("--no-build", dest="build", action="store_false",
                        help="upload --site as it is (already built with this stack's API URL)")
    args = parser.parse_args(argv)
    import boto3

    try:
        outputs, written, invalidation = deploy(args.stack, boto3.Session(region_name=args.region), args.site,
                                                args.build)
    except DeployError as exc:
        print(f"deploy-frontend: {exc}", file=sys.stderr)
        return 1
    print(f"uploaded {len(written)} file(s) to s3://{outputs.bucket}; "
          f"CloudFront invalidation {invalidation} of {', '.join(INVALIDATED)}")
    print(f"the storefront: {outputs.frontend_url or '(see the stack output FrontendURL)'} (API: {outputs.api_url})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
