"""Vendor payouts: separate charges and transfers.

The shopper pays the platform once; each vendor then receives a Transfer of its share of that
charge: the vendor-order's `payout` (its items - discount + shipping, minus the platform's
commission), computed by the pricing domain at checkout and stored on the vendor-order, so the
amount transferred is the amount the shopper was shown. Each transfer names the charge as
`source_transaction` (funds are only moved once the charge's funds exist), the order as
`transfer_group`, and carries the idempotency key `tr-<order_id>-<vendor_id>`: however often a
release is retried, a vendor is paid once per order.

When: `settings.payout_release` = "on_delivery" (default: the money waits until the shopper
confirms delivery, which protects returns) or "at_payment" (released by the payment-events
consumer as soon as the order is paid). A vendor without a connected payout account yet (Stripe
Connect onboarding comes with the vendor issue) gets `payout_status = awaiting_vendor_account`;
nothing fails.

Money never stuck: from the moment a release is attempted until the transfer exists (or is
refused for good) the vendor-order is marked due (`payout_due`, a sparse index), and the
`retry_payouts` schedule re-runs the same idempotent release for the oldest due payouts: after
a provider outage, or once the vendor has a payout account. The idempotency key makes a
transfer that went through before a crash come back as the same transfer, never a second one.
"""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.orders import OrderStatus
from chalicelib.domain.timestamps import iso as _iso
from chalicelib.observability import count, logger
from chalicelib.payments.port import PaymentError, PaymentGateway
from chalicelib.store import orders as order_store
from chalicelib.store import payout_queue
from chalicelib.store import vendor_orders as vendor_order_store

AWAITING_ACCOUNT = "awaiting_vendor_account"
TRANSFERRED = "transferred"
NOTHING_TO_PAY = "nothing_to_pay"
TRANSFER_REFUSED = "transfer_refused"
HELD_DISPUTE_OPEN = "held_dispute_open"
DELIVERED = "delivered"


def vendor_account_id(vendor_id: str) -> str | None:
    """The vendor's connected account (`acct_...`), or None before it finished onboarding."""
    from chalicelib.store import catalog as catalog_store

    vendor = catalog_store.get_vendor(vendor_id)
    return getattr(vendor, "stripe_account_id", None) if vendor is not None else None


def _charge_of(order: dict, vendor_order: dict, gateway: PaymentGateway) -> str:
    charge_id = order.get("charge_id") or vendor_order.get("charge_id")
    if not charge_id:
        charge_id = gateway.retrieve_payment_intent(order["payment_intent_id"]).latest_charge
    if not charge_id:
        raise RuntimeError(f"paid order {order['order_id']} has no charge to transfer from")
    return charge_id


def release_payouts(order: dict, *, gateway: PaymentGateway, vendor_id: str | None = None,
                    now: datetime | None = None) -> list[dict]:
    """Transfer each (or one) vendor's payout for a paid order; idempotent. Returns payout views."""
    now = now or datetime.now(UTC)
    if order["status"] != OrderStatus.PAID.value:
        raise Conflict("Only a paid order pays its vendors.", code="order_not_paid", fields={"order_id": "not paid"})
    results = []
    outage: PaymentError | None = None
    for vendor_order in vendor_order_store.list_vendor_orders(order["order_id"]):
        if vendor_id is None or vendor_order["vendor_id"] == vendor_id:
            try:
                results.append(_release_one(order, vendor_order, gateway, now))
            except PaymentError as err:
                # Each vendor is attempted (and so marked due) even when the provider fails one.
                outage = outage or err
    if outage is not None:
        raise outage
    return results


