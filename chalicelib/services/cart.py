"""Cart and quote use cases.

A cart line keeps a snapshot of the offer's terms when the shopper last set its quantity;
checkout charges the snapshot and its transaction refuses if the offer no longer matches.
So the cart view and the quote always compare the snapshot with the offer's current terms
and list every difference in `changes`: setting the line's quantity again accepts the new
terms (the snapshot is refreshed).

Promotions follow the same rule: a line snapshots the best promotion for it when its quantity
is set (id, amount off each unit, end); the view and the quote apply the vendors' promotions as
they are now and list a `promotion_changed` change when that differs, and checkout charges the
snapshot (no promotion read on the checkout path), refusing a line whose promotion has ended;
its transaction re-checks that each promotion still runs (`promotion_holds`).

The use cases read and write through ports (chalicelib/domain/ports.py: CartRepository, CartCatalog);
without them they use the DynamoDB adapters (chalicelib/services/wiring.py).
"""

from __future__ import annotations

from dataclasses import replace

from chalicelib.domain.cart_changes import (
    NOT_FOR_SALE,
    ChangeReason,
    LineTerms,
    OfferNow,
    promotion_change,
    vendor_not_selling,
)
from chalicelib.domain.cart_changes import line_changes as changes_since
from chalicelib.domain.charge_limits import ensure_chargeable
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.limits import MAX_LINE_QUANTITY, check_line_count, check_quantity
from chalicelib.domain.money import Money
from chalicelib.domain.ports import CartCatalog, CartRepository, OrderRepository
from chalicelib.domain.pricing import PricedLine, PricingPolicy, price_cart
from chalicelib.domain.promotions import AppliedPromotion, Promotion, PromotionHold, as_seen, best_promotion
from chalicelib.domain.timestamps import now_iso
from chalicelib.settings import get_settings
from chalicelib.store import carts as cart_store
from chalicelib.store.stock import CartChanged


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
                                              available=int(offer.available), currency=offer.currency,
                                              status=offer.offer_status)
    return changes_since(LineTerms(offer_id=line.offer_id, quantity=line.quantity, price=line.price,
                                   shipping_fee=line.shipping_fee, currency=line.currency), now)


def promotions_for(vendor_ids, catalog: CartCatalog) -> tuple[list[Promotion], str]:
    """The vendors' promotions and the moment to judge them at, as `price_cart` takes them.

    A catalog adapter without promotions (the in-memory one of the use-case tests) lists none.
    """
    now = now_iso()
    current = getattr(catalog, "current_promotions", None)
    return (current(set(vendor_ids), now) if current else []), now


def _applied_now(line: cart_store.CartLine, offer, promotions: tuple[list[Promotion], str]) -> AppliedPromotion | None:
    """The promotion the line gets at the offer's current price: the quote's rule (domain/promotions.py)."""
    if offer is None or not promotions[0]:
        return None
    return best_promotion(promotions[0], vendor_id=line.vendor_id, offer_id=line.offer_id, quantity=line.quantity,
                          unit_price=int(offer.price), at=promotions[1])


