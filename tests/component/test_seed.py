"""The demo seed: complete, valid through the catalogue's own rules, and idempotent."""

from __future__ import annotations

import boto3

from chalicelib.domain.catalog import CATEGORIES, is_valid_gtin
from chalicelib.services import accounts
from tests.fixtures.aws import call


def table_counts(stack) -> dict[str, int]:
    dynamodb = boto3.client("dynamodb")
    prefix = stack.environment["HALLES_TABLE_PREFIX"]
    return {name: dynamodb.scan(TableName=prefix + name, Select="COUNT")["Count"]
            for name in ("products", "offers", "search", "vendors")}


def test_seeding_twice_gives_the_same_data(stack):
    from devstack.seed import PRODUCTS, VENDORS, seed_demo

    first = seed_demo()
    counts = table_counts(stack)
    second = seed_demo()
    assert second == first
    assert table_counts(stack) == counts
    assert counts["products"] == len(PRODUCTS) >= 30
    assert counts["vendors"] == len(VENDORS) >= 3
    assert counts["offers"] == first["catalogue"]["offers"] == sum(len(p["offers"]) for p in PRODUCTS)
    assert len({p["data"]["category"] for p in PRODUCTS}) >= 4
    assert all(p["data"]["category"] in CATEGORIES and is_valid_gtin(p["data"]["gtin"]) for p in PRODUCTS)


def test_every_seeded_account_can_sign_in_with_its_role(stack):
    from devstack.seed import seed_demo

    credentials = seed_demo()
    for role in ("admin", "shopper"):
        who = credentials[role]
        session = accounts.sign_in(who["email"], who["password"])
        assert session["user"]["user_id"] == who["user_id"] and role in session["user"]["roles"]
    assert len(credentials["vendors"]) >= 3
    for vendor in credentials["vendors"]:
        session = accounts.sign_in(vendor["email"], vendor["password"])
        assert session["user"]["user_id"] == vendor["vendor_id"] and "vendor" in session["user"]["roles"]


def test_demo_vendors_have_a_shop_profile_and_sell(stack):
    from chalicelib.services import onboarding
    from devstack.seed import seed_demo

    for vendor in seed_demo()["vendors"]:
        profile = onboarding.get_profile(vendor["vendor_id"])["profile"]
        assert profile["legal_name"] and profile["shipping_origin"] and len(profile["return_policy"]) >= 20
        assert onboarding.get_status(vendor["vendor_id"])["can_sell"] is True


def test_the_seeded_catalogue_shows_what_the_demo_is_for(stack, app_client):
    from devstack.seed import seed_demo

    credentials = seed_demo()
    status, tent_hits, _ = call(app_client, "GET", "/catalog/products?q=dome+tent")
    assert status == 200
    (tent,) = tent_hits["items"]
    status, page, _ = call(app_client, "GET", f"/catalog/products/{tent['product_id']}")
    cheapest_price = min(page["offers"], key=lambda o: o["price"]["amount"])
    best = next(o for o in page["offers"] if o["is_best"])
    # The lower price is not the better deal once shipping is added.
    assert cheapest_price["offer_id"] != best["offer_id"]
    assert best["vendor_name"] == "Alpine Outfitters"

    status, sold_out, _ = call(app_client, "GET", "/catalog/products?in_stock=false&limit=50")
    assert sold_out["items"], "the demo has a product nobody can sell right now"

    vendor = credentials["vendors"][0]
    token = accounts.sign_in(vendor["email"], vendor["password"])["access_token"]
    status, mine, _ = call(app_client, "GET", "/vendor/offers", token=token)
    assert status == 200 and mine["items"]
    assert all(o["vendor_id"] == vendor["vendor_id"] for o in mine["items"])


def test_a_restart_keeps_what_vendors_changed(stack):
    from chalicelib.services import vendor_offers
    from devstack.seed import seed_demo

    credentials = seed_demo()
    vendor_id = credentials["vendors"][0]["vendor_id"]
    offer = vendor_offers.list_vendor_offers(vendor_id)["items"][0]
    vendor_offers.upsert_offer(vendor_id, offer["product_id"], {
        "price": {"amount": offer["price"]["amount"] + 100, "currency": "EUR"}, "shipping_fee": offer["shipping_fee"],
        "condition": offer["condition"], "stock": 1, "delivery": offer["delivery"]})
    seed_demo()
    after = next(o for o in vendor_offers.list_vendor_offers(vendor_id)["items"] if o["offer_id"] == offer["offer_id"])
    assert after["price"]["amount"] == offer["price"]["amount"] + 100 and after["available"] == 1



def test_a_snapshot_seeded_before_the_french_texts_gets_them_and_french_search_finds_them(stack, app_client,
                                                                                          monkeypatch):
    import devstack.seed as seed

    with monkeypatch.context() as older_seed:  # the seed as it was before the catalogue had French texts
        older_seed.setattr(seed, "PRODUCTS", tuple({**p, "data": {**p["data"], "translations": {}}}
                                                   for p in seed.PRODUCTS))
        seed.seed_demo()
    assert call(app_client, "GET", "/catalog/products?q=bouteille")[1]["items"] == []

    seed.seed_demo()  # the next start of the stack, with today's seed

    (bottle,) = call(app_client, "GET", "/catalog/products?q=bouteille")[1]["items"]
    assert bottle["title"] == "Insulated Steel Bottle 750 ml"
    assert call(app_client, "GET", "/catalog/products?q=bottles")[1]["items"][0]["product_id"] == bottle["product_id"]
    page = call(app_client, "GET", f"/catalog/products/{bottle['product_id']}?lang=fr")[1]["product"]
    assert page["title"] == "Bouteille isotherme en acier 750 ml" and page["images"]
