"""Vendor catalogue routes. The vendor is always the signed-in principal, never a parameter."""

import re

from chalice import Blueprint

from chalicelib.api import HeaderDoc, json_response, route
from chalicelib.domain.errors import InvalidInput
from chalicelib.handlers.catalog_models import (
    OfferIn,
    ProductDetail,
    ProductEditIn,
    ProductIn,
    StockAdjustmentIn,
    StockAdjustmentOut,
    VendorOfferList,
    VendorOffersQuery,
    VendorOfferView,
)

bp = Blueprint(__name__)
VENDOR = ("vendor",)

ETAG = HeaderDoc("ETag", 'The offer\'s version, quoted (`"7"`): send it back as `If-Match`.')
IF_MATCH = HeaderDoc(
    "If-Match",
    'Optional: the ETag you read (`"7"`; several comma-separated, or `*` for "my offer exists"). The update is '
    "made only while the offer is at that version, else 412 `precondition_failed` (unless the offer already "
    "has exactly these terms). Without it the update is still safe to repeat: `stock` declares units on hand.")
IDEMPOTENCY_KEY = HeaderDoc(
    "Idempotency-Key", "Required, 8 to 128 characters: a new random value per adjustment, the same one when "
    "retrying it. The same key applies the adjustment once and answers it again; another body with it is a 422.",
    required=True)
_ENTITY_TAG = re.compile(r'^(W/)?"([^"]*)"$')


def parse_if_match(header: str | None):
    """The If-Match header as the versions it accepts; None when absent. Weak tags never match (RFC 9110)."""
    from chalicelib.services import vendor_offers

    if header is None:
        return None
    if header.strip() == "*":
        return vendor_offers.IfMatch(any=True)
    versions = set()
    for part in header.split(","):
        tag = _ENTITY_TAG.match(part.strip())
        if tag is None:
            raise InvalidInput("If-Match must be the ETag you received, e.g. \"7\".", code="invalid_header",
                               fields={"If-Match": 'expected ETags such as "7", or *'})
        if tag.group(1) is None and tag.group(2).isdigit() and len(tag.group(2)) <= 18:
            versions.add(int(tag.group(2)))
    return vendor_offers.IfMatch(versions=frozenset(versions))


@route(bp, "/vendor/products", "POST", body=ProductIn, response=ProductDetail, roles=VENDOR, status=201,
       also=(200,), tags=("vendor",), errors=(400, 401, 403),
       summary="Add a product to the catalogue (200 with the existing product for a known GTIN)")
def vendor_create_product(req):
    from chalicelib.services import catalog

    product, created = catalog.create_product(req.principal.user_id, req.body.model_dump())
    body = ProductDetail.model_validate(product).model_dump(mode="json")
    return json_response(body, 201 if created else 200, req.correlation_id)


@route(bp, "/vendor/products/{product_id}", "PUT", body=ProductEditIn, response=ProductDetail, roles=VENDOR,
       tags=("vendor",), errors=(400, 401, 403, 404, 409),
       summary="Edit a product you proposed (another vendor's product: 403); same rules as creating it")
def vendor_update_product(req):
    from chalicelib.services import catalog

    product = catalog.update_product(req.principal.user_id, req.params["product_id"], req.body.model_dump())
    return json_response(ProductDetail.model_validate(product).model_dump(mode="json"), 200, req.correlation_id)


@route(bp, "/vendor/products/{product_id}/offer", "PUT", body=OfferIn, response=VendorOfferView, roles=VENDOR,
       status=200, also=(201,), tags=("vendor",), errors=(400, 401, 403, 404, 409, 412),
       headers=(IF_MATCH,), response_headers=(ETAG,),
       summary="Create or update your offer for a product (201 when created); `stock` declares units on hand, "
               "safe to repeat")
def vendor_put_offer(req):
    from chalicelib.services import vendor_offers

    if_match = parse_if_match(req.header("If-Match"))
    offer, created = vendor_offers.upsert_offer(req.principal.user_id, req.params["product_id"],
                                                req.body.model_dump(), if_match=if_match)
    body = VendorOfferView.model_validate(offer).model_dump(mode="json")
    return json_response(body, 201 if created else 200, req.correlation_id,
                         {"ETag": vendor_offers.etag(offer["version"])})


@route(bp, "/vendor/products/{product_id}/offer/stock-adjustments", "POST", body=StockAdjustmentIn,
       response=StockAdjustmentOut, roles=VENDOR, status=201, also=(200,), tags=("vendor",),
       errors=(400, 401, 403, 404, 409, 422), headers=(IDEMPOTENCY_KEY,), response_headers=(ETAG,),
       summary="Add or remove units on hand (a delta), once per Idempotency-Key (201; 200 when repeated)")
def vendor_adjust_stock(req):
    from chalicelib.services import vendor_offers

    result, applied = vendor_offers.adjust_offer_stock(
        req.principal.user_id, req.params["product_id"], req.body.condition, req.body.delta, req.body.reason,
        req.header("Idempotency-Key"))
    body = StockAdjustmentOut.model_validate(result).model_dump(mode="json")
    return json_response(body, 201 if applied else 200, req.correlation_id,
                         {"ETag": vendor_offers.etag(result["offer"]["version"])})


@route(bp, "/vendor/offers", query=VendorOffersQuery, response=VendorOfferList, roles=VENDOR, tags=("vendor",),
       errors=(400, 401, 403), summary="Your own offers, in product title order")
def vendor_list_offers(req):
    from chalicelib.services import vendor_offers

    return VendorOfferList.model_validate(
        vendor_offers.list_vendor_offers(req.principal.user_id, req.query.limit, req.query.cursor))


def _offer_action(req, action: str):
    from chalicelib.services import vendor_offers

    offer = vendor_offers.change_offer_status(req.principal.user_id, req.params["offer_id"], action,
                                              if_match=parse_if_match(req.header("If-Match")))
    body = VendorOfferView.model_validate(offer).model_dump(mode="json")
    return json_response(body, 200, req.correlation_id, {"ETag": vendor_offers.etag(offer["version"])})


# Lifecycle as explicit actions rather than a writable `status` field: each is idempotent, says what it
# does, and cannot be confused with editing terms (a PATCH could mix both and hide that delisting is final).
@route(bp, "/vendor/offers/{offer_id}/pause", "POST", response=VendorOfferView, roles=VENDOR, tags=("vendor",),
       errors=(400, 401, 403, 404, 409, 412), headers=(IF_MATCH,), response_headers=(ETAG,),
       summary="Pause your offer: it leaves the catalogue at once and cannot be bought until resumed "
               "(repeating is a no-op)")
def vendor_pause_offer(req):
    return _offer_action(req, "pause")


@route(bp, "/vendor/offers/{offer_id}/resume", "POST", response=VendorOfferView, roles=VENDOR, tags=("vendor",),
       errors=(400, 401, 403, 404, 409, 412), headers=(IF_MATCH,), response_headers=(ETAG,),
       summary="Resume a paused offer: listed again at once (a delisted offer is a 409)")
def vendor_resume_offer(req):
    return _offer_action(req, "resume")


@route(bp, "/vendor/offers/{offer_id}", "DELETE", response=VendorOfferView, roles=VENDOR, tags=("vendor",),
       errors=(400, 401, 403, 404, 412), headers=(IF_MATCH,), response_headers=(ETAG,),
       summary="Delist your offer for good: it leaves the catalogue, its orders keep their history; "
               "answers the offer, now `delisted`")
def vendor_delist_offer(req):
    return _offer_action(req, "delist")
