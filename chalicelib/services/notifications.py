"""The notifications queue's consumer: what Halles does when something happens.

Two kinds of action per event: the consumer's own (refresh listing summaries when stock moved), and
telling people (chalicelib/services/notification_delivery.py: e-mail and in-app inbox, per the
recipients table of chalicelib/domain/notifications.py).

Events arrive as the envelope `chalicelib.events` publishes. SQS delivers at least once, so
each event is acted on once per `event_id` (chalicelib/store/idempotency.py, on the idempotency
table), and each delivery at most once per (event, recipient, channel) by a conditional put on its
dedupe key (a retry after a partly failed event sends only what had not gone out).

Every message is validated against its event's model (chalicelib/domain/events.py) before
anything is done. A type the system does not publish, or a payload its model refuses, raises
`InvalidEvent`: the record fails and, after the queue's retries, lands in the DLQ for an operator,
never silently dropped. A valid event nobody here acts on is acknowledged.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from chalicelib.domain.events import (
    ORDER_EVENTS,
    ClaimEscalated,
    DomainEvent,
    OrderAccepted,
    OrderDelivered,
    OrderEvent,
    OrderShipped,
    ReturnEscalated,
)
from chalicelib.observability import logger
from chalicelib.services.event_envelopes import EventEnvelope, InvalidEvent, parse_event  # noqa: F401 (re-exported)
from chalicelib.store.idempotency import Once

DEDUP_WINDOW_SECONDS = 7 * 24 * 3600  # longer than the queue's retention (4 days)


def sync_listings(event: OrderEvent) -> None:
    """Stock moved (reserved, sold or released): refresh the listing summaries of the order's products.

    Checkout and the payment consumer change offer stock in their own transactions and keep their
    DynamoDB round trips minimal; the catalogue's denormalised "in stock / best offer" summary is
    brought back in line here, asynchronously, a moment later.
    """
    from chalicelib.services.product_summaries import refresh_product_summary
    from chalicelib.store import orders as order_store

    order = order_store.get_order(event.order.order_id)
    if order is None:
        logger.warning("order event for an unknown order", extra={"order_id": event.order.order_id})
        return
    for product_id in sorted({line["product_id"] for line in order.get("lines", [])}):
        refresh_product_summary(product_id)


def escalate_case_thread(event: ReturnEscalated | ClaimEscalated) -> None:
    """A return or claim went to the platform: its conversation is opened to the platform too, so an
    admin can read it and write in it. Done here, from the event, rather than inside the case's own
    transition: a failure is retried by the queue (escalate_thread is idempotent) and never blocks the
    case moving on."""
    from chalicelib.services.messages import escalate_thread

    case_id = event.return_id if isinstance(event, ReturnEscalated) else event.claim_id
    escalate_thread(event.order.order_id, event.vendor_id, case_id)


HANDLERS: dict[str, Callable[[DomainEvent], None]] = {
    # Order events that may have moved stock (a cancelled line restocks); a parcel's journey moves none.
    **{event.event_type: sync_listings for event in ORDER_EVENTS
       if event not in (OrderAccepted, OrderShipped, OrderDelivered)},
    ReturnEscalated.event_type: escalate_case_thread,
    ClaimEscalated.event_type: escalate_case_thread,
}


def schedule_survey(event: DomainEvent) -> None:
    """A sub-order was delivered: its satisfaction survey becomes due (chalicelib/services/surveys.py)."""
    from chalicelib.services import surveys

    surveys.schedule_for(event)


HANDLERS["order.delivered"] = schedule_survey


def actions_for(event_type: str) -> list[Callable[[DomainEvent, EventEnvelope], None]]:
    """What this consumer does with an event: its own action (listing sync), then the people told."""
    from chalicelib.domain.notifications import RECIPIENTS

    actions: list[Callable[[DomainEvent, EventEnvelope], None]] = []
    if event_type in HANDLERS:
        actions.append(lambda event, envelope: HANDLERS[event_type](event))
    if event_type in RECIPIENTS:
        from chalicelib.services.notification_delivery import notify

        actions.append(notify)
    return actions


def _record_prefix() -> str:
    """The name Powertools' idempotency gave this consumer's records (`<Lambda function>.<module>.<function>`)
    before chalicelib/store/idempotency.py: kept, so an event acted on just before the switch is not acted on
    again after it."""
    return f"{os.environ.get('AWS_LAMBDA_FUNCTION_NAME', 'test-func')}.{__name__}._Once.__init__.<locals>.notify"


EVENT_ONCE = Once(_record_prefix, expires_after_seconds=DEDUP_WINDOW_SECONDS)


def handle(envelope: EventEnvelope, *, lambda_context=None) -> None:
    """Act on one event (at most once per event_id). Raises InvalidEvent for an unknown type or a
    malformed payload (the record fails); a valid event nobody here acts on is acknowledged."""
    event = parse_event(envelope)
    actions = actions_for(envelope.type)
    if not actions:
        logger.info("event type not handled here; acknowledged", extra={"event_type": envelope.type,
                                                                          "event_id": envelope.event_id})
        return

    def act() -> dict:
        for action in actions:
            action(event, envelope)
        return {"event_id": envelope.event_id}

    EVENT_ONCE.run(envelope.event_id, act, remaining_ms=getattr(lambda_context, "get_remaining_time_in_millis", None))
