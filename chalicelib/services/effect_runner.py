"""Carries out the effects an order saved in its outbox (provider calls, the cart, events), then
records them done.

Each effect is idempotent on its own (`effect.key` is the provider idempotency key or the event's
dedup key), so running an outbox twice after a crash does each thing once. What an effect
teaches the order (a refund's id) is applied to the order with the `done` marks, in one save that
is re-applied on a fresh copy when the order moved meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable

from chalicelib.domain.events import event_from_data
from chalicelib.domain.order_effects import (
    CancelAtProvider,
    ClearCartLines,
    Effect,
    ForgetPendingOrder,
    Publish,
    RefundCase,
    RefundLine,
    RefundPayment,
    ReverseTransfer,
    TransferPayout,
)
from chalicelib.domain.orders import Order, PayoutStatus, Refund
from chalicelib.domain.ports import ConcurrentUpdate, OrderRepository
from chalicelib.domain.timestamps import now_iso
from chalicelib.observability import count, logger
from chalicelib.payments.port import PaymentError, PaymentGateway
from chalicelib.settings import get_settings

MAX_SAVE_ATTEMPTS = 5
# What an effect teaches may make more effects due (a refund after a payout: the reversal; a refused
# refund: its event); they are saved with it and carried out in the same run, a bounded number of rounds.
MAX_FOLLOW_UP_ROUNDS = 3


class EffectRunner:
    def __init__(self, *, gateway: Callable[[], PaymentGateway], publish=None, clear_cart=None,
                 forget_pending_order: Callable[[str, str], None] | None = None,
                 vendor_account: Callable[[str], str | None] | None = None,
                 release_payouts_at_payment: bool = False):
        self._gateway = gateway
        self._vendor_account = vendor_account
        # The platform's payout policy (HALLES_PAYOUT_RELEASE): paid orders then ask for transfers at once.
        self.release_payouts_at_payment = release_payouts_at_payment
        self._publish = publish
        self._clear_cart = clear_cart
        self._forget_pending_order = forget_pending_order

    # --- adapters, resolved on first use (the consumer's cold start stays small) -------------------

    def publish(self, effect: Publish) -> None:
        event = event_from_data(effect.event, effect.data)  # the outbox keeps it as JSON
        if self._publish is not None:
            self._publish(event)
            return
        if not get_settings().notifications_queue_url:
            return
        from chalicelib.events import publish

        publish(event)

    def clear_cart(self, effect: ClearCartLines) -> None:
        if self._clear_cart is not None:
            self._clear_cart(effect.shopper_id, dict(effect.quantities), order_id=effect.order_id)
            return
        from chalicelib.store import carts as cart_store

        cart_store.clear_cart(effect.shopper_id, dict(effect.quantities), order_id=effect.order_id)

    def forget_pending_order(self, effect: ForgetPendingOrder) -> None:
        if self._forget_pending_order is not None:
            self._forget_pending_order(effect.shopper_id, effect.order_id)
            return
        from chalicelib.store import carts as cart_store

        cart_store.forget_pending_order(effect.shopper_id, effect.order_id)

    def vendor_account(self, vendor_id: str) -> str | None:
        """The vendor's connected payout account (`acct_...`), or None before it finished onboarding."""
        if self._vendor_account is not None:
            return self._vendor_account(vendor_id)
        from chalicelib.store import vendors as vendors_store

        return vendors_store.payout_account(vendor_id)  # None until its transfers capability is active

    # --- running an outbox ---------------------------------------------------------------------

    def run(self, order: Order, orders: OrderRepository, *, _round: int = 0) -> Order:
        """Carry out `order.outbox`; returns the order as saved with them done.

        A lesson may return effects it makes due (a list): they are saved with it and carried out next."""
        if not order.outbox:
            return order
        learned: list[Callable[[Order], object]] = []
        done: list[Effect] = []
        for effect in list(order.outbox):
            lesson = self._carry_out(order, effect)
            if lesson is not None:
                learned.append(lesson)
            done.append(effect)
        for _ in range(MAX_SAVE_ATTEMPTS):
            follow_up: list[Effect] = []
            for lesson in learned:
                more = lesson(order)
                if isinstance(more, list):
                    follow_up += more
            for effect in done:
                order.done(effect)
            try:
                orders.save(order, effects=follow_up)
            except ConcurrentUpdate:
                order = orders.get(order.order_id)
                continue
            if follow_up and _round < MAX_FOLLOW_UP_ROUNDS:
                return self.run(order, orders, _round=_round + 1)
            return order
        raise RuntimeError(f"order {order.order_id} kept changing while recording its effects")

    def _carry_out(self, order: Order, effect: Effect) -> Callable[[Order], None] | None:
        if isinstance(effect, Publish):
            self.publish(effect)
        elif isinstance(effect, ClearCartLines):
            self.clear_cart(effect)
        elif isinstance(effect, ForgetPendingOrder):
            self.forget_pending_order(effect)
        elif isinstance(effect, CancelAtProvider):
            self._cancel(effect)
        elif isinstance(effect, RefundPayment):
            return self._refund(order, effect)
        elif isinstance(effect, (RefundLine, RefundCase)):
            return self._refund_vendor_share(order, effect)
        elif isinstance(effect, TransferPayout):
            return self._transfer(order, effect)
        elif isinstance(effect, ReverseTransfer):
            return self._reverse(effect)
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

    def _transfer(self, order: Order, effect: TransferPayout) -> Callable[[Order], None] | None:
        """The vendor's payout. The order saved it as due before this runs, so whatever happens here
        (no account yet, provider outage, crash) the retry schedule releases it again, with the same
        idempotency key: a transfer that went through before a crash comes back, never doubled."""
        order_id, vendor_id = effect.order_id, effect.vendor_id
        destination = self.vendor_account(vendor_id)
        if not destination:
            logger.info("vendor has no payout account yet; payout waits",
                        extra={"order_id": order_id, "vendor_id": vendor_id})
            count("PayoutsAwaitingVendorAccount", 1)
            return lambda fresh: fresh.payout_waits(vendor_id, PayoutStatus.AWAITING_VENDOR_ACCOUNT)
        try:
            gateway = self._gateway()
            charge_id = order.charge_id or order.vendor_orders[vendor_id].charge_id
            if not charge_id and order.payment_intent_id:
                charge_id = gateway.retrieve_payment_intent(order.payment_intent_id).latest_charge
            if not charge_id:
                raise RuntimeError(f"paid order {order_id} has no charge to transfer from")
            transfer_id = gateway.create_transfer(
                amount=effect.amount, currency=effect.currency, destination=destination,
                source_transaction=charge_id, transfer_group=order_id, idempotency_key=effect.key,
                metadata={"order_id": order_id, "vendor_id": vendor_id})
        except PaymentError as err:
            if err.worth_retrying:
                # Stays due: the retry_payouts schedule pays it, so the order's other effects need not
                # wait for the provider.
                logger.warning("payout deferred: provider unavailable",
                               extra={"order_id": order_id, "vendor_id": vendor_id, "error_code": err.code})
                count("PayoutsDeferred", 1)
                return None
            logger.error("transfer refused", extra={"order_id": order_id, "vendor_id": vendor_id,
                                                    "error_code": err.code, "top_up": effect.top_up})
            count("TransfersRefused", 1)
            if effect.top_up:
                # What the vendor is still owed stays visible to admins and is retried with a new key.
                at, code = now_iso(), err.code
                return lambda fresh: fresh.top_up_refused(vendor_id, failure_code=code, at=at)
            return lambda fresh: fresh.payout_refused(vendor_id)
        count("TransfersCreated", 1)
        logger.info("vendor payout transferred", extra={"order_id": order_id, "vendor_id": vendor_id,
                                                        "transfer_id": transfer_id, "amount": effect.amount})
        at = now_iso()
        self._announce_payout(order, vendor_id, transfer_id, effect.amount, effect.currency)
        return lambda fresh: fresh.record_transfer(vendor_id, transfer_id=transfer_id, amount=effect.amount,
                                                   charge_id=charge_id, at=at, top_up=effect.top_up)

    def _announce_payout(self, order: Order, vendor_id: str, transfer_id: str, amount: int, currency: str) -> None:
        """`payout.sent` for the vendor (notifications); the transfer stands whatever happens to the event."""
        from chalicelib.domain.events import OrderSummary, PayoutSent

        event = PayoutSent(OrderSummary.of(order), vendor_id=vendor_id, transfer_id=transfer_id,
                           amount={"amount": amount, "currency": currency})
        try:
            self.publish(Publish.of(event))
        except Exception:  # noqa: BLE001 - a lost notification must not undo a transfer
            logger.exception("could not publish payout.sent", extra={"order_id": order.order_id})

    def _reverse(self, effect: ReverseTransfer) -> Callable[[Order], None] | None:
        """Take back from the vendor what a refund or a lost dispute left it no longer entitled to."""
        try:
            reversal_id = self._gateway().reverse_transfer(
                transfer_id=effect.transfer_id, amount=effect.amount, idempotency_key=effect.key,
                metadata={"order_id": effect.order_id, "vendor_id": effect.vendor_id})
        except PaymentError as err:
            if err.worth_retrying:
                raise
            # balance_insufficient, or more than is left (a concurrent reversal got there first): what the
            # recorded state still says is due stays visible to admins and is retried with a new key.
            logger.error("transfer reversal refused", extra={"order_id": effect.order_id,
                                                             "vendor_id": effect.vendor_id, "error_code": err.code})
            count("TransferReversalsRefused", 1)
            at, code = now_iso(), err.code
            return lambda fresh: fresh.reversal_refused(effect.vendor_id, failure_code=code, at=at,
                                                        transfer_id=effect.transfer_id, amount=effect.amount,
                                                        key=effect.key)
        count("TransfersReversed", 1)
        logger.info("vendor transfer reversed", extra={"order_id": effect.order_id, "vendor_id": effect.vendor_id,
                                                       "amount": effect.amount, "reversal_id": reversal_id})
        at = now_iso()
        return lambda fresh: fresh.record_reversal(effect.vendor_id, reversal_id=reversal_id, amount=effect.amount,
                                                   at=at, transfer_id=effect.transfer_id, key=effect.key)

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

    def _refund_vendor_share(self, order: Order, effect: RefundLine | RefundCase) -> Callable[[Order], object] | None:
        """Part of one vendor's share refunded on the platform's charge: a line it cancelled (key from
        order + line) or an after-sales case (key from the case). Recorded as that vendor's refund, so
        the ledger takes it off that vendor only, with the reversal it makes due when the vendor was
        paid already (carried out in this run, not left for the webhook). A case refund the provider
        refuses for good leaves the case `failed` for an admin; an outage leaves it in the outbox."""
        case_id = effect.case_id if isinstance(effect, RefundCase) else None
        metadata = {"order_id": effect.order_id, "vendor_id": effect.vendor_id}
        metadata.update({"case_id": case_id} if case_id else {"offer_id": effect.offer_id})
        try:
            made = self._gateway().create_refund(payment_intent_id=effect.payment_intent_id, amount=effect.amount,
                                                 idempotency_key=effect.key, reason=effect.reason, metadata=metadata)
        except PaymentError as err:
            if err.worth_retrying or case_id is None:
                raise
            logger.error("case refund refused", extra={**metadata, "error_code": err.code})
            count("CaseRefundsRefused", 1)
            at, attempt, code = now_iso(), effect.attempt, err.code
            return lambda fresh: fresh.case_refund_failed(case_id, failure_code=code, at=at, attempt=attempt)
        at = now_iso()
        count("CaseRefundsMade" if case_id else "LinesRefunded", 1)
        logger.info("vendor share refunded", extra={**metadata, "refund_id": made.id, "status": made.status})
        if case_id is not None:
            attempt = effect.attempt
            return lambda fresh: fresh.record_case_refund(case_id, attempt=attempt, refund_id=made.id,
                                                          status=made.status, at=at)
        refund = Refund(id=made.id, amount=effect.amount, currency=order.currency, at=at, reason=effect.reason,
                        status=made.status, vendor_id=effect.vendor_id)
        return lambda fresh: fresh.reversals_due() if fresh.record_refund(refund) else []
