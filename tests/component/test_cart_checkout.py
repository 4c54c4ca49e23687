"""Cart, quote, checkout and shoppers' orders through the HTTP API (moto + the local payment provider).

What checkout decides (holding stock, one order per cart, Back + Pay, the address) is tested on in-memory
adapters in tests/usecases/test_checkout.py; here: the HTTP answers, the Powertools replay of a key, the
DynamoDB round trips, and the paths through the real transaction and payment provider."""

from __future__ import annotations

import uuid

import pytest

from chalicelib.store import offers as offers_store
from chalicelib.store import vendor_orders as vendor_order_store
from tests.fixtures.addresses import address_in, checkout_body
from tests.fixtures.aws import call
from tests.fixtures.catalog import offer as offer_terms


@pytest.fixture(scope="module")
def world():
    """One stack, app client and payment provider per module (deploying costs seconds); each test
    gets its own vendors, offers and shopper in it, so tests never see each other's stock or orders."""
    from chalice.test import Client

    import app as halles
    from tests.fixtures.catalog import module_stack
    from tests.fixtures.payments import local_payment_provider

    with module_stack(), local_payment_provider() as provider:
        with Client(halles.app, stage_name="dev") as client:
            yield client, provider


@pytest.fixture
def payments(world):
    return world[1]


@pytest.fixture
def new_user(world):
    """`new_user(role, shop_name=None) -> TestUser`, signed up and signed in in the module's stack."""
    from chalicelib.services import accounts
    from tests.fixtures.auth import TestUser

    def make(role: str = "shopper", shop_name: str | None = None):
        email, password = f"{role}-{uuid.uuid4().hex[:10]}@example.com", "Passw0rd!x"
        accounts.sign_up(email, password, "Test", role, shop_name=shop_name)
        session = accounts.sign_in(email, password)
        return TestUser(session["user"]["user_id"], email, password, role, session["access_token"],
                        session["id_token"], session["refresh_token"])

    return make


@pytest.fixture
def shop(world, new_user):
    """A signed-in shopper and a fresh copy of the test catalogue (tests/fixtures/catalog.py) from new vendors."""
    from tests.fixtures.catalog import build_catalog

    suffix = uuid.uuid4().hex[:6]
    catalog = build_catalog(new_user("vendor", f"Alpine {suffix}"), new_user("vendor", f"Bytes {suffix}"))
    catalog.shop_names = {"a": f"Alpine {suffix}", "b": f"Bytes {suffix}"}
    return Shop(world[0], catalog, new_user("shopper"))


class Shop:
    def __init__(self, client, catalog, shopper):
        self.client, self.catalog, self.shopper = client, catalog, shopper

    def call(self, method, path, body=None, token=None, headers=None):
        return call(self.client, method, path, body, token=token or self.shopper.access_token, headers=headers)

    def add(self, name, who, quantity, token=None):
        return self.call("PUT", f"/cart/lines/{self.catalog.offers[(name, who)]}", {"quantity": quantity}, token)

    def checkout(self, key=None, body=None, token=None):
        key = key or uuid.uuid4().hex
        return self.call("POST", "/checkout", body or checkout_body(), token, {"Idempotency-Key": key})

    def stock(self, name, who):
        item = offers_store.get_offer(self.catalog.offers[(name, who)])
        return int(item.available), int(item.reserved), int(item.sold)

    def set_price(self, name, who, price, shipping, stock):
        vendor = self.catalog.vendor_a if who == "a" else self.catalog.vendor_b
        condition = "refurbished" if name == "headphones" else "new"
        status, body, _ = self.call("PUT", f"/vendor/products/{self.catalog.products[name]}/offer",
                                    offer_terms(price, shipping, stock, condition=condition), token=vendor.access_token)
        assert status in (200, 201) and body["offer_id"] == self.catalog.offers[(name, who)], body


# --- cart -------------------------------------------------------------------------------------


