"""Checkout: turn the shopper's cart into a `pending_payment` order and a PaymentIntent.

DynamoDB round trips of one first-time request (the bench counts them, target <= 5):
  1. idempotency (chalicelib/store/idempotency.py): put the INPROGRESS record (conditional);
  2. TransactGetItems: the cart, the shopper's Stripe customer id and address book;
  3. TransactWriteItems: reserve every line (conditions re-check price, shipping and stock
     instead of a read), put the order and one vendor-order per vendor, keep an inline
     delivery address in the book (and, on the shopper's first checkout, record their new
     Stripe customer id);
  4. UpdateItem: attach the PaymentIntent to the order;
  5. idempotency: save the response (COMPLETED).

Repeats are safe at every level: the same `Idempotency-Key` replays the saved response
(`CHECKOUT_ONCE`, payload validated: another body -> 422, still running -> 409); the order id is
derived from (shopper, key), so a retry after a crash finds the same order (`OrderExists`);
the PaymentIntent's Stripe idempotency key is `pi-<order_id>`; `order.placed` has a dedup key.
The cart is not cleared here: the payment-events consumer clears it when the order is paid.

`checkout` is the HTTP entry point (idempotent over DynamoDB); `place_cart_order` is
the use case, through ports only (`CheckoutAdapters`: OrderRepository, CartRepository, the payment
gateway, the effect runner), so tests/usecases runs it on the in-memory adapters.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from chalicelib.domain.addresses import Address
from chalicelib.domain.charge_limits import ensure_chargeable
from chalicelib.domain.commissions import CommissionRates
from chalicelib.domain.errors import Conflict, DomainError, InvalidInput, Unprocessable
from chalicelib.domain.order_effects import Publish, ReserveStock
from chalicelib.domain.orders import CancelReason, Order, OrderLine, OrderStatus, VendorOrder
from chalicelib.domain.ports import (
    AddressBookChanged,
    CartRepository,
    CheckoutWrites,
    OrderExists,
    OrderNumberTaken,
    OrderRepository,
    PendingOrderChanged,
)
from chalicelib.domain.pricing import PricedLine, Quote, price_cart
from chalicelib.domain.timestamps import iso
from chalicelib.observability import count, logger
from chalicelib.payments.port import PaymentError, PaymentGateway
from chalicelib.services import addresses as address_service
from chalicelib.services import cart as cart_service
from chalicelib.services import commissions
from chalicelib.services.cancel_order import end_unpaid
from chalicelib.services.effect_runner import EffectRunner
from chalicelib.services.order_changes import change_order
from chalicelib.services.orders import order_view
from chalicelib.settings import get_settings
from chalicelib.store.idempotency import AlreadyInProgress, Once, PayloadMismatch
from chalicelib.store.stock import CartChanged

IDEMPOTENCY_KEY_MIN, IDEMPOTENCY_KEY_MAX = 8, 128
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
IN_PROGRESS_SECONDS = 30  # a crashed request frees its key after this (when no Lambda context tells us)
# Replays compare the request body: the same key with another body is refused (422).
CHECKOUT_ONCE = Once("checkout", expires_after_seconds=IDEMPOTENCY_TTL_SECONDS, validate_payload=True)


class PaymentStartFailed(DomainError):
    """The order could not be handed to the payment provider; its stock was released."""

    code = "payment_unavailable"

    def __init__(self, message: str, *, status: int, code: str | None = None, fields: dict | None = None,
                 retry_after: int | None = None):
        super().__init__(message, code=code, fields=fields)
        self.status = status
        self.headers = {"Retry-After": str(retry_after)} if retry_after else None


class CheckoutInProgress(Conflict):
    code = "checkout_in_progress"
    headers = {"Retry-After": "1"}


def validate_idempotency_key(key: str | None) -> str:
    if key is None or not (IDEMPOTENCY_KEY_MIN <= len(key) <= IDEMPOTENCY_KEY_MAX) or not key.isprintable():
        raise InvalidInput(
            f"Send an Idempotency-Key header of {IDEMPOTENCY_KEY_MIN} to {IDEMPOTENCY_KEY_MAX} characters "
            "(a new random value per checkout attempt, the same one when retrying it).",
            code="idempotency_key_required",
            fields={"Idempotency-Key": f"required, {IDEMPOTENCY_KEY_MIN}-{IDEMPOTENCY_KEY_MAX} characters"},
        )
    return key


def validate_return_url(url: str | None) -> str | None:
    """Only back to our own frontend (or, in local mode only, any local one): the payment page redirects there."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a port out of range, as the split raises on a bad IPv6 host
    except ValueError:
        raise InvalidInput("The return URL is not a valid URL.", fields={"return_url": "not a URL"}) from None
    settings = get_settings()
    frontend = urlsplit(settings.frontend_url)
    local = settings.local_mode and parts.hostname in ("127.0.0.1", "localhost")
    if parts.scheme not in ("http", "https") or not (local or (parts.scheme, parts.netloc) == (frontend.scheme, frontend.netloc)):
        raise InvalidInput("The return URL must be a page of this shop.", fields={"return_url": "not our frontend"})
    return url


