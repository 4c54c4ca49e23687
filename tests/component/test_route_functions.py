"""The hot routes' own functions (chalicelib/entries) serve their routes exactly as app.py's APIHandler does.

In AWS, Stripe's webhooks and POST /checkout run in functions whose entry module registers only their
blueprints (scripts/package.py points the HTTP API's integrations for those routes at them). Each entry
is loaded here in a fresh interpreter that imports nothing else, as Lambda does (and because Chalice
registers a blueprint's routes properly only once per process: chalicelib/entries/__init__.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from chalicelib.entries import ROUTE_FUNCTIONS
from scripts.package import route_functions

ROOT = Path(__file__).resolve().parents[2]

# What each function is for: a change to this list is a decision about the packaged API, not a side effect.
EXPECTED_ROUTES = {
    "WebhookHandler": {("/webhooks/stripe", "POST"), ("/webhooks/stripe/connect", "POST")},
    "CheckoutHandler": {("/checkout", "POST")},
}

DESCRIBE = """
import importlib, json, sys
app = importlib.import_module(sys.argv[1]).app
def name(fn):
    return f"{fn.__module__}.{fn.__qualname__}"
routes = {}
for path, methods in app.routes.items():
    for method, entry in methods.items():
        routes[f"{method} {path}"] = {
            "view": name(entry.view_function), "view_name": entry.view_name, "content_types": entry.content_types,
            "cors": entry.cors.get_access_control_headers() if entry.cors else None,
            "api_key_required": entry.api_key_required, "authorizer": repr(entry.authorizer),
            "modules_loaded": sorted(m for m in sys.modules if m.startswith("chalicelib.handlers."))}
print(json.dumps({"app_name": app.app_name, "routes": routes,
                  "middleware": [[name(fn), kind] for fn, kind in app.middleware_handlers]}))
"""

# Requests answered before any AWS call: refused (auth, content type, signature, method) the same way.
ANSWER = """
import importlib, json, sys
app = importlib.import_module(sys.argv[1]).app
from chalice.test import Client
answers = []
with Client(app, stage_name="dev") as client:
    for method, path, headers, body in json.loads(sys.argv[2]):
        response = client.http.request(method, path, headers=headers, body=body.encode())
        answers.append([response.status_code, dict(response.headers), json.loads(response.body or b"null")])
