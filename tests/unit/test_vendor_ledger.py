"""The vendor ledger: what the order aggregate books where money moves, and what is derived from it."""

from __future__ import annotations

import csv
import io
from datetime import date

from chalicelib.domain import ledger
from chalicelib.domain import vendor_ledger as vl
from chalicelib.domain.orders import Dispute, Order, OrderLine, PaymentOutcome, Refund, VendorOrder

AT = "2026-11-27T03:00:00Z"


def paid_order(release: bool = False) -> Order:
    lines = [OrderLine("o1", "p1", "v1", "Alpine", "Tent", "new", 2, 1000, 300),
             OrderLine("o2", "p2", "v2", "Bytes", "Headphones", "used", 1, 500, 200)]
    vendors = [VendorOrder("v1", "Alpine", "EUR", 2000, 300, 0, 2300, 200, 2100, commission_bps=1000),
               VendorOrder("v2", "Bytes", "EUR", 500, 200, 0, 700, 50, 650, commission_bps=1000)]
    order, _ = Order.place(order_id="ord_1", shopper_id="s1", created_at="2026-11-27T02:50:00Z",
                           reserved_until="2026-11-27T03:20:00Z", currency="EUR", country="DE", quote={},
                           lines=lines, total=3000, vendor_orders=vendors)
    order.attach_payment("pi_1", "secret")
    order.apply_payment(PaymentOutcome.SUCCEEDED, at=AT, charge_id="ch_1", release_payouts=release)
    return order


def of(order: Order, vendor_id: str) -> dict[str, int]:
    out: dict[str, int] = {}
    for e in order.ledger_entries:
        if e.vendor_id == vendor_id:
            out[e.kind] = out.get(e.kind, 0) + e.amount
    return out


def earned(order: Order, vendor_id: str) -> int:
    return sum(e.amount for e in order.ledger_entries if e.vendor_id == vendor_id and e.kind in vl.EARNING_KINDS)


def test_a_settled_payment_books_each_vendors_sale_and_the_commission_frozen_at_checkout():
    order = paid_order()
    assert of(order, "v1") == {"sale": 2300, "commission": -200}
    assert of(order, "v2") == {"sale": 700, "commission": -50}
    commission = next(e for e in order.ledger_entries if e.vendor_id == "v1" and e.kind == "commission")
    assert commission.details == {"bps": 1000, "on_refunds": "refund_commission"} and commission.order_id == "ord_1"
    # The same success again (a redelivered webhook) books nothing more.
    order.apply_payment(PaymentOutcome.SUCCEEDED, at=AT, charge_id="ch_1")
    assert len(order.ledger_entries) == 4


def test_a_transfer_and_its_reversal_are_booked_once_with_their_provider_ids():
    order = paid_order()
    order.release_payout("v2", at=AT)
    order.record_transfer("v2", transfer_id="tr_1", amount=650, charge_id="ch_1", at=AT)
    order.record_transfer("v2", transfer_id="tr_1", amount=650, charge_id="ch_1", at=AT)
    order.record_reversal("v2", reversal_id="trr_1", amount=650, at=AT)
    order.record_reversal("v2", reversal_id="trr_1", amount=650, at=AT)
    entries = [e for e in order.ledger_entries if e.vendor_id == "v2"]
    assert [(e.kind, e.amount, e.provider_object_id) for e in entries] == [
        ("sale", 700, "ch_1"), ("commission", -50, None), ("payout_release", 0, None),
        ("transfer", -650, "tr_1"), ("transfer_reversal", 650, "trr_1")]
    assert entries[-1].details == {"transfer_id": "tr_1"}


def test_a_vendors_refund_books_the_gross_and_the_commission_it_gives_back_summing_to_the_entitlement():
    order = paid_order()
    order.record_refund(Refund("re_1", 1150, "EUR", AT, vendor_id="v1"))  # half of v1's total
    assert of(order, "v1") == {"sale": 2300, "commission": -200 + 100, "refund": -1150}
    assert earned(order, "v1") == ledger.entitlement(order.money(), "v1") == 1050
    assert of(order, "v2") == {"sale": 700, "commission": -50}  # the other vendor is untouched


