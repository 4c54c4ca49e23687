"""The catalogue's listing entry lives on each product's best offer (chalicelib/store/listings.py): a
product's first imported offer is ONE item written, carrying the entry; when the best offer changes the
entry moves so that exactly one offer holds it, also under concurrent refreshes; a sold-out product keeps
its entry (not in stock); a product whose offers are all paused lists as offerless; items written the old
way (a summary on the product) are migrated."""

from __future__ import annotations

import base64
import threading
from collections import Counter

import botocore.client
import pytest

from chalicelib.store.listings import entry_holders
from tests.fixtures.aws import call
from tests.fixtures.catalog import offer

HEADER = "product_id,condition,price,shipping_fee,stock,min_days,max_days\n"


class _ItemsWritten:
    """DynamoDB items the app asks to write, per table, from every client and thread."""

    def __init__(self, monkeypatch):
        self.items: Counter = Counter()
        self._lock = threading.Lock()
        original = botocore.client.BaseClient._make_api_call
        counter = self

        def counting(client, operation, params):
            counter._count(operation, params)
            return original(client, operation, params)

        monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", counting)

    @staticmethod
    def _table(name: str) -> str:
        return name.rsplit("-", 1)[-1]

    def _count(self, operation: str, params: dict) -> None:
        written: list[str] = []
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            written.append(params["TableName"])
        elif operation == "BatchWriteItem":
            written += [table for table, requests in params["RequestItems"].items() for _ in requests]
        elif operation == "TransactWriteItems":
            written += [next(iter(entry.values()))["TableName"] for entry in params["TransactItems"]
                        if "ConditionCheck" not in entry]
        with self._lock:
            self.items.update(self._table(name) for name in written)


def _import(client, vendor, rows: str, drain) -> None:
    raw = (HEADER + rows).encode()
    status, body, _ = call(client, "POST", "/vendor/imports",
                           {"file_name": "offers.csv", "content_base64": base64.b64encode(raw).decode()},
                           token=vendor.access_token)
    assert status in (200, 202), body
    drain("offer-imports")


def _card(client, product_id: str, category: str) -> dict:
    status, body, _ = call(client, "GET", f"/catalog/products?category={category}&limit=50")
    assert status == 200, body
    (card,) = [p for p in body["items"] if p["product_id"] == product_id]
    return card


def _page_best(client, product_id: str) -> str | None:
    status, body, _ = call(client, "GET", f"/catalog/products/{product_id}")
    assert status == 200, body
    return body["best_offer_id"]


def _holder_ids(product_id: str) -> list[str]:
    return sorted(h.offer_id for h in entry_holders(product_id))


def test_a_products_first_imported_offer_is_one_item_written_carrying_its_listing(app_client, catalog, drain,
                                                                                 monkeypatch):
    mug = catalog.products["mug"]  # no offer at all: listed, not in stock
    assert _card(app_client, mug, "kitchen")["offer_count"] == 0 and not _holder_ids(mug)
    written = _ItemsWritten(monkeypatch)

    _import(app_client, catalog.vendor_a, f"{mug},new,12.00,3.50,7,1,3\n", drain)

    assert written.items["offers"] == 1 and written.items["products"] == 0, written.items
    card = _card(app_client, mug, "kitchen")
    assert card["in_stock"] is True and card["offer_count"] == 1
    assert card["best_offer"]["total"]["amount"] == 1550 and card["best_offer"]["vendor_name"] == "Alpine Test"
    assert _holder_ids(mug) == [card["best_offer"]["offer_id"]] == [_page_best(app_client, mug)]


def test_when_the_best_offer_changes_the_listing_moves_and_one_offer_holds_it(app_client, catalog):
    tent = catalog.products["tent"]
    a, b = catalog.offers[("tent", "a")], catalog.offers[("tent", "b")]
    assert _holder_ids(tent) == [a]

    # b's total drops below a's: b is the best, and the only holder.
    from chalicelib.services import vendor_offers
    vendor_offers.upsert_offer(catalog.vendor_b.user_id, tent, offer(17000, 1500, 2))
    assert _holder_ids(tent) == [b] and _card(app_client, tent, "outdoor")["best_offer"]["offer_id"] == b

    # b sells out: a is the best again.
    vendor_offers.upsert_offer(catalog.vendor_b.user_id, tent, offer(17000, 1500, 0))
    assert _holder_ids(tent) == [a] and _card(app_client, tent, "outdoor")["best_offer"]["offer_id"] == a

    # a sells out too: the product keeps its entry where it was, not in stock.
    vendor_offers.upsert_offer(catalog.vendor_a.user_id, tent, offer(19900, 0, 0))
    card = _card(app_client, tent, "outdoor")
    assert _holder_ids(tent) == [a] and card["in_stock"] is False and card["offer_count"] == 2
    status, body, _ = call(app_client, "GET", "/catalog/products?category=outdoor&in_stock=false")
    assert tent in [p["product_id"] for p in body["items"]]


