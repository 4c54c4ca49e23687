"""The one way a use case changes an order: apply a transition to the order as stored now, save it
with the effects it returns conditionally on the version read, re-apply it to a fresh copy when
the order moved meanwhile (a lost race), then carry out the order's outbox."""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.order_effects import Effect
from chalicelib.domain.orders import Order
from chalicelib.domain.ports import ConcurrentUpdate, OrderRepository
from chalicelib.services.effect_runner import EffectRunner

MAX_SAVE_ATTEMPTS = 5

# Returns the effects to save with the order, or None when it changed nothing (nothing is saved).
Transition = Callable[[Order], "list[Effect] | None"]


def change_order(order_id: str, transition: Transition, *, orders: OrderRepository,
                 effects: EffectRunner) -> Order | None:
    """Apply `transition` once, whatever races; returns the order as saved with its outbox carried out
    (what a previous run left undone too), or None when there is no such order."""
    for _ in range(MAX_SAVE_ATTEMPTS):
        order = orders.get(order_id)
        if order is None:
            return None
        todo = transition(order)
        if todo is not None:
            try:
                orders.save(order, effects=todo)
            except ConcurrentUpdate:
                continue  # someone else moved the order first: apply to what it is now
        return effects.run(order, orders)
    raise RuntimeError(f"order {order_id} kept changing")
