"""The payment-events queue consumer (SQS, batches of up to 10).

Each record is one verified provider event queued by the webhook endpoint. Records are handled
one by one with Powertools' BatchProcessor: only the ones that failed (the provider or DynamoDB
unavailable) are reported in `batchItemFailures`, so SQS redelivers just those, and after
`maxReceiveCount` (5) moves them to the DLQ. A malformed record fails too, so it lands in the
DLQ where someone can look at it, instead of being dropped silently.
"""

from __future__ import annotations

import json

from chalice import Blueprint

from chalicelib.observability import logger

bp = Blueprint(__name__)


@bp.on_sqs_message(queue="payment-events", batch_size=10, name="payment_events_consumer")
def payment_events_consumer(event):
    # Imported here: Powertools' batch utility is only needed when a batch arrives.
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    # Every record failing still answers with the list rather than raising, so each one is
    # retried on its own schedule, exactly as in a partly failed batch.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)

    def handle_record(record) -> str:
        from chalicelib.services import payment_events

        logger.thread_safe_append_keys(message_id=record.message_id)
        try:
            provider_event = payment_events.ProviderEvent.model_validate(json.loads(record.body))
        except ValueError:
            logger.warning("malformed payment event message")  # the body is not logged: ids are enough
            raise
        logger.thread_safe_append_keys(event_id=provider_event.event_id, event_type=provider_event.type)
        outcome = payment_events.handle(provider_event)
        logger.info("payment event handled", extra={"outcome": outcome})
        return outcome

    return process_partial_response(event=event.to_dict(), record_handler=handle_record, processor=processor,
                                    context=event.context)