print(json.dumps(answers))
"""
CORRELATION = {"X-Correlation-Id": "route-functions-test-0001"}
REQUESTS = {
    "CheckoutHandler": [
        ["POST", "/checkout", {"Content-Type": "application/json", **CORRELATION}, "{}"],  # no token: 401
        ["POST", "/checkout", {"Content-Type": "application/json", "Authorization": "Bearer not-a-jwt",
                               **CORRELATION}, "{}"],
        ["POST", "/checkout", {"Content-Type": "text/plain", **CORRELATION}, "hello"],  # 415, one error shape
        ["GET", "/checkout", CORRELATION, ""],  # 405 naming the method
    ],
    "WebhookHandler": [
        ["POST", "/webhooks/stripe", {"Content-Type": "application/json", "Stripe-Signature": "t=1,v1=00",
                                      **CORRELATION}, '{"id": "evt_1"}'],
        ["POST", "/webhooks/stripe/connect", {"Content-Type": "application/json", **CORRELATION},
         '{"id": "evt_1"}'],  # no signature
    ],
}


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HALLES_", "STRIPE_"))}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION="eu-west-1",
               AWS_REGION="eu-west-1", HALLES_LOCAL_MODE="1", STRIPE_WEBHOOK_SECRET="whsec_route_functions",
               STRIPE_CONNECT_WEBHOOK_SECRET="whsec_route_functions_connect")
    return env


def _fresh(code: str, *args: str) -> object:
    proc = subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, env=_environment(), capture_output=True,
                          text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def described() -> dict[str, dict]:
    return {module: _fresh(DESCRIBE, module) for module in ("app", *ROUTE_FUNCTIONS.values())}


def test_each_route_function_serves_exactly_its_routes_and_the_packager_routes_those_to_it(described):
    packaged = route_functions()
    assert set(packaged) == set(ROUTE_FUNCTIONS) == set(EXPECTED_ROUTES)
    for name, module in ROUTE_FUNCTIONS.items():
        served = {tuple(key.split(" ", 1)[::-1]) for key in described[module]["routes"]}
        assert served == EXPECTED_ROUTES[name], name
        assert packaged[name].routes == served and packaged[name].handler == f"{module}.app", name


def test_a_route_function_registers_the_same_views_auth_cors_and_middleware_as_app_py(described):
    every = described["app"]
    for module in ROUTE_FUNCTIONS.values():
        own = described[module]
        assert own["app_name"] == every["app_name"]
        assert own["middleware"] == every["middleware"], module  # same functions, same order
        for key, route in own["routes"].items():
            same = {k: v for k, v in every["routes"][key].items() if k != "modules_loaded"}
            assert {k: v for k, v in route.items() if k != "modules_loaded"} == same, key


def test_a_route_function_loads_only_its_own_blueprints(described):
    everything = {m for route in described["app"]["routes"].values() for m in route["modules_loaded"]}
    for module in ROUTE_FUNCTIONS.values():
        loaded = {m for route in described[module]["routes"].values() for m in route["modules_loaded"]}
        # checkout's models nest the address and order models of their own handler modules (imported, not registered)
        assert len(loaded) <= 5 and len(everything) > 30, (module, sorted(loaded))


@pytest.mark.parametrize("name", sorted(ROUTE_FUNCTIONS))
def test_a_route_function_refuses_bad_requests_exactly_as_app_py_does(name):
    requests = json.dumps(REQUESTS[name])
    own = _fresh(ANSWER, ROUTE_FUNCTIONS[name], requests)
    every = _fresh(ANSWER, "app", requests)
    assert own == every
    statuses = [status for status, _, _ in own]
    assert all(400 <= status < 500 for status in statuses), statuses
    for _, headers, body in own:
        assert body["error"]["correlation_id"] == CORRELATION["X-Correlation-Id"], body
        assert headers["X-Correlation-Id"] == CORRELATION["X-Correlation-Id"]


@pytest.mark.parametrize("route", ["webhook", "checkout"])
def test_a_route_function_serves_a_real_first_request_end_to_end(route):
    """The bench's recording run: the route served once through its own function's app, under moto with the
    local payment provider (a placed checkout: 201; a signed payment_intent.succeeded webhook: 200)."""
    proc = subprocess.run([sys.executable, "-m", "scripts.bench_cold", "record", route], cwd=ROOT,
                          env={k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "HALLES_"))},
                          capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    modules = json.loads(proc.stdout.strip().splitlines()[-1])
    use_case = {"webhook": "chalicelib.services.webhooks", "checkout": "chalicelib.services.checkout"}[route]
    assert use_case in modules


def test_an_entry_naming_a_blueprint_that_does_not_exist_fails_at_init_not_at_its_first_request():
    from chalicelib.entries.app_factory import api_app

    with pytest.raises(ValueError, match="webhook"):  # a typo of "webhooks": the function would serve nothing
        api_app(("middleware", "webhook"))


def test_a_process_serving_app_py_refuses_to_build_an_entry_too():
    """Chalice cannot serve one blueprint from two apps (the second gets GET-only routes without CORS, and the
    blueprint's current request points at it): importing an entry where app.py serves fails at once, loudly."""
    code = ("import app\n"
            "try:\n"
            "    import chalicelib.entries.webhooks\n"
            "except RuntimeError as refused:\n"
            "    print(__import__('json').dumps(str(refused)))\n"
            "else:\n"
            "    print('null')\n")
    refused = _fresh(code)
    assert refused and "webhooks" in refused and "never both" in refused
