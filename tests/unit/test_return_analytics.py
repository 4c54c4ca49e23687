"""Return-cause analytics (chalicelib/domain/return_analytics.py): the figures a vendor and the admin read."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.return_analytics import (
    REASONS,
    ReturnFact,
    SoldFact,
    iso_week,
    last_weeks,
    percentile,
    report,
)

WEEKS = last_weeks(date(2026, 11, 27), 4)  # 2026-W45 .. 2026-W48


def sold(quantity: int, at: str = "2026-11-25T10:00:00Z", product: str = "prd_tent", vendor: str = "alpine"):
    return SoldFact(vendor_id=vendor, product_id=product, quantity=quantity, at=at)


def returned(quantity: int = 1, *, reason: str = "damaged", state: str = "requested", refund: int = 0,
             requested_at: str = "2026-11-25T10:00:00Z", resolved_at: str | None = None,
             product: str = "prd_tent", vendor: str = "alpine"):
    return ReturnFact(vendor_id=vendor, product_id=product, offer_id=f"off_{product}", reason=reason,
                      quantity=quantity, refund_amount=refund, currency="EUR", requested_at=requested_at,
                      resolved_at=resolved_at, state=state)


def test_weeks_are_iso_weeks_oldest_first_across_a_year_end():
    assert WEEKS == ["2026-W45", "2026-W46", "2026-W47", "2026-W48"]
    assert last_weeks(date(2027, 1, 4), 2) == ["2026-W53", "2027-W01"]
    assert iso_week("2027-01-01T23:59:59Z") == "2026-W53"


@pytest.mark.parametrize("weeks", [0, 105])
def test_a_period_outside_1_to_104_weeks_is_refused(weeks):
    with pytest.raises(ValueError, match="weeks"):
        last_weeks(date(2026, 11, 27), weeks)


def test_return_rate_reasons_and_refunds_of_a_vendor():
    facts = [returned(1, reason="damaged", state="refunded", refund=2990, resolved_at="2026-11-26T10:00:00Z"),
             returned(2, reason="changed_mind", state="approved"),
             returned(1, reason="wrong_item", state="rejected", resolved_at="2026-11-25T22:00:00Z")]
    figures = report([sold(10)], facts, weeks=WEEKS).totals
    assert figures.units_sold == 10
    assert figures.units_returned == 3  # the rejected request sent nothing back
    assert figures.return_rate == 0.3
    assert figures.rejected == 1
    assert figures.reasons == {"damaged": 1, "not_as_described": 0, "wrong_item": 0, "changed_mind": 2,
                               "arrived_late": 0, "other": 0}
    assert figures.refunded == {"EUR": 2990}
    assert figures.resolved == 2
    assert figures.median_hours_to_resolve == 18.0  # (12 h + 24 h) / 2
    assert figures.p90_hours_to_resolve == 24.0


def test_trend_has_every_week_of_the_period_even_without_sales():
    trend = report([sold(4, at="2026-11-10T09:00:00Z")], [returned(1, requested_at="2026-11-26T09:00:00Z")],
                   weeks=WEEKS).trend
    assert [w.week for w in trend] == WEEKS
    assert [w.starts for w in trend] == ["2026-11-02", "2026-11-09", "2026-11-16", "2026-11-23"]
    assert [w.figures.units_sold for w in trend] == [0, 4, 0, 0]
    assert [w.figures.units_returned for w in trend] == [0, 0, 0, 1]
    assert trend[3].figures.return_rate is None  # returned in a week without sales: no rate, not infinity


def test_facts_outside_the_period_are_left_out():
    result = report([sold(5, at="2026-10-01T00:00:00Z"), sold(2)],
                    [returned(1, requested_at="2026-10-02T00:00:00Z")], weeks=WEEKS)
    assert result.totals.units_sold == 2
    assert result.totals.units_returned == 0


def test_products_are_ranked_by_return_rate_and_only_returned_ones_listed():
    facts = [returned(1, product="prd_lamp"), returned(3, product="prd_tent")]
    result = report([sold(10, product="prd_tent"), sold(2, product="prd_lamp"), sold(50, product="prd_mug")],
                    facts, weeks=WEEKS)
    assert [(p.product_id, p.figures.return_rate) for p in result.products] == [("prd_lamp", 0.5),
                                                                                 ("prd_tent", 0.3)]


def test_vendors_are_ranked_for_the_admin():
    result = report([sold(10), sold(10, vendor="bytes")],
                    [returned(1), returned(5, vendor="bytes")], weeks=WEEKS)
    assert [(v.vendor_id, v.figures.return_rate) for v in result.vendors] == [("bytes", 0.5), ("alpine", 0.1)]


def test_a_cancelled_sale_takes_its_units_off_and_never_below_zero():
    assert report([sold(3), sold(-3)], [], weeks=WEEKS).totals.units_sold == 0
    assert report([sold(-1)], [], weeks=WEEKS).totals.units_sold == 0


def test_unknown_reason_counts_as_other():
    assert report([sold(1)], [returned(1, reason="gremlins")], weeks=WEEKS).totals.reasons["other"] == 1


def test_percentile_is_nearest_rank():
    assert percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9
    assert percentile([5], 0.9) == 5
    assert percentile([], 0.9) is None


# --- properties -----------------------------------------------------------------------------------

MONDAY = datetime(2026, 11, 2)
moments = st.integers(min_value=0, max_value=4 * 7 * 24 - 1).map(
    lambda hours: (MONDAY + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M:%SZ"))
products = st.sampled_from(["prd_a", "prd_b", "prd_c"])
vendors = st.sampled_from(["alpine", "bytes"])
states = st.sampled_from(["requested", "approved", "rejected", "shipped_back", "received", "refunded",
                          "escalated", "refund_failed"])


@st.composite
def sales_and_returns(draw):
    """Sales, then returns of at most the units sold of each (vendor, product) in that same week."""
    sales = draw(st.lists(st.builds(SoldFact, vendor_id=vendors, product_id=products,
                                    quantity=st.integers(1, 20), at=moments), max_size=15))
    returns = []
    for sale in sales:
        quantity = draw(st.integers(0, sale.quantity))
        if quantity:
            resolve_after = draw(st.none() | st.integers(0, 500))
            resolved_at = None if resolve_after is None else (
                datetime.fromisoformat(sale.at.replace("Z", "")) + timedelta(hours=resolve_after)).strftime(
                "%Y-%m-%dT%H:%M:%SZ")
            returns.append(ReturnFact(vendor_id=sale.vendor_id, product_id=sale.product_id, offer_id="off",
                                      reason=draw(st.sampled_from(REASONS)), quantity=quantity,
                                      refund_amount=draw(st.integers(0, 100_000)), currency="EUR",
                                      requested_at=sale.at, resolved_at=resolved_at, state=draw(states)))
    return sales, returns


@settings(max_examples=150, deadline=None)
@given(sales_and_returns())
def test_every_rate_is_within_0_and_1_when_returns_do_not_exceed_sales(facts):
    sales, returns = facts
    result = report(sales, returns, weeks=WEEKS)
    rated = [result.totals, *(w.figures for w in result.trend), *(p.figures for p in result.products),
             *(v.figures for v in result.vendors)]
    for figures in rated:
        assert figures.return_rate is None or 0 <= figures.return_rate <= 1
        assert (figures.return_rate is None) == (figures.units_sold == 0)


@settings(max_examples=150, deadline=None)
@given(sales_and_returns())
def test_weeks_vendors_and_reasons_add_up_to_the_totals(facts):
    sales, returns = facts
    result = report(sales, returns, weeks=WEEKS, top_products=1000)
    totals = result.totals
    for part in ([w.figures for w in result.trend], [v.figures for v in result.vendors]):
        assert sum(f.units_sold for f in part) == totals.units_sold
        assert sum(f.units_returned for f in part) == totals.units_returned
        assert sum(f.refunded.get("EUR", 0) for f in part) == totals.refunded.get("EUR", 0)
        assert sum(f.resolved for f in part) == totals.resolved
    assert sum(p.figures.units_returned for p in result.products) == totals.units_returned
    assert sum(totals.reasons.values()) == totals.units_returned
    assert totals.units_sold == sum(s.quantity for s in sales)
    assert totals.refunded.get("EUR", 0) == sum(r.refund_amount for r in returns)
    if totals.resolved:
        assert totals.median_hours_to_resolve <= totals.p90_hours_to_resolve


# --- a return as the order holds it (chalicelib/services/return_analytics.return_facts) ----------

def test_a_refunded_return_on_the_order_is_one_fact_per_line_with_its_refund_and_resolution():
    from chalicelib.domain import returns as R
    from chalicelib.domain.returns import Actor, ReturnRules
    from chalicelib.services.return_analytics import return_facts
    from tests.unit.test_returns import ask, delivered_order

    order = delivered_order()
    ask(order, lines=(("o1", 2), ("o3", 1)))
    rules = ReturnRules()
    R.approve(order, "ret_1", actor=Actor.VENDOR, vendor_id="v1", at="2026-11-30T12:00:00Z")
    R.ship_back(order, "ret_1", shopper_id="s1", carrier="DHL", tracking_number="JD1", at="2026-12-01T09:00:00Z")
    asked = return_facts(order, "ret_1")
    assert [(f.product_id, f.quantity, f.state, f.refund_amount, f.resolved_at) for f in asked] == [
        ("p1", 2, "shipped_back", 0, None), ("p3", 1, "shipped_back", 0, None)]

    R.receive(order, "ret_1", actor=Actor.VENDOR, vendor_id="v1", restock=True, refund=True,
              at="2026-12-02T10:00:00Z", rules=rules)
    refunded = return_facts(order, "ret_1")
    assert {f.state for f in refunded} == {"refunded"}
    assert sum(f.refund_amount for f in refunded) == order.returns["ret_1"].refund_amount > 0
    assert {f.resolved_at for f in refunded} == {"2026-12-02T10:00:00Z"}
    assert report([], refunded, weeks=last_weeks(date(2026, 12, 2), 2)).totals.median_hours_to_resolve == 48.0

    order.case_refund_failed("ret_1", failure_code="expired_or_canceled_card", at="2026-12-03T10:00:00Z")
    failed = return_facts(order, "ret_1")
    assert {(f.state, f.refund_amount, f.resolved_at) for f in failed} == {("refund_failed", 0, None)}
    assert return_facts(order, "ret_unknown") == []
