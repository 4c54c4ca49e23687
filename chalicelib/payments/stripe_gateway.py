"""`StripeGateway`: the payment port over Stripe's official SDK.

The same adapter runs in AWS (api.stripe.com) and locally, where `api_base` points it at the
local provider (devstack/localpay), a Stripe-compatible server: the code that moves money is
the code that is tested.

`stripe` is imported only when the first call is made (it costs ~100 ms of cold start, and
most Lambda invocations never touch it). Every call has a timeout, the SDK retries network
failures, 409s and 5xx itself (`max_network_retries`, with backoff), and every mutating call
carries an idempotency key derived from a stable domain id, so the SDK's retries and ours
can never charge, refund or transfer twice.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import quote, urlencode

from chalicelib.observability import logger
from chalicelib.payments.port import PaymentError, PaymentIntent, RefundRecord, SavedCard, TransferRecord

T = TypeVar("T")

DEFAULT_TIMEOUT_SECONDS = 10.0
DEFAULT_MAX_NETWORK_RETRIES = 2
# Stripe accepts only these refund reasons; anything else we keep in the refund's metadata.
STRIPE_REFUND_REASONS = frozenset({"duplicate", "fraudulent", "requested_by_customer"})
# Invalid-request codes that mean "the object is not in a state that allows this": a conflict.
STATE_CONFLICT_CODES = frozenset(
    {
        "payment_intent_unexpected_state",
        "charge_already_refunded",
        "charge_disputed",
        "resource_already_exists",
        "idempotency_key_in_use",
    }
)


class StripeGateway:
    """`PaymentGateway` over `stripe.StripeClient` (SDK v16)."""

    name = "stripe"

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_SECONDS,
        max_network_retries: int = DEFAULT_MAX_NETWORK_RETRIES,
    ):
        if not api_key:
            raise PaymentError("No Stripe secret key was given.", code="payments_not_configured", status=503)
        self._api_key = api_key
        self.api_base = api_base.rstrip("/") if api_base else None
        self.timeout = timeout
        self.max_network_retries = max_network_retries
        self._client: Any = None
        self._lock = threading.Lock()

    # -- SDK plumbing -------------------------------------------------------------------

    def _sdk(self):
        """The StripeClient, built on first use (this is where `stripe` gets imported)."""
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import stripe

                    self._client = stripe.StripeClient(
                        self._api_key,
                        base_addresses={"api": self.api_base} if self.api_base else None,
                        max_network_retries=self.max_network_retries,
                        http_client=stripe.RequestsClient(timeout=self.timeout),
                    )
        return self._client

    def _call(self, operation: str, fn: Callable[[], T]) -> T:
        import stripe

        try:
            return fn()
        except stripe.StripeError as err:
            raise _payment_error(operation, err) from err

    # -- the port -------------------------------------------------------------------------

    def ensure_customer(self, *, shopper_id: str, email: str | None, existing_id: str | None) -> str:
        if existing_id:
            # Stored on the shopper when first created: trusting it saves a round trip per checkout.
            return existing_id
        params: dict[str, Any] = {"metadata": {"shopper_id": shopper_id}}
        if email:
            params["email"] = email
        # The key names the fact "this shopper's customer": a retried first checkout creates one customer.
        # The email is part of it, since Stripe refuses a key replayed with other parameters.
        key = f"customer-{shopper_id}-{hashlib.sha256((email or '').encode()).hexdigest()[:12]}"
        customer = self._call(
            "create customer",
            lambda: self._sdk().v1.customers.create(params=params, options={"idempotency_key": key}),
        )
        return customer.id

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
    ) -> PaymentIntent:
        params: dict[str, Any] = {
            "amount": amount,
            "currency": currency.lower(),
            "customer": customer_id,
            "transfer_group": order_id,
            "metadata": {"order_id": order_id},
        }
        if payment_method_id:
            # A saved card, confirmed now while the shopper is on the page. Restricting to cards keeps
            # the confirmation redirect-free (no return_url needed); 3-D Secure, when the bank asks for
            # it, comes back as `requires_action` for Stripe.js to handle with the client secret.
            params.update(payment_method=payment_method_id, payment_method_types=["card"], confirm=True)
        else:
            params["automatic_payment_methods"] = {"enabled": True}
        if save_card:
            params["setup_future_usage"] = "on_session"
        intent = self._call(
            "create payment intent",
            lambda: self._sdk().v1.payment_intents.create(params=params, options={"idempotency_key": idempotency_key}),
        )
        return _intent(intent)

    def retrieve_payment_intent(self, payment_intent_id: str) -> PaymentIntent:
        intent = self._call("retrieve payment intent", lambda: self._sdk().v1.payment_intents.retrieve(payment_intent_id))
        return _intent(intent)

    def cancel_payment_intent(self, payment_intent_id: str, *, idempotency_key: str) -> PaymentIntent:
        intent = self._call(
            "cancel payment intent",
            lambda: self._sdk().v1.payment_intents.cancel(
                payment_intent_id, params={"cancellation_reason": "abandoned"}, options={"idempotency_key": idempotency_key}
            ),
        )
        return _intent(intent)

    def confirm_payment_intent(self, payment_intent_id: str, *, payment_method_id: str, return_url: str,
                               idempotency_key: str) -> PaymentIntent:
        # The intent was made for the payment page (automatic payment methods, redirects allowed), so
        # Stripe wants a return_url: where a bank's 3-D Secure challenge sends the shopper back.
        intent = self._call(
            "confirm payment intent",
            lambda: self._sdk().v1.payment_intents.confirm(
                payment_intent_id, params={"payment_method": payment_method_id, "return_url": return_url},
                options={"idempotency_key": idempotency_key},
            ),
        )
        return _intent(intent)

    def refund(self, *, payment_intent_id: str, amount: int | None, idempotency_key: str, reason: str) -> str:
        return self._create_refund(payment_intent_id, amount, idempotency_key, reason, {}).id

    def create_refund(self, *, payment_intent_id: str, amount: int, idempotency_key: str, reason: str,
                      metadata: dict) -> RefundRecord:
        return self._create_refund(payment_intent_id, amount, idempotency_key, reason, metadata)

    def _create_refund(self, payment_intent_id: str, amount: int | None, idempotency_key: str, reason: str,
                       metadata: dict) -> RefundRecord:
        params: dict[str, Any] = {"payment_intent": payment_intent_id}
        if amount is not None:
            params["amount"] = amount
        metadata = {k: str(v) for k, v in metadata.items()}
        if reason in STRIPE_REFUND_REASONS:
            params["reason"] = reason
        elif reason:
            metadata["reason"] = reason
        if metadata:
            params["metadata"] = metadata
        refund = _plain(self._call(
            "refund",
            lambda: self._sdk().v1.refunds.create(params=params, options={"idempotency_key": idempotency_key}),
        ))
        return RefundRecord(id=refund["id"], amount=int(refund.get("amount") or amount or 0),
                            status=str(refund.get("status") or "succeeded"))

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
    ) -> str:
        params = {
            "amount": amount,
            "currency": currency.lower(),
            "destination": destination,
            "source_transaction": source_transaction,
            "transfer_group": transfer_group,
            "metadata": {str(k): str(v) for k, v in (metadata or {}).items()},
        }
        transfer = self._call(
            "create transfer",
            lambda: self._sdk().v1.transfers.create(params=params, options={"idempotency_key": idempotency_key}),
        )
        return transfer.id

    def reverse_transfer(self, *, transfer_id: str, amount: int, idempotency_key: str, metadata: dict) -> str:
        params = {"amount": amount, "metadata": {str(k): str(v) for k, v in (metadata or {}).items()}}
        reversal = self._call(
            "reverse transfer",
            lambda: self._sdk().v1.transfers.reversals.create(
                transfer_id, params=params, options={"idempotency_key": idempotency_key}
            ),
        )
        return reversal.id

    def create_connected_account(self, *, vendor_id: str, email: str | None, country: str,
                                 business_name: str | None, idempotency_key: str) -> dict:
        # Controller properties rather than `type`: what the platform is responsible for, said explicitly.
        params: dict[str, Any] = {
            "country": country,
            "controller": {
                "fees": {"payer": "application"},
                "losses": {"payments": "application"},
                "stripe_dashboard": {"type": "express"},
                "requirement_collection": "stripe",
            },
            "capabilities": {"card_payments": {"requested": True}, "transfers": {"requested": True}},
            "metadata": {"vendor_id": vendor_id},
        }
        if email:
            params["email"] = email
        if business_name:
            params["business_profile"] = {"name": business_name}
        account = self._call(
            "create account",
            lambda: self._sdk().v1.accounts.create(params=params, options={"idempotency_key": idempotency_key}),
        )
        return _plain(account)

    def create_account_link(self, *, account_id: str, refresh_url: str, return_url: str) -> dict:
        params = {"account": account_id, "type": "account_onboarding", "refresh_url": refresh_url,
                  "return_url": return_url}
        # No idempotency key: each click must mint a new link (they are single-use and expire in minutes).
        link = self._call("create account link", lambda: self._sdk().v1.account_links.create(params=params))
        plain = _plain(link)
        return {"url": plain["url"], "expires_at": plain.get("expires_at")}

    def retrieve_transfer(self, transfer_id: str) -> TransferRecord | None:
        def fetch():
            transfer = _plain(self._sdk().v1.transfers.retrieve(transfer_id))
            reversals = transfer.get("reversals") or {}
            ids = [r["id"] for r in reversals.get("data") or []]
            if reversals.get("has_more"):
                page = self._sdk().v1.transfers.reversals.list(transfer_id, params={"limit": 100})
                ids = [r.id for r in page.auto_paging_iter()]
            return TransferRecord(id=transfer["id"], amount=int(transfer["amount"]), currency=transfer["currency"],
                                  destination=_id_of(transfer.get("destination")),
                                  amount_reversed=int(transfer.get("amount_reversed") or 0), reversal_ids=tuple(ids))

        return self._missing_is_none(lambda: self._call("retrieve transfer", fetch))

    def retrieve_refund(self, refund_id: str) -> RefundRecord | None:
        def fetch():
            refund = _plain(self._sdk().v1.refunds.retrieve(refund_id))
            return RefundRecord(id=refund["id"], amount=int(refund["amount"]), status=str(refund.get("status")))

        return self._missing_is_none(lambda: self._call("retrieve refund", fetch))

    # -- disputes and balance (after-sales) -------------------------------------------------

    def retrieve_dispute(self, dispute_id: str) -> dict | None:
        return self._missing_is_none(lambda: _plain(self._call(
            "retrieve dispute", lambda: self._sdk().v1.disputes.retrieve(dispute_id))))

    def update_dispute(self, dispute_id: str, *, evidence: dict, submit: bool) -> dict:
        params = {"evidence": {str(k): str(v) for k, v in evidence.items()}, "submit": submit}
        # No idempotency key of ours: the same evidence sent twice leaves the dispute as once (the SDK
        # still adds one to its own retries).
        return _plain(self._call("update dispute", lambda: self._sdk().v1.disputes.update(dispute_id, params=params)))

    def close_dispute(self, dispute_id: str) -> dict:
        return _plain(self._call("close dispute", lambda: self._sdk().v1.disputes.close(dispute_id)))

    def retrieve_balance(self, *, account_id: str | None = None) -> dict[str, int]:
        options = {"stripe_account": account_id} if account_id else {}
        balance = _plain(self._call("retrieve balance", lambda: self._sdk().v1.balance.retrieve(options=options)))
        return {entry["currency"]: int(entry["amount"]) for entry in balance.get("available") or []}

    @staticmethod
    def _missing_is_none(fetch: Callable[[], T]) -> T | None:
        try:
            return fetch()
        except PaymentError as err:
            if err.code == "resource_missing" or err.status == 404:
                return None
            raise

    def list_cards(self, customer_id: str) -> list[SavedCard]:
        def fetch():
            page = self._sdk().v1.customers.payment_methods.list(customer_id, params={"type": "card", "limit": 100})
            return [_card(pm) for pm in page.auto_paging_iter()]

        return self._call("list cards", fetch)

    def detach_card(self, customer_id: str, payment_method_id: str) -> None:
        method = self._call(
            "retrieve payment method", lambda: self._sdk().v1.payment_methods.retrieve(payment_method_id)
        )
        # Detaching by id alone would let one shopper remove another's card: check the owner first.
        if _id_of(_plain(method).get("customer")) != customer_id:
            raise PaymentError("No such saved card.", code="not_found", status=404)
        self._call(
            "detach payment method",
            lambda: self._sdk().v1.payment_methods.detach(
                payment_method_id, options={"idempotency_key": f"detach-{payment_method_id}"}
            ),
        )

    def payment_page_url(self, intent: PaymentIntent, return_url: str | None) -> str | None:
        """The local provider's card page; None against real Stripe (the frontend uses Stripe.js)."""
        if not self.api_base or not intent.client_secret:
            return None
        query = {"client_secret": intent.client_secret}
        if return_url:
            query["return_url"] = return_url
        return f"{self.api_base}/pay/{quote(intent.id, safe='')}?{urlencode(query)}"