def test_a_line_holds_at_most_ten_of_an_offer_whatever_the_stock(shop):
    """One limit (domain/limits.py) for the request, the cart and the quote: 11 is refused naming quantity."""
    from chalicelib.domain.limits import MAX_LINE_QUANTITY

    shop.set_price("headphones", "b", 12900, 0, 50)  # plenty in stock: only the line maximum refuses

    status, body, _ = shop.add("headphones", "b", MAX_LINE_QUANTITY + 1)

    assert MAX_LINE_QUANTITY == 10
    assert status == 400 and "quantity" in body["error"]["fields"], body
    assert shop.call("GET", "/cart")[1]["lines"] == []
    status, cart, _ = shop.add("headphones", "b", MAX_LINE_QUANTITY)
    assert status == 200 and cart["lines"][0]["quantity"] == cart["lines"][0]["max_quantity"] == 10
    doc = shop.call("GET", "/openapi.json")[1]
    assert doc["components"]["schemas"]["SetQuantity"]["properties"]["quantity"]["maximum"] == 10


def test_a_cart_line_snapshots_the_offer_and_shows_current_terms(shop):
    status, cart, _ = shop.add("tent", "a", 2)

    assert status == 200
    (line,) = cart["lines"]
    assert line["quantity"] == 2 and line["unit_price"] == {"amount": 19900, "currency": "EUR"}
    assert line["vendor_name"] == shop.catalog.shop_names["a"] and line["title"] == "Trailhead Dome Tent 2P"
    assert cart["changes"] == []
    assert shop.call("GET", "/cart")[1] == cart


def test_quantities_are_bounded_by_stock_and_the_line_maximum(shop):
    status, body, _ = shop.add("tent", "b", 3)  # 2 in stock
    assert status == 400 and body["error"]["fields"] == {"quantity": "at most 2"}

    status, body, _ = shop.add("headphones", "b", 11)  # 10 in stock, line maximum 10
    assert status == 400 and "quantity" in body["error"]["fields"]

    status, body, _ = shop.add("kettle", "a", 1)  # sold out
    assert status == 400 and "quantity" in body["error"]["fields"]

    status, body, _ = shop.call("PUT", "/cart/lines/off_doesnotexist", {"quantity": 1})
    assert status == 404

    status, body, _ = shop.call("PUT", f"/cart/lines/{shop.catalog.offers[('tent', 'a')]}", {"quantity": -1})
    assert status == 400 and "quantity" in body["error"]["fields"]

    assert shop.call("GET", "/cart")[1]["lines"] == []


def test_zero_or_delete_removes_a_line(shop):
    shop.add("tent", "a", 1)
    shop.add("headphones", "b", 1)

    _, cart, _ = shop.add("tent", "a", 0)
    assert [line["offer_id"] for line in cart["lines"]] == [shop.catalog.offers[("headphones", "b")]]

    status, cart, _ = shop.call("DELETE", f"/cart/lines/{shop.catalog.offers[('headphones', 'b')]}")
    assert status == 200 and cart["lines"] == []


def test_the_cart_lists_what_changed_since_a_line_was_added(shop):
    shop.add("tent", "a", 2)
    shop.set_price("tent", "a", 20900, 0, 1)

    changes = {c["reason"]: c for c in shop.call("GET", "/cart")[1]["changes"]}

    assert changes["price_changed"]["now"] == {"amount": 20900, "currency": "EUR"}
    assert changes["out_of_stock"]["available"] == 1


# --- quote --------------------------------------------------------------------------------------


def test_the_quote_shows_every_fee_and_changes_nothing(shop):
    shop.add("tent", "a", 1)
    shop.add("tent", "b", 1)
    shop.add("headphones", "b", 2)
    before = [shop.stock("tent", "a"), shop.stock("headphones", "b")]

    status, quote, _ = shop.call("GET", "/cart/quote?country=FR")

    assert status == 200
    by_vendor = {v["vendor_id"]: v for v in quote["vendors"]}
    a, b = by_vendor[shop.catalog.vendor_a.user_id], by_vendor[shop.catalog.vendor_b.user_id]
    assert a["total"]["amount"] == 19900
    assert b["items"]["amount"] == 18900 + 2 * 12900 and b["shipping"]["amount"] == 1500
    assert quote["total"]["amount"] == 19900 + 18900 + 25800 + 1500
    assert quote["vat_rate_bps"] == 2000
    assert quote["vat_included"]["amount"] == round(quote["total"]["amount"] * 2000 / 12000)
    assert quote["service_fee"] == {"amount": 0, "currency": "EUR"}
    assert quote["changes"] == [] and quote["can_checkout"] is True
    assert [shop.stock("tent", "a"), shop.stock("headphones", "b")] == before
    assert shop.call("GET", "/orders")[1]["items"] == []


