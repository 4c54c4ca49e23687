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


def pytest_sessionfinish(session):
    """The run's one local stack, shared by the xdist workers, is stopped once they are all done."""
    if hasattr(session.config, "workerinput") or not hasattr(session.config, "_tmp_path_factory"):
        return
    from tests.fixtures.live import stop_shared_stack

    stop_shared_stack(session.config._tmp_path_factory.getbasetemp())
