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
nothing fails, and the next release (e.g. confirming delivery) retries.
"""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain.errors import Conflict, NotFound
from chalicelib.domain.orders import TIMELINE_LABELS, OrderStatus
from chalicelib.observability import count, logger
from chalicelib.payments.port import PaymentError, PaymentGateway
from chalicelib.store import orders as order_store

AWAITING_ACCOUNT = "awaiting_vendor_account"
TRANSFERRED = "transferred"
NOTHING_TO_PAY = "nothing_to_pay"
TRANSFER_REFUSED = "transfer_refused"
DELIVERED = "delivered"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


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
    for vendor_order in order_store.list_vendor_orders(order["order_id"]):
        if vendor_id is None or vendor_order["vendor_id"] == vendor_id:
            results.append(_release_one(order, vendor_order, gateway, now))
    return results


def _release_one(order: dict, vendor_order: dict, gateway: PaymentGateway, now: datetime) -> dict:
    order_id, vendor_id = order["order_id"], vendor_order["vendor_id"]
    amount = int(vendor_order.get("payout") or 0)
    if vendor_order.get("transfer_id"):
        return payout_view(vendor_order)
    if amount <= 0:
        order_store.set_vendor_order_fields(order_id, vendor_id, payout_status=NOTHING_TO_PAY)
        return payout_view({**vendor_order, "payout_status": NOTHING_TO_PAY})
    destination = vendor_account_id(vendor_id)
    if not destination:
        logger.info("vendor has no payout account yet; payout waits", extra={"order_id": order_id,
                                                                             "vendor_id": vendor_id})
        order_store.set_vendor_order_fields(order_id, vendor_id, payout_status=AWAITING_ACCOUNT)
        count("PayoutsAwaitingVendorAccount", 1)
        return payout_view({**vendor_order, "payout_status": AWAITING_ACCOUNT})
    charge_id = _charge_of(order, vendor_order, gateway)
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
        if err.retryable or err.status >= 500:
            raise
        # Refused for good (account restricted, ...): recorded for an operator, never retried blindly.
        logger.error("transfer refused", extra={"order_id": order_id, "vendor_id": vendor_id, "error_code": err.code})
        order_store.set_vendor_order_fields(order_id, vendor_id, payout_status=TRANSFER_REFUSED)
        count("TransfersRefused", 1)
        return payout_view({**vendor_order, "payout_status": TRANSFER_REFUSED})
    order_store.set_vendor_order_fields(order_id, vendor_id, transfer_id=transfer_id, payout_status=TRANSFERRED,
                                        charge_id=charge_id)
    order_store.append_timeline(order_id, {
        "id": f"transfer:{vendor_id}", "at": _iso(now), "kind": "transfer", "label": TIMELINE_LABELS["transfer"],
        "vendor_id": vendor_id, "transfer_id": transfer_id, "amount": amount,
    })
    count("TransfersCreated", 1)
    logger.info("vendor payout transferred", extra={"order_id": order_id, "vendor_id": vendor_id,
                                                    "transfer_id": transfer_id, "amount": amount})
    return payout_view({**vendor_order, "transfer_id": transfer_id, "payout_status": TRANSFERRED})


def payout_view(vendor_order: dict) -> dict:
    status = vendor_order.get("payout_status") or ("transferred" if vendor_order.get("transfer_id") else "pending")
    return {
        "status": status,
        "amount": {"amount": int(vendor_order.get("payout") or 0), "currency": vendor_order["currency"]},
        "transfer_id": vendor_order.get("transfer_id"),
    }


def confirm_delivery(shopper_id: str, order_id: str, vendor_id: str, *, gateway: PaymentGateway | None = None,
                     now: datetime | None = None) -> dict:
    """The shopper received this vendor's parcel: record it (once) and release the vendor's payout.

    Only the order's own shopper, only a paid order. Repeating it changes nothing but retries a
    payout that could not be made yet (vendor not onboarded, provider unavailable).
    """
    now = now or datetime.now(UTC)
    order = order_store.get_order(order_id) if order_id.startswith("ord_") and len(order_id) <= 64 else None
    if order is None or order["shopper_id"] != shopper_id:
        raise NotFound("No such order.", fields={"order_id": "not found"})
    vendor_order = next((v for v in order_store.list_vendor_orders(order_id) if v["vendor_id"] == vendor_id), None)
    if vendor_order is None:
        raise NotFound("This order has nothing from that vendor.", fields={"vendor_id": "not in this order"})
    if order["status"] != OrderStatus.PAID.value:
        raise Conflict("Only a paid order can be confirmed as delivered.", code="order_not_paid",
                       fields={"order_id": f"order is {order['status']}"})
    delivered_at = vendor_order.get("delivered_at")
    if not delivered_at:
        delivered_at = _iso(now)
        order_store.set_vendor_order_fields(order_id, vendor_id, delivered_at=delivered_at, status=DELIVERED)
        order_store.append_timeline(order_id, {
            "id": f"delivered:{vendor_id}", "at": delivered_at, "kind": "delivery", "vendor_id": vendor_id,
            "label": "Delivery confirmed",
        })
        count("DeliveriesConfirmed", 1)
    if gateway is None:
        from chalicelib.payments import get_gateway

        gateway = get_gateway()
    # Released now under "on_delivery"; under "at_payment" it was released already, and this retries
    # one that had to wait (idempotent either way).
    try:
        [payout] = release_payouts(order, gateway=gateway, vendor_id=vendor_id, now=now)
    except PaymentError as err:
        # The delivery is recorded; the shopper is done. The payout is retried by the next confirmation.
        logger.warning("payout deferred: provider unavailable", extra={"order_id": order_id, "vendor_id": vendor_id,
                                                                       "error_code": err.code})
        count("PayoutsDeferred", 1)
        payout = payout_view(vendor_order)
    return {"order_id": order_id, "vendor_id": vendor_id, "status": DELIVERED, "delivered_at": delivered_at,
            "payout": payout}
