"""Admin routes on vendors: list (by approval status, paged), approve, suspend with a reason, reinstate."""

from typing import Literal

from chalice import Blueprint
from pydantic import ConfigDict, Field

from chalicelib.api import route
from chalicelib.handlers.vendor_onboarding import AccountOut, Profile
from chalicelib.schema import ApiModel, QueryModel, Text

bp = Blueprint(__name__)
ADMIN = ("admin",)
TAGS = ("admin",)


class VendorsQuery(QueryModel):
    status: Literal["pending", "approved", "suspended"] | None = None
    limit: int = Field(50, ge=1, le=100)
    cursor: str | None = Field(None, max_length=2048)


class SuspendIn(ApiModel):
    model_config = ConfigDict(extra="forbid")

    reason: Text = Field(min_length=3, max_length=500, description="Shown to the vendor")


class AdminVendor(ApiModel):
    vendor_id: str
    name: str
    created_at: str
    approval: str = Field(description="pending | approved | suspended")
    suspended_reason: str | None
    can_sell: bool
    onboarding_step: str
    profile: Profile | None
    account: AccountOut


class AdminVendorList(ApiModel):
    items: list[AdminVendor]
    next_cursor: str | None


@route(bp, "/admin/vendors", query=VendorsQuery, response=AdminVendorList, roles=ADMIN, tags=TAGS,
       errors=(400, 401, 403), summary="Vendors, optionally by approval status")
def admin_list_vendors(req):
    from chalicelib.services import vendor_admin

    return AdminVendorList.model_validate(
        vendor_admin.list_vendors(req.query.status, req.query.limit, req.query.cursor))


@route(bp, "/admin/vendors/{vendor_id}/approve", "POST", response=AdminVendor, roles=ADMIN, tags=TAGS,
       errors=(401, 403, 404, 409), summary="Approve a vendor (its offers go live once its payouts are ready)")
def admin_approve_vendor(req):
    from chalicelib.services import vendor_admin

    return AdminVendor.model_validate(vendor_admin.approve(_vendor_id(req), req.principal.user_id))


@route(bp, "/admin/vendors/{vendor_id}/suspend", "POST", body=SuspendIn, response=AdminVendor, roles=ADMIN,
       tags=TAGS, errors=(400, 401, 403, 404, 409), summary="Suspend a vendor: its offers are hidden at once")
def admin_suspend_vendor(req):
    from chalicelib.services import vendor_admin

    return AdminVendor.model_validate(vendor_admin.suspend(_vendor_id(req), req.body.reason, req.principal.user_id))


@route(bp, "/admin/vendors/{vendor_id}/reinstate", "POST", response=AdminVendor, roles=ADMIN, tags=TAGS,
       errors=(401, 403, 404, 409), summary="Lift a suspension")
def admin_reinstate_vendor(req):
    from chalicelib.services import vendor_admin

    return AdminVendor.model_validate(vendor_admin.reinstate(_vendor_id(req), req.principal.user_id))


def _vendor_id(req) -> str:
    from chalicelib.domain.catalog import is_valid_id
    from chalicelib.domain.errors import NotFound

    vendor_id = req.params["vendor_id"]
    if not is_valid_id(vendor_id):
        raise NotFound("No such vendor.", fields={"vendor_id": "unknown"})
    return vendor_id
