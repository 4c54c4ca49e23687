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

Where money moves (payment settled, transfer, refund, reversal, lost dispute, payout released) the
method also books the vendor ledger's entries (chalicelib/domain/vendor_ledger.py) in
`ledger_entries`; the repository writes them in the same transaction as the order, and the order
keeps the ids it booked (`ledger_ids`), so a re-applied transition books nothing twice.

`version` is the optimistic-concurrency token: the repository saves conditionally on the
version it read, and a lost race reloads and re-applies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING

from chalicelib.domain import fulfilment, ledger
from chalicelib.domain import vendor_ledger as vl
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.events import (
    OrderAccepted,
    OrderCancelled,
    OrderDelivered,
    OrderLineCancelled,
    OrderPaid,
    OrderPlaced,
    OrderShipped,
    OrderSummary,
    PaymentFailed,
    RefundFailed,
)
from chalicelib.domain.order_effects import (
    CancelAtProvider,
    ClearCartLines,
    Effect,
    ForgetPendingOrder,
    Publish,
    RefundCase,
    RefundLine,
    RefundPayment,
    ReleaseStock,
    ReserveStock,
    RestockSold,
    ReverseTransfer,
    SellStock,
    TransferPayout,
    quantities,
)
from chalicelib.domain.timestamps import now_iso

if TYPE_CHECKING:
    from chalicelib.domain.claims import Claim


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
# A reversal due that no transfer has left to give (the vendor was paid outside the platform): shown as a
# refused reversal, for an admin to get back another way or write off.
NOTHING_LEFT_TO_REVERSE = "nothing_left_to_reverse"

# Where a case's refund stands: asked for (the provider call may still be under way), made (succeeded, or
# pending at the provider: counted as refunded until it fails), failed (no money moved: an admin retries it
# or resolves it), resolved (settled outside the platform by an admin, with a note).
CASE_REFUND_STATUSES = ("requested", "succeeded", "pending", "failed", "resolved")
# The provider's refund statuses (Stripe: pending, requires_action, succeeded, failed, canceled) as a case reads them.
_PROVIDER_REFUND_STATUS = {"succeeded": "succeeded", "pending": "pending", "requires_action": "pending",
                           "failed": "failed", "canceled": "failed"}

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
    """One offer of the order: what was bought, from whom, at which price and shipping."""

    offer_id: str
    product_id: str
    vendor_id: str
    vendor_name: str
    title: str
    condition: str
    quantity: int
    unit_price: int  # the offer's own price, frozen at checkout (the stock condition re-checks it)
    shipping_fee: int
    promotion_id: str = ""  # the promotion that applied to the line, frozen at checkout ("" for none)
    unit_discount: int = 0  # what it took off each unit: the shopper paid unit_price - unit_discount

    @property
    def paid_unit_price(self) -> int:
        return self.unit_price - self.unit_discount


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
    # The commission rule frozen at checkout: the rate (blended when the lines' rates differ) and each
    # line's rate with the rule that gave it ({offer_id, bps, rule}); later rule changes never touch it.
    commission_bps: int | None = None
    commission_rates: tuple[dict, ...] = ()
    # Fulfilment (chalicelib/domain/fulfilment.py): when each step happened, and how it shipped.
    accepted_at: str | None = None
    shipped_at: str | None = None
    shipment: dict | None = None  # {carrier, tracking_number, tracking_url}
    receipt_confirmed_at: str | None = None  # the shopper's confirmation (or the automatic one): pays the vendor
    receipt_confirmed_by: str | None = None  # shopper | auto
    # offer_id -> {quantity, refund, reason, at}: lines the vendor cancelled before shipping.
    cancelled_lines: dict[str, dict] = field(default_factory=dict)
    # After-sales refunds (Order.refund_for_case): case_id -> {amount, status, refund_id, failure_code, at,
    # reason, attempt, resolution}; `status` is one of CASE_REFUND_STATUSES.
    case_refunds: dict[str, dict] = field(default_factory=dict)
    # case_id -> {offer_id: quantity}: returned units put back on sale on the vendor's word, once per case.
    restocked: dict[str, dict] = field(default_factory=dict)
    # A transfer reversal the provider refused (e.g. balance_insufficient): {amount, failure_code, at}
    # while that much is still due back from the vendor; retried by retry_payouts or an admin.
    reversal_failed: dict | None = None
    # Reversals the provider refused over the order's life, never reset (`reversal_failed` is cleared once
    # nothing is due): later reversals' keys count them, so none reuses a refused one's key.
    reversal_refusals: int = 0
    # Who bears the commission on refunds (chalicelib/domain/ledger.py COMMISSION_POLICIES), frozen at checkout.
    refund_commission: str = ledger.REFUND_COMMISSION
    # Transfers made after the first one (`transfer_id`): a refund that failed after the vendor was
    # clawed back gives it the money back this way, each with its own idempotency key (the n-th top-up).
    top_ups: tuple[str, ...] = ()
    # Each transfer made to the vendor for this order (the payout, then its top-ups) -> what of it is not
    # reversed yet: a reversal is asked of a transfer that still has that much (the provider refuses more).
    transfer_left: dict[str, int] = field(default_factory=dict)
    # A top-up transfer the provider refused (e.g. balance_insufficient): {amount, failure_code, at,
    # last_failed_at, attempts} while the vendor is still owed it; retried by retry_payouts or an admin.
    top_up_failed: dict | None = None
    # Top-ups the provider refused over the order's life, never reset (`top_up_failed` is cleared once
    # nothing is owed or an admin paid it outside): every later top-up's key counts them, so none is ever
    # asked again under a refused one's key (the provider would replay the refusal).
    top_up_refusals: int = 0
    # Money an admin settled outside the platform, in order, each {kind, amount, at, by?, note?}:
    # `returned_by_vendor` (a refused reversal the vendor paid back another way: counted as reversed),
    # `written_off` (one the platform forgave: never asked again, but never counted as taken back),
    # `write_off_undone` (a refund failed later: the vendor keeps that much rightfully, nothing to forgive),
    # `paid_to_vendor` (a refused top-up the platform paid another way: counted as transferred).
    outside_settlements: tuple[dict, ...] = ()

    def _settled(self, kind: str) -> int:
        return sum(int(s["amount"]) for s in self.outside_settlements if s["kind"] == kind)

    @property
    def returned_outside(self) -> int:
        return self._settled("returned_by_vendor")

    @property
    def written_off(self) -> int:
        return self._settled("written_off") - self._settled("write_off_undone")

    @property
    def paid_outside(self) -> int:
        return self._settled("paid_to_vendor")

    @property
    def reversal_attempt(self) -> int:
        """The attempt number the next reversal is asked with: the refusals so far (orders saved before they
        were counted kept only the attempts of the refusal still listed)."""
        return max(self.reversal_refusals, int((self.reversal_failed or {}).get("attempts", 0)))

    @property
    def top_up_attempt(self) -> int:
        """The attempt number the next top-up is asked with: the refusals so far (orders saved before they
        were counted kept only the attempts of the refusal still listed)."""
        return max(self.top_up_refusals, int((self.top_up_failed or {}).get("attempts", 0)))

    @property
    def refunds_borne_outside(self) -> int:
        """Failed case refunds an admin settled outside the platform at the vendor's cost: counted as the
        vendor's refunds (the money left the platform for the shopper), each as far as its share allowed
        (`resolution.counted_as_refund`). Resolutions from before they were counted so were booked as
        one `adjustment` and are not counted again."""
        return sum(int((r.get("resolution") or {}).get("counted_as_refund") or 0)
                   for r in self.case_refunds.values() if r["status"] == "resolved")

    @property
    def transfer_order(self) -> list[str]:
        """The transfers made to the vendor for this order, the payout first."""
        return [t for t in (self.transfer_id, *self.top_ups) if t]

    @property
    def refund_attention_since(self) -> str | None:
        """Set while a case refund failed unresolved, a reversal or a top-up is refused: the admin's failed
        queue key."""
        failed = [r.get("failed_at") or r["at"] for r in self.case_refunds.values() if r["status"] == "failed"]
        for refused in (self.reversal_failed, self.top_up_failed):
            if refused:
                failed.append(refused["at"])
        return min(failed) if failed else None

    @property
    def payout_due(self) -> bool:
        return self.payout_due_at is not None

    @property
    def awaiting_receipt_since(self) -> str | None:
        """When it shipped, while the shopper has not confirmed receipt: the auto-confirm schedule's key."""
        if self.shipped_at and not self.receipt_confirmed_at and self.state.value in fulfilment.RECEIPT_STATES:
            return self.shipped_at
        return None


