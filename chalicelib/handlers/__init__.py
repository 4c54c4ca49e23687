"""Every Chalice blueprint of Halles, registered in one place."""

from __future__ import annotations

import importlib

# The table layer nearly every invocation needs is loaded during init (when Lambda gives the
# function a full CPU), not on the first request; use cases and route-specific heavy modules
# (stripe, JWT crypto, idempotency, batch) still load on first use.
import chalicelib.store.base  # noqa: F401

# module name -> URL prefix ("" for none). Each module exposes `bp` (a chalice Blueprint).
BLUEPRINTS = {
    "health": "",
    "middleware": "",
    "openapi": "",
    "auth": "",
    "notifications": "",
    "catalog": "",
    "vendor_catalog": "",
    "cart": "",
    "checkout": "",
    "orders": "",
    "payment_events": "",
    "schedules": "",
    "payment_methods": "",
    "addresses": "",
    "payouts": "",
    "webhooks": "",
}


def register_all(app) -> None:
    for module_name, prefix in BLUEPRINTS.items():
        module = importlib.import_module(f"chalicelib.handlers.{module_name}")
        app.register_blueprint(module.bp, url_prefix=prefix or None)
