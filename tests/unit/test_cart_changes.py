"""The cart's change reasons (domain/cart_changes.py), as the cart view and a refused checkout tell them."""

from chalicelib.domain.cart_changes import LineTerms, OfferNow, line_changes
from chalicelib.store.stock import CartChanged

LINE = LineTerms(offer_id="off_1", quantity=3, price=1000, shipping_fee=300, currency="EUR")


def test_an_unchanged_offer_with_enough_stock_has_no_change():
    assert line_changes(LINE, OfferNow(price=1000, shipping_fee=300, available=3, currency="EUR")) == []


def test_every_difference_is_listed_with_its_reason():
    changes = line_changes(LINE, OfferNow(price=1200, shipping_fee=0, available=1, currency="EUR"))

    assert [c["reason"] for c in changes] == ["price_changed", "shipping_changed", "out_of_stock"]
    assert changes[0]["message"] == "The price changed from 10.00 EUR to 12.00 EUR."
    assert changes[0]["before"] == {"amount": 1000, "currency": "EUR"} and changes[2]["available"] == 1
    assert line_changes(LINE, None)[0]["reason"] == "gone"


def test_a_refused_checkout_names_the_line_once_with_each_change():
    changes = line_changes(LINE, OfferNow(price=1200, shipping_fee=300, available=0, currency="EUR"))

    refused = CartChanged(changes)

    assert refused.fields == {"lines.off_1": "The price changed from 10.00 EUR to 12.00 EUR. Sold out."}
    assert refused.changes == changes
