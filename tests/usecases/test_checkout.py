"""Checkout on in-memory adapters (no moto, no payment provider): what a shopper notices when paying.

A checkout holds the stock it sells and never more than there is; a double-clicked or repeated Pay
makes one order; Back + Pay resumes the same order, or replaces it when the cart changed (the old
one cancelled and its stock released in the same step); an order needs an address and keeps the
one it was placed with. The Powertools replay of a key and the DynamoDB transaction's own refusals
are covered against moto (tests/component/test_cart_checkout.py, tests/component/test_order_store.py).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.order_effects import ForgetPendingOrder
from chalicelib.domain.orders import OrderStatus
from chalicelib.payments.port import PaymentError, PaymentIntent
from chalicelib.services import cart
from chalicelib.services.cancel_order import cancel_by_shopper
from chalicelib.services.checkout import CheckoutAdapters, CheckoutInProgress, PaymentStartFailed, place_cart_order
from chalicelib.services.effect_runner import EffectRunner
from chalicelib.services.reservation_sweeper import expire_reservations
from chalicelib.store.memory import InMemoryCartCatalog, InMemoryCarts, InMemoryOrders, OfferTermsNow
from chalicelib.store.stock import CartChanged
from tests.fixtures.addresses import address_in, checkout_body

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def local_settings(monkeypatch):
    monkeypatch.setenv("HALLES_LOCAL_MODE", "1")
    monkeypatch.setenv("HALLES_CURRENCY", "EUR")
    monkeypatch.setenv("HALLES_SERVICE_FEE", "0")
    monkeypatch.setenv("HALLES_RESERVATION_MINUTES", "30")


class Provider:
    """A payment provider as checkout uses it: customers, intents (one per idempotency key), cancels."""

    def __init__(self):
        self.intents: dict[str, PaymentIntent] = {}  # idempotency key -> intent
        self.cancelled: set[str] = set()
        self.failure: Exception | None = None  # raised by the next create_payment_intent
        self.while_creating = None  # called inside create_payment_intent (a second click meanwhile)

    def ensure_customer(self, *, shopper_id, email, existing_id):
        return existing_id or f"cus_{shopper_id}"

    def create_payment_intent(self, *, order_id, amount, currency, customer_id, save_card, payment_method_id,
                              idempotency_key):
        if self.while_creating is not None:
            hook, self.while_creating = self.while_creating, None
            hook()
        if self.failure is not None:
            failure, self.failure = self.failure, None
            raise failure
        if idempotency_key not in self.intents:
            number = len(self.intents) + 1
            self.intents[idempotency_key] = PaymentIntent(f"pi_{number}", "requires_payment_method", amount,
                                                          currency.lower(), client_secret=f"pi_{number}_secret",
                                                          customer=customer_id, metadata={"order_id": order_id})
        return self.intents[idempotency_key]

    def intent(self, payment_intent_id) -> PaymentIntent:
        return next(i for i in self.intents.values() if i.id == payment_intent_id)

    def retrieve_payment_intent(self, payment_intent_id):
        intent = self.intent(payment_intent_id)
        status = "canceled" if payment_intent_id in self.cancelled else intent.status
        return PaymentIntent(intent.id, status, intent.amount, intent.currency)

    def cancel_payment_intent(self, payment_intent_id, *, idempotency_key):
        self.cancelled.add(payment_intent_id)
        return self.retrieve_payment_intent(payment_intent_id)

    def payment_page_url(self, intent, return_url):
        return f"https://pay.example/{intent.id}"


class Shop:
    """Two shops' offers, shoppers' carts and orders sharing one stock, as in DynamoDB."""

    def __init__(self):
        self.catalog = InMemoryCartCatalog(
            [OfferTermsNow("tent-a", "tent", "alpine", price=19900, shipping_fee=0, available=5,
                           product_title="Dome Tent"),
             OfferTermsNow("phones-b", "phones", "bytes", price=12900, shipping_fee=1500, available=10,
                           condition="refurbished", product_title="Headphones")],
            vendor_names={"alpine": "Alpine", "bytes": "Bytes"})
        self.carts = InMemoryCarts()
        self.orders = InMemoryOrders(stock=self.catalog.offers, carts=self.carts)
        self.provider = Provider()
        self.published: list[str] = []
        self.effects = EffectRunner(gateway=lambda: self.provider,
                                    publish=lambda event: self.published.append(event.event_type),
                                    clear_cart=self.carts.clear_lines,
                                    forget_pending_order=self.carts.forget_pending_order)
        self.adapters = CheckoutAdapters(orders=self.orders, carts=self.carts, gateway=lambda: self.provider,
                                         effects=self.effects)
        self.now = NOW

    def add(self, offer_id: str, quantity: int, shopper: str = "s1") -> dict:
        return cart.set_line(shopper, offer_id, quantity, carts=self.carts, catalog=self.catalog, orders=self.orders)

    def checkout(self, key: str | None = None, body: dict | None = None, shopper: str = "s1") -> dict:
        return place_cart_order(shopper, None, key or uuid.uuid4().hex, body or checkout_body(),
                                adapters=self.adapters, now=self.now)

    def stock(self, offer_id: str) -> tuple[int, int, int]:
        offer = self.catalog.offers[offer_id]
        return offer.available, offer.reserved, offer.sold

    def status(self, order_id: str) -> OrderStatus:
        return self.orders.get(order_id).status

    def orders_of(self, shopper: str = "s1") -> list[str]:
        return [o.order_id for o in self.orders.orders.values() if o.shopper_id == shopper]


@pytest.fixture
def shop() -> Shop:
    return Shop()


# --- holding stock, never more than there is --------------------------------------------------


def test_a_checkout_from_two_shops_holds_their_stock_and_charges_the_quoted_total(shop):
    shop.add("tent-a", 2)
    shop.add("phones-b", 3)
    quoted = cart.quote("s1", "DE", carts=shop.carts, catalog=shop.catalog, orders=shop.orders)

    placed = shop.checkout()

    order = placed["order"]
    assert order["status"] == "pending_payment"
    assert order["totals"]["total"] == quoted["total"] and order["totals"]["vat_included"] == quoted["vat_included"]
    assert {v["vendor_id"] for v in order["vendors"]} == {"alpine", "bytes"}
    assert shop.stock("tent-a") == (3, 2, 0) and shop.stock("phones-b") == (7, 3, 0)
    intent = shop.provider.intent(placed["payment"]["payment_intent_id"])
    assert intent.amount == quoted["total"]["amount"] == 2 * 19900 + 3 * 12900 + 1500
    assert placed["payment"]["payment_page_url"] == f"https://pay.example/{intent.id}"
    assert shop.published == ["order.placed"]
    assert len(shop.carts.get_cart("s1").lines) == 2  # the cart stays until the order is paid


def test_stock_sold_to_someone_else_refuses_the_checkout_naming_the_line_and_holds_nothing(shop):
    shop.catalog.offers["tent-a"].available = 2
    shop.add("tent-a", 2)
    shop.add("phones-b", 1)
    shop.add("tent-a", 1, shopper="s2")
    shop.checkout(shopper="s2")

    with pytest.raises(CartChanged) as refused:
        shop.checkout()

    assert refused.value.fields == {"lines.tent-a": "Only 1 left."}
    assert shop.stock("tent-a") == (1, 1, 0) and shop.stock("phones-b") == (10, 0, 0)
    assert shop.orders_of("s1") == []


def test_many_shoppers_for_few_units_never_oversell(shop):
    shop.catalog.offers["tent-a"].available = 3
    shoppers = [f"s{n}" for n in range(6)]
    for shopper in shoppers:
        shop.add("tent-a", 1, shopper=shopper)

    placed, refused = 0, 0
    for shopper in shoppers:
        try:
            shop.checkout(shopper=shopper)
            placed += 1
        except CartChanged:
            refused += 1

    assert (placed, refused) == (3, 3) and shop.stock("tent-a") == (0, 3, 0)


def test_a_price_change_since_adding_refuses_until_the_shopper_accepts_it(shop):
    shop.add("tent-a", 1)
    shop.add("phones-b", 1)
    shop.catalog.offers["phones-b"].price = 13900

    with pytest.raises(CartChanged) as refused:
        shop.checkout()

    assert list(refused.value.fields) == ["lines.phones-b"]
    assert shop.stock("tent-a") == (5, 0, 0) and shop.orders_of() == []
    shop.add("phones-b", 1)  # setting the line again accepts the new price
    assert shop.checkout()["order"]["totals"]["total"]["amount"] == 19900 + 13900 + 1500


# --- one order per cart, whatever the clicks ---------------------------------------------------


def test_the_same_checkout_retried_gives_the_same_order_and_holds_once(shop):
    shop.add("tent-a", 1)
    key = uuid.uuid4().hex

    first, again = shop.checkout(key), shop.checkout(key)

    assert again["order"]["order_id"] == first["order"]["order_id"]
    assert again["payment"]["payment_intent_id"] == first["payment"]["payment_intent_id"]
    assert shop.stock("tent-a") == (4, 1, 0) and len(shop.orders_of()) == 1


def test_back_and_pay_again_resumes_the_same_order_and_its_payment(shop):
    shop.add("tent-a", 2)
    first = shop.checkout()

    again = shop.checkout()  # another click of Pay: a new Idempotency-Key, the same cart

    assert again["order"]["order_id"] == first["order"]["order_id"]
    assert again["payment"]["payment_page_url"] == first["payment"]["payment_page_url"]
    assert shop.stock("tent-a") == (3, 2, 0) and len(shop.orders_of()) == 1


def test_a_second_pay_while_the_first_is_being_placed_is_told_to_retry_and_holds_nothing_more(shop):
    shop.add("tent-a", 1)
    second: list[Exception] = []

    def click_again():
        try:
            shop.checkout()
        except CheckoutInProgress as err:
            second.append(err)

    shop.provider.while_creating = click_again
    first = shop.checkout()

    assert [err.fields for err in second] == [{"cart": "being checked out"}]
    assert shop.orders_of() == [first["order"]["order_id"]] and shop.stock("tent-a") == (4, 1, 0)


def test_two_pay_clicks_racing_from_the_same_cart_make_one_order(shop):
    """Both read a cart without an order; the first places its order and payment; the second's placement
    then finds the cart names that order (nothing of its own held) and resumes it."""
    shop.add("tent-a", 1)
    read_cart = shop.carts.get_for_checkout
    first: list[dict] = []

    def first_click_wins_meanwhile(shopper_id):
        read = read_cart(shopper_id)
        if not first:
            shop.carts.get_for_checkout = read_cart
            first.append(shop.checkout())
        return read

    shop.carts.get_for_checkout = first_click_wins_meanwhile
    second = shop.checkout()

    assert second["order"]["order_id"] == first[0]["order"]["order_id"]
    assert second["payment"]["payment_intent_id"] == first[0]["payment"]["payment_intent_id"]
    assert len(shop.orders_of()) == 1 and shop.stock("tent-a") == (4, 1, 0)


def test_pay_after_the_cart_changed_replaces_the_order_and_releases_its_stock_in_the_same_step(shop):
    shop.add("tent-a", 2)
    old = shop.checkout()["order"]
    shop.add("tent-a", 5)  # back on the cart: 3 more than available, the 2 held by the old order count

    new = shop.checkout()["order"]

    assert new["order_id"] != old["order_id"] and new["lines"][0]["quantity"] == 5
    assert shop.status(old["order_id"]) is OrderStatus.CANCELLED
    assert shop.stock("tent-a") == (0, 5, 0)  # the old 2 released, the new 5 held
    assert shop.provider.cancelled == {shop.orders.get(old["order_id"]).payment_intent_id}
    assert shop.carts.get_cart("s1").pending_order_id == new["order_id"]
    assert shop.published == ["order.placed", "order.cancelled", "order.placed"]


def test_pay_again_to_another_address_places_the_order_there(shop):
    shop.add("tent-a", 1)
    first = shop.checkout(body=checkout_body("DE"))["order"]

    again = shop.checkout(body={"address": address_in("DE", line1="Office Street 9")})["order"]

    assert again["order_id"] != first["order_id"] and again["shipping_address"]["line1"] == "Office Street 9"
    assert shop.status(first["order_id"]) is OrderStatus.CANCELLED and shop.stock("tent-a") == (4, 1, 0)


def test_back_from_the_payment_page_the_cart_counts_the_units_its_own_order_holds(shop):
    shop.add("tent-a", 4)
    shop.checkout()
    assert shop.stock("tent-a") == (1, 4, 0)

    view = cart.view_cart("s1", carts=shop.carts, catalog=shop.catalog, orders=shop.orders)
    quote = cart.quote("s1", "DE", carts=shop.carts, catalog=shop.catalog, orders=shop.orders)

    assert view["changes"] == [] and quote["can_checkout"] is True
    assert view["lines"][0]["max_quantity"] == 5


# --- the address -----------------------------------------------------------------------------


@pytest.mark.parametrize("body", [{"save_card": False}, {"country": "DE"}, {"address": None}])
def test_an_order_needs_an_address_and_nothing_is_held_without_one(shop, body):
    shop.add("tent-a", 1)

    with pytest.raises(InvalidInput) as refused:
        shop.checkout(body=body)

    assert refused.value.code == "address_required" and "address" in refused.value.fields
    assert shop.stock("tent-a") == (5, 0, 0) and shop.orders_of() == []


def test_a_country_that_is_not_the_addresss_is_refused_naming_it(shop):
    shop.add("tent-a", 1)

    with pytest.raises(InvalidInput) as refused:
        shop.checkout(body={"address": address_in("FR"), "country": "DE"})

    assert "country" in refused.value.fields
    assert shop.checkout(body={"address": address_in("FR"), "country": "FR"})["order"]["country"] == "FR"


def test_the_order_keeps_the_address_it_was_placed_with_and_the_book_keeps_it_for_next_time(shop):
    shop.add("tent-a", 1)
    shop.add("phones-b", 1)
    placed = shop.checkout(body={"address": address_in("DE", name="Grace Hopper")})["order"]
    (address_id,) = shop.carts.address_books["s1"]

    shop.carts.address_books["s1"][address_id]["line1"] = "Elsewhere 2"  # edited in the book afterwards

    order = shop.orders.get(placed["order_id"])
    assert order.shipping_address["name"] == "Grace Hopper" and order.shipping_address["line1"] == "Main Street 1"
    assert {v.shipping_address["line1"] for v in order.vendor_orders.values()} == {"Main Street 1"}
    shop.add("tent-a", 2)  # the next checkout may name the saved address
    again = shop.checkout(body={"address_id": address_id})["order"]
    assert again["shipping_address"]["line1"] == "Elsewhere 2"


# --- when the provider does not take the payment -----------------------------------------------


def test_a_provider_outage_cancels_the_order_and_releases_its_stock(shop):
    shop.add("tent-a", 2)
    shop.provider.failure = PaymentError("unreachable", code="provider_unavailable", retryable=True, status=503)

    with pytest.raises(PaymentStartFailed) as refused:
        shop.checkout()

    assert refused.value.status == 503 and refused.value.headers == {"Retry-After": "5"}
    (order_id,) = shop.orders_of()
    assert shop.status(order_id) is OrderStatus.CANCELLED and shop.stock("tent-a") == (5, 0, 0)
    assert shop.carts.get_cart("s1").pending_order_id is None  # the next checkout need not read it


def test_the_same_key_retried_after_a_provider_failure_places_the_cart_again(shop):
    # The 503 says "try again in a moment" and the cart page retries with the same key: that retry used
    # to be refused (409 checkout_cancelled) because the failed attempt's order had been cancelled.
    shop.add("tent-a", 2)
    key = uuid.uuid4().hex
    shop.provider.failure = PaymentError("the provider failed", code="provider_error", retryable=True, status=503)
    with pytest.raises(PaymentStartFailed):
        shop.checkout(key)

    again = shop.checkout(key)

    assert again["order"]["status"] == "pending_payment" and again["payment"]["payment_intent_id"]
    assert shop.stock("tent-a") == (3, 2, 0)  # held once, by the order now being paid
    assert sorted(shop.status(o).value for o in shop.orders_of()) == ["cancelled", "pending_payment"]
    assert shop.checkout(key)["order"]["order_id"] == again["order"]["order_id"]  # the key names it from now on
    assert shop.stock("tent-a") == (3, 2, 0)


def test_a_retry_after_a_crash_completes_the_order_that_was_written(shop):
    shop.add("tent-a", 1)
    key = uuid.uuid4().hex
    shop.provider.failure = RuntimeError("the process died")
    with pytest.raises(RuntimeError):
        shop.checkout(key)
    shop.add("phones-b", 1)  # the cart changed meanwhile

    again = shop.checkout(key)

    assert [line["offer_id"] for line in again["order"]["lines"]] == ["tent-a"]
    assert again["payment"]["payment_intent_id"]
    assert shop.stock("tent-a") == (4, 1, 0) and shop.stock("phones-b") == (10, 0, 0)
    assert len(shop.orders_of()) == 1


# --- the cart forgets an order that ended ------------------------------------------------------


def test_a_cancelled_order_leaves_the_cart_which_checks_out_a_new_one(shop):
    shop.add("tent-a", 1)
    first = shop.checkout()["order"]["order_id"]

    cancel_by_shopper("s1", first, orders=shop.orders, effects=shop.effects, gateway=shop.provider, now=NOW)

    assert shop.carts.get_cart("s1").pending_order_id is None and shop.stock("tent-a") == (5, 0, 0)
    second = shop.checkout()["order"]["order_id"]
    assert second != first and shop.stock("tent-a") == (4, 1, 0)


def test_an_expired_order_leaves_the_cart(shop):
    shop.add("tent-a", 1)
    shop.checkout()

    outcome = expire_reservations(NOW + timedelta(minutes=31), gateway=shop.provider, orders=shop.orders,
                                  effects=shop.effects)

    assert outcome == {"cancelled": 1}
    assert shop.carts.get_cart("s1").pending_order_id is None and shop.stock("tent-a") == (5, 0, 0)


def test_a_late_run_of_an_old_orders_effects_never_makes_the_cart_forget_its_new_order(shop):
    shop.add("tent-a", 1)
    old = shop.checkout()["order"]["order_id"]
    cancel_by_shopper("s1", old, orders=shop.orders, effects=shop.effects, gateway=shop.provider, now=NOW)
    shop.add("tent-a", 2)
    new = shop.checkout()["order"]["order_id"]
    unfinished = shop.orders.get(old)  # as if a crash had left its outbox undone: the next event finishes it
    unfinished.outbox = [ForgetPendingOrder(old, "s1")]
    shop.orders.save(unfinished, effects=[])

    shop.effects.run(shop.orders.get(old), shop.orders)

    assert shop.carts.get_cart("s1").pending_order_id == new and shop.orders.get(old).outbox == []


# --- what the placement refuses, as DynamoDB's conditions do -----------------------------------


def test_an_order_number_already_given_to_another_order_is_never_given_twice(shop):
    from chalicelib.domain.orders import order_number_for
    from chalicelib.domain.timestamps import iso
    from chalicelib.services.checkout import order_id_for

    shop.add("tent-a", 1)
    key = uuid.uuid4().hex
    taken = order_number_for(order_id_for("s1", key), iso(NOW))
    shop.orders.numbers[taken] = "ord_someone_else"

    placed = shop.checkout(key)["order"]

    assert placed["order_number"] != taken and placed["order_number"].startswith("H-2611-")
    assert shop.orders.numbers[placed["order_number"]] == placed["order_id"] and shop.stock("tent-a") == (4, 1, 0)


def test_an_address_book_edited_during_checkout_does_not_stop_the_order(shop):
    shop.add("tent-a", 1)
    book_read = shop.carts.get_for_checkout

    def edited_meanwhile(shopper_id):
        read = book_read(shopper_id)
        shop.carts.address_books[shopper_id] = {"home": address_in("DE", line1="Home 3")}  # another tab
        return read

    shop.carts.get_for_checkout = edited_meanwhile
    placed = shop.checkout(body={"address": address_in("DE", line1="Office Street 9")})["order"]

    assert placed["shipping_address"]["line1"] == "Office Street 9" and shop.stock("tent-a") == (4, 1, 0)
    assert [entry["line1"] for entry in shop.carts.address_books["s1"].values()] == ["Home 3"]


def test_the_in_memory_placement_is_all_or_nothing(shop):
    """One refused reservation leaves every other line, the cart and the book as they were."""
    shop.catalog.offers["phones-b"].available = 1
    shop.add("tent-a", 2)
    shop.add("phones-b", 1)
    shop.catalog.offers["phones-b"].available = 0  # sold meanwhile

    with pytest.raises(CartChanged):
        shop.checkout()

    assert shop.stock("tent-a") == (5, 0, 0) and shop.orders.orders == {} and shop.orders.numbers == {}
    assert shop.carts.get_cart("s1").pending_order_id is None and "s1" not in shop.carts.address_books
    assert "s1" not in shop.carts.customers


def test_once_paid_the_cart_is_emptied_and_the_next_checkout_is_a_new_order(shop):
    from chalicelib.domain.orders import PaymentOutcome
    from chalicelib.services.settle_payment import settle

    shop.add("tent-a", 1)
    paid = shop.checkout()["order"]["order_id"]

    settle(paid, PaymentOutcome.SUCCEEDED, orders=shop.orders, effects=shop.effects, now=NOW, charge_id="ch_1")

    assert shop.carts.get_cart("s1").lines == [] and shop.carts.get_cart("s1").pending_order_id is None
    assert shop.stock("tent-a") == (4, 0, 1)
    shop.add("tent-a", 1)
    assert shop.checkout()["order"]["order_id"] != paid and shop.stock("tent-a") == (3, 1, 1)
