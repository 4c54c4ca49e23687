"""The payment port: what the use cases need from a payment provider.

One adapter exists: `StripeGateway` over the official SDK. In the embedded local stack the
same adapter talks to the local provider (a Stripe-compatible server run by devstack), so the
code that runs in AWS is the code that runs locally.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class PaymentError(Exception):
    """The provider refused or failed; `retryable` tells the caller whether to try again later."""

    def __init__(self, message: str, *, code: str = "payment_error", retryable: bool = False, status: int = 502,
                 param: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.retryable = retryable
        self.status = status
        self.param = param  # the provider's name of the parameter it refused (`amount`, `payment_method`...)
        self.payment_intent: PaymentIntent | None = None  # the intent the error is about, when the provider says
        self.payment_intent_id: str | None = None

    @property
    def worth_retrying(self) -> bool:
        """The one rule for "try the same call again later": the provider said so, or failed on its side."""
        return self.retryable or self.status >= 500


@dataclass(frozen=True)
class PaymentIntent:
    """A PaymentIntent as the provider returns it: id, status, amount."""

    id: str
    status: str  # Stripe's: requires_payment_method, requires_confirmation, requires_action, processing, succeeded, canceled
    amount: int
    currency: str  # lower case, as Stripe returns it
    client_secret: str | None = None
    latest_charge: str | None = None
    customer: str | None = None
    payment_method: str | None = None
    metadata: dict = field(default_factory=dict)
    livemode: bool = False
    last_payment_error: dict | None = None  # the last failed attempt: {code, decline_code, charge, message...}


@dataclass(frozen=True)
class SavedCard:
    """A card saved for a shopper at the provider (brand, last digits, expiry)."""

    id: str
    brand: str
    last4: str
    exp_month: int
    exp_year: int


@dataclass(frozen=True)
class TransferRecord:
    """A transfer to a vendor's account as the provider returns it."""

    id: str
    amount: int
    currency: str  # lower case, as Stripe returns it
    destination: str | None
    amount_reversed: int
    reversal_ids: tuple[str, ...] = ()  # the reversals the provider lists (up to 100)


@dataclass(frozen=True)
class RefundRecord:
    """A refund as the provider returns it."""

    id: str
    amount: int
    status: str


class PaymentGateway(Protocol):
    name: str

    def ensure_customer(self, *, shopper_id: str, email: str | None, existing_id: str | None) -> str: ...

    def create_payment_intent(
        self,
        *,
        order_id: str,
        amount: int,
        currency: str,
        customer_id: str,
        save_card: bool,
        payment_method_id: str | None,
        idempotency_key: str,
    ) -> PaymentIntent: ...

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntent: ...

    def cancel_payment_intent(self, payment_intent_id: str, *, idempotency_key: str) -> PaymentIntent: ...

    def confirm_payment_intent(self, payment_intent_id: str, *, payment_method_id: str, return_url: str,
                               idempotency_key: str) -> PaymentIntent:
        """Pay an existing intent (an unpaid order's) with one of the customer's saved cards, now.
        A decline raises PaymentError status 402; a bank asking to authenticate answers `requires_action`
        (its challenge comes back to `return_url`)."""
        ...

    def refund(self, *, payment_intent_id: str, amount: int | None, idempotency_key: str, reason: str) -> str: ...

    def create_refund(self, *, payment_intent_id: str, amount: int, idempotency_key: str, reason: str,
                      metadata: dict) -> RefundRecord:
        """A refund on the platform's charge, answered with the provider's status (`succeeded`, `pending`,
        `requires_action`, `failed`, `canceled`): a vendor's share refunded for a cancelled line or a case."""
        ...

    def create_transfer(
        self,
        *,
        amount: int,
        currency: str,
        destination: str,
        source_transaction: str,
        transfer_group: str,
        idempotency_key: str,
        metadata: dict,
    ) -> str: ...

    def reverse_transfer(self, *, transfer_id: str, amount: int, idempotency_key: str, metadata: dict) -> str:
        """Take `amount` back from a transfer to a vendor (a refund or lost dispute after the payout).

        With separate charges and transfers a refund never reverses a transfer by itself: the
        platform must. Answers the reversal's id; more than the transfer's unreversed amount is
        refused (PaymentError `amount_too_large`, status 400, not retryable).
        """
        ...

    def create_connected_account(self, *, vendor_id: str, email: str | None, country: str,
                                 business_name: str | None, idempotency_key: str) -> dict:
        """A Connect account for a vendor (the platform pays the fees and bears the losses, Express-style
        dashboard, Stripe collects the requirements; `card_payments` and `transfers` requested).
        Answers the account object as plain data; the same key answers the same account."""
        ...

    def create_account_link(self, *, account_id: str, refresh_url: str, return_url: str) -> dict:
        """A single-use, short-lived onboarding link: {url, expires_at}."""
        ...

    def retrieve_transfer(self, transfer_id: str) -> TransferRecord | None:
        """The transfer as the provider has it (reversals included), or None when it has no such transfer."""
        ...

    def retrieve_refund(self, refund_id: str) -> RefundRecord | None:
        """The refund as the provider has it, or None when it has no such refund."""
        ...

    def retrieve_dispute(self, dispute_id: str) -> dict | None:
        """The dispute as the provider has it (status, amount, evidence, evidence_details.due_by...), or None."""
        ...

    def update_dispute(self, dispute_id: str, *, evidence: dict, submit: bool) -> dict:
        """Add evidence (Stripe's evidence field names, text values) and, with `submit`, send it to the bank.
        Answers the dispute afterwards; a closed dispute is refused (PaymentError status 400)."""
        ...

    def close_dispute(self, dispute_id: str) -> dict:
        """Accept the dispute as lost (no evidence will be sent). Answers the dispute afterwards."""
        ...

    def retrieve_balance(self, *, account_id: str | None = None) -> dict[str, int]:
        """What is available now, per currency (lower case, minor units): the platform's, or a connected
        account's."""
        ...

    def list_cards(self, customer_id: str) -> list[SavedCard]: ...

    def detach_card(self, customer_id: str, payment_method_id: str) -> None: ...

    def payment_page_url(self, intent: PaymentIntent, return_url: str | None) -> str | None:
        """Where the shopper enters a card (the local provider's page); None when the frontend uses Stripe.js."""
        ...
