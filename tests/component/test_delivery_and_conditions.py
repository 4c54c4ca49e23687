"""Delivery addresses (address book, checkout, frozen on the order and each vendor's sub-order),
offer conditions on cart and order lines, and the signed-in user's name, through the HTTP API."""

from __future__ import annotations

import uuid

import pytest

from chalicelib.store.order_repository import DynamoOrderRepository
from tests.component.test_cart_checkout import Shop
from tests.fixtures.aws import call

BERLIN = {"name": "Ada Lovelace", "line1": "Unter den Linden 1", "postal_code": "10117", "city": "Berlin",
          "country": "DE", "phone": "+49 30 1234567"}
AMSTERDAM = {"name": "Ada Lovelace", "line1": "Damrak 1", "postal_code": "1012lg", "city": "Amsterdam",
             "country": "NL"}


@pytest.fixture(scope="module")
def world():
    from chalice.test import Client

    import app as halles
    from tests.fixtures.catalog import module_stack
    from tests.fixtures.payments import local_payment_provider

    with module_stack(), local_payment_provider() as provider:
        with Client(halles.app, stage_name="dev") as client:
            yield client, provider


@pytest.fixture
def new_user(world):
    from chalicelib.services import accounts
    from tests.fixtures.auth import TestUser

    def make(role: str = "shopper", shop_name: str | None = None, name: str = "Test"):
        email, password = f"{role}-{uuid.uuid4().hex[:10]}@example.com", "Passw0rd!x"
        accounts.sign_up(email, password, name, role, shop_name=shop_name)
        session = accounts.sign_in(email, password)
        return TestUser(session["user"]["user_id"], email, password, role, session["access_token"],
                        session["id_token"], session["refresh_token"])

    return make


@pytest.fixture
def shop(world, new_user):
    from tests.fixtures.catalog import build_catalog

    suffix = uuid.uuid4().hex[:6]
    catalog = build_catalog(new_user("vendor", f"Alpine {suffix}"), new_user("vendor", f"Bytes {suffix}"))
    return Shop(world[0], catalog, new_user("shopper"))


def checkout(shop, body):
    return shop.call("POST", "/checkout", body, headers={"Idempotency-Key": uuid.uuid4().hex})


# --- address book -------------------------------------------------------------------------------


def test_the_address_book_saves_replaces_lists_and_removes(shop):
    status, saved, _ = shop.call("PUT", "/me/addresses/home", BERLIN)
    assert status == 200 and saved["address_id"] == "home" and saved["phone"] == "+49301234567"

    status, saved, _ = shop.call("PUT", "/me/addresses/home", {**BERLIN, "line2": "3rd floor"})
    assert status == 200 and saved["line2"] == "3rd floor"
    shop.call("PUT", "/me/addresses/office", AMSTERDAM)

    status, book, _ = shop.call("GET", "/me/addresses")
    assert status == 200
    by_id = {a["address_id"]: a for a in book["items"]}
    assert set(by_id) == {"home", "office"}
    assert by_id["home"]["line2"] == "3rd floor" and by_id["office"]["postal_code"] == "1012 LG"

    assert shop.call("DELETE", "/me/addresses/home")[0] == 204
    assert shop.call("DELETE", "/me/addresses/home")[0] == 204  # a repeated DELETE is fine
    assert [a["address_id"] for a in shop.call("GET", "/me/addresses")[1]["items"]] == ["office"]


def test_an_invalid_address_is_refused_naming_each_field(shop):
    status, body, _ = shop.call("PUT", "/me/addresses/home", {**BERLIN, "postal_code": "1011", "phone": "030 123"})
    assert status == 400
    assert set(body["error"]["fields"]) == {"postal_code", "phone"}
    assert shop.call("GET", "/me/addresses")[1]["items"] == []

    status, body, _ = shop.call("PUT", "/me/addresses/home", {**BERLIN, "zip": "10117"})
    assert status == 400 and "zip" in body["error"]["fields"]


def test_the_address_book_is_per_shopper(shop, new_user):
    shop.call("PUT", "/me/addresses/home", BERLIN)
    other = new_user("shopper")
    assert shop.call("GET", "/me/addresses", token=other.access_token)[1]["items"] == []
    shop.call("DELETE", "/me/addresses/home", token=other.access_token)
    assert len(shop.call("GET", "/me/addresses")[1]["items"]) == 1


def test_the_address_book_is_capped(shop):
    from chalicelib.domain.addresses import MAX_ADDRESSES

    for n in range(MAX_ADDRESSES):
        assert shop.call("PUT", f"/me/addresses/a{n}", BERLIN)[0] == 200
    status, body, _ = shop.call("PUT", "/me/addresses/one-too-many", BERLIN)
    assert status == 409 and body["error"]["code"] == "address_book_full"
    assert shop.call("PUT", "/me/addresses/a0", AMSTERDAM)[0] == 200  # replacing one still works


# --- checkout -----------------------------------------------------------------------------------


def test_checkout_freezes_the_address_on_the_order_and_each_vendor_order(shop):
    shop.add("tent", "a", 1)
    shop.add("headphones", "b", 1)

    status, body, _ = checkout(shop, {"address": AMSTERDAM})

    assert status == 201, body
    order = body["order"]
    assert order["country"] == "NL"  # the quote's VAT is the address's country
    assert order["shipping_address"]["postal_code"] == "1012 LG"
    assert order["shipping_address"]["city"] == "Amsterdam"
    # What each vendor ships to (the order item's address: a vendor item keeps no copy of it).
    vendor_orders = DynamoOrderRepository().get(order["order_id"]).vendor_orders.values()
    assert len(vendor_orders) == 2
    assert all(v.shipping_address == order["shipping_address"] for v in vendor_orders)
    # Kept in the book for next time, once however often it is used.
    book = shop.call("GET", "/me/addresses")[1]["items"]
    assert [a["city"] for a in book] == ["Amsterdam"]
    assert shop.call("GET", f"/orders/{order['order_id']}")[1]["shipping_address"] == order["shipping_address"]