def order_id_for(shopper_id: str, idempotency_key: str, generation: int = 0) -> str:
    """Derived, never minted: a retried checkout (same shopper, same key) names the same order.

    `generation` > 0 names the order a retry places after the key's earlier order ended because the
    provider could not start its payment (see place_cart_order)."""
    content = f"{shopper_id}\n{idempotency_key}" + (f"\n{generation}" if generation else "")
    return "ord_" + hashlib.sha256(content.encode()).hexdigest()[:24]


# --- the idempotent entry point -------------------------------------------------------------


class _Deadline:
    """Stands in for a Lambda context so an INPROGRESS record expires if this process dies."""

    def __init__(self, seconds: int):
        self._until = datetime.now(UTC) + timedelta(seconds=seconds)

    def get_remaining_time_in_millis(self) -> int:
        return max(int((self._until - datetime.now(UTC)).total_seconds() * 1000), 0)


def checkout(*, shopper_id: str, email: str | None, idempotency_key: str | None, body: dict, lambda_context=None) -> dict:
    """Place the order for the shopper's cart, once per (shopper, Idempotency-Key).

    `body` is the validated request ({address | address_id, country?, save_card, payment_method_id,
    return_url}); it is
    what the replay check compares. Returns {order: OrderView, payment: {...}}.
    """
    key = validate_idempotency_key(idempotency_key)
    validate_return_url(body.get("return_url"))
    if body.get("address") is None and not body.get("address_id"):
        raise address_service.address_required()  # before any read: an order must say where it goes
    deadline = lambda_context if hasattr(lambda_context, "get_remaining_time_in_millis") else _Deadline(IN_PROGRESS_SECONDS)

    def place() -> dict:
        return place_cart_order(shopper_id, email, key, body, adapters=production_adapters())

    try:
        # The shopper is part of the key: two shoppers' keys never collide, nor replay each other.
        return CHECKOUT_ONCE.run([shopper_id, key], place, payload=body,
                                 remaining_ms=deadline.get_remaining_time_in_millis)
    except PayloadMismatch:
        raise Unprocessable(
            "This Idempotency-Key was already used for a different checkout request; use a new key.",
            code="idempotency_key_reused",
            fields={"Idempotency-Key": "already used with another body"},
        ) from None
    except AlreadyInProgress:
        raise CheckoutInProgress(
            "This checkout is already being processed; retry in a moment.",
            fields={"Idempotency-Key": "in progress"},
        ) from None


# --- the use case -------------------------------------------------------------------------