# -- mapping SDK objects and errors -----------------------------------------------------------


def _plain(obj: Any) -> dict:
    """SDK objects are not dicts (v13+): work on their plain data."""
    return obj.to_dict() if hasattr(obj, "to_dict") else dict(obj)


def _id_of(value: Any) -> str | None:
    """An expandable field is either an id or the expanded object."""
    if value is None or isinstance(value, str):
        return value
    return value.get("id")


def _intent(sdk_object: Any) -> PaymentIntent:
    obj = _plain(sdk_object)
    return PaymentIntent(
        id=obj["id"],
        status=obj["status"],
        amount=obj["amount"],
        currency=obj["currency"],
        client_secret=obj.get("client_secret"),
        latest_charge=_id_of(obj.get("latest_charge")),
        customer=_id_of(obj.get("customer")),
        payment_method=_id_of(obj.get("payment_method")),
        metadata=dict(obj.get("metadata") or {}),
        livemode=bool(obj.get("livemode")),
        last_payment_error=obj.get("last_payment_error") or None,
    )


def _card(sdk_object: Any) -> SavedCard:
    pm = _plain(sdk_object)
    card = pm["card"]
    return SavedCard(
        id=pm["id"], brand=card["brand"], last4=card["last4"], exp_month=card["exp_month"], exp_year=card["exp_year"]
    )


