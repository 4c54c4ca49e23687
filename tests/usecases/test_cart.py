"""The cart use cases on in-memory adapters (no moto): snapshots, quantity bounds, what changed since."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.limits import MAX_LINE_QUANTITY
from chalicelib.services import cart
from chalicelib.store.memory import InMemoryCartCatalog, InMemoryCarts, OfferTermsNow


@pytest.fixture(autouse=True)
def local_settings(monkeypatch):
    monkeypatch.setenv("HALLES_LOCAL_MODE", "1")
    monkeypatch.setenv("HALLES_CURRENCY", "EUR")
    monkeypatch.setenv("HALLES_SERVICE_FEE", "0")


class Shop:
    def __init__(self):
        self.catalog = InMemoryCartCatalog(
            [OfferTermsNow("tent-a", "tent", "alpine", price=12900, shipping_fee=500, available=3,
                           condition="refurbished", product_title="Dome Tent"),
             OfferTermsNow("mug-b", "mug", "bytes", price=900, shipping_fee=0, available=50, product_title="Mug")],
            vendor_names={"alpine": "Alpine", "bytes": "Bytes"})
        self.carts = InMemoryCarts()

    def set(self, offer_id: str, quantity: int, shopper: str = "s1") -> dict:
        return cart.set_line(shopper, offer_id, quantity, carts=self.carts, catalog=self.catalog)

    def view(self, shopper: str = "s1") -> dict:
        return cart.view_cart(shopper, carts=self.carts, catalog=self.catalog)

    def quote(self, country: str = "DE") -> dict:
        return cart.quote("s1", country, carts=self.carts, catalog=self.catalog)


@pytest.fixture
def shop() -> Shop:
    return Shop()


def test_adding_to_the_cart_snapshots_the_offers_terms_condition_and_shop(shop):
    view = shop.set("tent-a", 2)

    (line,) = view["lines"]
    assert (line["condition"], line["vendor_name"], line["title"]) == ("refurbished", "Alpine", "Dome Tent")
    assert line["subtotal"] == {"amount": 25800, "currency": "EUR"} and view["changes"] == []
    stored = shop.carts.get_cart("s1").line("tent-a")
    assert (stored.price, stored.shipping_fee, stored.condition, stored.vendor_name) == (
        12900, 500, "refurbished", "Alpine")


def test_a_price_and_shipping_change_is_listed_until_the_shopper_sets_the_quantity_again(shop):
    shop.set("tent-a", 1)
    shop.catalog.offers["tent-a"].price = 11900
    shop.catalog.offers["tent-a"].shipping_fee = 0

    changes = shop.view()["changes"]
    assert [c["reason"] for c in changes] == ["price_changed", "shipping_changed"]
    assert changes[0]["before"]["amount"] == 12900 and changes[0]["now"]["amount"] == 11900
    assert shop.quote()["can_checkout"] is False

    assert shop.set("tent-a", 1)["changes"] == []  # accepting the new terms refreshes the snapshot
    assert shop.carts.get_cart("s1").line("tent-a").price == 11900
    assert shop.quote()["can_checkout"] is True


def test_stock_falling_below_the_line_and_a_vanished_offer_are_reasons_the_cart_shows(shop):
    shop.set("tent-a", 3)
    shop.set("mug-b", 1)
    shop.catalog.offers["tent-a"].available = 1
    del shop.catalog.offers["mug-b"]

    changes = {c["offer_id"]: c for c in shop.view()["changes"]}
    assert changes["tent-a"]["reason"] == "out_of_stock" and changes["tent-a"]["available"] == 1
    assert changes["tent-a"]["message"] == "Only 1 left."
    assert changes["mug-b"]["reason"] == "gone"
    quote = shop.quote()
    assert quote["can_checkout"] is False and {c["offer_id"] for c in quote["changes"]} == {"tent-a", "mug-b"}
    # the vanished offer is left out of the price; the short line is priced as asked
    assert [(line["offer_id"], line["quantity"]) for v in quote["vendors"] for line in v["lines"]] == [("tent-a", 3)]


@pytest.mark.parametrize("quantity, code, field", [
    (4, "insufficient_stock", "at most 3"),
    (MAX_LINE_QUANTITY + 1, "invalid_input", f"between 1 and {MAX_LINE_QUANTITY}"),
])
def test_a_quantity_beyond_the_stock_or_the_line_limit_is_refused_naming_quantity(shop, quantity, code, field):
    shop.catalog.offers["tent-a"].available = 3 if quantity == 4 else MAX_LINE_QUANTITY + 5
    with pytest.raises(InvalidInput) as refused:
        shop.set("tent-a", quantity)
    assert refused.value.code == code and refused.value.fields == {"quantity": field}
    assert shop.carts.get_cart("s1").lines == []


def test_a_sold_out_or_unknown_offer_cannot_be_added(shop):
    shop.catalog.offers["tent-a"].available = 0
    with pytest.raises(InvalidInput) as sold_out:
        shop.set("tent-a", 1)
    assert sold_out.value.fields == {"quantity": "sold out"}
    with pytest.raises(NotFound) as unknown:
        shop.set("nope", 1)
    assert unknown.value.fields == {"offer_id": "not found"}


def test_quantity_zero_removes_the_line(shop):
    shop.set("tent-a", 2)
    assert shop.set("tent-a", 0)["lines"] == []


def test_a_save_from_a_cart_read_before_another_change_is_a_cart_conflict(shop):
    stale = shop.carts.get_cart("s1")
    shop.set("mug-b", 1)
    with pytest.raises(Conflict) as conflict:
        shop.carts.save_lines(stale, [])
    assert conflict.value.code == "cart_conflict"
    assert [line.offer_id for line in shop.carts.get_cart("s1").lines] == ["mug-b"]