def _line_view(line: cart_store.CartLine, offer, vendor_names: dict[str, str],
               promotions: tuple[list[Promotion], str] = ([], "")) -> dict:
    currency = offer.currency if offer is not None else line.currency
    price = int(offer.price) if offer is not None else line.price
    shipping = int(offer.shipping_fee) if offer is not None else line.shipping_fee
    for_sale = offer is not None and offer.offer_status not in NOT_FOR_SALE
    available = max(int(offer.available), 0) if for_sale else 0
    applied = _applied_now(line, offer, promotions)  # the struck price shown is the one the quote charges
    paid = price - applied.unit_discount if applied else price
    return {
        "offer_id": line.offer_id,
        "product_id": line.product_id,
        "vendor_id": line.vendor_id,
        "vendor_name": vendor_names.get(line.vendor_id, ""),
        "title": line.title,
        "condition": offer.condition if offer is not None else line.condition,
        "quantity": line.quantity,
        "unit_price": _money(price, currency),
        "promoted_unit_price": _money(paid, currency) if applied else None,
        "promotion_id": applied.promotion_id if applied else None,
        "shipping_fee": _money(shipping, currency),
        "subtotal": _money(paid * line.quantity, currency),
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
    promotions = promotions_for((line.vendor_id for line in cart.lines), catalog) if cart.lines else ([], "")
    # A paused shop's lines are priced as gone and say why (its offers come back when it sells again).
    selling = catalog.selling_vendors({line.vendor_id for line in cart.lines}) if cart.lines else set()
    changes = []
    for line in cart.lines:
        if line.vendor_id not in selling:
            offers.pop(line.offer_id, None)
            changes.append(vendor_not_selling(line.offer_id))
            continue
        offer = offers.get(line.offer_id)
        changes.extend(line_changes(line, offer))
        if offer is not None and offer.offer_status not in NOT_FOR_SALE:  # the promoted price snapshotted vs now
            applied = _applied_now(line, offer, promotions)
            terms = LineTerms(offer_id=line.offer_id, quantity=line.quantity, price=int(offer.price),
                              shipping_fee=int(offer.shipping_fee), currency=offer.currency)
            discount_now = applied.unit_discount if applied else 0
            changes.extend(promotion_change(terms, line.unit_discount, discount_now)
                           or _edited_promotion(terms, line, applied))
    return offers, changes, promotions


def _edited_promotion(terms: LineTerms, line: cart_store.CartLine, applied: AppliedPromotion | None) -> list[dict]:
    """The same promotion at the same discount, edited since the line was set (its window, its minimum):
    checkout would refuse the line (the hold names the version), so the shopper is told, and setting the
    line again accepts it."""
    if applied is None or applied.promotion_id != line.promotion_id or applied.version == line.promotion_version:
        return []
    price = Money(terms.price - applied.unit_discount, terms.currency)
    return [{"offer_id": line.offer_id, "reason": ChangeReason.PROMOTION_CHANGED.value, "before": price.to_json(),
             "now": price.to_json(), "message": "The seller changed this promotion: set the quantity again to keep it."}]


def view_cart(shopper_id: str, *, carts: CartRepository | None = None, catalog: CartCatalog | None = None,
              orders: OrderRepository | None = None) -> dict:
    """The cart with each offer's current terms and what changed since each line was set."""
    carts, catalog = _ports(carts, catalog)
    cart = carts.get_cart(shopper_id)
    offers, changes, promotions = _current(cart, catalog, orders)
    names = catalog.vendor_names(line.vendor_id for line in cart.lines) if cart.lines else {}
    return {
        "lines": [_line_view(line, offers.get(line.offer_id), names, promotions) for line in cart.lines],
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
    if offer.offer_status in NOT_FOR_SALE:
        reason, message = NOT_FOR_SALE[offer.offer_status]
        raise Conflict(message, code=f"offer_{reason.value}", fields={"offer_id": message})
    if offer.vendor_id not in catalog.selling_vendors({offer.vendor_id}):
        raise Conflict("This shop is not selling right now.", code="vendor_not_selling",
                       fields={"offer_id": "the shop is not selling right now"})
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
    # The promotion the shopper sees now, snapshotted like the price: checkout charges it without a read.
    applied = _applied_now(line, offer, promotions_for([offer.vendor_id], catalog))
    if applied is not None:
        line = replace(line, promotion_id=applied.promotion_id, unit_discount=applied.unit_discount,
                       promotion_ends_at=applied.ends_at, promotion_version=applied.version)
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


def snapshot_promotions(cart: cart_store.Cart, at: str) -> list[Promotion]:
    """The promotions the lines snapshotted, as `price_cart` takes them; one that ended since refuses
    checkout (409 naming the line, like a price change) so the shopper never pays other than shown."""
    ended = [line for line in cart.lines if line.promotion_id and line.promotion_ends_at <= at]
    if ended:
        raise CartChanged([change for line in ended for change in promotion_change(
            LineTerms(offer_id=line.offer_id, quantity=line.quantity, price=line.price,
                      shipping_fee=line.shipping_fee, currency=line.currency), line.unit_discount, 0)])
    return [as_seen(line.promotion_id, line.vendor_id, line.offer_id, line.unit_discount, line.currency,
                    line.promotion_ends_at) for line in cart.lines if line.promotion_id]


def promotion_holds(cart: cart_store.Cart, at: str) -> tuple[PromotionHold, ...]:
    """What checkout's transaction re-checks about the lines' promotions: each still running at `at`
    (one ended early since the line was set refuses the checkout, naming the line, like a price change)."""
    return tuple(PromotionHold(line.vendor_id, line.promotion_id, at, promotion_change(
        LineTerms(offer_id=line.offer_id, quantity=line.quantity, price=line.price, shipping_fee=line.shipping_fee,
                  currency=line.currency), line.unit_discount, 0)[0], line.promotion_version)
                 for line in cart.lines if line.promotion_id)


def quote(shopper_id: str, country: str, *, carts: CartRepository | None = None,
          catalog: CartCatalog | None = None, orders: OrderRepository | None = None) -> dict:
    """Price the cart at the offers' current terms for delivery to `country`. Reads only.

    Lines whose offer is gone, paused or delisted are left out (and listed in `changes`); a line short of stock is
    priced as asked and listed in `changes`, since checkout would refuse it.
    """
    carts, catalog = _ports(carts, catalog)
    cart = carts.get_cart(shopper_id)
    offers, changes, promotions = _current(cart, catalog, orders)
    lines = []
    for line in cart.lines:
        offer = offers.get(line.offer_id)
        if offer is None or offer.offer_status in NOT_FOR_SALE:
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
    priced = price_cart(lines, pricing_policy(), country, *promotions)
    ensure_chargeable(priced.total)
    body = priced.to_json()
    body["changes"] = changes
    body["can_checkout"] = not changes
    return body
