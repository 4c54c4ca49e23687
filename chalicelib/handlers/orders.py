"""Shoppers' own orders: list (newest first), detail with the status timeline and payment attempts, and for
an unpaid order: pay again with a saved card, or cancel."""

from chalice import Blueprint
from pydantic import ConfigDict, Field

from chalicelib.api import HeaderDoc, route
from chalicelib.handlers.addresses import AddressOut
from chalicelib.handlers.cart import MoneyOut
from chalicelib.schema import ApiModel, Text, bounded

bp = Blueprint(__name__)

SHOPPER = ("shopper",)


class OrderLineOut(ApiModel):
    offer_id: str
    product_id: str
    vendor_id: str
    vendor_name: str = Field("", description="the shop's name at checkout")
    title: str
    condition: str = Field("", description="new | refurbished | used, as chosen at checkout")
    quantity: int
    unit_price: MoneyOut = Field(description="The offer's price at checkout (struck when a promotion applied)")
    promotion_id: str | None = None
    promoted_unit_price: MoneyOut | None = Field(None, description="What the shopper paid per unit, if promoted")
    shipping_fee: MoneyOut
    subtotal: MoneyOut = Field(description="quantity x the price paid")


class ShipmentOut(ApiModel):
    carrier: str
    tracking_number: str
    tracking_url: str


class VendorGroupOut(ApiModel):
    vendor_id: str
    vendor_name: str = Field("", description="the shop's name at checkout")
    status: str
    offer_ids: list[str]
    items: MoneyOut
    discount: MoneyOut
    shipping: MoneyOut
    total: MoneyOut
    delivered_at: str | None = None
    shipped_at: str | None = None
    shipment: ShipmentOut | None = Field(None, description="carrier, tracking number and https tracking link")
    receipt_confirmed_at: str | None = None
    can_confirm_receipt: bool = Field(False, description="shipped and not yet confirmed: POST .../confirm-receipt")
    cancelled_offer_ids: list[str] = Field(default_factory=list, description="lines the vendor cancelled (refunded)")


class TotalsOut(ApiModel):
    items: MoneyOut
    discount: MoneyOut
    shipping: MoneyOut
    service_fee: MoneyOut
    vat_rate_bps: int
    vat_included: MoneyOut = Field(description="the VAT part of `total` (prices are VAT-included)")
    total: MoneyOut


class PaymentAttemptOut(ApiModel):
    at: str
    outcome: str = Field(description="declined | requires_action | processing")
    reason: str | None = Field(None, description="card_declined, insufficient_funds, expired_card, ...")


class PaymentStateOut(ApiModel):
    state: str = Field(description="awaiting_payment | requires_action | processing | paid | cancelled | refunded "
                                   "| failed (orders ended by a decline before declines could be retried)")
    payment_intent_id: str | None
    can_pay: bool
    can_cancel: bool = False
    last_attempt: PaymentAttemptOut | None = Field(None, description="the latest attempt that did not pay")
    attempts: list[PaymentAttemptOut] = Field(default_factory=list,
                                              description="every attempt that did not pay, oldest first "
                                                          "(declines with their reason, 3-D Secure asks, processing)")
    client_secret: str | None = Field(None, description="only while the order can still be paid (detail only)")
    payment_page_url: str | None = None
    refunded: MoneyOut
    disputed: bool


class TimelineEntryOut(ApiModel):
    at: str
    status: str | None = None
    kind: str | None = None
    label: str


class OrderOut(ApiModel):
    order_id: str
    order_number: str | None = Field(None, description="H-<yymm>-<digits>: the number to quote on the phone")
    status: str = Field(description="pending_payment | paid | payment_failed | cancelled | refunded")
    created_at: str
    reserved_until: str | None
    currency: str
    country: str | None
    lines: list[OrderLineOut]
    vendors: list[VendorGroupOut]
    totals: TotalsOut
    payment: PaymentStateOut
    timeline: list[TimelineEntryOut]
    shipping_address: AddressOut | None = Field(None, description="where the order is delivered (frozen at checkout)")


class OrderPage(ApiModel):
    items: list[OrderOut]
    next_cursor: str | None


class PayOrderBody(ApiModel):
    model_config = ConfigDict(extra="forbid")

    payment_method_id: str = Field(pattern=r"^pm_[A-Za-z0-9_]{1,200}$", description="a saved card of yours, charged now")
    return_url: bounded(Text, max_length=2048) | None = Field(
        None, description="where your bank's 3-D Secure check sends you back (a page of this shop)")


class PayOrderPayment(ApiModel):
    payment_intent_id: str
    status: str = Field(description="succeeded | processing | requires_action (open payment_page_url to confirm "
                                    "with your bank)")
    payment_page_url: str | None = None


class PayOrderOut(ApiModel):
    order: OrderOut
    payment: PayOrderPayment


class OrdersQuery(ApiModel):
    limit: int = Field(20, ge=1, le=50)
    cursor: str | None = Field(None, max_length=2048)


@route(bp, "/orders", "GET", query=OrdersQuery, response=OrderPage, roles=SHOPPER, tags=("orders",),
       errors=(400, 401, 403))
def list_orders(req):
    """Your orders, newest first."""
    from chalicelib.services import orders as order_service

    return order_service.list_orders(req.principal.user_id, req.query.limit, req.query.cursor)


@route(bp, "/orders/{order_id}", "GET", response=OrderOut, roles=SHOPPER, tags=("orders",), errors=(401, 403, 404))
def get_order(req):
    """One of your orders: lines, per-vendor groups, totals, payment state and status timeline."""
    from chalicelib.services import orders as order_service

    return order_service.get_order(req.principal.user_id, req.params["order_id"])


@route(bp, "/orders/{order_id}/cancel", "POST", response=OrderOut, roles=SHOPPER, tags=("orders",),
       errors=(401, 403, 404, 409, 502, 503))
def cancel_order(req):
    """Cancel your unpaid order: its payment is stopped and its items released (409 naming `status` once paid)."""
    from chalicelib.services import orders as order_service

    return order_service.cancel_order(req.principal.user_id, req.params["order_id"])


@route(bp, "/orders/{order_id}/pay", "POST", body=PayOrderBody, response=PayOrderOut, roles=SHOPPER, tags=("orders",),
       errors=(400, 401, 402, 403, 404, 409, 502, 503),
       headers=(HeaderDoc("Idempotency-Key", "Required, 8 to 128 characters: a new random value per payment "
                          "attempt, the same one when retrying it.", required=True),))
def pay_order(req):
    """Pay your unpaid order again with a saved card, on the same payment (402 with the reason when declined)."""
    from chalicelib.services import orders as order_service

    return order_service.pay_with_saved_card(req.principal.user_id, req.params["order_id"],
                                             req.body.payment_method_id, req.header("Idempotency-Key"),
                                             req.body.return_url)
