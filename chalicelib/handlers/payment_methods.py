"""The signed-in shopper's saved cards: list and remove."""

from chalice import Blueprint, Response

from chalicelib.api import route
from chalicelib.schema import ApiModel

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


@route(bp, "/me/payment-methods", "GET", response=SavedCardsOut, roles=SHOPPER, tags=("payments",),
       errors=(401, 403, 502, 503))
def list_payment_methods(req):
    """Your saved cards (empty until you save one at checkout)."""
    from chalicelib.services import payment_methods as payment_method_service

    return payment_method_service.list_cards(req.principal.user_id)


@route(bp, "/me/payment-methods/{pm_id}", "DELETE", roles=SHOPPER, status=204, tags=("payments",),
       errors=(401, 403, 404, 502, 503))
def delete_payment_method(req):
    """Remove one of your saved cards."""
    from chalicelib.services import payment_methods as payment_method_service

    pm_id = req.params["pm_id"]
    if not pm_id.startswith("pm_") or len(pm_id) > PM_ID_MAX:
        from chalicelib.domain.errors import NotFound

        raise NotFound("No such saved card.", fields={"pm_id": "not found"})
    payment_method_service.remove_card(req.principal.user_id, pm_id)
    return Response(body="", status_code=204, headers={"X-Correlation-Id": req.correlation_id})
