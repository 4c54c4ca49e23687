"""The catalogue API as shoppers and vendors use it, through chalice.test.Client under moto."""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest

from tests.fixtures.aws import call
from tests.fixtures.catalog import offer


@pytest.fixture(scope="module")
def shared(shared_catalog):
    return shared_catalog


def products(client, **query):
    status, body, _ = call(client, "GET", "/catalog/products?" + urlencode(query))
    assert status == 200, body
    return body


def titles(body) -> list[str]:
    return [p["title"] for p in body["items"]]


def all_pages(client, **query) -> list[str]:
    ids, cursor, pages = [], None, 0
    while True:
        body = products(client, **query, **({"cursor": cursor} if cursor else {}))
        ids += [p["product_id"] for p in body["items"]]
        cursor, pages = body["next_cursor"], pages + 1
        if not cursor:
            return ids
        assert pages < 50, "pagination does not end"


# --- public reads -----------------------------------------------------------------------

def test_categories_list_the_platform_taxonomy(shared):
    status, body, _ = call(shared.client, "GET", "/catalog/categories")
    assert status == 200
    slugs = [c["slug"] for c in body["items"]]
    assert len(slugs) >= 6 and "kitchen" in slugs
    assert all(c["name"] for c in body["items"])


def test_browse_pages_through_every_product_once(shared):
    every = set(shared.products.values())
    for query in ({"limit": 2}, {"limit": 1}, {"limit": 50}):
        seen = all_pages(shared.client, **query)
        assert len(seen) == len(set(seen)), f"duplicates with {query}"
        assert set(seen) == every, f"misses with {query}"


def test_browse_by_category_is_in_title_order_across_pages(shared):
    seen = all_pages(shared.client, category="kitchen", limit=1)
    assert seen == [shared.products["kettle"], shared.products["mug"]]


def test_a_product_summary_shows_its_best_in_stock_offer(shared):
    body = products(shared.client, category="outdoor")
    (tent,) = body["items"]
    assert tent["offer_count"] == 2 and tent["in_stock"] is True
    assert tent["image"] == "/img/outdoor.svg"
    best = tent["best_offer"]
    # b's price is lower (18900) but its total is higher (18900 + 1500): a's offer is the best.
    assert best["offer_id"] == shared.offers[("tent", "a")]
    assert best["vendor_name"] == "Alpine Test"
    assert best["total"] == {"amount": 19900, "currency": "EUR"}
    assert best["is_best"] is True


def test_products_without_stock_have_no_best_offer(shared):
    body = products(shared.client, category="home")
    (lamp,) = body["items"]
    assert lamp["in_stock"] is False and lamp["best_offer"] is None and lamp["offer_count"] == 1


@pytest.mark.parametrize(
    "query, expected",
    [
        ({"in_stock": "true"}, {"tent", "kettle", "headphones"}),
        ({"in_stock": "false"}, {"lamp", "mug"}),
        ({"min_price": "10000"}, {"tent", "headphones"}),
        ({"max_price": "4599"}, {"kettle", "lamp"}),  # lamp: nothing in stock, compared by its cheapest total
        ({"min_price": "3000", "max_price": "20000", "in_stock": "true"}, {"tent", "kettle", "headphones"}),
        ({"category": "kitchen", "in_stock": "true"}, {"kettle"}),
    ],
)
def test_each_filter_narrows_the_listing(shared, query, expected):
    for limit in (1, 50):
        seen = all_pages(shared.client, limit=limit, **query)
        assert sorted(seen) == sorted(shared.products[n] for n in expected)


def test_vendor_filter_lists_what_that_vendor_offers(shared):
    seen = all_pages(shared.client, vendor=shared.vendor_b.user_id)
    assert sorted(seen) == sorted(shared.products[n] for n in ("tent", "kettle", "headphones"))
    assert all_pages(shared.client, vendor="nobody") == []


