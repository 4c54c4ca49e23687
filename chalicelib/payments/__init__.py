"""Payment providers behind one port (`PaymentGateway`).

`get_gateway()` is how use cases get the provider: the Stripe adapter, configured from
settings. Against real Stripe it needs `STRIPE_SECRET_KEY`; the local stack sets that key and
`STRIPE_API_BASE` to its local provider (devstack/localpay), a Stripe-compatible server, so the
same adapter runs everywhere. Neither this module nor the adapter imports `stripe` until a
payment call is actually made.
"""

from __future__ import annotations

from functools import lru_cache

from chalicelib.payments.port import PaymentError, PaymentGateway, PaymentIntent, SavedCard
from chalicelib.settings import get_settings

__all__ = ["PaymentError", "PaymentGateway", "PaymentIntent", "SavedCard", "get_gateway"]


def get_gateway() -> PaymentGateway:
    """The configured provider (one instance per key and API base, so connections are reused)."""
    settings = get_settings()
    if not settings.stripe_secret_key:
        raise PaymentError(
            "Payments are not configured: set STRIPE_SECRET_KEY (a Stripe test key sk_test_... for development), "
            "or run the local stack (`python -m devstack run`), which starts the local payment provider and sets "
            "STRIPE_SECRET_KEY and STRIPE_API_BASE for you.",
            code="payments_not_configured",
            retryable=False,
            status=503,
        )
    return _gateway(settings.stripe_secret_key, settings.stripe_api_base)


@lru_cache(maxsize=4)
def _gateway(secret_key: str, api_base: str | None) -> PaymentGateway:
    from chalicelib.payments.stripe_gateway import StripeGateway

    return StripeGateway(secret_key, api_base=api_base)
