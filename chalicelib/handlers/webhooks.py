"""Stripe's webhooks: the platform endpoint and the Connect endpoint, each with its own secret.

Public routes (Stripe authenticates with the signature, not a token). The raw body is what the
signature covers, so the view hands `req.raw_body` to the use case untouched; the use case
verifies, deduplicates, enqueues and answers fast (the consumer does the work).
"""

from chalice import Blueprint

from chalicelib.api import route
from chalicelib.services.webhooks import WebhookAck

bp = Blueprint(__name__)

TAGS = ("webhooks",)
ERRORS = (400, 409, 500)


@route(bp, "/webhooks/stripe", "POST", response=WebhookAck, tags=TAGS, errors=ERRORS,
       summary="Stripe events of the platform account (signed with STRIPE_WEBHOOK_SECRET)")
def stripe_webhook(req):
    return _receive(req, "platform")


@route(bp, "/webhooks/stripe/connect", "POST", response=WebhookAck, tags=TAGS, errors=ERRORS,
       summary="Stripe events of connected accounts (signed with STRIPE_CONNECT_WEBHOOK_SECRET)")
def stripe_connect_webhook(req):
    return _receive(req, "connect")


def _receive(req, endpoint: str):
    from chalicelib.services import webhooks

    return webhooks.receive(endpoint, req.raw_body, req.header("Stripe-Signature"))
