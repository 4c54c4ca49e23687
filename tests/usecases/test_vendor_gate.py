"""The vendor-level gate on in-memory adapters: a shop that may not sell (suspended, not approved, payouts not
ready) has its offers refused by the cart, its cart lines flagged, and left out of the product's listing."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import Conflict
from chalicelib.services import cart, vendor_admin
from chalicelib.services.product_summaries import refresh_product_summary
from chalicelib.store.memory import (
    InMemoryCartCatalog,
    InMemoryCarts,
    InMemoryOfferCatalogue,
    OfferTermsNow,
    ProductRecord,
    VendorRecord,
)
from tests.usecases.test_cart import local_settings  # noqa: F401  (the shop's settings, autouse)


def _catalog(paused=()):
    return InMemoryCartCatalog(
        [OfferTermsNow("tent-a", "tent", "alpine", price=12900, shipping_fee=500, available=3, product_title="Tent"),
         OfferTermsNow("mug-b", "mug", "bytes", price=900, shipping_fee=0, available=50, product_title="Mug")],
        vendor_names={"alpine": "Alpine", "bytes": "Bytes"}, paused_vendors=paused)


def test_a_paused_shops_offer_cannot_be_added_and_its_lines_say_why():
    carts, open_shop = InMemoryCarts(), _catalog()
    cart.set_line("s1", "tent-a", 1, carts=carts, catalog=open_shop)
    cart.set_line("s1", "mug-b", 1, carts=carts, catalog=open_shop)
    paused = _catalog(paused={"alpine"})

    with pytest.raises(Conflict) as refused:
        cart.set_line("s2", "tent-a", 1, carts=carts, catalog=paused)
    view = cart.view_cart("s1", carts=carts, catalog=paused)
    quote = cart.quote("s1", "DE", carts=carts, catalog=paused)

    assert (refused.value.code, list(refused.value.fields)) == ("vendor_not_selling", ["offer_id"])
    assert view["changes"] == [{"offer_id": "tent-a", "reason": "vendor_not_selling",
                                "message": "This shop is not selling right now."}]
    assert quote["can_checkout"] is False and [g["vendor_id"] for g in quote["vendors"]] == ["bytes"]


def test_the_listing_leaves_out_a_paused_shops_offers():
    from chalicelib.services import vendor_offers

    catalogue = InMemoryOfferCatalogue(
        vendors=[VendorRecord("alpine", "Alpine"), VendorRecord("bytes", "Bytes")],
        products=[ProductRecord(product_id="tent", title="Tent", title_key="tent")])
    offer = {"condition": "new", "price": {"amount": 9900, "currency": "EUR"},
             "shipping_fee": {"amount": 0, "currency": "EUR"}, "stock": 2, "delivery": {"min_days": 1, "max_days": 3}}
    cheaper = {**offer, "price": {"amount": 8900, "currency": "EUR"}}
    vendor_offers.upsert_offer("alpine", "tent", cheaper, catalogue=catalogue)
    vendor_offers.upsert_offer("bytes", "tent", offer, catalogue=catalogue)

    before = refresh_product_summary("tent", catalogue=catalogue)
    catalogue.vendors["alpine"].can_sell = False
    vendor_admin.refresh_vendor_listings("alpine", catalogue=catalogue)
    after = refresh_product_summary("tent", catalogue=catalogue)

    assert before.best_offer.vendor_id == "alpine" and before.offer_count == 2
    assert after.best_offer.vendor_id == "bytes" and after.offer_count == 1
