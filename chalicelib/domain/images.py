"""Product image rules: what a vendor may upload, where it lives, and what its bytes really are. Pure.

Uploads go straight from the browser to S3 through a presigned POST whose policy fixes the object
key (under the vendor's own prefix `vendors/<vendor_id>/`, so no vendor can write over another's
object), the content type and the size range. Attaching an uploaded object to a product checks it
again on the stored bytes: the policy only says what the client declared, the magic bytes say what
the file is. Images are served through the API (`/media/<key>`), never from a public bucket.
"""

from __future__ import annotations

import re

MAX_IMAGE_BYTES = 5 * 1024 * 1024
# Content type -> file extension. SVG is refused on purpose: it can carry scripts.
UPLOAD_TYPES: dict[str, str] = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
SNIFF_BYTES = 16  # enough for every signature below
MEDIA_PREFIX = "/media/"

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,100}\.(jpg|png|webp|svg)$")
_VENDOR = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


def sniff_image_type(head: bytes) -> str | None:
    """The image type the first bytes of a file announce (JPEG, PNG, WebP), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def vendor_prefix(vendor_id: str) -> str:
    return f"vendors/{vendor_id}/"


def upload_key(vendor_id: str, content_type: str, token: str) -> str:
    """The object key of a new upload: the vendor's prefix, a random token, the type's extension."""
    return f"{vendor_prefix(vendor_id)}{token}.{UPLOAD_TYPES[content_type]}"


def is_media_key(key: str) -> bool:
    """`vendors/<vendor_id>/<name>.<ext>` and nothing else (no `..`, no deeper paths)."""
    parts = key.split("/") if isinstance(key, str) else []
    return len(parts) == 3 and parts[0] == "vendors" and bool(_VENDOR.match(parts[1])) and bool(_NAME.match(parts[2]))


def owns_key(vendor_id: str, key: str) -> bool:
    return is_media_key(key) and key.startswith(vendor_prefix(vendor_id))


def media_path(key: str) -> str:
    """How a product refers to a stored image: a site path the API serves (`/media/vendors/...`)."""
    return f"{MEDIA_PREFIX}{key}"


# --- return photos: the same checks, under the shopper's own prefix ----------------------------


def return_photo_prefix(shopper_id: str) -> str:
    return f"returns/{shopper_id}/"


def return_photo_key(shopper_id: str, content_type: str, token: str) -> str:
    return f"{return_photo_prefix(shopper_id)}{token}.{UPLOAD_TYPES[content_type]}"


def owns_return_photo(shopper_id: str, key: str) -> bool:
    """`returns/<shopper_id>/<name>.<ext>` of that shopper, nothing deeper, never another's."""
    parts = key.split("/") if isinstance(key, str) else []
    return (len(parts) == 3 and parts[0] == "returns" and parts[1] == shopper_id and bool(_VENDOR.match(parts[1]))
            and bool(_NAME.match(parts[2])) and not parts[2].endswith(".svg"))
