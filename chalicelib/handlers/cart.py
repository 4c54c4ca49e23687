"""The shopper's cart and its quote (GET /cart/quote has no side effects)."""

import re

from chalice import Blueprint
from pydantic import ConfigDict, Field

from chalicelib.api import route
from chalicelib.domain.cart_changes import ChangeReason
from chalicelib.domain.errors import NotFound
from chalicelib.domain.limits import MAX_LINE_QUANTITY
from chalicelib.schema import ApiModel, CountryCode, StrictInteger

bp = Blueprint(__name__)

SHOPPER = ("shopper",)
OFFER_ID_PATTERN = r"^[A-Za-z0-9_-]{1,100}$"


class MoneyOut(ApiModel):
    amount: int
    currency: str


class Change(ApiModel):
    """A difference between what the shopper added and the offer now; checkout refuses until accepted."""

    offer_id: str
    reason: ChangeReason
    message: str
    available: int | None = None
    before: MoneyOut | None = None
    now: MoneyOut | None = None


class CartLineOut(ApiModel):
    offer_id: str
    product_id: str
    vendor_id: str
    vendor_name: str
    title: str
    condition: str = Field("", description="new | refurbished | used")
    quantity: int
    unit_price: MoneyOut = Field(description="The offer's price (struck when a promotion applies)")
    promoted_unit_price: MoneyOut | None = Field(None, description="The price a promotion brings it to, if any")
    promotion_id: str | None = None
    shipping_fee: MoneyOut
    subtotal: MoneyOut = Field(description="quantity x the price paid (the promoted one when a promotion applies)")
    available: int
    in_stock: bool
    max_quantity: int


class CartOut(ApiModel):
    lines: list[CartLineOut]
    item_count: int
    changes: list[Change]


class SetQuantity(ApiModel):
    model_config = ConfigDict(extra="forbid")

    quantity: StrictInteger = Field(ge=0, le=MAX_LINE_QUANTITY,
                                  description=f"0 removes the line; at most {MAX_LINE_QUANTITY} and the stock")


class QuoteQuery(ApiModel):
    country: CountryCode = Field(default="DE", description="ISO 3166-1 alpha-2 delivery country")


class QuoteLine(ApiModel):
    offer_id: str
    product_id: str
    title: str
    quantity: int
    unit_price: MoneyOut = Field(description="The offer's price, before any promotion")
    promoted_unit_price: MoneyOut | None = Field(None, description="The price the best promotion brings it to")
    promotion_id: str | None = None
    subtotal: MoneyOut = Field(description="quantity x the price paid; the vendor's `discount` is what "
                                           "promotions took off its `items` (original prices)")


class QuoteVendor(ApiModel):
    vendor_id: str
    lines: list[QuoteLine]
    items: MoneyOut
    discount: MoneyOut
    shipping: MoneyOut
    total: MoneyOut


class QuoteOut(ApiModel):
    """Every amount the shopper pays, VAT included (`vat_included` is the VAT part of `total`)."""

    currency: str
    country: str
    vendors: list[QuoteVendor]
    items: MoneyOut
    discount: MoneyOut
    shipping: MoneyOut
    service_fee: MoneyOut
    vat_rate_bps: int
    vat_included: MoneyOut
    total: MoneyOut
    changes: list[Change]
    can_checkout: bool


def _offer_id(req) -> str:
    offer_id = req.params["offer_id"]
    if not re.match(OFFER_ID_PATTERN, offer_id):
        raise NotFound("This offer does not exist.", fields={"offer_id": "not found"})
    return offer_id


@route(bp, "/cart", "GET", response=CartOut, roles=SHOPPER, tags=("cart",), errors=(401, 403))
def get_cart(req):
    """Your cart, with each offer's current terms and what changed since you added it."""
    from chalicelib.services import cart as cart_service

    return cart_service.view_cart(req.principal.user_id)


@route(bp, "/cart/lines/{offer_id}", "PUT", body=SetQuantity, response=CartOut, roles=SHOPPER, tags=("cart",),
       errors=(400, 401, 403, 404, 409))
def put_cart_line(req):
    """Set how many of an offer you want (0 removes it); re-setting a line accepts its new terms."""
    from chalicelib.services import cart as cart_service

    return cart_service.set_line(req.principal.user_id, _offer_id(req), req.body.quantity)


@route(bp, "/cart/lines/{offer_id}", "DELETE", response=CartOut, roles=SHOPPER, tags=("cart",),
       errors=(401, 403, 409))
def delete_cart_line(req):
    """Remove an offer from your cart."""
    from chalicelib.services import cart as cart_service

    return cart_service.remove_line(req.principal.user_id, _offer_id(req))


@route(bp, "/cart/quote", "GET", query=QuoteQuery, response=QuoteOut, roles=SHOPPER, tags=("cart",),
       errors=(400, 401, 403, 422))
def get_quote(req):
    """What you would pay for delivery to `country`: items, shipping per vendor, fees, VAT, total. No side effects."""
    from chalicelib.services import cart as cart_service

    return cart_service.quote(req.principal.user_id, req.query.country)