@pytest.mark.parametrize(
    "q, expected",
    [
        ("tent", {"tent"}),
        ("Dom", {"tent"}),  # title prefix, any case
        ("alpengl", {"tent"}),  # brand prefix
        ("electrique", {"kettle"}),  # accents do not matter, either way
        ("cuisinière kett", {"kettle"}),
        ("maison", {"lamp", "mug"}),
        ("maison mug", {"mug"}),  # every word must match
        ("noise-cancelling", {"headphones"}),
        ("wireless headphones sonora", {"headphones"}),
        ("headphonesx", {"headphones"}),  # one typo per word is tolerated
        ("zebra", set()),
        ("x", set()),  # one-character words are not searchable on their own
    ],
)
def test_search_matches_title_and_brand_prefixes(shared, q, expected):
    body = products(shared.client, q=q)
    assert {p["product_id"] for p in body["items"]} == {shared.products[n] for n in expected}
    if not expected:
        assert body["items"] == [] and body["next_cursor"] is None


def test_search_combines_with_filters_and_pages(shared):
    assert all_pages(shared.client, q="maison", limit=1) == [shared.products["lamp"], shared.products["mug"]]
    assert all_pages(shared.client, q="maison", category="kitchen") == [shared.products["mug"]]
    assert all_pages(shared.client, q="maison", in_stock="true") == []
    assert all_pages(shared.client, q="tent", vendor=shared.vendor_b.user_id) == [shared.products["tent"]]


def test_product_page_lists_offers_by_total_with_the_best_marked(shared):
    status, body, _ = call(shared.client, "GET", f"/catalog/products/{shared.products['kettle']}")
    assert status == 200
    assert body["product"]["title"] == "Électrique Kettle 1.7 L"
    assert body["product"]["gtin"] == "05012345678900"
    totals = [o["total"]["amount"] for o in body["offers"]]
    assert totals == sorted(totals) == [4498, 4599]
    cheapest, other = body["offers"]
    # The cheapest is out of stock, so the best is the cheapest one a shopper can buy.
    assert cheapest["in_stock"] is False and cheapest["is_best"] is False and cheapest["available"] == 0
    assert other["is_best"] is True and body["best_offer_id"] == other["offer_id"] == shared.offers[("kettle", "b")]
    assert other["vendor_name"] == "Bytes Test"
    assert set(other) == {"offer_id", "product_id", "vendor_id", "vendor_name", "condition", "price", "shipping_fee",
                          "total", "available", "in_stock", "delivery", "is_best", "list_price", "promotion_id"}


def test_product_page_without_stock_has_no_best_offer(shared):
    status, body, _ = call(shared.client, "GET", f"/catalog/products/{shared.products['lamp']}")
    assert status == 200 and body["best_offer_id"] is None and [o["is_best"] for o in body["offers"]] == [False]


@pytest.mark.parametrize("product_id", ["prd_00000000000000", "nope", "x" * 500])
def test_unknown_product_is_404(shared, product_id):
    status, body, _ = call(shared.client, "GET", f"/catalog/products/{product_id}")
    assert status == 404
    assert body["error"]["code"] == "not_found"


@pytest.mark.parametrize(
    "query, field",
    [
        ({"min_price": "ten"}, "min_price"),
        ({"min_price": "-1"}, "min_price"),
        ({"max_price": "1.5"}, "max_price"),
        ({"min_price": "500", "max_price": "100"}, "max_price"),
        ({"limit": "0"}, "limit"),
        ({"limit": "51"}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"in_stock": "perhaps"}, "in_stock"),
        ({"category": "spaceships"}, "category"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"cursor": base64.urlsafe_b64encode(b'{"p":"all","k":{"product_id":{"B":"x"}}}').decode()}, "cursor"),
        ({"q": "x" * 101}, "q"),
    ],
)
def test_bad_query_parameters_are_400_naming_the_field(shared, query, field):
    status, body, _ = call(shared.client, "GET", "/catalog/products?" + urlencode(query))
    assert status == 400, body
    assert field in body["error"]["fields"]


