"""Stripe's object shapes as the payment events carry them, and what a PaymentIntent's status means
for an order (Stripe's lifecycle: requires_payment_method -> [requires_confirmation] ->
[requires_action] -> processing -> succeeded | back to requires_payment_method after a failed
attempt (with `last_payment_error`) | canceled).

Only the fields we read are declared; unknown ones are ignored (Stripe adds fields).
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from pydantic import BeforeValidator, ConfigDict, Field

from chalicelib.domain.orders import PaymentOutcome
from chalicelib.payments.port import PaymentIntent
from chalicelib.schema import ApiModel


def _id_of(value: Any) -> Any:
    """Expandable fields are an id or the expanded object."""
    return value.get("id") if isinstance(value, dict) else value


ExpandableId = Annotated[str | None, BeforeValidator(_id_of)]


class IntentObject(ApiModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1, max_length=255)
    metadata: dict[str, str] = Field(default_factory=dict)
    last_payment_error: dict | None = None


class RefundObject(ApiModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    amount: int
    currency: str
    status: str | None = None
    reason: str | None = None
    created: int | None = None
    # Refund events (`refund.updated`, `refund.failed`) reconcile a case refund by these.
    payment_intent: ExpandableId = None
    metadata: dict[str, str] = Field(default_factory=dict)
    failure_reason: str | None = None


class RefundList(ApiModel):
    model_config = ConfigDict(extra="ignore")

    data: list[RefundObject] = Field(default_factory=list)


class ChargeObject(ApiModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    amount: int
    amount_refunded: int = 0
    currency: str
    payment_intent: ExpandableId = None
    metadata: dict[str, str] = Field(default_factory=dict)
    refunds: RefundList | None = None  # included by older API versions only


class DisputeObject(ApiModel):
    model_config = ConfigDict(extra="ignore")

    id: str = Field(min_length=1)
    amount: int
    currency: str
    status: str
    reason: str | None = None
    charge: ExpandableId = None
    payment_intent: ExpandableId = None
    metadata: dict[str, str] = Field(default_factory=dict)
    evidence_details: dict | None = None  # {due_by: unix time, has_evidence, past_due, submission_count}


def outcome_of(intent: PaymentIntent, event_type: str, last_payment_error: dict | None = None) -> PaymentOutcome | None:
    """The provider's current status as an outcome for the order (None: nothing to record yet).

    A PaymentIntent goes back to `requires_payment_method` after a failed attempt; before any
    attempt it has the same status, so it only counts as a declined attempt when the event (or the
    intent) says an attempt failed.
    """
    if intent.status == "succeeded":
        return PaymentOutcome.SUCCEEDED
    if intent.status == "canceled":
        return PaymentOutcome.CANCELED
    if intent.status == "processing":
        return PaymentOutcome.PROCESSING
    if intent.status == "requires_action":
        return PaymentOutcome.REQUIRES_ACTION
    failed_attempt = event_type == "payment_intent.payment_failed" or bool(
        last_payment_error or intent.last_payment_error
    )
    if intent.status == "requires_payment_method" and failed_attempt:
        return PaymentOutcome.DECLINED
    return None  # requires_confirmation, or requires_payment_method before any attempt


def decline_reason(error: dict | None) -> str | None:
    """The reason code of a failed attempt: the issuer's `decline_code` when specific, else Stripe's `code`."""
    if not error:
        return None
    decline = error.get("decline_code")
    if decline and decline != "generic_decline":
        return decline
    code = error.get("code") or "card_declined"
    return "authentication_failed" if code == "payment_intent_authentication_failure" else code


def attempt_id(error: dict | None, event_id: str, event_type: str) -> str:
    """One id per failed attempt, the same however often it is read: its charge (each card attempt
    creates one); else the `payment_intent.payment_failed` event that reported it; else the error itself
    (another event type reading an error that lingers on the intent)."""
    charge = _id_of((error or {}).get("charge"))
    if charge:
        return charge
    if event_type == "payment_intent.payment_failed":
        return event_id
    digest = hashlib.sha256(json.dumps(error or {}, sort_keys=True, default=str).encode()).hexdigest()[:16]
    return f"error-{digest}"
