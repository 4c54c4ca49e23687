"""Return request routes (chalicelib/services/returns.py): the shopper asks for a return of delivered
units and sends them back; the vendor answers, receives and refunds; the platform decides the
returns a vendor left unanswered (escalated) and resolves failed refunds.

Only the order's shopper, the sub-order's vendor and admins see a return, by any id: anyone else
gets 404. The vendor is the signed-in principal, never a body field; bodies forbid unknown fields,
and no route takes an amount: refunds are computed from what the shopper paid.
"""

from typing import Literal

from chalice import Blueprint
from pydantic import ConfigDict, Field, model_validator

from chalicelib.api import HeaderDoc, json_response, route
from chalicelib.handlers.cart import MoneyOut
from chalicelib.handlers.catalog_models import ImageUploadIn, ImageUploadOut
from chalicelib.schema import ApiModel, MultilineText, QueryModel, StrictInteger, Text, bounded

bp = Blueprint(__name__)
SHOPPER, VENDOR, ADMIN = ("shopper",), ("vendor",), ("admin",)
TAGS = ("returns",)

Reason = Literal["damaged", "not_as_described", "wrong_item", "changed_mind", "arrived_late", "other"]
State = Literal["requested", "approved", "rejected", "escalated", "shipped_back", "received", "refunded",
                "refund_failed"]
IDEMPOTENCY = HeaderDoc("Idempotency-Key", "Optional, 8 to 128 characters: the same value when retrying the same "
                                           "request names the same return (it is not opened twice).")


class ReturnLineIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    line_id: bounded(Text, 1, 64, description="the order line's id (its offer id)") | None = None
    offer_id: bounded(Text, 1, 64) | None = None
    quantity: StrictInteger = Field(ge=1, le=1000)

    @model_validator(mode="after")
    def _one_id(self):
        if not (self.line_id or self.offer_id):
            raise ValueError("line_id (or offer_id) is required")
        if self.line_id and self.offer_id and self.line_id != self.offer_id:
            raise ValueError("line_id and offer_id name different lines")
        return self


class ReturnRequestIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    lines: list[ReturnLineIn] = Field(min_length=1, max_length=50)
    reason: Reason
    text: bounded(MultilineText, 0, 1000, description="what is wrong (required when the reason is other)") = ""
    photos: list[bounded(Text, 1, 200)] = Field(default_factory=list, max_length=5,
                                                description="keys of photos uploaded via /returns/photos/uploads")


class ShipBackIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    carrier: bounded(Text, 1, 60)
    tracking_number: bounded(Text, 1, 80)


class RejectIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    reason: bounded(Text, 1, 300, description="why (shown to the shopper)")


class ReceiveIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    restock: bool = Field(False, description="put the returned units back on sale")
    refund: bool = Field(True, description="refund the shopper now, by rule (else POST .../refund later)")


class RefundIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    restocking_percent: StrictInteger | None = Field(
        None, ge=0, le=50, description="a lower restocking fee than your rule (changed mind only); default: your rule")


class ReturnRulesIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    window_days: StrictInteger = Field(14, ge=14, le=365, description="days after delivery a return may be asked")
    restocking_percent: StrictInteger = Field(0, ge=0, le=50, description="deducted when the shopper changed mind")
    auto_approve_reasons: list[Reason] = Field(default_factory=list, max_length=6)
    auto_approve_below: StrictInteger | None = Field(None, ge=1, description="approve at once refunds below this "
                                                                             "(minor units)")


class ReturnRulesOut(ApiModel):
    window_days: int
    restocking_percent: int
    auto_approve_reasons: list[str]
    auto_approve_below: int | None


class PageQuery(QueryModel):
    limit: int = Field(50, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2048, description="next_cursor of the previous page")


class ReturnsQuery(PageQuery):
    state: State | None = Field(None, description="only returns in this state (most urgent first)")


class AdminReturnsQuery(PageQuery):
    state: Literal["escalated", "refund_failed"] = "escalated"


class ReturnLineOut(ApiModel):
    line_id: str
    offer_id: str
    title: str
    quantity: int


class ReturnStepOut(ApiModel):
    at: str
    state: str
    label: str


class ReturnOut(ApiModel):
    return_id: str
    order_id: str
    order_number: str
    vendor_id: str
    vendor_name: str
    state: State
    reason: Reason
    text: str
    lines: list[ReturnLineOut]
    photos: list[str] = Field(description="short-lived signed links to the photos")
    requested_at: str
    answer_due_at: str = Field(description="the vendor answers by then, or the platform decides")
    escalated_at: str | None
    label_reference: str | None = Field(description="write it on the parcel (given at approval)")
    rejection_reason: str | None
    decided_by: str | None = Field(description="vendor | admin | auto")
    carrier: str | None
    tracking_number: str | None
    restock: bool
    refund: MoneyOut | None = Field(description="what was refunded (once refunded)")
    refund_estimate: MoneyOut | None = Field(description="what the refund will be, by the vendor's rules")
    restocking_fee: MoneyOut | None
    refund_status: str | None = Field(description="the refund at the provider: requested | pending | succeeded | "
                                                  "failed")
    timeline: list[ReturnStepOut]
    allowed_actions: list[str] = Field(description="what you may do now")