def test_a_quote_needs_a_country_we_deliver_to_and_a_cart(shop):
    status, body, _ = shop.call("GET", "/cart/quote?country=DE")
    assert status == 400 and body["error"]["code"] == "empty_cart"

    shop.add("tent", "a", 1)
    status, body, _ = shop.call("GET", "/cart/quote?country=US")
    assert status == 400 and "country" in body["error"]["fields"]
    status, body, _ = shop.call("GET", "/cart/quote?country=Deutschland")
    assert status == 400 and body["error"]["fields"]["country"] == "a two-letter country code"
    assert shop.call("GET", "/cart/quote?country=de")[1]["country"] == "DE"


# --- checkout -----------------------------------------------------------------------------------


def test_stock_sold_to_someone_else_refuses_checkout_and_reserves_nothing(shop, new_user):
    other = new_user("shopper")
    shop.add("tent", "b", 2)
    shop.add("tent", "a", 1)
    shop.add("tent", "b", 1, token=other.access_token)
    assert shop.checkout(token=other.access_token)[0] == 201

    status, body, _ = shop.checkout()

    assert status == 409
    assert body["error"]["fields"] == {f"lines.{shop.catalog.offers[('tent', 'b')]}": "Only 1 left."}
    assert shop.stock("tent", "b") == (1, 1, 0) and shop.stock("tent", "a") == (5, 0, 0)


def test_replaying_the_same_key_returns_the_same_order(shop):
    shop.add("tent", "a", 1)
    key = uuid.uuid4().hex

    first = shop.checkout(key)
    again = shop.checkout(key)

    assert first[0] == again[0] == 201
    assert again[1] == first[1]
    assert shop.stock("tent", "a") == (4, 1, 0)
    assert len(shop.call("GET", "/orders")[1]["items"]) == 1


def test_the_same_key_with_another_body_is_refused(shop):
    shop.add("tent", "a", 1)
    key = uuid.uuid4().hex
    assert shop.checkout(key, checkout_body())[0] == 201

    status, body, _ = shop.checkout(key, checkout_body("FR"))

    assert status == 422 and "Idempotency-Key" in body["error"]["fields"]
    assert shop.stock("tent", "a") == (4, 1, 0)


@pytest.mark.parametrize("headers", [{}, {"Idempotency-Key": "short"}, {"Idempotency-Key": "x" * 129}])
def test_checkout_needs_an_idempotency_key(shop, headers):
    shop.add("tent", "a", 1)

    status, body, _ = shop.call("POST", "/checkout", checkout_body(), headers=headers)

    assert status == 400 and "Idempotency-Key" in body["error"]["fields"]
    assert shop.stock("tent", "a") == (5, 0, 0)


def test_a_duplicate_arriving_while_the_first_runs_gets_409_with_retry_after(shop, monkeypatch):
    import chalicelib.payments as payments_module

    shop.add("tent", "a", 1)
    key = uuid.uuid4().hex
    real = payments_module.get_gateway()
    seen = []

    class DuplicateMidway:
        """Fires the same request again while the first one is talking to the provider."""

        def __getattr__(self, name):
            return getattr(real, name)

        def create_payment_intent(self, **kwargs):
            seen.append(shop.checkout(key))
            return real.create_payment_intent(**kwargs)

    monkeypatch.setattr(payments_module, "get_gateway", lambda: DuplicateMidway())

    status, body, _ = shop.checkout(key)

    assert status == 201
    ((dup_status, dup_body, dup_headers),) = seen
    assert dup_status == 409 and dup_headers["Retry-After"] == "1"
    assert shop.stock("tent", "a") == (4, 1, 0)


