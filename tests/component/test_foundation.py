from tests.fixtures.aws import call


def test_health_answers_with_a_correlation_id(app_client):
    status, body, headers = call(app_client, "GET", "/health", headers={"X-Correlation-Id": "abc-123"})
    assert status == 200
    assert body == {"status": "ok"}
    assert headers["X-Correlation-Id"] == "abc-123"


def test_the_template_deploys_every_resource_kind(stack):
    assert stack.environment["HALLES_USER_POOL_ID"]
    assert stack.environment["HALLES_USER_POOL_CLIENT_ID"]
    assert set(stack.queues) == {"notifications", "payment-events", "offer-imports", "return-analytics"}


def _http_api_event(method: str, route: str, path: str) -> dict:
    """What an HTTP API (payload format 1.0) hands the handler; `route` is the matched route's template."""
    return {"version": "1.0", "resource": route, "path": f"/api{path}", "httpMethod": method,
            "headers": {"x-correlation-id": "corr-1"}, "multiValueHeaders": {"x-correlation-id": ["corr-1"]},
            "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
            "stageVariables": None, "body": None, "isBase64Encoded": False,
            "requestContext": {"httpMethod": method, "path": f"/api{path}", "resourcePath": route,
                               "resourceId": f"{method} {route}", "requestId": "req-1", "stage": "api"}}


def test_a_request_no_route_matches_answers_in_the_error_shape_on_the_http_api(app_client):
    # The HTTP API has no gateway responses: its `$default` route sends such requests to the handler.
    import json

    import app as halles

    answer = halles.app(_http_api_event("GET", "/no/such/thing", "/no/such/thing"), None)
    assert answer["statusCode"] == 404
    assert json.loads(answer["body"])["error"] == {
        "code": "not_found", "message": "No route for GET /api/no/such/thing. See /openapi.json for the API.",
        "fields": {}, "correlation_id": "corr-1"}

    answer = halles.app(_http_api_event("DELETE", "/health", "/health"), None)
    assert answer["statusCode"] == 405 and answer["headers"]["Allow"] == "GET"
    assert json.loads(answer["body"])["error"]["fields"] == {"method": "one of: GET"}

    answer = halles.app(_http_api_event("GET", "/health", "/health"), None)
    assert answer["statusCode"] == 200 and json.loads(answer["body"]) == {"status": "ok"}
