"""The vendor ledger: an append-only list of every money movement of a vendor, and what is derived
from it (balances, sales per week, the CSV export, the reconciliation with the provider).

Signs are the vendor's: what the platform owes the vendor grows with a `sale` and shrinks with the
`commission`, a `refund` or a lost `dispute` (each net of the commission it gives back: the
commission share is its own `commission` entry, positive), an `adjustment` either way; a `transfer`
moves money to the vendor's connected account (negative: the platform owes that much less) and a
`transfer_reversal` takes it back (positive). So at any time

    sum(sale, commission, refund, dispute, adjustment) = what the vendor is entitled to (domain/ledger.py)
    -(sum(transfer, transfer_reversal))               = paid out (net transferred)
    sum(every entry)                                   = still owed to the vendor (negative: a reversal due)

`payout_release` is a marker (amount 0): from then on the order's balance is payable (on delivery,
or at payment with HALLES_PAYOUT_RELEASE=at_payment); before it the balance is pending.

Entries are written by the repository in the same transaction as the order change that causes them
(the aggregate returns them with its state change), each put only where its id does not exist yet,
so a retried change writes it once. An entry's id is derived from what it records
(`<order>:<vendor>:<kind>:<provider object>`), never from the time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.input_limits import ADJUSTMENT_MAX
from chalicelib.domain.input_limits import ADJUSTMENT_REASON_MAX as REASON_MAX
from chalicelib.domain.input_limits import ADJUSTMENT_REASON_MIN as REASON_MIN

SALE = "sale"
COMMISSION = "commission"
TRANSFER = "transfer"
REFUND = "refund"
TRANSFER_REVERSAL = "transfer_reversal"
DISPUTE = "dispute"
ADJUSTMENT = "adjustment"
PAYOUT_RELEASE = "payout_release"
KINDS = (SALE, COMMISSION, TRANSFER, REFUND, TRANSFER_REVERSAL, DISPUTE, ADJUSTMENT, PAYOUT_RELEASE)
EARNING_KINDS = frozenset({SALE, COMMISSION, REFUND, DISPUTE, ADJUSTMENT})
PAYOUT_KINDS = frozenset({TRANSFER, TRANSFER_REVERSAL})


@dataclass(frozen=True)
class LedgerEntry:
    """One signed movement of a vendor's money (minor units, the vendor's sign)."""

    entry_id: str
    vendor_id: str
    kind: str
    amount: int  # signed, minor units, the vendor's sign (see the module docstring)
    currency: str
    order_id: str
    at: str  # ISO UTC
    provider_object_id: str | None = None  # ch_..., tr_..., trr_..., re_..., dp_...
    details: dict = field(default_factory=dict)  # the rate applied, the sale's base...

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown ledger entry kind {self.kind!r}")
        if not isinstance(self.amount, int) or isinstance(self.amount, bool):
            raise ValueError("ledger amounts are integers in minor units")

    def to_json(self) -> dict:
        return {"entry_id": self.entry_id, "vendor_id": self.vendor_id, "kind": self.kind, "amount": self.amount,
                "currency": self.currency, "order_id": self.order_id, "at": self.at,
                "provider_object_id": self.provider_object_id, "details": dict(self.details)}

    @classmethod
    def from_json(cls, data: dict) -> LedgerEntry:
        return cls(entry_id=data["entry_id"], vendor_id=data["vendor_id"], kind=data["kind"],
                   amount=int(data["amount"]), currency=data["currency"], order_id=data["order_id"], at=data["at"],
                   provider_object_id=data.get("provider_object_id"), details=dict(data.get("details") or {}))


def entry_id(order_id: str, vendor_id: str, kind: str, reference: str | None = None) -> str:
    return ":".join(part for part in (order_id, vendor_id, kind, reference) if part)


# --- balances --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    """A vendor's money: pending, available, paid out."""

    currency: str
    pending: int  # earned on orders whose payout is not released yet (awaiting delivery)
    available: int  # released and not transferred yet (being paid, or waiting for the payout account)
    paid_out: int  # transferred, net of reversals
    earned: int  # pending + available + paid_out: sales less commission, refunds and lost disputes

    def to_json(self) -> dict:
        return {"currency": self.currency, "pending": self.pending, "available": self.available,
                "paid_out": self.paid_out, "earned": self.earned}


