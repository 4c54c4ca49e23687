"""The order's domain events: one typed payload per event, each with a name, a version and an example.

`ORDER_EVENTS` lists them all; `docs/events.md` is generated from it (scripts/events_doc.py) and a
test keeps the two in step. Every payload starts with the same order summary (`OrderSummary`),
built in one place (`OrderSummary.of`), so consumers read one shape whatever the event.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from chalicelib.domain.orders import Order


@dataclass(frozen=True)
class OrderSummary:
    order_id: str
    order_number: str
    shopper_id: str
    total: dict  # {"amount": minor units, "currency": "EUR"}
    vendor_ids: list[str]

    @classmethod
    def of(cls, order: Order) -> OrderSummary:
        return cls(order_id=order.order_id, order_number=order.order_number, shopper_id=order.shopper_id,
                   total={"amount": order.total, "currency": order.currency},
                   vendor_ids=sorted({line.vendor_id for line in order.lines}))


_EXAMPLE_SUMMARY = dict(order_id="ord_3f2a9c1d5e7b8a6c4d2e0f1a", order_number="H-2611-482319",
                        shopper_id="3c1e6a52-6a8b-4c1e-9f7d-1b2a3c4d5e6f",
                        total={"amount": 5480, "currency": "EUR"}, vendor_ids=["alpine", "bytes"])


@dataclass(frozen=True)
class OrderEvent:
    """Base of every order event: `name` and `version` identify the contract, `data()` is the payload."""

    name: ClassVar[str]
    version: ClassVar[int] = 1
    description: ClassVar[str] = ""

    order: OrderSummary

    def data(self) -> dict:
        extra = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "order"}
        return {**asdict(self.order), **extra, "version": self.version}

    @property
    def dedup_key(self) -> str:
        """The fact this event states: publishing it again yields the same event id."""
        return self.order.order_id

    @classmethod
    def example(cls) -> OrderEvent:
        raise NotImplementedError


@dataclass(frozen=True)
class OrderPlaced(OrderEvent):
    name: ClassVar[str] = "order.placed"
    description: ClassVar[str] = "An order was placed and its stock reserved until `reserved_until`."
    item_count: int = 0
    reserved_until: str = ""

    @classmethod
    def example(cls) -> OrderPlaced:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), item_count=3, reserved_until="2026-11-27T03:30:00Z")


@dataclass(frozen=True)
class OrderPaid(OrderEvent):
    name: ClassVar[str] = "order.paid"
    description: ClassVar[str] = "The payment succeeded: the reserved stock is sold."
    paid_at: str = ""
    charge_id: str | None = None

    @classmethod
    def example(cls) -> OrderPaid:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), paid_at="2026-11-27T03:02:11Z", charge_id="ch_3PgaF2B7WZ01zgkW")


@dataclass(frozen=True)
class OrderCancelled(OrderEvent):
    name: ClassVar[str] = "order.cancelled"
    description: ClassVar[str] = ("The unpaid order ended (shopper_cancelled, reservation_expired, payment_canceled, "
                                  "payment_not_started): its stock is released.")
    reason: str = ""

    @classmethod
    def example(cls) -> OrderCancelled:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), reason="shopper_cancelled")


@dataclass(frozen=True)
class PaymentFailed(OrderEvent):
    name: ClassVar[str] = "payment.failed"
    version: ClassVar[int] = 2
    description: ClassVar[str] = ("One payment attempt was declined; the order stays pending_payment with its stock "
                                  "held and the shopper may retry (v2: the order no longer ends).")
    attempt_id: str = ""
    reason: str | None = None

    @property
    def dedup_key(self) -> str:
        return f"{self.order.order_id}:{self.attempt_id}"

    @classmethod
    def example(cls) -> PaymentFailed:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), attempt_id="ch_3PgaF2B7WZ01zgkW", reason="insufficient_funds")


ORDER_EVENTS: tuple[type[OrderEvent], ...] = (OrderPlaced, OrderPaid, OrderCancelled, PaymentFailed)