def _new_order(order_id: str, shopper_id: str, quote: Quote, now: datetime, reserved_until: datetime,
               vendor_names: dict[str, str], condition_of: dict[str, str], shipping_address: dict,
               number_salt: int = 0):
    lines = [
        OrderLine(offer_id=line.offer_id, product_id=line.product_id, vendor_id=line.vendor_id,
                  vendor_name=vendor_names.get(line.vendor_id, ""), title=line.title,
                  condition=condition_of.get(line.offer_id, ""), quantity=line.quantity,
                  unit_price=line.unit_price.amount, shipping_fee=line.shipping_fee.amount,
                  promotion_id=line.promotion_id or "", unit_discount=line.unit_discount)
        for group in quote.groups
        for line in group.lines
    ]
    vendor_orders = [
        VendorOrder(vendor_id=group.vendor_id, vendor_name=vendor_names.get(group.vendor_id, ""),
                    currency=quote.currency, items=group.items.amount, shipping=group.shipping.amount,
                    discount=group.discount.amount, total=group.total.amount, commission=group.commission.amount,
                    payout=group.payout.amount, commission_bps=group.commission_bps,
                    commission_rates=tuple({"offer_id": offer_id, "bps": rate.bps, "rule": rate.rule}
                                           for offer_id, rate in group.commission_rates),
                    refund_commission=get_settings().refund_commission)
        for group in quote.groups
    ]
    return Order.place(order_id=order_id, shopper_id=shopper_id, created_at=iso(now), reserved_until=iso(reserved_until),
                       currency=quote.currency, country=quote.country, quote=quote.to_json(), lines=lines,
                       total=quote.total.amount, vendor_orders=vendor_orders, shipping_address=shipping_address,
                       number_salt=number_salt)


def _same_content(order: Order, quote: Quote, address: Address) -> bool:
    """The pending order is what this checkout would place (same lines, terms, address and total)."""
    def key(lines):
        return sorted((line.offer_id, line.quantity, line.unit_price, line.shipping_fee) for line in lines)

    quoted = [line for group in quote.groups for line in group.lines]
    return (order.country == quote.country and order.shipping_address == address.to_json()
            and order.total == quote.total.amount and order.currency == quote.currency
            and key(order.lines) == sorted((x.offer_id, x.quantity, x.unit_price.amount, x.shipping_fee.amount)
                                           for x in quoted))


@dataclass(frozen=True)
class CheckoutAdapters:
    """What the checkout use case works through (the production ones: `production_adapters()`)."""

    orders: OrderRepository
    carts: CartRepository
    gateway: Callable[[], PaymentGateway]  # resolved once the cart is known to be payable
    effects: EffectRunner
    # Each line's commission rate from the rules now (chalicelib/services/commissions.py); None: the platform default.
    commission_rates: Callable[[list[PricedLine]], CommissionRates] | None = None


def production_adapters() -> CheckoutAdapters:
    from chalicelib.services import wiring

    return CheckoutAdapters(orders=wiring.order_repository(), carts=wiring.cart_repository(),
                            gateway=wiring.payment_gateway, effects=wiring.effect_runner(),
                            commission_rates=commissions.dynamo_checkout_rates)


def _pending_order_of(cart, quote: Quote, address: Address, adapters: CheckoutAdapters, gateway: PaymentGateway,
                      now: datetime, order_id: str) -> Order | None:
    """The cart's unpaid order: returned when this checkout would place the same one (resume its payment);
    cancelled, its stock released, when the cart changed since (before the new order reserves)."""
    if not cart.pending_order_id or cart.pending_order_id == order_id:
        return None  # none, or this very checkout retried after a crash: it completes the order it wrote
    order = adapters.orders.get(cart.pending_order_id)
    if order is None or not order.holds_stock or order.shopper_id != cart.shopper_id:
        return None
    if _same_content(order, quote, address) and order.reserved_until > iso(now):
        being_placed = order.created_at > iso(now - timedelta(seconds=IN_PROGRESS_SECONDS))
        if not order.payment_intent_id and being_placed:
            # Placed a moment ago by another Pay of this cart, its payment not attached yet.
            raise CheckoutInProgress("Your order is being placed; retry in a moment.", fields={"cart": "being checked out"})
        if order.payment_intent_id:
            count("CheckoutsResumed", 1)
            return order
    end_unpaid(order.order_id, CancelReason.REPLACED, orders=adapters.orders, effects=adapters.effects,
               gateway=gateway, now=now)
    return None