def test_a_cursor_only_resumes_the_query_it_came_from(shared):
    first = products(shared.client, category="kitchen", limit=1)
    assert first["next_cursor"]
    for other in ({"category": "outdoor"}, {}, {"q": "maison"}):
        status, body, _ = call(shared.client, "GET", "/catalog/products?" + urlencode(
            {**other, "cursor": first["next_cursor"]}))
        assert status == 400 and "cursor" in body["error"]["fields"]
    # A cursor naming another category inside, but tagged as ours, is refused too (never reaches DynamoDB).
    decoded = json.loads(base64.urlsafe_b64decode(first["next_cursor"] + "=="))
    decoded["k"]["category"] = {"S": "outdoor"}
    forged = base64.urlsafe_b64encode(json.dumps(decoded).encode()).decode()
    status, body, _ = call(shared.client, "GET", "/catalog/products?" + urlencode({"category": "kitchen", "cursor": forged}))
    assert status == 400 and "cursor" in body["error"]["fields"]


def test_a_read_budget_cuts_pages_short_and_the_cursor_carries_on(shared, monkeypatch):
    """Sparse filters never turn one request into a table scan: each request reads a bounded number of items."""
    from chalicelib.store import cursors, listings

    monkeypatch.setattr(cursors, "READ_BUDGET", 1)
    monkeypatch.setattr(listings, "FILTERED_PAGE_SIZE", 1)
    # in_stock=false: products drive the pages (the mug has no offer); true: the listing entries do.
    for query, expected in (({"in_stock": "false"}, {"lamp", "mug"}), ({"in_stock": "true"}, {"tent", "kettle", "headphones"})):
        seen, cursor, requests = [], None, 0
        while True:
            body = products(shared.client, limit=50, **query, **({"cursor": cursor} if cursor else {}))
            seen += [p["product_id"] for p in body["items"]]
            cursor, requests = body["next_cursor"], requests + 1
            if not cursor:
                break
        assert sorted(seen) == sorted(shared.products[n] for n in expected)
        assert requests > len(expected), "the budget should have cut some pages short"


def test_a_search_reads_a_bounded_number_of_postings_and_says_so(shared, monkeypatch):
    """A search ranks a bounded set of candidates (no scan): past the budget, the answer is marked truncated."""
    from chalicelib.store import cursors

    monkeypatch.setattr(cursors, "READ_BUDGET", 1)
    body = products(shared.client, q="maison", limit=50)
    assert body["truncated"] is True and len(body["items"]) <= 1


# --- vendor routes ----------------------------------------------------------------------

NEW_PRODUCT = {
    "title": "Cast Iron Skillet 28 cm",
    "brand": "Fonderie",
    "category": "kitchen",
    "description": "Pre-seasoned.",
    "attributes": {"diameter": "28 cm"},
    "images": ["/img/kitchen.svg", "https://cdn.example.com/skillet.jpg"],
    "gtin": "96385074",
}


def test_a_vendor_creates_a_product_then_offers_it(app_client, catalog):
    token = catalog.vendor_b.access_token
    status, product, _ = call(app_client, "POST", "/vendor/products", NEW_PRODUCT, token=token)
    assert status == 201, product
    assert product["product_id"] == "prd_00000096385074" and product["gtin"] == "00000096385074"

    # Same GTIN again (other wording): the existing product, not a duplicate.
    status, again, _ = call(app_client, "POST", "/vendor/products", {**NEW_PRODUCT, "title": "Skillet"}, token=token)
    assert status == 200 and again == product

    status, view, _ = call(app_client, "PUT", f"/vendor/products/{product['product_id']}/offer",
                           offer(3490, 490, 7), token=token)
    assert status == 201, view
    assert view["vendor_id"] == catalog.vendor_b.user_id and view["available"] == 7 and view["is_best"] is True
    assert view["reserved"] == 0 and view["sold"] == 0

    # Re-listing the same product in the same condition updates the offer.
    status, updated, _ = call(app_client, "PUT", f"/vendor/products/{product['product_id']}/offer",
                              {**offer(3290, 490, 4)}, token=token)
    assert status == 200 and updated["offer_id"] == view["offer_id"] and updated["price"]["amount"] == 3290

    status, page, _ = call(app_client, "GET", f"/catalog/products/{product['product_id']}")
    assert [o["offer_id"] for o in page["offers"]] == [view["offer_id"]]
    assert page["product"]["attributes"] == {"diameter": "28 cm"}
    assert page["product"]["images"] == NEW_PRODUCT["images"]
    assert page["offers"][0]["total"]["amount"] == 3780
    assert {p["product_id"] for p in products(app_client, q="skillet")["items"]} == {product["product_id"]}
    (summary,) = products(app_client, q="fonderie")["items"]
    assert summary["best_offer"]["price"]["amount"] == 3290 and summary["best_offer"]["available"] == 4