class ReturnableOut(ApiModel):
    line_id: str
    offer_id: str
    quantity: int
    until: str


class OrderReturnsOut(ApiModel):
    items: list[ReturnOut]
    returnable: list[ReturnableOut] = Field(description="lines that may still be returned, and until when")


class ReturnList(ApiModel):
    items: list[ReturnOut]
    next_cursor: str | None = Field(None, description="pass it as `cursor` for the next page; null on the last")


def _view(data: dict) -> dict:
    return ReturnOut.model_validate(data).model_dump(mode="json")


# --- the shopper ---------------------------------------------------------------------------


@route(bp, "/returns/photos/uploads", "POST", body=ImageUploadIn, response=ImageUploadOut, roles=SHOPPER,
       status=201, tags=TAGS, errors=(400, 401, 403),
       summary="Start a return photo upload: a presigned S3 POST (JPEG, PNG or WebP, at most 5 MB, your prefix)")
def start_return_photo_upload(req):
    from chalicelib.services import returns

    upload = returns.start_photo_upload(req.principal.user_id, req.body.content_type)
    return json_response(ImageUploadOut.model_validate(upload).model_dump(mode="json"), 201, req.correlation_id)


@route(bp, "/orders/{order_id}/returns", "POST", body=ReturnRequestIn, response=ReturnOut, roles=SHOPPER,
       status=201, tags=TAGS, errors=(400, 401, 403, 404, 409), headers=(IDEMPOTENCY,),
       summary="Ask to return delivered units of one vendor's lines (within its return window)")
def request_return(req):
    from chalicelib.services import returns

    body = req.body
    view = returns.request_return(
        req.principal.user_id, req.params["order_id"],
        lines=[(line.line_id or line.offer_id, line.quantity) for line in body.lines], reason=body.reason,
        text=body.text, photos=list(body.photos), client_key=(req.header("Idempotency-Key") or None))
    return json_response(_view(view), 201, req.correlation_id)


@route(bp, "/orders/{order_id}/returns", response=OrderReturnsOut, roles=SHOPPER, tags=TAGS,
       errors=(401, 403, 404), summary="Your returns of this order, and what may still be returned")
def list_order_returns(req):
    from chalicelib.services import returns

    return OrderReturnsOut.model_validate(returns.list_order_returns(req.principal.user_id, req.params["order_id"]))


@route(bp, "/returns", query=PageQuery, response=ReturnList, roles=SHOPPER, tags=TAGS, errors=(400, 401, 403),
       summary="Your returns, newest first, a page at a time")
def list_my_returns(req):
    from chalicelib.services import returns

    return ReturnList.model_validate(returns.shopper_returns(req.principal.user_id, limit=req.query.limit,
                                                             cursor=req.query.cursor))


@route(bp, "/returns/{return_id}", response=ReturnOut, roles=("shopper", "vendor", "admin"), tags=TAGS,
       errors=(401, 403, 404), summary="One return with its timeline (its shopper, its vendor or an admin)")
def get_return(req):
    from chalicelib.services import returns

    return _view(returns.get_return(req.principal.roles, req.principal.user_id, req.params["return_id"]))


@route(bp, "/returns/{return_id}/ship-back", "POST", body=ShipBackIn, response=ReturnOut, roles=SHOPPER,
       tags=TAGS, errors=(400, 401, 403, 404, 409),
       summary="Say how you sent the approved return back (repeating the same tracking changes nothing)")
def ship_back_return(req):
    from chalicelib.services import returns

    return _view(returns.ship_back(req.principal.user_id, req.params["return_id"], carrier=req.body.carrier,
                                   tracking_number=req.body.tracking_number))


# --- the vendor ----------------------------------------------------------------------------


@route(bp, "/vendor/returns", query=ReturnsQuery, response=ReturnList, roles=VENDOR, tags=TAGS,
       errors=(400, 401, 403), summary="Your returns, by state, the most urgent deadline first")
def vendor_list_returns(req):
    from chalicelib.services import returns

    return ReturnList.model_validate(returns.vendor_returns(req.principal.user_id, state=req.query.state,
                                                            limit=req.query.limit, cursor=req.query.cursor))


