"""Carries out the effects an order saved in its outbox (provider calls, the cart, events), then
records them done.

Each effect is idempotent on its own (`effect.key` is the provider idempotency key or the event's
dedup key), so running an outbox twice after a crash does each thing once. What an effect
teaches the order (a refund's id) is applied to the order with the `done` marks, in one save that
is re-applied on a fresh copy when the order moved meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.order_effects import (
    CancelAtProvider,
    ClearCartLines,
    Effect,
    Publish,
    RefundPayment,
    ReverseTransfer,
    TransferPayout,
)
from chalicelib.domain.orders import Order, Refund
from chalicelib.domain.ports import ConcurrentUpdate, OrderRepository
from chalicelib.domain.timestamps import now_iso
from chalicelib.observability import count, logger
from chalicelib.payments.port import PaymentError, PaymentGateway
from chalicelib.settings import get_settings

MAX_SAVE_ATTEMPTS = 5


class EffectRunner:
    def __init__(self, *, gateway: Callable[[], PaymentGateway], publish=None, clear_cart=None,
                 release_payouts_at_payment: bool = False):
        self._gateway = gateway
        # The platform's payout policy (HALLES_PAYOUT_RELEASE): paid orders then ask for transfers at once.
        self.release_payouts_at_payment = release_payouts_at_payment
        self._publish = publish
        self._clear_cart = clear_cart

    # --- adapters, resolved on first use (the consumer's cold start stays small) -------------------

    def publish(self, effect: Publish) -> None:
        if self._publish is not None:
            self._publish(effect.event, effect.data, dedup_key=effect.dedup_key)
            return
        if not get_settings().notifications_queue_url:
            return
        from chalicelib.events import publish

        publish(effect.event, effect.data, dedup_key=effect.dedup_key)

    def clear_cart(self, effect: ClearCartLines) -> None:
        if self._clear_cart is not None:
            self._clear_cart(effect.shopper_id, dict(effect.quantities))
            return
        from chalicelib.store import carts as cart_store

        cart_store.clear_cart(effect.shopper_id, dict(effect.quantities), order_id=effect.order_id)

    # --- running an outbox ---------------------------------------------------------------------

    def run(self, order: Order, orders: OrderRepository) -> Order:
        """Carry out `order.outbox`; returns the order as saved with them done."""
        if not order.outbox:
            return order
        learned: list[Callable[[Order], None]] = []
        done: list[Effect] = []
        for effect in list(order.outbox):
            lesson = self._carry_out(order, effect)
            if lesson is not None:
                learned.append(lesson)
            done.append(effect)
        for _ in range(MAX_SAVE_ATTEMPTS):
            for lesson in learned:
                lesson(order)
            for effect in done:
                order.done(effect)
            try:
                orders.save(order, effects=[])
                return order
            except ConcurrentUpdate:
                order = orders.get(order.order_id)
        raise RuntimeError(f"order {order.order_id} kept changing while recording its effects")

    def _carry_out(self, order: Order, effect: Effect) -> Callable[[Order], None] | None:
        if isinstance(effect, Publish):
            self.publish(effect)
        elif isinstance(effect, ClearCartLines):
            self.clear_cart(effect)
        elif isinstance(effect, CancelAtProvider):
            self._cancel(effect)
        elif isinstance(effect, RefundPayment):
            return self._refund(order, effect)
        elif isinstance(effect, TransferPayout):
            self._transfer(order, effect)
        elif isinstance(effect, ReverseTransfer):
            self._reverse(effect)
        else:
            raise ValueError(f"no runner for {type(effect).__name__}")
        return None

    def _cancel(self, effect: CancelAtProvider) -> None:
        try:
            self._gateway().cancel_payment_intent(effect.payment_intent_id, idempotency_key=effect.key)
        except PaymentError as err:
            if err.worth_retrying:
                raise
            # Cancelled already, or it succeeded meanwhile: then its success event refunds it.
            logger.info("payment intent not cancelled", extra={"error_code": err.code})

    def _transfer(self, order: Order, effect: TransferPayout) -> None:
        """The vendor's payout, through the payouts use case (account check, due marking, retry schedule)."""
        from chalicelib.services import payouts
        from chalicelib.store import orders as order_store

        try:
            payouts.release_payouts(order_store.get_order(order.order_id), gateway=self._gateway(),
                                    vendor_id=effect.vendor_id)
        except PaymentError as err:
            # Marked due before the provider was called: the retry_payouts schedule pays it, so the
            # order's other effects need not wait for the provider.
            logger.warning("payout deferred: provider unavailable", extra={"order_id": order.order_id,
                                                                            "error_code": err.code})
            count("PayoutsDeferred", 1)

    def _reverse(self, effect: ReverseTransfer) -> None:
        """Take back from the vendor what a refund or a lost dispute left it no longer entitled to."""
        from chalicelib.store import vendor_orders

        try:
            reversal_id = self._gateway().reverse_transfer(
                transfer_id=effect.transfer_id, amount=effect.amount, idempotency_key=effect.key,
                metadata={"order_id": effect.order_id, "vendor_id": effect.vendor_id})
        except PaymentError as err:
            if err.worth_retrying:
                raise
            # More than is left to reverse (a concurrent reversal got there first): the next refund or
            # dispute event recomputes what is still due from the recorded state.
            logger.error("transfer reversal refused", extra={"order_id": effect.order_id,
                                                             "vendor_id": effect.vendor_id, "error_code": err.code})
            count("TransferReversalsRefused", 1)
            return
        vendor_orders.record_reversal(effect.order_id, effect.vendor_id, reversal_id, effect.amount)
        count("TransfersReversed", 1)
        logger.info("vendor transfer reversed", extra={"order_id": effect.order_id, "vendor_id": effect.vendor_id,
                                                       "amount": effect.amount, "reversal_id": reversal_id})

    def _refund(self, order: Order, effect: RefundPayment) -> Callable[[Order], None]:
        try:
            refund_id = self._gateway().refund(payment_intent_id=effect.payment_intent_id, amount=effect.amount,
                                               idempotency_key=effect.key, reason=effect.reason)
        except PaymentError as err:
            if err.code != "charge_already_refunded":
                raise
            refund_id = f"refunded-{order.order_id}"  # refunded earlier, outside our idempotency window
        refund = Refund(id=refund_id, amount=effect.amount if effect.amount is not None else order.total,
                        currency=order.currency, at=now_iso(), reason=effect.reason)
        count("PaymentsRefunded", 1, reason=effect.reason)
        logger.info("payment refunded", extra={"order_id": order.order_id, "refund_id": refund_id})
        return lambda fresh: fresh.record_refund(refund)
