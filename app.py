"""Halles: wires blueprints and middleware. Nothing else lives here."""

from chalicelib.init_heap import built_once

with built_once():  # no garbage collection while init builds what lasts as long as the process (its docstring)
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
    compress_answers(app)  # first: the outermost middleware, so it sees every answer as it leaves (compression.py)
    register_all(app)
    answer_unrouted(app)  # the HTTP API's `$default` route: any path no route matches (scripts/package.py)