# Invalid-request codes about the payment method the request named (a saved card that cannot be used).
PAYMENT_METHOD_CODES = frozenset({
    "payment_method_unactivated", "payment_method_unexpected_state", "payment_method_invalid_parameter",
    "payment_method_not_available", "payment_method_provider_decline", "payment_method_customer_decline",
})


def _invalid_request(operation: str, code: str | None, param: str | None, message: str | None) -> PaymentError:
    """Stripe's 400/404 invalid_request_error, one meaning per cause."""
    if code in ("amount_too_small", "amount_too_large") and operation == "create payment intent":
        # Our own limits (domain/charge_limits.py) should have refused first: the table is out of date.
        which = "below the smallest" if code == "amount_too_small" else "above the largest"
        return PaymentError(f"The amount is {which} amount the payment provider can charge.", code=code,
                            status=422, param=param or "amount")
    if code in STATE_CONFLICT_CODES:
        return PaymentError(message or "The payment is not in a state that allows this.", code=code, status=409,
                            param=param)
    if code in PAYMENT_METHOD_CODES or param == "payment_method":
        return PaymentError(message or "This payment method cannot be used.", code="invalid_payment_method",
                            status=404 if code == "resource_missing" else 400, param="payment_method")
    if code == "resource_missing":
        return PaymentError(message or "The payment provider does not know this object.", code=code, status=404,
                            param=param)
    return PaymentError(message or "The payment request was refused.", code=code or "invalid_request", status=400,
                        param=param)


