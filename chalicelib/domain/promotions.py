"""Vendors' promotions: the pure rules (what a promotion is, when it applies, what it takes off).

A promotion is a vendor's percent off (1-90 %) or amount off (minor units, per unit) on its own
offers, for a window [starts_at, ends_at) in UTC, optionally from a minimum quantity of the
same offer on one cart line, on a list of its offers or (no list) on all of them.

- **Applied per unit, per line**, by the one pricing function (chalicelib/domain/pricing.py)
  for the quote and the order alike: the use case passes the vendor's promotions as data.
- **The best one for the shopper wins** when several apply to a line: the largest discount on
  that line; ties go to the promotion that ends first (then the smaller id), so the choice
  never depends on the order promotions were read in. Promotions never stack.
- **Never a negative or free price**: at creation a promotion that would take any targeted
  offer to 0 or less, or its total (price + shipping) below the currency's minimum charge, is
  refused naming `value`; an offer's price can still drop later, so pricing clamps the discount
  to leave at least one minor unit (the last guard, `unit_discount`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from chalicelib.domain.catalog import Offer
from chalicelib.domain.charge_limits import minimum_charge
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.input_limits import PROMOTION_MAX_PERCENT as MAX_PERCENT
from chalicelib.domain.input_limits import PROMOTION_MAX_TARGETED_OFFERS as MAX_TARGETED_OFFERS
from chalicelib.domain.input_limits import PROMOTION_MIN_PERCENT as MIN_PERCENT
from chalicelib.domain.limits import MAX_LINE_QUANTITY
from chalicelib.domain.money import Money

PERCENT, AMOUNT = "percent", "amount"
KINDS = (PERCENT, AMOUNT)
NAME_MIN, NAME_MAX = 1, 80


@dataclass(frozen=True)
class Promotion:
    """A vendor's discount (percent or amount) on some offers for a period."""

    promotion_id: str
    vendor_id: str
    name: str
    kind: str  # PERCENT or AMOUNT
    value: int  # whole percent, or minor units off each unit
    currency: str
    starts_at: str  # ISO 8601 UTC, the platform's format (chalicelib/domain/timestamps.py): compares as text
    ends_at: str  # exclusive
    min_quantity: int = 1
    offer_ids: frozenset[str] = frozenset()  # empty: every offer of the vendor
    version: int = 1  # moves on every edit (`revise_terms`): a cart line's snapshot names the one it saw

    def active_at(self, at: str) -> bool:
        return self.starts_at <= at < self.ends_at

    def targets(self, vendor_id: str, offer_id: str) -> bool:
        return vendor_id == self.vendor_id and (not self.offer_ids or offer_id in self.offer_ids)

    def raw_unit_discount(self, unit_price: int) -> int:
        """What the promotion takes off one unit, before the never-free guard."""
        if self.kind == PERCENT:
            return Money(unit_price, self.currency).share(self.value * 100).amount
        return self.value

    def unit_discount(self, unit_price: int) -> int:
        """Off one unit, leaving at least one minor unit (an offer repriced below an amount off)."""
        return max(0, min(self.raw_unit_discount(unit_price), unit_price - 1))

    def applies(self, vendor_id: str, offer_id: str, quantity: int, at: str) -> bool:
        return self.active_at(at) and self.targets(vendor_id, offer_id) and quantity >= self.min_quantity


@dataclass(frozen=True)
class AppliedPromotion:
    """The promotion a line was priced with: its unit discount and end."""

    promotion_id: str
    unit_discount: int
    ends_at: str
    version: int = 1


def best_promotion(promotions: Iterable[Promotion], *, vendor_id: str, offer_id: str, quantity: int,
                   unit_price: int, at: str) -> AppliedPromotion | None:
    """The promotion that takes the most off this line (see the module docstring for ties)."""
    candidates = [
        (-p.unit_discount(unit_price), p.ends_at, p.promotion_id, p)
        for p in promotions
        if p.applies(vendor_id, offer_id, quantity, at) and p.unit_discount(unit_price) > 0
    ]
    if not candidates:
        return None
    best = min(candidates, key=lambda c: c[:3])[3]
    return AppliedPromotion(best.promotion_id, best.unit_discount(unit_price), best.ends_at, best.version)


@dataclass(frozen=True)
class PromotionHold:
    """A promotion an order line is charged with: placing the order requires it to be still running at
    `at` and at the version the line saw (on DynamoDB a ConditionCheck in the checkout's transaction), so
    one ended early, moved or edited since is never charged."""

    vendor_id: str
    promotion_id: str
    at: str
    change: dict  # what the shopper is told when it ended meanwhile (domain.cart_changes.promotion_change)
    version: int = 1


def as_seen(promotion_id: str, vendor_id: str, offer_id: str, unit_discount: int, currency: str,
            ends_at: str) -> Promotion:
    """A promotion as a cart line snapshotted it (this much off this offer until `ends_at`), for pricing."""
    return Promotion(promotion_id=promotion_id, vendor_id=vendor_id, name="", kind=AMOUNT, value=unit_discount,
                     currency=currency, starts_at="", ends_at=ends_at, offer_ids=frozenset({offer_id}))


def promoted_offer(offer: Offer, promotions: Iterable[Promotion], at: str) -> Offer:
    """The offer as a shopper buying one unit at `at` sees it: `price` promoted, `list_price` the struck one.

    Catalogue cards and product pages rank offers on this, so a promotion reorders them.
    """
    applied = best_promotion(promotions, vendor_id=offer.vendor_id, offer_id=offer.offer_id, quantity=1,
                             unit_price=offer.price.amount, at=at)
    if applied is None:
        return offer
    return replace(offer, price=Money(offer.price.amount - applied.unit_discount, offer.price.currency),
                   list_price=offer.price, promotion_id=applied.promotion_id)


