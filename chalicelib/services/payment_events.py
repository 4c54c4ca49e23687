"""Provider events -> order state: the consumer of the payment-events queue, and the sweeper.

The webhook endpoint verified each event and queued `{event_id, type, created, livemode,
account, object}`. Delivery is at least once and in any order, so nothing here trusts the
event's snapshot of a PaymentIntent: the intent is re-fetched from the provider (its current
status is the truth), mapped to a `PaymentOutcome`, and `decide()` says what that outcome means
for the order's *current* status. The decision is applied by one conditional transaction
(`status = :expected` + stock moves): a duplicate or stale event finds the status already moved
and changes nothing.

Side effects (refund, cancel at the provider, cart, events, payouts) follow the transition.
They are idempotent (provider idempotency keys derived from the order id, events with dedup
keys, records keyed by object id), and they run again when a redelivered event finds them
unfinished: their last step marks the vendor-orders with the order's outcome, so a crash
between the transition and the side effects is repaired by SQS's redelivery.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field

from chalicelib.domain.orders import TIMELINE_LABELS, Decision, OrderStatus, PaymentOutcome, decide
from chalicelib.observability import count, logger
from chalicelib.payments.port import PaymentError, PaymentGateway, PaymentIntent
from chalicelib.schema import ApiModel
from chalicelib.settings import get_settings
from chalicelib.store import orders as order_store

PAYMENT_INTENT_EVENTS = frozenset({
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.processing",
})
REFUND_EVENTS = frozenset({"charge.refunded"})
DISPUTE_EVENTS = frozenset({
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
})
# A transition lost to a concurrent one (the sweeper, another event) is re-decided on the new status.
MAX_TRANSITION_ATTEMPTS = 3
LATE_PAYMENT_REFUND_REASON = "paid_after_reservation_ended"
RELEASED = (OrderStatus.PAYMENT_FAILED, OrderStatus.CANCELLED)


def iso(moment: datetime) -> str:
    """The store's timestamp format (reserved_until compares as a string)."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


# --- the queue message and the provider objects we read -----------------------------------------


def _id_of(value: Any) -> Any:
    """Expandable fields are an id or the expanded object."""
    return value.get("id") if isinstance(value, dict) else value


ExpandableId = Annotated[str | None, BeforeValidator(_id_of)]


class ProviderEvent(ApiModel):
    """What the webhook endpoint queues: a verified, deduplicated provider event."""

    model_config = ConfigDict(extra="ignore")

    event_id: str = Field(min_length=1, max_length=255)
    type: str = Field(min_length=1, max_length=100)
    created: int = Field(ge=0)
    livemode: bool
    account: str | None = None  # set for events of connected accounts (the Connect endpoint)
    object: dict


class IntentObject(ApiModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=255)
    metadata: dict[str, str] = Field(default_factory=dict)
    last_payment_error: dict | None = None


