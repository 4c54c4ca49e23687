"""Cold starts per route (`python -m scripts.bench cold_routes`), registered in scripts/bench.py's registry.

On Lambda the first request of a fresh container pays for its function's init AND for everything that
request imports lazily (the payment SDK, JWT crypto, the idempotency layer...). `cold_start_ratio`
only sees `import app`. The routes here run in functions of their own (chalicelib/entries: `FUNCTIONS`),
whose init imports their entry module, not app.py. For each route:

1. a child process (`python -m scripts.bench_cold record <route>`) builds the in-process stack the
   component tests use (moto's `mock_aws`, infra/ deployed, the local payment provider), places
   whatever the route needs (a cart; for the webhook, a paid order), then empties the app's caches
   (`functools.lru_cache`s of chalicelib, PynamoDB's connections) and runs the route ONCE, through its
   entry module's app (imported first: see `record`), while an
   import recorder watches: every `import` statement and `importlib.import_module` call executed by
   the app's code (stacks that run through moto, the test fixtures or devstack are ignored: on
   Lambda they do not exist). An `import` of an already loaded module is recorded too, so what the
   set-up loaded first is not lost.
2. the figure is the median wall time of a fresh interpreter importing the route's entry module and then
   every recorded module (in the order they were first recorded), over the floor of
   `cold_start_ratio` (same statement, same interleaving: floor, app, checkout, webhook each round).

Where it stands (README, "Cold starts per route"): the webhook is under the 1.25 target (~1.07); checkout
is not (~2.2-2.4): what it loads is its own work (the order aggregate's rules and events, PyJWT's RS256
through `cryptography`, Stripe's SDK with `requests` and `asyncio`), which SnapStart moves into the snapshot.

With SnapStart (README, "SnapStart") those imports happen before the snapshot instead, primed by
chalicelib/snapstart.py. `snapstart_<route>_unprimed_modules` counts the recorded modules a fresh
interpreter initialised as Lambda's SnapStart does (`import app` then the before-snapshot hook, with a
stand-in `snapshot_restore_py`) still has not loaded: what a restored environment's first request of that
route would import (target 0). `snapstart_prime_ms` is the before-snapshot hook (paid once per published
version, by no shopper) and `snapstart_renew_ms` the after-restore hook (added to every restore).

What it does not cover: what a first request does besides importing (botocore loading its JSON
service models, the first TLS handshakes, SSM parameter reads); Lambda's own init (runtime start,
bundle download); work a route does lazily without an `import` statement (e.g. a module-level
`__getattr__` that caches into its globals after the set-up already used it).
"""

from __future__ import annotations

import builtins
import functools
import gc
import importlib
import json
import statistics
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator

from scripts.bench_host import running_bench
from scripts.function_access import served_blueprints

ROUTES = ("checkout", "webhook")
# The function serving each route in AWS (scripts/package.py, chalicelib/entries): its handler's module is what a
# cold start of that route imports, not app.py.
FUNCTIONS = {"checkout": "CheckoutHandler", "webhook": "WebhookHandler"}
# Frames of these packages are the harness, not the app: imports made under them are not recorded.
HARNESS = ("moto", "responses", "werkzeug", "tests", "devstack", "scripts", "pytest", "_pytest", "xmltodict",
           "jose", "joserfc", "flask", "cfn_lint", "chalice.test", "chalice.local", "__main__", "importlib",
           "threading", "socketserver", "http.server")


# ---- the child: run a route once and record what it imports ---------------------------------------


def _is_harness(module_name: str) -> bool:
    return any(module_name == h or module_name.startswith(h + ".") for h in HARNESS)


