"""The port the order use cases depend on (pure: a Protocol); adapters: chalicelib/store/order_repository.py
(DynamoDB) and chalicelib/store/memory.py (in memory, for use-case tests)."""

from __future__ import annotations

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
