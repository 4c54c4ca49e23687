"""The order aggregate: one shopper's order, its vendor sub-orders, payment attempts, refunds,
disputes and timeline, and the rules that move it.

Placing an order reserves its stock (`pending_payment`). The order then ends exactly once: paid
(reserved -> sold), cancelled by the shopper, or cancelled when its reservation expires
(reserved -> available). A declined payment attempt does NOT end it: the attempt is recorded
with its reason and the shopper retries on the same order and PaymentIntent, the stock still
held. `requires_action` (the bank asks the shopper, 3-D Secure) and `processing` are recorded
as the order's `payment_status`; a processing payment is never expired until it resolves.

Every method applies one transition once and RETURNS the effects to carry out
(chalicelib/domain/order_effects.py); a duplicate or stale call returns no effects, so events
may arrive twice and in any order. Money arriving for an order that no longer holds stock is
refunded (never silently re-reserved: the stock may be sold to someone else).

`version` is the optimistic-concurrency token: the repository saves conditionally on the
version it read, and a lost race reloads and re-applies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from enum import StrEnum

from chalicelib.domain import ledger
from chalicelib.domain.errors import Conflict
from chalicelib.domain.events import OrderCancelled, OrderPaid, OrderPlaced, OrderSummary, PaymentFailed
from chalicelib.domain.order_effects import (
    CancelAtProvider,
    ClearCartLines,
    Effect,
    ForgetPendingOrder,
    Publish,
    RefundPayment,
    ReleaseStock,
    ReserveStock,
    ReverseTransfer,
    SellStock,
    TransferPayout,
    quantities,
)


class OrderStatus(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    PAYMENT_FAILED = "payment_failed"  # orders ended by a decline before declines became retryable
    CANCELLED = "cancelled"
    REFUNDED = "refunded"  # paid after it was cancelled: the money went back


class PaymentStatus(StrEnum):
    """Where the payment stands, as the shopper is shown it."""

    AWAITING_PAYMENT = "awaiting_payment"  # no attempt yet, or the last one was declined (retry possible)
    REQUIRES_ACTION = "requires_action"  # the bank asks the shopper to authenticate
    PROCESSING = "processing"  # the provider is still working on it: wait for its webhook
    PAID = "paid"
    CANCELLED = "cancelled"
    FAILED = "failed"  # legacy orders ended by a decline
    REFUNDED = "refunded"


class PaymentOutcome(StrEnum):
    """The provider's current state of the order's PaymentIntent, as the order reads it."""

    SUCCEEDED = "succeeded"
    DECLINED = "declined"  # an attempt failed; the intent is back in requires_payment_method
    REQUIRES_ACTION = "requires_action"
    PROCESSING = "processing"
    CANCELED = "canceled"  # cancelled at the provider


class VendorOrderState(StrEnum):
    PENDING_PAYMENT = "pending_payment"
    PLACED = "placed"  # paid: the vendor has an order to fulfil
    ACCEPTED = "accepted"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


class CancelReason(StrEnum):
    SHOPPER = "shopper_cancelled"
    RESERVATION_EXPIRED = "reservation_expired"
    PAYMENT_CANCELED = "payment_canceled"
    PAYMENT_NOT_STARTED = "payment_not_started"
    REPLACED = "replaced_by_new_checkout"  # the cart changed and was checked out again


class PayoutStatus(StrEnum):
    """Where one vendor's payout stands (the confirm-delivery answer shows it)."""

    PENDING = "pending"  # asked for, the transfer not made yet (provider unavailable: the retry pays it)
    TRANSFERRED = "transferred"
    AWAITING_VENDOR_ACCOUNT = "awaiting_vendor_account"  # stays due until the vendor onboards
    HELD_DISPUTE_OPEN = "held_dispute_open"  # stays due: paid once the dispute is won
    NOTHING_TO_PAY = "nothing_to_pay"
    NOTHING_TO_PAY_REFUNDED = "nothing_to_pay_refunded"
    TRANSFER_REFUSED = "transfer_refused"  # refused for good: for an operator, never retried blindly


class Audience(StrEnum):
    SHOPPER = "shopper"
    INTERNAL = "internal"  # stock moves, payouts: never shown to the shopper


LATE_PAYMENT_REFUND_REASON = "paid_after_reservation_ended"