class ImportRecorder:
    """Every module the app's code imports while active, in first-seen order."""

    def __init__(self):
        self.modules: dict[str, None] = {}
        self.active = False
        self._import = builtins.__import__
        self._import_module = importlib.import_module

    def _app_code(self, frame) -> bool:
        # The importer and every caller up the stack (on this thread) must be outside the harness, up to
        # the request's entry (chalice.local / chalice.test / __main__ start it: the walk stops at the first).
        while frame is not None:
            name = frame.f_globals.get("__name__", "")
            if name.startswith(("chalice.local", "chalice.test", "__main__")):
                return True
            if _is_harness(name):
                return False
            frame = frame.f_back
        return True

    def _record(self, absolute: str, fromlist=()) -> None:
        if not absolute:
            return
        parts = absolute.split(".")
        for i in range(1, len(parts) + 1):  # `import a.b.c` imports a, a.b and a.b.c
            self.modules.setdefault(".".join(parts[:i]))
        for item in fromlist or ():
            if isinstance(item, str) and item != "*" and f"{absolute}.{item}" in sys.modules:
                self.modules.setdefault(f"{absolute}.{item}")

    def install(self) -> None:
        recorder = self

        def recording_import(name, globals=None, locals=None, fromlist=(), level=0):
            module = recorder._import(name, globals, locals, fromlist, level)
            if recorder.active and threading.current_thread() is threading.main_thread():
                frame = sys._getframe(1)
                if recorder._app_code(frame):
                    if level:
                        package = (globals or {}).get("__package__") or ""
                        base = package.rsplit(".", level - 1)[0] if level > 1 else package
                        absolute = f"{base}.{name}" if name else base
                    else:
                        absolute = name
                    recorder._record(absolute, fromlist)
            return module

        def recording_import_module(name, package=None):
            module = recorder._import_module(name, package)
            if recorder.active and threading.current_thread() is threading.main_thread():
                if recorder._app_code(sys._getframe(1)):
                    recorder._record(module.__name__)
            return module

        builtins.__import__ = recording_import
        importlib.import_module = recording_import_module


def _forget_warm_state() -> None:
    """What a fresh container has not built yet: the app's cached clients/settings, PynamoDB connections."""
    for obj in gc.get_objects():
        if isinstance(obj, functools._lru_cache_wrapper) and getattr(obj, "__module__", "").startswith("chalicelib"):
            obj.cache_clear()
    from pynamodb.models import Model

    stack = [Model]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if "_connection" in vars(cls):
            cls._connection = None


def entry_module(route: str) -> str:
    from chalicelib.entries import ROUTE_FUNCTIONS

    return ROUTE_FUNCTIONS[FUNCTIONS[route]]


def record(route: str) -> list[str]:
    recorder = ImportRecorder()
    recorder.install()
    from chalice.test import Client

    # The route's own function first: Chalice pops a blueprint's route options when it first registers it,
    # so the entry must register its blueprints before app.py's app does (whose copy of this route is then
    # unusable: only the set-up's other routes go through app.py).
    entry = importlib.import_module(entry_module(route))
    # app.py's app is only the set-up's (cart, payment): api_app refuses a second app in one process, which
    # this recording process knowingly builds (see above and below).
    from chalicelib.entries import app_factory

    app_factory._REGISTERED.clear()
    import app as halles
    from scripts.bench_checkout import _client_call, _component_user, _quiet
    from tests.fixtures.addresses import checkout_body
    from tests.fixtures.catalog import build_catalog, module_stack
    from tests.fixtures.payments import local_payment_provider

    with _quiet(), module_stack(), local_payment_provider() as provider, Client(halles.app, stage_name="dev") as client:
        catalog = build_catalog(_component_user("vendor", "Alpine Cold"), _component_user("vendor", "Bytes Cold"))
        shopper = _component_user("shopper")
        for offer_id in (catalog.offers[("tent", "a")], catalog.offers[("headphones", "b")]):
            status, body = _client_call(client, "PUT", f"/cart/lines/{offer_id}", shopper, {"quantity": 1})
            assert status == 200, body

        def checkout():
            return _client_call(client, "POST", "/checkout", shopper, checkout_body(),
                                {"Idempotency-Key": uuid.uuid4().hex})

        served = Client(entry.app, stage_name="dev")
        for module_name in entry.BLUEPRINTS:  # app.py registered them last: requests now go to the route's function
            importlib.import_module(f"chalicelib.handlers.{module_name}").bp._current_app = entry.app
        if route == "checkout":
            _forget_warm_state()
            recorder.active = True
            status, placed = _client_call(served, "POST", "/checkout", shopper, checkout_body(),
                                          {"Idempotency-Key": uuid.uuid4().hex})
            recorder.active = False
            assert status == 201, placed
        else:
            status, placed = checkout()
            assert status == 201, placed
            deliveries = []
            provider.webhook_target = lambda body, headers: deliveries.append((body, headers)) or 200
            provider.complete_payment(placed["payment"]["payment_intent_id"])
            provider.deliver_webhooks()
            body, headers = next((b, h) for b, h in deliveries if b"payment_intent.succeeded" in b)
            _forget_warm_state()
            recorder.active = True
            response = served.http.post("/webhooks/stripe", body=body, headers=headers)
            recorder.active = False
            assert response.status_code == 200, response.body
    return [m for m in recorder.modules if not _is_harness(m) and m not in ("app", entry.__name__)]


