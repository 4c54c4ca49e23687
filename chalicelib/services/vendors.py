"""Vendor use cases: a vendor's shop record (created at sign-up), and the check that a caller has one."""

from __future__ import annotations

from chalicelib.domain.catalog import is_valid_id
from chalicelib.domain.errors import Forbidden, InvalidInput
from chalicelib.domain.ports import OfferCatalogue
from chalicelib.observability import logger
from chalicelib.store import vendors as vendors_store

VENDOR_NAME_MIN, VENDOR_NAME_MAX = 2, 80


def register_vendor(vendor_id: str, name: str) -> dict:
    """Create the vendor's shop record (idempotent; a different name renames it)."""
    name = " ".join(str(name or "").split())
    if not is_valid_id(vendor_id):
        raise InvalidInput("A vendor id is required.", fields={"vendor_id": "required"})
    if not VENDOR_NAME_MIN <= len(name) <= VENDOR_NAME_MAX:
        raise InvalidInput("The shop name is invalid.",
                           fields={"name": f"must be {VENDOR_NAME_MIN} to {VENDOR_NAME_MAX} characters"})
    item, created = vendors_store.put_vendor(vendor_id, name)
    if created:
        logger.info("vendor registered", extra={"vendor_id": vendor_id})
    return {"vendor_id": vendor_id, "name": name, "created": created}


def registered_vendor(vendor_id: str, *, catalogue: OfferCatalogue | None = None) -> vendors_store.VendorItem:
    vendor = (catalogue.get_vendor if catalogue is not None else vendors_store.get_vendor)(vendor_id)
    if vendor is None:
        raise Forbidden("Your account has no shop on Halles yet.", code="vendor_not_registered",
                        fields={"vendor": "no shop is registered for this account"})
    return vendor
