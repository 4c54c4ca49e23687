"""`import app` is every function's cold start (the API's, and through chalicelib.handlers every consumer's):
it builds each route's request model, so the handlers need the bounds those models state, and nothing
else of the business rules. A rule module loaded for one constant brings all its classes into every cold
start (chalicelib/domain/input_limits.py)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RULE_MODULES = ("messages", "surveys", "return_analytics", "imports", "promotions", "vendor_ledger", "catalog",
                "orders", "events")


def test_import_app_loads_no_rule_module_for_a_bound():
    code = "import json, sys, app; print(json.dumps(sorted(m for m in sys.modules if m.startswith('chalicelib.'))))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-3000:]
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    assert sorted(loaded & {f"chalicelib.domain.{name}" for name in RULE_MODULES}) == []


def test_after_init_the_collector_walks_only_what_requests_create():
    # A full collection walks every tracked object; init's (modules, classes, validators) are permanent.
    code = "import gc, app; print(gc.get_freeze_count(), len(gc.get_objects()), int(gc.isenabled()))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-3000:]
    frozen, tracked, collecting = map(int, out.stdout.split())
    assert tracked < frozen / 10
    assert collecting == 1  # what requests create is still collected


def test_publishing_an_event_does_not_load_the_analytics_rules():
    # Every route that publishes (checkout, payments, returns...) loads the publisher on its first request.
    code = "import sys, chalicelib.events; print('chalicelib.domain.return_analytics' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                         env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stdout.strip() == "False"


def test_the_route_models_are_declared_with_real_annotations():
    # chalicelib/handlers/__init__.py: string annotations are compiled and evaluated field by field at init.
    deferred = [path.name for path in sorted((ROOT / "chalicelib" / "handlers").glob("*.py"))
                if "from __future__ import annotations" in path.read_text().splitlines()]
    assert deferred == []


def test_the_domain_events_compile_no_equality():
    # Every route that publishes loads the 36 event classes on its first request; nothing compares two events
    # (the outbox keeps them as JSON), and a frozen dataclass with `eq` compiles an __eq__ and a __hash__ each.
    from chalicelib.domain.events import EVENTS, DomainEvent

    comparing = [event.__name__ for event in (DomainEvent, *EVENTS) if "__eq__" in vars(event)]
    assert comparing == []


def test_every_dataclass_a_route_function_loads_says_what_it_is():
    # Python 3.12's @dataclass writes a class without a docstring one from inspect.signature (~0.1 ms a class);
    # a first checkout loads ~90 of them (the order aggregate, its effects, the events), so each states its own.
    # One process per function: a process serves one API app (chalicelib/entries/app_factory.py).
    first_requests = {"chalicelib.entries.checkout": ("chalicelib.services.checkout", "chalicelib.payments.stripe_gateway",
                                                      "chalicelib.auth.tokens", "chalicelib.store.order_repository"),
                      "chalicelib.entries.webhooks": ()}
    generated = []
    for entry, first_request in first_requests.items():
        code = ("import dataclasses, importlib, json, sys\n"
                f"for name in {(entry, *first_request)!r}:\n"
                "    importlib.import_module(name)\n"
                "generated = [f'{c.__module__}.{c.__qualname__}' for name, module in list(sys.modules.items())\n"
                "             if name.startswith('chalicelib') for c in vars(module).values()\n"
                "             if isinstance(c, type) and c.__module__ == name and dataclasses.is_dataclass(c)\n"
                "             and (c.__doc__ or '').startswith(c.__name__ + '(')]\n"
                "print(json.dumps(generated))")
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                             env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT)})
        assert out.returncode == 0, out.stderr[-3000:]
        generated += json.loads(out.stdout.strip().splitlines()[-1])
    assert generated == []


def test_an_event_class_reads_as_its_description():
    from chalicelib.domain.events import EVENTS

    assert [event.__name__ for event in EVENTS if event.__doc__ != event.description] == []
