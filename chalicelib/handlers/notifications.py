"""The notifications queue consumer (SQS, batches of up to 10): one e-mail job per record.

Records are consumed by `sqs_batches.consume_batch` (partial batch responses: only the failed
records are redelivered, a malformed one ends in the DLQ).
"""

from chalice import Blueprint

from chalicelib.handlers.sqs_batches import consume_batch

bp = Blueprint(__name__)


@bp.on_sqs_message(queue="notifications", batch_size=10, name="notifications_consumer")
def notifications_consumer(event):
    from chalicelib.services import notifications

    return consume_batch(
        event, kind="notification",
        parse=notifications.EventEnvelope.model_validate,
        log_keys=lambda envelope: {"event_type": envelope.type, "event_id": envelope.event_id},
        handle=lambda envelope, context: notifications.handle(envelope, lambda_context=context),
    )
