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
