"""Claims and disputes routes: the shopper's claims on an order, the vendor's answers, the admin's cases.

Who acts is always the signed-in principal, never a body field: a claim outside the caller's reach
(another shopper's order, another vendor's sub-order) is a 404 whatever the id. Amounts are computed
from the order's lines, never read from a body. Bodies forbid unknown fields.
"""

from typing import Literal

from chalice import Blueprint
from pydantic import ConfigDict, Field

from chalicelib.api import HeaderDoc, route
from chalicelib.handlers.cart import MoneyOut
from chalicelib.schema import ApiModel, MultilineText, QueryModel, StrictInteger, Text, bounded

bp = Blueprint(__name__)
TAGS = ("claims",)
SHOPPER, VENDOR, ADMIN = ("shopper",), ("vendor",), ("admin",)

Reason = Literal["not_received", "damaged", "not_as_described", "other"]
ResolutionKind = Literal["refund", "replacement", "rejection"]


class OpenClaimIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    vendor_id: bounded(Text, 1, 128, description="whose part of the order (a vendor of this order)")
    reason: Reason
    text: bounded(MultilineText, 0, 2000, description="what went wrong (required for `other`)") = ""


class LineIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    offer_id: bounded(Text, 1, 128, description="a line of the sub-order")
    quantity: StrictInteger = Field(ge=1, le=10_000)


class DecisionIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    resolution: ResolutionKind
    lines: list[LineIn] = Field(default_factory=list, max_length=100,
                                description="for a refund: the lines and quantities refunded (the amount is "
                                            "what the shopper paid for them)")
    reason: bounded(MultilineText, 0, 1000, description="required for a rejection") = ""


class ReplacementIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    carrier: bounded(Text, 1, 60)
    tracking_number: bounded(Text, 1, 80)
    tracking_url: bounded(Text, 1, 500, description="https:// link to the carrier's tracking page")


class EvidenceIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    product_description: bounded(MultilineText, 0, 5000) = ""
    customer_communication: bounded(MultilineText, 0, 5000) = ""
    shipping_carrier: bounded(Text, 0, 200) = ""
    shipping_tracking_number: bounded(Text, 0, 200) = ""
    shipping_date: bounded(Text, 0, 50) = ""
    refund_refusal_explanation: bounded(MultilineText, 0, 5000) = ""
    uncategorized_text: bounded(MultilineText, 0, 20000) = ""
    submit: bool = Field(False, description="true: send it to the bank now (final); false: save it for later")


class CasesQuery(QueryModel):
    kind: Literal["claim", "dispute", "all"] = "all"
    state: Literal["open", "escalated", "closed", "all"] = "open"
    limit: int = Field(50, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2048, description="next_cursor of the previous page")


class VendorCasesQuery(QueryModel):
    state: Literal["open", "all"] = "all"
    limit: int = Field(50, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2048, description="next_cursor of the previous page")


class HistoryOut(ApiModel):
    at: str
    state: str
    by: str
    note: str = ""


class DecisionOut(ApiModel):
    resolution: str
    amount: int
    lines: list[list]
    reason: str


class CaseOut(ApiModel):
    """A claim or a dispute as a case; fields of the other kind are null."""

    model_config = ConfigDict(defer_build=True, extra="ignore")

    kind: str = Field(description="claim | dispute")
    case_id: str
    order_id: str
    order_number: str | None = None
    state: str = Field(description="claim: opened | answered | escalated | resolved; dispute: Stripe's status")
    deadline: str | None = Field(None, description="claim: the vendor's answer deadline; dispute: evidence due by")
    allowed_actions: list[str] = Field(default_factory=list, description="what YOU may do now")
    history: list[HistoryOut] = Field(default_factory=list)
    # claims
    claim_id: str | None = None
    vendor_id: str | None = None
    vendor_name: str | None = None
    reason: str | None = None
    text: str | None = None
    opened_at: str | None = None
    currency: str | None = None
    answer: DecisionOut | None = None
    resolution: DecisionOut | None = None
    resolved_by: str | None = None
    escalated_by: str | None = None
    replacement_shipment: dict | None = None
    refund: dict | None = Field(None, description="the refund the claim made: {amount, status, ...}")
    lines: list[dict] = Field(default_factory=list, description="the sub-order's lines (claims)")
    # disputes
    dispute_id: str | None = None
    status: str | None = None
    amount: MoneyOut | None = None
    due_by: str | None = None
    vendors: list[dict] = Field(default_factory=list)
    payout_status: str | None = Field(None, description="vendor view of a dispute: held_dispute_open while open")


class CaseList(ApiModel):
    items: list[CaseOut]
    next_cursor: str | None = Field(None, description="pass it as `cursor` for the next page; null on the last")


class EvidenceOut(ApiModel):
    dispute_id: str
    status: str
    submitted: bool


def _case(data: dict) -> CaseOut:
    return CaseOut.model_validate(data)


def _role(principal) -> str:
    for role in ("admin", "vendor", "shopper"):
        if role in principal.roles:
            return role
    return "shopper"


# --- the shopper ---------------------------------------------------------------------------------


@route(bp, "/orders/{order_id}/claims", "POST", body=OpenClaimIn, response=CaseOut, roles=SHOPPER, status=201,
       tags=TAGS, errors=(400, 401, 403, 404, 409),
       headers=(HeaderDoc("Idempotency-Key", "Optional: the same value when retrying opens the same claim once."),),
       summary="Report a problem with one vendor's part of your order (one open claim per part)")