class RefundObject(ApiModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    amount: int
    currency: str
    status: str | None = None
    reason: str | None = None
    created: int | None = None


class RefundList(ApiModel):
    model_config = ConfigDict(extra="ignore")

    data: list[RefundObject] = Field(default_factory=list)


class ChargeObject(ApiModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    amount: int
    amount_refunded: int = 0
    currency: str
    payment_intent: ExpandableId = None
    metadata: dict[str, str] = Field(default_factory=dict)
    refunds: RefundList | None = None  # included by older API versions only


class DisputeObject(ApiModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    amount: int
    currency: str
    status: str
    reason: str | None = None
    charge: ExpandableId = None
    payment_intent: ExpandableId = None
    metadata: dict[str, str] = Field(default_factory=dict)


# --- entry point -------------------------------------------------------------------------------


def handle(event: ProviderEvent, *, gateway: PaymentGateway | None = None, now: datetime | None = None) -> str:
    """Apply one provider event; returns what happened (for logs and tests).

    Raises only for what a retry can fix (the provider or DynamoDB unavailable): SQS then
    redelivers this record alone, and after five receives it goes to the DLQ.
    """
    now = now or datetime.now(UTC)
    if event.livemode != get_settings().stripe_livemode:
        # A test-mode event reaching a live deployment (or the reverse) is never about our orders.
        logger.warning("provider event ignored: livemode mismatch", extra={"event_type": event.type})
        count("PaymentEventsIgnored", reason="livemode")
        return "ignored_livemode"
    if event.account and event.type in PAYMENT_INTENT_EVENTS | REFUND_EVENTS | DISPUTE_EVENTS:
        # A connected account's own payments, refunds and disputes are not the platform's orders
        # (ours are all charged on the platform account), whatever order id their metadata names:
        # a vendor controls that metadata on its own account.
        logger.warning("connected account's payment event ignored", extra={"event_type": event.type})
        count("PaymentEventsIgnored", reason="connected_account")
        return "ignored_connected_account"
    if event.type in PAYMENT_INTENT_EVENTS:
        return on_payment_intent(event, gateway or _gateway(), now)
    if event.type in REFUND_EVENTS:
        return on_charge_refunded(event, now)
    if event.type in DISPUTE_EVENTS:
        return on_dispute(event, now)
    logger.info("provider event type not handled; acknowledged", extra={"event_type": event.type})
    return "ignored_type"


def _gateway() -> PaymentGateway:
    from chalicelib.payments import get_gateway

    return get_gateway()


# --- payment intents -------------------------------------------------------------------------


def outcome_of(intent: PaymentIntent, event_type: str, last_payment_error: dict | None = None) -> PaymentOutcome | None:
    """The provider's current status as an outcome for the order (None: nothing final yet).

    A PaymentIntent goes back to `requires_payment_method` after a failed attempt; before any
    attempt it has the same status, so it only counts as a failure when the event (or the
    intent) says an attempt failed.
    """
    if intent.status == "succeeded":
        return PaymentOutcome.SUCCEEDED
    if intent.status == "canceled":
        return PaymentOutcome.CANCELED
    failed_attempt = event_type == "payment_intent.payment_failed" or bool(
        last_payment_error or getattr(intent, "last_payment_error", None)
    )
    if intent.status == "requires_payment_method" and failed_attempt:
        return PaymentOutcome.FAILED
    return None  # processing, requires_action, requires_confirmation: wait for the next event


def _retrieve(gateway: PaymentGateway, payment_intent_id: str) -> PaymentIntent | None:
    try:
        return gateway.retrieve_payment_intent(payment_intent_id)
    except PaymentError as err:
        if err.retryable or err.status >= 500:
            raise  # the record is retried
        logger.warning("payment intent could not be retrieved; event acknowledged",
                       extra={"payment_intent_id": payment_intent_id, "error_code": err.code})
        return None


def on_payment_intent(event: ProviderEvent, gateway: PaymentGateway, now: datetime) -> str:
    obj = IntentObject.model_validate(event.object)
    order_id = obj.metadata.get("order_id") or order_store.find_order_id_by_payment_intent(obj.id)
    order = order_store.get_order(order_id) if order_id else None
    if order is None:
        logger.warning("payment intent without an order; acknowledged", extra={"payment_intent_id": obj.id})
        count("PaymentEventsIgnored", reason="no_order")
        return "no_order"
    logger.thread_safe_append_keys(order_id=order["order_id"], payment_intent_id=obj.id)
    intent = _retrieve(gateway, obj.id)
    if intent is None:
        return "intent_unavailable"
    if intent.metadata.get("order_id", order["order_id"]) != order["order_id"]:
        logger.error("payment intent metadata names another order; ignored")
        return "ignored_mismatch"
    if order.get("payment_intent_id") and order["payment_intent_id"] != intent.id:
        return _stray_intent(order, intent, gateway)
    if not order.get("payment_intent_id"):
        # The checkout stopped between creating the intent and recording it: record it now so
        # the sweeper can cancel it and later events find the order.
        order_store.set_payment_intent(order["order_id"], intent.id, intent.client_secret)
    outcome = outcome_of(intent, event.type, obj.last_payment_error)
    if outcome is None:
        logger.info("payment not final yet", extra={"intent_status": intent.status})
        return f"waiting_{intent.status}"
    return settle(order["order_id"], outcome, intent=intent, gateway=gateway, source=event.type, now=now)


def _stray_intent(order: dict, intent: PaymentIntent, gateway: PaymentGateway) -> str:
    """An intent naming the order that is not the order's payment: never keep its money."""
    logger.error("payment intent is not the order's payment", extra={"order_payment_intent": order["payment_intent_id"]})
    count("StrayPaymentIntents", 1)
    if intent.status == "succeeded":
        gateway.refund(payment_intent_id=intent.id, amount=None, idempotency_key=f"refund-{intent.id}",
                       reason="duplicate")
        return "stray_refunded"
    return "ignored_stray"


# --- applying an outcome exactly once -----------------------------------------------------------


def settle(
    order_id: str,
    outcome: PaymentOutcome,
    *,
    intent: PaymentIntent | None,
    gateway: PaymentGateway,
    source: str,
    now: datetime,
) -> str:
    """Apply `outcome` to the order once, then finish the side effects its status implies.

    Returns the new status, or "unchanged" when the order had already moved on (duplicate,
    stale or reordered event): then only unfinished side effects of its status are completed.
    """
    for _ in range(MAX_TRANSITION_ATTEMPTS):
        order = order_store.get_order(order_id)
        if order is None:
            return "no_order"
        status = OrderStatus(order["status"])
        decision = decide(status, outcome, already_refunded=bool(order.get("refunds")))
        if decision.new_status is None:
            follow_up(order, intent=intent, gateway=gateway, now=now)
            return "unchanged"
        entry = transition_entry(decision, outcome, intent, source, now)
        if order_store.apply_stock_decision(order_id, status.value, decision.new_status.value,
                                            decision.stock.value, order["lines"], entry):
            count("OrderTransitions", 1, to=decision.new_status.value)
            logger.info("order transition applied", extra={"from_status": status.value,
                                                            "to_status": decision.new_status.value, "source": source})
            order = {**order, "status": decision.new_status.value}
            follow_up(order, intent=intent, gateway=gateway, now=now)
            return decision.new_status.value
        # Someone else moved the order first: decide again on what it is now.
    raise RuntimeError(f"order {order_id} kept changing while applying {outcome.value}")


def transition_entry(decision: Decision, outcome: PaymentOutcome, intent: PaymentIntent | None, source: str,
                     now: datetime) -> dict:
    new = decision.new_status.value
    entry = {"id": new, "at": iso(now), "status": new, "label": TIMELINE_LABELS[new], "source": source}
    if outcome is PaymentOutcome.EXPIRED:
        entry["label"] = "Reservation expired, order cancelled, stock released"
    if intent is not None:
        entry["payment_intent_id"] = intent.id
        if decision.new_status in (OrderStatus.PAID, OrderStatus.REFUNDED) and intent.latest_charge:
            entry["charge_id"] = intent.latest_charge
    return entry


def follow_up(order: dict, *, intent: PaymentIntent | None, gateway: PaymentGateway, now: datetime) -> None:
    """The side effects of the order's current status, each idempotent; the last one marks them done."""
    status = OrderStatus(order["status"])
    if status is OrderStatus.PAID:
        _after_paid(order, intent, gateway, now)
    elif status in RELEASED:
        _after_released(order, status, intent, gateway, now)
    elif status is OrderStatus.REFUNDED:
        _refund_late_payment(order, intent, gateway, now)


def _pending_vendor_orders(order: dict) -> list[dict]:
    return [v for v in order_store.list_vendor_orders(order["order_id"])
            if v.get("status") == OrderStatus.PENDING_PAYMENT.value]


def _after_paid(order: dict, intent: PaymentIntent | None, gateway: PaymentGateway, now: datetime) -> None:
    pending = _pending_vendor_orders(order)
    if not pending:
        return  # done before (the vendor-orders are marked last)
    if intent is None or intent.status != "succeeded":
        intent = gateway.retrieve_payment_intent(order["payment_intent_id"])
    charge_id = intent.latest_charge
    _clear_ordered_cart_lines(order)
    _publish("order.paid", order, {"paid_at": iso(now), "charge_id": charge_id})
    if get_settings().payout_release == "at_payment":
        from chalicelib.services import payouts

        try:
            payouts.release_payouts({**order, "charge_id": charge_id}, gateway=gateway, now=now)
        except PaymentError as err:
            # The payouts are marked due before the provider is called: the retry_payouts schedule
            # pays them, so the order's own side effects need not wait for the provider.
            logger.warning("payouts deferred: provider unavailable", extra={"order_id": order["order_id"],
                                                                            "error_code": err.code})
            count("PayoutsDeferred", 1)
    for vendor_order in pending:
        order_store.set_vendor_order_fields(order["order_id"], vendor_order["vendor_id"],
                                            status=OrderStatus.PAID.value, charge_id=charge_id)
    count("OrdersPaid", 1)


def _after_released(order: dict, status: OrderStatus, intent: PaymentIntent | None, gateway: PaymentGateway,
                    now: datetime) -> None:
    pending = _pending_vendor_orders(order)
    if not pending:
        return
    if order.get("payment_intent_id"):
        _cancel_at_provider(order, intent, gateway, now)
    if status is OrderStatus.PAYMENT_FAILED:
        _publish("payment.failed", order, {})
    else:
        _publish("order.cancelled", order, {"reason": _cancel_reason(order)})
    for vendor_order in pending:
        order_store.set_vendor_order_fields(order["order_id"], vendor_order["vendor_id"], status=status.value)


def _cancel_reason(order: dict) -> str:
    entry = next((e for e in order.get("timeline", []) if e.get("id") == OrderStatus.CANCELLED.value), {})
    return "reservation_expired" if entry.get("source") == "expiry" else "payment_canceled"


def _cancel_at_provider(order: dict, intent: PaymentIntent | None, gateway: PaymentGateway, now: datetime) -> None:
    """Stop the provider from accepting a payment for an order that no longer holds stock.

    If the payment succeeded meanwhile, the cancel is refused: the success then takes the
    refund path (its own event would too; both end in the same single refund).
    """
    if intent is not None and intent.status in ("canceled", "succeeded"):
        return
    try:
        gateway.cancel_payment_intent(order["payment_intent_id"], idempotency_key=f"cancel-{order['order_id']}")
    except PaymentError as err:
        if err.retryable or err.status >= 500:
            raise
        current = getattr(err, "payment_intent", None) or _retrieve(gateway, order["payment_intent_id"])
        if current is not None and current.status == "succeeded":
            settle(order["order_id"], PaymentOutcome.SUCCEEDED, intent=current, gateway=gateway,
                   source="cancel_refused", now=now)
        elif current is None or current.status != "canceled":
            logger.warning("payment intent could not be cancelled", extra={"error_code": err.code})


def _refund_late_payment(order: dict, intent: PaymentIntent | None, gateway: PaymentGateway, now: datetime) -> None:
    """Money arrived for an order whose stock was released: give it back, once."""
    if any(r.get("reason") == LATE_PAYMENT_REFUND_REASON for r in (order.get("refunds") or {}).values()):
        return
    amount = intent.amount if intent is not None else int(order["total"])
    try:
        refund_id = gateway.refund(payment_intent_id=order["payment_intent_id"], amount=None,
                                   idempotency_key=f"refund-{order['order_id']}", reason=LATE_PAYMENT_REFUND_REASON)
    except PaymentError as err:
        if err.code != "charge_already_refunded":
            raise
        refund_id = f"refunded-{order['order_id']}"  # refunded earlier, outside our idempotency window
    record = {"amount": amount, "currency": order["currency"], "status": "succeeded",
              "reason": LATE_PAYMENT_REFUND_REASON, "at": iso(now)}
    order_store.append_timeline(
        order["order_id"],
        {"id": f"refund:{refund_id}", "at": iso(now), "kind": "refund", "refund_id": refund_id,
         "label": "Payment refunded: it arrived after the order was cancelled"},
        {f"refunds.{refund_id}": record},
    )
    count("LatePaymentsRefunded", 1)
    logger.info("late payment refunded", extra={"refund_id": refund_id})


def _clear_ordered_cart_lines(order: dict) -> None:
    from chalicelib.store import carts as cart_store

    ordered: dict[str, int] = {}
    for line in order.get("lines", []):
        ordered[line["offer_id"]] = ordered.get(line["offer_id"], 0) + int(line["quantity"])
    cart_store.clear_cart(order["shopper_id"], ordered)


def _publish(event_type: str, order: dict, extra: dict) -> None:
    if not get_settings().notifications_queue_url:
        return
    from chalicelib.events import publish

    payload = {
        "order_id": order["order_id"],
        "shopper_id": order["shopper_id"],
        "total": {"amount": int(order["total"]), "currency": order["currency"]},
        "vendor_ids": sorted({line["vendor_id"] for line in order.get("lines", [])}),
        **extra,
    }
    publish(event_type, payload, dedup_key=order["order_id"])


# --- refunds and disputes: recorded on the order ---------------------------------------------------


def _order_for(metadata: dict, payment_intent_id: str | None) -> str | None:
    return metadata.get("order_id") or (
        order_store.find_order_id_by_payment_intent(payment_intent_id) if payment_intent_id else None
    )


def on_charge_refunded(event: ProviderEvent, now: datetime) -> str:
    charge = ChargeObject.model_validate(event.object)
    order_id = _order_for(charge.metadata, charge.payment_intent)
    order = order_store.get_order(order_id) if order_id else None
    if order is None:
        return "no_order"
    recorded = 0
    if charge.refunds is not None and charge.refunds.data:
        for refund in charge.refunds.data:
            record = {"amount": refund.amount, "currency": refund.currency.upper(), "status": refund.status,
                      "reason": refund.reason, "charge_id": charge.id, "at": iso(now)}
            recorded += _record_refund(order["order_id"], refund.id, record, now)
    else:
        # Recent API versions leave `refunds` out: record the cumulative amount, unless the refunds
        # we already know (ours, recorded when made) cover it.
        known = sum(int(r.get("amount") or 0) for r in (order.get("refunds") or {}).values())
        if charge.amount_refunded > known:
            record = {"amount": charge.amount_refunded - known, "currency": charge.currency.upper(),
                      "status": "succeeded", "reason": None, "charge_id": charge.id, "at": iso(now)}
            recorded += _record_refund(order["order_id"], f"{charge.id}-{charge.amount_refunded}", record, now)
    return "refund_recorded" if recorded else "unchanged"


def _record_refund(order_id: str, refund_id: str, record: dict, now: datetime) -> int:
    added = order_store.append_timeline(
        order_id,
        {"id": f"refund:{refund_id}", "at": iso(now), "kind": "refund", "refund_id": refund_id,
         "label": TIMELINE_LABELS["refund"]},
        {f"refunds.{refund_id}": record},
    )
    if added:
        count("RefundsRecorded", 1)
    return int(added)


def on_dispute(event: ProviderEvent, now: datetime) -> str:
    dispute = DisputeObject.model_validate(event.object)
    order_id = _order_for(dispute.metadata, dispute.payment_intent)
    order = order_store.get_order(order_id) if order_id else None
    if order is None:
        logger.warning("dispute without a known order", extra={"dispute_id": dispute.id})
        return "no_order"
    stage = event.type.removeprefix("charge.dispute.")
    entry = {"id": f"dispute:{dispute.id}:{stage}:{dispute.status}", "at": iso(now), "kind": "dispute",
             "dispute_id": dispute.id, "dispute_status": dispute.status,
             "label": f"{TIMELINE_LABELS['dispute']} ({dispute.status.replace('_', ' ')})"}
    known = (order.get("disputes") or {}).get(dispute.id) or {}
    updates = {}
    if int(known.get("event_created") or 0) <= event.created:
        # Only a newer event may replace what we know of the dispute (events arrive in any order).
        updates[f"disputes.{dispute.id}"] = {
            "status": dispute.status, "amount": dispute.amount, "currency": dispute.currency.upper(),
            "reason": dispute.reason, "charge_id": dispute.charge, "event_created": event.created,
        }
    if not order_store.append_timeline(order["order_id"], entry, updates):
        return "unchanged"
    count("DisputeEventsRecorded", 1, stage=stage)
    return "dispute_recorded"


# --- the reservation sweeper ------------------------------------------------------------------


def expire_reservations(now: datetime | None = None, *, gateway: PaymentGateway | None = None,
                        limit: int = 100) -> dict[str, int]:
    """Cancel orders still unpaid after their reservation ended, releasing stock exactly once.

    The provider is asked first: the payment is cancelled there, so it cannot succeed later.
    When the provider refuses because the payment already succeeded, the order is paid instead
    (its webhook may simply not have arrived yet). A payment still `processing` is left alone
    until it resolves. Returns counts per outcome.
    """
    now = now or datetime.now(UTC)
    outcomes: dict[str, int] = {}
    order_ids = order_store.list_expired_pending(iso(now), limit)
    if order_ids:
        gateway = gateway or _gateway()
    for order_id in order_ids:
        try:
            result = expire_order(order_id, gateway=gateway, now=now)
        except Exception:
            # One order must not keep the others reserved: the next run retries it.
            logger.exception("could not expire an order", extra={"order_id": order_id})
            result = "error"
        outcomes[result] = outcomes.get(result, 0) + 1
    if order_ids:
        logger.info("reservations swept", extra={"outcomes": outcomes})
    return outcomes


def expire_order(order_id: str, *, gateway: PaymentGateway, now: datetime) -> str:
    order = order_store.get_order(order_id)
    if order is None or order["status"] != OrderStatus.PENDING_PAYMENT.value:
        return "unchanged"
    if order.get("reserved_until", "") >= iso(now):
        return "not_expired"
    intent = None
    if order.get("payment_intent_id"):
        try:
            intent = gateway.cancel_payment_intent(order["payment_intent_id"], idempotency_key=f"cancel-{order_id}")
        except PaymentError as err:
            if err.retryable or err.status >= 500:
                return "retry_later"
            intent = getattr(err, "payment_intent", None) or _retrieve(gateway, order["payment_intent_id"])
        if intent is not None and intent.status == "succeeded":
            count("ExpiredOrdersFoundPaid", 1)
            return settle(order_id, PaymentOutcome.SUCCEEDED, intent=intent, gateway=gateway,
                          source="expiry_found_paid", now=now)
        if intent is not None and intent.status == "processing":
            return "processing"
    result = settle(order_id, PaymentOutcome.EXPIRED, intent=intent, gateway=gateway, source="expiry", now=now)
    if result == OrderStatus.CANCELLED.value:
        count("ReservationsExpired", 1)
    return result
