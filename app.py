"""Halles: the API function serving every route (`APIHandler`). Nothing else lives here.

`chalice local`, the tests and the OpenAPI document serve all routes from this app. In AWS the hot
routes (the Stripe webhooks, checkout) are served by functions of their own built by the same
`api_app` (chalicelib/entries/__init__.py); this one serves the rest and `$default`.
"""

from chalicelib.init_heap import built_once

with built_once():  # no garbage collection while init builds what lasts as long as the process (its docstring)
    from chalicelib.entries.app_factory import api_app
    from chalicelib.handlers import BLUEPRINTS

    app = api_app(BLUEPRINTS)
