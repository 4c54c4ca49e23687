"""The `WebhookHandler` function (handler `chalicelib.entries.webhooks.app`): Stripe's two webhook routes.

Stripe retries a webhook that times out and a cold start is on its clock: this function loads the
webhook route and the middleware every route has, not the other routes (chalicelib/entries/__init__.py).
"""

from chalicelib.init_heap import built_once

# The blueprints this function serves (scripts/function_access.py reads this literal to walk its imports).
BLUEPRINTS = ("middleware", "webhooks")

with built_once():  # no garbage collection while init builds what lasts as long as the process (init_heap.py)
    from chalicelib.entries.app_factory import api_app

    app = api_app(BLUEPRINTS)
