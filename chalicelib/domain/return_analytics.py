"""Return-cause analytics (issue 9, item 5): why goods come back, per vendor and per product.

Pure arithmetic over plain facts, whatever stored them: `SoldFact` (units sold by a vendor, of a
product, at a moment) and `ReturnFact` (one return request's line: its reason, units, refund and
resolution). `report()` turns the facts of a period of ISO weeks into the figures the vendor and
the admin see: return rate, reasons breakdown, refunded amounts, time to resolve (median and
90th percentile) and the trend week by week, empty weeks included so a chart has no gaps.

Definitions (the words the pages use):
- a return is counted in the week it was *requested*, and its units as *returned* unless the
  vendor rejected it (nothing came back); rejected requests are counted apart;
- return rate = units returned / units sold in the same period (None when nothing was sold:
  a rate over zero sales would be infinite, not informative);
- time to resolve = from the request to its end (refunded or rejected), in hours;
- refunded amounts are integer minor units, summed per currency.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from chalicelib.domain.counted_events import COUNTED_EVENT_TYPES, RETURN_EVENT_TYPES, SALE_EVENT_TYPES  # noqa: F401 (the rules read here)
from chalicelib.domain.input_limits import ANALYTICS_MAX_WEEKS as MAX_WEEKS

REASONS = ("damaged", "not_as_described", "wrong_item", "changed_mind", "arrived_late", "other")
RESOLVED_STATES = frozenset({"refunded", "rejected"})
NOT_RETURNED_STATES = frozenset({"rejected"})  # the goods stayed with the shopper
TOP_PRODUCTS = 20


@dataclass(frozen=True)
class SoldFact:
    vendor_id: str
    product_id: str
    quantity: int  # negative when a sold line was cancelled afterwards
    at: str  # ISO 8601 UTC


@dataclass(frozen=True)
class ReturnFact:
    vendor_id: str
    product_id: str
    offer_id: str
    reason: str
    quantity: int
    refund_amount: int  # minor units refunded so far (0 until refunded)
    currency: str
    requested_at: str
    resolved_at: str | None
    state: str

    @property
    def returned(self) -> bool:
        return self.state not in NOT_RETURNED_STATES

    def hours_to_resolve(self) -> float | None:
        if self.resolved_at is None or self.state not in RESOLVED_STATES:
            return None
        return max(0.0, (_moment(self.resolved_at) - _moment(self.requested_at)).total_seconds() / 3600)


# --- ISO weeks ------------------------------------------------------------------------------------


def _moment(at: str) -> datetime:
    moment = datetime.fromisoformat(at.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def iso_week(at: str | date) -> str:
    """`2026-11-27T10:00:00Z` -> `2026-W48` (ISO 8601 week: Monday first, week 1 holds a Thursday)."""
    day = at if isinstance(at, date) else _moment(at).astimezone(UTC).date()
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def week_monday(week: str) -> date:
    year, number = week.split("-W")
    return date.fromisocalendar(int(year), int(number), 1)


def last_weeks(today: date, count: int) -> list[str]:
    """The `count` ISO weeks ending with the one holding `today`, oldest first."""
    if not 1 <= count <= MAX_WEEKS:
        raise ValueError(f"weeks must be within 1..{MAX_WEEKS}")
    monday = today - timedelta(days=today.weekday())
    return [iso_week(monday - timedelta(weeks=back)) for back in range(count - 1, -1, -1)]


# --- figures --------------------------------------------------------------------------------------


def rate(returned: int, sold: int) -> float | None:
    """Units returned per unit sold, to 4 decimals; None when nothing was sold."""
    if sold <= 0:
        return None
    return round(returned / sold, 4)


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile (the smallest value with at least `fraction` of them at or below)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


@dataclass(frozen=True)
class Figures:
    units_sold: int
    units_returned: int
    returns: int  # return requests counted as returned
    rejected: int  # requests the vendor rejected
    return_rate: float | None
    reasons: dict[str, int]  # units returned per reason code, every code present
    refunded: dict[str, int]  # currency -> minor units
    resolved: int
    median_hours_to_resolve: float | None
    p90_hours_to_resolve: float | None

    @classmethod
    def of(cls, sold: Iterable[SoldFact], returns: Iterable[ReturnFact]) -> Figures:
        units_sold = max(0, sum(fact.quantity for fact in sold))  # cancellations never make it negative
        returns = list(returns)
        counted = [fact for fact in returns if fact.returned]
        reasons = dict.fromkeys(REASONS, 0)
        refunded: dict[str, int] = defaultdict(int)
        for fact in counted:
            reasons[fact.reason if fact.reason in reasons else "other"] += fact.quantity
        for fact in returns:
            if fact.refund_amount:
                refunded[fact.currency] += fact.refund_amount
        hours = [h for h in (fact.hours_to_resolve() for fact in returns) if h is not None]
        units_returned = sum(fact.quantity for fact in counted)
        return cls(units_sold=units_sold, units_returned=units_returned, returns=len(counted),
                   rejected=len(returns) - len(counted), return_rate=rate(units_returned, units_sold),
                   reasons=reasons, refunded=dict(sorted(refunded.items())), resolved=len(hours),
                   median_hours_to_resolve=_hours(median(hours)), p90_hours_to_resolve=_hours(percentile(hours, 0.9)))


def _hours(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@dataclass(frozen=True)
class WeekFigures:
    week: str  # 2026-W48
    starts: str  # its Monday, YYYY-MM-DD
    figures: Figures


@dataclass(frozen=True)
class ProductFigures:
    vendor_id: str
    product_id: str
    figures: Figures


@dataclass(frozen=True)
class VendorFigures:
    vendor_id: str
    figures: Figures


@dataclass(frozen=True)
class Report:
    weeks: list[str]
    totals: Figures
    trend: list[WeekFigures]  # one per week of the period, oldest first, empty weeks included
    products: list[ProductFigures]  # highest return rate first
    vendors: list[VendorFigures] = field(default_factory=list)  # highest return rate first


def _by_rate(figures: Figures) -> tuple:
    # Highest rate first; products returned without a sale in the period (rate None) after the rated
    # ones, then the most units returned; ties in a stable order.
    return (figures.return_rate is None, -(figures.return_rate or 0), -figures.units_returned)


def report(sold: Iterable[SoldFact], returns: Iterable[ReturnFact], *, weeks: list[str],
           top_products: int = TOP_PRODUCTS) -> Report:
    """The figures of the facts that fall within `weeks` (ISO weeks, oldest first)."""
    period = set(weeks)
    sold = [fact for fact in sold if iso_week(fact.at) in period]
    returns = [fact for fact in returns if iso_week(fact.requested_at) in period]

    sold_by_week, returns_by_week = defaultdict(list), defaultdict(list)
    sold_by_product, returns_by_product = defaultdict(list), defaultdict(list)
    sold_by_vendor, returns_by_vendor = defaultdict(list), defaultdict(list)
    for fact in sold:
        sold_by_week[iso_week(fact.at)].append(fact)
        sold_by_product[(fact.vendor_id, fact.product_id)].append(fact)
        sold_by_vendor[fact.vendor_id].append(fact)
    for fact in returns:
        returns_by_week[iso_week(fact.requested_at)].append(fact)
        returns_by_product[(fact.vendor_id, fact.product_id)].append(fact)
        returns_by_vendor[fact.vendor_id].append(fact)

    trend = [WeekFigures(week, week_monday(week).isoformat(), Figures.of(sold_by_week[week], returns_by_week[week]))
             for week in weeks]
    # Only products with a return: a list of every product sold would bury the ones that matter.
    products = [ProductFigures(vendor_id, product_id, Figures.of(sold_by_product[(vendor_id, product_id)], facts))
                for (vendor_id, product_id), facts in returns_by_product.items()]
    products.sort(key=lambda p: (*_by_rate(p.figures), p.vendor_id, p.product_id))
    vendors = [VendorFigures(vendor_id, Figures.of(sold_by_vendor[vendor_id], returns_by_vendor[vendor_id]))
               for vendor_id in sorted(set(sold_by_vendor) | set(returns_by_vendor))]
    vendors.sort(key=lambda v: (*_by_rate(v.figures), v.vendor_id))
    return Report(weeks=list(weeks), totals=Figures.of(sold, returns), trend=trend, products=products[:top_products],
                  vendors=vendors)
