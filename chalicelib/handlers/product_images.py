"""Product image routes: presigned uploads and attaching them (the product's proposer only), and the
public image route that sends a browser to the stored object."""

from chalice import Blueprint, Response

from chalicelib.api import HeaderDoc, json_response, route
from chalicelib.handlers.catalog_models import ImageAttachIn, ImageUploadIn, ImageUploadOut, ProductDetail

bp = Blueprint(__name__)
VENDOR = ("vendor",)
LOCATION = HeaderDoc("Location", "A short-lived signed URL of the image (the bucket is private)")


@route(bp, "/vendor/products/{product_id}/images/uploads", "POST", body=ImageUploadIn, response=ImageUploadOut,
       roles=VENDOR, status=201, tags=("vendor",), errors=(400, 401, 403, 404, 409),
       summary="Start an image upload for a product you proposed: a presigned S3 POST (JPEG, PNG or WebP, "
               "at most 5 MB, to a key under your own prefix)")
def vendor_start_image_upload(req):
    from chalicelib.services import product_images

    upload = product_images.start_upload(req.principal.user_id, req.params["product_id"], req.body.content_type)
    return json_response(ImageUploadOut.model_validate(upload).model_dump(mode="json"), 201, req.correlation_id)


@route(bp, "/vendor/products/{product_id}/images", "POST", body=ImageAttachIn, response=ProductDetail,
       roles=VENDOR, tags=("vendor",), errors=(400, 401, 403, 404, 409),
       summary="Attach an uploaded image to a product you proposed, after checking its real type and size "
               "(attaching it again changes nothing)")
def vendor_attach_image(req):
    from chalicelib.services import product_images

    product = product_images.attach_image(req.principal.user_id, req.params["product_id"], req.body.key)
    return ProductDetail.model_validate(product)


@route(bp, "/media/vendors/{vendor_id}/{name}", "GET", status=302, tags=("catalog",), errors=(404,),
       response_headers=(LOCATION,), summary="A product image: redirects to a short-lived signed URL")
def product_image(req):
    from chalicelib.services import product_images

    url = product_images.image_url(req.params["vendor_id"], req.params["name"])
    return Response(body="", status_code=302, headers={"Location": url, "Cache-Control": "public, max-age=600"})
