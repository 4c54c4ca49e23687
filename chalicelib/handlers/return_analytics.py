"""Return-cause analytics: the vendor's own figures, the admin's across vendors, and the consumer
that counts the published events (queue `return-analytics`).

The vendor route takes no vendor id: the vendor is the signed-in principal (or its API key), so
another vendor's figures are unreachable. Records are consumed by `sqs_batches.consume_batch`
(partial batch responses; a malformed one ends in the DLQ).
"""

from chalice import Blueprint
from pydantic import Field

from chalicelib.api import route
from chalicelib.domain.input_limits import ANALYTICS_MAX_WEEKS as MAX_WEEKS
from chalicelib.handlers.cart import MoneyOut
from chalicelib.handlers.sqs_batches import consume_batch
from chalicelib.schema import ApiModel, QueryModel

bp = Blueprint(__name__)
TAGS = ("analytics",)


class VendorReturnsQuery(QueryModel):
    weeks: int = Field(12, ge=1, le=MAX_WEEKS, description="How many ISO weeks, the current one included")


class AdminReturnsQuery(VendorReturnsQuery):
    vendor_id: str | None = Field(None, max_length=160, pattern=r"^[A-Za-z0-9_.:-]+$",
                                  description="Only this vendor (default: every vendor)")


class ReasonUnits(ApiModel):
    reason: str = Field(description="damaged | not_as_described | wrong_item | changed_mind | arrived_late | other")
    units: int


class FiguresOut(ApiModel):
    units_sold: int
    units_returned: int = Field(description="Units in return requests not rejected")
    returns: int = Field(description="Return requests not rejected")
    rejected: int = Field(description="Return requests the vendor rejected")
    return_rate: float | None = Field(description="units_returned / units_sold in the period; null without sales")
    reasons: list[ReasonUnits] = Field(description="Units returned per reason, every reason listed")
    refunded: list[MoneyOut] = Field(description="Refunded for these returns, per currency (minor units)")
    resolved: int = Field(description="Requests ended (refunded or rejected)")
    median_hours_to_resolve: float | None
    p90_hours_to_resolve: float | None


class WeekOut(FiguresOut):
    week: str = Field(description="ISO week, e.g. 2026-W48")
    starts: str = Field(description="Its Monday, YYYY-MM-DD")


class ProductOut(FiguresOut):
    vendor_id: str
    vendor_name: str
    product_id: str
    title: str


class VendorOut(FiguresOut):
    vendor_id: str
    vendor_name: str


class VendorReturnsReport(ApiModel):
    weeks: list[str] = Field(description="The period's ISO weeks, oldest first")
    totals: FiguresOut
    trend: list[WeekOut] = Field(description="One entry per week of the period, empty weeks included")
    products: list[ProductOut] = Field(description="Products with returns, highest return rate first (top 20)")


class AdminReturnsReport(VendorReturnsReport):
    vendors: list[VendorOut] = Field(description="Vendors with sales or returns, highest return rate first")


@route(bp, "/vendor/analytics/returns", query=VendorReturnsQuery, response=VendorReturnsReport, roles=("vendor",),
       tags=("vendor", *TAGS), errors=(400, 401, 403),
       summary="Your returns: rate, reasons, refunds, time to resolve, per week and per product")
def vendor_return_analytics(req):
    from chalicelib.services import return_analytics

    return VendorReturnsReport.model_validate(
        return_analytics.vendor_report(req.principal.user_id, weeks=req.query.weeks))


@route(bp, "/admin/analytics/returns", query=AdminReturnsQuery, response=AdminReturnsReport, roles=("admin",),
       tags=("admin", *TAGS), errors=(400, 401, 403, 404),
       summary="Returns across vendors (or one): rates, reasons, refunds, top products by return rate")
def admin_return_analytics(req):
    from chalicelib.services import return_analytics

    return AdminReturnsReport.model_validate(
        return_analytics.platform_report(vendor_id=req.query.vendor_id, weeks=req.query.weeks))


@bp.on_sqs_message(queue="return-analytics", batch_size=10, name="return_analytics_consumer")
def return_analytics_consumer(event):
    from chalicelib.services import return_analytics

    return consume_batch(
        event, kind="analytics",
        parse=return_analytics.CountedEnvelope.model_validate,
        log_keys=lambda envelope: {"event_type": envelope.type, "event_id": envelope.event_id},
        handle=lambda envelope, _context: return_analytics.handle(envelope),
    )
