"""Vendor catalogue routes. The vendor is always the signed-in principal, never a parameter."""

from chalice import Blueprint

from chalicelib.api import json_response, route
from chalicelib.handlers.catalog_models import (
    OfferIn,
    ProductDetail,
    ProductIn,
    VendorOfferList,
    VendorOffersQuery,
    VendorOfferView,
)

bp = Blueprint(__name__)
VENDOR = ("vendor",)


@route(bp, "/vendor/products", "POST", body=ProductIn, response=ProductDetail, roles=VENDOR, status=201,
       also=(200,), tags=("vendor",), errors=(400, 401, 403),
       summary="Add a product to the catalogue (200 with the existing product for a known GTIN)")
def vendor_create_product(req):
    from chalicelib.services import catalog

    product, created = catalog.create_product(req.principal.user_id, req.body.model_dump())
    body = ProductDetail.model_validate(product).model_dump(mode="json")
    return json_response(body, 201 if created else 200, req.correlation_id)


@route(bp, "/vendor/products/{product_id}/offer", "PUT", body=OfferIn, response=VendorOfferView, roles=VENDOR,
       status=200, also=(201,), tags=("vendor",), errors=(400, 401, 403, 404),
       summary="Create or update your offer for a product (201 when created)")
def vendor_put_offer(req):
    from chalicelib.services import catalog

    offer, created = catalog.upsert_offer(req.principal.user_id, req.params["product_id"], req.body.model_dump())
    body = VendorOfferView.model_validate(offer).model_dump(mode="json")
    return json_response(body, 201 if created else 200, req.correlation_id)


@route(bp, "/vendor/offers", query=VendorOffersQuery, response=VendorOfferList, roles=VENDOR, tags=("vendor",),
       errors=(400, 401, 403), summary="Your own offers, in product title order")
def vendor_list_offers(req):
    from chalicelib.services import catalog

    return VendorOfferList.model_validate(
        catalog.list_vendor_offers(req.principal.user_id, req.query.limit, req.query.cursor))
