"""In-memory adapters of the order ports: the use-case tests run on them without moto, in milliseconds.

Same contract as the DynamoDB adapter: `save` is conditional on the version read (ConcurrentUpdate
otherwise), moves stock with the transition (refusing to move more than is reserved), and keeps the
effects that leave the database in the order's outbox.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass

from chalicelib.domain.order_effects import STOCK_EFFECTS, Effect, ReleaseStock, ReserveStock, SellStock
from chalicelib.domain.orders import Order
from chalicelib.domain.ports import ConcurrentUpdate


@dataclass
class Stock:
    available: int
    reserved: int = 0
    sold: int = 0


class InMemoryOrders:
    def __init__(self, stock: dict[str, Stock] | None = None):
        self.orders: dict[str, Order] = {}
        self.stock: dict[str, Stock] = stock if stock is not None else {}

    def get(self, order_id: str) -> Order | None:
        order = self.orders.get(order_id)
        return copy.deepcopy(order) if order else None

    def find_by_payment_intent(self, payment_intent_id: str) -> Order | None:
        return next((self.get(o.order_id) for o in self.orders.values() if o.payment_intent_id == payment_intent_id),
                    None)

    def list_expired_pending(self, now_iso: str, limit: int) -> list[str]:
        due = sorted((o.reserved_until, o.order_id) for o in self.orders.values()
                     if o.holds_stock and o.reserved_until < now_iso)
        return [order_id for _, order_id in due[:limit]]

    def list_due_payouts(self, before_iso: str, limit: int) -> list[tuple[str, str]]:
        due = sorted((v.payout_due_at, o.order_id, v.vendor_id) for o in self.orders.values()
                     for v in o.vendor_orders.values() if v.payout_due_at and v.payout_due_at <= before_iso)
        return [(order_id, vendor_id) for _, order_id, vendor_id in due[:limit]]

    def save(self, order: Order, *, effects: list[Effect]) -> None:
        stored = self.orders.get(order.order_id)
        if (stored.version if stored else 0) != order.version:
            raise ConcurrentUpdate(order.order_id)
        moves = [e for e in effects if isinstance(e, STOCK_EFFECTS)]
        planned = copy.deepcopy(self.stock)
        for effect in moves:
            self._move(planned, effect)
        known = {e.key for e in order.outbox}
        order.outbox = order.outbox + [e for e in effects if not isinstance(e, STOCK_EFFECTS) and e.key not in known]
        order.version += 1
        self.stock = planned
        self.orders[order.order_id] = copy.deepcopy(order)

    @staticmethod
    def _move(stock: dict[str, Stock], effect: Effect) -> None:
        if isinstance(effect, ReserveStock):
            for offer_id, quantity, _price, _shipping in effect.lines:
                level = stock[offer_id]
                if level.available < quantity:
                    raise ValueError(f"not enough stock of {offer_id}")
                level.available -= quantity
                level.reserved += quantity
            return
        for offer_id, quantity in effect.quantities:
            level = stock[offer_id]
            if level.reserved < quantity:
                raise ValueError(f"{offer_id}: moving more than is reserved")
            level.reserved -= quantity
            if isinstance(effect, SellStock):
                level.sold += quantity
            elif isinstance(effect, ReleaseStock):
                level.available += quantity
