"""The local payment provider: a small Stripe-compatible server for the local stack and the tests.

It plays Stripe's part honestly so that `StripeGateway` (the official SDK) runs unchanged
against it: the API surface Halles uses (customers, payment intents, payment methods, refunds,
transfers and their reversals, disputes, balances, Connect accounts and links, events), test cards that behave as in Stripe's test
mode (declines that can be retried, 3-D Secure challenges, `processing`), a payment page for shoppers, and Stripe-shaped events signed exactly as Stripe signs
them and delivered with retries to the webhook endpoints.

    provider = LocalPaymentProvider(webhook_secret="whsec_...", deliver="http://127.0.0.1:8000/webhooks/stripe")
    provider.start("127.0.0.1", 12111)
    os.environ.update(provider.environment())   # STRIPE_SECRET_KEY, STRIPE_API_BASE, STRIPE_WEBHOOK_SECRET, ...
"""

from devstack.localpay.delivery import Attempt, sign
from devstack.localpay.server import (
    DEFAULT_API_KEY,
    DEFAULT_ENABLED_EVENTS,
    DEFAULT_PUBLISHABLE_KEY,
    LocalPaymentProvider,
    submit_payment_page,
)

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_ENABLED_EVENTS",
    "DEFAULT_PUBLISHABLE_KEY",
    "Attempt",
    "LocalPaymentProvider",
    "sign",
    "submit_payment_page",
]
