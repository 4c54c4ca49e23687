"""POST /checkout: the cart becomes an order holding its stock, and a payment to make."""

from chalice import Blueprint
from pydantic import ConfigDict, Field

from chalicelib.api import HeaderDoc, route
from chalicelib.handlers.addresses import AddressIn
from chalicelib.handlers.orders import OrderOut
from chalicelib.schema import ApiModel, CountryCode, Text, bounded

bp = Blueprint(__name__)


class CheckoutBody(ApiModel):
    model_config = ConfigDict(extra="forbid")

    address: AddressIn | None = Field(None, description="where to deliver (kept in your address book); "
                                                        "this or address_id is required")
    address_id: str | None = Field(None, pattern=r"^[A-Za-z0-9_-]{1,64}$",
                                   description="a saved address of yours; this or address is required")
    country: CountryCode | None = Field(None, description="optional: must be the address's country "
                                                          "(which decides the VAT rate)")
    save_card: bool = False
    payment_method_id: str | None = Field(None, pattern=r"^pm_[A-Za-z0-9_]{1,200}$",
                                          description="a saved card of yours, charged now")
    return_url: bounded(Text, max_length=2048) | None = Field(None, description="where the payment page sends you back")


class PaymentOut(ApiModel):
    provider: str = Field(description="stripe | local")
    payment_intent_id: str
    status: str | None = Field(None, description="the payment's state as this checkout left it: requires_action "
                                                 "(a saved card whose bank asks to authenticate: open "
                                                 "payment_page_url), processing, succeeded, requires_payment_method; "
                                                 "null when an unpaid order was resumed")
    client_secret: str | None
    payment_page_url: str | None = Field(description="the local provider's card page; null with Stripe.js")
    publishable_key: str | None


class CheckoutOut(ApiModel):
    order: OrderOut
    payment: PaymentOut


@route(bp, "/checkout", "POST", body=CheckoutBody, response=CheckoutOut, roles=("shopper",), status=201,
       tags=("checkout",), errors=(400, 401, 402, 403, 409, 422, 500, 502, 503),
       headers=(HeaderDoc("Idempotency-Key", "Required, 8 to 128 characters: a new random value per checkout "
                          "attempt, the same one when retrying it (same key -> same order).", required=True),))
def checkout(req):
    """Place the order for your cart (Idempotency-Key header required) and get the payment to complete."""
    from chalicelib.services import checkout as checkout_service

    return checkout_service.checkout(
        shopper_id=req.principal.user_id,
        email=req.principal.claims.get("email"),
        idempotency_key=req.header("Idempotency-Key"),
        body=req.body.model_dump(mode="json", exclude_none=True),
        lambda_context=getattr(bp, "lambda_context", None),
    )