def open_claim(req):
    from chalicelib.services import claims

    key = (req.header("Idempotency-Key") or "")[:128]
    return _case(claims.open_claim(req.principal.user_id, req.params["order_id"], vendor_id=req.body.vendor_id,
                                   reason=req.body.reason, text=req.body.text, key=key))


@route(bp, "/orders/{order_id}/claims", response=CaseList, roles=SHOPPER, tags=TAGS, errors=(401, 403, 404),
       summary="Your claims on this order, newest first, with their timeline")
def list_order_claims(req):
    from chalicelib.services import claims

    return CaseList.model_validate(claims.list_order_claims(req.principal.user_id, req.params["order_id"]))


@route(bp, "/claims/{claim_id}", response=CaseOut, roles=("shopper", "vendor", "admin"), tags=TAGS,
       errors=(401, 403, 404), summary="One claim (its shopper, its vendor or an admin)")
def get_claim(req):
    from chalicelib.services import claims

    return _case(claims.get_claim(req.principal.user_id, _role(req.principal), req.params["claim_id"]))


@route(bp, "/claims/{claim_id}/accept", "POST", response=CaseOut, roles=SHOPPER, tags=TAGS,
       errors=(401, 403, 404, 409), summary="Accept the vendor's proposal: the claim is resolved as proposed")
def accept_claim(req):
    from chalicelib.services import claims

    return _case(claims.accept(req.principal.user_id, req.params["claim_id"]))


@route(bp, "/claims/{claim_id}/escalate", "POST", response=CaseOut, roles=SHOPPER, tags=TAGS,
       errors=(401, 403, 404, 409), summary="Ask Halles to decide (after the vendor's answer)")
def escalate_claim(req):
    from chalicelib.services import claims

    return _case(claims.escalate(req.principal.user_id, req.params["claim_id"]))


# --- the vendor ----------------------------------------------------------------------------------


@route(bp, "/vendor/claims", query=VendorCasesQuery, response=CaseList, roles=VENDOR, tags=TAGS,
       errors=(400, 401, 403),
       summary="Claims on your sub-orders and disputes on your orders (open first, with deadlines)")
def vendor_claims(req):
    from chalicelib.services import claims

    return CaseList.model_validate(claims.vendor_cases(req.principal.user_id, open_only=req.query.state == "open",
                                                       limit=req.query.limit, cursor=req.query.cursor))


@route(bp, "/vendor/claims/{claim_id}/answer", "POST", body=DecisionIn, response=CaseOut, roles=VENDOR, tags=TAGS,
       errors=(400, 401, 403, 404, 409),
       summary="Answer a claim: propose a refund (of lines), a replacement, or reject it with a reason")
def vendor_answer_claim(req):
    from chalicelib.services import claims

    return _case(claims.answer(req.principal.user_id, req.params["claim_id"], resolution=req.body.resolution,
                               lines=[line.model_dump() for line in req.body.lines], reason=req.body.reason))


@route(bp, "/vendor/claims/{claim_id}/replacement", "POST", body=ReplacementIn, response=CaseOut, roles=VENDOR,
       tags=TAGS, errors=(400, 401, 403, 404, 409),
       summary="Ship the replacement a claim was resolved with, with its tracking (once)")
def vendor_ship_replacement(req):
    from chalicelib.services import claims

    return _case(claims.ship_replacement(req.principal.user_id, req.params["claim_id"], carrier=req.body.carrier,
                                         tracking_number=req.body.tracking_number,
                                         tracking_url=req.body.tracking_url))


# --- the admin -----------------------------------------------------------------------------------


@route(bp, "/admin/cases", query=CasesQuery, response=CaseList, roles=ADMIN, tags=TAGS, errors=(400, 401, 403),
       summary="Claims and disputes for the platform, the nearest deadline first, a page at a time")
def admin_cases(req):
    from chalicelib.services import claims

    return CaseList.model_validate(claims.admin_cases(kind=req.query.kind, state=req.query.state,
                                                      limit=req.query.limit, cursor=req.query.cursor))


@route(bp, "/admin/claims/{claim_id}/resolve", "POST", body=DecisionIn, response=CaseOut, roles=ADMIN, tags=TAGS,
       errors=(400, 401, 403, 404, 409),
       summary="Decide an escalated claim: refund (of lines), replacement, or rejection with a reason")
def admin_resolve_claim(req):
    from chalicelib.services import claims

    return _case(claims.resolve(req.principal.user_id, req.params["claim_id"], resolution=req.body.resolution,
                                lines=[line.model_dump() for line in req.body.lines], reason=req.body.reason))


@route(bp, "/admin/disputes/{dispute_id}/evidence", "POST", body=EvidenceIn, response=EvidenceOut, roles=ADMIN,
       tags=TAGS, errors=(400, 401, 403, 404, 409, 502, 503),
       summary="Save or submit the platform's evidence for a dispute (Stripe Dispute.modify)")
def admin_dispute_evidence(req):
    from chalicelib.services import claims

    evidence = req.body.model_dump(exclude={"submit"})
    return EvidenceOut.model_validate(claims.submit_dispute_evidence(
        req.principal.user_id, req.params["dispute_id"], evidence=evidence, submit=req.body.submit))
