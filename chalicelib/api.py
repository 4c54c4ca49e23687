"""The one way an HTTP route is declared.

`route()` registers a Chalice route and wraps the view so that every request:
gets a correlation id (logged, echoed in `X-Correlation-Id`), is refused with 413 past
the body limit, is authenticated when the route asks for a role, has its JSON body and
query string parsed into pydantic models, and maps every error to the one JSON shape
`{"error": {"code", "message", "fields", "correlation_id"}}`. No traceback reaches a client.

The registry it fills is what `/openapi.json` is generated from, so the contract and the
routes cannot drift apart.
"""

from __future__ import annotations

import functools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalice import CORSConfig, Response
from pydantic import BaseModel, ValidationError

from chalicelib.domain.errors import (
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    Unprocessable,
)
from chalicelib.observability import logger
from chalicelib.payments.port import PaymentError
from chalicelib.schema import SURROGATES
from chalicelib.settings import get_settings

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    InvalidInput: 400,
    Unauthorized: 401,
    Forbidden: 403,
    NotFound: 404,
    Conflict: 409,
    PayloadTooLarge: 413,
    Unprocessable: 422,
}

CORS = CORSConfig(
    allow_origin="*",
    allow_headers=["Authorization", "Content-Type", "Idempotency-Key", "If-Match", "X-Correlation-Id"],
    expose_headers=["X-Correlation-Id", "Retry-After", "ETag"],
    max_age=600,
)


@dataclass
class RouteSpec:
    """One documented route: path, method, handler name and the models it reads and answers."""

    path: str
    method: str
    name: str
    summary: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    roles: tuple[str, ...] | None
    status: int
    tags: tuple[str, ...]
    errors: tuple[int, ...]
    also: tuple[int, ...] = ()  # other success statuses with the same response body
    headers: tuple[HeaderDoc, ...] = ()  # request headers the route reads (documented in OpenAPI)
    response_headers: tuple[HeaderDoc, ...] = ()  # headers its success responses carry
    api_keys: bool = True  # a vendor-only route also accepts vendor API keys (see authenticate)
    content_type: str = "application/json"  # of its success responses (a CSV download: text/csv)


@dataclass(frozen=True)
class HeaderDoc:
    """A request header a route documents in the OpenAPI document."""

    name: str
    description: str
    required: bool = False


ROUTES: list[RouteSpec] = []


@dataclass
class Request:
    """What a view receives: parsed, validated, authenticated."""

    params: dict[str, str]
    body: Any
    query: Any
    principal: Any
    headers: dict[str, str]
    correlation_id: str
    raw_body: bytes = b""

    def header(self, name: str) -> str | None:
        lowered = name.lower()
        for key, value in self.headers.items():
            if key.lower() == lowered:
                return value
        return None


def error_body(code: str, message: str, fields: dict[str, str] | None, correlation_id: str) -> dict:
    return {
        "error": {
            "code": code,
            "message": message,
            "fields": fields or {},
            "correlation_id": correlation_id,
        }
    }


def json_response(body: Any, status: int, correlation_id: str, headers: dict | None = None) -> Response:
    out = {"Content-Type": "application/json", "X-Correlation-Id": correlation_id}
    out.update(headers or {})
    return Response(body=json.dumps(body, separators=(",", ":")), status_code=status, headers=out)


def error_response(err: DomainError, correlation_id: str, headers: dict | None = None) -> Response:
    # An error may carry its own status (e.g. 502/503 when the payment provider failed).
    status = getattr(err, "status", None) or next((s for cls, s in STATUS_BY_ERROR.items() if isinstance(err, cls)), 400)
    return json_response(error_body(err.code, err.message, err.fields, correlation_id), status, correlation_id, headers)


def validation_fields(exc: ValidationError, prefix: str = "") -> dict[str, str]:
    fields: dict[str, str] = {}
    for item in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in item.get("loc", ()) if p != "__root__")
        key = f"{prefix}{loc}" if loc else (prefix.rstrip(".") or "body")
        message = item.get("msg", "invalid")
        fields.setdefault(key, message.removeprefix("Value error, "))
    return fields