def test_an_order_wide_refund_and_a_lost_dispute_keep_every_vendors_entries_equal_to_its_entitlement():
    order = paid_order()
    order.record_refund(Refund("re_1", 1000, "EUR", AT))  # from the dashboard: pro rata
    order.record_dispute(Dispute("dp_1", 600, "EUR", "needs_response", event_created=1), stage="created", at=AT)
    assert not [e for e in order.ledger_entries if e.kind == "dispute"]  # open: may still be won
    order.record_dispute(Dispute("dp_1", 600, "EUR", "lost", event_created=2), stage="closed", at=AT)
    for vendor_id in ("v1", "v2"):
        assert earned(order, vendor_id) == ledger.entitlement(order.money(), vendor_id)
    assert any(e.kind == "dispute" and e.provider_object_id == "dp_1" for e in order.ledger_entries)


def test_balance_is_pending_until_the_payout_is_released_then_available_then_paid_out():
    order = paid_order()
    assert vl.balance([e for e in order.ledger_entries if e.vendor_id == "v1"], "EUR").pending == 2100
    order.release_payout("v1", at=AT)
    mid = vl.balance([e for e in order.ledger_entries if e.vendor_id == "v1"], "EUR")
    assert (mid.pending, mid.available, mid.paid_out) == (0, 2100, 0)
    order.record_transfer("v1", transfer_id="tr_1", amount=2100, charge_id="ch_1", at=AT)
    done = vl.balance([e for e in order.ledger_entries if e.vendor_id == "v1"], "EUR")
    assert (done.pending, done.available, done.paid_out, done.earned) == (0, 0, 2100, 2100)


def test_sales_per_week_counts_sales_in_their_iso_week_with_empty_weeks():
    entries = [vl.LedgerEntry("a", "v1", "sale", 1000, "EUR", "o1", "2026-11-23T10:00:00Z"),  # Monday
               vl.LedgerEntry("b", "v1", "commission", -100, "EUR", "o1", "2026-11-23T10:00:00Z"),
               vl.LedgerEntry("c", "v1", "sale", 500, "EUR", "o2", "2026-11-15T23:59:59Z"),  # Sunday, week before
               vl.LedgerEntry("d", "v1", "transfer", -900, "EUR", "o1", "2026-11-24T10:00:00Z")]
    weeks = vl.sales_per_week(entries, weeks=3, today=date(2026, 11, 27))
    assert weeks == [{"week": "2026-11-09", "sales": 500, "net": 500},
                     {"week": "2026-11-16", "sales": 0, "net": 0},
                     {"week": "2026-11-23", "sales": 1000, "net": 900}]


def test_csv_cells_that_look_like_formulas_are_neutralised_but_amounts_stay_numbers():
    entry = vl.LedgerEntry("=HYPERLINK(\"http://evil\")", "v1", "refund", -1150, "EUR", "+ord,\"1\"", AT, "@tr_1")
    out = io.StringIO()
    csv.writer(out).writerow(vl.csv_row(entry))
    (row,) = list(csv.reader(io.StringIO(out.getvalue())))
    assert row[2] == "-11.50"
    assert row[4] == "'+ord,\"1\"" and row[5] == "'@tr_1" and row[6].startswith("'=")


def test_reconciliation_lists_each_difference_with_the_provider():
    entries = [vl.LedgerEntry("t1", "v1", "transfer", -2100, "EUR", "o1", AT, "tr_1"),
               vl.LedgerEntry("r1", "v1", "transfer_reversal", 500, "EUR", "o1", AT, "trr_1", {"transfer_id": "tr_1"}),
               vl.LedgerEntry("t2", "v1", "transfer", -700, "EUR", "o2", AT, "tr_2"),
               vl.LedgerEntry("f1", "v1", "refund", -300, "EUR", "o2", AT, "re_1")]
    transfers = {"tr_1": vl.ProviderTransfer("tr_1", 2100, "eur", "acct_1", 500, frozenset({"trr_1"})),
                 "tr_2": vl.ProviderTransfer("tr_2", 600, "eur", "acct_other", 0)}
    refunds = {"re_1": None}
    problems = {(m.provider_object_id, m.problem)
                for m in vl.reconcile(entries, transfers, refunds, {"v1": "acct_1"})}
    assert problems == {("tr_2", "amount_differs"), ("tr_2", "destination_differs"), ("re_1", "missing_at_provider")}
    assert vl.reconcile(entries[:2], transfers, {}, {"v1": "acct_1"}) == []
