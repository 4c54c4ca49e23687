"""Client text and numbers at every request model: what was a 500 (or silently accepted) is a 400
naming the field, and invisible characters never make two names of one thing.

Bodies are sent as raw JSON text so that escapes such as `\\ud800` reach the API exactly as an
attacker's client sends them.
"""

from __future__ import annotations

import json
import uuid
from urllib.parse import quote

import pytest

from tests.fixtures.addresses import checkout_body
from tests.fixtures.aws import call
from tests.fixtures.catalog import offer

PRODUCT = {"title": "Ridgeline Trail Shelter", "brand": "Northpeak", "category": "outdoor",
           "description": "A light shelter.", "attributes": {"weight": "1 kg"}}


def raw(body: dict, **replacements: str) -> str:
    """The JSON text of `body` with `"<key>"` placeholders replaced by raw JSON string contents."""
    text = json.dumps(body)
    for name, value in replacements.items():
        text = text.replace(f"<{name}>", value)
    return text


@pytest.fixture
def shop(app_client, catalog):
    """The component catalogue, served by the app."""
    catalog.client = app_client
    return catalog


def assert_400_naming(status, body, field):
    assert status == 400, body
    assert set(body["error"]) == {"code", "message", "fields", "correlation_id"}
    assert field in body["error"]["fields"], body


@pytest.mark.parametrize("field", ["title", "brand", "description"])
@pytest.mark.parametrize("bad", [
    pytest.param("\\ud800", id="lone-surrogate"),  # was a 500 (the write failed encoding it)
    pytest.param("\\u0000", id="NUL"),
    pytest.param("\\u001b[31m", id="escape-sequence"),
    pytest.param("\\u202e", id="right-to-left-override"),
    pytest.param("\\u2066", id="bidi-isolate"),
])
def test_unstorable_or_deceptive_characters_in_product_text_are_a_400_naming_the_field(shop, field, bad):
    body = raw(PRODUCT | {field: "Ridgeline <bad> Shelter"}, bad=bad)

    status, answer, _ = call(shop.client, "POST", "/vendor/products", body, token=shop.vendor_a.access_token)

    assert_400_naming(status, answer, field)


def test_a_lone_surrogate_in_an_attribute_name_is_named_too(shop):
    body = raw(PRODUCT | {"attributes": {"<bad>": "x"}}, bad="\\udfff")

    status, answer, _ = call(shop.client, "POST", "/vendor/products", body, token=shop.vendor_a.access_token)

    assert status == 400 and any(key.startswith("attributes") for key in answer["error"]["fields"]), answer


def test_line_breaks_are_kept_in_descriptions_and_refused_in_titles(shop):
    token = shop.vendor_a.access_token
    status, created, _ = call(shop.client, "POST", "/vendor/products",
                              PRODUCT | {"description": "Line one\r\n\tLine two"}, token=token)
    assert status == 201, created  # (the catalogue rules then tidy the description's spacing)

    status, answer, _ = call(shop.client, "POST", "/vendor/products", PRODUCT | {"title": "Two\nlines"}, token=token)
    assert_400_naming(status, answer, "title")


def test_zero_width_characters_are_removed_so_search_and_gtin_dedupe_see_the_same_title(shop):
    token = shop.vendor_a.access_token
    disguised = PRODUCT | {"title": "\u200bT\u200be\u200bn\u200bt\ufeff Lumen\u2060 ", "brand": "North\u200dpeak",
                           "gtin": "4006381333948"}

    status, created, _ = call(shop.client, "POST", "/vendor/products", disguised, token=token)
    assert status == 201, created
    assert (created["title"], created["brand"]) == ("Tent Lumen", "Northpeak")

    status, found, _ = call(shop.client, "GET", "/catalog/products?q=lumen")
    assert [p["product_id"] for p in found["items"]] == [created["product_id"]]
    words = quote("te\u200bnt lum")
    status, found, _ = call(shop.client, "GET", f"/catalog/products?q={words}")
    assert created["product_id"] in [p["product_id"] for p in found["items"]]

    # The same product again (same GTIN), its title typed without the invisible characters.
    status, again, _ = call(shop.client, "POST", "/vendor/products", PRODUCT | {"title": "Tent Lumen",
                            "gtin": "4006381333948"}, token=shop.vendor_b.access_token)
    assert status in (200, 201) and again["product_id"] == created["product_id"]


