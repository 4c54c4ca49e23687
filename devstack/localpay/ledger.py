"""The local provider's books: Stripe objects in memory and the state changes Stripe makes to them.

Customers, PaymentMethods, PaymentIntents, Charges and Events here; Connect accounts, account
links, Transfers and their reversals in `connect.py`; Refunds and application fees in
`refunds.py`; Disputes in `disputes.py`; balances in `balance.py`. Every operation takes the parsed request
parameters and answers the object Stripe would answer, or raises `StripeAPIError` with the
error Stripe would give; every state change records a Stripe-shaped event and hands it to
`on_event` (the webhook dispatcher). One re-entrant lock guards everything: callers hold
`ledger.lock` around a whole request, so an operation and its idempotency record are atomic.

The state is plain JSON (`to_json` / `from_json`), so the local stack can keep it across restarts.
"""

from __future__ import annotations

import copy
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from devstack.localpay.balance import BalanceMixin
from devstack.localpay.cards import TEST_PAYMENT_METHODS, CardProfile, card_for, luhn_valid
from devstack.localpay.connect import ConnectMixin
from devstack.localpay.disputes import DisputeMixin
from devstack.localpay.forms import (
    StripeAPIError,
    check_known,
    get_bool,
    get_choice,
    get_currency,
    get_int,
    get_metadata,
    get_str,
    invalid,
    missing,
)
from devstack.localpay.ids import ZERO_DECIMAL, format_money, new_id, random_token
from devstack.localpay.refunds import RefundMixin

API_VERSION = "2026-10-28.endive"  # what stripe-python 16.1 pins; events are rendered in it
SNAPSHOT_VERSION = 1
MINIMUM_AMOUNTS = {"usd": 50, "eur": 50, "gbp": 30, "chf": 50, "dkk": 250, "sek": 300, "nok": 300, "pln": 200}
MAXIMUM_AMOUNT = 99_999_999  # "The amount value supports up to eight digits"
CANCELABLE = ("requires_payment_method", "requires_capture", "requires_confirmation", "requires_action", "processing")
CONFIRMABLE = ("requires_payment_method", "requires_confirmation", "requires_action")
REDIRECT_RETURN_URL_MESSAGE = (
    "This PaymentIntent is configured to accept payment methods enabled in your Dashboard. Because some of these "
    "payment methods might redirect your customer off of your page, you must provide a `return_url`. If you don't "
    "want to accept redirect-based payment methods, set `automatic_payment_methods[enabled]` to `true` and "
    "`automatic_payment_methods[allow_redirects]` to `never` when creating Setup Intents and Payment Intents."
)
SINGLE_USE_MESSAGE = (
    "The provided PaymentMethod was previously used with a PaymentIntent without Customer attachment, shared with a "
    "connected account without Customer attachment, or was detached from a Customer. It may not be used again. To use "
    "a PaymentMethod multiple times, you must attach it to a Customer first."
)


