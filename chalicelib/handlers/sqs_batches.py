"""One way to consume an SQS batch: each record on its own, only the failed ones reported.

Powertools' BatchProcessor with partial batch responses: the records that raised are listed in
`batchItemFailures`, so SQS redelivers just those and, after `maxReceiveCount`, moves them to
the DLQ. A batch where every record fails still answers with the list (rather than raising), so
each record is retried on its own schedule, exactly as in a partly failed batch. A malformed
record (not JSON, or not the message model) fails too, so it lands in the DLQ where someone can
look at it instead of being dropped; its body is never logged (it may carry personal data), the
message id is enough to find it. The event source mapping needs
`FunctionResponseTypes: [ReportBatchItemFailures]`, which Chalice does not emit itself (infra/).
"""

import json
from collections.abc import Callable
from typing import Any, TypeVar

from chalicelib.observability import logger

Message = TypeVar("Message")


def consume_batch(event, *, kind: str, parse: Callable[[Any], Message], log_keys: Callable[[Message], dict],
                  handle: Callable[[Message, Any], Any]) -> dict:
    """Run `handle(parse(json body), lambda_context)` for each record of the Chalice SQS `event`.

    `kind` names the messages in the log ("malformed <kind> message"); `log_keys(message)` adds
    its ids to every log line of that record. Returns the partial batch response.
    """
    # Imported here: Powertools' batch utility is only needed when a batch arrives.
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    context = event.context

    def handle_record(record):
        logger.thread_safe_append_keys(message_id=record.message_id)
        try:
            message = parse(json.loads(record.body))
        except ValueError:  # invalid JSON and pydantic's ValidationError alike
            logger.warning(f"malformed {kind} message")
            raise
        logger.thread_safe_append_keys(**log_keys(message))
        return handle(message, context)

    return process_partial_response(event=event.to_dict(), record_handler=handle_record, processor=processor,
                                    context=context)
