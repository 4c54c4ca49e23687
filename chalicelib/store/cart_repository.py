"""The cart use cases' ports over DynamoDB (chalicelib/domain/ports.py: CartRepository, CartCatalog)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from chalicelib.store import carts, offers, promotions, vendors


class DynamoCarts:
    def get_cart(self, shopper_id: str) -> carts.Cart:
        return carts.get_cart(shopper_id)

    def save_lines(self, cart: carts.Cart, lines: Sequence[carts.CartLine]) -> carts.Cart:
        return carts.save_lines(cart, list(lines))

    def get_for_checkout(self, shopper_id: str) -> tuple[carts.Cart, str | None, dict[str, dict] | None]:
        return carts.get_cart_customer_and_address_book(shopper_id)

    def forget_pending_order(self, shopper_id: str, order_id: str) -> None:
        carts.forget_pending_order(shopper_id, order_id)


class DynamoCartCatalog:
    def get_offer(self, offer_id: str) -> offers.OfferItem | None:
        return offers.get_offer(offer_id)

    def get_offers(self, offer_ids: Iterable[str]) -> dict[str, offers.OfferItem]:
        return offers.get_offers(offer_ids)

    def vendor_names(self, vendor_ids: Iterable[str]) -> dict[str, str]:
        return vendors.vendor_names(vendor_ids)

    def current_promotions(self, vendor_ids: Iterable[str], now: str) -> list:
        return promotions.current_promotions(vendor_ids, now)