def _offers_by_vendor(cart) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Each vendor of the cart with its offers: the order's transaction checks that each may sell."""
    by_vendor: dict[str, list[str]] = {}
    for line in cart.lines:
        by_vendor.setdefault(line.vendor_id, []).append(line.offer_id)
    return tuple((vendor_id, tuple(offer_ids)) for vendor_id, offer_ids in by_vendor.items())


MAX_NUMBER_ATTEMPTS = 5
MAX_RESUME_ATTEMPTS = 3
MAX_GENERATIONS = 5  # orders one key may place after provider failures (then: 409 checkout_cancelled)


def _payment_never_started(order: Order) -> bool:
    """Ended by a provider failure before any payment existed: nothing charged, nothing held."""
    return (order.status is OrderStatus.CANCELLED and order.cancel_reason == CancelReason.PAYMENT_NOT_STARTED
            and not order.payment_intent_id)


def place_cart_order(shopper_id: str, email: str | None, idempotency_key: str, body: dict, *,
                     adapters: CheckoutAdapters, now: datetime | None = None, attempt: int = 1,
                     generation: int = 0) -> dict:
    """The use case: the shopper's cart becomes a `pending_payment` order holding its stock, with a
    PaymentIntent for its total; or the cart's unpaid order is resumed (same content) or replaced.

    `body` as `checkout` takes it. Returns {order: OrderView, payment: {...}}. Refusals: InvalidInput
    naming `address`/`address.<field>`/`country`, CartChanged naming `lines.<offer_id>` (nothing held),
    PaymentStartFailed (the provider's refusal, with what is still held), CheckoutInProgress."""
    settings = get_settings()
    orders = adapters.orders
    order_id = order_id_for(shopper_id, idempotency_key, generation)
    cart, customer_id, book = adapters.carts.get_for_checkout(shopper_id)
    address = address_service.for_checkout(body, book)
    remember_address = address_service.to_remember(shopper_id, body, address, book)
    at = iso(now or datetime.now(UTC))  # the lines' own promotion snapshots: no read (see services/cart.py)
    lines = cart_service.snapshot_lines(cart)
    # The commission rule of each line, resolved now and frozen on the sub-orders (later rule changes never touch them).
    quote = price_cart(lines, commissions.checkout_policy(cart_service.pricing_policy(), lines,
                                                          adapters.commission_rates), address.country,
                       cart_service.snapshot_promotions(cart, at), at=at)
    ensure_chargeable(quote.total)  # before any stock is held or any payment created
    new_customer = None
    try:
        gateway = adapters.gateway()
        if customer_id is None:
            # Before the placement so that it records the id (no extra write); the gateway's own
            # idempotency key makes a retried first checkout reuse the same customer.
            customer_id = new_customer = gateway.ensure_customer(shopper_id=shopper_id, email=email, existing_id=None)
    except PaymentError as err:
        raise _payment_start_error(err, saved_card=bool(body.get("payment_method_id"))) from err  # nothing held

    now = now or datetime.now(UTC)
    resumed = _pending_order_of(cart, quote, address, adapters, gateway, now, order_id)
    if resumed is not None:
        return _answer(resumed, gateway, None, body, settings)
    # The cart lines' snapshot of the shops' names: no vendor read on the checkout path.
    vendor_names = {line.vendor_id: line.vendor_name for line in cart.lines if line.vendor_name}
    condition_of = {line.offer_id: line.condition for line in cart.lines}  # as the shopper chose it
    placed_effects: list = []
    for salt in range(MAX_NUMBER_ATTEMPTS):
        order, placed_effects = _new_order(order_id, shopper_id, quote, now,
                                           now + timedelta(minutes=settings.reservation_minutes), vendor_names,
                                           condition_of, address.to_json(), salt)
        reserve = next(e for e in placed_effects if isinstance(e, ReserveStock))
        try:
            orders.place(order, reserve, checkout=CheckoutWrites(
                cart_pending_order_id=cart.pending_order_id, new_customer_id=new_customer,
                address_to_remember=remember_address, promotion_holds=cart_service.promotion_holds(cart, at),
                selling_vendors=_offers_by_vendor(cart)))
            count("OrdersPlaced", 1)
            break
        except OrderNumberTaken:
            continue  # another order has this number: the next salt gives another one
        except AddressBookChanged:
            # The book was edited since the checkout read it: nothing was written; the order matters
            # more than keeping its address for next time.
            logger.warning("address book changed during checkout: the address is not kept")
            remember_address = None
            continue
        except PendingOrderChanged:
            # Another Pay of this cart placed its order a moment ago: nothing was reserved; resume that one.
            if attempt >= MAX_RESUME_ATTEMPTS:
                raise CheckoutInProgress("Another checkout of your cart is being placed; retry in a moment.",
                                         fields={"cart": "being checked out"}) from None
            count("CheckoutsRaced", 1)
            return place_cart_order(shopper_id, email, idempotency_key, body, adapters=adapters, now=now,
                                    attempt=attempt + 1, generation=generation)
        except OrderExists:
            # A retry after a crash: carry on with the order that was written, not with today's cart.
            order = orders.get(order_id)
            if order is None or order.shopper_id != shopper_id:
                raise CheckoutInProgress("This checkout is still being written; retry in a moment.",
                                         fields={"Idempotency-Key": "in progress"}) from None
            if _payment_never_started(order) and generation + 1 < MAX_GENERATIONS:
                # The provider failed this key's earlier attempt (503 "try again in a moment": its order
                # was cancelled, its stock released). The retry the answer invited places the cart
                # again as the key's next order: a new order id, so a new provider idempotency key too.
                count("CheckoutsRetriedAfterProviderFailure", 1)
                return place_cart_order(shopper_id, email, idempotency_key, body, adapters=adapters, now=now,
                                        attempt=attempt, generation=generation + 1)
            break
        except CartChanged:
            count("CheckoutsCartChanged", 1)
            raise
    else:
        raise RuntimeError("no free order number")
    if not order.holds_stock and not order.payment_intent_id:
        raise Conflict("This checkout was cancelled; check out again with a new Idempotency-Key.",
                       code="checkout_cancelled", fields={"Idempotency-Key": "belongs to a cancelled checkout"})

    intent = None
    if not (order.payment_intent_id and order.client_secret):
        try:
            intent = gateway.create_payment_intent(
                order_id=order_id,
                amount=order.total,
                currency=order.currency,
                customer_id=customer_id,
                save_card=bool(body.get("save_card")),
                payment_method_id=body.get("payment_method_id"),
                idempotency_key=f"pi-{order_id}",
            )
        except PaymentError as err:
            _abandon(order, err, adapters, gateway, now)
            raise _payment_start_error(err, saved_card=bool(body.get("payment_method_id"))) from err
        orders.attach_payment(order_id, intent.id, intent.client_secret)
        order.attach_payment(intent.id, intent.client_secret)
        order.version += 1

    for effect in placed_effects:
        if isinstance(effect, Publish):
            adapters.effects.publish(effect)  # `order.placed` (dedup key: the order id: a retry publishes it once)
    logger.info("order placed", extra={"order_id": order_id, "total": order.total})
    return _answer(order, gateway, intent, body, settings)


