"""What changed between a cart line and its offer now: one list of reasons, one wording.

The cart shows these changes beside each line (`GET /cart`, the quote), and checkout refuses
with the same ones when its transaction finds an offer other than the line expected
(`CartChanged`, from the store's cancellation reasons). Both build them here, so the shopper
reads the same reason and sentence whichever of the two noticed. Pure: no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.money import Money


class ChangeReason(StrEnum):
    GONE = "gone"  # the offer was withdrawn
    PRICE_CHANGED = "price_changed"
    SHIPPING_CHANGED = "shipping_changed"
    OUT_OF_STOCK = "out_of_stock"  # fewer left than the line's quantity (maybe none)
    PROMOTION_CHANGED = "promotion_changed"  # a promotion started, ended or changed the promoted price
    PAUSED = "paused"  # the vendor paused the offer: not for sale until resumed
    DELISTED = "delisted"  # the vendor stopped selling it for good
    VENDOR_NOT_SELLING = "vendor_not_selling"  # the shop is paused (suspended, or not cleared to sell)


def vendor_not_selling(offer_id: str) -> dict:
    """The change of a line whose shop may not sell right now (chalicelib/domain/vendors.py `can_sell`)."""
    return {"offer_id": offer_id, "reason": ChangeReason.VENDOR_NOT_SELLING.value,
            "message": "This shop is not selling right now."}


@dataclass(frozen=True)
class LineTerms:
    """What the shopper saw when they set the line (the cart's snapshot of the offer)."""

    offer_id: str
    quantity: int
    price: int  # minor units
    shipping_fee: int
    currency: str


@dataclass(frozen=True)
class OfferNow:
    """An offer as it stands now (price, shipping, stock), compared with what the cart saw."""

    price: int
    shipping_fee: int
    available: int
    currency: str
    status: str = "active"  # the offer's own lifecycle (domain/catalog.py OFFER_STATUSES)


# Why a line whose offer is not for sale cannot be bought, in the shopper's words.
NOT_FOR_SALE = {
    "paused": (ChangeReason.PAUSED, "The seller paused this offer: it cannot be bought right now."),
    "delisted": (ChangeReason.DELISTED, "The seller no longer sells this offer."),
}


def line_changes(line: LineTerms, offer: OfferNow | None) -> list[dict]:
    """Every difference between the line and the offer now (empty: checkout would pass), as
    {offer_id, reason, message, before?/now? (Money JSON), available?}."""
    if offer is None:
        return [{"offer_id": line.offer_id, "reason": ChangeReason.GONE.value,
                 "message": "This offer is no longer available."}]
    if offer.status in NOT_FOR_SALE:  # price or stock differences do not matter: it cannot be bought at all
        reason, message = NOT_FOR_SALE[offer.status]
        return [{"offer_id": line.offer_id, "reason": reason.value, "message": message}]
    changes = []
    if offer.price != line.price or offer.currency != line.currency:
        before, now = Money(line.price, line.currency), Money(offer.price, offer.currency)
        changes.append({"offer_id": line.offer_id, "reason": ChangeReason.PRICE_CHANGED.value,
                        "before": before.to_json(), "now": now.to_json(),
                        "message": f"The price changed from {before.display()} to {now.display()}."})
    if offer.shipping_fee != line.shipping_fee:
        changes.append({"offer_id": line.offer_id, "reason": ChangeReason.SHIPPING_CHANGED.value,
                        "before": Money(line.shipping_fee, line.currency).to_json(),
                        "now": Money(offer.shipping_fee, offer.currency).to_json(),
                        "message": "The shipping fee changed."})
    if offer.available < line.quantity:
        left = max(offer.available, 0)
        changes.append({"offer_id": line.offer_id, "reason": ChangeReason.OUT_OF_STOCK.value, "available": left,
                        "message": "Sold out." if left == 0 else f"Only {left} left."})
    return changes


def promotion_change(line: LineTerms, unit_discount_then: int, unit_discount_now: int) -> list[dict]:
    """The promoted price the line snapshotted vs the one a promotion gives now (`before`/`now` per unit)."""
    if unit_discount_then == unit_discount_now:
        return []
    before = Money(line.price - unit_discount_then, line.currency)
    now = Money(line.price - unit_discount_now, line.currency)
    if unit_discount_now == 0:
        message = f"The promotion on this item ended: {now.display()} instead of {before.display()}."
    elif unit_discount_then == 0:
        message = f"A promotion now applies: {now.display()} instead of {before.display()}."
    else:
        message = f"The promoted price changed from {before.display()} to {now.display()}."
    return [{"offer_id": line.offer_id, "reason": ChangeReason.PROMOTION_CHANGED.value,
             "before": before.to_json(), "now": now.to_json(), "message": message}]
