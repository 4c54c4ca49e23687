"""Product image use cases: start an upload (a presigned POST under the vendor's own prefix), attach
what was uploaded to a product after checking the stored bytes, and serve an image.

Only the vendor who proposed a product adds images to it (like editing it: others get 403). The
upload policy already limits type, size and key, but a client could lie about the type, so
attaching reads the object back: it must exist under the caller's prefix, be 1 byte to 5 MB, and
its magic bytes must say JPEG, PNG or WebP (the same type it was uploaded as).
"""

from __future__ import annotations

import uuid

from chalicelib.domain.catalog import IMAGES_MAX, is_valid_id
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput, NotFound
from chalicelib.domain.images import (
    MAX_IMAGE_BYTES,
    SNIFF_BYTES,
    UPLOAD_TYPES,
    is_media_key,
    media_path,
    owns_key,
    sniff_image_type,
    upload_key,
)
from chalicelib.observability import count
from chalicelib.services.catalog import product_detail, product_or_404
from chalicelib.services.vendors import registered_vendor
from chalicelib.store import images as images_store
from chalicelib.store import products as products_store

ATTACH_ATTEMPTS = 5


def _own_product(vendor_id: str, product_id: str):
    registered_vendor(vendor_id)
    product = product_or_404(product_id, consistent=True)
    if product.created_by != vendor_id:
        raise Forbidden("Only the vendor who proposed this product can add images to it.",
                        fields={"product_id": "not yours"})
    return product


def start_upload(vendor_id: str, product_id: str, content_type: str) -> dict:
    """A presigned POST for one new image of the caller's product: {url, fields, key, max_bytes, expires_in}."""
    if content_type not in UPLOAD_TYPES:
        raise InvalidInput("Images are JPEG, PNG or WebP.", fields={"content_type": f"one of {', '.join(UPLOAD_TYPES)}"})
    product = _own_product(vendor_id, product_id)
    if len(product.images or []) >= IMAGES_MAX:
        raise Conflict(f"A product has at most {IMAGES_MAX} images.", code="too_many_images",
                       fields={"images": f"at most {IMAGES_MAX}"})
    key = upload_key(vendor_id, content_type, uuid.uuid4().hex)
    post = images_store.presigned_upload(key, content_type, MAX_IMAGE_BYTES)
    return {"url": post["url"], "fields": post["fields"], "key": key, "max_bytes": MAX_IMAGE_BYTES,
            "expires_in": images_store.UPLOAD_SECONDS}


def attach_image(vendor_id: str, product_id: str, key: str) -> dict:
    """Add the uploaded object at `key` to the caller's product (last in its list); the product as it is now.

    Attaching the same key again changes nothing."""
    if not owns_key(vendor_id, key):
        raise Forbidden("You can only attach images you uploaded.", fields={"key": "not one of your uploads"})
    product = _own_product(vendor_id, product_id)
    check_uploaded_image(key)
    path = media_path(key)
    for _ in range(ATTACH_ATTEMPTS):
        images = list(product.images or [])
        if path in images:
            return product_detail(product)
        if len(images) >= IMAGES_MAX:
            raise Conflict(f"A product has at most {IMAGES_MAX} images.", code="too_many_images",
                           fields={"images": f"at most {IMAGES_MAX}"})
        if products_store.set_product_images(product_id, images + [path], created_by=vendor_id, expected=images):
            count("ProductImageAttached")
            return product_detail(products_store.get_product(product_id, consistent=True))
        product = _own_product(vendor_id, product_id)  # another attach or edit came first: read again
    raise Conflict("This product is being changed by another request right now; try again.", code="busy",
                   fields={"images": "changing"})


def check_uploaded_image(key: str, field: str = "key") -> None:
    """The object uploaded at `key` exists, is 1 byte to 5 MB, and its bytes are the JPEG, PNG or
    WebP image its type and extension say (also used for return photos)."""
    stored = images_store.stored_object(key, SNIFF_BYTES)
    if stored is None:
        raise NotFound("Nothing was uploaded with this key (yet).", fields={field: "no such upload"})
    if not 1 <= stored.size <= MAX_IMAGE_BYTES:
        raise InvalidInput(f"An image is at most {MAX_IMAGE_BYTES // (1024 * 1024)} MB.",
                           fields={field: f"{stored.size} bytes: 1 to {MAX_IMAGE_BYTES} allowed"})
    real = sniff_image_type(stored.head)
    if real is None or real != stored.content_type or not key.endswith(f".{UPLOAD_TYPES[real]}"):
        raise InvalidInput("This file is not the JPEG, PNG or WebP image it claims to be.",
                           fields={field: "not a JPEG, PNG or WebP image"})


def image_url(vendor_id: str, name: str) -> str:
    """Where a browser reads a stored image now (a short-lived signed URL); 404 for what cannot be ours."""
    key = f"vendors/{vendor_id}/{name}"
    # Checked before redirecting, so a missing image is this API's 404, not the storage's own error page.
    if not is_valid_id(vendor_id) or not is_media_key(key) or not images_store.exists(key):
        raise NotFound("No such image.", fields={"image": "unknown"})
    return images_store.view_url(key)