def test_text_is_stored_in_its_composed_form(shop):
    status, created, _ = call(shop.client, "POST", "/vendor/products",
                              PRODUCT | {"title": "Cafe\u0301 Press"}, token=shop.vendor_a.access_token)
    assert status == 201 and created["title"] == "Caf\u00e9 Press"


# --- numbers ----------------------------------------------------------------------------------


@pytest.mark.parametrize("quantity", [True, False, 1.0, 1.5, "1", None])
def test_a_quantity_must_be_a_json_integer(shop, make_user, quantity):
    shopper = make_user("shopper")
    status, answer, _ = call(shop.client, "PUT", f"/cart/lines/{shop.offers[('tent', 'a')]}",
                             {"quantity": quantity}, token=shopper.access_token)
    assert_400_naming(status, answer, "quantity")
    status, cart, _ = call(shop.client, "GET", "/cart", token=shopper.access_token)
    assert cart["item_count"] == 0


@pytest.mark.parametrize(("field", "path"), [
    ("stock", ["stock"]),
    ("price.amount", ["price", "amount"]),
    ("price", ["price"]),  # the bare-integer form of a price
    ("shipping_fee.amount", ["shipping_fee", "amount"]),
    ("delivery.min_days", ["delivery", "min_days"]),
    ("delivery.max_days", ["delivery", "max_days"]),
])
@pytest.mark.parametrize("value", [True, 2.5, "3"])
def test_offer_numbers_refuse_booleans_fractions_and_strings(shop, field, path, value):
    terms = offer(1000, 100, 3)
    target = terms
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value

    status, answer, _ = call(shop.client, "PUT", f"/vendor/products/{shop.products['mug']}/offer", terms,
                             token=shop.vendor_a.access_token)

    assert status == 400, answer
    assert any(name == field or name.startswith(f"{field}.") for name in answer["error"]["fields"]), answer


# --- accounts ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("field", "bad"), [("name", "Ada\\u0000"), ("name", "\\u202eAda"), ("name", "\\ud800"),
                                            ("shop_name", "Shop\\u0007"), ("email", "ada\\u0000@example.com"),
                                            ("password", "Passw0rd!\\ud800")])
def test_signup_text_is_checked_before_any_account_exists(app_client, field, bad):
    body = {"email": f"u-{uuid.uuid4().hex[:8]}@example.com", "password": "Passw0rd!long", "name": "Ada",
            "role": "vendor", "shop_name": "Ada's Shop"}
    body[field] = "<bad>"

    status, answer, _ = call(app_client, "POST", "/auth/signup", raw(body, bad=bad))

    assert_400_naming(status, answer, field)


# --- whatever slips past the models ------------------------------------------------------------


def test_a_value_the_store_refuses_is_a_400_not_a_500(app_client, monkeypatch):
    """Whatever a model lets through and DynamoDB refuses (ValidationException) is the client's 400."""
    from botocore.exceptions import ClientError
    from pynamodb.exceptions import GetError

    from chalicelib.store import products as products_store

    def refused(*args, **kwargs):
        cause = ClientError({"Error": {"Code": "ValidationException",
                                       "Message": "Size of hashkey has exceeded the maximum size limit"}}, "GetItem")
        raise GetError("Failed to get item", cause=cause)

    monkeypatch.setattr(products_store, "get_product", refused)
    status, answer, _ = call(app_client, "GET", "/catalog/products/prd_refused")

    assert status == 400, answer
    assert answer["error"]["fields"] == {"path": "rejected by the store"}


def test_a_lone_surrogate_in_a_path_parameter_is_a_400(app_client, make_user):
    shopper = make_user("shopper")
    status, answer, _ = call(app_client, "PUT", "/cart/lines/off_\ud800", {"quantity": 1}, token=shopper.access_token)
    assert_400_naming(status, answer, "offer_id")


def test_a_return_url_python_cannot_split_is_a_400(shop, make_user):
    """`http://[::1` raised ValueError in urlsplit: a 500 on POST /checkout."""
    shopper = make_user("shopper")
    call(shop.client, "PUT", f"/cart/lines/{shop.offers[('tent', 'a')]}", {"quantity": 1}, token=shopper.access_token)

    status, answer, _ = call(shop.client, "POST", "/checkout", checkout_body(return_url="http://[::1"),
                             token=shopper.access_token, headers={"Idempotency-Key": str(uuid.uuid4())})

    assert_400_naming(status, answer, "return_url")
