"""The notifications queue's consumer: what Halles does when something happens.

Two kinds of action per event: the consumer's own (refresh listing summaries when stock moved), and
telling people (chalicelib/services/notification_delivery.py: e-mail and in-app inbox, per the
recipients table of chalicelib/domain/notifications.py).

Events arrive as the envelope `chalicelib.events` publishes. SQS delivers at least once, so
each event is acted on once per `event_id` (Powertools idempotency, persisted in the idempotency
table), and each delivery at most once per (event, recipient, channel) by a conditional put on its
dedupe key (a retry after a partly failed event sends only what had not gone out).

Every message is validated against its event's model (chalicelib/domain/events.py) before
anything is done. A type the system does not publish, or a payload its model refuses, raises
`InvalidEvent`: the record fails and, after the queue's retries, lands in the DLQ for an operator,
never silently dropped. A valid event nobody here acts on is acknowledged.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

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
from chalicelib.settings import get_settings

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


def handle(envelope: EventEnvelope, *, lambda_context=None) -> None:
    """Act on one event (at most once per event_id). Raises InvalidEvent for an unknown type or a
    malformed payload (the record fails); a valid event nobody here acts on is acknowledged."""
    parse_event(envelope)
    if not actions_for(envelope.type):
        logger.info("event type not handled here; acknowledged", extra={"event_type": envelope.type,
                                                                          "event_id": envelope.event_id})
        return
    once = _once(get_settings().table_name("idempotency"))
    if lambda_context is not None and hasattr(lambda_context, "get_remaining_time_in_millis"):
        once.config.register_lambda_context(lambda_context)
    once(envelope=envelope.model_dump(mode="json"))


class _Once:
    """Holds the idempotent runner for one idempotency table (tables differ per stack)."""

    def __init__(self, table_name: str):
        from aws_lambda_powertools.utilities.idempotency import (
            DynamoDBPersistenceLayer,
            IdempotencyConfig,
            idempotent_function,
        )

        self.config = IdempotencyConfig(event_key_jmespath="event_id", expires_after_seconds=DEDUP_WINDOW_SECONDS,
                                        raise_on_no_idempotency_key=True)
        persistence = DynamoDBPersistenceLayer(table_name=table_name)

        @idempotent_function(data_keyword_argument="envelope", config=self.config, persistence_store=persistence)
        def notify(envelope: dict) -> dict:
            parsed = EventEnvelope.model_validate(envelope)
            event = parse_event(parsed)
            for action in actions_for(parsed.type):
                action(event, parsed)
            return {"event_id": envelope["event_id"]}

        self._notify = notify

    def __call__(self, *, envelope: dict) -> dict:
        return self._notify(envelope=envelope)


@lru_cache(maxsize=8)
def _once(table_name: str) -> _Once:
    return _Once(table_name)
