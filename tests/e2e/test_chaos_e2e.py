"""Faults survived: the local stack under `--faults`, driven by real clients, keeps its invariants.

Its own stack (not the session's `live_stack`: faults would break the other e2e tests) starts with
every fault of devstack/faults.py at the rates `make bench` uses; scripts/bench_chaos.py drives 24
orders (checkout, card page, fulfilment, cancellations, vendor line cancellations, returns and
disputes after the payout, abandoned orders) through the HTTP API, fires the sweepers and retry
schedules until everything settles, then checks that every order, return and dispute is final (or
listed for an admin), stock adds up per offer (returned units back on sale only on the vendor's
word), nothing was charged or refunded twice and what each vendor received matches its ledger and
its entitlement. `make bench` runs the same with 200 orders (scripts/chaos_aftersales.py).
"""

from __future__ import annotations

import pytest

from scripts.bench_chaos import ChaosRun, faulty_stack

pytestmark = pytest.mark.e2e

ORDERS = 24  # with a 1-minute reservation to outwait for the abandoned ones: ~3 minutes on a busy 2-core machine


@pytest.fixture
def stack_under_faults(tmp_path):
    stack = faulty_stack(tmp_path, seed=12)
    stack.start(fresh=True)
    try:
        yield stack
    finally:
        stack.stop()


@pytest.mark.timeout(600)
def test_orders_under_faults_all_settle_and_money_and_stock_add_up(stack_under_faults):
    report = ChaosRun(stack_under_faults, ORDERS, seed=12, log=print).run()

    assert report.violations == []
    # The invariants looked at real money and stock: charges, payouts, units sold, orders of each ending.
    checked = report.checked
    assert checked["charges"] and checked["transfers"] and checked["units_sold"], checked
    assert checked["orders_paid"] and checked["orders_cancelled"], checked
    # After-sales ran after payouts: returns refunded (restocked or not), disputes won and lost, reversals.
    assert checked["returns_refunded"] and checked["refunds"] and checked["reversals"], checked
    assert checked["disputes_won"] and checked["disputes_lost"], checked
    assert checked["vendor_balances"] == 2 and checked["settled_parts"], checked
    assert report.orders >= ORDERS * 0.9  # a placed order per shopper, but for a checkout refused for good
    injected = report.faults
    # Every kind of fault really happened (else the run proves nothing about it).
    assert {name for name, count in injected.items() if count} >= {
        "provider_5xx", "ddb_throttle", "ddb_tx_cancel", "sqs_duplicate", "sqs_delay", "crash_after_write"}, injected
