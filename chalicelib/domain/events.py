"""Every domain event the system publishes: one typed payload per event, each with a type, a
version, a description and an example.

`EVENTS` lists them all. `docs/events.md` is generated from it (scripts/events_doc.py) and a test
keeps the two in step; chalicelib/events.py publishes only these payloads, and the notifications
consumer validates every message against its event's model (an unknown or malformed one fails).
Every order event's payload starts with the same order summary (`OrderSummary`), built in one
place (`OrderSummary.of`), so consumers read one shape whatever the event.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:
    from chalicelib.domain.orders import Order


# `eq=False` on every event: nothing compares two events (the outbox keeps them as JSON and compares
# that; a test reads each example back and compares its `data()`), and a frozen dataclass with `eq`
# compiles an `__eq__` and a `__hash__` per class when the module loads (36 classes: ~4 ms of a first
# checkout).
@dataclass(frozen=True, eq=False)
class DomainEvent:
    """Base of every event: `event_type` and `version` identify the contract, `data()` is the payload."""

    event_type: ClassVar[str]
    version: ClassVar[int] = 1
    description: ClassVar[str] = ""
    area: ClassVar[str] = ""  # who publishes it

    def data(self) -> dict:
        return {**asdict(self), "version": self.version}

    @classmethod
    def fields_of(cls, data: dict) -> dict:
        """A payload (what `data()` made) as this dataclass's constructor arguments."""
        return {k: v for k, v in data.items() if k != "version"}

    @property
    def dedup_key(self) -> str:
        """The fact this event states: publishing it again yields the same event id."""
        raise NotImplementedError

    @classmethod
    def example(cls) -> DomainEvent:
        raise NotImplementedError

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name in self._required and not (isinstance(value, str) and value.strip()):
                raise ValueError(f"{f.name} is required")

    _required: ClassVar[frozenset[str]] = frozenset()

    def __init_subclass__(cls, **kwargs) -> None:
        # An event's docstring is its `description` (help() and the docs show what it states). Set here, before
        # @dataclass runs: Python 3.12's @dataclass otherwise writes one per class from inspect.signature, ~0.1 ms
        # each, and a first checkout imports every event of this module.
        super().__init_subclass__(**kwargs)
        if not cls.__dict__.get("__doc__") and cls.__dict__.get("description"):
            cls.__doc__ = cls.description


# --- accounts (chalicelib/services/accounts.py) --------------------------------------------------


@dataclass(frozen=True, eq=False)
class UserSignedUp(DomainEvent):
    event_type: ClassVar[str] = "user.signed_up"
    description: ClassVar[str] = "A person created an account (shopper or vendor): they get a welcome mail."
    area: ClassVar[str] = "accounts"
    _required: ClassVar[frozenset[str]] = frozenset({"user_id", "email", "role"})

    user_id: str
    email: str
    name: str
    role: str  # shopper | vendor
    locale: str = ""  # "fr" | "en": from the sign-up request's Accept-Language ("" before it was sent)

    @property
    def dedup_key(self) -> str:
        return self.user_id

    @classmethod
    def example(cls) -> UserSignedUp:
        return cls(user_id="3c1e6a52-6a8b-4c1e-9f7d-1b2a3c4d5e6f", email="ada@example.com", name="Ada",
                   role="shopper")


@dataclass(frozen=True, eq=False)
class SignUpRepeated(DomainEvent):
    event_type: ClassVar[str] = "account.signup_repeated"
    description: ClassVar[str] = ("Someone signed up with an address that has an account: its owner is told (at most "
                                  "once a day per address, `day` being the UTC date of the attempt).")
    area: ClassVar[str] = "accounts"
    _required: ClassVar[frozenset[str]] = frozenset({"email"})

    email: str
    day: str = ""  # YYYY-MM-DD (UTC): one event per address and day

    @property
    def dedup_key(self) -> str:
        return f"{self.event_type}:{self.email}:{self.day}"

    @classmethod
    def example(cls) -> SignUpRepeated:
        return cls(email="ada@example.com", day="2026-11-27")


# --- orders (chalicelib/domain/orders.py, published from the order's outbox) ---------------------


