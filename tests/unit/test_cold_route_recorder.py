"""The import recorder behind `cold_checkout_ratio` / `cold_webhook_ratio` (scripts/bench_cold.py).

A first request's cost is every module it imports, including modules something else in the process
had already loaded (on Lambda nothing had): the recorder must see those, and must not charge the
route with what the test harness (moto, fixtures) imports under it.
"""

from __future__ import annotations

import builtins
import importlib
import json  # noqa: F401  (already loaded: the recorder must still see the route import it)

import pytest

from scripts.bench_cold import ImportRecorder, _is_harness


@pytest.fixture
def recorder():
    saved = builtins.__import__, importlib.import_module
    recording = ImportRecorder()
    recording.install()
    try:
        yield recording
    finally:
        builtins.__import__, importlib.import_module = saved


# The route's code lives in an app module (this test module is harness: its own imports never count).
ROUTE_SOURCE = """
def route():
    import json.decoder  # a lazy import inside the route, of a module loaded long ago
    importlib.import_module("email.utils")
"""
_app_module = {"__name__": "chalicelib.fake_route", "importlib": importlib}
exec(compile(ROUTE_SOURCE, "chalicelib/fake_route.py", "exec"), _app_module)
# ... called the way a request reaches it: through Chalice's local gateway (the recorder's entry point).
_gateway = {"__name__": "chalice.local.fake_gateway", "route": _app_module["route"]}
exec(compile("def dispatch():\n    route()\n", "chalice/local/fake_gateway.py", "exec"), _gateway)
_route_code = _gateway["dispatch"]


def test_a_lazy_import_of_an_already_loaded_module_is_recorded_with_its_parents(recorder):
    recorder.active = True
    _route_code()
    recorder.active = False
    assert {"json", "json.decoder", "email", "email.utils"} <= set(recorder.modules)


def test_nothing_is_recorded_while_inactive(recorder):
    _route_code()
    assert recorder.modules == {}


def test_what_the_harness_imports_under_the_route_is_not_recorded(recorder):
    recorder.active = True
    import email.utils  # noqa: F401  (this module is harness)
    recorder.active = False
    assert recorder.modules == {}


@pytest.mark.parametrize("name", ["moto", "moto.dynamodb.models", "tests.fixtures.aws", "devstack.localpay"])
def test_the_harness_is_not_the_app(name):
    assert _is_harness(name)


@pytest.mark.parametrize("name", ["chalicelib.services.checkout", "stripe", "motor", "testsuite"])
def test_the_app_and_its_libraries_are_not_the_harness(name):
    assert not _is_harness(name)
