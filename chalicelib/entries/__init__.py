"""The hot routes' own Lambda functions: one entry module each, and the registry the packager reads.

Chalice puts every route in one function (`APIHandler`, handler `app.app`), so its cold start pays for
every route's models, views and rules. The routes where a shopper or Stripe waits on a cold start get
functions of their own in the package (scripts/package.py `route_functions`): the same zip, a handler
whose module registers only that route's blueprints, and the HTTP API's integrations for those routes
pointed at it. Every other route, and `$default`, stays on `APIHandler`.

`api_app` (app_factory.py) is the only place an API app is built: app.py (every blueprint: `chalice local`, the tests
and the OpenAPI document serve all routes from it) and each entry module call it, so middleware
(compression, correlation ids, the one error shape, unrouted requests), authentication and CORS are
the same code in every function. It imports no blueprint it is not asked for: that is the point.

ROUTE_FUNCTIONS is read by the packager and the tests: SAM logical id -> its entry module. This package
imports nothing: Lambda imports it before the entry module, whose init runs with the collector paused
(chalicelib/init_heap.py); what this package imported would run before that.
"""


ROUTE_FUNCTIONS = {
    "WebhookHandler": "chalicelib.entries.webhooks",
    "CheckoutHandler": "chalicelib.entries.checkout",
}