@dataclass(frozen=True, eq=False)
class OrderSummary:
    """What every order event carries about its order: ids, shopper, total and vendors."""

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


@dataclass(frozen=True, eq=False)
class OrderEvent(DomainEvent):
    """Base of every order event: the payload is the order summary, flat, plus the event's own fields."""

    area: ClassVar[str] = "orders"

    order: OrderSummary

    def data(self) -> dict:
        extra = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "order"}
        return {**asdict(self.order), **extra, "version": self.version}

    @classmethod
    def fields_of(cls, data: dict) -> dict:
        summary = {f.name for f in fields(OrderSummary)}
        return {"order": {k: v for k, v in data.items() if k in summary},
                **{k: v for k, v in data.items() if k not in summary and k != "version"}}

    @property
    def dedup_key(self) -> str:
        """The fact this event states: publishing it again yields the same event id."""
        return self.order.order_id

    @classmethod
    def example(cls) -> OrderEvent:
        raise NotImplementedError


@dataclass(frozen=True, eq=False)
class OrderPlaced(OrderEvent):
    event_type: ClassVar[str] = "order.placed"
    description: ClassVar[str] = "An order was placed and its stock reserved until `reserved_until`."
    item_count: int = 0
    reserved_until: str = ""

    @classmethod
    def example(cls) -> OrderPlaced:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), item_count=3, reserved_until="2026-11-27T03:30:00Z")


@dataclass(frozen=True, eq=False)
class OrderPaid(OrderEvent):
    event_type: ClassVar[str] = "order.paid"
    description: ClassVar[str] = "The payment succeeded: the reserved stock is sold."
    paid_at: str = ""
    charge_id: str | None = None

    @classmethod
    def example(cls) -> OrderPaid:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), paid_at="2026-11-27T03:02:11Z", charge_id="ch_3PgaF2B7WZ01zgkW")


@dataclass(frozen=True, eq=False)
class OrderCancelled(OrderEvent):
    event_type: ClassVar[str] = "order.cancelled"
    description: ClassVar[str] = ("The unpaid order ended (shopper_cancelled, reservation_expired, payment_canceled, "
                                  "payment_not_started): its stock is released.")
    reason: str = ""

    @classmethod
    def example(cls) -> OrderCancelled:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), reason="shopper_cancelled")


@dataclass(frozen=True, eq=False)
class PaymentFailed(OrderEvent):
    event_type: ClassVar[str] = "payment.failed"
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


# --- fulfilment (a vendor's sub-order: chalicelib/domain/fulfilment.py) ---------------------------


@dataclass(frozen=True, eq=False)
class VendorOrderEvent(OrderEvent):
    """An event about one vendor's part of the order: stated once per order and vendor."""

    vendor_id: str = ""

    @property
    def dedup_key(self) -> str:
        return f"{self.order.order_id}:{self.vendor_id}"


@dataclass(frozen=True, eq=False)
class OrderAccepted(VendorOrderEvent):
    event_type: ClassVar[str] = "order.accepted"
    description: ClassVar[str] = "A vendor accepted its part of a paid order (it will ship it)."
    accepted_at: str = ""

    @classmethod
    def example(cls) -> OrderAccepted:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), vendor_id="alpine", accepted_at="2026-11-27T04:00:00Z")


@dataclass(frozen=True, eq=False)
class OrderShipped(VendorOrderEvent):
    event_type: ClassVar[str] = "order.shipped"
    description: ClassVar[str] = "A vendor shipped its part of the order, with the carrier and the tracking link."
    shipped_at: str = ""
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""

    @classmethod
    def example(cls) -> OrderShipped:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), vendor_id="alpine", shipped_at="2026-11-27T09:00:00Z",
                   carrier="DHL", tracking_number="JD014600003828",
                   tracking_url="https://www.dhl.com/track?id=JD014600003828")


