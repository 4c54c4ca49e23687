"""A vendor's money: its ledger (pages, CSV export), its balance, its payouts and sales per week.

Everything here is derived from the vendor's own ledger entries (chalicelib/domain/vendor_ledger.py),
read by the signed-in vendor's id only: no route takes a vendor id, so no vendor reads another's.
"""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

from chalicelib.domain import vendor_ledger as vl
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.ports import VendorLedger
from chalicelib.settings import get_settings

CSV_MAX_ROWS = 50_000  # a Lambda answer stays well below API Gateway's 6 MB with this many rows


def _ledger(ledger: VendorLedger | None) -> VendorLedger:
    if ledger is not None:
        return ledger
    from chalicelib.services.wiring import vendor_ledger

    return vendor_ledger()


def _period(since: str | None, until: str | None) -> tuple[str | None, str | None]:
    if since and until and since > until:
        raise InvalidInput("The period ends before it starts.", fields={"until": "before since"})
    return since, until


def entry_view(entry: vl.LedgerEntry) -> dict:
    return {"entry_id": entry.entry_id, "kind": entry.kind, "amount": {"amount": entry.amount,
                                                                      "currency": entry.currency},
            "order_id": entry.order_id, "provider_object_id": entry.provider_object_id, "at": entry.at,
            "details": entry.details}


def ledger_page(vendor_id: str, *, limit: int, cursor: str | None, since: str | None = None,
                until: str | None = None, ledger: VendorLedger | None = None) -> dict:
    since, until = _period(since, until)
    entries, next_cursor = _ledger(ledger).page(vendor_id, limit=limit, cursor=cursor, since=since, until=until)
    return {"items": [entry_view(e) for e in entries], "next_cursor": next_cursor}


def ledger_csv(vendor_id: str, *, since: str | None = None, until: str | None = None,
               ledger: VendorLedger | None = None) -> str:
    """The ledger as CSV (oldest first), every text cell guarded against formula injection."""
    since, until = _period(since, until)
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(vl.CSV_COLUMNS)
    for count, entry in enumerate(_ledger(ledger).entries(vendor_id, since=since, until=until)):
        if count >= CSV_MAX_ROWS:
            raise InvalidInput(f"More than {CSV_MAX_ROWS} entries: export a shorter period.",
                               code="period_too_long", fields={"since": "narrow the period"})
        if entry.kind == vl.PAYOUT_RELEASE:
            continue  # a marker, not money
        writer.writerow(vl.csv_row(entry))
    return out.getvalue()


def balance(vendor_id: str, *, ledger: VendorLedger | None = None, currency: str | None = None) -> dict:
    currency = currency or get_settings().currency
    return vl.balance(_ledger(ledger).entries(vendor_id), currency).to_json()


def payouts(vendor_id: str, *, ledger: VendorLedger | None = None, weeks: int = 12,
            today: date | None = None, currency: str | None = None) -> dict:
    """Transfers made (with what was reversed of them) and payouts due or pending, per order; sales per week."""
    entries = list(_ledger(ledger).entries(vendor_id))
    currency = currency or get_settings().currency
    transfers: dict[str, dict] = {}
    owed: dict[str, int] = {}
    released: set[str] = set()
    for entry in entries:
        if entry.kind == vl.PAYOUT_RELEASE:
            released.add(entry.order_id)
            continue
        owed[entry.order_id] = owed.get(entry.order_id, 0) + entry.amount
        if entry.kind == vl.TRANSFER:
            transfers[entry.provider_object_id or entry.entry_id] = {
                "transfer_id": entry.provider_object_id, "order_id": entry.order_id, "at": entry.at,
                "amount": {"amount": -entry.amount, "currency": entry.currency},
                "reversed": {"amount": 0, "currency": entry.currency}}
    for entry in entries:
        made = transfers.get(entry.details.get("transfer_id") or "") if entry.kind == vl.TRANSFER_REVERSAL else None
        if made is not None:
            made["reversed"]["amount"] += entry.amount
    due = [{"order_id": order_id, "amount": {"amount": amount, "currency": currency},
            "status": "due" if order_id in released else "awaiting_delivery"}
           for order_id, amount in owed.items() if amount > 0]
    return {"transfers": sorted(transfers.values(), key=lambda t: t["at"], reverse=True),
            "due": sorted(due, key=lambda d: d["order_id"]),
            "sales_per_week": vl.sales_per_week(entries, weeks=weeks, today=today or datetime.now(UTC).date()),
            "currency": currency}
