"""The order's payment state machine and the stock moves each transition implies.

An order reserves stock when it is placed (`pending_payment`). From there exactly one of
these happens, once: payment succeeds (reserved -> sold), payment fails or is cancelled, or
the reservation expires (reserved -> available). Events may arrive twice or out of order;
`decide()` answers what to do for the order's *current* status, so a duplicate is a no-op and
a late success on an order that no longer holds stock is refunded (our documented policy:
refund, never silently re-reserve, so a shopper is never charged for stock sold to someone else).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from chalicelib.domain.errors import InvalidInput


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    PAYMENT_FAILED = "payment_failed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class PaymentOutcome(StrEnum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"  # our own reservation timer, not the provider


class StockMove(StrEnum):
    NONE = "none"
    SELL = "sell"  # reserved -> sold
    RELEASE = "release"  # reserved -> available


@dataclass(frozen=True)
class Decision:
    new_status: OrderStatus | None  # None: nothing changes (duplicate or stale event)
    stock: StockMove = StockMove.NONE
    refund: bool = False  # money arrived for an order that no longer holds stock
    cancel_payment: bool = False  # stop the provider from accepting a payment later


_HOLDING = {OrderStatus.PENDING_PAYMENT}
_RELEASED = {OrderStatus.PAYMENT_FAILED, OrderStatus.CANCELLED}


def decide(status: OrderStatus, outcome: PaymentOutcome, *, already_refunded: bool = False) -> Decision:
    if status in _HOLDING:
        if outcome is PaymentOutcome.SUCCEEDED:
            return Decision(OrderStatus.PAID, StockMove.SELL)
        if outcome is PaymentOutcome.FAILED:
            return Decision(OrderStatus.PAYMENT_FAILED, StockMove.RELEASE, cancel_payment=True)
        return Decision(OrderStatus.CANCELLED, StockMove.RELEASE, cancel_payment=outcome is PaymentOutcome.EXPIRED)
    if status in _RELEASED and outcome is PaymentOutcome.SUCCEEDED and not already_refunded:
        return Decision(OrderStatus.REFUNDED, StockMove.NONE, refund=True)
    return Decision(None)


TIMELINE_LABELS = {
    "placed": "Order placed, stock reserved",
    OrderStatus.PAID.value: "Payment received",
    OrderStatus.PAYMENT_FAILED.value: "Payment failed, stock released",
    OrderStatus.CANCELLED.value: "Order cancelled, stock released",
    OrderStatus.REFUNDED.value: "Payment refunded",
    "refund": "Refund recorded",
    "dispute": "Payment disputed",
    "transfer": "Vendor payout sent",
}


@dataclass
class StockLevel:
    """Pure model of one offer's stock; the DynamoDB conditions mirror these checks."""

    available: int
    reserved: int = 0
    sold: int = 0

    def reserve(self, quantity: int) -> None:
        if quantity <= 0:
            raise InvalidInput("Quantity must be positive.", fields={"quantity": "must be positive"})
        if self.available < quantity:
            raise InvalidInput("Not enough stock.", code="insufficient_stock", fields={"quantity": "not enough stock"})
        self.available -= quantity
        self.reserved += quantity

    def apply(self, move: StockMove, quantity: int) -> None:
        if move is StockMove.NONE:
            return
        if self.reserved < quantity:
            raise AssertionError("stock move on quantity that is not reserved")
        self.reserved -= quantity
        if move is StockMove.SELL:
            self.sold += quantity
        else:
            self.available += quantity

    @property
    def total(self) -> int:
        return self.available + self.reserved + self.sold
