"""The signed-in shopper's saved cards: list and remove."""

from __future__ import annotations

from chalice import Blueprint, Response

from chalicelib.api import error_body, json_response, route
from chalicelib.lazy import lazy
from chalicelib.payments.port import PaymentError
from chalicelib.schema import ApiModel

payment_method_service = lazy("chalicelib.services.payment_methods")

bp = Blueprint(__name__)

SHOPPER = ("shopper",)
PM_ID_MAX = 255


class SavedCardOut(ApiModel):
    id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


class SavedCardsOut(ApiModel):
    items: list[SavedCardOut]


def provider_unavailable(req, err: PaymentError) -> Response:
    """The provider's trouble is not the shopper's: 503 when retrying helps, 502 otherwise."""
    status = 503 if err.retryable else 502
    headers = {"Retry-After": "5"} if err.retryable else None
    return json_response(
        error_body("payment_provider_unavailable", "The payment provider is not answering; try again shortly.", {},
                   req.correlation_id),
        status, req.correlation_id, headers,
    )


@route(bp, "/me/payment-methods", "GET", response=SavedCardsOut, roles=SHOPPER, tags=("payments",),
       errors=(401, 403, 502, 503))
def list_payment_methods(req):
    """Your saved cards (empty until you save one at checkout)."""
    try:
        return payment_method_service.list_cards(req.principal.user_id)
    except PaymentError as err:
        return provider_unavailable(req, err)


@route(bp, "/me/payment-methods/{pm_id}", "DELETE", roles=SHOPPER, status=204, tags=("payments",),
       errors=(401, 403, 404, 502, 503))
def delete_payment_method(req):
    """Remove one of your saved cards."""
    pm_id = req.params["pm_id"]
    if not pm_id.startswith("pm_") or len(pm_id) > PM_ID_MAX:
        from chalicelib.domain.errors import NotFound

        raise NotFound("No such saved card.", fields={"pm_id": "not found"})
    try:
        payment_method_service.remove_card(req.principal.user_id, pm_id)
    except PaymentError as err:
        return provider_unavailable(req, err)
    return Response(body="", status_code=204, headers={"X-Correlation-Id": req.correlation_id})
