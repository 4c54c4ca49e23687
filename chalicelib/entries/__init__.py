"""The Lambda functions that serve HTTP routes, and the one function that builds each one's Chalice app.

Chalice puts every route in one function (`APIHandler`, handler `app.app`), so its cold start pays for
every route's models, views and rules. The routes where a shopper or Stripe waits on a cold start get
functions of their own in the package (scripts/package.py `route_functions`): the same zip, a handler
whose module registers only that route's blueprints, and the HTTP API's integrations for those routes
pointed at it. Every other route, and `$default`, stays on `APIHandler`.

`api_app` is the only place an API app is built: app.py (every blueprint: `chalice local`, the tests
and the OpenAPI document serve all routes from it) and each entry module call it, so middleware
(compression, correlation ids, the one error shape, unrouted requests), authentication and CORS are
the same code in every function. It imports no blueprint it is not asked for: that is the point.

ROUTE_FUNCTIONS is read by the packager and the tests: SAM logical id -> its entry module.
"""

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

ROUTE_FUNCTIONS = {
    "WebhookHandler": "chalicelib.entries.webhooks",
    "CheckoutHandler": "chalicelib.entries.checkout",
}


def api_app(blueprints: Iterable[str]) -> Chalice:
    """A Chalice app serving the named blueprints of chalicelib.handlers (BLUEPRINTS' names), with every
    app-level middleware. Blueprints register in BLUEPRINTS' order whatever the caller's, so middleware
    runs in the same order in every function."""
    wanted = set(blueprints)
    unknown = wanted - set(BLUEPRINTS)
    if unknown:
        raise ValueError(f"no blueprint module(s) {sorted(unknown)} in chalicelib.handlers.BLUEPRINTS")
    # Powertools' Logger owns the "halles" logger; Chalice's own handler on it would print every line twice.
    app = Chalice(app_name="halles", configure_logs=False)
    compress_answers(app)  # first: the outermost middleware, so it sees every answer as it leaves (compression.py)
    for module_name, prefix in BLUEPRINTS.items():
        if module_name in wanted:
            module = importlib.import_module(f"chalicelib.handlers.{module_name}")
            app.register_blueprint(module.bp, url_prefix=prefix or None)
    answer_unrouted(app)  # the HTTP API's `$default` route: any path no route matches (scripts/package.py)
    return app
