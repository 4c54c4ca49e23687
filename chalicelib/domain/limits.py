"""Cart limits: the one home of how many of an offer a line holds and how many lines a cart holds.

Used by the HTTP contract (the cart body's `maximum`), the cart use case (setting a line) and
the pricing rules (a quote or an order of a cart saved under other limits). Pure, and kept apart
from pricing so that `import app` stays light.
"""

from __future__ import annotations

from chalicelib.domain.errors import InvalidInput

MAX_LINE_QUANTITY = 10
MAX_CART_LINES = 50


def check_quantity(quantity: int, available: int | None = None) -> None:
    """A line's quantity is 1 to MAX_LINE_QUANTITY, and at most what is `available` (when known)."""
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_LINE_QUANTITY:
        raise InvalidInput(f"Quantity must be between 1 and {MAX_LINE_QUANTITY}.",
                           fields={"quantity": f"between 1 and {MAX_LINE_QUANTITY}"})
    if available is not None and quantity > available:
        raise InvalidInput(f"Only {available} left in stock.", code="insufficient_stock",
                           fields={"quantity": f"at most {available}"})


def check_line_count(lines: int) -> None:
    """A cart of `lines` lines is allowed."""
    if lines > MAX_CART_LINES:
        raise InvalidInput(f"A cart holds at most {MAX_CART_LINES} lines.", fields={"cart": "too many lines"})
