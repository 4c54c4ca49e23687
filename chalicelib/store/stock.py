"""Offer stock as the order store touches it: what a reservation expects, and what a refused one means.

The offers live in the catalogue's table (chalicelib/store/offers.py); only the stock and price
attributes are used here, in the conditions of the checkout's transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from chalicelib.domain.errors import Conflict


class CartChanged(Conflict):
    """Some line no longer matches the offer (price, shipping or stock): nothing was reserved.

    `fields` names each line (`lines.<offer_id>`) with what changed; `changes` is the
    machine-readable form: [{offer_id, reason: price_changed|out_of_stock|gone, ...}].
    """

    code = "cart_changed"

    def __init__(self, changes: list[dict]):
        fields = {f"lines.{c['offer_id']}": c["message"] for c in changes}
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
    offer_id: str
    quantity: int
    expected_price: int  # minor units, as seen by the shopper (cart snapshot)
    expected_shipping: int


def _raw_number(item: dict | None, name: str) -> int | None:
    if not item or name not in item:
        return None
    return int(float(item[name]["N"]))


def line_change(reservation: Reservation, old: dict | None, names: dict[str, str]) -> dict:
    offer_id = reservation.offer_id
    if not old:
        return {"offer_id": offer_id, "reason": "gone", "message": "this offer is no longer available"}
    price = _raw_number(old, names["price"])
    shipping = _raw_number(old, names["shipping_fee"])
    available = _raw_number(old, names["available"]) or 0
    if price != reservation.expected_price or shipping != reservation.expected_shipping:
        return {
            "offer_id": offer_id,
            "reason": "price_changed",
            "price": price,
            "shipping_fee": shipping,
            "message": "the price or shipping fee changed since you added it",
        }
    if available <= 0:
        return {"offer_id": offer_id, "reason": "out_of_stock", "available": 0, "message": "sold out"}
    return {
        "offer_id": offer_id,
        "reason": "out_of_stock",
        "available": available,
        "message": f"only {available} left",
    }
