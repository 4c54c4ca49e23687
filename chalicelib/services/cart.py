"""Cart and quote use cases.

A cart line keeps a snapshot of the offer's terms when the shopper last set its quantity;
checkout charges the snapshot and its transaction refuses if the offer no longer matches.
So the cart view and the quote always compare the snapshot with the offer's current terms
and list every difference in `changes`: setting the line's quantity again accepts the new
terms (the snapshot is refreshed).

The use cases read and write through ports (chalicelib/domain/ports.py: CartRepository, CartCatalog);
without them they use the DynamoDB adapters (chalicelib/services/wiring.py).
"""

from __future__ import annotations

from chalicelib.domain.cart_changes import LineTerms, OfferNow
from chalicelib.domain.cart_changes import line_changes as changes_since
from chalicelib.domain.charge_limits import ensure_chargeable
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.limits import MAX_LINE_QUANTITY, check_line_count, check_quantity
from chalicelib.domain.money import Money
from chalicelib.domain.ports import CartCatalog, CartRepository, OrderRepository
from chalicelib.domain.pricing import PricedLine, PricingPolicy, price_cart
from chalicelib.domain.timestamps import now_iso
from chalicelib.settings import get_settings
from chalicelib.store import carts as cart_store


def pricing_policy() -> PricingPolicy:
    settings = get_settings()
    return PricingPolicy(
        currency=settings.currency,
        vat_rates_bps=settings.vat_rates_bps,
        service_fee=settings.service_fee,
        commission_bps=settings.commission_bps,
    )


def _money(amount: int, currency: str) -> dict:
    return Money(int(amount), currency).to_json()


def line_changes(line: cart_store.CartLine, offer) -> list[dict]:
    """What differs between the snapshot and the offer now (empty when checkout would pass)."""
    now = None if offer is None else OfferNow(price=int(offer.price), shipping_fee=int(offer.shipping_fee),
                                              available=int(offer.available), currency=offer.currency)
    return changes_since(LineTerms(offer_id=line.offer_id, quantity=line.quantity, price=line.price,
                                   shipping_fee=line.shipping_fee, currency=line.currency), now)


def _line_view(line: cart_store.CartLine, offer, vendor_names: dict[str, str]) -> dict:
    currency = offer.currency if offer is not None else line.currency
    price = int(offer.price) if offer is not None else line.price
    shipping = int(offer.shipping_fee) if offer is not None else line.shipping_fee
    available = max(int(offer.available), 0) if offer is not None else 0
    return {
        "offer_id": line.offer_id,
        "product_id": line.product_id,
        "vendor_id": line.vendor_id,
        "vendor_name": vendor_names.get(line.vendor_id, ""),
        "title": line.title,
        "condition": offer.condition if offer is not None else line.condition,
        "quantity": line.quantity,
        "unit_price": _money(price, currency),
        "shipping_fee": _money(shipping, currency),
        "subtotal": _money(price * line.quantity, currency),
        "available": available,
        "in_stock": available > 0,
        "max_quantity": min(MAX_LINE_QUANTITY, available),
    }


def _ports(carts: CartRepository | None, catalog: CartCatalog | None) -> tuple[CartRepository, CartCatalog]:
    from chalicelib.services import wiring

    return carts or wiring.cart_repository(), catalog or wiring.cart_catalog()


class _WithOwnHold:
    """An offer as this cart sees it: the units its own unpaid order holds are still its to buy."""

    def __init__(self, offer, held: int):
        self._offer = offer
        self.available = int(offer.available) + held

    def __getattr__(self, name: str):
        return getattr(self._offer, name)


def _held_by_own_order(cart: cart_store.Cart, orders: OrderRepository | None) -> dict[str, int]:
    """Units per offer that the cart's unpaid order reserves (Back + Pay resumes that order).

    Without this, going back from the payment page showed the shopper's own reservation as
    "only N left" and refused the Pay that would resume the same order.
    """
    if not cart.pending_order_id or not cart.lines:
        return {}
    if orders is None:
        from chalicelib.services import wiring

        orders = wiring.order_repository()
    order = orders.get(cart.pending_order_id)
    if order is None or not order.holds_stock or order.shopper_id != cart.shopper_id:
        return {}
    held: dict[str, int] = {}
    for line in order.lines:
        held[line.offer_id] = held.get(line.offer_id, 0) + line.quantity
    return held


def _current(cart: cart_store.Cart, catalog: CartCatalog, orders: OrderRepository | None):
    offers = catalog.get_offers(line.offer_id for line in cart.lines) if cart.lines else {}
    held = _held_by_own_order(cart, orders)
    offers = {offer_id: _WithOwnHold(offer, held[offer_id]) if offer is not None and held.get(offer_id) else offer
              for offer_id, offer in offers.items()}
    changes = [c for line in cart.lines for c in line_changes(line, offers.get(line.offer_id))]
    return offers, changes


