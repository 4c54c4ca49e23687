"""A shopper's saved cards: the cards attached to their customer at the payment provider.

The customer is created at the shopper's first checkout (its id is on the shopper record);
before that there is nothing saved. A card is only ever removed from the caller's own
customer: another shopper's card id answers exactly like an unknown one (404).
"""

from __future__ import annotations

from chalicelib.domain.errors import NotFound
from chalicelib.payments.port import PaymentGateway
from chalicelib.store import shoppers as shopper_store


def _gateway(gateway: PaymentGateway | None) -> PaymentGateway:
    if gateway is not None:
        return gateway
    from chalicelib.payments import get_gateway

    return get_gateway()


def list_cards(shopper_id: str, *, gateway: PaymentGateway | None = None) -> dict:
    customer_id = shopper_store.get_shopper_customer_id(shopper_id)
    if not customer_id:
        return {"items": []}
    cards = _gateway(gateway).list_cards(customer_id)
    return {"items": [
        {"id": c.id, "brand": c.brand, "last4": c.last4, "exp_month": c.exp_month, "exp_year": c.exp_year}
        for c in cards
    ]}


def remove_card(shopper_id: str, payment_method_id: str, *, gateway: PaymentGateway | None = None) -> None:
    not_found = NotFound("No such saved card.", fields={"pm_id": "not found"})
    customer_id = shopper_store.get_shopper_customer_id(shopper_id)
    if not customer_id:
        raise not_found
    from chalicelib.payments.port import PaymentError

    try:
        # The gateway checks the card belongs to this customer before detaching it (404 otherwise).
        _gateway(gateway).detach_card(customer_id, payment_method_id)
    except PaymentError as err:
        if err.status == 404:
            raise not_found from err
        raise