class Ledger(ConnectMixin, RefundMixin, DisputeMixin, BalanceMixin):
    def __init__(self, *, clock: Callable[[], float] = time.time, api_version: str = API_VERSION):
        self.lock = threading.RLock()
        self.clock = clock
        self.api_version = api_version
        self.objects: dict[str, dict] = {}  # every object by id, in creation order
        self.card_numbers: dict[str, str] = {}  # PaymentMethod id -> card number; never exposed by the API
        self.consumed: set[str] = set()  # single-use PaymentMethods already used
        self.idempotency: dict[str, dict] = {}  # Idempotency-Key -> saved result (see server.py)
        self.onboarding: dict[str, dict] = {}  # account link token -> {account, return_url, refresh_url, expires_at}
        self.challenges: dict[str, dict] = {}  # 3-D Secure challenge token -> {payment_intent, payment_method, ...}
        self.set_up_off_session: set[str] = set()  # saved PaymentMethods set up for off-session payments
        self.balance_adjustments: dict[str, dict[str, int]] = {}  # see balance.py
        self.refund_settlements: dict[str, str] = {}  # refunds whose outcome comes later (see refunds.py)
        # Called with each new event (under the lock); answers how many endpoints will receive it.
        self.on_event: Callable[[dict], int] = lambda event: 0
        # Called (under the lock) when a payment enters `processing`: the provider settles it later.
        self.on_processing: Callable[[str], None] = lambda intent_id: None
        # Called (under the lock) when a refund's outcome comes later: the provider settles it then.
        self.on_refund_pending: Callable[[str], None] = lambda refund_id: None
        # Where pages (the 3-D Secure challenge) are served, as browsers see it.
        self.base_url: Callable[[], str] = lambda: "http://127.0.0.1"

    # -- plumbing -------------------------------------------------------------------------

    def now(self) -> int:
        return int(self.clock())

    def get(self, kind: str, object_id: str | None, *, param: str | None = None) -> dict:
        obj = self.objects.get(object_id or "")
        if obj is None or obj.get("object") != kind:
            raise missing(kind, object_id or "", param=param)
        return obj

    def _store(self, obj: dict) -> dict:
        self.objects[obj["id"]] = obj
        return obj

    def emit(self, event_type: str, obj: dict, request: dict, *, account: str | None = None,
             previous: dict | None = None) -> dict:
        event: dict[str, Any] = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": self.api_version,
            "created": self.now(),
            "data": {"object": copy.deepcopy(obj)},
            "livemode": False,
            "pending_webhooks": 0,
            "request": {"id": request.get("id"), "idempotency_key": request.get("idempotency_key")},
            "type": event_type,
        }
        if previous is not None:
            event["data"]["previous_attributes"] = previous
        if account:
            event["account"] = account
        self._store(event)
        event["pending_webhooks"] = self.on_event(event)
        return event

    def listing(self, items: list[dict], params: dict, url: str) -> dict:
        """Stripe's list object: newest first, `limit` (1..100, default 10), `starting_after` cursor."""
        limit = get_int(params, "limit", minimum=1) or 10
        if limit > 100:
            raise invalid("This value must be less than or equal to 100.", param="limit")
        items = list(reversed(items))
        after = get_str(params, "starting_after")
        if after:
            ids = [item["id"] for item in items]
            if after not in ids:
                raise missing("object", after, param="starting_after")
            items = items[ids.index(after) + 1:]
        return {"object": "list", "data": copy.deepcopy(items[:limit]), "has_more": len(items) > limit, "url": url}

    def of_kind(self, kind: str, **matching: Any) -> list[dict]:
        return [o for o in self.objects.values() if o.get("object") == kind
                and all(o.get(k) == v for k, v in matching.items())]

    def expand(self, obj: dict, paths: Any) -> dict:
        """`expand[]=latest_charge` / `data.customer`: replace ids by the objects they name."""
        if not paths:
            return obj
        if not isinstance(paths, list):
            paths = [paths]
        obj = copy.deepcopy(obj)
        for path in paths:
            self._expand_path(obj, str(path).split("."), str(path))
        return obj

    def _expand_path(self, node: Any, parts: list[str], whole: str) -> None:
        if not parts or not isinstance(node, dict):
            return
        head, rest = parts[0], parts[1:]
        if head == "data" and node.get("object") == "list":
            for item in node["data"]:
                self._expand_path(item, rest, whole)
            return
        if head not in node:
            raise invalid(f"This property cannot be expanded ({whole}).", param="expand")
        value = node[head]
        if isinstance(value, str) and value in self.objects:
            node[head] = value = copy.deepcopy(self.objects[value])
        self._expand_path(value, rest, whole)

    # -- customers ------------------------------------------------------------------------

    CUSTOMER_PARAMS = {"email", "name", "description", "metadata", "phone", "address", "shipping",
                       "preferred_locales", "invoice_settings", "payment_method"}

    def create_customer(self, params: dict, request: dict) -> dict:
        check_known(params, self.CUSTOMER_PARAMS)
        customer = {
            "id": new_id("cus", 14),
            "object": "customer",
            "address": None,
            "balance": 0,
            "created": self.now(),
            "currency": None,
            "default_source": None,
            "delinquent": False,
            "description": get_str(params, "description"),
            "email": get_str(params, "email"),
            "invoice_prefix": secrets.token_hex(4).upper(),
            "invoice_settings": {"custom_fields": None, "default_payment_method": None, "footer": None,
                                 "rendering_options": None},
            "livemode": False,
            "metadata": get_metadata(params),
            "name": get_str(params, "name"),
            "next_invoice_sequence": 1,
            "phone": get_str(params, "phone"),
            "preferred_locales": [],
            "shipping": None,
            "tax_exempt": "none",
            "test_clock": None,
        }
        self._store(customer)
        if get_str(params, "payment_method"):
            self.attach_payment_method(params["payment_method"], {"customer": customer["id"]}, request)
        self.emit("customer.created", customer, request)
        return customer

    def update_customer(self, customer_id: str, params: dict, request: dict) -> dict:
        check_known(params, self.CUSTOMER_PARAMS - {"payment_method"})
        customer = self.get("customer", customer_id)
        previous = {}
        for name in ("email", "name", "description", "phone"):
            if name in params:
                previous[name] = customer[name]
                customer[name] = get_str(params, name)
        if "metadata" in params:
            previous["metadata"] = customer["metadata"]
            customer["metadata"] = get_metadata(params, customer["metadata"])
        self.emit("customer.updated", customer, request, previous=previous)
        return customer

    # -- payment methods ------------------------------------------------------------------

    def new_card_payment_method(self, card: CardProfile, exp_month: int, exp_year: int,
                                billing_details: dict | None = None) -> dict:
        method = {
            "id": new_id("pm"),
            "object": "payment_method",
            "allow_redisplay": "unspecified",
            "billing_details": {"address": {"city": None, "country": None, "line1": None, "line2": None,
                                            "postal_code": None, "state": None},
                                "email": None, "name": None, "phone": None, "tax_id": None, **(billing_details or {})},
            "card": {
                "brand": card.brand,
                "checks": {"address_line1_check": None, "address_postal_code_check": None, "cvc_check": "pass"},
                "country": card.country,
                "display_brand": card.brand,
                "exp_month": exp_month,
                "exp_year": exp_year,
                "fingerprint": card.fingerprint,
                "funding": card.funding,
                "generated_from": None,
                "last4": card.last4,
                "networks": {"available": [card.brand], "preferred": None},
                "regulated_status": "unregulated",
                "three_d_secure_usage": {"supported": True},
                "wallet": None,
            },
            "created": self.now(),
            "customer": None,
            "livemode": False,
            "metadata": {},
            "type": "card",
        }
        self.card_numbers[method["id"]] = card.number
        return self._store(method)

    def card_from_input(self, number: str, exp_month: Any, exp_year: Any, cvc: str | None,
                        param_prefix: str = "card") -> tuple[CardProfile, int, int]:
        """Checks raw card details as Stripe does before any charge: a 402 card_error when wrong."""

        def card_error(message: str, code: str, param: str) -> StripeAPIError:
            return StripeAPIError(402, message, type="card_error", code=code, param=f"{param_prefix}[{param}]",
                                  saved=False)

        number = "".join(ch for ch in str(number or "") if not ch.isspace() and ch != "-")
        if not luhn_valid(number):
            raise card_error("Your card number is incorrect.", "incorrect_number", "number")
        try:
            month, year = int(exp_month), int(exp_year)
        except (TypeError, ValueError):
            raise card_error("Your card's expiration month is invalid.", "invalid_expiry_month", "exp_month") from None
        if year < 100:
            year += 2000
        if not 1 <= month <= 12:
            raise card_error("Your card's expiration month is invalid.", "invalid_expiry_month", "exp_month")
        today = time.gmtime(self.clock())
        if year < today.tm_year or year > today.tm_year + 50:
            raise card_error("Your card's expiration year is invalid.", "invalid_expiry_year", "exp_year")
        if (year, month) < (today.tm_year, today.tm_mon):
            raise card_error("Your card has expired.", "expired_card", "exp_month")
        if cvc is not None and not (str(cvc).isdigit() and len(str(cvc)) in (3, 4)):
            raise card_error("Your card's security code is invalid.", "invalid_cvc", "cvc")
        return card_for(number), month, year

    def create_payment_method(self, params: dict, request: dict) -> dict:
        check_known(params, {"type", "card", "billing_details", "metadata"})
        if get_str(params, "type", required=True) != "card":
            raise invalid("The local provider only supports card PaymentMethods.", param="type")
        card_params = params.get("card")
        if not isinstance(card_params, dict):
            raise invalid("Missing required param: card.", param="card", code="parameter_missing")
        card, month, year = self.card_from_input(card_params.get("number"), card_params.get("exp_month"),
                                                 card_params.get("exp_year"), card_params.get("cvc"))
        billing = params.get("billing_details") if isinstance(params.get("billing_details"), dict) else None
        method = self.new_card_payment_method(card, month, year, billing)
        method["metadata"] = get_metadata(params)
        return method

    def payment_method_for(self, value: str, customer_id: str | None, *, param: str = "payment_method") -> dict:
        """A PaymentMethod id (or Stripe test id like `pm_card_visa`) usable by `customer_id`."""
        if value in TEST_PAYMENT_METHODS:
            year = time.gmtime(self.clock()).tm_year + 3
            return self.new_card_payment_method(card_for(TEST_PAYMENT_METHODS[value]), 12, year)
        method = self.get("payment_method", value, param=param)
        owner = method["customer"]
        if owner and owner != customer_id:
            raise invalid("The provided PaymentMethod belongs to a different Customer. Pass that Customer, or use a "
                          "PaymentMethod attached to this one.", param=param)
        if not owner and value in self.consumed:
            raise invalid(SINGLE_USE_MESSAGE, param=param)
        return method

    def attach_payment_method(self, method_id: str, params: dict, request: dict) -> dict:
        check_known(params, {"customer"})
        customer = self.get("customer", get_str(params, "customer", required=True), param="customer")
        method = self.payment_method_for(method_id, customer["id"], param="payment_method")
        if method["customer"] != customer["id"]:
            if method["id"] in self.consumed:
                raise invalid(SINGLE_USE_MESSAGE, param="payment_method")
            method["customer"] = customer["id"]
            self.emit("payment_method.attached", method, request)
        return method

    def detach_payment_method(self, method_id: str, params: dict, request: dict) -> dict:
        check_known(params, set())
        method = self.get("payment_method", method_id)
        if not method["customer"]:
            raise StripeAPIError(400, "The payment method you provided is not attached to a customer so detachment "
                                 "is impossible.", param="payment_method")
        previous = {"customer": method["customer"]}
        method["customer"] = None
        self.consumed.add(method_id)  # Stripe: detached methods can never be used again
        self.emit("payment_method.detached", method, request, previous=previous)
        return method

    def list_payment_methods(self, customer_id: str | None, params: dict, url: str) -> dict:
        check_known(params, {"customer", "type", "limit", "starting_after", "ending_before", "allow_redisplay"})
        customer_id = customer_id or get_str(params, "customer", required=True)
        self.get("customer", customer_id, param=None if url.startswith("/v1/customers") else "customer")
        kind = get_str(params, "type")
        methods = [m for m in self.of_kind("payment_method", customer=customer_id) if not kind or m["type"] == kind]
        return self.listing(methods, params, url)

    # -- payment intents ------------------------------------------------------------------

    PI_CREATE_PARAMS = {
        "amount", "currency", "customer", "payment_method", "payment_method_types", "automatic_payment_methods",
        "confirm", "return_url", "setup_future_usage", "metadata", "transfer_group", "description", "receipt_email",
        "off_session", "capture_method", "statement_descriptor", "statement_descriptor_suffix", "on_behalf_of",
        "payment_method_options", "confirmation_method", "error_on_requires_action", "use_stripe_sdk", "shipping",
        "transfer_data", "application_fee_amount",
    }
    PI_CONFIRM_PARAMS = {
        "payment_method", "return_url", "setup_future_usage", "off_session", "receipt_email", "client_secret",
        "error_on_requires_action", "use_stripe_sdk", "payment_method_options", "shipping", "mandate_data",
    }

    def create_payment_intent(self, params: dict, request: dict) -> dict:
        check_known(params, self.PI_CREATE_PARAMS)
        amount = get_int(params, "amount", required=True, minimum=1)
        currency = get_currency(params)
        minimum = MINIMUM_AMOUNTS.get(currency, 1 if currency in ZERO_DECIMAL else 50)
        if amount < minimum:
            raise StripeAPIError(400, f"Amount must be at least {format_money(minimum, currency)} {currency}",
                                 code="amount_too_small", param="amount", saved=False)
        if amount > MAXIMUM_AMOUNT:
            raise StripeAPIError(400, f"Amount must be no more than {format_money(MAXIMUM_AMOUNT, currency)} {currency}",
                                 code="amount_too_large", param="amount", saved=False)
        customer_id = get_str(params, "customer")
        if customer_id:
            self.get("customer", customer_id, param="customer")
        methods_types = params.get("payment_method_types")
        automatic = params.get("automatic_payment_methods")
        if methods_types and automatic:
            raise invalid("You may only specify one of these parameters: automatic_payment_methods, "
                          "payment_method_types.", param="automatic_payment_methods")
        if methods_types is not None:
            if not isinstance(methods_types, list) or any(t != "card" for t in methods_types):
                raise invalid("The local provider supports only the `card` payment method type.",
                              param="payment_method_types")
            automatic_methods = None
        else:
            # Since API version 2023-08-16 automatic payment methods are the default.
            automatic = automatic if isinstance(automatic, dict) else {}
            if not get_bool(automatic, "enabled", default=True):
                raise invalid("Pass `payment_method_types` or enable `automatic_payment_methods`.",
                              param="automatic_payment_methods[enabled]")
            redirects = get_choice(automatic, "allow_redirects", ("always", "never")) or "always"
            automatic_methods = {"allow_redirects": redirects, "enabled": True}
        confirm = get_bool(params, "confirm")
        return_url = get_str(params, "return_url")
        if return_url and not confirm:
            raise invalid("You can only pass in a return_url when confirm is true.", param="return_url")
        if confirm and automatic_methods and automatic_methods["allow_redirects"] == "always" and not return_url:
            raise invalid(REDIRECT_RETURN_URL_MESSAGE, param="return_url")
        if get_choice(params, "capture_method", ("automatic", "automatic_async", "manual")) == "manual":
            raise invalid("The local provider does not support capture_method=manual.", param="capture_method")
        method_param = get_str(params, "payment_method")
        method = self.payment_method_for(method_param, customer_id) if method_param else None
        transfer_data, application_fee = self._destination_of(params, amount)

        intent_id = new_id("pi")
        intent = {
            "id": intent_id,
            "object": "payment_intent",
            "amount": amount,
            "amount_capturable": 0,
            "amount_details": {"tip": {}},
            "amount_received": 0,
            "application": None,
            "application_fee_amount": application_fee,
            "automatic_payment_methods": automatic_methods,
            "canceled_at": None,
            "cancellation_reason": None,
            "capture_method": "automatic_async",
            "client_secret": f"{intent_id}_secret_{random_token(25)}",
            "confirmation_method": "automatic",
            "created": self.now(),
            "currency": currency,
            "customer": customer_id,
            "description": get_str(params, "description"),
            "last_payment_error": None,
            "latest_charge": None,
            "livemode": False,
            "metadata": get_metadata(params),
            "next_action": None,
            "on_behalf_of": None,
            "payment_method": method["id"] if method else None,
            "payment_method_configuration_details": None,
            "payment_method_options": {"card": {"installments": None, "mandate_options": None, "network": None,
                                                "request_three_d_secure": "automatic"}},
            "payment_method_types": ["card"],
            "processing": None,
            "receipt_email": get_str(params, "receipt_email"),
            "review": None,
            "setup_future_usage": get_choice(params, "setup_future_usage", ("on_session", "off_session")),
            "shipping": None,
            "source": None,
            "statement_descriptor": get_str(params, "statement_descriptor"),
            "statement_descriptor_suffix": get_str(params, "statement_descriptor_suffix"),
            "status": "requires_confirmation" if method else "requires_payment_method",
            "transfer_data": transfer_data,
            "transfer_group": get_str(params, "transfer_group"),
        }
        self._store(intent)
        self.emit("payment_intent.created", intent, request)
        if confirm:
            self._confirm(intent, request, **_attempt_options(params))
        return intent

    def update_payment_intent(self, intent_id: str, params: dict, request: dict) -> dict:
        check_known(params, {"amount", "description", "metadata", "receipt_email", "setup_future_usage",
                             "transfer_group", "payment_method"})
        intent = self.get("payment_intent", intent_id)
        if intent["status"] not in CONFIRMABLE:
            raise self._unexpected_state(intent, "update")
        if "amount" in params:
            intent["amount"] = get_int(params, "amount", required=True, minimum=1)
        for name in ("description", "receipt_email", "transfer_group"):
            if name in params:
                intent[name] = get_str(params, name)
        if "setup_future_usage" in params:
            intent["setup_future_usage"] = get_choice(params, "setup_future_usage", ("on_session", "off_session"))
        if "metadata" in params:
            intent["metadata"] = get_metadata(params, intent["metadata"])
        if get_str(params, "payment_method"):
            intent["payment_method"] = self.payment_method_for(params["payment_method"], intent["customer"])["id"]
            intent.update(status="requires_confirmation", next_action=None)
        intent["last_payment_error"] = None  # Stripe: "cleared if the PaymentIntent is later updated"
        return intent

    def confirm_payment_intent(self, intent_id: str, params: dict, request: dict) -> dict:
        check_known(params, self.PI_CONFIRM_PARAMS)
        intent = self.get("payment_intent", intent_id)
        if intent["status"] not in CONFIRMABLE:
            raise self._unexpected_state(intent, "confirm")
        secret = get_str(params, "client_secret")
        if secret is not None and secret != intent["client_secret"]:
            raise invalid("The client_secret provided does not match the client_secret associated with the "
                          "PaymentIntent.", param="client_secret")
        automatic = intent["automatic_payment_methods"]
        if automatic and automatic["allow_redirects"] == "always" and not get_str(params, "return_url"):
            raise invalid(REDIRECT_RETURN_URL_MESSAGE, param="return_url")
        if "setup_future_usage" in params:
            intent["setup_future_usage"] = get_choice(params, "setup_future_usage", ("on_session", "off_session"))
        if get_str(params, "payment_method"):
            intent["payment_method"] = self.payment_method_for(params["payment_method"], intent["customer"])["id"]
        return self._confirm(intent, request, **_attempt_options(params))

    def pay_with_card(self, intent_id: str, card: CardProfile, exp_month: int, exp_year: int, request: dict, *,
                      return_url: str | None = None) -> dict:
        """What the payment page does: a new card PaymentMethod, then confirmation (a decline raises the
        card error; a 3-D Secure card answers `requires_action` whose challenge comes back to `return_url`)."""
        intent = self.get("payment_intent", intent_id)
        if intent["status"] not in CONFIRMABLE:
            raise self._unexpected_state(intent, "confirm")
        intent["payment_method"] = self.new_card_payment_method(card, exp_month, exp_year)["id"]
        return self._confirm(intent, request, return_url=return_url)

    def cancel_payment_intent(self, intent_id: str, params: dict, request: dict) -> dict:
        check_known(params, {"cancellation_reason"})
        intent = self.get("payment_intent", intent_id)
        reason = get_choice(params, "cancellation_reason",
                            ("duplicate", "fraudulent", "requested_by_customer", "abandoned"))
        if intent["status"] not in CANCELABLE:
            raise self._unexpected_state(intent, "cancel")
        intent.update(status="canceled", canceled_at=self.now(), cancellation_reason=reason, next_action=None)
        self.emit("payment_intent.canceled", intent, request)
        return intent

    def _unexpected_state(self, intent: dict, action: str) -> StripeAPIError:
        allowed = {"cancel": CANCELABLE, "confirm": CONFIRMABLE, "update": CONFIRMABLE}[action]
        return StripeAPIError(
            400,
            f"You cannot {action} this PaymentIntent because it has a status of {intent['status']}. Only a "
            f"PaymentIntent with one of the following statuses may be {action}ed: {', '.join(allowed)}.",
            code="payment_intent_unexpected_state",
            extra={"payment_intent": copy.deepcopy(intent)},
        )

    def _confirm(self, intent: dict, request: dict, *, return_url: str | None = None, off_session: bool = False,
                 error_on_requires_action: bool = False) -> dict:
        """One payment attempt with the intent's PaymentMethod: authentication first if the card asks
        for it, then the charge (succeeded, failed, or pending while `processing`)."""
        method_id = intent["payment_method"]
        if not method_id:
            raise StripeAPIError(
                400, "You cannot confirm this PaymentIntent because it's missing a payment method. To confirm the "
                "PaymentIntent with a payment method, pass `payment_method`.",
                code="payment_intent_unexpected_state", extra={"payment_intent": copy.deepcopy(intent)})
        method = self.objects[method_id]
        card = card_for(self.card_numbers[method_id])
        if not method["customer"]:
            self.consumed.add(method_id)
        intent["last_payment_error"] = None  # Stripe clears the previous attempt's error on a new one
        # A new attempt voids any challenge still open for an earlier one.
        self.challenges = {token: c for token, c in self.challenges.items() if c["payment_intent"] != intent["id"]}
        if self._needs_authentication(card, method_id):
            if off_session or error_on_requires_action:
                # Nobody is there to authenticate: the issuer declines (Stripe's `authentication_required`).
                refused = replace(card, code="authentication_required", decline_code="authentication_required",
                                  message="Your card was declined. This transaction requires authentication.")
                return self._authorize(intent, method, refused, request)
            return self._require_authentication(intent, method, return_url, request)
        return self._authorize(intent, method, card, request)

    def _needs_authentication(self, card: CardProfile, method_id: str) -> bool:
        if card.authentication == "unless_set_up":
            return method_id not in self.set_up_off_session
        return card.authentication == "always"

    def _require_authentication(self, intent: dict, method: dict, return_url: str | None, request: dict) -> dict:
        """`requires_action`: the shopper must pass the bank's 3-D Secure challenge (a page served here)."""
        token = new_id("payatt")
        url = f"{self.base_url()}/3ds/{token}"
        if return_url:
            next_action = {"type": "redirect_to_url", "redirect_to_url": {"return_url": return_url, "url": url}}
        else:  # confirmed server-side without a return_url: Stripe.js handles the challenge
            next_action = {"type": "use_stripe_sdk", "use_stripe_sdk": {
                "type": "three_d_secure_redirect", "stripe_js": url, "source": token}}
        self.challenges[token] = {"payment_intent": intent["id"], "payment_method": method["id"],
                                  "return_url": return_url, "created": self.now()}
        intent.update(status="requires_action", next_action=next_action)
        self.emit("payment_intent.requires_action", intent, request)
        return intent

    def challenge(self, token: str) -> dict | None:
        """The pending 3-D Secure challenge `token` names (None once used, or replaced by a new attempt)."""
        record = self.challenges.get(token)
        if record is None:
            return None
        intent = self.objects.get(record["payment_intent"]) or {}
        if intent.get("status") != "requires_action" or intent.get("payment_method") != record["payment_method"]:
            return None
        return record

    def finish_authentication(self, token: str, *, authenticated: bool, request: dict) -> tuple[dict, dict]:
        """The shopper completed (or failed) the challenge: (the intent afterwards, the challenge)."""
        record = self.challenge(token)
        if record is None:
            raise missing("payment_attempt", token)
        del self.challenges[token]
        intent = self.objects[record["payment_intent"]]
        method = self.objects[record["payment_method"]]
        intent["next_action"] = None
        if not authenticated:
            intent.update(status="requires_payment_method", payment_method=None, last_payment_error={
                "type": "invalid_request_error",
                "code": "payment_intent_authentication_failure",
                "doc_url": "https://stripe.com/docs/error-codes/payment-intent-authentication-failure",
                "message": "The provided PaymentMethod has failed authentication. You can provide payment_method_data "
                "or a new PaymentMethod to attempt to fulfill this PaymentIntent again.",
                "payment_method": copy.deepcopy(method),
            })
            self.emit("payment_intent.payment_failed", intent, request)
            return intent, record
        card = card_for(self.card_numbers[method["id"]])
        self._authorize(intent, method, card, request, authenticated_with=card.three_d_secure_version,
                        raise_decline=False)
        return intent, record

    def _authorize(self, intent: dict, method: dict, card: CardProfile, request: dict, *,
                   authenticated_with: str | None = None, raise_decline: bool = True) -> dict:
        """The charge itself: each attempt makes one, and `latest_charge` names the last."""
        charge = self._new_charge(intent, method, card, authenticated_with)
        intent["latest_charge"] = charge["id"]
        if card.settles:
            _set_charge_outcome(charge, intent, card, "pending")
            intent.update(status="processing", next_action=None, processing={"type": "card"})
            self.emit("charge.pending", charge, request)
            self.emit("payment_intent.processing", intent, request)
            self.on_processing(intent["id"])
            return intent
        if card.succeeds:
            self._succeed(intent, method, charge, card, request)
            return intent
        self._fail(intent, method, charge, card, request)
        if raise_decline:
            raise StripeAPIError(402, card.message, type="card_error", code=card.code, decline_code=card.decline_code,
                                 extra={"charge": charge["id"], "payment_intent": copy.deepcopy(intent),
                                        "payment_method": copy.deepcopy(method)})
        return intent

    def settle(self, intent_id: str, request: dict) -> dict:
        """A `processing` payment settles as its card says (succeeded, or failed after the fact)."""
        intent = self.get("payment_intent", intent_id)
        if intent["status"] != "processing":
            return intent
        charge = self.objects[intent["latest_charge"]]
        method = self.objects[charge["payment_method"]]
        card = card_for(self.card_numbers[method["id"]])
        if card.settles == "succeeds":
            self._succeed(intent, method, charge, card, request)
        else:
            self._fail(intent, method, charge, card, request)
        return intent

    def _succeed(self, intent: dict, method: dict, charge: dict, card: CardProfile, request: dict) -> None:
        _set_charge_outcome(charge, intent, card, "succeeded")
        intent.update(status="succeeded", amount_received=intent["amount"], last_payment_error=None,
                      next_action=None, processing=None)
        if intent["setup_future_usage"] and intent["customer"] and not method["customer"]:
            # Saved for later: Stripe attaches the card to the customer once the payment succeeds.
            method["customer"] = intent["customer"]
            self.consumed.discard(method["id"])
            self.emit("payment_method.attached", method, request)
        if intent["setup_future_usage"] == "off_session" and method["customer"]:
            # Set up for off-session use: a card that asks only "unless set up" (3155) no longer asks.
            self.set_up_off_session.add(method["id"])
        if intent.get("transfer_data"):  # before charge.succeeded, so the charge it carries names its transfer
            self._pay_destination(intent, charge, request)
        self.emit("charge.succeeded", charge, request)
        self.emit("payment_intent.succeeded", intent, request)
        if card.dispute:
            self._open_dispute(charge, card.dispute, request, inquiry=card.inquiry)

    def _destination_of(self, params: dict, amount: int) -> tuple[dict | None, int | None]:
        """A destination charge's `transfer_data` ({destination, amount?}) and `application_fee_amount`."""
        raw = params.get("transfer_data")
        fee = get_int(params, "application_fee_amount", minimum=0)
        if raw in (None, ""):
            if fee is not None:
                raise invalid("application_fee_amount can only be set on a destination charge (with "
                              "transfer_data[destination]) or on behalf of a connected account.",
                              param="application_fee_amount")
            return None, None
        if not isinstance(raw, dict):
            raise invalid("Invalid hash", param="transfer_data")
        check_known(raw, {"destination", "amount"})
        destination = get_str(raw, "destination", required=True)
        account = self.objects.get(destination or "")
        if not account or account.get("object") != "account":
            raise invalid(f"No such destination: '{destination}'", param="transfer_data[destination]",
                          code="resource_missing")
        if account["capabilities"].get("transfers") != "active":
            raise invalid("Your destination account needs to have at least one of the following capabilities "
                          "enabled: transfers, crypto_transfers, legacy_payments",
                          param="transfer_data[destination]", code="insufficient_capabilities_for_transfer")
        transfer_amount = get_int(raw, "amount", minimum=1)
        if transfer_amount is not None and transfer_amount > amount:
            raise invalid("transfer_data[amount] cannot be greater than the amount of the PaymentIntent.",
                          param="transfer_data[amount]")
        if fee is not None and transfer_amount is not None:
            raise invalid("You may only specify one of these parameters: application_fee_amount, "
                          "transfer_data[amount].", param="application_fee_amount")
        if fee is not None and fee > amount:
            raise invalid("application_fee_amount cannot be greater than the amount of the PaymentIntent.",
                          param="application_fee_amount")
        data = {"destination": destination}
        if transfer_amount is not None:
            data["amount"] = transfer_amount
        return data, fee

    def _pay_destination(self, intent: dict, charge: dict, request: dict) -> None:
        """A destination charge succeeded: its transfer to the connected account, made from the charge,
        and the application fee the platform takes back from it."""
        data = intent["transfer_data"]
        transfer = self.new_transfer(data.get("amount") or charge["amount"], charge["currency"], data["destination"],
                                     source=charge["id"], transfer_group=intent["transfer_group"])
        charge.update(transfer=transfer["id"], transfer_data=dict(data),
                      application_fee_amount=intent["application_fee_amount"])
        self.emit("transfer.created", transfer, request)
        if intent["application_fee_amount"]:
            fee = self.new_application_fee(charge, data["destination"], intent["application_fee_amount"])
            charge["application_fee"] = fee["id"]
            self.emit("application_fee.created", fee, request)

    def _fail(self, intent: dict, method: dict, charge: dict, card: CardProfile, request: dict) -> None:
        _set_charge_outcome(charge, intent, card, "failed")
        error = {
            "type": "card_error",
            "code": card.code,
            "decline_code": card.decline_code,
            "message": card.message,
            "charge": charge["id"],
            "doc_url": f"https://stripe.com/docs/error-codes/{card.code.replace('_', '-')}",
            "payment_method": copy.deepcopy(method),
        }
        intent.update(status="requires_payment_method", payment_method=None, last_payment_error=error,
                      next_action=None, processing=None)
        self.emit("charge.failed", charge, request)
        self.emit("payment_intent.payment_failed", intent, request)

    def _new_charge(self, intent: dict, method: dict, card: CardProfile, authenticated_with: str | None) -> dict:
        """A charge for one attempt; `_set_charge_outcome` fills in how it went."""
        card_details = method["card"]
        three_d_secure = None
        if authenticated_with:
            three_d_secure = {"authentication_flow": "challenge", "electronic_commerce_indicator": "05",
                              "exemption_indicator": None, "result": "authenticated", "result_reason": None,
                              "transaction_id": new_id("3ds"), "version": authenticated_with}
        return self._store({
            "id": new_id("ch"),
            "object": "charge",
            "amount": intent["amount"],
            "amount_refunded": 0,
            "application": None,
            "application_fee": None,
            "application_fee_amount": None,
            "billing_details": copy.deepcopy(method["billing_details"]),
            "calculated_statement_descriptor": "HALLES",
            "created": self.now(),
            "currency": intent["currency"],
            "customer": intent["customer"],
            "description": intent["description"],
            "disputed": False,
            "failure_balance_transaction": None,
            "fraud_details": {},
            "livemode": False,
            "metadata": dict(intent["metadata"]),
            "on_behalf_of": None,
            "payment_intent": intent["id"],
            "payment_method": method["id"],
            "payment_method_details": {
                "card": {
                    "brand": card_details["brand"],
                    "checks": dict(card_details["checks"]),
                    "country": card_details["country"],
                    "exp_month": card_details["exp_month"],
                    "exp_year": card_details["exp_year"],
                    "fingerprint": card_details["fingerprint"],
                    "funding": card_details["funding"],
                    "last4": card_details["last4"],
                    "network": card_details["brand"],
                    "three_d_secure": three_d_secure,
                    "wallet": None,
                },
                "type": "card",
            },
            "receipt_email": intent["receipt_email"],
            "receipt_number": None,
            "receipt_url": None,
            "refunded": False,
            "review": None,
            "shipping": None,
            "source_transfer": None,
            "statement_descriptor": None,
            "statement_descriptor_suffix": None,
            "transfer_data": None,
            "transfer_group": intent["transfer_group"],
        })

    # -- snapshot -------------------------------------------------------------------------

    def to_json(self) -> dict:
        with self.lock:
            return copy.deepcopy({
                "version": SNAPSHOT_VERSION,
                "objects": self.objects,
                "card_numbers": self.card_numbers,
                "consumed": sorted(self.consumed),
                "idempotency": self.idempotency,
                "onboarding": self.onboarding,
                "challenges": self.challenges,
                "set_up_off_session": sorted(self.set_up_off_session),
                "balance_adjustments": self.balance_adjustments,
                "refund_settlements": self.refund_settlements,
            })

    def load_json(self, state: dict) -> None:
        if state.get("version") != SNAPSHOT_VERSION:
            raise ValueError(f"unsupported local provider snapshot version: {state.get('version')!r}")
        with self.lock:
            self.objects = copy.deepcopy(state["objects"])
            self.card_numbers = dict(state["card_numbers"])
            self.consumed = set(state["consumed"])
            self.idempotency = copy.deepcopy(state["idempotency"])
            self.onboarding = copy.deepcopy(state["onboarding"])
            self.challenges = copy.deepcopy(state.get("challenges", {}))  # absent from older snapshots
            self.set_up_off_session = set(state.get("set_up_off_session", []))
            self.balance_adjustments = copy.deepcopy(state.get("balance_adjustments", {}))
            self.refund_settlements = dict(state.get("refund_settlements", {}))