# ---- the parent: interleaved fresh interpreters ---------------------------------------------------


def recorded_modules(route: str) -> list[str]:
    bench = running_bench()
    out = subprocess.run([bench.python(), "-m", "scripts.bench_cold", "record", route], cwd=bench.ROOT,
                         env=bench.child_environment(), capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench: recording the first {route} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def route_statement(entry: str, modules: list[str]) -> str:
    return f"import {entry}, importlib; [importlib.import_module(m) for m in {modules!r}]"


def importable(entry: str, modules: list[str]) -> list[str]:
    """The recorded names a fresh interpreter can import after the entry module (drops e.g. aliases)."""
    bench = running_bench()
    code = (f"import {entry}, importlib, json, sys\nok = []\n"
            f"for m in {modules!r}:\n"
            "    try:\n        importlib.import_module(m); ok.append(m)\n"
            "    except Exception:\n        pass\n"
            "print(json.dumps(ok))")
    out = subprocess.run([bench.python(), "-c", code], cwd=bench.ROOT, env=bench.child_environment(),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _new_beyond_entry(entry: str, modules: list[str]) -> list[str]:
    """The recorded modules importing the entry module alone does not load."""
    bench = running_bench()
    code = f"import {entry}, json, sys; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([bench.python(), "-c", code], cwd=bench.ROOT, env=bench.child_environment(),
                         capture_output=True, text=True, check=True)
    loaded = set(json.loads(out.stdout.strip().splitlines()[-1]))
    return [m for m in modules if m not in loaded]


SNAPSTART_INIT = """
import json, sys, time, types
hooks = types.ModuleType("snapshot_restore_py")
hooks.before, hooks.after = [], []
hooks.register_before_snapshot, hooks.register_after_restore = hooks.before.append, hooks.after.append
sys.modules["snapshot_restore_py"] = hooks
import importlib
importlib.import_module(sys.argv[1])
started = time.perf_counter()
failed = [hook() for hook in hooks.before]
primed = time.perf_counter()
loaded = sorted(sys.modules)
for hook in hooks.after:
    hook()
renewed = time.perf_counter()
print(json.dumps({"hooks": [len(hooks.before), len(hooks.after)], "failed": failed, "loaded": loaded,
                  "prime_ms": (primed - started) * 1000, "renew_ms": (renewed - primed) * 1000}))
"""


def snapstart_init(entry: str = "app") -> dict:
    """A fresh interpreter initialised for SnapStart (Lambda importing `entry`): what the hooks took and what the
    snapshot holds."""
    bench = running_bench()
    env = {**bench.child_environment(), "AWS_LAMBDA_INITIALIZATION_TYPE": "snap-start", "AWS_REGION": "eu-west-1"}
    out = subprocess.run([bench.python(), "-c", SNAPSTART_INIT, entry], cwd=bench.ROOT, env=env,
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise SystemExit(f"bench: a SnapStart init failed:\n{out.stderr[-3000:]}")
    init = json.loads(out.stdout.strip().splitlines()[-1])
    if init["hooks"] != [1, 1]:
        raise SystemExit(f"bench: {entry} registered {init['hooks']} SnapStart hooks (before, after), not one of each")
    return init


def snapstart_figures(options, modules_by_route: dict[str, list[str]]) -> Iterator:
    bench = running_bench()
    inits = {route: [snapstart_init(entry_module(route)) for _ in range(max(1, options.rounds // 3))]
             for route in ROUTES}
    unprimed = {route: [m for m in modules if m not in set(inits[route][0]["loaded"])]
                for route, modules in modules_by_route.items()}
    for route in ROUTES:
        yield bench.Figure(f"snapstart_{route}_unprimed_modules", len(unprimed[route]), "", digits=0)
    every = [init for route in ROUTES for init in inits[route]]
    yield bench.Figure("snapstart_prime_ms", statistics.median(i["prime_ms"] for i in every), "ms")
    yield bench.Figure("snapstart_renew_ms", statistics.median(i["renew_ms"] for i in every), "ms")
    if options.why:
        for route in ROUTES:
            print(f"first {route} after a SnapStart restore still imports: {', '.join(unprimed[route]) or 'nothing'}",
                  file=sys.stderr)
        for route in ROUTES:
            if inits[route][0]["failed"] != [[]]:
                print(f"SnapStart priming failures ({route}): {inits[route][0]['failed']}", file=sys.stderr)


# Times each pydantic class `import app` creates and sorts them by side: parsing requests (a route's
# body or query, and what they nest) or answers only (a route's `response` and what it nests; some
# views validate their answer with it, the others return a dict and the class only describes it in
# the OpenAPI document).
MODEL_CREATION = """
import gc, json, time, typing
gc.disable()
import pydantic._internal._model_construction as construction
create, cost = construction.ModelMetaclass.__new__, {}
def timed(mcs, name, bases, namespace, *args, **kwargs):
    started = time.perf_counter()
    model = create(mcs, name, bases, namespace, *args, **kwargs)
    cost[model] = time.perf_counter() - started
    return model
construction.ModelMetaclass.__new__ = timed
import app
from chalicelib.api import ROUTES
def reach(model, into):
    if model in into:
        return
    into.add(model)
    pending = [b for b in model.__mro__[1:] if b in cost] + [f.annotation for f in model.model_fields.values()]
    while pending:
        annotation = pending.pop()
        if annotation in cost:
            reach(annotation, into)
        else:
            pending.extend(typing.get_args(annotation))
requests, answers = set(), set()
for spec in ROUTES:
    for model in (spec.body, spec.query):
        if model:
            reach(model, requests)
    if spec.response:
        reach(spec.response, answers)
def total(models):
    return [len(models), round(sum(cost[m] for m in models) * 1000, 1)]
print(json.dumps({"all": total(set(cost)), "requests": total(requests), "answers_only": total(answers - requests)}))
"""


def model_creation_split() -> dict:
    """{"all" | "requests" | "answers_only": [models, ms]} of the pydantic classes `import app` creates."""
    bench = running_bench()
    out = subprocess.run([bench.python(), "-c", MODEL_CREATION], cwd=bench.ROOT, env=bench.child_environment(),
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def cold_route_figures(options) -> Iterator:
    bench = running_bench()
    statements = {"floor": bench.FLOOR_IMPORTS, "app": bench.APP_IMPORTS}
    explained = {}
    recorded = {}
    for route in ROUTES:
        entry = entry_module(route)
        modules = recorded[route] = importable(entry, recorded_modules(route))
        statements[route] = route_statement(entry, modules)
        explained[route] = _new_beyond_entry(entry, modules)
    for statement in statements.values():  # warm-up: bytecode caches written before any measured round
        bench.timed_import_ms(statement)
    timings: dict[str, list[float]] = {name: [] for name in statements}
    for _ in range(options.rounds):
        for name, statement in statements.items():
            timings[name].append(bench.timed_import_ms(statement))
    medians = {name: statistics.median(values) for name, values in timings.items()}
    for route in ROUTES:
        yield bench.Figure(f"cold_{route}_import_ms", medians[route], "ms")
    yield bench.Figure("cold_routes_floor_ms", medians["floor"], "ms")
    for route in ROUTES:
        yield bench.Figure(f"cold_{route}_ratio", medians[route] / medians["floor"], "", digits=2)
    yield from snapstart_figures(options, recorded)
    if options.why:
        for route in ROUTES:
            entry = entry_module(route)
            print(f"first {route} imports beyond `import {entry}` ({len(explained[route])} modules): "
                  f"{', '.join(explained[route])}", file=sys.stderr)
            blueprints = served_blueprints(entry)  # not imported here: see record()
            print(bench.explain_imports(route_statement(entry, explained[route]), label=f"first {route}",
                                        blueprints=blueprints), file=sys.stderr)
        split = model_creation_split()
        print(f"`import app` creates {split['all'][0]} pydantic models ({split['all'][1]} ms): "
              f"{split['requests'][0]} parse requests ({split['requests'][1]} ms), "
              f"{split['answers_only'][0]} are answers' only "
              f"({split['answers_only'][1]} ms)", file=sys.stderr)


if __name__ == "__main__":  # the child of `recorded_modules`
    import scripts.bench  # noqa: F401  (first: it imports the other bench modules in their order)
    print(json.dumps(record(sys.argv[2])))
else:
    running_bench().benchmark("cold_routes")(cold_route_figures)
