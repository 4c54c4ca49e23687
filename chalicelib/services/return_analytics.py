"""Return-cause analytics: counting the published events, and the reports vendors and admins read.

The consumer (queue `return-analytics`, fed by `chalicelib.events.publish` with the event types
of `domain/return_analytics.COUNTED_EVENT_TYPES`) turns each event into facts:
- `order.paid`: the order's units sold, per vendor and product, in the week it was paid;
- `order.line_cancelled`: those units taken off again (the week it was paid, so the week's
  figures stay what was really sold);
- `return.*` (and `refund.failed` of a return): the return request's lines as the order holds
  them now (one consistent read of the order: the events name the step, the order has the lines,
  reason, refund and timeline).
A redelivered event counts once (store/return_analytics.py says how). An event whose type this
consumer does not know, or whose payload its model refuses, fails (to the DLQ after the retries).

Reports: the figures of the last `weeks` ISO weeks (the current one included), a vendor's own
(`vendor_report`) or the platform's, optionally of one vendor (`platform_report`, for the admin).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from chalicelib.domain import return_analytics as analytics
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.events import (
    DomainEvent,
    OrderLineCancelled,
    OrderPaid,
    RefundFailed,
    ReturnEvent,
)
from chalicelib.domain.timestamps import iso
from chalicelib.observability import count, logger
from chalicelib.services.event_envelopes import EventEnvelope, InvalidEvent, parse_event
from chalicelib.store import return_analytics as facts_store

if TYPE_CHECKING:
    from chalicelib.domain.orders import Order

RETURN_ID_PREFIX = "ret_"


CountedEnvelope = EventEnvelope  # the consumer reads the envelope every published event travels in


class UncountableEvent(InvalidEvent):
    """Not an event this consumer counts, or not the shape its model says: the record fails."""


def _parse(envelope: CountedEnvelope) -> DomainEvent:
    if envelope.type not in analytics.COUNTED_EVENT_TYPES:
        raise UncountableEvent(f"return analytics does not count {envelope.type!r}")
    return parse_event(envelope)


def handle(envelope: CountedEnvelope) -> None:
    event = _parse(envelope)
    occurred_at = iso(envelope.occurred_at)
    if isinstance(event, OrderPaid):
        _count_paid(envelope.event_id, event, occurred_at)
    elif isinstance(event, OrderLineCancelled):
        _count_cancelled(envelope.event_id, event, occurred_at)
    elif isinstance(event, ReturnEvent):
        _record_return(event.order.order_id, event.return_id)
    elif isinstance(event, RefundFailed) and event.case_id.startswith(RETURN_ID_PREFIX):
        _record_return(event.order.order_id, event.case_id)  # the return's refund did not happen after all


def _order(order_id: str) -> dict | None:
    from chalicelib.store import orders as order_store

    order = order_store.get_order(order_id)
    if order is None:
        logger.warning("counted event for an unknown order", extra={"order_id": order_id})
    return order


def _paid_at(order: dict) -> str | None:
    return next((entry["at"] for entry in order.get("timeline", []) if entry.get("id") == "paid"), None)


def _count_paid(event_id: str, event: OrderPaid, occurred_at: str) -> None:
    order = _order(event.order.order_id)
    if order is None:
        return
    units: dict[tuple[str, str], int] = defaultdict(int)
    titles: dict[str, str] = {}
    for line in order.get("lines", []):
        units[(line["vendor_id"], line["product_id"])] += int(line["quantity"])
        titles[line["product_id"]] = line.get("title") or ""
    sales = [facts_store.Sale(vendor_id, product_id, quantity, titles.get(product_id, ""))
             for (vendor_id, product_id), quantity in sorted(units.items())]
    if facts_store.count_sales(event_id, sales, at=event.paid_at or occurred_at):
        count("ReturnAnalyticsSalesCounted", len(sales))


def _count_cancelled(event_id: str, event: OrderLineCancelled, occurred_at: str) -> None:
    order = _order(event.order.order_id)
    if order is None:
        return
    line = next((x for x in order.get("lines", [])
                 if x["offer_id"] == event.offer_id and x["vendor_id"] == event.vendor_id), None)
    if line is None:
        logger.warning("cancelled line not in its order", extra={"order_id": event.order.order_id})
        return
    sale = facts_store.Sale(event.vendor_id, line["product_id"], -int(event.quantity))
    facts_store.count_sales(event_id, [sale], at=_paid_at(order) or occurred_at)


def return_facts(order: Order, return_id: str) -> list[analytics.ReturnFact]:
    """The return's lines as they stand on the order. The refund (one amount for the request) is
    shared out over its lines by units, the remainder on the first, so the lines add up to exactly
    what was refunded; a refund the provider failed counts as nothing refunded."""
    from chalicelib.domain import returns

    ret = order.returns.get(return_id)
    if ret is None:
        return []
    state = returns.shown_state(order, ret).value
    refund = int(ret.refund_amount or 0) if state == "refunded" else 0
    resolved_at = None
    if state in analytics.RESOLVED_STATES:  # when it reached that end (its timeline says)
        resolved_at = next((step["at"] for step in reversed(ret.timeline) if step.get("state") == state),
                           ret.requested_at)
    product_of = {line.offer_id: line.product_id for line in order.lines if line.vendor_id == ret.vendor_id}
    lines = [line for line in ret.lines if line.quantity > 0]
    total_units = sum(line.quantity for line in lines)
    shares = [refund * line.quantity // total_units for line in lines] if total_units else []
    if shares:
        shares[0] += refund - sum(shares)
    return [analytics.ReturnFact(
        vendor_id=ret.vendor_id, product_id=product_of.get(line.offer_id, line.offer_id), offer_id=line.offer_id,
        reason=ret.reason.value, quantity=line.quantity, refund_amount=share, currency=order.currency,
        requested_at=ret.requested_at, resolved_at=resolved_at, state=state) for line, share in zip(lines, shares, strict=True)]


def _record_return(order_id: str, return_id: str) -> None:
    """Whatever step the event states, the return is stored as the order holds it now (read
    consistently), stamped with the order's version: an older snapshot never overwrites a newer one."""
    from chalicelib.services import wiring

    order = wiring.order_repository().get(order_id)
    if order is None or return_id not in order.returns:
        logger.warning("counted event for an unknown return", extra={"order_id": order_id, "return_id": return_id})
        return
    facts_store.record_return(return_facts(order, return_id), return_id=return_id, version=order.version)
    count("ReturnAnalyticsReturnSteps", 1)


