"""Test layers: tests/unit (pure domain), tests/component (chalice.test.Client under moto's
mock_aws, with tables and queues deployed from infra/), tests/e2e (the real local stack over
HTTP) and tests/browser (the real frontend in Chromium)."""

import pytest

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


def pytest_collection_modifyitems(config, items):
    """One local stack per run: with pytest-xdist (`make test` runs two workers with `--dist loadgroup`),
    every test that uses the session's `live_stack` goes to the same worker, which starts it once."""
    for item in items:
        if "live_stack" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.xdist_group("live_stack"))
