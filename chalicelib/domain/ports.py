"""The ports the use cases depend on (pure: Protocols). Adapters: chalicelib/store/order_repository.py and
chalicelib/store/cart_repository.py, chalicelib/store/offer_catalogue.py (DynamoDB), chalicelib/store/memory.py (in memory, for use-case tests)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Protocol

from chalicelib.domain.order_effects import Effect
from chalicelib.domain.orders import Order


class ConcurrentUpdate(Exception):
    """The order changed since it was read (its version moved): reload and apply again."""


class OrderRepository(Protocol):
    def get(self, order_id: str) -> Order | None: ...

    def find_by_payment_intent(self, payment_intent_id: str) -> Order | None: ...

    def save(self, order: Order, *, effects: list[Effect]) -> None:
        """Save the order if its version is still the one read, with the stock moves among `effects`
        in the same transaction and the other effects added to its outbox; bumps `order.version`.
        Raises ConcurrentUpdate when the version moved."""
        ...

    def list_expired_pending(self, now_iso: str, limit: int) -> list[str]: ...

    def list_due_payouts(self, before_iso: str, limit: int) -> list[tuple[str, str]]:
        """(order_id, vendor_id) of the payouts due since before `before_iso`, oldest first."""
        ...


class CartLines(Protocol):
    def clear(self, shopper_id: str, offer_quantities: dict[str, int]) -> None: ...


class OfferForCart(Protocol):
    """An offer's current terms and stock as the cart compares them with a line's snapshot (minor units)."""

    offer_id: str
    product_id: str
    vendor_id: str
    product_title: str
    condition: str
    currency: str
    price: int
    shipping_fee: int
    available: int


class CartCatalog(Protocol):
    """What the cart use cases read of the catalogue."""

    def get_offer(self, offer_id: str) -> OfferForCart | None: ...

    def get_offers(self, offer_ids: Iterable[str]) -> dict[str, OfferForCart]:
        """Unknown ids are absent from the result."""
        ...

    def selling_vendors(self, vendor_ids: Iterable[str]) -> set[str]:
        """The vendors among these whose offers are live (approved, payouts ready, not suspended)."""
        ...

    def vendor_names(self, vendor_ids: Iterable[str]) -> dict[str, str]: ...


class CartRepository(Protocol):
    """The shoppers' carts (`Cart`/`CartLine` of chalicelib/store/carts.py: plain dataclasses)."""

    def get_cart(self, shopper_id: str): ...

    def save_lines(self, cart, lines: Sequence):
        """Replace the cart's lines if the cart is still at the version read (Conflict `cart_conflict`
        otherwise); returns the cart as saved."""
        ...


class OfferCatalogue(Protocol):
    """The catalogue as the vendor offer use cases read and write it: vendors, products, offers (terms and
    stock, conditional on the version read), stock adjustments (once per key) and product summaries.

    Records are the store's (chalicelib/store/offers.py `OfferRules` says what an offer knows); a write
    whose condition failed returns None (re-read and decide again)."""

    def get_vendor(self, vendor_id: str): ...

    def vendor_names(self, vendor_ids: Iterable[str]) -> dict[str, str]: ...

    def selling_vendors(self, vendor_ids: Iterable[str]) -> set[str]:
        """The vendors among these whose offers are live (chalicelib/domain/vendors.py `can_sell`)."""
        ...

    def get_product(self, product_id: str, *, consistent: bool = False): ...

    def get_products(self, product_ids: Iterable[str], *, consistent: bool = False) -> dict: ...

    def get_offer(self, offer_id: str, *, consistent: bool = True): ...

    def get_offers(self, offer_ids: Iterable[str], *, consistent: bool = False) -> dict: ...

    def insert_offer(self, offer_id: str, vendor_id: str, product, terms): ...

    def update_offer_terms(self, offer_id: str, vendor_id: str, terms, *, expected_version: int,
                           declare_stock: bool): ...

    def adjust_stock(self, offer_id: str, vendor_id: str, delta: int, reason: str, key: str, *,
                     max_available: int): ...

    def product_offers(self, product_id: str) -> list: ...

    def vendor_offers(self, vendor_id: str, limit: int, cursor: str | None) -> tuple[list, str | None]: ...

    def save_summary(self, product_id: str, summary, best_vendor_name: str | None) -> None: ...