@dataclass(frozen=True)
class PaymentAttempt:
    """One attempt to pay the order, and its outcome."""

    id: str
    at: str
    outcome: str  # PaymentOutcome value
    reason: str | None = None  # card_declined, insufficient_funds, expired_card, authentication_failed...


@dataclass(frozen=True)
class Refund:
    """Money given back to the shopper on this order."""

    id: str
    amount: int
    currency: str
    at: str
    reason: str | None = None
    status: str | None = "succeeded"
    vendor_id: str | None = None  # set when the refund is one vendor's (its return)


@dataclass(frozen=True)
class Dispute:
    """A bank dispute of the order's payment."""

    id: str
    amount: int
    currency: str
    status: str  # Stripe's dispute statuses
    reason: str | None = None
    charge_id: str | None = None
    event_created: int = 0  # provider time of the event that told us: only a newer one replaces it
    due_by: str | None = None  # evidence_details.due_by: the last moment to submit evidence


@dataclass(frozen=True)
class TimelineEntry:
    """One step of the order's history, shown to its audience."""

    id: str  # what makes it happen once
    at: str
    label: str
    audience: Audience = Audience.SHOPPER
    status: str | None = None  # the order status it moved to, for transitions
    kind: str | None = None  # payment_attempt, refund, dispute, delivery, stock, transfer...
    details: dict = field(default_factory=dict)