_CANCEL_LABELS = {
    CancelReason.SHOPPER: "Order cancelled by you",
    CancelReason.RESERVATION_EXPIRED: "Order cancelled: it was not paid in time",
    CancelReason.PAYMENT_CANCELED: "Order cancelled: the payment was cancelled",
    CancelReason.PAYMENT_NOT_STARTED: "Order cancelled: the payment could not start",
    CancelReason.REPLACED: "Order cancelled: replaced by your new checkout",
}


def order_number_for(order_id: str, created_at: str, salt: int = 0) -> str:
    """`H-<yymm>-<6 digits>`: readable on the phone, derived from the order id (a retried checkout gets
    the same one); `salt` picks another one when the number is taken (uniqueness is a conditional write)."""
    yymm = created_at[2:4] + created_at[5:7]
    digits = int(hashlib.sha256(f"{order_id}:{salt}".encode()).hexdigest(), 16) % 1_000_000
    return f"H-{yymm}-{digits:06d}"


@dataclass(frozen=True)
class OrderLine:
    offer_id: str
    product_id: str
    vendor_id: str
    vendor_name: str
    title: str
    condition: str
    quantity: int
    unit_price: int
    shipping_fee: int


@dataclass
class VendorOrder:
    """One vendor's part of the order, with its own state and the payout it earns."""

    vendor_id: str
    vendor_name: str
    currency: str
    items: int
    shipping: int
    discount: int
    total: int  # items - discount + shipping: what the shopper paid this vendor
    commission: int
    payout: int  # total - commission, as priced at checkout
    state: VendorOrderState = VendorOrderState.PENDING_PAYMENT
    delivered_at: str | None = None
    charge_id: str | None = None
    shipping_address: dict | None = None  # where this vendor ships (Address.to_json(), frozen at checkout)
    transfer_id: str | None = None  # the payout's transfer, once made
    transferred: int = 0  # transferred minus reversed (net), as the provider has it
    reversals: frozenset[str] = frozenset()  # ids of the transfer reversals counted in `transferred`
    payout_status: PayoutStatus | None = None
    # Set while the payout is due and not settled: the retry schedule reads the oldest first.
    payout_due_at: str | None = None

    @property
    def payout_due(self) -> bool:
        return self.payout_due_at is not None


@dataclass(frozen=True)
class PaymentAttempt:
    id: str
    at: str
    outcome: str  # PaymentOutcome value
    reason: str | None = None  # card_declined, insufficient_funds, expired_card, authentication_failed...


@dataclass(frozen=True)
class Refund:
    id: str
    amount: int
    currency: str
    at: str
    reason: str | None = None
    status: str | None = "succeeded"
    vendor_id: str | None = None  # set when the refund is one vendor's (its return)


@dataclass(frozen=True)
class Dispute:
    id: str
    amount: int
    currency: str
    status: str  # Stripe's dispute statuses
    reason: str | None = None
    charge_id: str | None = None
    event_created: int = 0  # provider time of the event that told us: only a newer one replaces it


@dataclass(frozen=True)
class TimelineEntry:
    id: str  # what makes it happen once
    at: str
    label: str
    audience: Audience = Audience.SHOPPER
    status: str | None = None  # the order status it moved to, for transitions
    kind: str | None = None  # payment_attempt, refund, dispute, delivery, stock, transfer...
    details: dict = field(default_factory=dict)


