"""Vendor payouts: separate charges and transfers, kept on the order aggregate.

The shopper pays the platform once; each vendor then receives a Transfer of what the money
ledger says it may be paid now (chalicelib/domain/ledger.py: its payout as priced at checkout,
net of refunds, nothing while a dispute is open). Releasing a payout is an aggregate method
(`Order.release_payout`) that marks it due and returns a `TransferPayout` effect; the effect
runner makes the transfer (naming the charge as `source_transaction`, the order as
`transfer_group`, idempotency key `tr-<order_id>-<vendor_id>`) and records the result on the
order through the repository, conditional on its version. However often a release is retried,
a vendor is paid once per order.

When: `settings.payout_release` = "on_delivery" (default: the money waits until the shopper
confirms receipt of the shipped parcel, or `auto_confirm_receipts` does it for them
HALLES_AUTO_CONFIRM_DAYS after shipping, which protects returns) or "at_payment" (the paid transition releases them).
A vendor without a connected payout account yet gets `awaiting_vendor_account`; nothing fails.

Money never stuck: from the release until the transfer exists (or is refused for good) the
vendor-order is due (`payout_due_at`, a sparse index in DynamoDB), and the `retry_payouts`
schedule releases the oldest due payouts again: after a provider outage, once a dispute is won,
or once the vendor has a payout account.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.order_effects import Effect
from chalicelib.domain.orders import Order, OrderStatus, PayoutStatus
from chalicelib.domain.ports import OrderRepository
from chalicelib.domain.timestamps import iso
from chalicelib.observability import count, logger
from chalicelib.payments.port import PaymentGateway
from chalicelib.services.effect_runner import EffectRunner
from chalicelib.services.order_changes import change_order

DELIVERED = "delivered"
RETRY_LATER = "retry_later"  # the provider was unavailable: still due


def payout_view(order: Order, vendor_id: str) -> dict:
    """The payout as the shopper's confirm-delivery answer shows it: `amount` is what was (or will be)
    transferred, `status` says why it is 0 (held_dispute_open, nothing_to_pay_refunded, ...)."""
    vendor_order = order.vendor_orders[vendor_id]
    if vendor_order.transfer_id:
        status, amount = PayoutStatus.TRANSFERRED, vendor_order.transferred
    else:
        status = vendor_order.payout_status or PayoutStatus.PENDING
        amount = order.payout_now(vendor_id)[0] if order.status is OrderStatus.PAID else 0
    return {"status": status.value, "amount": {"amount": amount, "currency": vendor_order.currency},
            "transfer_id": vendor_order.transfer_id}


def _release(orders: OrderRepository, effects: EffectRunner, order_id: str, vendor_id: str, *, now: datetime,
             deliver: bool = False, requeue: bool = False, by: str = "shopper") -> Order:
    """(Confirm receipt and) release the vendor's payout in one version-conditional save, then carry
    out the transfer. `by`: who confirms receipt (the shopper, or `auto` after the waiting period)."""
    confirmed = {"now": False}

    def transition(order: Order) -> list[Effect] | None:
        receipt = order.confirm_receipt(vendor_id, at=iso(now), by=by) if deliver else None  # 409 unless shipped
        confirmed["now"] = receipt is not None
        before = order.vendor_orders[vendor_id].__dict__.copy()
        todo = (receipt or []) + order.release_payout(vendor_id, at=iso(now), requeue=requeue)
        return todo if confirmed["now"] or todo or order.vendor_orders[vendor_id].__dict__ != before else None

    order = change_order(order_id, transition, orders=orders, effects=effects)
    if confirmed["now"]:
        count("ReceiptsConfirmed", 1, by=by)
    return order


def confirm_receipt(shopper_id: str, order_id: str, vendor_id: str, *, gateway: PaymentGateway | None = None,
                    now: datetime | None = None, orders: OrderRepository | None = None,
                    effects: EffectRunner | None = None, by: str = "shopper") -> dict:
    """The shopper received this vendor's parcel: record it (once) and release the vendor's payout.

    Only the order's own shopper, only a paid order, only once the vendor shipped it (409
    `not_shipped` before). Repeating it changes nothing but retries a payout that could not be made
    yet (vendor not onboarded, provider unavailable). Under "at_payment" the payout was released at
    payment already: this retries one that had to wait.
    """
    from chalicelib.services import wiring

    now = now or datetime.now(UTC)
    orders = orders or wiring.order_repository()
    effects = effects or wiring.effect_runner(gateway)
    order = orders.get(order_id) if order_id.startswith("ord_") and len(order_id) <= 64 else None
    if order is None or order.shopper_id != shopper_id:
        raise NotFound("No such order.", fields={"order_id": "not found"})
    if vendor_id not in order.vendor_orders:
        raise NotFound("This order has nothing from that vendor.", fields={"vendor_id": "not in this order"})
    order = _release(orders, effects, order_id, vendor_id, now=now, deliver=True, by=by)
    vendor_order = order.vendor_orders[vendor_id]
    return {"order_id": order_id, "vendor_id": vendor_id, "status": vendor_order.state.value,
            "delivered_at": vendor_order.delivered_at, "receipt_confirmed_at": vendor_order.receipt_confirmed_at,
            "payout": payout_view(order, vendor_id)}


# The route's first name, kept for the deprecated /confirm-delivery path: the same rules.
confirm_delivery = confirm_receipt


def auto_confirm_receipts(now: datetime | None = None, *, days: int | None = None, limit: int = 50,
                          gateway: PaymentGateway | None = None, orders: OrderRepository | None = None,
                          effects: EffectRunner | None = None) -> dict[str, int]:
    """Confirm receipt for the shopper of parcels shipped more than `days` ago (HALLES_AUTO_CONFIRM_DAYS)
    that nobody confirmed: the payout then follows exactly the manual confirmation's path.

    Reads the sparse by_receipt_due index oldest first (bounded batch, no scan); a confirmed
    sub-order leaves the index in the same save, so a second run finds nothing to do."""
    from chalicelib.services import wiring
    from chalicelib.settings import get_settings

    now = now or datetime.now(UTC)
    days = days if days is not None else get_settings().auto_confirm_days
    orders = orders or wiring.order_repository()
    due = orders.list_receipt_due(iso(now - timedelta(days=days)), limit)
    if due and effects is None:
        effects = wiring.effect_runner(gateway)
    outcomes: dict[str, int] = {}
    for order_id, vendor_id in due:
        try:
            order = _release(orders, effects, order_id, vendor_id, now=now, deliver=True, by="auto")
            result = "confirmed" if order is not None else "gone"
        except Conflict as err:
            # No longer shipped-and-paid (refunded meanwhile): it left or will leave the queue; nothing to pay.
            logger.warning("receipt not auto-confirmed", extra={"order_id": order_id, "vendor_id": vendor_id,
                                                                "error_code": err.code})
            result = err.code
        except Exception:
            logger.exception("auto-confirm failed", extra={"order_id": order_id, "vendor_id": vendor_id})
            result = "error"
        outcomes[result] = outcomes.get(result, 0) + 1
    if due:
        logger.info("receipts auto-confirmed", extra={"outcomes": outcomes})
    return outcomes


def retry_payouts(now: datetime | None = None, *, gateway: PaymentGateway | None = None, limit: int = 50,
                  orders: OrderRepository | None = None, effects: EffectRunner | None = None) -> dict[str, int]:
    """Release the oldest due payouts again (bounded batch); returns counts per outcome.

    Each goes through the same idempotent release (same idempotency key), so a transfer that went
    through before a crash is found again, never doubled. A payout that stays due (vendor still
    without an account, dispute still open, provider still unavailable) moves to the back of the
    queue, so vendors who never onboard cannot starve the others out of the batch.
    """
    from chalicelib.services import wiring

    now = now or datetime.now(UTC)
    orders = orders or wiring.order_repository()
    due = orders.list_due_payouts(iso(now), limit)
    if due and effects is None:
        effects = wiring.effect_runner(gateway)
    outcomes: dict[str, int] = {}
    overdue: list[tuple[str, str]] = []
    for order_id, vendor_id in due:
        try:
            result = _retry_one(orders, effects, order_id, vendor_id, now, overdue=overdue)
        except Exception:
            # One payout must not hold back the others: it stays due and the next run retries it.
            logger.exception("payout retry failed", extra={"order_id": order_id, "vendor_id": vendor_id})
            result = "error"
        outcomes[result] = outcomes.get(result, 0) + 1
        count("PayoutRetries", 1, outcome=result)
    if due:
        logger.info("due payouts retried", extra={"outcomes": outcomes})
    # Every run reports, zero included: the PayoutsOverdue alarm also fires when the reports stop.
    count("PayoutsDueOverADay", len(overdue), schedule="retry_payouts")
    if overdue:
        logger.warning("payouts due for over a day", extra={"payouts": overdue[:20]})
    return outcomes


def _retry_one(orders: OrderRepository, effects: EffectRunner, order_id: str, vendor_id: str, now: datetime,
               *, overdue: list[tuple[str, str]]) -> str:
    order = orders.get(order_id)
    if order is None or vendor_id not in order.vendor_orders:
        return "gone"
    if order.status is not OrderStatus.PAID:
        # Refunded: nothing is owed to the vendor any more. Off the queue, for an operator to see.
        logger.warning("due payout dropped: order not paid", extra={
            "order_id": order_id, "vendor_id": vendor_id, "order_status": order.status.value})
        order.drop_payout_due(vendor_id)
        orders.save(order, effects=[])
        return "order_not_paid"
    order = _release(orders, effects, order_id, vendor_id, now=now, requeue=True)
    vendor_order = order.vendor_orders[vendor_id]
    if vendor_order.transfer_id:
        return PayoutStatus.TRANSFERRED.value
    if vendor_order.payout_due and vendor_order.payout_status is PayoutStatus.PENDING:
        if due_over_a_day(order.created_at, vendor_order.receipt_confirmed_at, now):
            overdue.append((order_id, vendor_id))
        return RETRY_LATER
    return (vendor_order.payout_status or PayoutStatus.PENDING).value


OVERDUE_AFTER = timedelta(days=1)


def due_over_a_day(order_created_at: str, receipt_confirmed_at: str | None, now: datetime) -> bool:
    """A payout the retry could not make is overdue once it has been owed for a day: since the shopper
    confirmed receipt (payouts on delivery), else since the order (payouts at payment). `payout_due_at`
    cannot tell: each failed retry moves it to the back of the queue. Payouts held on purpose (an open
    dispute, a vendor without an account) are not PENDING and are never counted."""
    return (receipt_confirmed_at or order_created_at) <= iso(now - OVERDUE_AFTER)