def test_a_product_whose_offers_are_all_paused_lists_without_offers(app_client, catalog):
    headphones, only = catalog.products["headphones"], catalog.offers[("headphones", "b")]
    status, _, _ = call(app_client, "POST", f"/vendor/offers/{only}/pause", token=catalog.vendor_b.access_token)
    assert status == 200
    assert not _holder_ids(headphones)
    card = _card(app_client, headphones, "electronics")
    assert card["offer_count"] == 0 and card["in_stock"] is False and card["best_offer"] is None
    status, body, _ = call(app_client, "GET", f"/catalog/products?vendor={catalog.vendor_b.user_id}")
    assert headphones not in [p["product_id"] for p in body["items"]]

    status, _, _ = call(app_client, "POST", f"/vendor/offers/{only}/resume", token=catalog.vendor_b.access_token)
    assert status == 200 and _holder_ids(headphones) == [only]


def _one_request_at_a_time(monkeypatch) -> None:
    """moto's in-process DynamoDB is not safe under threads (a transaction deep-copies the tables while
    another thread writes them: "dictionary changed size"); DynamoDB applies each request atomically, so
    moto is made to answer one request at a time. The app's threads still interleave between requests."""
    from moto.core.botocore_stubber import BotocoreStubber

    lock = threading.Lock()
    original = BotocoreStubber.process_request

    def serialised(self, request):
        with lock:
            return original(self, request)

    monkeypatch.setattr(BotocoreStubber, "process_request", serialised)


