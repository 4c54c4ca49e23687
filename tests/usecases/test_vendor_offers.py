"""The vendor offer use cases on the in-memory catalogue (no moto): declarations, If-Match, adjustments."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import Conflict, Forbidden, NotFound, PreconditionFailed, Unprocessable
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


def terms(price=12900, stock=10, shipping=500, **more) -> dict:
    return {"price": price, "shipping_fee": shipping, "stock": stock, "condition": "new",
            "delivery": {"min_days": 2, "max_days": 4}, **more}


def put(catalogue, vendor="alpine", body=None, **kwargs):
    return vendor_offers.upsert_offer(vendor, "tent", body or terms(), catalogue=catalogue, **kwargs)


def test_an_offer_put_re_sent_after_a_sale_changes_nothing(catalogue):
    view, created = put(catalogue)
    assert created and view["stock"] == 10 and view["available"] == 10 and view["is_best"]
    catalogue.hold(view["offer_id"], 3)
    catalogue.sell(view["offer_id"], 3)

    again, created = put(catalogue)  # the same declaration: a retried request, or a stale tab

    assert not created and again["available"] == 7 and again["sold"] == 3 and again["version"] == view["version"]


def test_a_new_declaration_counts_units_on_hand_and_keeps_the_reserved_ones(catalogue):
    view, _ = put(catalogue)
    catalogue.hold(view["offer_id"], 4)

    after, _ = put(catalogue, body=terms(stock=6))

    assert (after["available"], after["reserved"], after["stock"]) == (2, 4, 6)
    with pytest.raises(Conflict) as below:
        put(catalogue, body=terms(stock=3))
    assert below.value.code == "stock_below_reserved" and "stock" in below.value.fields


def test_if_match_with_an_older_version_is_refused_unless_the_terms_are_already_there(catalogue):
    view, _ = put(catalogue)
    put(catalogue, body=terms(price=11900))

    with pytest.raises(PreconditionFailed) as stale:
        put(catalogue, body=terms(price=9900), if_match=IfMatch(versions=frozenset({view["version"]})))
    assert "If-Match" in stale.value.fields
    same, _ = put(catalogue, body=terms(price=11900), if_match=IfMatch(versions=frozenset({view["version"]})))
    assert same["price"]["amount"] == 11900


def test_the_cheapest_total_is_marked_best_on_the_product(catalogue):
    put(catalogue)
    cheaper, _ = put(catalogue, vendor="bytes", body=terms(price=9900))

    assert cheaper["is_best"] and catalogue.products["tent"].best_offer_id == cheaper["offer_id"]


def test_an_unregistered_vendor_or_unknown_product_is_refused(catalogue):
    with pytest.raises(Forbidden):
        put(catalogue, vendor="nobody")
    with pytest.raises(NotFound) as unknown:
        vendor_offers.upsert_offer("alpine", "no-such", terms(), catalogue=catalogue)
    assert "product_id" in unknown.value.fields


def adjust(catalogue, delta, key="key-00000001", reason="count"):
    return vendor_offers.adjust_offer_stock("alpine", "tent", "new", delta, reason, key, catalogue=catalogue)


def test_a_stock_adjustment_applies_once_per_idempotency_key(catalogue):
    put(catalogue)

    first, applied = adjust(catalogue, -2)
    again, applied_again = adjust(catalogue, -2)

    assert applied and not applied_again
    assert first["offer"]["available"] == again["offer"]["available"] == 8
    with pytest.raises(Unprocessable) as reused:
        adjust(catalogue, -3)
    assert reused.value.code == "idempotency_key_reused"


def test_an_adjustment_never_takes_more_than_is_available(catalogue):
    view, _ = put(catalogue, body=terms(stock=3))
    catalogue.hold(view["offer_id"], 2)

    with pytest.raises(Conflict) as short:
        adjust(catalogue, -2)
    assert short.value.fields == {"delta": "at least -1"}
    assert catalogue.offers[view["offer_id"]].available == 1


def test_the_vendor_lists_only_its_own_offers(catalogue):
    put(catalogue)
    put(catalogue, vendor="bytes", body=terms(price=9900))

    listed = vendor_offers.list_vendor_offers("alpine", catalogue=catalogue)

    assert [o["vendor_id"] for o in listed["items"]] == ["alpine"] and listed["next_cursor"] is None
