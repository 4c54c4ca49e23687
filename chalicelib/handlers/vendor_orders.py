"""Vendor fulfilment routes: the vendor's own sub-orders and the steps it takes on them.

The vendor is always the signed-in principal, never a parameter or a body field: another
vendor's order (or an unpaid one) is a 404 whatever the id. Bodies forbid unknown fields.
"""

from typing import Literal

from chalice import Blueprint
from pydantic import ConfigDict, Field

from chalicelib.api import route
from chalicelib.handlers.cart import MoneyOut
from chalicelib.schema import ApiModel, QueryModel, Text, bounded

bp = Blueprint(__name__)
VENDOR = ("vendor",)
TAGS = ("vendor-orders",)

SubOrderStatus = Literal["placed", "accepted", "shipped", "delivered", "cancelled"]


class VendorOrdersQuery(QueryModel):
    status: SubOrderStatus | None = Field(None, description="only sub-orders in this status")
    limit: int = Field(20, ge=1, le=50)
    cursor: str | None = Field(None, max_length=2048)


class ShipIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    carrier: bounded(Text, 1, 60, description="the carrier's name (DHL, La Poste, UPS...)")
    tracking_number: bounded(Text, 1, 80)
    tracking_url: bounded(Text, 1, 500, description="https:// link to the carrier's tracking page")


class CancelLineIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    reason: bounded(Text, 1, 300, description="why the line cannot be fulfilled (shown to the shopper's support)")


class VendorLineOut(ApiModel):
    line_id: str = Field(description="the line's id: its offer id")
    offer_id: str
    product_id: str
    title: str
    condition: str
    quantity: int
    unit_price: MoneyOut
    line_total: MoneyOut
    cancelled: bool
    cancel_reason: str | None
    refunded: MoneyOut | None


class VendorTotalsOut(ApiModel):
    items: MoneyOut
    discount: MoneyOut
    shipping: MoneyOut
    total: MoneyOut
    commission: MoneyOut
    payout: MoneyOut


class ShipmentOut(ApiModel):
    carrier: str
    tracking_number: str
    tracking_url: str


class VendorTimelineOut(ApiModel):
    at: str
    label: str
    kind: str | None


class VendorOrderOut(ApiModel):
    order_id: str
    order_number: str
    created_at: str
    status: str = Field(description="placed | accepted | shipped | delivered | cancelled")
    allowed_actions: list[str] = Field(description="what you may do now: accept, ship, deliver, cancel_line")
    shipping_address: dict | None = Field(description="where to ship, as the shopper gave it at checkout")
    lines: list[VendorLineOut]
    totals: VendorTotalsOut
    accepted_at: str | None
    shipped_at: str | None
    shipment: ShipmentOut | None
    delivered_at: str | None
    receipt_confirmed_at: str | None
    receipt_confirmed_by: str | None = Field(description="shopper | auto")
    payout_status: str | None
    timeline: list[VendorTimelineOut]


class VendorOrderList(ApiModel):
    items: list[VendorOrderOut]
    next_cursor: str | None


def _view(data: dict) -> dict:
    return VendorOrderOut.model_validate(data).model_dump(mode="json")


@route(bp, "/vendor/orders", query=VendorOrdersQuery, response=VendorOrderList, roles=VENDOR, tags=TAGS,
       errors=(400, 401, 403), summary="Your sub-orders (paid orders only), newest first")
def vendor_list_orders(req):
    from chalicelib.services import fulfilment

    return VendorOrderList.model_validate(fulfilment.list_vendor_orders(
        req.principal.user_id, status=req.query.status, limit=req.query.limit, cursor=req.query.cursor))


@route(bp, "/vendor/orders/{order_id}", response=VendorOrderOut, roles=VENDOR, tags=TAGS,
       errors=(401, 403, 404), summary="One of your sub-orders, with the shipping address")
def vendor_get_order(req):
    from chalicelib.services import fulfilment

    return _view(fulfilment.get_vendor_order(req.principal.user_id, req.params["order_id"]))


@route(bp, "/vendor/orders/{order_id}/accept", "POST", response=VendorOrderOut, roles=VENDOR, tags=TAGS,
       errors=(401, 403, 404, 409), summary="Accept the sub-order (idempotent)")
def vendor_accept_order(req):
    from chalicelib.services import fulfilment

    return _view(fulfilment.accept(req.principal.user_id, req.params["order_id"]))


@route(bp, "/vendor/orders/{order_id}/ship", "POST", body=ShipIn, response=VendorOrderOut, roles=VENDOR,
       tags=TAGS, errors=(400, 401, 403, 404, 409),
       summary="Ship the accepted sub-order with its tracking (repeating the same tracking changes nothing)")
def vendor_ship_order(req):
    from chalicelib.services import fulfilment

    return _view(fulfilment.ship(req.principal.user_id, req.params["order_id"], carrier=req.body.carrier,
                                 tracking_number=req.body.tracking_number, tracking_url=req.body.tracking_url))


@route(bp, "/vendor/orders/{order_id}/deliver", "POST", response=VendorOrderOut, roles=VENDOR, tags=TAGS,
       errors=(401, 403, 404, 409),
       summary="Mark the shipped parcel delivered (the payout follows the shopper's or the automatic confirmation)")
def vendor_mark_delivered(req):
    from chalicelib.services import fulfilment

    return _view(fulfilment.mark_delivered(req.principal.user_id, req.params["order_id"]))


@route(bp, "/vendor/orders/{order_id}/lines/{line_id}/cancel", "POST", body=CancelLineIn, response=VendorOrderOut,
       roles=VENDOR, tags=TAGS, errors=(400, 401, 403, 404, 409),
       summary="Cancel one line before shipping: the shopper is refunded for it and the units go back on sale")
def vendor_cancel_line(req):
    from chalicelib.services import fulfilment

    return _view(fulfilment.cancel_line(req.principal.user_id, req.params["order_id"], req.params["line_id"],
                                        reason=req.body.reason))
