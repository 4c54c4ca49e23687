"""The facts return analytics reads, kept so a report never scans (table `return-analytics`).

pk `scope`, sk `key`, TTL `expires_at`. Every fact is written twice, in the vendor's scope
(`vendor#<vendor_id>`) and in the platform's (`platform`, what the admin reads), so a report is
two Queries on one partition over a range of ISO weeks (sort keys start with the week):

- `sold#<week>#<vendor_id>#<product_id>#<event_id>`: the units of that product one sales event
  counted (`units`, negative for a cancelled line) and the product's title; a report adds up a
  week's. (`sold#<week>#<vendor_id>#<product_id>`, no event id: the week's counter of items
  written before, read the same way.)
- `return#<week>#<return_id>#<offer_id>`: one return request's line as it stands now (the week
  is the one it was requested in);

A sales event's facts are put where none exists under their key, which names the event: a
redelivered event writes nothing new, with no marker and no transaction. Why not counters: an
increment is not idempotent, so it needed a marker put in the same transaction, and a transaction
bills each item twice: an order of two vendors' products cost 10 write units here, its four facts
cost 4 (what a report then reads is a few more items, at a fifth of a write's price each).
(`event#<event_id>` items in scope `counted` are the markers of the counters, left to their TTL.)

A return line is a plain overwrite with the request's current state as the order holds it,
conditional on the stored one not being from a later version of the order (`order_version <= v`):
a redelivery writes the same values, and a snapshot read before a newer one never undoes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from pynamodb.attributes import NumberAttribute, TTLAttribute, UnicodeAttribute
from pynamodb.exceptions import PutError
from pynamodb.models import Model

from chalicelib.domain.return_analytics import ReturnFact, SoldFact, iso_week, week_monday
from chalicelib.store.base import bind, conditional_failed, register

PLATFORM = "platform"


def vendor_scope(vendor_id: str) -> str:
    return f"vendor#{vendor_id}"


@register
class ReturnAnalyticsItem(Model):
    class Meta:
        short_name = "return-analytics"
        table_name = None
        region = None

    scope = UnicodeAttribute(hash_key=True, attr_name="pk")
    key = UnicodeAttribute(range_key=True, attr_name="sk")
    vendor_id = UnicodeAttribute(null=True)
    product_id = UnicodeAttribute(null=True)
    title = UnicodeAttribute(null=True)
    units = NumberAttribute(null=True)  # sold#: units sold that week
    offer_id = UnicodeAttribute(null=True)
    reason = UnicodeAttribute(null=True)
    quantity = NumberAttribute(null=True)
    refund_amount = NumberAttribute(null=True)
    currency = UnicodeAttribute(null=True)
    requested_at = UnicodeAttribute(null=True)
    resolved_at = UnicodeAttribute(null=True)
    state = UnicodeAttribute(null=True)
    order_version = NumberAttribute(null=True)  # return#: the order's version it was read from
    expires_at = TTLAttribute(null=True)


@dataclass(frozen=True)
class Sale:
    """Units of one product sold by one vendor (negative: a sold line cancelled afterwards)."""

    vendor_id: str
    product_id: str
    quantity: int
    title: str = ""


def count_sales(event_id: str, sales: list[Sale], *, at: str) -> bool:
    """Add the units to the week of `at`, once per event id. False: this event was counted before."""
    bind()
    week = iso_week(at)
    units: dict[tuple[str, str], int] = {}
    titles: dict[tuple[str, str], str] = {}
    for sale in sales:  # one fact per product and vendor (its key names them)
        units[(sale.vendor_id, sale.product_id)] = units.get((sale.vendor_id, sale.product_id), 0) + sale.quantity
        titles[(sale.vendor_id, sale.product_id)] = sale.title or titles.get((sale.vendor_id, sale.product_id), "")
    counted = False
    for (vendor_id, product_id), quantity in units.items():
        for scope in (vendor_scope(vendor_id), PLATFORM):
            fact = ReturnAnalyticsItem(scope, f"sold#{week}#{vendor_id}#{product_id}#{event_id}", vendor_id=vendor_id,
                                       product_id=product_id, units=quantity,
                                       title=titles[(vendor_id, product_id)] or None)
            try:
                fact.save(condition=ReturnAnalyticsItem.key.does_not_exist())
            except PutError as err:
                if not conditional_failed(err):
                    raise
                continue  # put by an earlier delivery of this event
            counted = True
    return counted


def record_return(facts: Iterable[ReturnFact], *, return_id: str, version: int) -> int:
    """Write each line of a return as the order's `version` holds it; returns how many were written
    (none when what is stored was read from a later version)."""
    bind()
    written = 0
    for fact in facts:
        key = f"return#{iso_week(fact.requested_at)}#{return_id}#{fact.offer_id}"
        for scope in (vendor_scope(fact.vendor_id), PLATFORM):
            item = ReturnAnalyticsItem(
                scope, key, vendor_id=fact.vendor_id, product_id=fact.product_id, offer_id=fact.offer_id,
                reason=fact.reason, quantity=fact.quantity, refund_amount=fact.refund_amount, currency=fact.currency,
                requested_at=fact.requested_at, resolved_at=fact.resolved_at, state=fact.state, order_version=version)
            try:
                item.save(condition=ReturnAnalyticsItem.key.does_not_exist() | (ReturnAnalyticsItem.order_version <= version))
            except PutError as err:
                if not conditional_failed(err):
                    raise
                continue  # a later step of this return is stored already
            written += 1
    return written


def _query(scope: str, kind: str, weeks: list[str]) -> Iterable[ReturnAnalyticsItem]:
    bind()
    first, last = f"{kind}#{weeks[0]}", f"{kind}#{weeks[-1]}#\uffff"
    return ReturnAnalyticsItem.query(scope, ReturnAnalyticsItem.key.between(first, last))


def sold_facts(scope: str, weeks: list[str]) -> tuple[list[SoldFact], dict[str, str]]:
    """The units sold in `weeks` (one fact per week and product, dated its Monday) and product titles."""
    units: dict[tuple[str, str, str], int] = {}
    titles: dict[str, str] = {}
    for item in _query(scope, "sold", weeks):
        week = item.key.split("#")[1]
        key = (week, item.vendor_id, item.product_id)
        units[key] = units.get(key, 0) + int(item.units or 0)
        if item.title:
            titles[item.product_id] = item.title
    facts = [SoldFact(vendor_id=vendor_id, product_id=product_id, quantity=quantity,
                      at=f"{week_monday(week).isoformat()}T00:00:00Z")
             for (week, vendor_id, product_id), quantity in units.items()]
    return facts, titles


def return_facts(scope: str, weeks: list[str]) -> list[ReturnFact]:
    return [ReturnFact(vendor_id=item.vendor_id, product_id=item.product_id, offer_id=item.offer_id,
                       reason=item.reason, quantity=int(item.quantity or 0), refund_amount=int(item.refund_amount or 0),
                       currency=item.currency, requested_at=item.requested_at, resolved_at=item.resolved_at,
                       state=item.state)
            for item in _query(scope, "return", weeks)]