def next_change(promotions: Iterable[Promotion], after: str) -> str | None:
    """The first start or end of a promotion after `after`: when a listing computed now goes stale."""
    moments = [m for p in promotions for m in (p.starts_at, p.ends_at) if m > after]
    return min(moments, default=None)


# --- creating one -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PromotionTerms:
    """What a vendor asks a promotion to be, before it is checked."""

    name: str
    kind: str
    value: int
    starts_at: str
    ends_at: str
    min_quantity: int
    offer_ids: frozenset[str]


def validate_terms(data: Mapping[str, Any], *, now: str) -> PromotionTerms:
    """Every wrong field at once (400 naming them). Timestamps are already in the platform's format."""
    errors: dict[str, str] = {}
    name = str(data.get("name") or "").strip()
    if not NAME_MIN <= len(name) <= NAME_MAX:
        errors["name"] = f"{NAME_MIN} to {NAME_MAX} characters"
    kind = data.get("kind")
    value = data.get("value")
    if kind not in KINDS:
        errors["kind"] = "percent or amount"
    elif not isinstance(value, int) or isinstance(value, bool):
        errors["value"] = "an integer"
    elif kind == PERCENT and not MIN_PERCENT <= value <= MAX_PERCENT:
        errors["value"] = f"a percent from {MIN_PERCENT} to {MAX_PERCENT}"
    elif kind == AMOUNT and value < 1:
        errors["value"] = "an amount off in minor units, at least 1"
    starts_at, ends_at = data.get("starts_at"), data.get("ends_at")
    if not starts_at:
        errors["starts_at"] = "required"
    if not ends_at:
        errors["ends_at"] = "required"
    elif starts_at and ends_at <= starts_at:
        errors["ends_at"] = "must be after starts_at"
    elif ends_at <= now:
        errors["ends_at"] = "must be in the future"
    min_quantity = data.get("min_quantity", 1)
    if not isinstance(min_quantity, int) or isinstance(min_quantity, bool) or not 1 <= min_quantity <= MAX_LINE_QUANTITY:
        errors["min_quantity"] = f"from 1 to {MAX_LINE_QUANTITY}"
    offer_ids = list(data.get("offer_ids") or [])
    if len(offer_ids) > MAX_TARGETED_OFFERS:
        errors["offer_ids"] = f"at most {MAX_TARGETED_OFFERS} offers (or none: every offer of yours)"
    elif len(set(offer_ids)) != len(offer_ids):
        errors["offer_ids"] = "each offer once"
    if errors:
        raise InvalidInput("The promotion is not valid.", fields=errors)
    return PromotionTerms(name=name, kind=kind, value=value, starts_at=starts_at, ends_at=ends_at,
                          min_quantity=min_quantity, offer_ids=frozenset(offer_ids))


@dataclass(frozen=True)
class TargetedOffer:
    """An offer a promotion targets, with its price and shipping."""

    offer_id: str
    price: Money
    shipping_fee: Money


def check_targets(promotion: Promotion, offers: Iterable[TargetedOffer]) -> None:
    """Refuse a promotion that would make any targeted offer free, negative or unpayable (400 naming `value`)."""
    for offer in offers:
        promoted = offer.price.amount - promotion.raw_unit_discount(offer.price.amount)
        floor = minimum_charge(offer.price.currency)
        if promoted <= 0 or promoted + offer.shipping_fee.amount < floor.amount:
            raise InvalidInput(
                f"This promotion would take offer {offer.offer_id} to {Money(promoted, offer.price.currency).display()} "
                f"(+ shipping), below {floor.display()}, the smallest amount a card payment can be.",
                fields={"value": f"too large for offer {offer.offer_id}"},
            )


# --- editing one ------------------------------------------------------------------------------------

EDITABLE = ("name", "value", "starts_at", "ends_at", "min_quantity")


def revise_terms(current: Promotion, changes: Mapping[str, Any], *, now: str) -> PromotionTerms:
    """The terms after an edit of a scheduled or running promotion (its kind and offers stay).

    The creation rules hold for the result (400 naming every wrong field); on top of them, an ended
    promotion cannot be edited (409: create a new one) and a start that changes cannot move into the
    past, whether the promotion has started or not: shoppers already charged or quoted at the old window
    keep what they saw, and no order can get a discount retroactively.
    """
    if current.ends_at <= now:
        raise Conflict("This promotion has ended; create a new one.", code="promotion_ended",
                       fields={"promotion_id": "ended"})
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput("Only the name, value, window and minimum quantity of a promotion can change.",
                           fields={name: "cannot change" for name in unknown})
    merged = {"name": current.name, "kind": current.kind, "value": current.value, "starts_at": current.starts_at,
              "ends_at": current.ends_at, "min_quantity": current.min_quantity,
              "offer_ids": sorted(current.offer_ids), **changes}
    moved_back = merged["starts_at"] != current.starts_at and merged["starts_at"] < now
    try:
        terms = validate_terms(merged, now=now)
    except InvalidInput as err:
        if moved_back:
            err.fields.setdefault("starts_at", "cannot move into the past")
        raise
    if moved_back:
        raise InvalidInput("The promotion is not valid.", fields={"starts_at": "cannot move into the past"})
    return terms