# --- reports ----------------------------------------------------------------------------------


def _weeks(weeks: int, today: date | None) -> list[str]:
    try:
        return analytics.last_weeks(today or datetime.now(UTC).date(), weeks)
    except ValueError as err:
        raise InvalidInput(str(err), fields={"weeks": f"between 1 and {analytics.MAX_WEEKS}"}) from None


def _figures(figures: analytics.Figures) -> dict:
    return {
        "units_sold": figures.units_sold, "units_returned": figures.units_returned, "returns": figures.returns,
        "rejected": figures.rejected, "return_rate": figures.return_rate,
        "reasons": [{"reason": reason, "units": units} for reason, units in figures.reasons.items()],
        "refunded": [{"amount": amount, "currency": currency} for currency, amount in figures.refunded.items()],
        "resolved": figures.resolved, "median_hours_to_resolve": figures.median_hours_to_resolve,
        "p90_hours_to_resolve": figures.p90_hours_to_resolve,
    }


def _report(scope: str, weeks: list[str], *, only_vendor: str | None = None) -> dict:
    sold, titles = facts_store.sold_facts(scope, weeks)
    returns = facts_store.return_facts(scope, weeks)
    if only_vendor is not None:
        sold = [fact for fact in sold if fact.vendor_id == only_vendor]
        returns = [fact for fact in returns if fact.vendor_id == only_vendor]
    result = analytics.report(sold, returns, weeks=weeks)
    names = _vendor_names({v.vendor_id for v in result.vendors} | {p.vendor_id for p in result.products})
    return {
        "weeks": result.weeks,
        "totals": _figures(result.totals),
        "trend": [{"week": w.week, "starts": w.starts, **_figures(w.figures)} for w in result.trend],
        "products": [{"vendor_id": p.vendor_id, "vendor_name": names.get(p.vendor_id, ""), "product_id": p.product_id,
                      "title": titles.get(p.product_id, ""), **_figures(p.figures)} for p in result.products],
        "vendors": [{"vendor_id": v.vendor_id, "vendor_name": names.get(v.vendor_id, ""), **_figures(v.figures)}
                    for v in result.vendors],
    }


def _vendor_names(vendor_ids: set[str]) -> dict[str, str]:
    from chalicelib.store import vendors as vendors_store

    return vendors_store.vendor_names(sorted(vendor_ids)) if vendor_ids else {}


def vendor_report(vendor_id: str, *, weeks: int, today: date | None = None) -> dict:
    """The vendor's own figures (its scope holds nothing of another vendor's)."""
    report = _report(facts_store.vendor_scope(vendor_id), _weeks(weeks, today))
    report.pop("vendors")
    return report


def platform_report(*, vendor_id: str | None, weeks: int, today: date | None = None) -> dict:
    """Every vendor's figures (ranked), or one vendor's; products ranked by return rate."""
    period = _weeks(weeks, today)
    if vendor_id is None:
        return _report(facts_store.PLATFORM, period)
    if not _vendor_names({vendor_id}):
        raise NotFound("No such vendor.", fields={"vendor_id": "unknown"})
    return _report(facts_store.vendor_scope(vendor_id), period, only_vendor=vendor_id)