def _vendor_step(req, step: str):
    from chalicelib.domain.returns import Actor
    from chalicelib.services import returns

    who, rid = req.principal.user_id, req.params["return_id"]
    if step == "approve":
        return _view(returns.approve(Actor.VENDOR, who, rid))
    if step == "reject":
        return _view(returns.reject(Actor.VENDOR, who, rid, reason=req.body.reason))
    if step == "receive":
        return _view(returns.receive(Actor.VENDOR, who, rid, restock=req.body.restock, refund=req.body.refund))
    return _view(returns.refund(Actor.VENDOR, who, rid, restocking_percent=req.body.restocking_percent))


@route(bp, "/vendor/returns/{return_id}/approve", "POST", response=ReturnOut, roles=VENDOR, tags=TAGS,
       errors=(401, 403, 404, 409), summary="Approve a return: the shopper gets the label reference (idempotent)")
def vendor_approve_return(req):
    return _vendor_step(req, "approve")


@route(bp, "/vendor/returns/{return_id}/reject", "POST", body=RejectIn, response=ReturnOut, roles=VENDOR,
       tags=TAGS, errors=(400, 401, 403, 404, 409), summary="Reject a return, saying why")
def vendor_reject_return(req):
    return _vendor_step(req, "reject")


@route(bp, "/vendor/returns/{return_id}/receive", "POST", body=ReceiveIn, response=ReturnOut, roles=VENDOR,
       tags=TAGS, errors=(400, 401, 403, 404, 409),
       summary="The parcel came back: restock it if you say so, and refund the shopper by rule (same step)")
def vendor_receive_return(req):
    return _vendor_step(req, "receive")


@route(bp, "/vendor/returns/{return_id}/refund", "POST", body=RefundIn, response=ReturnOut, roles=VENDOR,
       tags=TAGS, errors=(400, 401, 403, 404, 409),
       summary="Refund a received return: by rule, or with a lower restocking fee (never an amount)")
def vendor_refund_return(req):
    return _vendor_step(req, "refund")


@route(bp, "/vendor/return-rules", response=ReturnRulesOut, roles=VENDOR, tags=TAGS, errors=(401, 403),
       summary="Your return rules: window, restocking fee, auto-approval")
def vendor_get_return_rules(req):
    from chalicelib.services import returns

    return ReturnRulesOut.model_validate(returns.get_rules(req.principal.user_id))


@route(bp, "/vendor/return-rules", "PUT", body=ReturnRulesIn, response=ReturnRulesOut, roles=VENDOR, tags=TAGS,
       errors=(400, 401, 403), summary="Set your return rules (applied to the returns asked from now on)")
def vendor_put_return_rules(req):
    from chalicelib.services import returns

    return ReturnRulesOut.model_validate(returns.put_rules(req.principal.user_id, req.body.model_dump(mode="json")))


# --- the platform --------------------------------------------------------------------------


@route(bp, "/admin/returns", query=AdminReturnsQuery, response=ReturnList, roles=ADMIN, tags=TAGS,
       errors=(400, 401, 403), summary="Returns waiting for the platform: escalated (decide) or refund_failed")
def admin_list_returns(req):
    from chalicelib.services import returns

    return ReturnList.model_validate(returns.admin_returns(req.query.state, limit=req.query.limit,
                                                           cursor=req.query.cursor))


@route(bp, "/admin/returns/{return_id}/approve", "POST", response=ReturnOut, roles=ADMIN, tags=TAGS,
       errors=(401, 403, 404, 409), summary="Approve a return for the platform")
def admin_approve_return(req):
    from chalicelib.domain.returns import Actor
    from chalicelib.services import returns

    return _view(returns.approve(Actor.ADMIN, req.principal.user_id, req.params["return_id"]))


@route(bp, "/admin/returns/{return_id}/reject", "POST", body=RejectIn, response=ReturnOut, roles=ADMIN,
       tags=TAGS, errors=(400, 401, 403, 404, 409), summary="Reject a return for the platform, saying why")
def admin_reject_return(req):
    from chalicelib.domain.returns import Actor
    from chalicelib.services import returns

    return _view(returns.reject(Actor.ADMIN, req.principal.user_id, req.params["return_id"],
                                reason=req.body.reason))


@route(bp, "/admin/returns/{return_id}/refund", "POST", body=RefundIn, response=ReturnOut, roles=ADMIN,
       tags=TAGS, errors=(400, 401, 403, 404, 409), summary="Refund a received return for the platform, by rule")
def admin_refund_return(req):
    from chalicelib.domain.returns import Actor
    from chalicelib.services import returns

    return _view(returns.refund(Actor.ADMIN, req.principal.user_id, req.params["return_id"],
                                restocking_percent=req.body.restocking_percent))