def test_checkout_with_a_saved_address(shop):
    shop.call("PUT", "/me/addresses/home", BERLIN)
    shop.add("tent", "a", 1)

    status, body, _ = checkout(shop, {"address_id": "home"})

    assert status == 201, body
    assert body["order"]["shipping_address"]["line1"] == "Unter den Linden 1"
    assert body["order"]["country"] == "DE"


@pytest.mark.parametrize(("body", "field"), [
    ({"address": {**BERLIN, "postal_code": "ABC"}}, "address.postal_code"),
    ({"address": {**BERLIN, "name": ""}}, "address.name"),
    ({"address": {**BERLIN, "phone": "12"}}, "address.phone"),
    ({"address": {**BERLIN, "country": "US"}}, "address.country"),
    ({"address": {**BERLIN, "name": 7}}, "address.name"),
    ({"address_id": "nowhere"}, "address_id"),
    ({"address": BERLIN, "country": "FR"}, "country"),
    ({}, "address"),
    ({"country": "DE"}, "address"),  # a country alone ships nowhere
])
def test_checkout_refuses_a_bad_address_naming_the_field_and_reserves_nothing(shop, body, field):
    shop.add("tent", "a", 1)
    before = shop.stock("tent", "a")

    status, answer, _ = checkout(shop, body)

    assert status in (400, 404), answer
    assert field in answer["error"]["fields"]
    assert shop.stock("tent", "a") == before


def test_a_full_address_book_does_not_stop_a_checkout(shop):
    from chalicelib.domain.addresses import MAX_ADDRESSES

    for n in range(MAX_ADDRESSES):
        assert shop.call("PUT", f"/me/addresses/a{n}", {**BERLIN, "line1": f"Street {n}"})[0] == 200
    shop.add("tent", "a", 1)

    status, body, _ = checkout(shop, {"address": AMSTERDAM})

    assert status == 201, body
    assert body["order"]["shipping_address"]["city"] == "Amsterdam"
    book = shop.call("GET", "/me/addresses")[1]["items"]
    assert len(book) == MAX_ADDRESSES and "Amsterdam" not in [a["city"] for a in book]


def test_an_address_book_changed_during_checkout_does_not_stop_it(shop, monkeypatch):
    """The book is read with the cart and written in the order's transaction; if another tab created
    it in between, the transaction's condition fails and the order is placed without keeping the address."""
    from chalicelib.store import carts as cart_store

    shop.add("tent", "a", 1)
    read = cart_store.get_cart_customer_and_address_book

    def read_then_other_tab_saves(shopper_id):
        cart, customer_id, book = read(shopper_id)
        assert shop.call("PUT", "/me/addresses/home", BERLIN)[0] == 200
        return cart, customer_id, book

    monkeypatch.setattr(cart_store, "get_cart_customer_and_address_book", read_then_other_tab_saves)

    status, body, _ = checkout(shop, {"address": AMSTERDAM})

    assert status == 201, body
    assert body["order"]["shipping_address"]["city"] == "Amsterdam"
    assert shop.stock("tent", "a") == (4, 1, 0)
    assert [a["address_id"] for a in shop.call("GET", "/me/addresses")[1]["items"]] == ["home"]


# --- conditions ---------------------------------------------------------------------------------


def test_cart_and_order_lines_carry_the_offers_condition(shop):
    _, cart, _ = shop.add("headphones", "b", 1)
    shop.add("tent", "a", 1)
    conditions = {line["offer_id"]: line["condition"] for line in shop.call("GET", "/cart")[1]["lines"]}
    headphones, tent = shop.catalog.offers[("headphones", "b")], shop.catalog.offers[("tent", "a")]
    assert conditions == {headphones: "refurbished", tent: "new"}

    status, body, _ = checkout(shop, {"address": BERLIN})

    assert status == 201, body
    order = shop.call("GET", f"/orders/{body['order']['order_id']}")[1]
    assert {line["offer_id"]: line["condition"] for line in order["lines"]} == conditions
    # Each vendor's lines, as its view reads them (the order item's, per vendor).
    placed = DynamoOrderRepository().get(order["order_id"])
    vendor_lines = [line for vendor_id in placed.vendor_orders for line in placed.vendor_lines(vendor_id)]
    assert {line.offer_id: line.condition for line in vendor_lines} == conditions


def test_the_catalogue_summary_shows_the_best_offers_condition(shop):
    product_id = shop.catalog.products["headphones"]
    status, detail, _ = shop.call("GET", f"/catalog/products/{product_id}")
    assert status == 200
    summaries = shop.call("GET", "/catalog/products?q=headphones&limit=50")[1]["items"]
    summary = next(p for p in summaries if p["product_id"] == product_id)
    assert summary["best_offer"]["condition"] == "refurbished"


# --- who am I -----------------------------------------------------------------------------------


def test_me_and_sign_in_tell_the_users_name(world, new_user):
    person = new_user("shopper", name="Grace Hopper")
    status, me, _ = call(world[0], "GET", "/me", token=person.access_token)
    assert status == 200 and me["name"] == "Grace Hopper" and me["email"] == person.email
    status, session, _ = call(world[0], "POST", "/auth/signin", {"email": person.email, "password": person.password})
    assert status == 200 and session["user"]["name"] == "Grace Hopper"