def _release_one(order: dict, vendor_order: dict, gateway: PaymentGateway, now: datetime) -> dict:
    order_id, vendor_id = order["order_id"], vendor_order["vendor_id"]
    if vendor_order.get("transfer_id"):
        if vendor_order.get("payout_due"):  # transferred by a run that crashed before clearing it
            vendor_order_store.set_vendor_order_fields(order_id, vendor_id, payout_due=None, payout_due_at=None)
        return payout_view(vendor_order)
    # What the vendor may be paid now, net of refunds and lost disputes (chalicelib/domain/ledger.py).
    amount, why_not = _aggregate(order_id).payout_now(vendor_id)
    if why_not == HELD_DISPUTE_OPEN:
        # Stays due: the retry schedule pays it once the dispute is won (never while it may be lost).
        payout_queue.mark_payout_due(order_id, vendor_id, _iso(now), payout_status=HELD_DISPUTE_OPEN)
        count("PayoutsHeldByDispute", 1)
        return payout_view({**vendor_order, "payout_status": HELD_DISPUTE_OPEN}, amount=0)
    if amount <= 0:
        status = why_not or NOTHING_TO_PAY
        vendor_order_store.set_vendor_order_fields(order_id, vendor_id, payout_status=status,
                                                   payout_due=None, payout_due_at=None)
        return payout_view({**vendor_order, "payout_status": status}, amount=0)
    destination = vendor_account_id(vendor_id)
    if not destination:
        logger.info("vendor has no payout account yet; payout waits", extra={"order_id": order_id,
                                                                             "vendor_id": vendor_id})
        # Stays due: the retry schedule pays it once the vendor has an account.
        payout_queue.mark_payout_due(order_id, vendor_id, _iso(now), payout_status=AWAITING_ACCOUNT)
        count("PayoutsAwaitingVendorAccount", 1)
        return payout_view({**vendor_order, "payout_status": AWAITING_ACCOUNT}, amount=amount)
    charge_id = _charge_of(order, vendor_order, gateway)
    if not vendor_order.get("payout_due"):
        # Due before the provider is called: an outage or a crash from here on leaves it for the retry.
        if not payout_queue.mark_payout_due(order_id, vendor_id, _iso(now)):
            # Transferred meanwhile by a concurrent release: report that transfer.
            return payout_view(next(v for v in vendor_order_store.list_vendor_orders(order_id) if v["vendor_id"] == vendor_id))
    try:
        transfer_id = gateway.create_transfer(
            amount=amount,
            currency=vendor_order["currency"],
            destination=destination,
            source_transaction=charge_id,
            transfer_group=order_id,
            idempotency_key=f"tr-{order_id}-{vendor_id}",
            metadata={"order_id": order_id, "vendor_id": vendor_id},
        )
    except PaymentError as err:
        if err.worth_retrying:
            raise
        # Refused for good (account restricted, ...): recorded for an operator, never retried blindly.
        logger.error("transfer refused", extra={"order_id": order_id, "vendor_id": vendor_id, "error_code": err.code})
        vendor_order_store.set_vendor_order_fields(order_id, vendor_id, payout_status=TRANSFER_REFUSED,
                                            payout_due=None, payout_due_at=None)
        count("TransfersRefused", 1)
        return payout_view({**vendor_order, "payout_status": TRANSFER_REFUSED})
    vendor_order_store.set_vendor_order_fields(order_id, vendor_id, transfer_id=transfer_id, payout_status=TRANSFERRED,
                                               transferred=amount, charge_id=charge_id, payout_due=None,
                                               payout_due_at=None)
    order_store.append_timeline(order_id, {
        "id": f"transfer:{vendor_id}", "at": _iso(now), "kind": "transfer", "label": "Vendor payout sent", "audience": "internal",
        "vendor_id": vendor_id, "transfer_id": transfer_id, "amount": amount,
    })
    count("TransfersCreated", 1)
    logger.info("vendor payout transferred", extra={"order_id": order_id, "vendor_id": vendor_id,
                                                    "transfer_id": transfer_id, "amount": amount})
    return payout_view({**vendor_order, "transfer_id": transfer_id, "payout_status": TRANSFERRED,
                        "transferred": amount})


def _aggregate(order_id: str):
    from chalicelib.services.wiring import order_repository

    return order_repository().get(order_id)


def payout_view(vendor_order: dict, *, amount: int | None = None) -> dict:
    """The payout as the shopper's confirm-delivery answer shows it: `amount` is what was (or will be)
    transferred, `status` says why it is 0 (held_dispute_open, nothing_to_pay_refunded, ...)."""
    status = vendor_order.get("payout_status") or ("transferred" if vendor_order.get("transfer_id") else "pending")
    if amount is None:
        amount = int(vendor_order.get("transferred") if vendor_order.get("transferred") is not None
                     else vendor_order.get("payout") or 0)
    return {
        "status": status,
        "amount": {"amount": amount, "currency": vendor_order["currency"]},
        "transfer_id": vendor_order.get("transfer_id"),
    }


