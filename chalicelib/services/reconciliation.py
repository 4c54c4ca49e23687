"""Reconciliation: the vendor ledger against the payment provider's own objects.

For every transfer, transfer reversal and refund the ledger names, the provider's object is fetched
through the payment port and compared (chalicelib/domain/vendor_ledger.py `reconcile`); every
difference is listed, none is fixed automatically: a mismatch is for an operator to look at.
Run by the admin route `GET /admin/reconciliation` or `python -m chalicelib.services.reconciliation`.
"""

from __future__ import annotations

from chalicelib.domain import vendor_ledger as vl
from chalicelib.domain.ports import VendorLedger
from chalicelib.payments.port import PaymentGateway


def reconcile(*, ledger: VendorLedger | None = None, gateway: PaymentGateway | None = None,
              vendor_account=None, vendor_id: str | None = None) -> dict:
    """`vendor_account(vendor_id)` -> the vendor's connected account id (None: unknown)."""
    from chalicelib.services import wiring

    ledger = ledger or wiring.vendor_ledger()
    gateway = gateway or wiring.payment_gateway()
    if vendor_account is None:
        vendor_account = wiring.effect_runner(gateway).vendor_account
    entries = list(ledger.entries(vendor_id) if vendor_id else ledger.all_entries())
    transfers: dict[str, vl.ProviderTransfer | None] = {}
    refunds: dict[str, vl.ProviderRefund | None] = {}
    for entry in entries:
        object_id = entry.provider_object_id
        if entry.kind == vl.TRANSFER and object_id and object_id not in transfers:
            found = gateway.retrieve_transfer(object_id)
            transfers[object_id] = None if found is None else vl.ProviderTransfer(
                found.id, found.amount, found.currency, found.destination, found.amount_reversed,
                frozenset(found.reversal_ids))
        elif entry.kind == vl.REFUND and object_id and object_id not in refunds:
            refund = gateway.retrieve_refund(object_id)
            refunds[object_id] = None if refund is None else vl.ProviderRefund(refund.id, refund.amount, refund.status)
    vendors = sorted({e.vendor_id for e in entries})
    accounts = {v: vendor_account(v) for v in vendors}
    mismatches = vl.reconcile(entries, transfers, refunds, accounts)
    # Adjustments name no provider object (nothing to compare): counted, with their net per currency,
    # so a check also shows the corrections booked by hand.
    adjusted: dict[str, int] = {}
    for entry in entries:
        if entry.kind == vl.ADJUSTMENT:
            adjusted[entry.currency] = adjusted.get(entry.currency, 0) + entry.amount
    return {"checked": {"entries": len(entries), "transfers": len(transfers), "refunds": len(refunds),
                        "vendors": len(vendors),
                        "adjustments": sum(1 for e in entries if e.kind == vl.ADJUSTMENT),
                        "adjustments_net": adjusted},
            "mismatches": [m.to_json() for m in mismatches], "reconciled": not mismatches}


def main() -> int:
    import json

    result = reconcile()
    print(json.dumps(result, indent=2))
    return 0 if result["reconciled"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
