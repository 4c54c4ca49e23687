"""Every Chalice blueprint of Halles, listed in one place (chalicelib/entries/app_factory.py registers them).

The handler modules declare the routes' pydantic models with real annotations, not
`from __future__ import annotations`: with strings, pydantic compiles and evaluates each field's
annotation when the class is created (~1,200 fields, all built by `import app`: ~10 ms of every
cold start).
"""

# module name -> URL prefix ("" for none). Each module exposes `bp` (a chalice Blueprint).
BLUEPRINTS = {
    "health": "",
    "middleware": "",
    "openapi": "",
    "auth": "",
    "notifications": "",
    "catalog": "",
    "vendor_catalog": "",
    "vendor_onboarding": "",
    "admin_vendors": "",
    "vendor_imports": "",
    "vendor_promotions": "",
    "product_images": "",
    "vendor_api_keys": "",
    "cart": "",
    "checkout": "",
    "orders": "",
    "payment_events": "",
    "schedules": "",
    "payment_methods": "",
    "addresses": "",
    "payouts": "",
    "vendor_orders": "",
    "webhooks": "",
    "vendor_money": "",
    "commissions": "",
    "returns": "",
    "return_schedules": "",
    "admin_adjustments": "",
    "me_notifications": "",
    "admin_refunds": "",
    "claims": "",  # claims and disputes (issue 9 item 3)
    "claim_schedules": "",
    "return_analytics": "",
    "messages": "",
    "surveys": "",  # satisfaction surveys (issue 10 item 4)
    "vendor_pages": "",  # public vendor pages (issue 11 item 3)
}

# Registered by chalicelib/entries/app_factory.py `api_app` (all of them for app.py, a few per route function).


# Every function's handler lives in this package (the API through app.py, each consumer and schedule
# directly), so each one registers the SnapStart hooks: priming before the snapshot, renewal after a
# restore (chalicelib/snapstart.py; a no-op unless Lambda initialises the environment for SnapStart).
from chalicelib import snapstart as _snapstart  # noqa: E402

_snapstart.install()
