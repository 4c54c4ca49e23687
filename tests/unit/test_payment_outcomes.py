"""How the provider's current PaymentIntent status maps to an outcome for the order."""

import pytest
from pydantic import ValidationError

from chalicelib.domain.orders import PaymentOutcome
from chalicelib.payments.port import PaymentIntent
from chalicelib.payments.stripe_objects import ChargeObject, decline_reason, outcome_of
from chalicelib.services.payment_messages import ProviderEvent


def intent(status: str) -> PaymentIntent:
    return PaymentIntent(id="pi_1", status=status, amount=1000, currency="eur")


@pytest.mark.parametrize("status,event_type,expected", [
    ("succeeded", "payment_intent.payment_failed", PaymentOutcome.SUCCEEDED),  # a retry succeeded since
    ("canceled", "payment_intent.succeeded", PaymentOutcome.CANCELED),
    ("requires_payment_method", "payment_intent.payment_failed", PaymentOutcome.DECLINED),
    ("requires_payment_method", "payment_intent.created", None),  # no attempt failed yet
    ("processing", "payment_intent.processing", PaymentOutcome.PROCESSING),
    ("requires_action", "payment_intent.payment_failed", PaymentOutcome.REQUIRES_ACTION),  # the bank asks
])
def test_the_providers_current_status_decides(status, event_type, expected):
    assert outcome_of(intent(status), event_type) is expected


def test_a_failed_attempt_reported_on_the_intent_counts_as_a_failure():
    assert outcome_of(intent("requires_payment_method"), "payment_intent.processing",
                      {"code": "card_declined"}) is PaymentOutcome.DECLINED


@pytest.mark.parametrize("error,reason", [
    ({"code": "card_declined", "decline_code": "insufficient_funds"}, "insufficient_funds"),
    ({"code": "card_declined", "decline_code": "generic_decline"}, "card_declined"),
    ({"code": "expired_card"}, "expired_card"),
    ({"code": "payment_intent_authentication_failure"}, "authentication_failed"),
])
def test_the_reason_of_a_declined_attempt_is_its_most_specific_code(error, reason):
    assert decline_reason(error) == reason


def test_queue_messages_are_validated():
    with pytest.raises(ValidationError):
        ProviderEvent.model_validate({"type": "payment_intent.succeeded", "object": {}})
    event = ProviderEvent.model_validate({"event_id": "evt_1", "type": "x", "created": 1, "livemode": False,
                                         "object": {"id": "pi_1"}, "unknown": "ignored"})
    assert event.account is None


def test_expanded_ids_are_read_as_ids():
    charge = ChargeObject.model_validate({"id": "ch_1", "amount": 100, "currency": "eur",
                                          "payment_intent": {"id": "pi_1", "object": "payment_intent"}})
    assert charge.payment_intent == "pi_1"
