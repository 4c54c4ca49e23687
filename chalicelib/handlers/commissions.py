"""Admin: the platform's commission rules and the ledger's reconciliation with the payment provider."""

from typing import Any

from chalice import Blueprint
from pydantic import ConfigDict, Field

from chalicelib.api import route
from chalicelib.schema import ApiModel, StrictInteger

bp = Blueprint(__name__)
ADMIN = ("admin",)


class CommissionRulesIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    default_bps: StrictInteger = Field(description="Platform default, basis points (1000 = 10 %), 0..5000")
    categories: dict[str, StrictInteger] = Field(default_factory=dict,
                                                 description="Category slug -> basis points, 0..5000")
    vendors: dict[str, StrictInteger] = Field(default_factory=dict,
                                              description="Vendor id -> basis points, 0..5000 (wins over category)")
    version: StrictInteger | None = Field(None, description="The version you read: a concurrent edit is a 409")


class CommissionRulesOut(ApiModel):
    default_bps: int
    categories: dict[str, int]
    vendors: dict[str, int]
    version: int
    updated_at: str | None


class Mismatch(ApiModel):
    vendor_id: str
    order_id: str
    provider_object_id: str | None
    problem: str = Field(description="missing_at_provider | amount_differs | currency_differs | destination_differs"
                                     " | reversed_amount_differs | refund_not_made")
    ledger_amount: int | None
    provider_amount: int | None
    detail: str


class ReconciliationQuery(ApiModel):
    model_config = ConfigDict(extra="ignore")

    vendor_id: str | None = Field(None, max_length=128, pattern=r"^[A-Za-z0-9_.:@-]+$",
                                  description="Only this vendor's entries")


class ReconciliationOut(ApiModel):
    reconciled: bool
    checked: dict[str, Any]
    mismatches: list[Mismatch]


@route(bp, "/admin/commissions", response=CommissionRulesOut, roles=ADMIN, tags=("admin",), errors=(401, 403),
       summary="The commission rules: platform default, per category, per vendor")
def admin_get_commissions(req):
    from chalicelib.services import commissions

    return CommissionRulesOut.model_validate(commissions.view())


@route(bp, "/admin/commissions", "PUT", body=CommissionRulesIn, response=CommissionRulesOut, roles=ADMIN,
       tags=("admin",), errors=(400, 401, 403, 409),
       summary="Replace the commission rules (orders already placed keep the rate frozen at checkout)")
def admin_put_commissions(req):
    from chalicelib.services import commissions

    return CommissionRulesOut.model_validate(commissions.update(req.principal.user_id, req.body.model_dump()))


@route(bp, "/admin/reconciliation", query=ReconciliationQuery, response=ReconciliationOut, roles=ADMIN,
       tags=("admin",), errors=(400, 401, 403, 502, 503),
       summary="Compare the vendor ledger with the payment provider's transfers, reversals and refunds")
def admin_reconciliation(req):
    from chalicelib.services import reconciliation

    return ReconciliationOut.model_validate(reconciliation.reconcile(vendor_id=req.query.vendor_id))