@dataclass
class Order:
    order_id: str
    order_number: str
    shopper_id: str
    created_at: str
    reserved_until: str
    currency: str
    country: str | None
    quote: dict
    lines: list[OrderLine]
    total: int
    vendor_orders: dict[str, VendorOrder]
    status: OrderStatus = OrderStatus.PENDING_PAYMENT
    payment_status: PaymentStatus = PaymentStatus.AWAITING_PAYMENT
    payment_intent_id: str | None = None
    client_secret: str | None = None
    charge_id: str | None = None
    shipping_address: dict | None = None  # Address.to_json(), frozen at checkout
    attempts: list[PaymentAttempt] = field(default_factory=list)
    refunds: dict[str, Refund] = field(default_factory=dict)
    disputes: dict[str, Dispute] = field(default_factory=dict)
    timeline: list[TimelineEntry] = field(default_factory=list)
    outbox: list[Effect] = field(default_factory=list)  # effects saved, not carried out yet
    version: int = 0  # 0: never saved

    # --- placing ----------------------------------------------------------------------------

    @classmethod
    def place(cls, *, order_id: str, shopper_id: str, created_at: str, reserved_until: str, currency: str,
              country: str | None, quote: dict, lines: list[OrderLine], total: int,
              vendor_orders: list[VendorOrder], shipping_address: dict | None = None,
              number_salt: int = 0) -> tuple[Order, list[Effect]]:
        order = cls(order_id=order_id, order_number=order_number_for(order_id, created_at, number_salt),
                    shopper_id=shopper_id, created_at=created_at, reserved_until=reserved_until, currency=currency,
                    country=country, quote=quote, lines=list(lines), total=total,
                    vendor_orders={v.vendor_id: v for v in vendor_orders}, shipping_address=shipping_address)
        for vendor_order in order.vendor_orders.values():
            vendor_order.shipping_address = shipping_address
        order._note(TimelineEntry("placed", created_at, "Order placed", status=OrderStatus.PENDING_PAYMENT.value))
        order._note(TimelineEntry("stock:reserved", created_at, "Stock reserved", Audience.INTERNAL, kind="stock"))
        reserve = ReserveStock(order_id, tuple((line.offer_id, line.quantity, line.unit_price, line.shipping_fee)
                                               for line in order.lines))
        placed = OrderPlaced(OrderSummary.of(order), item_count=sum(line.quantity for line in order.lines),
                             reserved_until=reserved_until)
        return order, [reserve, Publish.of(placed)]

    # --- reading ----------------------------------------------------------------------------

    @property
    def holds_stock(self) -> bool:
        return self.status is OrderStatus.PENDING_PAYMENT

    @property
    def last_attempt(self) -> PaymentAttempt | None:
        return self.attempts[-1] if self.attempts else None

    @property
    def refunded(self) -> int:
        return sum(r.amount for r in self.refunds.values() if r.status in (None, "succeeded", "pending"))

    def shopper_timeline(self) -> list[TimelineEntry]:
        return [e for e in self.timeline if e.audience is Audience.SHOPPER]

    def has_entry(self, entry_id: str) -> bool:
        return any(e.id == entry_id for e in self.timeline)

    def can_expire(self, now_iso: str) -> bool:
        """Unpaid past its reservation, and not waiting on a payment the provider is processing."""
        return (self.holds_stock and self.reserved_until < now_iso
                and self.payment_status is not PaymentStatus.PROCESSING)

    # --- the payment --------------------------------------------------------------------------

    def attach_payment(self, payment_intent_id: str, client_secret: str | None) -> None:
        if self.payment_intent_id and self.payment_intent_id != payment_intent_id:
            raise Conflict("The order already has another payment.", fields={"order_id": "already has a payment"})
        self.payment_intent_id = payment_intent_id
        self.client_secret = client_secret or self.client_secret

    def apply_payment(self, outcome: PaymentOutcome, *, at: str, attempt_id: str | None = None,
                      reason: str | None = None, charge_id: str | None = None,
                      release_payouts: bool = False) -> list[Effect]:
        """One transition, once; returns e.g. [SellStock(...), ClearCartLines(...), Publish("order.paid")].

        `release_payouts`: the platform pays vendors at payment (HALLES_PAYOUT_RELEASE=at_payment) rather
        than on delivery: a paid order then also asks for each vendor's transfer."""
        if outcome is PaymentOutcome.SUCCEEDED:
            return self._paid(at, charge_id, release_payouts)
        if outcome is PaymentOutcome.CANCELED:
            return self.cancel(CancelReason.PAYMENT_CANCELED, at=at)
        if not self.holds_stock:
            return []  # a stale attempt on an order that ended: nothing to change
        if outcome is PaymentOutcome.DECLINED:
            return self._declined(at, attempt_id or f"declined-{len(self.attempts) + 1}", reason)
        status = PaymentStatus(outcome.value)
        if self.payment_status is status:
            return []
        self.payment_status = status
        label = ("Your bank asks you to confirm the payment" if status is PaymentStatus.REQUIRES_ACTION
                 else "Payment processing")
        self.attempts.append(PaymentAttempt(attempt_id or f"{status.value}-{len(self.attempts) + 1}", at,
                                            outcome.value))
        self._note(TimelineEntry(f"payment:{status.value}:{len(self.attempts)}", at, label, kind="payment_attempt"))
        return []

    def _declined(self, at: str, attempt_id: str, reason: str | None) -> list[Effect]:
        if any(a.id == attempt_id for a in self.attempts):
            return []
        self.attempts.append(PaymentAttempt(attempt_id, at, PaymentOutcome.DECLINED.value, reason))
        self.payment_status = PaymentStatus.AWAITING_PAYMENT
        self._note(TimelineEntry(f"attempt:{attempt_id}", at,
                                 f"Payment declined ({(reason or 'card_declined').replace('_', ' ')}); you can try again",
                                 kind="payment_attempt", details={"reason": reason}))
        return [Publish.of(PaymentFailed(OrderSummary.of(self), attempt_id=attempt_id, reason=reason))]

    def _paid(self, at: str, charge_id: str | None, release_payouts: bool) -> list[Effect]:
        if self.status in (OrderStatus.CANCELLED, OrderStatus.PAYMENT_FAILED):
            return self._refund_late_payment(at, charge_id)
        if not self.holds_stock:
            return []
        self.status = OrderStatus.PAID
        self.payment_status = PaymentStatus.PAID
        self.charge_id = charge_id or self.charge_id
        for vendor_order in self.vendor_orders.values():
            vendor_order.state = VendorOrderState.PLACED
            vendor_order.charge_id = self.charge_id
        self._note(TimelineEntry(OrderStatus.PAID.value, at, "Payment received", status=OrderStatus.PAID.value,
                                 details={"charge_id": self.charge_id} if self.charge_id else {}))
        self._note(TimelineEntry("stock:sold", at, "Stock sold", Audience.INTERNAL, kind="stock"))
        moved = quantities(self.lines)
        effects: list[Effect] = [SellStock(self.order_id, moved), ClearCartLines(self.order_id, self.shopper_id, moved),
                                 Publish.of(OrderPaid(OrderSummary.of(self), paid_at=at, charge_id=self.charge_id))]
        if release_payouts:
            for vendor_id in self.vendor_orders:
                effects += self.release_payout(vendor_id, at=at)
        return effects

    def _refund_late_payment(self, at: str, charge_id: str | None) -> list[Effect]:
        if self.status is OrderStatus.REFUNDED or not self.payment_intent_id:
            return []
        self.status = OrderStatus.REFUNDED
        self.payment_status = PaymentStatus.REFUNDED
        self.charge_id = charge_id or self.charge_id
        self._note(TimelineEntry(OrderStatus.REFUNDED.value, at,
                                 "Payment refunded: it arrived after the order was cancelled",
                                 status=OrderStatus.REFUNDED.value))
        return [RefundPayment(self.order_id, self.payment_intent_id, None, LATE_PAYMENT_REFUND_REASON)]

    # --- ending an unpaid order ---------------------------------------------------------------

    def cancel(self, reason: CancelReason, *, at: str) -> list[Effect]:
        """End an unpaid order and release its stock, once. A paid order cannot be cancelled this way."""
        if not self.holds_stock:
            if reason is CancelReason.SHOPPER and self.status is not OrderStatus.CANCELLED:
                raise Conflict(f"This order is {self.status.value} and can no longer be cancelled.",
                               code="order_not_cancellable", fields={"status": self.status.value})
            return []
        self.status = OrderStatus.CANCELLED
        self.payment_status = PaymentStatus.CANCELLED
        for vendor_order in self.vendor_orders.values():
            vendor_order.state = VendorOrderState.CANCELLED
        self._note(TimelineEntry(OrderStatus.CANCELLED.value, at, _CANCEL_LABELS[reason],
                                 status=OrderStatus.CANCELLED.value, details={"reason": reason.value}))
        self._note(TimelineEntry("stock:released", at, "Stock released", Audience.INTERNAL, kind="stock"))
        effects: list[Effect] = [ReleaseStock(self.order_id, quantities(self.lines))]
        if self.payment_intent_id and reason is not CancelReason.PAYMENT_CANCELED:
            # Normally cancelled before (the use case asks the provider first); idempotent at the provider.
            effects.append(CancelAtProvider(self.order_id, self.payment_intent_id))
        if reason is not CancelReason.REPLACED:
            # Replaced: the checkout placing its successor moves the cart to that order itself, on condition
            # the cart still names this one; forgetting it first would only make that placement fail once,
            # re-read the cart and try again (two more round trips).
            effects.append(ForgetPendingOrder(self.order_id, self.shopper_id))
        effects.append(Publish.of(OrderCancelled(OrderSummary.of(self), reason=reason.value)))
        return effects

    @property
    def cancel_reason(self) -> str | None:
        entry = next((e for e in self.timeline if e.id == OrderStatus.CANCELLED.value), None)
        return entry.details.get("reason") if entry else None

    # --- after payment ------------------------------------------------------------------------

    def record_refund(self, refund: Refund) -> bool:
        """A refund made at the provider (by us or on its dashboard): recorded once per refund id."""
        if refund.id in self.refunds:
            return False
        self.refunds[refund.id] = refund
        label = ("Payment refunded: it arrived after the order was cancelled"
                 if refund.reason == LATE_PAYMENT_REFUND_REASON else "Refund recorded")
        self._note(TimelineEntry(f"refund:{refund.id}", refund.at, label, kind="refund",
                                 details={"refund_id": refund.id, "amount": refund.amount}))
        return True

    def record_dispute(self, dispute: Dispute, *, stage: str, at: str) -> bool:
        """A dispute event: noted once per (dispute, stage, status); only a newer event replaces the state."""
        entry_id = f"dispute:{dispute.id}:{stage}:{dispute.status}"
        known = self.disputes.get(dispute.id)
        changed = False
        if known is None or known.event_created <= dispute.event_created:
            changed = known != dispute
            self.disputes[dispute.id] = dispute
        if not self.has_entry(entry_id):
            self._note(TimelineEntry(entry_id, at, f"Payment disputed ({dispute.status.replace('_', ' ')})",
                                     kind="dispute", details={"dispute_id": dispute.id, "status": dispute.status}))
            return True
        return changed

    def confirm_delivery(self, vendor_id: str, *, at: str) -> bool:
        """The shopper received this vendor's parcel; once. Only a paid order's vendors."""
        vendor_order = self.vendor_orders[vendor_id]
        if self.status is not OrderStatus.PAID:
            raise Conflict("Only a paid order can be confirmed as delivered.", code="order_not_paid",
                           fields={"order_id": f"order is {self.status.value}"})
        if vendor_order.delivered_at:
            return False
        vendor_order.state = VendorOrderState.DELIVERED
        vendor_order.delivered_at = at
        self._note(TimelineEntry(f"delivered:{vendor_id}", at, "Delivery confirmed", kind="delivery",
                                 details={"vendor_id": vendor_id}))
        return True

    # --- money owed to and by the vendors (chalicelib/domain/ledger.py) ---------------------

    @property
    def charged(self) -> int:
        """What the provider captured for this order (0 until paid)."""
        return self.total if self.status in (OrderStatus.PAID, OrderStatus.REFUNDED) else 0

    def money(self, *, pending_reversals: bool = False) -> ledger.OrderMoney:
        """The order's money for the ledger; `pending_reversals` counts reversals still in the outbox as made."""
        pending = {v: 0 for v in self.vendor_orders}
        if pending_reversals:
            for effect in self.outbox:
                if isinstance(effect, ReverseTransfer):
                    pending[effect.vendor_id] += effect.amount
        return ledger.OrderMoney(
            charged=self.charged,
            unattributed_refunded=sum(r.amount for r in self._counted_refunds() if not r.vendor_id),
            disputes=tuple(ledger.DisputeState(d.id, d.amount, d.status) for d in self.disputes.values()),
            vendors=tuple(ledger.VendorShare(v.vendor_id, v.total, min(v.payout, v.total),
                                             refunded=sum(r.amount for r in self._counted_refunds()
                                                          if r.vendor_id == v.vendor_id),
                                             transferred=max(0, v.transferred - pending[v.vendor_id]))
                          for v in self.vendor_orders.values()),
        )

    def _counted_refunds(self) -> list[Refund]:
        return [r for r in self.refunds.values() if r.status in (None, "succeeded", "pending")]

    def payout_now(self, vendor_id: str) -> tuple[int, PayoutStatus | None]:
        """(amount that may be transferred to the vendor now, why nothing may when it is 0)."""
        money = self.money()
        amount = ledger.payable_now(money, vendor_id)
        if amount > 0:
            return amount, None
        if ledger.dispute_open(money):
            return 0, PayoutStatus.HELD_DISPUTE_OPEN  # stays due: paid once the dispute is won
        if self.vendor_orders[vendor_id].transferred > 0:
            return 0, PayoutStatus.TRANSFERRED
        if ledger.entitlement(money, vendor_id) == 0 and (self.refunds or money.lost_to_disputes):
            return 0, PayoutStatus.NOTHING_TO_PAY_REFUNDED
        return 0, PayoutStatus.NOTHING_TO_PAY

    # --- vendor payouts: released here, carried out by the effect runner ----------------------

    def release_payout(self, vendor_id: str, *, at: str, requeue: bool = False) -> list[Effect]:
        """Ask for the vendor's transfer of what the ledger says it may be paid now; idempotent.

        The payout is marked due in the same save that asks for the transfer, so an outage or a
        crash before the transfer is recorded leaves it for the retry schedule (oldest `payout_due_at`
        first; `requeue` moves a payout that stays due to the back of the queue). The transfer's
        idempotency key is the same on every release: a vendor is paid once per order."""
        if self.status is not OrderStatus.PAID:
            raise Conflict("Only a paid order pays its vendors.", code="order_not_paid",
                           fields={"order_id": f"order is {self.status.value}"})
        vendor_order = self.vendor_orders[vendor_id]
        if vendor_order.transfer_id:
            vendor_order.payout_due_at = None  # transferred by a run that crashed before clearing it
            return []
        amount, why_not = self.payout_now(vendor_id)
        if amount <= 0 and why_not is not PayoutStatus.HELD_DISPUTE_OPEN:
            vendor_order.payout_status, vendor_order.payout_due_at = why_not, None
            return []
        vendor_order.payout_due_at = at if requeue or not vendor_order.payout_due_at else vendor_order.payout_due_at
        if amount <= 0:
            vendor_order.payout_status = why_not  # held while the dispute may still be lost
            return []
        if vendor_order.payout_status is not PayoutStatus.AWAITING_VENDOR_ACCOUNT:
            vendor_order.payout_status = PayoutStatus.PENDING
        return [TransferPayout(self.order_id, vendor_id, amount, vendor_order.currency)]

    def record_transfer(self, vendor_id: str, *, transfer_id: str, amount: int, charge_id: str | None,
                        at: str) -> None:
        """The provider made the vendor's transfer: the payout leaves the due queue."""
        vendor_order = self.vendor_orders[vendor_id]
        if vendor_order.transfer_id:
            return
        vendor_order.transfer_id, vendor_order.transferred = transfer_id, amount
        vendor_order.charge_id = charge_id or vendor_order.charge_id
        vendor_order.payout_status, vendor_order.payout_due_at = PayoutStatus.TRANSFERRED, None
        self._note(TimelineEntry(f"transfer:{vendor_id}", at, "Vendor payout sent", Audience.INTERNAL,
                                 kind="transfer", details={"vendor_id": vendor_id, "transfer_id": transfer_id,
                                                           "amount": amount}))

    def payout_waits(self, vendor_id: str, status: PayoutStatus) -> None:
        """The transfer could not be made yet (no payout account): it stays due for the retry schedule."""
        vendor_order = self.vendor_orders[vendor_id]
        if not vendor_order.transfer_id:
            vendor_order.payout_status = status

    def payout_refused(self, vendor_id: str) -> None:
        """Refused for good by the provider: off the queue, for an operator to see."""
        vendor_order = self.vendor_orders[vendor_id]
        if not vendor_order.transfer_id:
            vendor_order.payout_status, vendor_order.payout_due_at = PayoutStatus.TRANSFER_REFUSED, None

    def drop_payout_due(self, vendor_id: str) -> None:
        """Nothing is owed any more (the order is no longer paid): off the queue."""
        self.vendor_orders[vendor_id].payout_due_at = None

    def record_reversal(self, vendor_id: str, *, reversal_id: str, amount: int) -> None:
        """A transfer reversal made at the provider, counted in the vendor's net `transferred` once."""
        vendor_order = self.vendor_orders[vendor_id]
        if reversal_id in vendor_order.reversals:
            return
        vendor_order.reversals = vendor_order.reversals | {reversal_id}
        vendor_order.transferred -= amount

    def reversals_due(self) -> list[Effect]:
        """A refund or a lost dispute after a payout: take back from each vendor what it no longer keeps."""
        money = self.money(pending_reversals=True)
        effects: list[Effect] = []
        for vendor_order in self.vendor_orders.values():
            due = ledger.reversal_due(money, vendor_order.vendor_id)
            if due > 0 and vendor_order.transfer_id:
                net = money.vendor(vendor_order.vendor_id).transferred
                effects.append(ReverseTransfer(self.order_id, vendor_order.vendor_id, vendor_order.transfer_id, due,
                                               net - due))
        return effects

    # --- the outbox ---------------------------------------------------------------------------

    def done(self, effect: Effect) -> None:
        self.outbox = [e for e in self.outbox if e.key != effect.key]

    def _note(self, entry: TimelineEntry) -> None:
        if not self.has_entry(entry.id):
            self.timeline.append(entry)
