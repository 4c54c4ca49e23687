"""The payment-events queue consumer's routing: one verified provider event -> the use case it concerns.

Delivery is at least once and in any order: every use case re-reads the provider's state or records
facts keyed by their ids, so a duplicate or stale event changes nothing. Payment intents settle the
order (chalicelib/services/settle_payment.py); refunds and disputes are recorded on it
(chalicelib/services/refunds_and_disputes.py). The sweeper lives in reservation_sweeper.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

from chalicelib.domain.provider_events import (
    ACCOUNT_EVENTS,
    DISPUTE_EVENTS,
    PAYMENT_INTENT_EVENTS,
    REFUND_EVENTS,
    REFUND_OBJECT_EVENTS,
)
from chalicelib.observability import count, logger
from chalicelib.payments.port import PaymentGateway
from chalicelib.services.payment_messages import ProviderEvent
from chalicelib.settings import get_settings

__all__ = ["ProviderEvent", "handle"]


def handle(event: ProviderEvent, *, gateway: PaymentGateway | None = None, now: datetime | None = None) -> str:
    """Apply one provider event; returns what happened (for logs and tests).

    Raises only for what a retry can fix (the provider or DynamoDB unavailable): SQS then
    redelivers this record alone, and after five receives it goes to the DLQ.
    """
    from chalicelib.services.wiring import effect_runner, order_repository, payment_gateway

    now = now or datetime.now(UTC)
    if event.livemode != get_settings().stripe_livemode:
        # A test-mode event reaching a live deployment (or the reverse) is never about our orders.
        logger.warning("provider event ignored: livemode mismatch", extra={"event_type": event.type})
        count("PaymentEventsIgnored", reason="livemode")
        return "ignored_livemode"
    if event.account and event.type in PAYMENT_INTENT_EVENTS | REFUND_EVENTS | REFUND_OBJECT_EVENTS | DISPUTE_EVENTS:
        # A connected account's own payments, refunds and disputes are not the platform's orders
        # (ours are all charged on the platform account), whatever order id their metadata names:
        # a vendor controls that metadata on its own account.
        logger.warning("connected account's payment event ignored", extra={"event_type": event.type})
        count("PaymentEventsIgnored", reason="connected_account")
        return "ignored_connected_account"
    if event.type in ACCOUNT_EVENTS:
        from chalicelib.services.onboarding import on_account_event

        if not event.account:
            # Only the Connect endpoint (its own secret) speaks for connected accounts.
            count("PaymentEventsIgnored", reason="account_event_without_account")
            return "ignored_no_account"
        return on_account_event(event)
    orders = order_repository()
    if event.type in PAYMENT_INTENT_EVENTS:
        from chalicelib.services.settle_payment import on_payment_intent

        gateway = gateway or payment_gateway()
        return on_payment_intent(event, orders=orders, effects=effect_runner(gateway), gateway=gateway, now=now)
    if event.type in REFUND_EVENTS:
        from chalicelib.services.refunds_and_disputes import on_charge_refunded

        return on_charge_refunded(event, orders=orders, effects=effect_runner(gateway), now=now)
    if event.type in REFUND_OBJECT_EVENTS:
        from chalicelib.services.refund_events import on_refund_event

        return on_refund_event(event, orders=orders, effects=effect_runner(gateway), now=now)
    if event.type in DISPUTE_EVENTS:
        from chalicelib.services.refunds_and_disputes import on_dispute

        return on_dispute(event, orders=orders, effects=effect_runner(gateway), now=now)
    logger.info("provider event type not handled; acknowledged", extra={"event_type": event.type})
    return "ignored_type"
