"""A payment outcome applied to its order: once, whatever order and however often events arrive.

The consumer never trusts an event's snapshot of a PaymentIntent: it re-fetches the intent (its
current status is the truth), maps it to a `PaymentOutcome` (chalicelib/payments/stripe_objects.py)
and lets the order aggregate decide. The order is saved conditionally on the version read, with
its stock move in the same transaction; a lost race reloads and applies again. The effects that
leave the database (refund, cart, events) run from the order's outbox after the save.
"""

from __future__ import annotations

import copy
from datetime import datetime

from chalicelib.domain.order_effects import Effect
from chalicelib.domain.orders import Order, OrderStatus, PaymentOutcome
from chalicelib.domain.ports import OrderRepository
from chalicelib.domain.timestamps import iso
from chalicelib.observability import count, logger
from chalicelib.payments.port import PaymentError, PaymentGateway, PaymentIntent
from chalicelib.payments.stripe_objects import IntentObject, attempt_id, decline_reason, outcome_of
from chalicelib.services.effect_runner import EffectRunner
from chalicelib.services.order_changes import change_order
from chalicelib.services.payment_messages import ProviderEvent


def settle(order_id: str, outcome: PaymentOutcome, *, orders: OrderRepository, effects: EffectRunner,
           now: datetime, attempt: str | None = None, reason: str | None = None,
           charge_id: str | None = None) -> Order | None:
    """Apply `outcome` once; then carry out what the order still owes (this transition's effects, or a
    previous run's left in its outbox). Returns the order as saved (None: no such order)."""
    before: dict[str, OrderStatus] = {}

    def transition(order: Order) -> list[Effect] | None:
        before["status"], snapshot = order.status, copy.deepcopy(order)
        todo = order.apply_payment(outcome, at=iso(now), attempt_id=attempt, reason=reason, charge_id=charge_id,
                                   release_payouts=effects.release_payouts_at_payment)
        return todo if todo or order != snapshot else None

    order = change_order(order_id, transition, orders=orders, effects=effects)
    if order is not None and order.status is not before["status"]:
        count("OrderTransitions", 1, to=order.status.value)
        logger.info("order transition applied", extra={"from_status": before["status"].value,
                                                        "to_status": order.status.value})
    return order


def retrieve(gateway: PaymentGateway, payment_intent_id: str) -> PaymentIntent | None:
    try:
        return gateway.retrieve_payment_intent(payment_intent_id)
    except PaymentError as err:
        if err.worth_retrying:
            raise  # the record is retried
        logger.warning("payment intent could not be retrieved; event acknowledged",
                       extra={"payment_intent_id": payment_intent_id, "error_code": err.code})
        return None


def on_payment_intent(event: ProviderEvent, *, orders: OrderRepository, effects: EffectRunner,
                      gateway: PaymentGateway, now: datetime) -> str:
    obj = IntentObject.model_validate(event.object)
    order_id = obj.metadata.get("order_id")
    order = orders.get(order_id) if order_id else orders.find_by_payment_intent(obj.id)
    if order is None:
        logger.warning("payment intent without an order; acknowledged", extra={"payment_intent_id": obj.id})
        count("PaymentEventsIgnored", reason="no_order")
        return "no_order"
    logger.thread_safe_append_keys(order_id=order.order_id, payment_intent_id=obj.id)
    intent = retrieve(gateway, obj.id)
    if intent is None:
        return "intent_unavailable"
    if intent.metadata.get("order_id", order.order_id) != order.order_id:
        logger.error("payment intent metadata names another order; ignored")
        return "ignored_mismatch"
    if order.payment_intent_id and order.payment_intent_id != intent.id:
        return _stray_intent(order, intent, gateway)
    if not order.payment_intent_id:
        # The checkout stopped between creating the intent and recording it: record it now so
        # the sweeper can cancel it and later events find the order.
        _attach(order.order_id, intent, orders, effects)
    outcome = outcome_of(intent, event.type, obj.last_payment_error)
    if outcome is None:
        logger.info("payment not final yet", extra={"intent_status": intent.status})
        effects.run(order, orders)  # what a previous run left undone
        return f"waiting_{intent.status}"
    # The attempt this event reports is in the event itself: by the time it is read the intent may
    # carry a later attempt's error (two declines in a row), and each must be recorded once.
    error = obj.last_payment_error or intent.last_payment_error
    settled = settle(order.order_id, outcome, orders=orders, effects=effects, now=now,
                     attempt=attempt_id(error, event.event_id, event.type), reason=decline_reason(error),
                     charge_id=intent.latest_charge)
    if settled is None:
        return "no_order"
    if outcome is PaymentOutcome.DECLINED:
        return "attempt_declined"
    return settled.status.value if settled.status.value != order.status.value else "unchanged"


def _attach(order_id: str, intent: PaymentIntent, orders: OrderRepository, effects: EffectRunner) -> None:
    def transition(order: Order) -> list[Effect]:
        order.attach_payment(intent.id, intent.client_secret)
        return []

    change_order(order_id, transition, orders=orders, effects=effects)


def _stray_intent(order: Order, intent: PaymentIntent, gateway: PaymentGateway) -> str:
    """An intent naming the order that is not the order's payment: never keep its money."""
    logger.error("payment intent is not the order's payment", extra={"order_payment_intent": order.payment_intent_id})
    count("StrayPaymentIntents", 1)
    if intent.status == "succeeded":
        gateway.refund(payment_intent_id=intent.id, amount=None, idempotency_key=f"refund-{intent.id}",
                       reason="duplicate")
        return "stray_refunded"
    return "ignored_stray"
