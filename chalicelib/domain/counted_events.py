"""The published events return analytics count: one home for the consumer's filter
(chalicelib/domain/return_analytics.py) and the publisher's routing to the analytics queue
(chalicelib/events.py). Apart from the analytics rules, so that every route publishing an event does
not load them (~8 ms of a first checkout).
"""

from __future__ import annotations

# The published events the analytics consumer counts (sales, cancelled sales, every step of a return).
SALE_EVENT_TYPES = frozenset({"order.paid", "order.line_cancelled"})
RETURN_EVENT_TYPES = frozenset({"return.requested", "return.approved", "return.rejected", "return.shipped_back",
                                "return.received", "return.refunded", "return.escalated",
                                "refund.failed"})  # a return's refund failed after all: its state changed
COUNTED_EVENT_TYPES = SALE_EVENT_TYPES | RETURN_EVENT_TYPES
