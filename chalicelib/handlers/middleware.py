"""Cross-cutting behaviour for every invocation (HTTP, SQS, schedules)."""

from chalice import Blueprint

from chalicelib.observability import flush_metrics, logger

bp = Blueprint(__name__)


@bp.middleware("all")
def observability(event, get_response):
    logger.clear_state()
    try:
        return get_response(event)
    finally:
        flush_metrics()
