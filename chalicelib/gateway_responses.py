"""The answer for a request no route matches, in the project's one error shape.

API Gateway answers an unknown path (or a known path with a method it does not have) with
403 `{"message": "Missing Authentication Token"}` before any Lambda runs, and chalice local
copies that. Clients of Halles should see the same JSON error shape as everywhere else, so:

- locally, `devstack.http` renders `route_not_found_body()` (404) and
  `method_not_allowed_body()` (405);
- on AWS the API is an HTTP API (scripts/package.py `as_http_api`), which has no gateway
  responses: its `$default` route hands every request no route matches to the handler, and
  `answer_unrouted` answers it (404, or 405 for a known path with another method) before Chalice
  would (Chalice answers an unknown path with its own 405 shape).
- `gateway_response_templates()`: the same 404 as a REST API's `MISSING_AUTHENTICATION_TOKEN`
  GatewayResponse (API Gateway fills `$context.requestId` in), for a REST API deployment.
"""

from __future__ import annotations

import json

from chalicelib.api import correlation_id_of, error_body, json_response

ROUTE_NOT_FOUND_CODE = "not_found"
METHOD_NOT_ALLOWED_CODE = "method_not_allowed"


def route_not_found_body(correlation_id: str, method: str | None = None, path: str | None = None) -> dict:
    where = f" for {method} {path}" if method and path else ""
    return error_body(ROUTE_NOT_FOUND_CODE, f"No route{where}. See /openapi.json for the API.", {}, correlation_id)


def method_not_allowed_body(correlation_id: str, method: str, path: str, allowed: list[str]) -> dict:
    return error_body(
        METHOD_NOT_ALLOWED_CODE,
        f"{path} does not accept {method}; it accepts {', '.join(sorted(allowed))}.",
        {"method": f"one of: {', '.join(sorted(allowed))}"},
        correlation_id,
    )


def gateway_response_templates() -> dict:
    """`AWS::ApiGateway::GatewayResponse` properties (without RestApiId) for the packaging step."""
    body = route_not_found_body("$context.requestId")
    return {
        "ResponseType": "MISSING_AUTHENTICATION_TOKEN",
        "StatusCode": "404",
        "ResponseParameters": {
            "gatewayresponse.header.Access-Control-Allow-Origin": "'*'",
            "gatewayresponse.header.X-Correlation-Id": "context.requestId",
        },
        "ResponseTemplates": {"application/json": json.dumps(body, separators=(",", ":"))},
    }


def answer_unrouted(app) -> None:
    """Register the middleware that answers requests no route of `app` matches (the HTTP API's `$default`
    route sends them to the handler, whose `requestContext.resourcePath` is then no route template)."""

    @app.middleware("http")
    def unrouted(request, get_response):
        methods = app.routes.get(request.path) or {}  # .get: the routes are a defaultdict
        if request.method in methods:
            return get_response(request)
        correlation_id = correlation_id_of(dict(request.headers), request.context)
        if methods:
            return json_response(method_not_allowed_body(correlation_id, request.method, request.path, list(methods)),
                                 405, correlation_id, {"Allow": ", ".join(sorted(methods))})
        path = (request.context or {}).get("path") or request.path
        return json_response(route_not_found_body(correlation_id, request.method, path), 404, correlation_id)