@dataclass(frozen=True, eq=False)
class OrderDelivered(VendorOrderEvent):
    event_type: ClassVar[str] = "order.delivered"
    description: ClassVar[str] = ("A vendor's parcel arrived: marked by the vendor (`vendor`), confirmed by the "
                                  "shopper (`shopper`) or automatically after the waiting period (`auto`).")
    delivered_at: str = ""
    confirmed_by: str = ""

    @classmethod
    def example(cls) -> OrderDelivered:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), vendor_id="alpine", delivered_at="2026-11-29T12:00:00Z",
                   confirmed_by="shopper")


@dataclass(frozen=True, eq=False)
class OrderLineCancelled(VendorOrderEvent):
    event_type: ClassVar[str] = "order.line_cancelled"
    description: ClassVar[str] = ("A vendor cancelled one line before shipping: the shopper is refunded `refund` and "
                                  "the units go back on sale.")
    offer_id: str = ""
    quantity: int = 0
    reason: str = ""
    refund: dict | None = None  # {"amount": minor units, "currency": "EUR"}

    @property
    def dedup_key(self) -> str:
        return f"{self.order.order_id}:{self.vendor_id}:{self.offer_id}"

    @classmethod
    def example(cls) -> OrderLineCancelled:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), vendor_id="alpine", offer_id="off_7c1d2e3f", quantity=1,
                   reason="out of stock", refund={"amount": 1990, "currency": "EUR"})


# --- claims and disputes (chalicelib/domain/claims.py, Order.record_dispute) ---------------------


@dataclass(frozen=True, eq=False)
class ClaimEvent(VendorOrderEvent):
    """A step of a shopper's claim on one vendor's part of the order: stated once per claim and step."""

    area: ClassVar[str] = "claims"
    claim_id: str = ""

    @property
    def dedup_key(self) -> str:
        return f"{self.claim_id}:{self.event_type}"


@dataclass(frozen=True, eq=False)
class ClaimOpened(ClaimEvent):
    event_type: ClassVar[str] = "claim.opened"
    description: ClassVar[str] = ("A shopper opened a claim (not_received, damaged, not_as_described, other) on a "
                                  "vendor's part of the order; the vendor answers by `answer_due_at`.")
    reason: str = ""
    answer_due_at: str = ""

    @classmethod
    def example(cls) -> ClaimOpened:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), vendor_id="alpine", claim_id="clm_3f2a9c0d1e7b4a5c6d8e9f0a1b",
                   reason="damaged", answer_due_at="2026-11-30T09:00:00Z")


@dataclass(frozen=True, eq=False)
class ClaimAnswered(ClaimEvent):
    event_type: ClassVar[str] = "claim.answered"
    description: ClassVar[str] = ("The vendor answered a claim with a proposal: a refund (amount computed from the "
                                  "lines), a replacement or a rejection with its reason.")
    proposal: dict | None = None  # {resolution, amount, lines, reason}

    @classmethod
    def example(cls) -> ClaimAnswered:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), vendor_id="alpine", claim_id="clm_3f2a9c0d1e7b4a5c6d8e9f0a1b",
                   proposal={"resolution": "refund", "amount": 1990, "lines": [["off_7c1d2e3f", 1]], "reason": ""})


@dataclass(frozen=True, eq=False)
class ClaimEscalated(ClaimEvent):
    event_type: ClassVar[str] = "claim.escalated"
    description: ClassVar[str] = ("A claim went to the platform: on the shopper's request after the vendor's answer "
                                  "(`shopper`) or because the vendor did not answer in time (`auto`).")
    by: str = ""

    @classmethod
    def example(cls) -> ClaimEscalated:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), vendor_id="alpine", claim_id="clm_3f2a9c0d1e7b4a5c6d8e9f0a1b",
                   by="auto")


@dataclass(frozen=True, eq=False)
class ClaimResolved(ClaimEvent):
    event_type: ClassVar[str] = "claim.resolved"
    description: ClassVar[str] = ("A claim was settled: the shopper accepted the vendor's proposal (`shopper`) or an "
                                  "admin decided (`admin`): refund, replacement or rejection.")
    resolution: dict | None = None  # {resolution, amount, lines, reason}
    resolved_by: str = ""

    @classmethod
    def example(cls) -> ClaimResolved:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), vendor_id="alpine", claim_id="clm_3f2a9c0d1e7b4a5c6d8e9f0a1b",
                   resolution={"resolution": "refund", "amount": 1990, "lines": [["off_7c1d2e3f", 1]], "reason": ""},
                   resolved_by="admin")


