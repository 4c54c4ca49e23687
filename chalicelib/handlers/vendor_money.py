"""The vendor's money: ledger (JSON pages and CSV), balance, payouts. The vendor is always the
signed-in principal: no route takes a vendor id, so another vendor's ledger is unreachable."""

from typing import Annotated

from chalice import Blueprint, Response
from pydantic import Field, StringConstraints

from chalicelib.api import route
from chalicelib.handlers.cart import MoneyOut
from chalicelib.schema import ApiModel, QueryModel

bp = Blueprint(__name__)
VENDOR = ("vendor",)

# A day (2026-11-27) or a moment (2026-11-27T10:00:00Z): compared as a prefix of the entries' ISO time.
PeriodBound = Annotated[str, StringConstraints(pattern=r"^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2})?Z?)?$")]


class PeriodQuery(QueryModel):

    since: PeriodBound | None = Field(None, description="From this day or moment (ISO, UTC), inclusive")
    until: PeriodBound | None = Field(None, description="Up to this day or moment (ISO, UTC), inclusive")


class LedgerQuery(PeriodQuery):
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = Field(None, max_length=2048)


class LedgerEntryOut(ApiModel):
    entry_id: str
    kind: str = Field(description="sale | commission | transfer | refund | transfer_reversal | dispute | adjustment "
                                  "| payout_release (a marker, amount 0: the order's payout is released)")
    amount: MoneyOut = Field(description="Signed, minor units: + what the platform owes you more, - less")
    order_id: str
    provider_object_id: str | None
    at: str
    details: dict


class LedgerPage(ApiModel):
    items: list[LedgerEntryOut]
    next_cursor: str | None


class BalanceOut(ApiModel):
    currency: str
    pending: int = Field(description="Earned on orders not released yet (awaiting delivery), minor units")
    available: int = Field(description="Released, not transferred yet")
    paid_out: int = Field(description="Transferred to your payout account, net of reversals")
    earned: int = Field(description="Sales less commission, refunds and lost disputes")


class TransferOut(ApiModel):
    transfer_id: str | None
    order_id: str
    at: str
    amount: MoneyOut
    reversed: MoneyOut


class DueOut(ApiModel):
    order_id: str
    amount: MoneyOut
    status: str = Field(description="due (released, being paid) | awaiting_delivery")


class WeekOut(ApiModel):
    week: str = Field(description="The week's Monday, YYYY-MM-DD")
    sales: int
    net: int


class PayoutsOut(ApiModel):
    currency: str
    transfers: list[TransferOut]
    due: list[DueOut]
    sales_per_week: list[WeekOut]


@route(bp, "/vendor/ledger", query=LedgerQuery, response=LedgerPage, roles=VENDOR, tags=("vendor",),
       errors=(400, 401, 403), summary="Your ledger entries, newest first, optionally within a period")
def vendor_ledger(req):
    from chalicelib.services import vendor_money

    return LedgerPage.model_validate(vendor_money.ledger_page(
        req.principal.user_id, limit=req.query.limit, cursor=req.query.cursor, since=req.query.since,
        until=req.query.until))


@route(bp, "/vendor/ledger.csv", query=PeriodQuery, roles=VENDOR, tags=("vendor",), errors=(400, 401, 403),
       content_type="text/csv",
       summary="Your ledger as CSV (oldest first); text cells are guarded against spreadsheet formulas")
def vendor_ledger_csv(req):
    from chalicelib.services import vendor_money

    body = vendor_money.ledger_csv(req.principal.user_id, since=req.query.since, until=req.query.until)
    return Response(body=body, status_code=200, headers={
        "Content-Type": "text/csv; charset=utf-8", "X-Correlation-Id": req.correlation_id,
        "Content-Disposition": 'attachment; filename="halles-ledger.csv"', "Cache-Control": "no-store"})


@route(bp, "/vendor/balance", response=BalanceOut, roles=VENDOR, tags=("vendor",), errors=(401, 403),
       summary="Your balance derived from your ledger: pending, available, paid out")
def vendor_balance(req):
    from chalicelib.services import vendor_money

    return BalanceOut.model_validate(vendor_money.balance(req.principal.user_id))


@route(bp, "/vendor/payouts", response=PayoutsOut, roles=VENDOR, tags=("vendor",), errors=(401, 403),
       summary="Transfers made to you and payouts due, with your sales per week")
def vendor_payouts(req):
    from chalicelib.services import vendor_money

    return PayoutsOut.model_validate(vendor_money.payouts(req.principal.user_id))
