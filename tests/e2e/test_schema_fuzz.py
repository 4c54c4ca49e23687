"""Schemathesis against the running local stack's own `/openapi.json`: no generated request,
valid or not, gets a 5xx, and what comes back is the documented content type and schema.

Bounded so that `make test` stays fast: a fixed number of examples per operation and mode
(`EXAMPLES_PER_OPERATION`, valid and invalid requests), derandomised, no shrinking.
Operations that need a role are called with the seeded demo user of that role (signed in once);
the rest without a token. It shares the run's stack (`live_stack`), and its file name sorts it
after the other e2e modules, so the products a fuzzed vendor creates do not disturb them.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import content_type_conformance, not_a_server_error, response_schema_conformance

pytestmark = pytest.mark.e2e

EXAMPLES_PER_OPERATION = 15
# Answers that depend on the outside world rather than on the request: the payment provider may be
# slow to answer a generated checkout, which the API reports (correctly) as 502/503.
PROVIDER_STATUSES = {502, 503}


@pytest.fixture(scope="module")
def tokens(live_stack) -> dict[str, str]:
    creds = live_stack.credentials
    users = {"shopper": creds["shopper"], "admin": creds["admin"], "vendor": creds["vendors"][0]}
    out = {}
    for role, user in users.items():
        status, session, _ = live_stack.call("POST", "/auth/signin", {"email": user["email"],
                                                                       "password": user["password"]})
        assert status == 200, session
        out[role] = session["access_token"]
    return out


def test_no_generated_request_gets_a_server_error(live_stack, tokens):
    """Every operation, with valid and with invalid requests; the failures of all operations are listed at once.

    (Driven with Hypothesis directly: schemathesis' own pytest plugin does not run on this pytest.)
    """
    schema = schemathesis.openapi.from_url(f"{live_stack.api}/openapi.json")
    failures: list[str] = []
    for loaded in schema.get_all_operations():
        operation = loaded.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, mode, live_stack, tokens)
            except Exception as failure:  # noqa: BLE001 - every operation's failure is reported below
                failures.append(f"{operation.label} ({mode.value}): {str(failure)[:1500]}")
    assert not failures, "\n\n".join(failures)


def fuzz(operation, mode, live_stack, tokens) -> None:
    roles = operation.definition.raw.get("x-halles-roles")
    headers = {}
    if roles is not None:  # [] means any signed-in user
        headers["Authorization"] = f"Bearer {tokens[roles[0] if roles else 'shopper']}"

    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
    def call(case):
        response = case.call(base_url=live_stack.api, headers=headers, timeout=20)
        if response.status_code in PROVIDER_STATUSES and operation.path.startswith(("/checkout", "/me/payment")):
            return
        case.validate_response(response, checks=[not_a_server_error, content_type_conformance,
                                                 response_schema_conformance])

    call()