def _answer(order: Order, gateway, intent, body: dict, settings) -> dict:
    payment_page_url = None
    if intent is not None or order.client_secret:
        from chalicelib.payments import PaymentIntent

        shown = intent or PaymentIntent(id=order.payment_intent_id, status="requires_payment_method",
                                        amount=order.total, currency=order.currency.lower(),
                                        client_secret=order.client_secret)
        payment_page_url = gateway.payment_page_url(shown, body.get("return_url"))
    return {
        "order": order_view(order),
        "payment": {
            "provider": "local" if settings.stripe_api_base else "stripe",
            "payment_intent_id": order.payment_intent_id,
            "status": intent.status if intent is not None else None,
            "client_secret": order.client_secret,
            "payment_page_url": payment_page_url,
            "publishable_key": settings.stripe_publishable_key or None,
        },
    }


def _abandon(order: Order, err: PaymentError, adapters: CheckoutAdapters, gateway: PaymentGateway,
             now: datetime) -> None:
    """The provider did not take the order. A saved card declined on confirmation: the intent exists,
    the order keeps it and its stock, and the shopper can retry. Otherwise release the stock now."""
    declined_intent = getattr(err, "payment_intent_id", None)
    if declined_intent:
        # Recorded so its webhooks find the order; the decline itself arrives as payment_intent.payment_failed.
        secret = err.payment_intent.client_secret if getattr(err, "payment_intent", None) else None
        adapters.orders.attach_payment(order.order_id, declined_intent, secret)
        count("CheckoutsDeclined", 1)
        return
    change_order(order.order_id, lambda fresh: fresh.cancel(CancelReason.PAYMENT_NOT_STARTED, at=iso(now)) or None,
                 orders=adapters.orders, effects=adapters.effects)
    count("CheckoutsPaymentNotStarted", 1)
    logger.warning("payment could not start; stock released",
                   extra={"order_id": order.order_id, "error_code": getattr(err, "code", None)})