def confirm_delivery(shopper_id: str, order_id: str, vendor_id: str, *, gateway: PaymentGateway | None = None,
                     now: datetime | None = None) -> dict:
    """The shopper received this vendor's parcel: record it (once) and release the vendor's payout.

    Only the order's own shopper, only a paid order. Repeating it changes nothing but retries a
    payout that could not be made yet (vendor not onboarded, provider unavailable).
    """
    from chalicelib.domain.ports import ConcurrentUpdate
    from chalicelib.services.wiring import order_repository

    now = now or datetime.now(UTC)
    orders = order_repository()
    aggregate = orders.get(order_id) if order_id.startswith("ord_") and len(order_id) <= 64 else None
    if aggregate is None or aggregate.shopper_id != shopper_id:
        raise NotFound("No such order.", fields={"order_id": "not found"})
    if vendor_id not in aggregate.vendor_orders:
        raise NotFound("This order has nothing from that vendor.", fields={"vendor_id": "not in this order"})
    for _ in range(5):
        if not aggregate.confirm_delivery(vendor_id, at=_iso(now)):  # 409 unless paid
            break  # confirmed before: a repeat only retries the payout
        try:
            orders.save(aggregate, effects=[])
            count("DeliveriesConfirmed", 1)
            break
        except ConcurrentUpdate:
            aggregate = orders.get(order_id)
    delivered_at = aggregate.vendor_orders[vendor_id].delivered_at
    order = order_store.get_order(order_id)
    vendor_order = next(v for v in vendor_order_store.list_vendor_orders(order_id) if v["vendor_id"] == vendor_id)
    if gateway is None:
        from chalicelib.payments import get_gateway

        gateway = get_gateway()
    # Released now under "on_delivery"; under "at_payment" it was released already, and this retries
    # one that had to wait (idempotent either way).
    try:
        [payout] = release_payouts(order, gateway=gateway, vendor_id=vendor_id, now=now)
    except PaymentError as err:
        # The delivery is recorded; the shopper is done. The payout is due: the retry schedule pays it.
        logger.warning("payout deferred: provider unavailable", extra={"order_id": order_id, "vendor_id": vendor_id,
                                                                       "error_code": err.code})
        count("PayoutsDeferred", 1)
        payout = payout_view(vendor_order)
    return {"order_id": order_id, "vendor_id": vendor_id, "status": DELIVERED, "delivered_at": delivered_at,
            "payout": payout}


def retry_payouts(now: datetime | None = None, *, gateway: PaymentGateway | None = None,
                  limit: int = 50) -> dict[str, int]:
    """Re-run the release of the oldest due payouts (bounded batch); returns counts per outcome.

    Each one goes through the same idempotent release (same idempotency key), so a transfer that
    went through before a crash is found again, never doubled. A payout that stays due (vendor
    still without an account, provider still unavailable) moves to the back of the queue.
    """
    now = now or datetime.now(UTC)
    due = payout_queue.list_due_payouts(_iso(now), limit)
    outcomes: dict[str, int] = {}
    if due and gateway is None:
        from chalicelib.payments import get_gateway

        gateway = get_gateway()
    for order_id, vendor_id in due:
        try:
            result = _retry_one(order_id, vendor_id, gateway, now)
        except PaymentError as err:
            logger.warning("payout retry deferred: provider unavailable",
                           extra={"order_id": order_id, "vendor_id": vendor_id, "error_code": err.code})
            payout_queue.mark_payout_due(order_id, vendor_id, _iso(now), requeue=True)
            result = "retry_later"
        except Exception:
            # One payout must not hold back the others: it stays due and the next run retries it.
            logger.exception("payout retry failed", extra={"order_id": order_id, "vendor_id": vendor_id})
            payout_queue.mark_payout_due(order_id, vendor_id, _iso(now), requeue=True)
            result = "error"
        outcomes[result] = outcomes.get(result, 0) + 1
        count("PayoutRetries", 1, outcome=result)
    if due:
        logger.info("due payouts retried", extra={"outcomes": outcomes})
    return outcomes


def _retry_one(order_id: str, vendor_id: str, gateway: PaymentGateway, now: datetime) -> str:
    order = order_store.get_order(order_id)
    if order is None or order["status"] != OrderStatus.PAID.value:
        # Refunded, or gone: nothing is owed to the vendor any more. Off the queue, for an operator to see.
        logger.warning("due payout dropped: order not paid", extra={
            "order_id": order_id, "vendor_id": vendor_id, "order_status": (order or {}).get("status")})
        vendor_order_store.set_vendor_order_fields(order_id, vendor_id, payout_due=None, payout_due_at=None)
        return "order_not_paid"
    [payout] = release_payouts(order, gateway=gateway, vendor_id=vendor_id, now=now) or [None]
    if payout is None:
        return "gone"
    if payout["status"] in (AWAITING_ACCOUNT, HELD_DISPUTE_OPEN):
        payout_queue.mark_payout_due(order_id, vendor_id, _iso(now), requeue=True)
    return payout["status"]