def test_concurrent_refreshes_leave_exactly_one_holder_the_best_offer(app_client, catalog, monkeypatch):
    """Two vendors re-price the same product at once, many times: each refresh that loses a race retries
    from a fresh read; at the end one offer holds the listing and it is the product page's best."""
    from chalicelib.services import vendor_offers

    _one_request_at_a_time(monkeypatch)

    tent = catalog.products["tent"]
    prices = {catalog.vendor_a.user_id: [19900, 15000, 18000, 16000, 17500, 15500],
              catalog.vendor_b.user_id: [14000, 19000, 15800, 16500, 15200, 17900]}
    failures: list[BaseException] = []

    def reprice(vendor_id: str) -> None:
        try:
            for price in prices[vendor_id]:
                vendor_offers.upsert_offer(vendor_id, tent, offer(price, 0, 3))
        except BaseException as err:  # noqa: BLE001 (reported below, on the test's thread)
            failures.append(err)

    threads = [threading.Thread(target=reprice, args=(vendor_id,)) for vendor_id in prices for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures

    from chalicelib.services.product_summaries import refresh_product_summary
    refresh_product_summary(tent)  # the last word: whichever write landed last
    best = _page_best(app_client, tent)
    assert _holder_ids(tent) == [best]
    assert _card(app_client, tent, "outdoor")["best_offer"]["offer_id"] == best


def test_two_holders_from_a_race_of_first_offers_list_once_and_the_next_refresh_keeps_one(app_client, catalog):
    """Two first offers written at the same instant by requests that each saw no offer both carry the
    entry: the listing shows the product once, and its next refresh clears the extra holder."""
    from chalicelib.domain.catalog import summarise
    from chalicelib.services.product_summaries import refresh_product_summary
    from chalicelib.store import listings
    from chalicelib.store.offers import OfferItem, get_offer

    tent = catalog.products["tent"]
    a, b = catalog.offers[("tent", "a")], catalog.offers[("tent", "b")]
    loser = get_offer(b)
    listings.carry_entry(loser, summarise([loser.to_offer()]), "Bytes Test", "outdoor")
    loser.save()
    assert _holder_ids(tent) == sorted([a, b])
    status, body, _ = call(app_client, "GET", "/catalog/products?category=outdoor")
    assert [p["product_id"] for p in body["items"]].count(tent) == 1
    status, body, _ = call(app_client, "GET", "/catalog/products?category=outdoor&in_stock=true")
    assert [p["product_id"] for p in body["items"]].count(tent) == 1

    refresh_product_summary(tent)
    assert _holder_ids(tent) == [a] and OfferItem.get(b, consistent_read=True).listing_best is None


def test_a_product_summary_written_the_old_way_is_migrated_onto_its_best_offer(app_client, catalog):
    from chalicelib.services.product_summaries import migrate_listings
    from chalicelib.store.offers import OfferItem
    from chalicelib.store.products import ProductItem

    kettle = catalog.products["kettle"]
    client = ProductItem._get_connection().connection.client
    client.update_item(TableName=ProductItem.Meta.table_name, Key={"product_id": {"S": kettle}},
                       UpdateExpression="SET offer_count = :n, in_stock = :t, best_offer_id = :b",
                       ExpressionAttributeValues={":n": {"N": "2"}, ":t": {"BOOL": True}, ":b": {"S": "x"}})
    for holder in entry_holders(kettle):  # as before the move: no offer holds the entry
        OfferItem(holder.offer_id).update(actions=[OfferItem.listing_category.remove()])
    assert not _holder_ids(kettle)
    from chalicelib.store.listings import products_with_old_summary

    assert products_with_old_summary() == [kettle]  # what a restored local stack migrates (devstack/runner.py)

    assert migrate_listings([kettle]) == 1
    assert products_with_old_summary() == []

    raw = client.get_item(TableName=ProductItem.Meta.table_name, Key={"product_id": {"S": kettle}},
                          ConsistentRead=True)["Item"]
    assert not {"offer_count", "in_stock", "best_offer_id"} & set(raw)
    assert _holder_ids(kettle) == [catalog.offers[("kettle", "b")]]
    assert _card(app_client, kettle, "kitchen")["best_offer"]["offer_id"] == catalog.offers[("kettle", "b")]


@pytest.mark.parametrize("query", ["category=outdoor&cursor=x", "in_stock=true&cursor=x"])
def test_a_forged_listing_cursor_is_a_400_naming_it(app_client, catalog, query):
    status, body, _ = call(app_client, "GET", f"/catalog/products?{query}")
    assert status == 400 and "cursor" in body["error"]["fields"]


def test_the_listing_index_projects_the_whole_entry_and_not_the_offers_stock():
    """Checkout's reservations on the holder write no index image, and a page read from the index has the entry."""
    import json
    from pathlib import Path

    from chalicelib.store import listings
    from chalicelib.store.offers import LISTING_PROJECTION

    template = json.loads((Path(__file__).resolve().parents[2] / "infra" / "template.json").read_text())
    (index,) = [g for g in template["Resources"]["OffersTable"]["Properties"]["GlobalSecondaryIndexes"]
                if g["IndexName"] == "by_listing"]
    assert index["Projection"] == {"ProjectionType": "INCLUDE", "NonKeyAttributes": list(LISTING_PROJECTION)}
    entry = set(listings._LISTING_ATTRIBUTES) - {"listing_category"}  # the key is projected anyway
    assert entry <= set(LISTING_PROJECTION) and not {"available", "reserved", "sold"} & set(LISTING_PROJECTION)


def test_a_product_moved_to_another_category_lists_there_with_its_offers(app_client, catalog):
    """The holder carries the product's place in the listing (category, title key): an edit moves it."""
    lamp = catalog.products["lamp"]  # proposed by vendor a, with a's sold-out offer holding its entry
    edit = {"title": "Linen Garden Lamp", "brand": "Maison Verte", "category": "garden",
            "description": "For the terrace.", "attributes": {"height": "48 cm"}}
    status, edited, _ = call(app_client, "PUT", f"/vendor/products/{lamp}", edit, token=catalog.vendor_a.access_token)
    assert status == 200, edited

    card = _card(app_client, lamp, "garden")
    assert card["offer_count"] == 1 and card["title"] == "Linen Garden Lamp"
    status, home, _ = call(app_client, "GET", "/catalog/products?category=home&limit=50")
    assert lamp not in [p["product_id"] for p in home["items"]]
    status, sold_out, _ = call(app_client, "GET", "/catalog/products?category=garden&in_stock=false")
    assert lamp in [p["product_id"] for p in sold_out["items"]]
    assert _holder_ids(lamp) == [catalog.offers[("lamp", "a")]]


def test_the_offer_indexes_project_every_offer_attribute_but_its_stock_and_the_listing_entry():
    """by_product (the product page, refreshes) and by_vendor (the vendor's list) hold the offers' terms; the
    entry stays out of them, so refreshing it after a sale does not rewrite their images, and so does the
    stock, so checkout's moves do not either (readers get the stock from the items)."""
    import json
    from pathlib import Path

    from chalicelib.store.offers import OFFER_ATTRIBUTES, STOCK_ATTRIBUTES, OfferItem

    model = set(OfferItem.get_attributes()) - {"offer_id"}
    entry = {name for name in model if name.startswith("listing_")} - {"listing_category"}
    assert set(OFFER_ATTRIBUTES) == model - entry
    template = json.loads((Path(__file__).resolve().parents[2] / "infra" / "template.json").read_text())
    for index in template["Resources"]["OffersTable"]["Properties"]["GlobalSecondaryIndexes"]:
        if index["IndexName"] in ("by_product", "by_vendor"):
            keys = {k["AttributeName"] for k in index["KeySchema"]}
            projected = set(index["Projection"]["NonKeyAttributes"]) | keys
            assert projected == set(OFFER_ATTRIBUTES) - set(STOCK_ATTRIBUTES), index["IndexName"]
            assert not keys & set(index["Projection"]["NonKeyAttributes"])