def parse_body(raw: bytes, model: type[BaseModel]) -> BaseModel:
    if not raw:
        data: Any = {}
    else:
        try:
            data = json.loads(raw)
        except (ValueError, UnicodeDecodeError, RecursionError):
            # RecursionError: nesting deeper than the parser's stack (a few KB of `{"a":` does it).
            raise InvalidInput("The request body is not valid JSON.", code="invalid_json", fields={"body": "invalid JSON"}) from None
    if not isinstance(data, dict):
        raise InvalidInput("The request body must be a JSON object.", fields={"body": "expected an object"})
    refuse_unstorable_text(data)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise InvalidInput("The request body is invalid.", code="validation_error", fields=validation_fields(exc)) from None


def refuse_unstorable_text(data: Any, prefix: str = "") -> None:
    """400 naming the field when any string of the request (key or value) holds a lone surrogate.

    JSON's `"\\ud800"` decodes to a str that cannot be encoded as UTF-8, so whatever field it
    lands in (a password, a token, a key of a map) would fail later, in an adapter, as a 500.
    `Text` fields say so too; this catches the fields that are not text (secrets are never altered).
    Iterative: the parsed JSON may be nested almost as deep as the recursion limit.
    """
    pending: list[tuple[str, Any]] = [(prefix, data)]
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if SURROGATES.search(value):
                raise InvalidInput("The request contains text that is not valid Unicode.",
                                   fields={path or "body": "contains an invalid character (a lone UTF-16 surrogate)"})
        elif isinstance(value, dict):
            for key, item in value.items():
                pending.append((f"{path}.{key}" if path else str(key), key))
                pending.append((f"{path}.{key}" if path else str(key), item))
        elif isinstance(value, list):
            pending.extend((f"{path}.{index}" if path else str(index), item) for index, item in enumerate(value))


def parse_query(params: dict[str, str] | None, model: type[BaseModel]) -> BaseModel:
    refuse_unstorable_text(dict(params or {}))
    try:
        return model.model_validate(dict(params or {}))
    except ValidationError as exc:
        raise InvalidInput("The query string is invalid.", code="validation_error", fields=validation_fields(exc)) from None


def correlation_id_of(headers: dict[str, str], context: dict | None) -> str:
    for key, value in (headers or {}).items():
        if key.lower() == "x-correlation-id" and value and len(value) <= 128:
            return value
    request_id = (context or {}).get("requestId")
    return request_id or str(uuid.uuid4())


def authenticate(headers: dict[str, str], roles: tuple[str, ...], method: str = "GET", api_keys: bool = True):
    """The one place a request's principal is resolved: a Cognito token, or a vendor API key.

    Both come as `Authorization: Bearer <credential>`; a credential starting with `hk_` is an API
    key (a JWT never does). Keys act only on vendor-only routes (`roles=("vendor",)`) that did not
    opt out with `api_keys=False`; a read key only on GET. Not `X-Api-Key`: on AWS that is the
    header of API Gateway's own usage-plan keys, and ours must not be mistaken for those.
    """
    from chalicelib.domain.api_keys import looks_like_api_key

    header = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
    scheme, _, credential = (header or "").strip().partition(" ")
    if scheme.lower() == "bearer" and looks_like_api_key(credential.strip()):
        from chalicelib.services.api_keys import principal_for_key

        principal = principal_for_key(credential.strip(), method=method, roles=roles, keys_allowed=api_keys)
    else:
        from chalicelib.auth.tokens import principal_from_header

        principal = principal_from_header(header)
    if roles and not principal.has_any_role(roles):
        raise Forbidden("Your account may not use this endpoint.", fields={"role": f"requires one of: {', '.join(roles)}"})
    return principal


def route(
    bp,
    path: str,
    method: str = "GET",
    *,
    summary: str = "",
    body: type[BaseModel] | None = None,
    query: type[BaseModel] | None = None,
    response: type[BaseModel] | None = None,
    roles: tuple[str, ...] | None = None,
    status: int = 200,
    tags: tuple[str, ...] = (),
    errors: tuple[int, ...] = (),
    also: tuple[int, ...] = (),
    headers: tuple[HeaderDoc, ...] = (),
    response_headers: tuple[HeaderDoc, ...] = (),
    api_keys: bool = True,
    max_body_bytes: int | None = None,
    content_type: str = "application/json",
    accepts: tuple[str, ...] = ("application/json",),
) -> Callable:
    """Declare an HTTP route. `roles=()` means any signed-in user; `None` means public.

    A vendor-only route (`roles=("vendor",)`) also accepts vendor API keys unless `api_keys=False`.
    `max_body_bytes` raises the body limit for this route only (a file upload); default HALLES_MAX_BODY_BYTES.
    `accepts`: the request content types Chalice lets through (a form post: x-www-form-urlencoded).
    """

    def decorator(fn: Callable[[Request], Any]) -> Callable:
        ROUTES.append(
            RouteSpec(path, method, fn.__name__, summary or (fn.__doc__ or "").strip().split("\n")[0],
                      body, query, response, roles, status, tags, errors, also, headers, response_headers,
                      api_keys, content_type)
        )

        extra = {"content_types": list(accepts)} if accepts != ("application/json",) else {}

        @bp.route(path, methods=[method], cors=CORS, name=f"{fn.__name__}", **extra)
        @functools.wraps(fn)
        def view(**params: str) -> Response:
            return dispatch(bp.current_request, fn, params, body=body, query=query, roles=roles, status=status,
                            api_keys=api_keys, max_body_bytes=max_body_bytes)

        # Lets the OpenAPI generator join the app's routes (with blueprint prefixes) to their spec.
        view.route_spec = ROUTES[-1]
        return view

    return decorator