def balance(entries: Iterable[LedgerEntry], currency: str) -> Balance:
    """Derived from the entries alone, per order: an order's owed amount (earnings - net transferred)
    is available once its payout was released, pending before. A negative owed amount (a reversal due)
    counts against what is available. An adjustment counts as available at once, even one naming an order."""
    owed: dict[str, int] = {}
    released: set[str] = set()
    paid_out = 0
    earned = 0
    for entry in entries:
        if entry.currency != currency:
            continue
        if entry.kind == PAYOUT_RELEASE:
            released.add(entry.order_id)
            continue
        # An admin's adjustment waits for no delivery: it is available (or owed back) at once.
        bucket = entry.order_id if entry.kind != ADJUSTMENT else f"{ADJUSTMENT}:{entry.entry_id}"
        if entry.kind == ADJUSTMENT:
            released.add(bucket)
        owed[bucket] = owed.get(bucket, 0) + entry.amount
        if entry.kind in PAYOUT_KINDS:
            paid_out -= entry.amount
        else:
            earned += entry.amount
    pending = sum(amount for order_id, amount in owed.items() if order_id not in released)
    available = sum(amount for order_id, amount in owed.items() if order_id in released)
    return Balance(currency, pending, available, paid_out, earned)


# --- sales per week ----------------------------------------------------------------------------


def week_start(at_iso: str) -> str:
    """The Monday (ISO week) of an ISO timestamp, as YYYY-MM-DD."""
    day = datetime.fromisoformat(at_iso.replace("Z", "+00:00")).date()
    return (day - timedelta(days=day.weekday())).isoformat()


def sales_per_week(entries: Iterable[LedgerEntry], *, weeks: int, today: date) -> list[dict]:
    """The last `weeks` weeks (oldest first, empty weeks included): gross sales and net earnings."""
    monday = today - timedelta(days=today.weekday())
    starts = [(monday - timedelta(weeks=n)).isoformat() for n in range(weeks - 1, -1, -1)]
    sales = dict.fromkeys(starts, 0)
    net = dict.fromkeys(starts, 0)
    for entry in entries:
        week = week_start(entry.at)
        if week not in sales:
            continue
        if entry.kind == SALE:
            sales[week] += entry.amount
        if entry.kind in EARNING_KINDS:
            net[week] += entry.amount
    return [{"week": week, "sales": sales[week], "net": net[week]} for week in starts]


# --- the CSV export ------------------------------------------------------------------------------

