"""The `CheckoutHandler` function (handler `chalicelib.entries.checkout.app`): POST /checkout.

Placing the order and creating its PaymentIntent is the request a shopper waits on with the card in
hand: this function loads that route and the middleware every route has, not the other routes
(chalicelib/entries/__init__.py).
"""

from chalicelib.init_heap import built_once

# The blueprints this function serves (scripts/function_access.py reads this literal to walk its imports).
BLUEPRINTS = ("middleware", "checkout")

with built_once():  # no garbage collection while init builds what lasts as long as the process (init_heap.py)
    from chalicelib.entries.app_factory import api_app

    app = api_app(BLUEPRINTS)
