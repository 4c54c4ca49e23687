"""The notifications queue's consumer: what Halles does when something happens.

Two kinds of action per event: the consumer's own (refresh listing summaries when stock moved), and
telling people (chalicelib/services/notification_delivery.py: e-mail and in-app inbox, per the
recipients table of chalicelib/domain/notifications.py).

Events arrive as the envelope `chalicelib.events` publishes. SQS delivers at least once, and a
publisher may publish the same event (same `event_id`) again later, with a later `occurred_at` (a
second /auth/confirm, an effect re-run). Every action is idempotent on its own: the listing sync and
the case escalation by nature, the survey by its derived id, and each delivery by a conditional put
on a key derived from (event id, recipient, template) -- plus, for an inbox entry, the event's
`occurred_at`, which orders the inbox. So the one thing fixed per event is that `occurred_at`: the
first one seen is pinned on the idempotency table (ONE conditional put per event that tells someone;
chalicelib/store/idempotency.py `first_value`), and every delivery of the event, redelivered or
published again, acts with it: their puts collide with the first one's, and nothing goes out twice.
(The per-event `Once` record it replaces cost two writes per event: in progress, then completed.)

Every message is validated against its event's model (chalicelib/domain/events.py) before
anything is done. A type the system does not publish, or a payload its model refuses, raises
`InvalidEvent`: the record fails and, after the queue's retries, lands in the DLQ for an operator,
never silently dropped. A valid event nobody here acts on is acknowledged.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import datetime

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
from chalicelib.store.idempotency import COMPLETED, Once, first_value

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
    before chalicelib/store/idempotency.py: kept, so an event acted on before the switch is not acted on
    again after it."""
    return f"{os.environ.get('AWS_LAMBDA_FUNCTION_NAME', 'test-func')}.{__name__}._Once.__init__.<locals>.notify"


EVENT_RECORDS = Once(_record_prefix, expires_after_seconds=DEDUP_WINDOW_SECONDS)  # names the records only


def _first_occurred_at(envelope: EventEnvelope) -> datetime | None:
    """The `occurred_at` this event was first acted on with (ours if we are first); None when a record
    from before the pins says the event was acted on in full already."""
    pinned, legacy = first_value(EVENT_RECORDS.record_id(envelope.event_id), envelope.occurred_at.isoformat(),
                                 expires_after_seconds=DEDUP_WINDOW_SECONDS)
    if pinned is not None:
        return datetime.fromisoformat(pinned)
    if legacy is not None and legacy.status == COMPLETED:
        return None
    return envelope.occurred_at  # a run in flight across the switch: the same message gives the same ids


def handle(envelope: EventEnvelope, *, lambda_context=None) -> None:
    """Act on one event (see the module docstring for why a repeat is harmless). Raises InvalidEvent for an
    unknown type or a malformed payload (the record fails); a valid event nobody here acts on is
    acknowledged. `lambda_context` is accepted for the consumer's signature; nothing here needs it."""
    event = parse_event(envelope)
    actions = actions_for(envelope.type)
    if not actions:
        logger.info("event type not handled here; acknowledged", extra={"event_type": envelope.type,
                                                                          "event_id": envelope.event_id})
        return
    if envelope.type in _told_events():
        occurred_at = _first_occurred_at(envelope)
        if occurred_at is None:
            logger.info("event acted on before; acknowledged", extra={"event_id": envelope.event_id})
            return
        envelope = envelope.model_copy(update={"occurred_at": occurred_at})
    for action in actions:
        action(event, envelope)


def _told_events() -> dict:
    from chalicelib.domain.notifications import RECIPIENTS

    return RECIPIENTS