def test_a_retry_after_a_crash_midway_completes_the_same_order(shop, monkeypatch):
    import chalicelib.payments as payments_module

    shop.add("tent", "a", 1)
    key = uuid.uuid4().hex
    real = payments_module.get_gateway()

    class CrashBeforePaying:
        def __getattr__(self, name):
            return getattr(real, name)

        def create_payment_intent(self, **kwargs):
            raise RuntimeError("the process died")

    monkeypatch.setattr(payments_module, "get_gateway", lambda: CrashBeforePaying())
    assert shop.checkout(key)[0] == 500
    monkeypatch.setattr(payments_module, "get_gateway", lambda: real)
    shop.add("headphones", "b", 1)  # the cart changed meanwhile: the retry completes the order already written

    status, body, _ = shop.checkout(key)

    assert status == 201
    assert [line["offer_id"] for line in body["order"]["lines"]] == [shop.catalog.offers[("tent", "a")]]
    assert shop.stock("tent", "a") == (4, 1, 0) and shop.stock("headphones", "b") == (10, 0, 0)
    assert len(shop.call("GET", "/orders")[1]["items"]) == 1


def test_checkout_makes_at_most_five_dynamodb_round_trips_once_warm(shop, new_user, dynamodb_calls):
    """An inline address is kept in the book by the order's own transaction: no round trip of its own."""
    home, office = address_in("DE"), address_in("DE", line1="Office Street 9")
    first_time, with_book, by_id = (new_user("shopper") for _ in range(3))
    for shopper in (first_time, with_book, by_id):
        shop.add("tent", "a", 1, token=shopper.access_token)
        shop.add("headphones", "b", 1, token=shopper.access_token)
    for shopper in (with_book, by_id):
        assert shop.call("PUT", "/me/addresses/home", home, token=shopper.access_token)[0] == 200

    counted = {}
    for name, shopper, body in (("first", first_time, {"address": home}),  # creates the customer and the book
                                ("new entry", with_book, {"address": office}),  # adds to an existing book
                                ("by id", by_id, {"address_id": "home"})):
        with dynamodb_calls() as calls:
            status, answer, _ = shop.checkout(body=body, token=shopper.access_token)
        assert status == 201, answer
        counted[name] = list(calls)

    print(f"checkout DynamoDB calls: {counted}")
    # A container's first checkout of some products also reads the commission rules and their categories, in
    # ONE BatchGetItem (chalicelib/services/commissions.py); the next ones find them cached.
    assert all(len([c for c in calls if c != "BatchGetItem"]) <= 5 and calls.count("BatchGetItem") <= 1
               for calls in counted.values()), counted
    assert "BatchGetItem" not in counted["new entry"] + counted["by id"], counted
    books = {name: [entry["line1"] for entry in shop.call("GET", "/me/addresses", token=shopper.access_token)[1]["items"]]
             for name, shopper in (("first", first_time), ("new entry", with_book), ("by id", by_id))}
    assert books == {"first": ["Main Street 1"], "new entry": ["Office Street 9", "Main Street 1"],
                     "by id": ["Main Street 1"]}


def test_checkout_without_an_address_is_refused_naming_it(shop):
    shop.add("tent", "a", 1)

    for body in ({"save_card": False}, {"country": "DE"}, {"save_card": True, "return_url": None}):
        status, answer, _ = shop.checkout(body=body)
        assert status == 400 and answer["error"]["code"] == "address_required", answer
        assert "address" in answer["error"]["fields"]
    assert shop.stock("tent", "a") == (5, 0, 0) and shop.call("GET", "/orders")[1]["items"] == []


def test_the_payment_asks_the_provider_for_exactly_the_order_total(shop, payments):
    shop.add("tent", "a", 1)
    shop.add("headphones", "b", 1)

    status, body, _ = shop.checkout(body=checkout_body(save_card=True, return_url="http://127.0.0.1:8080/orders"))

    assert status == 201
    payment, order = body["payment"], body["order"]
    assert payment["provider"] == "local" and payment["publishable_key"].startswith("pk_test_")
    assert payment["payment_page_url"].startswith(f"{payments.url}/pay/{payment['payment_intent_id']}")
    intent = payments.payment_intent(payment["payment_intent_id"])
    assert intent["amount"] == order["totals"]["total"]["amount"] == 19900 + 12900
    assert intent["currency"] == "eur" and intent["client_secret"] == payment["client_secret"]
    assert intent["metadata"] == {"order_id": order["order_id"]} and intent["transfer_group"] == order["order_id"]
    assert intent["setup_future_usage"] == "on_session" and intent["customer"].startswith("cus_")


