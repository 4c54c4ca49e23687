"""The OpenAPI 3.1 document of the HTTP API, generated from the routes as the app registered them.

Paths come from the Chalice app (so blueprint URL prefixes are included) and everything else
from the `RouteSpec` that `api.route` attached to each view: path parameters from `{name}`
segments, query parameters from the query model's fields, the request body from the body
model, the success response from the response model, and the one error shape for each status
the route can answer with. Schemas are pydantic's JSON Schema (2020-12, which is what OpenAPI
3.1 uses), all placed under `components/schemas`. Nothing here is written by hand per route,
so the document cannot drift from the code.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import BaseModel, Field

from chalicelib.api import RouteSpec

OPENAPI_VERSION = "3.1.0"
API_TITLE = "Halles"
API_VERSION = "1.0.0"
REF_TEMPLATE = "#/components/schemas/{model}"
SECURITY_SCHEME = "cognito"
API_KEY_SCHEME = "vendorApiKey"
_PATH_PARAM = re.compile(r"\{([^}+]+)\+?\}")


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, machine-readable error code, e.g. `validation_error`.")
    message: str = Field(description="Human-readable explanation.")
    fields: dict[str, str] = Field(description="Input field (dotted path) -> what is wrong with it.")
    correlation_id: str = Field(description="Also sent as the `X-Correlation-Id` header; quote it to support.")


class Error(BaseModel):
    """The one error shape of every Halles endpoint."""

    error: ErrorDetail


# status -> (components/responses name, description)
ERROR_RESPONSES: dict[int, tuple[str, str]] = {
    400: ("BadRequest", "The request is malformed or invalid; `error.fields` says which input is wrong."),
    401: ("Unauthorized", "No valid bearer token was sent."),
    403: ("Forbidden", "The signed-in user may not do this."),
    404: ("NotFound", "The resource does not exist."),
    409: ("Conflict", "The request conflicts with the current state (e.g. a concurrent change)."),
    412: ("PreconditionFailed", "The `If-Match` version is not the resource's current one; read it again."),
    413: ("PayloadTooLarge", "The request body is too large."),
    402: ("PaymentRequired", "The payment was declined; nothing was charged."),
    422: ("Unprocessable", "The request is well-formed but breaks a business rule."),
    429: ("TooManyRequests", "Too many requests; retry after `Retry-After` seconds."),
    500: ("InternalError", "Something failed on our side; quote the correlation id."),
    502: ("BadGateway", "A provider we depend on refused the request; nothing was changed."),
    503: ("ServiceUnavailable", "A provider we depend on is not answering; retry after `Retry-After` seconds."),
}


def openapi_path(chalice_path: str) -> str:
    """Chalice's greedy `{proxy+}` is `{proxy}` in OpenAPI."""
    return _PATH_PARAM.sub(lambda m: "{" + m.group(1) + "}", chalice_path)


def path_parameters(chalice_path: str) -> list[str]:
    return _PATH_PARAM.findall(chalice_path)


def registered_operations(app) -> list[tuple[str, str, RouteSpec | None]]:
    """(path, method, spec) for every route of the app; spec is None for a route not declared via api.route."""
    ops = []
    for path, methods in app.routes.items():
        for method, entry in methods.items():
            ops.append((path, method.upper(), getattr(entry.view_function, "route_spec", None)))
    return ops


def build_document(app) -> dict[str, Any]:
    from pydantic.json_schema import models_json_schema

    operations = [(p, m, s) for p, m, s in registered_operations(app) if s is not None]
    wanted: list[tuple[type[BaseModel], str]] = [(Error, "serialization")]
    for _, _, spec in operations:
        for model, mode in ((spec.body, "validation"), (spec.query, "validation"), (spec.response, "serialization")):
            if model is not None and (model, mode) not in wanted:
                wanted.append((model, mode))
    refs, defs = models_json_schema(wanted, ref_template=REF_TEMPLATE)
    schemas = defs.get("$defs", {})

    paths: dict[str, dict] = {}
    operation_ids: set[str] = set()
    for path, method, spec in sorted(operations, key=lambda op: (op[0], op[1])):
        op = _operation(path, method, spec, refs, schemas, operation_ids)
        paths.setdefault(openapi_path(path), {})[method.lower()] = op

    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": API_TITLE,
            "version": API_VERSION,
            "description": "Multi-vendor marketplace API. Prices are VAT-included integer minor units "
            "(`{\"amount\": 1299, \"currency\": \"EUR\"}`). Every error has the `Error` shape.",
        },
        "tags": [{"name": t} for t in sorted({t for _, _, s in operations for t in s.tags})],
        "paths": paths,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "responses": {
                name: {
                    "description": description,
                    "headers": {"X-Correlation-Id": {"$ref": "#/components/headers/CorrelationId"}},
                    "content": {"application/json": {"schema": refs[(Error, "serialization")]}},
                }
                for name, description in ERROR_RESPONSES.values()
            },
            "headers": {
                "CorrelationId": {
                    "description": "The request's correlation id (echoed from the request, or generated).",
                    "schema": {"type": "string"},
                }
            },
            "parameters": {
                "CorrelationId": {
                    "name": "X-Correlation-Id",
                    "in": "header",
                    "required": False,
                    "description": "Optional id (<= 128 chars) to correlate logs; echoed in the response.",
                    "schema": {"type": "string", "maxLength": 128},
                }
            },
            "securitySchemes": {
                SECURITY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT",
                    "description": "A Cognito access token from `POST /auth/signin`. Roles come from the "
                    "token's `cognito:groups` (shoppers, vendors, admins).",
                },
                API_KEY_SCHEME: {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "hk_<env>_<key id>_<secret>",
                    "description": "A vendor API key (created in the vendor space, `POST /vendor/api-keys`), sent as "
                    "`Authorization: Bearer hk_...`. Acts for its vendor on vendor-only routes; a read key on GET only.",
                },
            },
        },
    }