def dispatch(request, fn, params, *, body, query, roles, status, api_keys=True,
             max_body_bytes: int | None = None) -> Response:
    headers = dict(request.headers or {})
    correlation_id = correlation_id_of(headers, request.context)
    logger.thread_safe_append_keys(correlation_id=correlation_id, path=request.path if hasattr(request, "path") else None)
    try:
        raw = request.raw_body or b""
        limit = max_body_bytes or get_settings().max_body_bytes
        if len(raw) > limit:
            raise PayloadTooLarge(
                f"The request body is larger than {limit} bytes.",
                fields={"body": "too large"},
            )
        principal = authenticate(headers, roles, request.method, api_keys) if roles is not None else None
        refuse_unstorable_text(params)
        req = Request(
            params=params,
            body=parse_body(raw, body) if body else None,
            query=parse_query(request.query_params, query) if query else None,
            principal=principal,
            headers=headers,
            correlation_id=correlation_id,
            raw_body=raw,
        )
        result = fn(req)
        if isinstance(result, Response):
            result.headers.setdefault("X-Correlation-Id", correlation_id)
            return result
        if isinstance(result, BaseModel):
            result = result.model_dump(mode="json")
        return json_response(result, status, correlation_id)
    except DomainError as err:
        failed_here = (getattr(err, "status", None) or 0) >= 500
        (logger.error if failed_here else logger.info)(
            "request failed" if failed_here else "request refused", extra={"error_code": err.code, "fields": err.fields}
        )
        return error_response(err, correlation_id, getattr(err, "headers", None))
    except PaymentError as err:
        # The provider's trouble is not the client's: 503 (+ Retry-After) when retrying helps, else 502,
        # or 500 when our own credentials were refused. The gateway's message names the cause.
        status = 503 if err.retryable else (500 if err.code == "provider_auth_failed" else 502)
        (logger.error if status == 500 else logger.warning)(
            "payment provider failed", extra={"error_code": err.code, "retryable": err.retryable})
        return json_response(
            error_body(err.code if status != 502 else "payment_request_refused",
                       err.message if status != 502 else "The payment provider refused the request.", {},
                       correlation_id),
            status,
            correlation_id,
            {"Retry-After": "5"} if err.retryable else None,
        )
    except Exception as err:
        if rejected_by_store(err):
            # The store refused a value of this request (a ValidationException on a write or a key read):
            # a request model let through what it should not have. The client gets a 400 naming what it
            # sent; we log an error, to tighten the model.
            logger.error("request refused by the store", extra={"store_message": store_message(err)})
            where = "body" if body else "query" if query else "path"
            return json_response(
                error_body("invalid_input", "The request holds a value the store cannot take.",
                           {where: "rejected by the store"}, correlation_id),
                400, correlation_id)
        logger.exception("unhandled error")
        return json_response(
            error_body("internal_error", "Something went wrong on our side. Quote the correlation id.", {}, correlation_id),
            500,
            correlation_id,
        )


def rejected_by_store(err: BaseException) -> bool:
    """A DynamoDB ValidationException, raised by PynamoDB (`cause_response_code`) or botocore (`response`)."""
    for cause in (err, err.__cause__, err.__context__):
        code = getattr(cause, "cause_response_code", None)
        response = getattr(cause, "response", None)
        if code is None and isinstance(response, dict):
            code = (response.get("Error") or {}).get("Code")
        if code == "ValidationException":
            return True
    return False


def store_message(err: BaseException) -> str:
    return str(getattr(err, "cause_response_message", None) or err)[:500]
