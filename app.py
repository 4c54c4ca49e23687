"""Halles: wires blueprints and middleware. Nothing else lives here."""

import gc

from chalice import Chalice

# The table layer nearly every invocation needs is loaded during init (when Lambda gives the
# function a full CPU) rather than on the first request. Use cases and the heavy modules of
# one route (stripe, JWT crypto, idempotency, batch) load on first use, inside the handlers.
import chalicelib.store.base  # noqa: F401
from chalicelib.compression import compress_answers
from chalicelib.gateway_responses import answer_unrouted
from chalicelib.handlers import register_all

# Powertools' Logger owns the "halles" logger; Chalice's own handler on it would print every line twice.
app = Chalice(app_name="halles", configure_logs=False)
compress_answers(app)  # first: the outermost middleware, so it sees every answer as it leaves (chalicelib/compression.py)
register_all(app)
answer_unrouted(app)  # the HTTP API's `$default` route: any path no route matches (scripts/package.py)

# What init built (modules, classes, the routes' pydantic validators...) lives as long as the process: the
# permanent generation keeps the collector from walking it again and again. Without this, the imports of
# a first checkout trigger a full collection over the whole init heap (~20 ms of its cold start).
gc.freeze()
