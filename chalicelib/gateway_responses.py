"""The answer for a request no route matches, in the project's one error shape.

API Gateway answers an unknown path (or a known path with a method it does not have) with
403 `{"message": "Missing Authentication Token"}` before any Lambda runs, and chalice local
copies that. Clients of Halles should see the same JSON error shape as everywhere else, so:

- locally, `devstack.http` renders `route_not_found_body()` (404) and
  `method_not_allowed_body()` (405);
- on AWS, the packaging step configures a `MISSING_AUTHENTICATION_TOKEN` GatewayResponse
  from `gateway_response_templates()`, where API Gateway fills `$context.requestId` in.
  (API Gateway cannot tell the two cases apart, so on AWS both are 404.)
"""

from __future__ import annotations

import json

from chalicelib.api import error_body

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
