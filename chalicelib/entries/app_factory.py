"""`api_app`: the one way an API app (app.py's, each route function's) is built (chalicelib/entries/__init__.py)."""

from __future__ import annotations

import importlib
from collections.abc import Iterable

from chalice import Chalice

# The table layer nearly every invocation needs is loaded during init (when Lambda gives the function a
# full CPU) rather than on the first request. Use cases and the heavy modules of one route (stripe, JWT
# crypto, idempotency, batch) load on first use, inside the handlers.
import chalicelib.store.base  # noqa: F401
from chalicelib.compression import compress_answers
from chalicelib.gateway_responses import answer_unrouted
from chalicelib.handlers import BLUEPRINTS

# Blueprints registered by an api_app of this process. Chalice cannot serve one blueprint from two apps: the
# second silently gets GET-only routes without CORS, and the blueprint's current request points at the last
# app. One API app per process (app.py's in `chalice local` and the tests, an entry's in its function).
_REGISTERED: set[str] = set()


def api_app(blueprints: Iterable[str]) -> Chalice:
    """A Chalice app serving the named blueprints of chalicelib.handlers (BLUEPRINTS' names), with every
    app-level middleware. Blueprints register in BLUEPRINTS' order whatever the caller's, so middleware
    runs in the same order in every function."""
    wanted = set(blueprints)
    unknown = wanted - set(BLUEPRINTS)
    if unknown:
        raise ValueError(f"no blueprint module(s) {sorted(unknown)} in chalicelib.handlers.BLUEPRINTS")
    twice = wanted & _REGISTERED
    if twice:
        raise RuntimeError(f"blueprint(s) {sorted(twice)} already serve another app in this process: "
                           "import app.py or one entry module (chalicelib.entries), never both")
    _REGISTERED.update(wanted)
    # Powertools' Logger owns the "halles" logger; Chalice's own handler on it would print every line twice.
    app = Chalice(app_name="halles", configure_logs=False)
    compress_answers(app)  # first: the outermost middleware, so it sees every answer as it leaves (compression.py)
    for module_name, prefix in BLUEPRINTS.items():
        if module_name in wanted:
            module = importlib.import_module(f"chalicelib.handlers.{module_name}")
            app.register_blueprint(module.bp, url_prefix=prefix or None)
    answer_unrouted(app)  # the HTTP API's `$default` route: any path no route matches (scripts/package.py)
    return app