def test_a_return_url_outside_the_shop_is_refused(shop):
    shop.add("tent", "a", 1)
    status, body, _ = shop.checkout(body=checkout_body(return_url="https://evil.example/phish"))
    assert status == 400 and "return_url" in body["error"]["fields"]
    assert shop.stock("tent", "a") == (5, 0, 0)


def test_a_declined_saved_card_keeps_the_order_and_its_stock_for_a_retry(shop, payments):
    shop.add("tent", "a", 2)

    status, body, _ = shop.checkout(body=checkout_body(payment_method_id="pm_card_chargeDeclined"))

    assert status == 402 and body["error"]["code"] == "card_declined"
    assert shop.stock("tent", "a") == (3, 2, 0)  # held: the shopper may pay with another card
    (order,) = shop.call("GET", "/orders")[1]["items"]
    assert order["status"] == "pending_payment" and order["payment"]["state"] == "awaiting_payment"


# --- orders and who may see them ----------------------------------------------------------------


def test_orders_list_newest_first_with_a_cursor_and_detail(shop):
    ids = []
    for quantity in (1, 2, 3):  # each checkout of a changed cart is a new order (and replaces the unpaid one)
        shop.add("tent", "a", quantity)
        ids.append(shop.checkout()[1]["order"]["order_id"])

    status, page, _ = shop.call("GET", "/orders?limit=2")
    assert status == 200 and len(page["items"]) == 2 and page["next_cursor"]
    _, rest, _ = shop.call("GET", f"/orders?limit=2&cursor={page['next_cursor']}")
    listed = [o["order_id"] for o in page["items"] + rest["items"]]
    assert sorted(listed) == sorted(ids) and rest["next_cursor"] is None
    assert all(o["payment"]["client_secret"] is None for o in page["items"])

    status, detail, _ = shop.call("GET", f"/orders/{ids[-1]}")
    assert status == 200 and detail["order_id"] == ids[-1]
    assert detail["vendors"][0]["status"] == "pending_payment"
    assert detail["payment"]["state"] == "awaiting_payment" and detail["payment"]["can_pay"] is True


def test_orders_show_the_shops_names_as_they_were_at_checkout(shop):
    shop.add("tent", "a", 1)
    shop.add("headphones", "b", 1)
    _, placed, _ = shop.checkout()
    order_id = placed["order"]["order_id"]
    names = {shop.catalog.vendor_a.user_id: shop.catalog.shop_names["a"],
             shop.catalog.vendor_b.user_id: shop.catalog.shop_names["b"]}

    _, detail, _ = shop.call("GET", f"/orders/{order_id}")
    (listed,) = [o for o in shop.call("GET", "/orders")[1]["items"] if o["order_id"] == order_id]

    for order in (placed["order"], detail, listed):
        assert {v["vendor_id"]: v["vendor_name"] for v in order["vendors"]} == names
        assert {line["vendor_id"]: line["vendor_name"] for line in order["lines"]} == names
    assert {v["vendor_id"]: v["vendor_name"] for v in vendor_order_store.list_vendor_orders(order_id)} == names


def test_a_shopper_never_sees_another_shoppers_order_or_cart(shop, new_user):
    intruder = new_user("shopper")
    shop.add("tent", "a", 1)
    key = uuid.uuid4().hex
    order_id = shop.checkout(key)[1]["order"]["order_id"]

    assert shop.call("GET", f"/orders/{order_id}", token=intruder.access_token)[0] == 404
    assert shop.call("GET", "/orders", token=intruder.access_token)[1]["items"] == []
    assert shop.call("GET", "/cart", token=intruder.access_token)[1]["lines"] == []
    # The intruder replaying the victim's key gets their own (empty cart) checkout, not the victim's order.
    status, body, _ = shop.checkout(key, token=intruder.access_token)
    assert status == 400 and body["error"]["code"] == "empty_cart"


