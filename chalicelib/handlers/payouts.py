"""Receipt confirmation by the shopper, which releases the vendor's payout (policy on_delivery).

`/confirm-receipt` is the route; `/confirm-delivery` is its first name, kept (deprecated) with the
same rules: both answer 409 `not_shipped` until the vendor shipped the parcel."""

from chalice import Blueprint
from pydantic import Field

from chalicelib.api import route
from chalicelib.handlers.cart import MoneyOut
from chalicelib.schema import ApiModel

bp = Blueprint(__name__)


class PayoutOut(ApiModel):
    status: str = Field(description="transferred | pending | awaiting_vendor_account | held_dispute_open | "
                              "nothing_to_pay | nothing_to_pay_refunded | transfer_refused")
    amount: MoneyOut
    transfer_id: str | None


class DeliveryOut(ApiModel):
    order_id: str
    vendor_id: str
    status: str = Field(description="delivered")
    delivered_at: str
    receipt_confirmed_at: str
    payout: PayoutOut


@route(bp, "/orders/{order_id}/vendors/{vendor_id}/confirm-receipt", "POST", response=DeliveryOut,
       roles=("shopper",), tags=("orders",), errors=(401, 403, 404, 409))
def confirm_receipt(req):
    """Confirm you received this vendor's shipped parcel (idempotent); the vendor is then paid."""
    from chalicelib.services import payouts as payout_service

    return payout_service.confirm_receipt(req.principal.user_id, req.params["order_id"], req.params["vendor_id"])


@route(bp, "/orders/{order_id}/vendors/{vendor_id}/confirm-delivery", "POST", response=DeliveryOut,
       roles=("shopper",), tags=("orders",), errors=(401, 403, 404, 409))
def confirm_delivery(req):
    """Deprecated name of confirm-receipt (same rules: only once the parcel shipped)."""
    from chalicelib.services import payouts as payout_service

    return payout_service.confirm_receipt(req.principal.user_id, req.params["order_id"], req.params["vendor_id"])
