"""Cross-cutting behaviour for every invocation (HTTP, SQS, schedules)."""

from chalice import Blueprint

from chalicelib.observability import flush_metrics, logger

bp = Blueprint(__name__)


@bp.middleware("all")
def observability(event, get_response):
    # Keys are per thread: locally one process serves HTTP requests and queue pumps at once
    # (in Lambda one invocation runs at a time, where this is the same as clear_state()).
    logger.clear_state()
    logger.thread_safe_clear_keys()
    try:
        return get_response(event)
    finally:
        flush_metrics()


@bp.middleware("http")
def one_error_shape(event, get_response):
    """Chalice answers some requests itself before any view runs (415 for a Content-Type other
    than JSON, 405 for a method the path lacks), as `{"Code", "Message"}`; clients get those in
    the project's one error shape too."""
    response = get_response(event)
    body = response.body
    if response.status_code >= 400 and isinstance(body, dict) and set(body) == {"Code", "Message"}:
        from chalicelib.api import correlation_id_of, error_body, json_response

        correlation_id = correlation_id_of(dict(getattr(event, "headers", None) or {}), getattr(event, "context", None))
        code = {"UnsupportedMediaType": "unsupported_media_type", "MethodNotAllowedError": "method_not_allowed"}.get(
            body["Code"], "request_refused" if response.status_code < 500 else "internal_error")
        fields = {"Content-Type": "must be application/json"} if response.status_code == 415 else {}
        kept = {k: v for k, v in (response.headers or {}).items() if k.lower() not in ("content-type", "content-length")}
        return json_response(error_body(code, str(body["Message"]), fields, correlation_id), response.status_code,
                             correlation_id, kept)
    return response
