"""Shoppers' payment identity (their Stripe customer id), and the claims that keep order numbers unique."""

from __future__ import annotations

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from chalicelib.store.base import bind, register


@register
class ShopperModel(Model):
    class Meta:
        short_name = "shoppers"

    shopper_id = UnicodeAttribute(hash_key=True)
    stripe_customer_id = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    # Order numbers are claimed here, one item per number (`order-number#H-2611-482319` -> order id), put
    # only where none exists: a small keyed table already read by checkout, no table of its own.
    order_id = UnicodeAttribute(null=True)


def number_key(order_number: str) -> str:
    """The key of an order number's claim item in the shoppers table (see ShopperModel.order_id)."""
    return f"order-number#{order_number}"


def get_shopper_customer_id(shopper_id: str) -> str | None:
    bind()
    try:
        return ShopperModel.get(shopper_id, consistent_read=True).stripe_customer_id
    except ShopperModel.DoesNotExist:
        return None