@dataclass(frozen=True, eq=False)
class DisputeOpened(OrderEvent):
    event_type: ClassVar[str] = "dispute.opened"
    description: ClassVar[str] = ("The shopper's bank disputed the payment: a case for the platform, evidence due by "
                                  "`due_by`; the vendors' payouts still due are held until it closes.")
    area: ClassVar[str] = "claims"
    dispute_id: str = ""
    amount: int = 0
    currency: str = ""
    reason: str | None = None
    due_by: str | None = None

    @property
    def dedup_key(self) -> str:
        return self.dispute_id

    @classmethod
    def example(cls) -> DisputeOpened:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), dispute_id="dp_1PgaF2B7WZ01zgkW", amount=5480, currency="EUR",
                   reason="fraudulent", due_by="2026-12-05T23:59:59Z")


@dataclass(frozen=True, eq=False)
class DisputeClosed(OrderEvent):
    event_type: ClassVar[str] = "dispute.closed"
    description: ClassVar[str] = ("A dispute closed: `won` (held payouts are released) or `lost` (the vendors' "
                                  "shares are recovered).")
    area: ClassVar[str] = "claims"
    dispute_id: str = ""
    status: str = ""

    @property
    def dedup_key(self) -> str:
        return self.dispute_id

    @classmethod
    def example(cls) -> DisputeClosed:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), dispute_id="dp_1PgaF2B7WZ01zgkW", status="lost")


CASE_EVENTS: tuple[type[OrderEvent], ...] = (ClaimOpened, ClaimAnswered, ClaimEscalated, ClaimResolved,
                                             DisputeOpened, DisputeClosed)

# --- after-sales refunds (chalicelib/domain/orders.py `refund_for_case`) ---------------------------


@dataclass(frozen=True, eq=False)
class RefundFailed(VendorOrderEvent):
    event_type: ClassVar[str] = "refund.failed"
    description: ClassVar[str] = ("A case's refund (a return, a claim) was refused by the provider or failed after it "
                                  "was made: no money moved; an admin retries it or settles it outside the platform.")
    case_id: str = ""
    amount: int = 0
    currency: str = ""
    failure_code: str = ""
    attempt: int = 0

    @property
    def dedup_key(self) -> str:
        return f"{self.order.order_id}:{self.case_id}:{self.attempt}"

    @classmethod
    def example(cls) -> RefundFailed:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), vendor_id="alpine", case_id="ret_01JD2Z8X4Q6N3V5B7C9D1E2F3G",
                   amount=1990, currency="EUR", failure_code="expired_or_canceled_card", attempt=0)


ORDER_EVENTS: tuple[type[OrderEvent], ...] = (OrderPlaced, OrderPaid, OrderCancelled, PaymentFailed, OrderAccepted,
                                              OrderShipped, OrderDelivered, OrderLineCancelled)


# --- returns (a shopper's return request: chalicelib/domain/returns.py) ----------------------------


@dataclass(frozen=True, eq=False)
class ReturnEvent(VendorOrderEvent):
    """A step of one return request (one vendor's units of the order): stated once per return and state."""

    area: ClassVar[str] = "returns"

    return_id: str = ""
    state: str = ""
    at: str = ""

    @property
    def dedup_key(self) -> str:
        return f"{self.order.order_id}:{self.return_id}:{self.state}"


@dataclass(frozen=True, eq=False)
class ReturnRequested(ReturnEvent):
    event_type: ClassVar[str] = "return.requested"
    description: ClassVar[str] = ("A shopper asked to return delivered units to a vendor, with a reason; the vendor "
                                  "answers by `answer_due_at`.")
    reason: str = ""
    lines: list | None = None  # [{"offer_id", "quantity", "title"}]
    answer_due_at: str = ""  # the vendor answers by then, or the platform decides

    @classmethod
    def example(cls) -> ReturnRequested:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), vendor_id="alpine", return_id=_EXAMPLE_RETURN,
                   state="requested", at="2026-12-01T10:00:00Z", reason="damaged",
                   lines=[{"offer_id": "off_7c1d2e3f", "quantity": 1, "title": "Trail tent 2P"}],
                   answer_due_at="2026-12-04T10:00:00Z")