def test_identical_offer_terms_do_not_write_again(app_client, catalog):
    token = catalog.vendor_a.access_token
    path = f"/vendor/products/{catalog.products['tent']}/offer"
    status, first, _ = call(app_client, "PUT", path, offer(19900, 0, 5), token=token)
    assert status == 200
    status, second, _ = call(app_client, "PUT", path, offer(19900, 0, 5), token=token)
    assert status == 200 and second["version"] == first["version"]


def test_vendor_offers_lists_only_the_callers_offers(shared):
    status, body, _ = call(shared.client, "GET", "/vendor/offers", token=shared.vendor_a.access_token)
    assert status == 200
    assert {o["offer_id"] for o in body["items"]} == {
        shared.offers[k] for k in (("tent", "a"), ("kettle", "a"), ("lamp", "a"))}
    assert all(o["vendor_id"] == shared.vendor_a.user_id for o in body["items"])
    # In title order, accents ignored.
    assert [o["product_title"] for o in body["items"]] == [
        "Électrique Kettle 1.7 L", "Linen Table Lamp", "Trailhead Dome Tent 2P"]


def test_a_vendor_cannot_touch_another_vendors_offer(app_client, catalog):
    """BOLA: the offer a PUT writes is derived from the caller, so vendor b can only ever write its own."""
    path = f"/vendor/products/{catalog.products['lamp']}/offer"  # only vendor a offers the lamp
    status, view, _ = call(app_client, "PUT", path, offer(100, 0, 99), token=catalog.vendor_b.access_token)
    assert status == 201
    assert view["vendor_id"] == catalog.vendor_b.user_id and view["offer_id"] != catalog.offers[("lamp", "a")]

    status, page, _ = call(app_client, "GET", f"/catalog/products/{catalog.products['lamp']}")
    by_id = {o["offer_id"]: o for o in page["offers"]}
    untouched = by_id[catalog.offers[("lamp", "a")]]
    assert untouched["vendor_id"] == catalog.vendor_a.user_id
    assert untouched["price"]["amount"] == 2500 and untouched["available"] == 0

    # Query or body parameters naming another vendor are ignored (or refused), never obeyed.
    status, _, _ = call(app_client, "PUT", path + "?vendor_id=" + catalog.vendor_a.user_id,
                        {**offer(100, 0, 1), "vendor_id": catalog.vendor_a.user_id}, token=catalog.vendor_b.access_token)
    assert status == 400
    status, mine, _ = call(app_client, "GET", "/vendor/offers?vendor_id=" + catalog.vendor_a.user_id,
                           token=catalog.vendor_b.access_token)
    assert all(o["vendor_id"] == catalog.vendor_b.user_id for o in mine["items"])


def test_shoppers_and_anonymous_callers_cannot_use_vendor_routes(shared):
    shopper = shared.shopper
    routes = [
        ("POST", "/vendor/products", NEW_PRODUCT),
        ("PUT", f"/vendor/products/{shared.products['tent']}/offer", offer(100, 0, 1)),
        ("GET", "/vendor/offers", None),
    ]
    for method, path, body in routes:
        status, err, _ = call(shared.client, method, path, body, token=shopper.access_token)
        assert status == 403, (method, path, err)
        status, err, _ = call(shared.client, method, path, body)
        assert status == 401, (method, path, err)


