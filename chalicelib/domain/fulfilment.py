"""Fulfilment rules of a vendor sub-order: which actions each state allows, what a shipment must
carry, and what the shopper gets back when a vendor cancels a line before shipping.

A paid order's sub-order moves placed -> accepted -> shipped -> delivered; the vendor may cancel a
line while it is placed or accepted (the last line cancelled cancels the sub-order). Receipt is
confirmed by the shopper (or automatically N days after shipping) once shipped: that confirmation,
not the vendor's own "delivered" mark, releases the vendor's payout.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from chalicelib.domain.errors import Conflict, InvalidInput

ACCEPT, SHIP, DELIVER, CANCEL_LINE, CONFIRM_RECEIPT = "accept", "ship", "deliver", "cancel_line", "confirm_receipt"

# The vendor's actions per sub-order state (a paid order only); the shopper's is `confirm_receipt`.
VENDOR_ACTIONS: dict[str, tuple[str, ...]] = {
    "placed": (ACCEPT, CANCEL_LINE),
    "accepted": (SHIP, CANCEL_LINE),
    "shipped": (DELIVER,),
    "delivered": (),
    "cancelled": (),
    "pending_payment": (),
}
RECEIPT_STATES = frozenset({"shipped", "delivered"})


def illegal(action: str, state: str, allowed: tuple[str, ...]) -> Conflict:
    """409 naming what may be done instead (empty: nothing more, the sub-order is settled)."""
    words = ", ".join(allowed) if allowed else "none"
    return Conflict(f"This sub-order is {state}: it cannot {action.replace('_', ' ')} now "
                    f"(allowed: {words}).", code="illegal_transition",
                    fields={"status": state, "allowed_actions": words})


@dataclass(frozen=True)
class Shipment:
    """A vendor's parcel as shipped: carrier, tracking number and tracking link."""

    carrier: str
    tracking_number: str
    tracking_url: str

    def __post_init__(self) -> None:
        try:
            parts = urlsplit(self.tracking_url)
            secure = parts.scheme == "https" and bool(parts.hostname) and not (parts.username or parts.password)
        except ValueError:  # "https://[oops": not a URL at all
            secure = False
        if not secure:
            raise InvalidInput("The tracking URL must be an https:// link to the carrier's page.",
                               fields={"tracking_url": "must be an https URL"})
        for name in ("carrier", "tracking_number"):
            if not getattr(self, name).strip():
                raise InvalidInput(f"{name.replace('_', ' ').capitalize()} is required.", fields={name: "required"})

    def to_json(self) -> dict:
        return {"carrier": self.carrier, "tracking_number": self.tracking_number, "tracking_url": self.tracking_url}


def line_refund(*, quantity: int, unit_price: int, line_discount: int, items: int, unassigned_discount: int,
                total: int, already_refunded: int, last_line: bool) -> int:
    """What the shopper gets back for one cancelled line (minor units).

    What the shopper paid for the line: its price less its own promotion (`line_discount`: the
    line's unit discount times its quantity) less its pro-rata share of any discount of the
    sub-order that no line carries (rounded down, so the platform never refunds more than was
    paid). The last line cancelled refunds everything left of the sub-order's total, shipping
    included: nothing is shipped at all.
    """
    left = max(0, total - already_refunded)
    if last_line:
        return left
    value = quantity * unit_price
    share = unassigned_discount * value // items if items > 0 else 0
    return max(0, min(left, value - line_discount - share))