def _payment_error(operation: str, err: Exception) -> PaymentError:
    """One SDK error -> one PaymentError that says what the caller should do about it."""
    import stripe

    body = err.json_body if isinstance(getattr(err, "json_body", None), dict) else {}
    detail = body.get("error") if isinstance(body.get("error"), dict) else {}
    code = detail.get("code") or getattr(err, "code", None)
    log = {
        "operation": operation,
        "stripe_error": type(err).__name__,
        "stripe_code": code,
        "decline_code": detail.get("decline_code"),
        "http_status": getattr(err, "http_status", None),
        "request_id": getattr(err, "request_id", None),
    }

    param = detail.get("param")
    if isinstance(err, stripe.CardError):
        decline = detail.get("decline_code")
        # A generic decline is just "card_declined"; a specific reason (insufficient_funds...) is more useful.
        reason = decline if decline and decline != "generic_decline" else (code or "card_declined")
        # Card messages are written by Stripe to be shown to the shopper.
        mapped = PaymentError(detail.get("message") or "Your card was declined.", code=reason, retryable=False,
                              status=402, param=param)
    elif isinstance(err, stripe.RateLimitError):
        mapped = PaymentError("The payment provider is receiving too many requests; try again in a few seconds.",
                              code="provider_busy", retryable=True, status=503)
    elif isinstance(err, stripe.APIConnectionError):
        mapped = PaymentError("The payment provider could not be reached; try again shortly.",
                              code="provider_unavailable", retryable=True, status=503)
    elif isinstance(err, stripe.IdempotencyError):
        mapped = PaymentError("This payment request was already made with other details.",
                              code="idempotency_conflict", retryable=False, status=409)
    elif isinstance(err, (stripe.AuthenticationError, stripe.PermissionError)):
        # Our key is wrong, revoked or lacks a permission: an operator must act, retrying will not help.
        mapped = PaymentError("Payments are misconfigured on our side (the provider refused our credentials).",
                              code="provider_auth_failed", retryable=False, status=500)
    elif isinstance(err, stripe.InvalidRequestError):
        mapped = _invalid_request(operation, code, param, detail.get("message"))
    elif isinstance(err, stripe.APIError):
        # Stripe's 5xx: retrying with the same idempotency key is safe.
        mapped = PaymentError("The payment provider failed on its side; try again shortly.", code="provider_error",
                              retryable=True, status=503)
    else:
        mapped = PaymentError("The payment provider refused the request.", code="payment_error", retryable=False,
                              status=502)

    # The PaymentIntent an error is about (a declined confirmation, a cancel on a succeeded intent):
    # callers need it to record the intent or to apply the state the provider reports.
    intent = detail.get("payment_intent")
    mapped.payment_intent = _intent(intent) if isinstance(intent, dict) and intent.get("id") else None
    mapped.payment_intent_id = mapped.payment_intent.id if mapped.payment_intent else None
    if mapped.status >= 500 and not mapped.retryable:
        logger.error("payment provider call failed", extra=log)
    elif mapped.retryable:
        logger.warning("payment provider call failed", extra=log)
    else:
        logger.info("payment provider refused", extra=log)
    return mapped