def view_cart(shopper_id: str, *, carts: CartRepository | None = None, catalog: CartCatalog | None = None,
              orders: OrderRepository | None = None) -> dict:
    """The cart with each offer's current terms and what changed since each line was set."""
    carts, catalog = _ports(carts, catalog)
    cart = carts.get_cart(shopper_id)
    offers, changes = _current(cart, catalog, orders)
    names = catalog.vendor_names(line.vendor_id for line in cart.lines) if cart.lines else {}
    return {
        "lines": [_line_view(line, offers.get(line.offer_id), names) for line in cart.lines],
        "item_count": sum(line.quantity for line in cart.lines),
        "changes": changes,
    }


def set_line(shopper_id: str, offer_id: str, quantity: int, *, carts: CartRepository | None = None,
             catalog: CartCatalog | None = None, orders: OrderRepository | None = None) -> dict:
    """Set a line's quantity (0 removes it); the line snapshots the offer's terms as they are now."""
    carts, catalog = _ports(carts, catalog)
    if quantity == 0:
        return remove_line(shopper_id, offer_id, carts=carts, catalog=catalog, orders=orders)
    offer = catalog.get_offer(offer_id)
    if offer is None:
        raise NotFound("This offer does not exist.", fields={"offer_id": "not found"})
    if offer.currency != get_settings().currency:
        raise InvalidInput("This offer cannot be bought in this shop's currency.", fields={"offer_id": "currency"})
    cart = carts.get_cart(shopper_id)
    # Units the cart's own unpaid order holds are its to buy: its next checkout releases them first.
    available = max(int(offer.available), 0) + _held_by_own_order(cart, orders).get(offer_id, 0)
    if available == 0:
        raise InvalidInput("This offer is sold out.", code="insufficient_stock", fields={"quantity": "sold out"})
    check_quantity(quantity, available)
    existing = cart.line(offer_id)
    if existing is None:
        check_line_count(len(cart.lines) + 1)
    line = cart_store.CartLine(
        offer_id=offer_id,
        quantity=quantity,
        product_id=offer.product_id,
        vendor_id=offer.vendor_id,
        title=offer.product_title,
        currency=offer.currency,
        price=int(offer.price),
        shipping_fee=int(offer.shipping_fee),
        added_at=existing.added_at if existing else now_iso(precise=True),
        # Snapshot, so that checkout stores the shop's name on the order without reading the vendors.
        vendor_name=catalog.vendor_names([offer.vendor_id]).get(offer.vendor_id, ""),
        condition=offer.condition,  # the order line shows the condition the shopper chose
    )
    lines = [line if other.offer_id == offer_id else other for other in cart.lines]
    if existing is None:
        lines.append(line)
    carts.save_lines(cart, lines)
    return view_cart(shopper_id, carts=carts, catalog=catalog, orders=orders)


def remove_line(shopper_id: str, offer_id: str, *, carts: CartRepository | None = None,
                catalog: CartCatalog | None = None, orders: OrderRepository | None = None) -> dict:
    carts, catalog = _ports(carts, catalog)
    cart = carts.get_cart(shopper_id)
    if cart.line(offer_id) is not None:
        carts.save_lines(cart, [line for line in cart.lines if line.offer_id != offer_id])
    return view_cart(shopper_id, carts=carts, catalog=catalog, orders=orders)


def snapshot_lines(cart: cart_store.Cart) -> list[PricedLine]:
    """The lines as checkout charges them: the terms the shopper saw."""
    return [
        PricedLine(
            offer_id=line.offer_id,
            product_id=line.product_id,
            vendor_id=line.vendor_id,
            title=line.title,
            quantity=line.quantity,
            unit_price=Money(line.price, line.currency),
            shipping_fee=Money(line.shipping_fee, line.currency),
        )
        for line in cart.lines
    ]


def quote(shopper_id: str, country: str, *, carts: CartRepository | None = None,
          catalog: CartCatalog | None = None, orders: OrderRepository | None = None) -> dict:
    """Price the cart at the offers' current terms for delivery to `country`. Reads only.

    Lines whose offer is gone are left out (and listed in `changes`); a line short of stock is
    priced as asked and listed in `changes`, since checkout would refuse it.
    """
    carts, catalog = _ports(carts, catalog)
    cart = carts.get_cart(shopper_id)
    offers, changes = _current(cart, catalog, orders)
    lines = []
    for line in cart.lines:
        offer = offers.get(line.offer_id)
        if offer is None:
            continue
        lines.append(PricedLine(
            offer_id=line.offer_id,
            product_id=line.product_id,
            vendor_id=line.vendor_id,
            title=line.title,
            quantity=line.quantity,
            unit_price=Money(int(offer.price), offer.currency),
            shipping_fee=Money(int(offer.shipping_fee), offer.currency),
        ))
    priced = price_cart(lines, pricing_policy(), country)
    ensure_chargeable(priced.total)
    body = priced.to_json()
    body["changes"] = changes
    body["can_checkout"] = not changes
    return body