def error_statuses(path: str, spec: RouteSpec) -> list[int]:
    statuses = set(spec.errors) | {500}
    if spec.body is not None or spec.query is not None:
        statuses.add(400)
    if spec.body is not None:
        statuses.add(413)
    if spec.roles is not None:
        statuses.add(401)
        if spec.roles:
            statuses.add(403)
    # A public route answers 401/403 only when it declares them (sign-in's wrong password, a bad refresh).
    if path_parameters(path):
        statuses.add(404)
    if _accepts_api_keys(spec):
        statuses.add(429)  # a key's rate limit
    return sorted(s for s in statuses if s in ERROR_RESPONSES)


def _operation(path: str, method: str, spec: RouteSpec, refs: dict, schemas: dict, operation_ids: set[str]) -> dict:
    op: dict[str, Any] = {"operationId": _unique(spec.name, method, operation_ids)}
    if spec.summary:
        op["summary"] = spec.summary
    if spec.tags:
        op["tags"] = list(spec.tags)

    params: list[dict] = [
        {"name": name, "in": "path", "required": True, "schema": {"type": "string"}} for name in path_parameters(path)
    ]
    if spec.query is not None:
        params.extend(_query_parameters(refs[(spec.query, "validation")], schemas))
    params.extend({"name": h.name, "in": "header", "required": h.required, "description": h.description,
                   "schema": {"type": "string"}} for h in spec.headers)
    params.append({"$ref": "#/components/parameters/CorrelationId"})
    op["parameters"] = params

    if spec.body is not None:
        op["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": refs[(spec.body, "validation")]}},
        }

    responses: dict[str, Any] = {}
    if spec.status == 204:
        responses["204"] = {"description": spec.summary or "No content"}
    elif spec.status in (302, 303, 307):  # a redirect: no body, the target in Location
        responses[str(spec.status)] = {"description": spec.summary or "Redirect", "headers": {
            h.name: {"description": h.description, "schema": {"type": "string"}} for h in spec.response_headers}}
    else:
        schema = refs[(spec.response, "serialization")] if spec.response is not None else (
            {"type": "object"} if spec.content_type == "application/json" else {"type": "string"})
        for status in (spec.status, *spec.also):
            responses[str(status)] = {
                "description": spec.summary or "Success",
                "headers": {"X-Correlation-Id": {"$ref": "#/components/headers/CorrelationId"},
                            **{h.name: {"description": h.description, "schema": {"type": "string"}}
                               for h in spec.response_headers}},
                "content": {spec.content_type: {"schema": schema}},
            }
    for status in error_statuses(path, spec):
        responses[str(status)] = {"$ref": f"#/components/responses/{ERROR_RESPONSES[status][0]}"}
    op["responses"] = responses

    if spec.roles is not None:
        op["security"] = [{SECURITY_SCHEME: []}]
        op["x-halles-roles"] = list(spec.roles)
        who = f"one of the roles: {', '.join(spec.roles)}" if spec.roles else "any signed-in user"
        op["description"] = f"Requires {who}."
        if _accepts_api_keys(spec):
            op["security"].append({API_KEY_SCHEME: []})
            op["description"] += (" Also accepts a vendor API key (a read key only on GET); rate-limited per key: "
                                  "429 with Retry-After.")
    return op


def _accepts_api_keys(spec: RouteSpec) -> bool:
    from chalicelib.domain.api_keys import route_accepts_keys

    return route_accepts_keys(spec.roles, spec.api_keys)


def _query_parameters(model_ref: dict, schemas: dict) -> list[dict]:
    name = model_ref["$ref"].rsplit("/", 1)[-1]
    model_schema = schemas[name]
    required = set(model_schema.get("required", ()))
    params = []
    for field_name, field_schema in model_schema.get("properties", {}).items():
        param: dict[str, Any] = {
            "name": field_name,
            "in": "query",
            "required": field_name in required,
            "schema": {k: v for k, v in field_schema.items() if k != "description"},
        }
        if field_schema.get("description"):
            param["description"] = field_schema["description"]
        params.append(param)
    return params


def _unique(name: str, method: str, taken: set[str]) -> str:
    candidate = name
    n = 2
    while candidate in taken:
        candidate = f"{name}_{method.lower()}" if n == 2 else f"{name}_{method.lower()}_{n}"
        n += 1
    taken.add(candidate)
    return candidate
