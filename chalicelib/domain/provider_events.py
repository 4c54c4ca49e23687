"""The provider (Stripe) event types the platform acts on: the payment-events consumer routes these
(chalicelib/services/payment_events.py), and the webhook endpoint takes only these
(chalicelib/services/webhooks.py). An event of another type (`charge.succeeded`,
`transfer.created`... when the endpoint is subscribed to more than it needs) is acknowledged there
and neither recorded nor queued: the consumer would only have acknowledged it too, after a claim,
a mark, a message and an invocation billed for nothing.
"""

from __future__ import annotations

PAYMENT_INTENT_EVENTS = frozenset({
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "payment_intent.processing",
    "payment_intent.requires_action",
})
REFUND_EVENTS = frozenset({"charge.refunded"})
# A refund's own status moved (pending -> succeeded, or failed after it was made): chalicelib/services/refund_events.py.
REFUND_OBJECT_EVENTS = frozenset({"refund.updated", "refund.failed"})
# A vendor's connected account changed (chalicelib/services/onboarding.py).
ACCOUNT_EVENTS = frozenset({"account.updated", "capability.updated", "account.application.deauthorized"})
DISPUTE_EVENTS = frozenset({
    "charge.dispute.created",
    "charge.dispute.updated",
    "charge.dispute.closed",
    "charge.dispute.funds_withdrawn",
    "charge.dispute.funds_reinstated",
})
HANDLED_EVENTS = PAYMENT_INTENT_EVENTS | REFUND_EVENTS | REFUND_OBJECT_EVENTS | ACCOUNT_EVENTS | DISPUTE_EVENTS
