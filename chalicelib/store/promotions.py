"""DynamoDB storage of vendors' promotions (table `promotions`, pk vendor_id, sk promotion_id).

Keyed by vendor: every read is one vendor's promotions (its own list, or the promotions that may
apply to the lines of that vendor in a cart), so another vendor's id can never reach them.
A promotion's id is derived from (vendor, Idempotency-Key), so a repeated create finds the one
it made (`put_new` is conditional). Ending one early is a conditional update of `ends_at`; editing one
(`revise`) is conditional on the version the vendor read (absent `version`: 1) and moves it on.
"""

from __future__ import annotations

from collections.abc import Iterable

from pynamodb.attributes import NumberAttribute, UnicodeAttribute, UnicodeSetAttribute
from pynamodb.exceptions import PutError, UpdateError
from pynamodb.models import Model

from chalicelib.domain.promotions import Promotion, PromotionHold
from chalicelib.store.base import bind, conditional_failed, register

MAX_PER_VENDOR_READ = 1000  # a vendor's promotions read per request (the list, a cart's vendor)


@register
class PromotionItem(Model):
    class Meta:
        short_name = "promotions"
        table_name = None
        region = None

    vendor_id = UnicodeAttribute(hash_key=True)
    promotion_id = UnicodeAttribute(range_key=True)
    name = UnicodeAttribute()
    kind = UnicodeAttribute()
    value = NumberAttribute()
    currency = UnicodeAttribute()
    starts_at = UnicodeAttribute()  # ISO UTC, the platform's format: compares as text
    ends_at = UnicodeAttribute()
    min_quantity = NumberAttribute(default=1)
    offer_ids = UnicodeSetAttribute(null=True)  # absent: every offer of the vendor
    created_at = UnicodeAttribute()
    ended_early_at = UnicodeAttribute(null=True)
    request_hash = UnicodeAttribute()  # the create request's fingerprint: a reused key with another body is refused
    version = NumberAttribute(null=True)  # absent until the first edit: version 1
    revised_at = UnicodeAttribute(null=True)

    @property
    def current_version(self) -> int:
        return int(self.version) if self.version is not None else 1

    def to_promotion(self) -> Promotion:
        return Promotion(promotion_id=self.promotion_id, vendor_id=self.vendor_id, name=self.name, kind=self.kind,
                         value=int(self.value), currency=self.currency, starts_at=self.starts_at,
                         ends_at=self.ends_at, min_quantity=int(self.min_quantity),
                         offer_ids=frozenset(self.offer_ids or ()), version=self.current_version)


def put_new(item: PromotionItem) -> PromotionItem:
    """Store a new promotion; when its id exists (a repeated create), the stored one is returned."""
    bind()
    try:
        item.save(condition=PromotionItem.promotion_id.does_not_exist())
        return item
    except PutError as err:
        if not conditional_failed(err):
            raise
    return PromotionItem.get(item.vendor_id, item.promotion_id, consistent_read=True)


def get(vendor_id: str, promotion_id: str) -> PromotionItem | None:
    bind()
    try:
        return PromotionItem.get(vendor_id, promotion_id, consistent_read=True)
    except PromotionItem.DoesNotExist:
        return None


def vendor_promotions(vendor_id: str, *, ending_after: str | None = None) -> list[PromotionItem]:
    """The vendor's promotions (only those still running or to come, when `ending_after` is given)."""
    bind()
    condition = None if ending_after is None else PromotionItem.ends_at > ending_after
    return list(PromotionItem.query(vendor_id, filter_condition=condition, limit=MAX_PER_VENDOR_READ))


def current_promotions(vendor_ids: Iterable[str], now: str) -> list[Promotion]:
    """Every promotion of these vendors that has not ended (running, or starting later): one query per vendor."""
    return [item.to_promotion() for vendor_id in sorted(set(vendor_ids))
            for item in vendor_promotions(vendor_id, ending_after=now)]


def end_now(vendor_id: str, promotion_id: str, now: str) -> PromotionItem | None:
    """End a running or future promotion now (a future one never starts). None: no such promotion.

    Conditional on `ends_at > now`, so ending twice, or ending one already over, changes nothing.
    """
    bind()
    P = PromotionItem
    item = get(vendor_id, promotion_id)
    if item is None:
        return None
    actions = [P.ends_at.set(now), P.ended_early_at.set(now)]
    if item.starts_at > now:
        actions.append(P.starts_at.set(now))  # an empty window: it never applies
    try:
        item.update(actions=actions, condition=P.promotion_id.exists() & (P.ends_at > now))
    except UpdateError as err:
        if not conditional_failed(err):
            raise
        return get(vendor_id, promotion_id)
    return item


def _at_version(version: int):
    P = PromotionItem
    return (P.version == version) | P.version.does_not_exist() if version == 1 else P.version == version


def revise(vendor_id: str, promotion_id: str, terms, *, expected_version: int, now: str) -> PromotionItem | None:
    """Write the edited terms if the promotion is still at `expected_version` and not ended at `now`.
    None when a condition failed (edited or ended meanwhile: the caller re-reads and explains)."""
    bind()
    P = PromotionItem
    item = PromotionItem(vendor_id, promotion_id)
    try:
        item.update(actions=[P.name.set(terms.name), P.value.set(terms.value), P.starts_at.set(terms.starts_at),
                             P.ends_at.set(terms.ends_at), P.min_quantity.set(terms.min_quantity),
                             P.version.set(expected_version + 1), P.revised_at.set(now)],
                    condition=P.promotion_id.exists() & (P.ends_at > now) & _at_version(expected_version))
    except UpdateError as err:
        if conditional_failed(err):
            return None
        raise
    return get(vendor_id, promotion_id)


def check_running(tx, hold: PromotionHold) -> None:
    """Add the hold's condition to a TransactWrite: running at `at`, at the version the line saw."""
    bind()
    P = PromotionItem
    tx.condition_check(PromotionItem, hold.vendor_id, range_key=hold.promotion_id,
                       condition=(P.ends_at > hold.at) & (P.starts_at <= hold.at) & _at_version(hold.version))
