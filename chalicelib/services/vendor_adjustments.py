"""Admin corrections of a vendor's money: an `adjustment` entry in its ledger, once per Idempotency-Key.

An adjustment is what an admin books by hand (a goodwill credit, a fee taken back, a correction after
a reconciliation mismatch): signed in the vendor's sign (+ the platform owes it more), in the
platform's currency, with a reason, optionally naming one of the vendor's orders. It is one
conditional put of an entry whose id is derived from (vendor, key) (chalicelib/domain/vendor_ledger.py),
so a retried request books it once; the same key with another body is a 422. It changes no order,
so it is not part of an order transaction. The vendor sees it in its ledger and CSV export at once;
its balance counts it as available (nothing waits on a delivery). No transfer is made for it: the
order payouts move only what orders earned, so a positive adjustment is paid (or a negative one
recovered) by the operator outside them, and reconciliation lists adjustments for that review.
"""

from __future__ import annotations

from chalicelib.domain import vendor_ledger as vl
from chalicelib.domain.catalog import is_valid_id
from chalicelib.domain.errors import InvalidInput, NotFound, Unprocessable
from chalicelib.domain.ports import OrderRepository, VendorLedger
from chalicelib.domain.timestamps import now_iso
from chalicelib.observability import count, logger
from chalicelib.settings import get_settings

IDEMPOTENCY_KEY_MIN, IDEMPOTENCY_KEY_MAX = 8, 128


def _check_key(key: str | None) -> str:
    if key is None or not (IDEMPOTENCY_KEY_MIN <= len(key) <= IDEMPOTENCY_KEY_MAX) or not key.isprintable():
        raise InvalidInput(
            f"Send an Idempotency-Key header of {IDEMPOTENCY_KEY_MIN} to {IDEMPOTENCY_KEY_MAX} characters (a new "
            "random value per adjustment, the same one when retrying it).", code="idempotency_key_required",
            fields={"Idempotency-Key": f"required, {IDEMPOTENCY_KEY_MIN}-{IDEMPOTENCY_KEY_MAX} characters"})
    return key


def book_adjustment(vendor_id: str, *, amount: int, currency: str, reason: str, order_id: str | None,
                    idempotency_key: str | None, admin_id: str, ledger: VendorLedger | None = None,
                    orders: OrderRepository | None = None) -> tuple[dict, bool]:
    """Book the adjustment once; returns (the entry as the vendor's ledger shows it, created)."""
    from chalicelib.services import wiring
    from chalicelib.services.vendor_money import entry_view
    from chalicelib.store.vendors import get_vendor

    key = _check_key(idempotency_key)
    if not is_valid_id(vendor_id) or get_vendor(vendor_id) is None:
        raise NotFound("No such vendor.", fields={"vendor_id": "unknown"})
    entry = vl.adjustment(vendor_id=vendor_id, amount=amount, currency=currency,
                          platform_currency=get_settings().currency, reason=reason, order_id=order_id,
                          idempotency_key=key, at=now_iso(), by=admin_id)
    if order_id:
        order = (orders or wiring.order_repository()).get(order_id) if is_valid_id(order_id) else None
        if order is None or vendor_id not in order.vendor_orders:
            # Another vendor's order reads like one that does not exist.
            raise InvalidInput("The adjustment can only name one of this vendor's orders.",
                               fields={"order_id": "not an order of this vendor"})
    stored, created = (ledger or wiring.vendor_ledger()).put_new(entry)
    if not created and (stored.amount, stored.currency, stored.order_id, stored.details.get("reason")) != (
            entry.amount, entry.currency, entry.order_id, entry.details["reason"]):
        raise Unprocessable("This Idempotency-Key was already used for another adjustment; use a new key.",
                            code="idempotency_key_reused", fields={"Idempotency-Key": "already used with another body"})
    if created:
        count("VendorAdjustmentsBooked", 1)
        logger.info("vendor adjustment booked", extra={"vendor_id": vendor_id, "entry_id": stored.entry_id,
                                                       "amount": stored.amount, "admin_id": admin_id})
    return entry_view(stored), created