@dataclass(frozen=True, eq=False)
class ReturnApproved(ReturnEvent):
    event_type: ClassVar[str] = "return.approved"
    description: ClassVar[str] = ("A return was approved (by the vendor, the platform, or automatically by the "
                                  "vendor's rules): the shopper sends it back with the label reference.")
    label_reference: str = ""
    decided_by: str = ""

    @classmethod
    def example(cls) -> ReturnApproved:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), vendor_id="alpine", return_id=_EXAMPLE_RETURN,
                   state="approved", at="2026-12-01T11:00:00Z", label_reference="RL-H-2611-482319-1",
                   decided_by="vendor")


@dataclass(frozen=True, eq=False)
class ReturnRejected(ReturnEvent):
    event_type: ClassVar[str] = "return.rejected"
    description: ClassVar[str] = "A return was rejected by the vendor or the platform, with the reason."
    reason: str = ""
    decided_by: str = ""

    @classmethod
    def example(cls) -> ReturnRejected:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), vendor_id="alpine", return_id=_EXAMPLE_RETURN,
                   state="rejected", at="2026-12-01T11:00:00Z", reason="The seal was broken before delivery.",
                   decided_by="vendor")


@dataclass(frozen=True, eq=False)
class ReturnEscalated(ReturnEvent):
    event_type: ClassVar[str] = "return.escalated"
    description: ClassVar[str] = "The vendor did not answer a return in time: the platform decides it now."

    @classmethod
    def example(cls) -> ReturnEscalated:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), vendor_id="alpine", return_id=_EXAMPLE_RETURN,
                   state="escalated", at="2026-12-04T10:00:00Z")


@dataclass(frozen=True, eq=False)
class ReturnShippedBack(ReturnEvent):
    event_type: ClassVar[str] = "return.shipped_back"
    description: ClassVar[str] = "The shopper sent the returned units back, with the carrier and tracking number."
    carrier: str = ""
    tracking_number: str = ""

    @classmethod
    def example(cls) -> ReturnShippedBack:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), vendor_id="alpine", return_id=_EXAMPLE_RETURN,
                   state="shipped_back", at="2026-12-02T09:00:00Z", carrier="DHL", tracking_number="JD0146000038")


@dataclass(frozen=True, eq=False)
class ReturnReceived(ReturnEvent):
    event_type: ClassVar[str] = "return.received"
    description: ClassVar[str] = "The vendor received the returned units (`restock`: put back on sale)."
    restock: bool = False

    @classmethod
    def example(cls) -> ReturnReceived:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), vendor_id="alpine", return_id=_EXAMPLE_RETURN,
                   state="received", at="2026-12-05T09:00:00Z", restock=True)


@dataclass(frozen=True, eq=False)
class ReturnRefunded(ReturnEvent):
    event_type: ClassVar[str] = "return.refunded"
    description: ClassVar[str] = ("The shopper is refunded `amount` (minor units, the order's currency) for a "
                                  "return, less `restocking_fee` when they changed their mind.")
    amount: int = 0
    restocking_fee: int = 0

    @classmethod
    def example(cls) -> ReturnRefunded:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), vendor_id="alpine", return_id=_EXAMPLE_RETURN,
                   state="refunded", at="2026-12-05T09:00:00Z", amount=19900, restocking_fee=0)


_EXAMPLE_RETURN = "ret_8a1f0c2d3e4b5a6978f0e1d2c3"
RETURN_EVENTS: tuple[type[ReturnEvent], ...] = (ReturnRequested, ReturnApproved, ReturnRejected, ReturnEscalated,
                                                ReturnShippedBack, ReturnReceived, ReturnRefunded)


# --- vendors, imports and payouts (what a vendor hears about its shop) -----------------------------


