"""The payment-events queue consumer (SQS, batches of up to 10).

Each record is one verified provider event queued by the webhook endpoint, consumed by
`sqs_batches.consume_batch`: only the records that failed (the provider or DynamoDB unavailable)
are redelivered, and after `maxReceiveCount` (5) moved to the DLQ; a malformed record fails too,
so it lands in the DLQ where someone can look at it instead of being dropped silently.
"""

from chalice import Blueprint

from chalicelib.handlers.sqs_batches import consume_batch
from chalicelib.observability import logger

bp = Blueprint(__name__)


@bp.on_sqs_message(queue="payment-events", batch_size=10, name="payment_events_consumer")
def payment_events_consumer(event):
    from chalicelib.services import payment_events

    def handle(provider_event, _context) -> str:
        outcome = payment_events.handle(provider_event)
        logger.info("payment event handled", extra={"outcome": outcome})
        return outcome

    return consume_batch(
        event, kind="payment event",
        parse=payment_events.ProviderEvent.model_validate,
        log_keys=lambda provider_event: {"event_id": provider_event.event_id, "event_type": provider_event.type},
        handle=handle,
    )
