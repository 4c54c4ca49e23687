"""Vendors propose and edit products (issue 8, item 2): live at once unless a presentation rule fails,
each failure named by its field; only the proposer edits a product; edits follow in search and in
the offers' titles."""

from __future__ import annotations

from tests.fixtures.aws import call

PHONE = {"title": "Pocket Phone 6.1 in", "brand": "Halles Tests", "category": "electronics",
         "attributes": {"model": "P6-128"}, "gtin": "4006381333924"}


def test_a_product_breaking_the_rules_is_refused_naming_each_field(app_client, catalog):
    body = {**PHONE, "title": "BEST PRICE PHONE!!", "attributes": {}, "gtin": "4006381333925"}
    status, refused, _ = call(app_client, "POST", "/vendor/products", body, token=catalog.vendor_a.access_token)
    assert status == 400, refused
    assert "gtin" in refused["error"]["fields"]  # the check digit is wrong
    body["gtin"] = PHONE["gtin"]
    status, refused, _ = call(app_client, "POST", "/vendor/products", body, token=catalog.vendor_a.access_token)
    assert status == 400
    assert set(refused["error"]["fields"]) == {"title", "attributes.model"}


def test_a_well_presented_product_is_live_at_once_and_a_known_gtin_returns_it(app_client, catalog):
    status, created, _ = call(app_client, "POST", "/vendor/products", PHONE, token=catalog.vendor_a.access_token)
    assert status == 201, created
    status, found, _ = call(app_client, "GET", "/catalog/products?q=pocket phone")
    assert [p["product_id"] for p in found["items"]] == [created["product_id"]]
    # Another vendor sending the same GTIN with a terse title gets the existing product (not a proposal).
    status, existing, _ = call(app_client, "POST", "/vendor/products", {**PHONE, "title": "Phone"},
                               token=catalog.vendor_b.access_token)
    assert status == 200 and existing["title"] == PHONE["title"]


def test_the_proposer_edits_its_product_and_search_and_offers_follow(app_client, catalog):
    token = catalog.vendor_a.access_token
    lamp = catalog.products["lamp"]  # proposed by vendor a, with an offer of a's
    edit = {"title": "Linen Bedside Lamp", "brand": "Maison Verte", "category": "home",
            "description": "A ceramic base.", "attributes": {"height": "48 cm"}}
    status, edited, _ = call(app_client, "PUT", f"/vendor/products/{lamp}", edit, token=token)
    assert status == 200, edited
    assert (edited["product_id"], edited["title"], edited["attributes"]) == (lamp, "Linen Bedside Lamp",
                                                                             {"height": "48 cm"})
    status, found, _ = call(app_client, "GET", "/catalog/products?q=bedside")
    assert [p["product_id"] for p in found["items"]] == [lamp]
    status, found, _ = call(app_client, "GET", "/catalog/products?q=table lamp")
    # The old title no longer matches every word: at most the lamp shows among partial matches ("relaxed").
    assert found["relaxed"] is True or lamp not in [p["product_id"] for p in found["items"]]
    status, own, _ = call(app_client, "GET", "/vendor/offers", token=token)
    assert {o["product_id"]: o["product_title"] for o in own["items"]}[lamp] == "Linen Bedside Lamp"


def test_an_edit_must_follow_the_rules_and_cannot_change_the_gtin(app_client, catalog):
    token = catalog.vendor_a.access_token
    headphones = catalog.products["headphones"]
    edit = {"title": "Headphones SALE", "brand": "Sonora", "category": "electronics", "attributes": {}}
    status, refused, _ = call(app_client, "PUT", f"/vendor/products/{headphones}", edit, token=token)
    assert status == 400 and set(refused["error"]["fields"]) == {"title", "attributes.model"}
    status, refused, _ = call(app_client, "PUT", f"/vendor/products/{headphones}",
                              {**edit, "title": "Sonora Headphones", "attributes": {"model": "NC-700"},
                               "gtin": "4006381333931"}, token=token)
    assert status == 400 and "gtin" in refused["error"]["fields"]


def test_only_the_proposer_may_edit_a_product(app_client, catalog, make_user):
    lamp = catalog.products["lamp"]
    edit = {"title": "Somebody Else's Lamp", "brand": "Maison Verte", "category": "home"}
    status, refused, _ = call(app_client, "PUT", f"/vendor/products/{lamp}", edit,
                              token=catalog.vendor_b.access_token)
    assert status == 403 and refused["error"]["fields"] == {"product_id": "not yours"}
    status, _, _ = call(app_client, "PUT", f"/vendor/products/{lamp}", edit, token=make_user("shopper").access_token)
    assert status == 403
    status, _, _ = call(app_client, "PUT", "/vendor/products/prd_nope", edit, token=catalog.vendor_b.access_token)
    assert status == 404
    status, page, _ = call(app_client, "GET", f"/catalog/products/{lamp}")
    assert page["product"]["title"] == "Linen Table Lamp"


def test_a_vendors_offers_list_says_which_products_it_proposed_and_so_may_edit(app_client, catalog):
    """The Offers section shows "Edit product" only where the PUT would not be a 403."""
    mine = call(app_client, "GET", "/vendor/offers", token=catalog.vendor_a.access_token)[1]["items"]
    theirs = call(app_client, "GET", "/vendor/offers", token=catalog.vendor_b.access_token)[1]["items"]

    tent = catalog.products["tent"]  # proposed by vendor a, offered by both
    assert {o["product_id"]: o["product_proposed_by_you"] for o in mine}[tent] is True
    assert {o["product_id"]: o["product_proposed_by_you"] for o in theirs}[tent] is False