@dataclass
class Order:
    """The order aggregate: its lines, vendors' parts, payment, refunds and history."""

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
    ledger_ids: set[str] = field(default_factory=set)  # vendor ledger entries booked (saved or about to be)
    ledger_entries: list[vl.LedgerEntry] = field(default_factory=list)  # booked by this change, not written yet
    # Return requests (chalicelib/domain/returns.py): return_id -> ReturnRequest, saved with the order.
    returns: dict = field(default_factory=dict)
    changed_returns: set[str] = field(default_factory=set)  # changed by this change: their projections are rewritten
    # Shoppers' claims on the vendors' parts (chalicelib/domain/claims.py), saved with the order.
    claims: dict[str, Claim] = field(default_factory=dict)

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
        self._book_sales(at)
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
        """A refund made at the provider (by us or on its dashboard): recorded once per refund id.
        A refund first learnt from the provider's event is attributed to its vendor once our own
        record of it (a cancelled line) arrives."""
        known = self.refunds.get(refund.id)
        if known is not None:
            if refund.vendor_id and not known.vendor_id:
                before = self.money()
                self.refunds[refund.id] = Refund(known.id, known.amount, known.currency, known.at, known.reason,
                                                 known.status, refund.vendor_id)
                # Spread over every vendor when first booked, now borne by its own vendor: the difference.
                self._book_money_change(before, vl.REFUND, f"{refund.id}:attributed", refund.at)
                return True
            return False
        before = self.money()
        self.refunds[refund.id] = refund
        self._book_money_change(before, vl.REFUND, refund.id, refund.at)
        label = ("Payment refunded: it arrived after the order was cancelled"
                 if refund.reason == LATE_PAYMENT_REFUND_REASON else "Refund recorded")
        self._note(TimelineEntry(f"refund:{refund.id}", refund.at, label, kind="refund",
                                 details={"refund_id": refund.id, "amount": refund.amount}))
        return True

    def record_refunded_total(self, charge_id: str, amount_refunded: int, *, currency: str, at: str) -> bool:
        """The provider says how much of the charge is refunded in all (`charge.refunded` without its
        list of refunds, as recent API versions send it). What our own refunds do not explain, made
        or still being made (the event may come before we record ours), was refunded elsewhere (e.g.
        the provider's dashboard): recorded once under an id from the charge and that total."""
        known = self.refunded + sum(self._refunds_in_flight().values())
        if amount_refunded <= known:
            return False
        return self.record_refund(Refund(id=f"{charge_id}-{amount_refunded}", amount=amount_refunded - known,
                                         currency=currency, at=at))

    def record_dispute(self, dispute: Dispute, *, stage: str, at: str) -> bool:
        """A dispute event: noted once per (dispute, stage, status); only a newer event replaces the state."""
        entry_id = f"dispute:{dispute.id}:{stage}:{dispute.status}"
        known = self.disputes.get(dispute.id)
        changed = False
        if known is None or known.event_created <= dispute.event_created:
            changed = known != dispute
            before = self.money()
            self.disputes[dispute.id] = dispute
            if dispute.status in ledger.LOST_DISPUTE_STATUSES or (known and known.status in ledger.LOST_DISPUTE_STATUSES):
                self._book_money_change(before, vl.DISPUTE, f"{dispute.id}:{dispute.status}", at)
        if not self.has_entry(entry_id):
            self._note(TimelineEntry(entry_id, at, f"Payment disputed ({dispute.status.replace('_', ' ')})",
                                     kind="dispute", details={"dispute_id": dispute.id, "status": dispute.status}))
            return True
        return changed

    # --- fulfilment: the vendor's steps and the shopper's receipt ------------------------------

    def vendor_order_of(self, vendor_id: str) -> VendorOrder:
        vendor_order = self.vendor_orders.get(vendor_id)
        if vendor_order is None:
            raise NotFound("This order has nothing from that vendor.", fields={"vendor_id": "not in this order"})
        return vendor_order

    def vendor_actions(self, vendor_id: str) -> tuple[str, ...]:
        """What the vendor may do to its sub-order now (nothing until the order is paid)."""
        if self.status is not OrderStatus.PAID:
            return ()
        return fulfilment.VENDOR_ACTIONS[self.vendor_order_of(vendor_id).state.value]

    def _require(self, vendor_id: str, action: str) -> VendorOrder:
        vendor_order = self.vendor_order_of(vendor_id)
        allowed = self.vendor_actions(vendor_id)
        if action not in allowed:
            state = vendor_order.state.value if self.status is OrderStatus.PAID else f"in an order {self.status.value}"
            raise fulfilment.illegal(action, state, allowed)
        return vendor_order

    def vendor_lines(self, vendor_id: str) -> list[OrderLine]:
        return [line for line in self.lines if line.vendor_id == vendor_id]

    def accept(self, vendor_id: str, *, at: str) -> list[Effect]:
        """The vendor takes the sub-order on; once (a retry changes nothing)."""
        vendor_order = self.vendor_order_of(vendor_id)
        if vendor_order.accepted_at and self.status is OrderStatus.PAID:
            return []
        self._require(vendor_id, fulfilment.ACCEPT)
        vendor_order.state, vendor_order.accepted_at = VendorOrderState.ACCEPTED, at
        self._note(TimelineEntry(f"accepted:{vendor_id}", at, f"Accepted by {vendor_order.vendor_name or vendor_id}",
                                 Audience.INTERNAL, kind="fulfilment", details={"vendor_id": vendor_id}))
        return [Publish.of(OrderAccepted(OrderSummary.of(self), vendor_id=vendor_id, accepted_at=at))]

    def ship(self, vendor_id: str, shipment: fulfilment.Shipment, *, at: str) -> list[Effect]:
        """The parcel left with its tracking; a retry with the same tracking changes nothing."""
        vendor_order = self.vendor_order_of(vendor_id)
        if vendor_order.shipment is not None and self.status is OrderStatus.PAID:
            if vendor_order.shipment == shipment.to_json():
                return []
            raise Conflict("This parcel already shipped with other tracking.", code="already_shipped",
                           fields={"tracking_number": f"already shipped as {vendor_order.shipment['tracking_number']}"})
        self._require(vendor_id, fulfilment.SHIP)
        vendor_order.state, vendor_order.shipped_at = VendorOrderState.SHIPPED, at
        vendor_order.shipment = shipment.to_json()
        self._note(TimelineEntry(f"shipped:{vendor_id}", at,
                                 f"Shipped by {vendor_order.vendor_name or vendor_id} with {shipment.carrier}",
                                 kind="shipment", details={"vendor_id": vendor_id, **shipment.to_json()}))
        return [Publish.of(OrderShipped(OrderSummary.of(self), vendor_id=vendor_id, shipped_at=at,
                                        **shipment.to_json()))]

    def _delivered(self, vendor_order: VendorOrder, at: str, by: str) -> list[Effect]:
        vendor_order.state, vendor_order.delivered_at = VendorOrderState.DELIVERED, at
        self._note(TimelineEntry(f"delivered:{vendor_order.vendor_id}", at,
                                 f"Delivered ({vendor_order.vendor_name or vendor_order.vendor_id})", kind="delivery",
                                 details={"vendor_id": vendor_order.vendor_id, "by": by}))
        return [Publish.of(OrderDelivered(OrderSummary.of(self), vendor_id=vendor_order.vendor_id, delivered_at=at,
                                          confirmed_by=by))]

    def mark_delivered(self, vendor_id: str, *, at: str) -> list[Effect]:
        """The vendor (its carrier) says the parcel arrived. It does not pay the vendor: the shopper's
        confirmation, or the automatic one after the waiting period, does."""
        vendor_order = self.vendor_order_of(vendor_id)
        if vendor_order.delivered_at and self.status is OrderStatus.PAID:
            return []
        self._require(vendor_id, fulfilment.DELIVER)
        return self._delivered(vendor_order, at, "vendor")

    def confirm_receipt(self, vendor_id: str, *, at: str, by: str = "shopper") -> list[Effect] | None:
        """The shopper received this vendor's parcel (`by="auto"`: nobody complained in time); once,
        only after it shipped. Returns None when it was confirmed already (nothing changes)."""
        vendor_order = self.vendor_order_of(vendor_id)
        if self.status is not OrderStatus.PAID:
            raise Conflict("Only a paid order can be confirmed as received.", code="order_not_paid",
                           fields={"order_id": f"order is {self.status.value}"})
        if vendor_order.receipt_confirmed_at:
            return None
        if vendor_order.state.value not in fulfilment.RECEIPT_STATES:
            raise Conflict("This parcel has not shipped yet: receipt can be confirmed once it has.",
                           code="not_shipped", fields={"vendor_id": f"sub-order is {vendor_order.state.value}",
                                                       "allowed_actions": "none until shipped"})
        vendor_order.receipt_confirmed_at, vendor_order.receipt_confirmed_by = at, by
        self._note(TimelineEntry(f"receipt:{vendor_id}", at, "Receipt confirmed" if by == "shopper"
                                 else "Receipt confirmed automatically", Audience.INTERNAL, kind="delivery",
                                 details={"vendor_id": vendor_id, "by": by}))
        if vendor_order.state is VendorOrderState.DELIVERED:
            return []
        return self._delivered(vendor_order, at, by)

    def cancel_line(self, vendor_id: str, offer_id: str, *, reason: str, at: str) -> list[Effect]:
        """The vendor cannot fulfil a line before shipping: the shopper is refunded for it (the last
        line refunds what is left, shipping included, and cancels the sub-order) and its units go
        back on sale. Once per line: a retry changes nothing."""
        vendor_order = self.vendor_order_of(vendor_id)
        lines = self.vendor_lines(vendor_id)
        line = next((x for x in lines if x.offer_id == offer_id), None)
        if line is None:
            raise NotFound("This sub-order has no such line.", fields={"line_id": "not in this sub-order"})
        if offer_id in vendor_order.cancelled_lines:
            return []
        self._require(vendor_id, fulfilment.CANCEL_LINE)
        still_open = [x for x in lines if x.offer_id not in vendor_order.cancelled_lines]
        already = sum(int(c["refund"]) for c in vendor_order.cancelled_lines.values())
        carried = sum(x.unit_discount * x.quantity for x in lines)  # the lines' own promotions
        amount = fulfilment.line_refund(quantity=line.quantity, unit_price=line.unit_price,
                                        line_discount=line.unit_discount * line.quantity, items=vendor_order.items,
                                        unassigned_discount=max(0, vendor_order.discount - carried),
                                        total=vendor_order.total, already_refunded=already,
                                        last_line=len(still_open) == 1)
        vendor_order.cancelled_lines = {**vendor_order.cancelled_lines, offer_id: {
            "quantity": line.quantity, "refund": amount, "reason": reason, "at": at}}
        self._note(TimelineEntry(f"line_cancelled:{vendor_id}:{offer_id}", at,
                                 f"{line.title or offer_id} cancelled by {vendor_order.vendor_name or vendor_id}",
                                 Audience.INTERNAL, kind="fulfilment",
                                 details={"vendor_id": vendor_id, "offer_id": offer_id, "reason": reason,
                                          "refund": amount}))
        effects: list[Effect] = [RestockSold(self.order_id, offer_id, line.quantity)]
        if amount > 0 and self.payment_intent_id:
            effects.append(RefundLine(self.order_id, self.payment_intent_id, vendor_id, offer_id, amount,
                                      "requested_by_customer"))
        effects.append(Publish.of(OrderLineCancelled(
            OrderSummary.of(self), vendor_id=vendor_id, offer_id=offer_id, quantity=line.quantity, reason=reason,
            refund={"amount": amount, "currency": self.currency})))
        if len(still_open) == 1:
            vendor_order.state = VendorOrderState.CANCELLED
            self._note(TimelineEntry(f"vendor_cancelled:{vendor_id}", at,
                                     f"{vendor_order.vendor_name or vendor_id} cancelled its part; you are refunded",
                                     kind="fulfilment", details={"vendor_id": vendor_id}))
        return effects

    # --- refunds for after-sales cases (returns, claims): the refund primitive -----------------

    def line_refund_amount(self, vendor_id: str, offer_id: str, quantity: int) -> int:
        """What the shopper paid for `quantity` units of the vendor's line: their price less the line's own
        promotion and their share of the sub-order's discount no line carries (rounded down); never
        shipping. What a case refunds for returned units: computed here, never taken from a request."""
        vendor_order = self.vendor_order_of(vendor_id)
        line = self._vendor_line(vendor_id, offer_id, field_name="offer_id")
        if not _positive_int(quantity) or quantity > line.quantity:
            raise InvalidInput(f"Between 1 and {line.quantity} units of this line.",
                               fields={"quantity": f"must be between 1 and {line.quantity}"})
        carried = sum(x.unit_discount * x.quantity for x in self.vendor_lines(vendor_id))
        return fulfilment.line_refund(quantity=quantity, unit_price=line.unit_price,
                                      line_discount=line.unit_discount * quantity, items=vendor_order.items,
                                      unassigned_discount=max(0, vendor_order.discount - carried),
                                      total=vendor_order.total, already_refunded=0, last_line=False)

    def vendor_refundable(self, vendor_id: str) -> int:
        """How much more may be refunded from the vendor's share: its total less every refund it bears
        (made or under way), and never more than is left of the charge. 0 unless the order is paid."""
        vendor_order = self.vendor_order_of(vendor_id)
        if self.status is not OrderStatus.PAID:
            return 0
        in_flight = self._refunds_in_flight()
        money = self.money()
        own_left = (vendor_order.total - min(ledger.allocated_refunds(money, vendor_id), vendor_order.total)
                    - in_flight.get(vendor_id, 0))
        charge_left = self.charged - money.refunded - money.lost_to_disputes - sum(in_flight.values())
        return max(0, min(own_left, charge_left))

    def case_refund(self, case_id: str) -> dict | None:
        """The case's refund record (with its `vendor_id`), or None when the case refunded nothing yet."""
        for vendor_order in self.vendor_orders.values():
            record = vendor_order.case_refunds.get(case_id)
            if record is not None:
                return {**record, "vendor_id": vendor_order.vendor_id}
        return None

    def refund_for_case(self, vendor_id: str, *, case_id: str, amount: int, reason: str, at: str,
                        restock: tuple[tuple[str, int], ...] = ()) -> list[Effect]:
        """Refund `amount` of the vendor's share for a case, once per case (a repeat returns [] and
        changes nothing), and put the `restock` (offer_id, quantity) units back on sale.

        The refund is made on the platform's charge with an idempotency key from the case id
        (RefundCase, carried out by the effect runner) and recorded as this vendor's refund: the
        ledger takes it off that vendor only; a vendor already paid gets the reversal due at once,
        one not yet paid gets a smaller payout."""
        vendor_order = self.vendor_order_of(vendor_id)
        if self.case_refund(case_id) is not None:
            return []
        if self.status is not OrderStatus.PAID or not self.payment_intent_id:
            raise Conflict("Only a paid order can be refunded.", code="order_not_paid",
                           fields={"order_id": f"order is {self.status.value}"})
        self._require_refundable(vendor_id, amount)
        effects = self.restock_returned(vendor_id, case_id, restock, at=at) if restock else []
        vendor_order.case_refunds = {**vendor_order.case_refunds, case_id: {
            "amount": amount, "status": "requested", "refund_id": None, "failure_code": None, "at": at,
            "reason": reason, "attempt": 0}}
        self._note(TimelineEntry(f"case_refund:{case_id}", at,
                                 f"Refund of {_money(amount, self.currency)} on its way to you", kind="refund",
                                 details={"vendor_id": vendor_id, "case_id": case_id, "amount": amount}))
        return [RefundCase(self.order_id, self.payment_intent_id, vendor_id, case_id, amount, reason), *effects]

    def restock_returned(self, vendor_id: str, case_id: str, quantities: tuple[tuple[str, int], ...] | list,
                         *, at: str | None = None) -> list[Effect]:
        """Returned units go back on sale because the vendor says they can be sold again: once per case
        (a repeat returns []), never more units of a line than were sold and not already put back."""
        vendor_order = self.vendor_order_of(vendor_id)
        if case_id in vendor_order.restocked:
            return []
        if self.status is not OrderStatus.PAID:
            raise Conflict("Only a paid order's units can be restocked.", code="order_not_paid",
                           fields={"order_id": f"order is {self.status.value}"})
        wanted: dict[str, int] = {}
        for offer_id, quantity in quantities:
            self._vendor_line(vendor_id, offer_id, field_name="restock")
            if not _positive_int(quantity):
                raise InvalidInput("Restock at least one unit.", fields={"quantity": "must be a positive integer"})
            wanted[offer_id] = wanted.get(offer_id, 0) + quantity
        if not wanted:
            raise InvalidInput("Name the units to restock.", fields={"restock": "no units"})
        for offer_id, quantity in wanted.items():
            sold = sum(x.quantity for x in self.vendor_lines(vendor_id) if x.offer_id == offer_id)
            back = (int(vendor_order.cancelled_lines.get(offer_id, {}).get("quantity", 0))
                    + sum(int(r.get(offer_id, 0)) for r in vendor_order.restocked.values()))
            if back + quantity > sold:
                raise Conflict(f"Only {sold - back} unit(s) of this line can still be restocked.",
                               code="restock_exceeds_sold", fields={"quantity": f"at most {sold - back}"})
        vendor_order.restocked = {**vendor_order.restocked, case_id: dict(sorted(wanted.items()))}
        self._note(TimelineEntry(f"restocked:{case_id}", at or now_iso(), "Returned units back on sale",
                                 Audience.INTERNAL, kind="stock",
                                 details={"vendor_id": vendor_id, "case_id": case_id, "quantities": dict(wanted)}))
        return [RestockSold(self.order_id, offer_id, quantity, case_id) for offer_id, quantity in sorted(wanted.items())]

    def record_case_refund(self, case_id: str, *, attempt: int, refund_id: str, status: str,
                           at: str) -> list[Effect]:
        """The provider answered the case's refund: recorded as its vendor's refund (the ledger books it
        in this save) and the case takes the provider's status; returns the reversals it makes due
        (the vendor was paid already) or `refund.failed` when the provider says it failed."""
        vendor_id, record = self._case_record(case_id)
        status = _PROVIDER_REFUND_STATUS.get(status, "pending")
        if int(record.get("attempt", 0)) != attempt or record["status"] in ("failed", "resolved"):
            return []  # an attempt superseded, or settled otherwise meanwhile
        if status == "failed":
            return self.case_refund_failed(case_id, failure_code="refund_failed", at=at, refund_id=refund_id)
        if record["status"] != "succeeded":
            self._update_case(vendor_id, case_id, status=status, refund_id=refund_id)
        self.record_refund(Refund(refund_id, int(record["amount"]), self.currency, at, record.get("reason"), status,
                                  vendor_id))
        return self.reversals_due(at=at)

    def case_refund_failed(self, case_id: str, *, failure_code: str, at: str, attempt: int | None = None,
                           refund_id: str | None = None) -> list[Effect]:
        """The provider refused the case's refund, or it failed after it was made: the case shows
        `failed` with the reason, and a refund already booked is un-booked (a failed refund moves no
        money). Once per attempt."""
        vendor_id, record = self._case_record(case_id)
        if record["status"] in ("failed", "resolved") or (attempt is not None and int(record.get("attempt", 0)) != attempt):
            return []
        refund_id = refund_id or record.get("refund_id")
        self._update_case(vendor_id, case_id, status="failed", failure_code=failure_code, failed_at=at,
                          refund_id=refund_id)
        known = self.refunds.get(refund_id) if refund_id else None
        if known is not None and known.status != "failed":
            before = self.money()
            self.refunds[refund_id] = replace(known, status="failed")
            self._book_money_change(before, vl.REFUND, f"{refund_id}:failed", at)
        self._note(TimelineEntry(f"case_refund_failed:{case_id}:{record.get('attempt', 0)}", at,
                                 "Refund failed: our team is on it", kind="refund",
                                 details={"vendor_id": vendor_id, "case_id": case_id, "failure_code": failure_code}))
        followed = self._returns_follow_refund(case_id, at)  # a return whose refund failed says so
        followed += self.top_ups_due(at=at)  # a vendor clawed back for it gets that money back
        return [Publish.of(RefundFailed(OrderSummary.of(self), vendor_id=vendor_id, case_id=case_id,
                                        amount=int(record["amount"]), currency=self.currency,
                                        failure_code=failure_code, attempt=int(record.get("attempt", 0)))),
                *followed]

    def reconcile_refund(self, refund_id: str, *, status: str, at: str, failure_code: str | None = None,
                         case_id: str | None = None) -> list[Effect] | None:
        """The provider's word on a refund (`charge.refunded`, `refund.updated`, `refund.failed`): the
        refund and its case take that status, once. None when it changes nothing."""
        status = _PROVIDER_REFUND_STATUS.get(status, "pending")
        found = next(((v.vendor_id, cid) for v in self.vendor_orders.values() for cid, r in v.case_refunds.items()
                      if r.get("refund_id") == refund_id), None)
        # Named by its case only (the provider's event came before we recorded our refund): unless it is a
        # refund we know already, made by an earlier attempt of that case (its late `refund.failed` must not
        # fail the admin's retry under way).
        if found is None and case_id and self.case_refund(case_id) is not None and refund_id not in self.refunds:
            record = self.case_refund(case_id)
            if record["status"] == "requested" or record.get("refund_id") in (None, refund_id):
                found = (record["vendor_id"], case_id)
        if found is not None:
            vendor_id, case_id = found
            record = self.vendor_orders[vendor_id].case_refunds[case_id]
            if status == "failed":
                return self.case_refund_failed(case_id, failure_code=failure_code or "refund_failed", at=at,
                                               refund_id=refund_id) or None
            if record["status"] in ("requested", "pending") and status != record["status"]:
                return self.record_case_refund(case_id, attempt=int(record.get("attempt", 0)), refund_id=refund_id,
                                               status=status, at=at)
            return None
        known = self.refunds.get(refund_id)
        if known is None or known.status == status or known.status == "failed":
            return None
        before = self.money()
        self.refunds[refund_id] = replace(known, status=status)
        self._book_money_change(before, vl.REFUND, f"{refund_id}:{status}", at)
        return self.reversals_due(at=at) + self.top_ups_due(at=at)

    def retry_case_refund(self, case_id: str, *, at: str) -> list[Effect]:
        """An admin tries a failed case refund again: a new attempt with its own idempotency key (the
        failed one's key would only replay the failure)."""
        vendor_id, record = self._case_record(case_id)
        if record["status"] != "failed":
            raise Conflict(f"Only a failed refund can be retried; this one is {record['status']}.",
                           code="refund_not_failed", fields={"case_id": f"refund is {record['status']}"})
        if not self.payment_intent_id:
            raise Conflict("The order has no payment to refund.", code="order_not_paid", fields={"order_id": "no payment"})
        amount = int(record["amount"])
        self._require_refundable(vendor_id, amount)
        attempt = int(record.get("attempt", 0)) + 1
        self._update_case(vendor_id, case_id, status="requested", attempt=attempt, refund_id=None,
                          failure_code=None, failed_at=None, retried_at=at)
        return [RefundCase(self.order_id, self.payment_intent_id, vendor_id, case_id, amount,
                           str(record.get("reason") or "requested_by_customer"), attempt)]

    def resolve_case_refund(self, case_id: str, *, note: str, by: str, at: str,
                            borne_by: str = "platform") -> list[Effect] | None:
        """An admin settled a failed case refund outside the platform (a bank transfer, a voucher): it
        leaves the failed queue with the note. Once; None when resolved already (nothing changes).

        `borne_by` says who pays for it: the platform (nothing of the vendor's moves), or the vendor,
        which bears it exactly as if the refund had gone through: the money left the platform for the
        shopper all the same, so it counts as the vendor's refund (`refunds_borne_outside`), booked in
        its ledger in this change (`refund`, and the `commission` its policy gives back), and collected
        like any refund: a payout not made yet is paid that much less, a vendor paid already has it
        reversed from a transfer that still has it (the returned effects; refused, it is on the admin's
        queue like any refused reversal)."""
        vendor_id, record = self._case_record(case_id)
        if record["status"] == "resolved":
            return None
        if record["status"] != "failed":
            raise Conflict(f"Only a failed refund can be resolved; this one is {record['status']}.",
                           code="refund_not_failed", fields={"case_id": f"refund is {record['status']}"})
        if borne_by not in ("platform", "vendor"):
            raise InvalidInput("Say who bears the refund: platform or vendor.", fields={"borne_by": "platform or vendor"})
        resolution: dict = {"note": note, "by": by, "at": at, "borne_by": borne_by}
        if borne_by == "platform":
            self._update_case(vendor_id, case_id, status="resolved", resolution=resolution)
            return []
        before = self.money()
        # Never more than is left of its share (other refunds may have taken it meanwhile): beyond it the
        # ledger would spread the excess over the other vendors, who bear nothing of this case.
        in_flight = self._refunds_in_flight().get(vendor_id, 0)
        share = self.vendor_orders[vendor_id].total
        left = share - min(ledger.allocated_refunds(before, vendor_id), share) - in_flight
        resolution["counted_as_refund"] = max(0, min(int(record["amount"]), left))
        self._update_case(vendor_id, case_id, status="resolved", resolution=resolution)
        # What it bears: its share less the commission its policy gives back (shown on the admin's answer).
        charged = ledger.entitlement(before, vendor_id) - ledger.entitlement(self.money(), vendor_id)
        resolution["vendor_charged"] = charged
        self._book_money_change(before, vl.REFUND, f"outside:{case_id}", at, provider_object_id=None,
                                details={"reason": f"Refund settled outside the platform, borne by the vendor: {note}",
                                         "by": by, "case_id": case_id})
        self._note(TimelineEntry(f"case_refund_borne:{case_id}", at, "Refund settled outside the platform, "
                                 "borne by the vendor", Audience.INTERNAL, kind="refund",
                                 details={"vendor_id": vendor_id, "case_id": case_id, "amount": int(record["amount"]),
                                          "vendor_charged": charged}))
        # Not paid yet: its payout, when released, is computed from the smaller entitlement (and one under
        # way is taken back once recorded). Paid: the reversal due now; another vendor's too, should it now
        # bear more of an order-wide loss (a lost dispute is shared pro rata of what is left of each share).
        return self.reversals_due(at=at)

    def _require_refundable(self, vendor_id: str, amount: int) -> None:
        refundable = self.vendor_refundable(vendor_id)
        if not _positive_int(amount) or amount > refundable:
            raise Conflict(f"At most {_money(refundable, self.currency)} can be refunded from this vendor's part.",
                           code="refund_amount_not_allowed", fields={"amount": f"must be between 1 and {refundable}"})

    def _refunds_in_flight(self) -> dict[str, int]:
        """Refunds asked for and not recorded yet, per vendor: case refunds not answered, cancelled lines'
        refunds still in the outbox."""
        out: dict[str, int] = {}
        for vendor_order in self.vendor_orders.values():
            asked = sum(int(r["amount"]) for r in vendor_order.case_refunds.values() if r["status"] == "requested")
            out[vendor_order.vendor_id] = asked
        for effect in self.outbox:
            if isinstance(effect, RefundLine):
                out[effect.vendor_id] = out.get(effect.vendor_id, 0) + effect.amount
        return out

    def _case_record(self, case_id: str) -> tuple[str, dict]:
        for vendor_order in self.vendor_orders.values():
            if case_id in vendor_order.case_refunds:
                return vendor_order.vendor_id, vendor_order.case_refunds[case_id]
        raise NotFound("This order has no refund for that case.", fields={"case_id": "no refund for this case"})

    def _update_case(self, vendor_id: str, case_id: str, **changes) -> None:
        vendor_order = self.vendor_orders[vendor_id]
        vendor_order.case_refunds = {**vendor_order.case_refunds,
                                     case_id: {**vendor_order.case_refunds[case_id], **changes}}

    def _vendor_line(self, vendor_id: str, offer_id: str, *, field_name: str) -> OrderLine:
        line = next((x for x in self.vendor_lines(vendor_id) if x.offer_id == offer_id), None)
        if line is None:
            raise NotFound("This sub-order has no such line.", fields={field_name: "not in this sub-order"})
        return line

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
                                                          if r.vendor_id == v.vendor_id)
                                             + v.refunds_borne_outside,
                                             transferred=max(0, v.transferred - pending[v.vendor_id]
                                                             - v.returned_outside + v.paid_outside),
                                             commission_policy=v.refund_commission,
                                             written_off=v.written_off)
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
        self._book(vendor_id, vl.PAYOUT_RELEASE, 0, at)  # from now on the vendor's balance is payable
        if vendor_order.transfer_id:
            # Transferred already (a run crashed before clearing it), unless a top-up is owed; or a top-up left
            # due (the provider was away) is not owed any more and the reversal that waited for it is due.
            # A top-up still in the outbox keeps the vendor due: should the provider be away for it, the
            # runner drops it and only the retry schedule asks again (for it, or for the reversal instead).
            vendor_order.payout_due_at = ((at if requeue else vendor_order.payout_due_at or at)
                                          if self._top_up_under_way(vendor_id) else None)
            return [e for e in self.top_ups_due(at=at) + self.reversals_due(at=at) if e.vendor_id == vendor_id]
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
                        at: str, top_up: int = 0) -> list[Effect]:
        """The provider made the vendor's transfer: the payout leaves the due queue. Returns the
        reversals it makes due: the amount was computed when the payout was released, and a refund or a
        lost dispute recorded meanwhile (by a webhook, another case) found no transfer to take back from."""
        vendor_order = self.vendor_orders[vendor_id]
        if top_up:
            return self._record_top_up(vendor_id, transfer_id=transfer_id, amount=amount, at=at, top_up=top_up)
        if vendor_order.transfer_id:
            return []
        vendor_order.transfer_id, vendor_order.transferred = transfer_id, amount
        vendor_order.transfer_left = {**vendor_order.transfer_left, transfer_id: amount}
        vendor_order.charge_id = charge_id or vendor_order.charge_id
        vendor_order.payout_status, vendor_order.payout_due_at = PayoutStatus.TRANSFERRED, None
        self._book(vendor_id, vl.TRANSFER, -amount, at, reference=transfer_id, provider_object_id=transfer_id)
        self._note(TimelineEntry(f"transfer:{vendor_id}", at, "Vendor payout sent", Audience.INTERNAL,
                                 kind="transfer", details={"vendor_id": vendor_id, "transfer_id": transfer_id,
                                                           "amount": amount}))
        return self.reversals_due(at=at)

    def owed_to_vendor(self, vendor_id: str) -> int:
        """What the vendor is entitled to and does not hold (a refund failed after it was clawed back);
        unlike payable_now, counted while a dispute is open too (the money is owed, only held)."""
        money = self.money()
        return max(0, ledger.entitlement(money, vendor_id) - money.vendor(vendor_id).transferred)

    def _top_up_under_way(self, vendor_id: str) -> bool:
        """A top-up of the vendor's waits in the outbox (carried out by the runner, or dropped if the provider is
        away: then only the retry schedule asks again, so the vendor must stay due)."""
        return any(isinstance(e, TransferPayout) and e.top_up and e.vendor_id == vendor_id for e in self.outbox)

    def top_ups_due(self, *, at: str | None = None, settled: Effect | None = None) -> list[Effect]:
        """Vendors paid already who are owed more than they hold (a refund failed after their transfer
        was reversed): a top-up transfer each, keyed by its rank, so a retry after a crash replays the
        same transfer and a later top-up gets a key of its own (a refused one's retry too: `attempt`).
        `at` marks it due for the retry schedule (retry_payouts), should the provider be away.

        One move at a time per vendor: none while a reversal or a top-up of its is under way (what the
        provider answers to it is what the next computation starts from; recording it asks again)."""
        money = self.money()
        effects: list[Effect] = []
        if self.status is not OrderStatus.PAID:
            return effects
        moving = {e.vendor_id for e in self.outbox if e != settled
                  and (isinstance(e, ReverseTransfer) or (isinstance(e, TransferPayout) and e.top_up))}
        for vendor_order in self.vendor_orders.values():
            if not vendor_order.transfer_id or vendor_order.vendor_id in moving:
                continue  # never paid (its payout, when released, pays what it is owed), or a move under way
            amount = ledger.payable_now(money, vendor_order.vendor_id)
            if amount > 0:
                if at and not vendor_order.payout_due_at and not vendor_order.top_up_failed:
                    vendor_order.payout_due_at = at  # a refused one is retried from the attention queue
                effects.append(TransferPayout(self.order_id, vendor_order.vendor_id, amount, vendor_order.currency,
                                              top_up=len(vendor_order.top_ups) + 1,
                                              attempt=vendor_order.top_up_attempt))
        return effects

    def _record_top_up(self, vendor_id: str, *, transfer_id: str, amount: int, at: str, top_up: int) -> list[Effect]:
        vendor_order = self.vendor_orders[vendor_id]
        if transfer_id in vendor_order.top_ups:
            return []  # recorded already (a replay)
        # Made: no longer counted as under way by what follows (whichever attempt made it).
        self.outbox = [e for e in self.outbox if not (isinstance(e, TransferPayout) and e.vendor_id == vendor_id
                                                      and e.top_up == top_up and e.amount == amount)]
        vendor_order.top_ups = (*vendor_order.top_ups, transfer_id)
        vendor_order.transfer_left = {**vendor_order.transfer_left, transfer_id: amount}
        vendor_order.transferred += amount
        vendor_order.payout_status, vendor_order.payout_due_at = PayoutStatus.TRANSFERRED, None
        self._book(vendor_id, vl.TRANSFER, -amount, at, reference=transfer_id, provider_object_id=transfer_id,
                   details={"top_up": top_up})
        self._note(TimelineEntry(f"transfer:{vendor_id}:{transfer_id}", at, "Vendor payout topped up",
                                 Audience.INTERNAL, kind="transfer",
                                 details={"vendor_id": vendor_id, "transfer_id": transfer_id, "amount": amount}))
        self._forget_settled_failures(vendor_id, at)
        return self.reversals_due(at=at) + self.top_ups_due(at=at)  # two top-ups computed from different states

    def top_up_refused(self, vendor_id: str, *, failure_code: str, at: str) -> list[Effect]:
        """The provider refused a top-up transfer (balance_insufficient...): what the vendor is still owed
        stays visible to admins (`top_up_failed`) until the retry schedule or an admin pays it, or an
        admin records it paid outside the platform; never only a log line."""
        vendor_order = self.vendor_orders[vendor_id]
        # Refused: no longer under way (reversals wait for a vendor's move under way to be answered).
        self.outbox = [e for e in self.outbox if not (isinstance(e, TransferPayout) and e.vendor_id == vendor_id
                                                      and e.top_up)]
        vendor_order.top_up_refusals = vendor_order.top_up_attempt + 1  # that key is spent, whatever follows
        owed = self.owed_to_vendor(vendor_id)
        if owed <= 0:
            vendor_order.top_up_failed = None
            # Not owed any more (a refund or a lost dispute meanwhile): what waited for this answer is due now.
            return [e for e in self.reversals_due(at=at) if e.vendor_id == vendor_id]
        attempts = vendor_order.top_up_refusals
        since = (vendor_order.top_up_failed or {}).get("at", at)
        vendor_order.top_up_failed = {"amount": owed, "failure_code": failure_code, "at": since,
                                      "last_failed_at": at, "attempts": attempts}
        vendor_order.payout_due_at = None  # the same key would only replay the refusal: retried from attention
        self._note(TimelineEntry(f"top_up_refused:{vendor_id}:{attempts}", at, "Vendor top-up refused",
                                 Audience.INTERNAL, kind="transfer",
                                 details={"vendor_id": vendor_id, "amount": owed, "failure_code": failure_code}))
        return []

    def retry_top_up(self, vendor_id: str) -> list[Effect]:
        """The retry schedule or an admin tries a refused top-up again (a new idempotency key)."""
        vendor_order = self.vendor_order_of(vendor_id)
        if not vendor_order.top_up_failed:
            raise Conflict("No refused top-up is waiting for this vendor.", code="no_top_up_failed",
                           fields={"vendor_id": "no refused top-up"})
        due = [e for e in self.top_ups_due() if e.vendor_id == vendor_id]
        if not due and self.owed_to_vendor(vendor_id) <= 0:
            vendor_order.top_up_failed = None  # nothing is owed any more (another refund went through)
        return due

    def resolve_top_up(self, vendor_id: str, *, note: str, by: str, at: str) -> int:
        """An admin paid a refused top-up outside the platform (a bank transfer): it is counted as
        transferred, never asked of the provider again, and the vendor's ledger gets an `adjustment`
        of that amount. Returns the amount settled."""
        vendor_order = self.vendor_order_of(vendor_id)
        if not vendor_order.top_up_failed:
            raise Conflict("No refused top-up is waiting for this vendor.", code="no_top_up_failed",
                           fields={"vendor_id": "no refused top-up"})
        owed = self.owed_to_vendor(vendor_id)
        vendor_order.top_up_failed = None
        if owed <= 0:
            return 0
        self._settle_outside(vendor_id, "paid_to_vendor", owed, at, note=note, by=by,
                             words="Top-up paid to the vendor outside the platform")
        return owed

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

    def record_reversal(self, vendor_id: str, *, reversal_id: str, amount: int, at: str | None = None,
                        transfer_id: str | None = None, key: str | None = None) -> list[Effect]:
        """A transfer reversal made at the provider (of `transfer_id`, the payout's unless named), counted
        in the vendor's net `transferred` once; returns what it makes due next: the rest of a reversal
        no one transfer could cover, or a top-up (a refund failed while the reversal was under way)."""
        vendor_order = self.vendor_orders[vendor_id]
        if reversal_id in vendor_order.reversals:
            return []
        at = at or now_iso()
        transfer_id = transfer_id or vendor_order.transfer_id
        vendor_order.reversals = vendor_order.reversals | {reversal_id}
        vendor_order.transferred -= amount
        if transfer_id in vendor_order.transfer_left:
            vendor_order.transfer_left = {**vendor_order.transfer_left,
                                          transfer_id: vendor_order.transfer_left[transfer_id] - amount}
        self._book(vendor_id, vl.TRANSFER_REVERSAL, amount, at, reference=reversal_id,
                   provider_object_id=reversal_id, details={"transfer_id": transfer_id})
        # Still in the outbox while this is recorded: made, so no longer under way.
        # By its key when the runner names it: two reversals of the same amount from the same transfer may be
        # under way (two refunds), and marking the other one made would lose it.
        made = next((e for e in self.outbox if isinstance(e, ReverseTransfer) and e.vendor_id == vendor_id
                     and e.amount == amount and e.transfer_id == transfer_id and key in (None, e.key)), None)
        if made is not None:
            self.done(made)
        self._forget_settled_failures(vendor_id, at)
        return [e for e in self.reversals_due(at=at) + self.top_ups_due(at=at) if e.vendor_id == vendor_id]

    def reversals_due(self, *, at: str | None = None) -> list[Effect]:
        """A refund or a lost dispute after a payout: take back from each vendor what it no longer keeps,
        from transfers that still have that much not reversed (the provider refuses more): the first
        that covers it all (the payout, then its top-ups), else the ones with most left, each giving
        what it has.

        What no transfer has left to give (the vendor was paid outside the platform, e.g. a refused top-up
        an admin paid by bank transfer, and the refund then went through after all) is shown to admins as
        a reversal the provider cannot make (`reversal_failed`, `nothing_left_to_reverse`): an admin
        gets it back from the vendor another way or writes it off (resolve_reversal); never left silent."""
        money = self.money(pending_reversals=True)
        effects: list[Effect] = []
        for vendor_order in self.vendor_orders.values():
            due = ledger.reversal_due(money, vendor_order.vendor_id)
            if self._top_up_under_way(vendor_order.vendor_id):
                continue  # one move at a time: recording the top-up under way asks again
            if due <= 0 or not vendor_order.transfer_id:
                continue
            net = money.vendor(vendor_order.vendor_id).transferred
            attempt = vendor_order.reversal_attempt
            for source, amount in self._reversal_sources(vendor_order, due):
                net -= amount  # what the vendor keeps once this one is made: names the reversal
                due -= amount
                effects.append(ReverseTransfer(self.order_id, vendor_order.vendor_id, source, amount, net, attempt,
                                               len(vendor_order.top_ups), len(vendor_order.outside_settlements)))
            if due > 0:
                self._nothing_left_to_reverse(vendor_order, due, at or now_iso())
        return effects

    def _nothing_left_to_reverse(self, vendor_order: VendorOrder, due: int, at: str) -> None:
        """`due` is held by the vendor beyond the reversals under way and no transfer has it left: on the
        admin's queue as a reversal that cannot be made (kept since its first day there, not a new
        attempt: nothing was asked of the provider)."""
        failed = vendor_order.reversal_failed or {}
        if failed.get("amount") == due and failed.get("failure_code") == NOTHING_LEFT_TO_REVERSE:
            return
        vendor_order.reversal_failed = {"amount": due, "failure_code": NOTHING_LEFT_TO_REVERSE,
                                        "at": failed.get("at", at), "last_failed_at": at,
                                        "attempts": int(failed.get("attempts", 0))}
        self._note(TimelineEntry(f"reversal_impossible:{vendor_order.vendor_id}:{len(vendor_order.outside_settlements)}",
                                 at, "Transfer reversal impossible: no transfer has that much left",
                                 Audience.INTERNAL, kind="transfer",
                                 details={"vendor_id": vendor_order.vendor_id, "amount": due,
                                          "failure_code": NOTHING_LEFT_TO_REVERSE}))

    def _reversal_sources(self, vendor_order: VendorOrder, due: int) -> list[tuple[str, int]]:
        """[(transfer, amount to reverse from it)] for `due`, never more than a transfer has left net of
        the reversals under way. Orders saved before transfers were kept apart have their net on the payout."""
        pending: dict[str, int] = {}
        for effect in self.outbox:
            if isinstance(effect, ReverseTransfer) and effect.vendor_id == vendor_order.vendor_id:
                pending[effect.transfer_id] = pending.get(effect.transfer_id, 0) + effect.amount
        known = vendor_order.transfer_left or {vendor_order.transfer_id: vendor_order.transferred}
        left = {t: int(known.get(t, 0)) - pending.get(t, 0) for t in vendor_order.transfer_order}
        covering = next((t for t, amount in left.items() if amount >= due), None)
        if covering:
            return [(covering, due)]
        sources: list[tuple[str, int]] = []
        for transfer in sorted(left, key=lambda t: -left[t]):
            amount = min(due, left[transfer])
            if amount <= 0:
                break  # every transfer is reversed in full: nothing more the provider could take back
            sources.append((transfer, amount))
            due -= amount
        return sources

    def reversal_refused(self, vendor_id: str, *, failure_code: str, at: str, transfer_id: str | None = None,
                         amount: int | None = None, key: str | None = None) -> list[Effect]:
        """The provider refused a transfer reversal (balance_insufficient, more than is left): what is
        still due back from the vendor, beyond the other reversals under way (a split one), stays
        visible to admins (`reversal_failed`) until the retry schedule or an admin gets it back; never
        a silent half-done refund."""
        vendor_order = self.vendor_orders[vendor_id]
        # By its key when the runner names it, as record_reversal does: two reversals of the same amount from the
        # same transfer may be under way, and taking the other one off the outbox would lose it.
        refused = next((e for e in self.outbox if isinstance(e, ReverseTransfer) and e.vendor_id == vendor_id
                        and transfer_id in (None, e.transfer_id) and amount in (None, e.amount)
                        and key in (None, e.key)), None)
        if refused is not None:
            self.done(refused)  # refused: no longer under way
        vendor_order.reversal_refusals = vendor_order.reversal_attempt + 1  # that key is spent, whatever follows
        due = ledger.reversal_due(self.money(pending_reversals=True), vendor_id)
        if due <= 0:
            vendor_order.reversal_failed = None
            # Refused, and not due any more (its refund failed meanwhile): what the vendor is owed instead.
            return [e for e in self.top_ups_due(at=at) if e.vendor_id == vendor_id]
        attempts = vendor_order.reversal_refusals
        since = (vendor_order.reversal_failed or {}).get("at", at)
        vendor_order.reversal_failed = {"amount": due, "failure_code": failure_code, "at": since,
                                        "last_failed_at": at, "attempts": attempts}
        self._note(TimelineEntry(f"reversal_refused:{vendor_id}:{attempts}", at, "Transfer reversal refused",
                                 Audience.INTERNAL, kind="transfer",
                                 details={"vendor_id": vendor_id, "amount": due, "failure_code": failure_code}))
        return []

    def retry_reversal(self, vendor_id: str) -> list[Effect]:
        """The retry schedule or an admin tries a refused reversal again (a new idempotency key)."""
        vendor_order = self.vendor_order_of(vendor_id)
        if not vendor_order.reversal_failed:
            raise Conflict("No refused reversal is waiting for this vendor.", code="no_reversal_failed",
                           fields={"vendor_id": "no refused reversal"})
        due = [e for e in self.reversals_due() if isinstance(e, ReverseTransfer) and e.vendor_id == vendor_id]
        if not due and ledger.reversal_due(self.money(pending_reversals=True), vendor_id) <= 0:
            vendor_order.reversal_failed = None  # nothing is due any more (a refund failed meanwhile)
        return due

    def resolve_reversal(self, vendor_id: str, *, note: str, by: str, at: str, borne_by: str) -> int:
        """An admin settled a refused reversal outside the platform: `vendor` (it paid the money back
        another way: counted as reversed, so a refund failing later gives it back by a top-up) or
        `platform` (written off: never asked again, never counted as taken back, and undone as far as a
        refund failing later makes the excess rightful). Either way the vendor's ledger gets an
        `adjustment` of that amount (it owes nothing more for the order); who bore it is on the entry.
        Returns the amount settled."""
        vendor_order = self.vendor_order_of(vendor_id)
        if not vendor_order.reversal_failed:
            raise Conflict("No refused reversal is waiting for this vendor.", code="no_reversal_failed",
                           fields={"vendor_id": "no refused reversal"})
        if borne_by not in ("platform", "vendor"):
            raise InvalidInput("Say who bears it: platform or vendor.", fields={"borne_by": "platform or vendor"})
        # Only what is due beyond the reversals under way (a retry the runner has not made yet): the vendor
        # is never asked to pay back outside what the provider is about to take back too.
        due = ledger.reversal_due(self.money(pending_reversals=True), vendor_id)
        vendor_order.reversal_failed = None
        if due <= 0:
            return 0
        words = ("Transfer reversal settled outside the platform, "
                 + ("paid back by the vendor" if borne_by == "vendor" else "written off by the platform"))
        self._settle_outside(vendor_id, "returned_by_vendor" if borne_by == "vendor" else "written_off", due, at,
                             note=note, by=by, words=words, borne_by=borne_by)
        return due

    def _settle_outside(self, vendor_id: str, kind: str, amount: int, at: str, *, words: str, note: str = "",
                        by: str = "", borne_by: str | None = None) -> None:
        """Record money settled outside the platform and its `adjustment` entry (the vendor's sign: what
        it paid back or was forgiven is +, what it was paid or no longer forgiven is -). Each settlement
        has its own entry id (its rank), so the same amount settled twice is booked twice."""
        vendor_order = self.vendor_orders[vendor_id]
        settlement = {"kind": kind, "amount": amount, "at": at, **({"note": note} if note else {}),
                      **({"by": by} if by else {}), **({"borne_by": borne_by} if borne_by else {})}
        vendor_order.outside_settlements = (*vendor_order.outside_settlements, settlement)
        rank = len(vendor_order.outside_settlements)
        signed = amount if kind in ("returned_by_vendor", "written_off") else -amount
        self._book(vendor_id, vl.ADJUSTMENT, signed, at, reference=f"outside:{rank}",
                   details={"reason": f"{words}: {note}" if note else words, "settlement": kind,
                            **({"by": by} if by else {}), **({"borne_by": borne_by} if borne_by else {})})
        self._note(TimelineEntry(f"settled_outside:{vendor_id}:{rank}", at, words, Audience.INTERNAL, kind="transfer",
                                 details={"vendor_id": vendor_id, "amount": amount, "settlement": kind,
                                          **({"note": note} if note else {})}))

    def _forget_settled_failures(self, vendor_id: str, at: str) -> None:
        """After money moved: a refused reversal or top-up nothing is due for any more leaves the admin's
        queue, and a write-off larger than what the vendor now holds beyond its entitlement shrinks (a
        refund failed: the vendor keeps that much rightfully, and is never paid it again by a top-up)."""
        vendor_order = self.vendor_orders[vendor_id]
        money = self.money()
        if vendor_order.reversal_failed and ledger.reversal_due(money, vendor_id) <= 0:
            vendor_order.reversal_failed = None
        elif vendor_order.reversal_failed:
            # Still due, but maybe less or more (a refund failed or went through meanwhile): the queue shows
            # what is due now beyond the reversals under way, not what was due when it was refused.
            due = ledger.reversal_due(self.money(pending_reversals=True), vendor_id)
            if due > 0:
                vendor_order.reversal_failed = {**vendor_order.reversal_failed, "amount": due}
        if vendor_order.top_up_failed and self.owed_to_vendor(vendor_id) <= 0:
            vendor_order.top_up_failed = None
            if self._top_up_under_way(vendor_id):
                # Its retry is under way and the attention queue no longer lists it: should the provider be
                # away for it, the retry schedule's release asks what is due then (the reversal that waits).
                vendor_order.payout_due_at = vendor_order.payout_due_at or at
        written_off = vendor_order.written_off
        if written_off > 0:
            excess = max(0, money.vendor(vendor_id).transferred - ledger.entitlement(money, vendor_id))
            if written_off > excess:
                self._settle_outside(vendor_id, "write_off_undone", written_off - excess, at,
                                     words="Write-off undone: the refund it covered did not go through")

    # --- the vendor ledger (chalicelib/domain/vendor_ledger.py) --------------------------------

    def _book(self, vendor_id: str, kind: str, amount: int, at: str, *, reference: str | None = None,
              provider_object_id: str | None = None, details: dict | None = None) -> None:
        """Book one ledger entry with this change, once per entry id over the order's life."""
        entry = vl.LedgerEntry(vl.entry_id(self.order_id, vendor_id, kind, reference), vendor_id, kind, amount,
                               self.vendor_orders[vendor_id].currency or self.currency, self.order_id, at,
                               provider_object_id, details or {})
        if entry.entry_id in self.ledger_ids:
            return
        self.ledger_ids.add(entry.entry_id)
        self.ledger_entries.append(entry)

    def _book_sales(self, at: str) -> None:
        """Payment settled: each vendor's sale (what the shopper paid it) and the commission frozen at checkout."""
        for vendor_order in self.vendor_orders.values():
            self._book(vendor_order.vendor_id, vl.SALE, vendor_order.total, at, provider_object_id=self.charge_id,
                       details={"items": vendor_order.items, "shipping": vendor_order.shipping,
                                "discount": vendor_order.discount})
            self._book(vendor_order.vendor_id, vl.COMMISSION, -vendor_order.commission, at,
                       details={**({"bps": vendor_order.commission_bps} if vendor_order.commission_bps is not None
                                   else {}), "on_refunds": vendor_order.refund_commission})

    def _book_money_change(self, before: ledger.OrderMoney, kind: str, reference: str, at: str, *,
                           provider_object_id: str | None | bool = True, details: dict | None = None) -> None:
        """A refund or a dispute outcome: what each vendor bears of it (gross, `kind`) and the commission
        it gives back (`commission`), so the entries keep summing to the vendor's entitlement. The gross
        entry names the provider object the reference starts with, unless told otherwise (None: money
        moved outside the provider)."""
        if provider_object_id is True:
            provider_object_id = reference.split(":")[0]
        if self.status is not OrderStatus.PAID:
            return  # no sale was booked (a late payment refunded whole): nothing of the vendors' moved
        after = self.money()
        for vendor_order in self.vendor_orders.values():
            vendor_id, total = vendor_order.vendor_id, vendor_order.total
            gross = (min(ledger.allocated_refunds(after, vendor_id), total)
                     - min(ledger.allocated_refunds(before, vendor_id), total))
            net = ledger.entitlement(after, vendor_id) - ledger.entitlement(before, vendor_id)
            if gross:
                self._book(vendor_id, kind, -gross, at, reference=reference, provider_object_id=provider_object_id,
                           details=details)
            if gross + net:
                self._book(vendor_id, vl.COMMISSION, gross + net, at, reference=f"{kind}:{reference}",
                           details={"on_refunds": vendor_order.refund_commission})
            self._forget_settled_failures(vendor_id, at)

    # --- return requests (chalicelib/domain/returns.py) ----------------------------------------

    def _returns_follow_refund(self, case_id: str, at: str) -> list[Effect]:
        """The case is a return: it moves to refund_failed with its refund (and onto the admin's queue)."""
        from chalicelib.domain import returns

        return returns.sync_refund_outcome(self, case_id, at=at) if case_id in self.returns else []

    # --- the outbox ---------------------------------------------------------------------------

    def done(self, effect: Effect) -> None:
        self.outbox = [e for e in self.outbox if e.key != effect.key]

    def _note(self, entry: TimelineEntry) -> None:
        if not self.has_entry(entry.id):
            self.timeline.append(entry)


def _positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


def _money(amount: int, currency: str) -> str:
    return f"{amount / 100:.2f} {currency}"
