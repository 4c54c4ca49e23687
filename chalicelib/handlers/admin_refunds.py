"""Admin "Refunds": case refunds that failed, and transfer reversals and top-ups the provider refused,
oldest first; retry one (a new idempotency key) or resolve it as settled outside the platform, with a note."""

from typing import Literal

from chalice import Blueprint
from pydantic import ConfigDict, Field

from chalicelib.api import route
from chalicelib.schema import ApiModel, MultilineText, QueryModel, bounded

bp = Blueprint(__name__)
ADMIN = ("admin",)
TAGS = ("admin",)


class Money(ApiModel):
    amount: int = Field(description="Minor units (cents)")
    currency: str


class RefundsQuery(QueryModel):
    status: Literal["failed"] = Field("failed", description="failed: case refunds failed and reversals refused")
    limit: int = Field(50, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2048)


class AttentionItem(ApiModel):
    kind: str = Field(description="refund (a case refund failed) | reversal (a transfer reversal refused) | "
                                  "top_up (a transfer giving the vendor back its money after a refund failed, refused)")
    order_id: str
    order_number: str
    vendor_id: str
    vendor_name: str
    case_id: str | None = Field(description="The return or claim refunded; null for a reversal or a top-up")
    amount: Money = Field(description="The refund's amount, what is still due back from the vendor (reversal), "
                                      "or what the vendor is still owed (top-up)")
    failure_code: str | None
    failed_at: str
    attempts: int = Field(description="How many times it was tried and refused")
    actions: list[str] = Field(description="retry | resolve")


class AttentionList(ApiModel):
    items: list[AttentionItem]
    next_cursor: str | None


ResolutionNote = bounded(MultilineText, 3, 1000)


class ResolveIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    note: ResolutionNote = Field(description="How it was settled outside the platform")
    borne_by: Literal["platform", "vendor"] = Field(
        "platform", description="Who pays for it: the platform (nothing moves) or the vendor (it bears it as "
                                "the refund would have: booked as its refund, its payout still due reduced or "
                                "its transfer reversed)")


class CaseRefundOut(ApiModel):
    order_id: str
    order_number: str
    vendor_id: str
    case_id: str
    amount: Money
    status: str = Field(description="requested | succeeded | pending | failed | resolved")
    refund_id: str | None
    failure_code: str | None
    attempt: int
    resolution: dict | None = Field(description="{note, by, at, borne_by, vendor_charged?} once resolved outside "
                                                "the platform")


class ReversalOut(ApiModel):
    order_id: str
    vendor_id: str
    transferred: Money = Field(description="What the vendor holds of the order now (net of reversals)")
    still_due: Money = Field(description="0 once the reversal went through")
    failure_code: str | None
    settled_outside: Money | None = Field(None, description="What the admin settled outside the platform")
    borne_by: str | None = Field(None, description="platform | vendor, once settled outside the platform")


class ResolveReversalIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    note: ResolutionNote = Field(description="How it was settled outside the platform")
    borne_by: Literal["platform", "vendor"] = Field(
        description="vendor: it paid the money back another way; platform: written off")


class TopUpOut(ApiModel):
    order_id: str
    vendor_id: str
    transferred: Money = Field(description="What the vendor holds of the order now (net of reversals)")
    still_owed: Money = Field(description="0 once the top-up went through")
    failure_code: str | None
    settled_outside: Money | None = Field(None, description="What the admin paid the vendor outside the platform")


class ResolveTopUpIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    note: ResolutionNote = Field(description="How the vendor was paid outside the platform")


@route(bp, "/admin/refunds", query=RefundsQuery, response=AttentionList, roles=ADMIN, tags=TAGS,
       errors=(400, 401, 403), summary="Failed case refunds and refused transfer reversals, oldest first")
def admin_list_refunds(req):
    from chalicelib.services import refund_admin

    return AttentionList.model_validate(refund_admin.failed_refunds(limit=req.query.limit, cursor=req.query.cursor))


@route(bp, "/admin/refunds/{order_id}/{case_id}/retry", "POST", response=CaseRefundOut, roles=ADMIN, tags=TAGS,
       errors=(401, 403, 404, 409, 502), summary="Try a failed case refund again (a new attempt, a new key)")
def admin_retry_refund(req):
    from chalicelib.services import refund_admin

    return CaseRefundOut.model_validate(refund_admin.retry_refund(req.params["order_id"], req.params["case_id"]))


@route(bp, "/admin/refunds/{order_id}/{case_id}/resolve", "POST", body=ResolveIn, response=CaseRefundOut,
       roles=ADMIN, tags=TAGS, errors=(400, 401, 403, 404, 409),
       summary="Mark a failed case refund settled outside the platform, with a note")
def admin_resolve_refund(req):
    from chalicelib.services import refund_admin

    return CaseRefundOut.model_validate(refund_admin.resolve_refund(
        req.params["order_id"], req.params["case_id"], note=req.body.note, admin_id=req.principal.user_id,
        borne_by=req.body.borne_by))


@route(bp, "/admin/reversals/{order_id}/{vendor_id}/retry", "POST", response=ReversalOut, roles=ADMIN, tags=TAGS,
       errors=(401, 403, 404, 409, 502), summary="Try a refused transfer reversal again (what is still due)")
def admin_retry_reversal(req):
    from chalicelib.services import refund_admin

    return ReversalOut.model_validate(refund_admin.retry_reversal(req.params["order_id"], req.params["vendor_id"]))


@route(bp, "/admin/reversals/{order_id}/{vendor_id}/resolve", "POST", body=ResolveReversalIn, response=ReversalOut,
       roles=ADMIN, tags=TAGS, errors=(400, 401, 403, 404, 409),
       summary="Settle a refused transfer reversal outside the platform (paid back by the vendor, or written off)")
def admin_resolve_reversal(req):
    from chalicelib.services import refund_admin

    return ReversalOut.model_validate(refund_admin.resolve_reversal(
        req.params["order_id"], req.params["vendor_id"], note=req.body.note, borne_by=req.body.borne_by,
        admin_id=req.principal.user_id))


@route(bp, "/admin/top-ups/{order_id}/{vendor_id}/retry", "POST", response=TopUpOut, roles=ADMIN, tags=TAGS,
       errors=(401, 403, 404, 409, 502), summary="Try a refused top-up transfer again (what is still owed)")
def admin_retry_top_up(req):
    from chalicelib.services import refund_admin

    return TopUpOut.model_validate(refund_admin.retry_top_up(req.params["order_id"], req.params["vendor_id"]))


@route(bp, "/admin/top-ups/{order_id}/{vendor_id}/resolve", "POST", body=ResolveTopUpIn, response=TopUpOut,
       roles=ADMIN, tags=TAGS, errors=(400, 401, 403, 404, 409),
       summary="Record a refused top-up as paid to the vendor outside the platform, with a note")
def admin_resolve_top_up(req):
    from chalicelib.services import refund_admin

    return TopUpOut.model_validate(refund_admin.resolve_top_up(
        req.params["order_id"], req.params["vendor_id"], note=req.body.note, admin_id=req.principal.user_id))
