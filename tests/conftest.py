"""Test layers: tests/unit (pure domain), tests/component (chalice.test.Client under moto's
mock_aws, with tables and queues deployed from infra/), tests/e2e (the real local stack over
HTTP) and tests/browser (the real frontend in Chromium)."""

pytest_plugins = [
    "tests.fixtures.aws",
    "tests.fixtures.auth",
    "tests.fixtures.catalog",
    "tests.fixtures.live",
    "tests.fixtures.payments",
    "tests.fixtures.sqs",
    "tests.fixtures.dynamodb_calls",
    "tests.fixtures.browser_gate",
]
