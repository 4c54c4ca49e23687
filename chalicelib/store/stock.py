"""Offer stock as the order store touches it: what a reservation expects, and what a refused one means.

The offers live in the catalogue's table (chalicelib/store/offers.py); only the stock and price
attributes are used here, in the conditions of the checkout's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.cart_changes import LineTerms, OfferNow
from chalicelib.domain.cart_changes import line_changes as changes_since
from chalicelib.domain.errors import Conflict


class CartChanged(Conflict):
    """Some line no longer matches the offer (price, shipping or stock): nothing was reserved.

    `fields` names each line (`lines.<offer_id>`) with what changed; `changes` is the
    machine-readable form: [{offer_id, reason (domain.cart_changes.ChangeReason), message, ...}].
    """

    code = "cart_changed"

    def __init__(self, changes: list[dict]):
        fields: dict[str, str] = {}
        for change in changes:  # a line may have changed in several ways: one sentence each
            key = f"lines.{change['offer_id']}"
            fields[key] = f"{fields[key]} {change['message']}" if key in fields else change["message"]
        super().__init__(
            "Some items in your cart changed since you added them. Review your cart and try again.",
            fields=fields,
        )
        self.changes = changes


class StockBusy(Conflict):
    """Another transaction touched the same offer at the same moment; retrying soon succeeds."""

    code = "busy"
    headers = {"Retry-After": "1"}


def offer_model():
    """The catalogue's offer model: its attribute names are the ones conditions must use."""
    from chalicelib.store.offers import OfferItem

    return OfferItem


@dataclass(frozen=True)
class Reservation:
    """Units of one offer to reserve, on condition price and shipping are still as seen."""

    offer_id: str
    quantity: int
    expected_price: int  # minor units, as seen by the shopper (cart snapshot)
    expected_shipping: int


def _raw_number(item: dict | None, name: str) -> int | None:
    if not item or name not in item:
        return None
    return int(float(item[name]["N"]))


def line_changes(reservation: Reservation, old: dict | None, names: dict[str, str]) -> list[dict]:
    """Why the transaction refused this reservation, from the offer as it was (ALL_OLD), in the
    cart's own reasons and wording (domain/cart_changes.py)."""
    currency = ((old or {}).get(names["currency"]) or {}).get("S", "")
    line = LineTerms(offer_id=reservation.offer_id, quantity=reservation.quantity, price=reservation.expected_price,
                     shipping_fee=reservation.expected_shipping, currency=currency)
    if not old:
        return changes_since(line, None)
    return changes_since(line, OfferNow(price=_raw_number(old, names["price"]) or 0,
                                        shipping_fee=_raw_number(old, names["shipping_fee"]) or 0,
                                        available=_raw_number(old, names["available"]) or 0, currency=currency,
                                        status=(old.get(names["status"]) or {}).get("S", "active")))
