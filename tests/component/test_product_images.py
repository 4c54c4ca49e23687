"""Product images (issue 8, item 2): presigned uploads under the vendor's own prefix, limited in type and
size by the signed policy; attaching checks the stored bytes; images are served through the API;
another vendor can touch neither my product's images nor my uploads."""

from __future__ import annotations

import os

from tests.fixtures.aws import call
from tests.fixtures.s3_post import upload

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def _start(client, catalog, product: str = "lamp", content_type: str = "image/png", token: str | None = None):
    return call(client, "POST", f"/vendor/products/{catalog.products[product]}/images/uploads",
                {"content_type": content_type}, token=token or catalog.vendor_a.access_token)


def _bucket() -> str:
    return os.environ["HALLES_IMAGES_BUCKET"]


def test_a_vendor_uploads_an_image_attaches_it_and_shoppers_see_it(app_client, catalog):
    status, form, _ = _start(app_client, catalog)
    assert status == 201, form
    assert form["key"].startswith(f"vendors/{catalog.vendor_a.user_id}/") and form["max_bytes"] == 5 * 1024 * 1024
    assert upload(form, _bucket(), PNG) in (200, 201, 204)

    lamp = catalog.products["lamp"]
    status, product, _ = call(app_client, "POST", f"/vendor/products/{lamp}/images", {"key": form["key"]},
                              token=catalog.vendor_a.access_token)
    assert status == 200, product
    path = f"/media/{form['key']}"
    assert product["images"][-1] == path
    status, again, _ = call(app_client, "POST", f"/vendor/products/{lamp}/images", {"key": form["key"]},
                            token=catalog.vendor_a.access_token)
    assert status == 200 and again["images"].count(path) == 1  # attaching twice changes nothing

    status, page, _ = call(app_client, "GET", f"/catalog/products/{lamp}")
    assert path in page["product"]["images"]
    served = app_client.http.get(path)
    assert served.status_code == 302
    import requests
    assert requests.get(served.headers["Location"], timeout=10).content == PNG


def test_the_signed_policy_refuses_a_too_large_a_mistyped_or_another_vendors_key(app_client, catalog):
    status, form, _ = _start(app_client, catalog)
    assert status == 201
    assert upload(form, _bucket(), PNG + b"\x00" * (5 * 1024 * 1024)) == 403  # over 5 MB
    assert upload(form, _bucket(), b"") == 403
    assert upload(form, _bucket(), PNG, Content_Type="image/svg+xml") == 403
    someone_else = f"vendors/{catalog.vendor_b.user_id}/{form['key'].rsplit('/', 1)[1]}"
    assert upload(form, _bucket(), PNG, key=someone_else) == 403
    assert upload(form, _bucket(), PNG) in (200, 201, 204)


def test_only_jpeg_png_or_webp_may_be_uploaded(app_client, catalog):
    status, refused, _ = _start(app_client, catalog, content_type="image/svg+xml")
    assert status == 400 and "content_type" in refused["error"]["fields"]


def test_attaching_checks_the_real_bytes_not_the_declared_type(app_client, catalog):
    status, form, _ = _start(app_client, catalog, content_type="image/png")
    assert upload(form, _bucket(), b"<svg onload='alert(1)'></svg>" + b" " * 32) in (200, 201, 204)
    status, refused, _ = call(app_client, "POST", f"/vendor/products/{catalog.products['lamp']}/images",
                              {"key": form["key"]}, token=catalog.vendor_a.access_token)
    assert status == 400 and "key" in refused["error"]["fields"]
    status, form, _ = _start(app_client, catalog, content_type="image/png")
    upload(form, _bucket(), JPEG)  # a JPEG sent as PNG
    status, refused, _ = call(app_client, "POST", f"/vendor/products/{catalog.products['lamp']}/images",
                              {"key": form["key"]}, token=catalog.vendor_a.access_token)
    assert status == 400
    status, refused, _ = call(app_client, "POST", f"/vendor/products/{catalog.products['lamp']}/images",
                              {"key": f"vendors/{catalog.vendor_a.user_id}/nothing.png"},
                              token=catalog.vendor_a.access_token)
    assert status == 404 and "key" in refused["error"]["fields"]


def test_another_vendor_cannot_upload_to_or_attach_to_my_product_nor_attach_my_upload(app_client, catalog,
                                                                                        make_user):
    status, refused, _ = _start(app_client, catalog, token=catalog.vendor_b.access_token)
    assert status == 403 and refused["error"]["fields"] == {"product_id": "not yours"}
    status, _, _ = _start(app_client, catalog, token=make_user("shopper").access_token)
    assert status == 403
    status, form, _ = _start(app_client, catalog)
    upload(form, _bucket(), PNG)
    status, refused, _ = call(app_client, "POST", f"/vendor/products/{catalog.products['lamp']}/images",
                              {"key": form["key"]}, token=catalog.vendor_b.access_token)
    assert status == 403
    # B's own product (headphones was proposed by a in the fixture, so B proposes one) cannot take A's upload.
    status, mine, _ = call(app_client, "POST", "/vendor/products",
                           {"title": "Bytes Test Cable 2 m", "brand": "Bytes", "category": "home"},
                           token=catalog.vendor_b.access_token)
    status, refused, _ = call(app_client, "POST", f"/vendor/products/{mine['product_id']}/images",
                              {"key": form["key"]}, token=catalog.vendor_b.access_token)
    assert status == 403 and refused["error"]["fields"] == {"key": "not one of your uploads"}
    status, page, _ = call(app_client, "GET", f"/catalog/products/{catalog.products['lamp']}")
    assert f"/media/{form['key']}" not in page["product"]["images"]


def test_an_image_path_that_cannot_be_a_stored_image_is_a_404(app_client):
    assert app_client.http.get("/media/vendors/abc/..%2F..%2Fsecret").status_code == 404
    assert app_client.http.get("/media/vendors/abc/image.gif").status_code == 404
    missing = app_client.http.get("/media/vendors/abc/never-uploaded.png")
    assert missing.status_code == 404 and b'"image"' in missing.body


def test_seeded_products_each_show_their_own_drawing(stack, app_client):
    import requests

    from devstack.seed import PRODUCTS, seed_demo

    seed_demo()
    status, listing, _ = call(app_client, "GET", "/catalog/products?limit=50")
    images = [p["image"] for p in listing["items"]]
    assert len(images) == len(PRODUCTS) and all(i.startswith("/media/vendors/") for i in images)
    served = app_client.http.get(images[0])
    drawing = requests.get(served.headers["Location"], timeout=10)
    assert drawing.headers["Content-Type"] == "image/svg+xml" and drawing.text.startswith("<svg")
    drawings = {requests.get(app_client.http.get(i).headers["Location"], timeout=10).text for i in images}
    assert len(drawings) == len(PRODUCTS)  # no two products share a picture, same category or not