@dataclass(frozen=True, eq=False)
class VendorOnboardingChanged(DomainEvent):
    event_type: ClassVar[str] = "vendor.onboarding_changed"
    description: ClassVar[str] = ("The vendor's onboarding moved to another step (its payment account's state "
                                  "changed): `step`, whether it `can_sell`, and what to do next.")
    area: ClassVar[str] = "vendors"
    _required: ClassVar[frozenset[str]] = frozenset({"vendor_id", "step"})

    vendor_id: str
    step: str
    can_sell: bool = False
    next_step: str = ""
    at: int = 0  # the provider event's `created` (epoch seconds): one event per state

    @property
    def dedup_key(self) -> str:
        return f"{self.vendor_id}:{self.step}:{self.at}"

    @classmethod
    def example(cls) -> VendorOnboardingChanged:
        return cls(vendor_id="3c1e6a52-6a8b-4c1e-9f7d-1b2a3c4d5e6f", step="ready", can_sell=True,
                   next_step="You can sell.", at=1795000000)


@dataclass(frozen=True, eq=False)
class VendorApprovalChanged(DomainEvent):
    event_type: ClassVar[str] = "vendor.approval_changed"
    description: ClassVar[str] = "An admin approved, suspended (with a `reason`) or reinstated a vendor."
    area: ClassVar[str] = "vendors"
    _required: ClassVar[frozenset[str]] = frozenset({"vendor_id", "approval"})

    vendor_id: str
    approval: str  # approved | suspended
    reason: str = ""
    changed_at: str = ""

    @property
    def dedup_key(self) -> str:
        return f"{self.vendor_id}:{self.approval}:{self.changed_at}"

    @classmethod
    def example(cls) -> VendorApprovalChanged:
        return cls(vendor_id="3c1e6a52-6a8b-4c1e-9f7d-1b2a3c4d5e6f", approval="suspended",
                   reason="Counterfeit goods reported", changed_at="2026-11-27T08:00:00Z")


@dataclass(frozen=True, eq=False)
class ImportFinished(DomainEvent):
    event_type: ClassVar[str] = "import.finished"
    description: ClassVar[str] = "A vendor's CSV offer import finished: rows imported and refused."
    area: ClassVar[str] = "imports"
    _required: ClassVar[frozenset[str]] = frozenset({"vendor_id", "import_id"})

    vendor_id: str
    import_id: str
    file_name: str = ""
    rows_imported: int = 0
    rows_failed: int = 0

    @property
    def dedup_key(self) -> str:
        return f"{self.vendor_id}:{self.import_id}"

    @classmethod
    def example(cls) -> ImportFinished:
        return cls(vendor_id="3c1e6a52-6a8b-4c1e-9f7d-1b2a3c4d5e6f", import_id="imp_20261127080000_ab12",
                   file_name="offers.csv", rows_imported=118, rows_failed=2)


@dataclass(frozen=True, eq=False)
class PayoutSent(VendorOrderEvent):
    event_type: ClassVar[str] = "payout.sent"
    description: ClassVar[str] = "A vendor's payout for its part of an order was transferred (`amount`)."
    area: ClassVar[str] = "payouts"
    transfer_id: str = ""
    amount: dict | None = None  # {"amount": minor units, "currency": "EUR"}

    @property
    def dedup_key(self) -> str:
        return f"{self.order.order_id}:{self.vendor_id}:{self.transfer_id}"

    @classmethod
    def example(cls) -> PayoutSent:
        return cls(OrderSummary(**_EXAMPLE_SUMMARY), vendor_id="alpine", transfer_id="tr_1PgaF2B7WZ01zgkW",
                   amount={"amount": 4480, "currency": "EUR"})


SHOP_EVENTS: tuple[type[DomainEvent], ...] = (VendorOnboardingChanged, VendorApprovalChanged, ImportFinished,
                                              PayoutSent)


# --- messages (chalicelib/services/messages.py, published after the message is stored) -----------


