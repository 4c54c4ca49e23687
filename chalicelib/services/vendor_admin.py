"""Admin use cases on vendors: list them, approve, suspend (with a reason), reinstate.

Approval is one of the three conditions of a live vendor (chalicelib/domain/vendors.py
`can_sell`). Every transition is one conditional write from the states it allows; a repeat is a
no-op. When it changes whether the vendor sells, the listings of all its products are
recomputed at once (suspension hides its offers; the cart and checkout refuse them too).
"""

from __future__ import annotations

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.vendors import Approval
from chalicelib.observability import count, logger
from chalicelib.store import vendors as vendors_store

PAGE_MAX = 100


def vendor_view(item: vendors_store.VendorItem) -> dict:
    from chalicelib.services.onboarding import status_view

    status = status_view(item)
    return {
        "vendor_id": item.vendor_id,
        "name": item.name,
        "created_at": item.created_at.isoformat(),
        "approval": item.approval_status or Approval.PENDING.value,
        "suspended_reason": status["suspended_reason"],
        "can_sell": status["can_sell"],
        "onboarding_step": status["step"],
        "profile": item.profile or None,
        "account": status["account"],
    }


def list_vendors(status: str | None, limit: int, cursor: str | None) -> dict:
    items, next_cursor = vendors_store.list_vendors(status, min(max(limit, 1), PAGE_MAX), cursor)
    return {"items": [vendor_view(i) for i in items], "next_cursor": next_cursor}


def refresh_vendor_listings(vendor_id: str, *, catalogue=None) -> int:
    """Recompute the listing of every product the vendor offers (its offers appear or disappear)."""
    from chalicelib.services import wiring
    from chalicelib.services.product_summaries import refresh_product_summary

    catalogue = catalogue or wiring.offer_catalogue()
    product_ids: list[str] = []
    cursor = None
    while True:
        items, cursor = catalogue.vendor_offers(vendor_id, 100, cursor)
        product_ids.extend(o.product_id for o in items)
        if not cursor:
            break
    for product_id in dict.fromkeys(product_ids):
        refresh_product_summary(product_id, catalogue=catalogue)
    return len(product_ids)


def _transition(vendor_id: str, target: Approval, allowed_from: tuple[Approval, ...], reason: str | None,
                admin_id: str) -> dict:
    before = vendors_store.get_vendor(vendor_id)
    if before is None:
        raise NotFound("No such vendor.", fields={"vendor_id": "unknown"})
    current = Approval(before.approval_status or Approval.PENDING.value)
    if current is target and (target is not Approval.SUSPENDED or reason == before.approval_reason):
        return vendor_view(before)  # a repeat: nothing changes
    if current is not target and current not in allowed_from:
        hint = {Approval.SUSPENDED: "reinstate it instead", Approval.APPROVED: "it is approved already",
                Approval.PENDING: "approve it first"}[current]
        raise Conflict(f"This vendor is {current.value}: {hint}.", code="invalid_transition",
                       fields={"approval": current.value})
    sources = allowed_from + ((target,) if current is target else ())
    if not vendors_store.set_approval(vendor_id, target, sources, reason):
        raise Conflict("This vendor changed meanwhile; reload and try again.", code="concurrent_change",
                       fields={"approval": "changed"})
    after = vendors_store.get_vendor(vendor_id)
    if after.can_sell != before.can_sell:
        refresh_vendor_listings(vendor_id)
    logger.info("vendor approval changed", extra={"vendor_id": vendor_id, "from": current.value,
                                                  "to": target.value, "admin_id": admin_id})
    count("VendorApprovals", 1, to=target.value)
    _announce_approval(after, target, reason)
    return vendor_view(after)


def _announce_approval(vendor, target: Approval, reason: str | None) -> None:
    from chalicelib.domain.events import VendorApprovalChanged
    from chalicelib.events import publish_after_the_fact

    changed_at = vendor.approval_changed_at.isoformat() if vendor.approval_changed_at else ""
    publish_after_the_fact(VendorApprovalChanged(vendor_id=vendor.vendor_id, approval=target.value,
                                                 reason=reason or "", changed_at=changed_at))


def approve(vendor_id: str, admin_id: str) -> dict:
    return _transition(vendor_id, Approval.APPROVED, (Approval.PENDING,), None, admin_id)


def suspend(vendor_id: str, reason: str, admin_id: str) -> dict:
    return _transition(vendor_id, Approval.SUSPENDED, (Approval.APPROVED, Approval.PENDING), reason, admin_id)


def reinstate(vendor_id: str, admin_id: str) -> dict:
    return _transition(vendor_id, Approval.APPROVED, (Approval.SUSPENDED,), None, admin_id)
