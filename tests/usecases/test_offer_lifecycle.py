"""Pausing, resuming and delisting offers on the in-memory catalogue (no moto): the product's summary
follows at once, repeats change nothing, a concurrent write is retried, delisting is final."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import Conflict, NotFound, PreconditionFailed
from chalicelib.services import vendor_offers
from chalicelib.services.vendor_offers import IfMatch
from chalicelib.store.memory import InMemoryOfferCatalogue, ProductRecord, VendorRecord


@pytest.fixture(autouse=True)
def local_settings(monkeypatch):
    monkeypatch.setenv("HALLES_LOCAL_MODE", "1")
    monkeypatch.setenv("HALLES_CURRENCY", "EUR")


@pytest.fixture
def catalogue() -> InMemoryOfferCatalogue:
    return InMemoryOfferCatalogue(vendors=[VendorRecord("alpine", "Alpine"), VendorRecord("bytes", "Bytes")],
                                  products=[ProductRecord("tent", "Dome Tent")])


def offer(catalogue, vendor: str, price: int) -> str:
    body = {"price": price, "stock": 5, "delivery": {"min_days": 1, "max_days": 3}}
    return vendor_offers.upsert_offer(vendor, "tent", body, catalogue=catalogue)[0]["offer_id"]


def act(catalogue, offer_id: str, action: str, vendor: str = "alpine", **kwargs) -> dict:
    return vendor_offers.change_offer_status(vendor, offer_id, action, catalogue=catalogue, **kwargs)


def test_pausing_the_best_offer_hands_the_product_to_the_next_one(catalogue):
    cheap, dear = offer(catalogue, "alpine", 1000), offer(catalogue, "bytes", 1500)
    assert catalogue.products["tent"].best_offer_id == cheap
    paused = act(catalogue, cheap, "pause")
    assert paused["status"] == "paused" and not paused["is_best"]
    assert catalogue.products["tent"].best_offer_id == dear
    assert catalogue.products["tent"].summary.offer_count == 1
    act(catalogue, cheap, "resume")
    assert catalogue.products["tent"].best_offer_id == cheap


def test_repeating_an_action_changes_nothing_and_a_race_is_retried(catalogue, monkeypatch):
    mine = offer(catalogue, "alpine", 1000)
    first = act(catalogue, mine, "pause")
    assert act(catalogue, mine, "pause")["version"] == first["version"]
    real = catalogue.set_offer_status
    raced = []

    def lose_once(*args, **kwargs):  # a stock adjustment lands between the read and the write
        if not raced:
            raced.append(True)
            catalogue.offers[mine].version += 1
            return None
        return real(*args, **kwargs)

    monkeypatch.setattr(catalogue, "set_offer_status", lose_once)
    assert act(catalogue, mine, "resume")["status"] == "active" and raced


def test_delisting_is_final_and_another_vendor_gets_a_404(catalogue):
    mine = offer(catalogue, "alpine", 1000)
    with pytest.raises(NotFound):
        act(catalogue, mine, "pause", vendor="bytes")
    with pytest.raises(PreconditionFailed):
        act(catalogue, mine, "delist", if_match=IfMatch(versions=frozenset({99})))
    assert act(catalogue, mine, "delist")["status"] == "delisted"
    with pytest.raises(Conflict):
        act(catalogue, mine, "resume")
    with pytest.raises(Conflict):
        vendor_offers.upsert_offer("alpine", "tent", {"price": 900, "stock": 5, "delivery": {"min_days": 1,
                                   "max_days": 3}}, catalogue=catalogue)
    assert catalogue.products["tent"].best_offer_id is None


def test_a_cart_line_of_a_paused_offer_says_why_and_is_left_out_of_the_quote(monkeypatch):
    from chalicelib.services import cart
    from chalicelib.store.memory import InMemoryCartCatalog, InMemoryCarts, OfferTermsNow

    monkeypatch.setenv("HALLES_SERVICE_FEE", "0")
    lamp = OfferTermsNow("lamp-a", "lamp", "alpine", price=2500, available=4, product_title="Linen Lamp")
    mug = OfferTermsNow("mug-b", "mug", "bytes", price=900, available=9, product_title="Stoneware Mug")
    catalog, carts = InMemoryCartCatalog([lamp, mug], vendor_names={"alpine": "Alpine", "bytes": "Bytes"}), InMemoryCarts()
    for offer_id in ("lamp-a", "mug-b"):
        cart.set_line("s1", offer_id, 1, carts=carts, catalog=catalog)
    catalog.offers["lamp-a"].offer_status = "paused"

    view = cart.view_cart("s1", carts=carts, catalog=catalog)
    assert [(c["offer_id"], c["reason"]) for c in view["changes"]] == [("lamp-a", "paused")]
    assert {line["offer_id"]: line["in_stock"] for line in view["lines"]} == {"lamp-a": False, "mug-b": True}
    quote = cart.quote("s1", "DE", carts=carts, catalog=catalog)
    assert quote["can_checkout"] is False
    assert [line["offer_id"] for v in quote["vendors"] for line in v["lines"]] == ["mug-b"]
    with pytest.raises(Conflict) as refused:
        cart.set_line("s2", "lamp-a", 1, carts=carts, catalog=catalog)
    assert refused.value.code == "offer_paused"


def test_checkout_on_the_in_memory_adapters_refuses_a_paused_offer_and_holds_nothing(monkeypatch):
    from chalicelib.store.stock import CartChanged
    from tests.usecases.test_checkout import Shop

    monkeypatch.setenv("HALLES_SERVICE_FEE", "0")
    monkeypatch.setenv("HALLES_RESERVATION_MINUTES", "30")
    shop = Shop()
    shop.add("tent-a", 1)
    shop.add("phones-b", 1)
    shop.catalog.offers["tent-a"].offer_status = "paused"
    # As if the cart had been read before the pause: only the placement's own condition can refuse.
    monkeypatch.setattr("chalicelib.services.cart.line_changes", lambda line, offer: [])
    with pytest.raises(CartChanged) as refused:
        shop.checkout()
    assert [(c["offer_id"], c["reason"]) for c in refused.value.changes] == [("tent-a", "paused")]
    assert shop.stock("tent-a") == (5, 0, 0) and shop.stock("phones-b") == (10, 0, 0)