def _set_charge_outcome(charge: dict, intent: dict, card: CardProfile, status: str) -> None:
    """A charge's fields that depend on how it went: "succeeded", "failed" or "pending"."""
    ok, failed = status == "succeeded", status == "failed"
    charge.update(
        status=status,
        paid=ok,
        captured=ok,
        amount_captured=intent["amount"] if ok else 0,
        balance_transaction=charge.get("balance_transaction") or (new_id("txn") if ok else None),
        failure_code=card.code if failed else None,
        failure_message=card.message if failed else None,
        outcome={
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "declined_by_network" if failed else "approved_by_network",
            "reason": card.decline_code if failed else None,
            "risk_level": "normal",
            "risk_score": 20,
            "seller_message": "The bank did not return any further details with this decline." if failed
            else "Payment complete.",
            "type": "issuer_declined" if failed else "authorized",
        },
    )
    charge["payment_method_details"]["card"]["amount_authorized"] = intent["amount"] if ok else None


def _attempt_options(params: dict) -> dict:
    """The confirmation parameters that decide how an attempt that needs authentication goes."""
    # `off_session` is a boolean, or "one_off" / "recurring" (both mean true).
    off_session = params.get("off_session") in ("one_off", "recurring") or get_bool(params, "off_session")
    return {
        "return_url": get_str(params, "return_url"),
        "off_session": off_session,
        "error_on_requires_action": get_bool(params, "error_on_requires_action"),
    }
