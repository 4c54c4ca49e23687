"""The notifications queue consumer (SQS, batches of up to 10).

Partial batch responses: each record is handled on its own and only the ones that failed
are reported in `batchItemFailures`, so SQS redelivers just those (and, after
`maxReceiveCount`, moves them to the DLQ). The event source mapping needs
`FunctionResponseTypes: [ReportBatchItemFailures]`, which Chalice does not emit itself.
"""

from __future__ import annotations

import json

from chalice import Blueprint

from chalicelib.observability import logger

bp = Blueprint(__name__)


@bp.on_sqs_message(queue="notifications", batch_size=10, name="notifications_consumer")
def notifications_consumer(event):
    # Imported here: Powertools' batch utility is only needed when a batch arrives.
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    # A batch where every record fails still answers with the list (rather than raising), so SQS
    # retries each record on its own schedule, exactly as for a partly failed batch.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    context = event.context

    def handle_record(record) -> None:
        from chalicelib.services import notifications

        logger.thread_safe_append_keys(message_id=record.message_id)
        try:
            envelope = notifications.EventEnvelope.model_validate(json.loads(record.body))
        except ValueError:
            # Never log the body: it may carry personal data. The id is enough to find it in the DLQ.
            logger.warning("malformed notification message")
            raise
        logger.thread_safe_append_keys(event_type=envelope.type, event_id=envelope.event_id)
        notifications.handle(envelope, lambda_context=context)

    return process_partial_response(event=event.to_dict(), record_handler=handle_record, processor=processor,
                                    context=context)