@dataclass(frozen=True, eq=False)
class MessageReceived(DomainEvent):
    event_type: ClassVar[str] = "message.received"
    description: ClassVar[str] = (
        "A message was posted in a buyer-vendor thread: each recipient (`role` shopper | vendor | admin, and "
        "its `id`; the platform's is \"\") may be told. `excerpt` is the start of the text, contact details "
        "already masked; `case_id` is \"\" for a thread about the order, else the return or claim.")
    area: ClassVar[str] = "messages"
    _required: ClassVar[frozenset[str]] = frozenset({"thread_id", "order_id", "vendor_id", "author_role"})

    thread_id: str
    order_id: str
    order_number: str
    vendor_id: str
    case_id: str
    seq: int
    author_role: str  # shopper | vendor | admin
    recipients: list[dict]  # [{"role": "vendor", "id": "alpine"}, ...]
    excerpt: str
    sent_at: str

    @property
    def dedup_key(self) -> str:
        return f"{self.thread_id}:{self.seq}"

    @classmethod
    def example(cls) -> MessageReceived:
        return cls(thread_id="thr_5d41402abc4b2a76b9719d91", order_id="ord_3f2a9c1d5e7b8a6c4d2e0f1a",
                   order_number="H-2611-482319", vendor_id="alpine", case_id="", seq=3, author_role="shopper",
                   recipients=[{"role": "vendor", "id": "alpine"}],
                   excerpt="Hello, the tent arrived torn. Write to me at [e-mail hidden].",
                   sent_at="2026-11-30T09:12:00Z")


MESSAGE_EVENTS: tuple[type[DomainEvent], ...] = (MessageReceived,)


# --- satisfaction surveys (chalicelib/services/surveys.py) -----------------------------------------


@dataclass(frozen=True, eq=False)
class SurveyRequested(DomainEvent):
    event_type: ClassVar[str] = "survey.requested"
    description: ClassVar[str] = (
        "A satisfaction survey about one vendor's part of a delivered order is sent to its shopper (`kind` "
        "`request`, or the one `reminder`). Sent only with the shopper's `surveys` consent (non-transactional "
        "mail, with an unsubscribe link). `survey_url` opens the survey page; its token expires at `expires_at`.")
    area: ClassVar[str] = "surveys"
    _required: ClassVar[frozenset[str]] = frozenset({"survey_id", "order_id", "shopper_id", "vendor_id", "kind"})

    survey_id: str
    order_id: str
    order_number: str
    shopper_id: str
    vendor_id: str
    vendor_name: str
    kind: str  # request | reminder
    survey_url: str
    survey_link: str  # the same page, relative to the frontend (`#/survey?token=...`), for the inbox
    expires_at: str

    @property
    def dedup_key(self) -> str:
        return f"{self.survey_id}:{self.kind}"

    @classmethod
    def example(cls) -> SurveyRequested:
        return cls(survey_id="srv_ord_3f2a9c1d5e7b8a6c4d2e0f1a.alpine", order_id="ord_3f2a9c1d5e7b8a6c4d2e0f1a",
                   order_number="H-2611-482319", shopper_id="3c1e6a52-6a8b-4c1e-9f7d-1b2a3c4d5e6f",
                   vendor_id="alpine", vendor_name="Alpine Outfitters", kind="request",
                   survey_url="https://shop.example/#/survey?token=eyJwIjoic3VydmV5In0.c2lnbmF0dXJl",
                   survey_link="#/survey?token=eyJwIjoic3VydmV5In0.c2lnbmF0dXJl", expires_at="2026-12-31T09:00:00Z")


SURVEY_EVENTS: tuple[type[DomainEvent], ...] = (SurveyRequested,)


EVENTS: tuple[type[DomainEvent], ...] = (UserSignedUp, SignUpRepeated, *ORDER_EVENTS,
                                         RefundFailed, *CASE_EVENTS, *MESSAGE_EVENTS, *RETURN_EVENTS, *SHOP_EVENTS,
                                         *SURVEY_EVENTS)
EVENTS_BY_TYPE: dict[str, type[DomainEvent]] = {event.event_type: event for event in EVENTS}


def event_from_data(event_type: str, data: dict) -> DomainEvent:
    """A payload read back as its typed event (KeyError: not an event this system publishes)."""
    cls = EVENTS_BY_TYPE[event_type]
    arguments = cls.fields_of(data)
    if issubclass(cls, OrderEvent):
        arguments["order"] = OrderSummary(**arguments["order"])
    return cls(**arguments)