@pytest.mark.parametrize(
    "body, fields",
    [
        ({**NEW_PRODUCT, "gtin": "96385075"}, {"gtin"}),
        ({**NEW_PRODUCT, "gtin": "123"}, {"gtin"}),
        ({**NEW_PRODUCT, "title": "ab", "category": "spaceships"}, {"title", "category"}),
        ({**NEW_PRODUCT, "images": ["http://insecure.example.com/a.jpg", "javascript:alert(1)"]}, {"images.0", "images.1"}),
        ({**NEW_PRODUCT, "attributes": {"colour": "x" * 300}}, {"attributes.colour"}),
        ({**NEW_PRODUCT, "gtin": 96385074}, {"gtin"}),
        ({k: v for k, v in NEW_PRODUCT.items() if k != "brand"}, {"brand"}),
        ({**NEW_PRODUCT, "vendor_id": "someone"}, {"vendor_id"}),
    ],
)
def test_invalid_products_are_400_naming_every_field(shared, body, fields):
    status, err, _ = call(shared.client, "POST", "/vendor/products", body, token=shared.vendor_a.access_token)
    assert status == 400, err
    assert fields <= set(err["error"]["fields"])


@pytest.mark.parametrize(
    "body, fields",
    [
        (offer(0, 0, 1), {"price.amount"}),
        (offer(100, -1, 1), {"shipping_fee.amount"}),
        ({**offer(100, 0, 1), "price": {"amount": 100, "currency": "USD"}}, {"price.currency"}),
        ({**offer(100, 0, 1), "price": {"amount": 100, "currency": "XXX"}}, {"price.currency"}),
        ({**offer(100, 0, 1), "price": 12.5}, {"price.amount"}),
        (offer(100, 0, -1), {"stock"}),
        ({**offer(100, 0, 1), "stock": "5"}, {"stock"}),
        (offer(100, 0, 1, condition="mint"), {"condition"}),
        (offer(100, 0, 1, days=(5, 2)), {"delivery.max_days"}),
        (offer(100, 0, 1, days=(1, 61)), {"delivery.max_days"}),
        ({k: v for k, v in offer(100, 0, 1).items() if k != "delivery"}, {"delivery"}),
    ],
)
def test_invalid_offers_are_400_naming_every_field(shared, body, fields):
    path = f"/vendor/products/{shared.products['mug']}/offer"
    status, err, _ = call(shared.client, "PUT", path, body, token=shared.vendor_a.access_token)
    assert status == 400, err
    assert fields <= set(err["error"]["fields"]), err


def test_a_bare_integer_price_is_in_the_platform_currency(app_client, catalog):
    body = {**offer(0, 0, 3), "price": 1250, "shipping_fee": 0}
    status, view, _ = call(app_client, "PUT", f"/vendor/products/{catalog.products['mug']}/offer", body,
                           token=catalog.vendor_a.access_token)
    assert status == 201 and view["price"] == {"amount": 1250, "currency": "EUR"}


def test_an_account_without_a_shop_cannot_sell(shared):
    from chalicelib.domain.errors import Forbidden
    from chalicelib.services import catalog, vendor_offers

    with pytest.raises(Forbidden) as refused:
        vendor_offers.upsert_offer("no-shop-here", shared.products["mug"], offer(100, 0, 1))
    assert refused.value.code == "vendor_not_registered"
    with pytest.raises(Forbidden):
        catalog.create_product("no-shop-here", NEW_PRODUCT)


def test_offering_an_unknown_product_is_404(shared):
    status, err, _ = call(shared.client, "PUT", "/vendor/products/prd_00000000000000/offer", offer(100, 0, 1),
                          token=shared.vendor_a.access_token)
    assert status == 404 and err["error"]["code"] == "not_found"
