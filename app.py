"""Halles: wires blueprints and middleware. Nothing else lives here."""

import gc

# Init builds what lives as long as the process (modules, classes, the routes' pydantic validators...):
# the collector's passes over it during init find next to nothing (~0.5% of the objects) and a full one
# costs ~40 ms. So it is off while init runs, and what init built then goes to the permanent generation
# (the pattern of the `gc.freeze` docs), so that no later collection walks it again either: without it,
# the imports of a first checkout triggered a full collection over the whole init heap (~20 ms).
gc.disable()

from chalice import Chalice  # noqa: E402

# The table layer nearly every invocation needs is loaded during init (when Lambda gives the
# function a full CPU) rather than on the first request. Use cases and the heavy modules of
# one route (stripe, JWT crypto, idempotency, batch) load on first use, inside the handlers.
import chalicelib.store.base  # noqa: E402, F401
from chalicelib.compression import compress_answers  # noqa: E402
from chalicelib.gateway_responses import answer_unrouted  # noqa: E402
from chalicelib.handlers import register_all  # noqa: E402

# Powertools' Logger owns the "halles" logger; Chalice's own handler on it would print every line twice.
app = Chalice(app_name="halles", configure_logs=False)
compress_answers(app)  # first: the outermost middleware, so it sees every answer as it leaves (chalicelib/compression.py)
register_all(app)
answer_unrouted(app)  # the HTTP API's `$default` route: any path no route matches (scripts/package.py)

gc.freeze()
gc.enable()