def _payment_start_error(err, *, saved_card: bool) -> PaymentStartFailed:
    """The provider's refusal or failure, as the shopper should read it: one code and message per cause."""
    nothing = "Nothing was charged and your cart is unchanged."
    if err.status == 402:  # the card was declined (only a saved card is charged at checkout)
        return PaymentStartFailed(f"{err.message} {nothing}", status=402, code=err.code or "card_declined",
                                  fields={"payment_method_id" if saved_card else "card": err.message})
    if err.code in ("amount_too_small", "amount_too_large"):
        which = "below the smallest" if err.code == "amount_too_small" else "above the largest"
        return PaymentStartFailed(f"Your order total is {which} amount a card payment can be. {nothing}",
                                  status=422, code=err.code, fields={"total": f"{which} card payment"})
    if err.code == "invalid_payment_method" and saved_card:
        return PaymentStartFailed(f"This saved card cannot be used; choose another one. {nothing}", status=400,
                                  code="invalid_payment_method", fields={"payment_method_id": "cannot be used"})
    if err.code == "payments_not_configured":
        return PaymentStartFailed("Payments are not available: this shop's payment provider is not configured.",
                                  status=503, code=err.code)
    if err.code == "provider_auth_failed":
        return PaymentStartFailed(f"Payments are misconfigured on our side; we have been alerted. {nothing}",
                                  status=500, code="payments_misconfigured")
    if err.code == "provider_busy":
        return PaymentStartFailed(f"The payment provider is receiving too many requests; try again in a few "
                                  f"seconds. {nothing}", status=503, code="provider_busy", retry_after=5)
    if err.code == "idempotency_conflict":
        return PaymentStartFailed("This checkout was already sent to the payment provider with other details; "
                                  "check out again with a new Idempotency-Key.", status=409, code=err.code,
                                  fields={"Idempotency-Key": "used with other details"})
    if err.code == "provider_error":
        return PaymentStartFailed(f"The payment provider failed on its side; try again in a moment. {nothing} "
                                  "No item is held for you.", status=503, code="provider_error", retry_after=5)
    if err.retryable or err.status == 503:
        return PaymentStartFailed(
            "We could not reach the payment provider; nothing was charged and no item is held for you. "
            "Try again in a moment.", status=503, code=err.code or "provider_unavailable", retry_after=5)
    # The provider refused a request we built (an unknown customer, a parameter it does not accept):
    # our fault, not the shopper's; logged with the provider's code.
    logger.error("payment provider refused the checkout", extra={"error_code": err.code, "param": err.param})
    return PaymentStartFailed(f"The payment provider refused this payment request. {nothing}", status=502,
                              code="payment_request_refused")