CSV_COLUMNS = ("at", "kind", "amount", "currency", "order_id", "provider_object_id", "entry_id")
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> str:
    """A cell a spreadsheet shows as text: a value starting like a formula (= + - @ tab CR) gets a
    leading apostrophe (OWASP's CSV injection advice). Amounts are written as plain numbers instead."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def format_amount(amount: int, exponent: int = 2) -> str:
    sign = "-" if amount < 0 else ""
    whole, frac = divmod(abs(amount), 10**exponent)
    return f"{sign}{whole}.{frac:0{exponent}d}"


def csv_row(entry: LedgerEntry) -> list[str]:
    """One export row. The amount is the one cell allowed to start with '-': it is a number we format."""
    return [csv_safe(entry.at), csv_safe(entry.kind), format_amount(entry.amount), csv_safe(entry.currency),
            csv_safe(entry.order_id), csv_safe(entry.provider_object_id or ""), csv_safe(entry.entry_id)]


# --- reconciliation with the provider --------------------------------------------------------------


@dataclass(frozen=True)
class ProviderTransfer:
    """A transfer as the provider has it."""

    transfer_id: str
    amount: int
    currency: str
    destination: str | None
    amount_reversed: int
    reversal_ids: frozenset[str] = frozenset()


@dataclass(frozen=True)
class ProviderRefund:
    """A refund as the payment provider reports it."""

    refund_id: str
    amount: int
    status: str


@dataclass(frozen=True)
class Mismatch:
    """A difference between a vendor's ledger and the payment provider's records."""

    vendor_id: str
    order_id: str
    provider_object_id: str | None
    problem: str  # missing_at_provider, amount_differs, reversed_amount_differs, ...
    ledger_amount: int | None = None
    provider_amount: int | None = None
    detail: str = ""

    def to_json(self) -> dict:
        return {"vendor_id": self.vendor_id, "order_id": self.order_id,
                "provider_object_id": self.provider_object_id, "problem": self.problem,
                "ledger_amount": self.ledger_amount, "provider_amount": self.provider_amount, "detail": self.detail}


def reconcile(entries: list[LedgerEntry], transfers: dict[str, ProviderTransfer | None],
              refunds: dict[str, ProviderRefund | None], accounts: dict[str, str | None]) -> list[Mismatch]:
    """Every difference between the ledger and the provider's objects it names.

    `transfers`/`refunds`: the provider's object for each id the ledger names (None: the provider has
    none); `accounts`: each vendor's connected account. Checks: each transfer exists, with the ledger's
    amount and currency, to the vendor's account; what the provider reversed equals the ledger's
    reversals of it, and each reversal the ledger names is one of the transfer's; each refund exists and
    did not fail.
    """
    mismatches: list[Mismatch] = []
    reversed_in_ledger: dict[str, int] = {}
    reversals_of: dict[str, list[LedgerEntry]] = {}
    for entry in entries:
        if entry.kind == TRANSFER_REVERSAL and entry.details.get("transfer_id"):
            transfer_id = entry.details["transfer_id"]
            reversed_in_ledger[transfer_id] = reversed_in_ledger.get(transfer_id, 0) + entry.amount
            reversals_of.setdefault(transfer_id, []).append(entry)
    for entry in entries:
        if entry.kind == TRANSFER:
            mismatches += _check_transfer(entry, transfers.get(entry.provider_object_id or ""),
                                          reversed_in_ledger.get(entry.provider_object_id or "", 0),
                                          reversals_of.get(entry.provider_object_id or "", []),
                                          accounts.get(entry.vendor_id))
        elif entry.kind == REFUND and entry.provider_object_id:
            refund = refunds.get(entry.provider_object_id)
            if refund is None:
                mismatches.append(Mismatch(entry.vendor_id, entry.order_id, entry.provider_object_id,
                                           "missing_at_provider", entry.amount, None, "refund"))
            elif refund.status in ("failed", "canceled"):
                mismatches.append(Mismatch(entry.vendor_id, entry.order_id, entry.provider_object_id,
                                           "refund_not_made", entry.amount, refund.amount, refund.status))
    return mismatches


def _check_transfer(entry: LedgerEntry, transfer: ProviderTransfer | None, reversed_amount: int,
                    reversals: list[LedgerEntry], account: str | None) -> list[Mismatch]:
    def mismatch(problem: str, ledger_amount=None, provider_amount=None, detail="") -> Mismatch:
        return Mismatch(entry.vendor_id, entry.order_id, entry.provider_object_id, problem, ledger_amount,
                        provider_amount, detail)

    if transfer is None:
        return [mismatch("missing_at_provider", -entry.amount, None, "transfer")]
    found = []
    if transfer.amount != -entry.amount:
        found.append(mismatch("amount_differs", -entry.amount, transfer.amount))
    if transfer.currency.upper() != entry.currency.upper():
        found.append(mismatch("currency_differs", detail=f"{entry.currency} != {transfer.currency.upper()}"))
    if account and transfer.destination != account:
        found.append(mismatch("destination_differs", detail=f"{transfer.destination} is not {account}"))
    if transfer.amount_reversed != reversed_amount:
        found.append(mismatch("reversed_amount_differs", reversed_amount, transfer.amount_reversed))
    for reversal in reversals:
        if transfer.reversal_ids and reversal.provider_object_id not in transfer.reversal_ids:
            found.append(Mismatch(reversal.vendor_id, reversal.order_id, reversal.provider_object_id,
                                  "missing_at_provider", reversal.amount, None, "transfer reversal"))
    return found


# --- an admin's adjustment -------------------------------------------------------------------------



def adjustment_entry_id(vendor_id: str, idempotency_key: str) -> str:
    """One adjustment per (vendor, Idempotency-Key): the id is derived from the key, never from the time."""
    digest = hashlib.sha256(f"{vendor_id}\n{idempotency_key}".encode()).hexdigest()[:24]
    return entry_id("", vendor_id, ADJUSTMENT, digest)


def adjustment(*, vendor_id: str, amount: int, currency: str, platform_currency: str, reason: str,
               order_id: str | None, idempotency_key: str, at: str, by: str) -> LedgerEntry:
    """An `adjustment` entry an admin books for a vendor (+ the platform owes it more, - less).

    Every wrong field at once (400 naming them): a zero or oversized amount, another currency than the
    platform's, a reason too short to explain the correction later.
    """
    errors: dict[str, str] = {}
    if not isinstance(amount, int) or isinstance(amount, bool) or amount == 0 or abs(amount) > ADJUSTMENT_MAX:
        errors["amount"] = f"a non-zero integer of minor units, at most {ADJUSTMENT_MAX} either way"
    if currency.upper() != platform_currency.upper():
        errors["currency"] = f"the platform's currency, {platform_currency.upper()}"
    reason = " ".join(str(reason or "").split())
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        errors["reason"] = f"{REASON_MIN} to {REASON_MAX} characters: why the correction is made"
    if errors:
        raise InvalidInput("The adjustment is not valid.", fields=errors)
    return LedgerEntry(entry_id=adjustment_entry_id(vendor_id, idempotency_key), vendor_id=vendor_id,
                       kind=ADJUSTMENT, amount=amount, currency=platform_currency.upper(), order_id=order_id or "",
                       at=at, details={"reason": reason, "by": by})
