"""S3 storage of product images (the private images bucket, `HALLES_IMAGES_BUCKET`).

Presigned POSTs let a browser upload straight to S3 under the policy the API signed; presigned
GETs let `GET /media/<key>` redirect a browser to one object for a short while. Locally the
endpoint is moto's server, addressed path-style (no bucket subdomains on 127.0.0.1).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from chalicelib.settings import get_settings

UPLOAD_SECONDS = 600  # how long a presigned POST may be used
VIEW_SECONDS = 3600  # how long a redirect to an image stays valid


@lru_cache(maxsize=8)
def _client(region: str, endpoint_url: str | None):
    config = Config(signature_version="s3v4", s3={"addressing_style": "path" if endpoint_url else "auto"})
    return boto3.client("s3", region_name=region, endpoint_url=endpoint_url, config=config)


def _s3():
    settings = get_settings()
    return _client(settings.region, settings.endpoint_url), settings.images_bucket


@dataclass(frozen=True)
class StoredObject:
    """An uploaded object as stored: size, content type and first bytes."""

    size: int
    content_type: str
    head: bytes  # the first bytes, to tell the real type


def presigned_upload(key: str, content_type: str, max_bytes: int) -> dict:
    """{url, fields} of a POST that can only write `key`, with this content type, 1 to `max_bytes` bytes."""
    client, bucket = _s3()
    return client.generate_presigned_post(
        bucket, key,
        Fields={"Content-Type": content_type},
        Conditions=[{"Content-Type": content_type}, ["content-length-range", 1, max_bytes]],
        ExpiresIn=UPLOAD_SECONDS,
    )


def stored_object(key: str, sniff_bytes: int) -> StoredObject | None:
    """What was uploaded at `key` (size, declared type, first bytes); None when nothing is there."""
    client, bucket = _s3()
    try:
        head = client.head_object(Bucket=bucket, Key=key)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return None
        raise
    size = int(head["ContentLength"])
    first = b""
    if size:
        first = client.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{sniff_bytes - 1}")["Body"].read()
    return StoredObject(size, head.get("ContentType", ""), first)


def exists(key: str) -> bool:
    client, bucket = _s3()
    try:
        client.head_object(Bucket=bucket, Key=key)
    except ClientError as err:
        if err.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
            return False
        raise
    return True


def put_image(key: str, body: bytes, content_type: str) -> None:
    """Write an image the platform itself made (the demo seed's drawings)."""
    client, bucket = _s3()
    client.put_object(Bucket=bucket, Key=key, Body=body, ContentType=content_type,
                      CacheControl="public, max-age=86400")


def view_url(key: str) -> str:
    client, bucket = _s3()
    return client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": key}, ExpiresIn=VIEW_SECONDS)
