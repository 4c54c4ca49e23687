"""The cart use cases' ports over DynamoDB (chalicelib/domain/ports.py: CartRepository, CartCatalog)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from chalicelib.store import carts, offers, vendors


class DynamoCarts:
    def get_cart(self, shopper_id: str) -> carts.Cart:
        return carts.get_cart(shopper_id)

    def save_lines(self, cart: carts.Cart, lines: Sequence[carts.CartLine]) -> carts.Cart:
        return carts.save_lines(cart, list(lines))


class DynamoCartCatalog:
    def get_offer(self, offer_id: str) -> offers.OfferItem | None:
        return offers.get_offer(offer_id)

    def get_offers(self, offer_ids: Iterable[str]) -> dict[str, offers.OfferItem]:
        return offers.get_offers(offer_ids)

    def vendor_names(self, vendor_ids: Iterable[str]) -> dict[str, str]:
        return vendors.vendor_names(vendor_ids)

    def selling_vendors(self, vendor_ids: Iterable[str]) -> set[str]:
        return vendors.selling_vendors(vendor_ids)