def test_vendors_and_anonymous_callers_cannot_use_cart_routes(shop):
    vendor = shop.catalog.vendor_a.access_token
    offer_id = shop.catalog.offers[("tent", "a")]
    for method, path, body in [("GET", "/cart", None), ("PUT", f"/cart/lines/{offer_id}", {"quantity": 1}),
                               ("GET", "/cart/quote?country=DE", None), ("POST", "/checkout", checkout_body()),
                               ("GET", "/orders", None)]:
        assert shop.call(method, path, body, token=vendor, headers={"Idempotency-Key": uuid.uuid4().hex})[0] == 403
        assert call(shop.client, method, path, body)[0] == 401


def test_after_an_unpaid_order_is_cancelled_or_expires_the_next_checkout_stays_within_five_round_trips(
        shop, dynamodb_calls):
    """The cart forgets an order that ended (conditionally), so its next checkout does not read it."""
    from datetime import UTC, datetime, timedelta

    from chalicelib.services.reservation_sweeper import expire_order
    from chalicelib.services.wiring import payment_gateway
    from chalicelib.store import carts as cart_store

    shop.add("tent", "a", 1)
    cancelled = shop.checkout()[1]["order"]["order_id"]
    assert shop.call("POST", f"/orders/{cancelled}/cancel")[0] == 200
    with dynamodb_calls() as after_cancel:
        status, placed, _ = shop.checkout()
    assert status == 201, placed
    expired = placed["order"]["order_id"]
    assert expire_order(expired, gateway=payment_gateway(), now=datetime.now(UTC) + timedelta(hours=1)) == "cancelled"
    with dynamodb_calls() as after_expiry:
        status, placed, _ = shop.checkout()
    assert status == 201, placed

    assert len(after_cancel) <= 5 and len(after_expiry) <= 5, (after_cancel, after_expiry)
    assert shop.stock("tent", "a") == (4, 1, 0)
    # A late "forget" of an old order leaves a cart that moved on to a new one.
    cart_store.forget_pending_order(shop.shopper.user_id, expired)
    assert cart_store.get_cart(shop.shopper.user_id).pending_order_id == placed["order"]["order_id"]


def _cart_with_a_pending_order(shopper_id: str, order_id: str):
    from chalicelib.store import carts as cart_store

    line = cart_store.CartLine(offer_id="off_tent", quantity=2, product_id="prd_tent", vendor_id="v1", title="Tent",
                               currency="EUR", price=19900, shipping_fee=0, added_at="2026-11-27T10:00:00Z")
    cart_store.save_lines(cart_store.Cart(shopper_id), [line])
    cart_store.CartModel(shopper_id).update(actions=[cart_store.CartModel.pending_order_id.set(order_id)])
    return cart_store


def test_a_paid_orders_cart_is_emptied_and_forgets_the_order_in_one_write(world):
    # Both are billed per KB of the whole cart item: one UpdateItem, not two.
    shopper_id = f"s-{uuid.uuid4().hex[:8]}"
    cart_store = _cart_with_a_pending_order(shopper_id, "ord_paid")
    client = cart_store.CartModel._get_connection().connection.client
    writes: list[str] = []

    def record(model=None, **_):
        if model.name in ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"):
            writes.append(model.name)

    client.meta.events.register("before-call.dynamodb", record)
    try:
        cart_store.clear_cart(shopper_id, {"off_tent": 2}, order_id="ord_paid")
    finally:
        client.meta.events.unregister("before-call.dynamodb", record)

    cart = cart_store.get_cart(shopper_id)
    assert (cart.lines, cart.pending_order_id, len(writes)) == ([], None, 1)


def test_a_cart_that_names_another_order_since_is_emptied_and_keeps_naming_it(world, monkeypatch):
    # Another checkout of the cart placed its order after this one was paid: the paid lines still go.
    shopper_id = f"s-{uuid.uuid4().hex[:8]}"
    cart_store = _cart_with_a_pending_order(shopper_id, "ord_paid")
    read = cart_store.get_cart(shopper_id)
    cart_store.CartModel(shopper_id).update(actions=[cart_store.CartModel.pending_order_id.set("ord_newer")])
    with monkeypatch.context() as patched:
        patched.setattr(cart_store, "get_cart", lambda _: read)  # as read before the other checkout placed its order
        cart_store.clear_cart(shopper_id, {"off_tent": 2}, order_id="ord_paid")

    cart = cart_store.get_cart(shopper_id)
    assert (cart.lines, cart.pending_order_id) == ([], "ord_newer")
