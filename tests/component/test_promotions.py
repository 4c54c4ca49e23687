"""Vendors' promotions through the HTTP API (moto + the local payment provider): the quote and the
order agree on the promoted price, the catalogue shows it struck and re-ranks offers, a vendor
only ever touches its own promotions and offers, bad input is a 400 naming the field."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.component import test_cart_checkout as cart_tests
from tests.component.test_cart_checkout import Shop
from tests.fixtures.aws import call
from tests.fixtures.catalog import offer as offer_terms

# The cart tests' module stack, shopper and fresh two-vendor catalogue per test.
world, payments, new_user, shop = cart_tests.world, cart_tests.payments, cart_tests.new_user, cart_tests.shop


def at(**delta) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat(timespec="seconds").replace("+00:00", "Z")


def promotion(value=10, kind="percent", offers=(), starts=None, ends=None, **extra) -> dict:
    return {"name": "Spring sale", "kind": kind, "value": value, "starts_at": starts or at(minutes=-1),
            "ends_at": ends or at(days=7), "offer_ids": list(offers), **extra}


def create(shop: Shop, vendor, body: dict, key: str | None = None):
    return shop.call("POST", "/vendor/promotions", body, token=vendor.access_token,
                     headers={"Idempotency-Key": key or uuid.uuid4().hex})


def test_the_quote_and_the_order_charge_the_promoted_price_and_the_line_keeps_both_prices(shop, payments):
    vendor_a = shop.catalog.vendor_a
    tent = shop.catalog.offers[("tent", "a")]  # 199.00 EUR, free shipping
    status, promo, _ = create(shop, vendor_a, promotion(20, offers=[tent]))
    assert status == 201, promo
    assert promo["status"] == "active" and promo["offer_ids"] == [tent]

    cart = shop.add("tent", "a", 2)[1]
    line = cart["lines"][0]
    assert line["unit_price"]["amount"] == 19900 and line["promoted_unit_price"]["amount"] == 15920
    assert line["subtotal"]["amount"] == 2 * 15920
    quoted = shop.call("GET", "/cart/quote?country=DE")[1]
    assert quoted["can_checkout"] and quoted["discount"]["amount"] == 2 * 3980
    assert quoted["total"]["amount"] == 2 * 15920

    status, body, _ = shop.checkout()
    assert status == 201, body
    order = body["order"]
    assert order["totals"]["total"] == quoted["total"]
    assert payments.payment_intent(body["payment"]["payment_intent_id"])["amount"] == 2 * 15920
    ordered = order["lines"][0]
    assert (ordered["unit_price"]["amount"], ordered["promoted_unit_price"]["amount"]) == (19900, 15920)
    assert ordered["promotion_id"] == promo["promotion_id"]
    group = order["vendors"][0]
    assert group["discount"]["amount"] == 2 * 3980 and group["total"]["amount"] == 2 * 15920
    # the stock condition still checked the offer's own price: the units are held
    assert shop.stock("tent", "a") == (3, 2, 0)


def test_the_same_key_creates_one_promotion_and_another_body_with_it_is_refused(shop):
    vendor_a, key = shop.catalog.vendor_a, uuid.uuid4().hex
    body = promotion(15)
    first = create(shop, vendor_a, body, key)
    again = create(shop, vendor_a, body, key)
    assert (first[0], again[0]) == (201, 200) and first[1]["promotion_id"] == again[1]["promotion_id"]
    status, err, _ = create(shop, vendor_a, promotion(16), key)
    assert status == 422 and "Idempotency-Key" in err["error"]["fields"]
    listed = shop.call("GET", "/vendor/promotions", token=vendor_a.access_token)[1]["items"]
    assert [p["promotion_id"] for p in listed] == [first[1]["promotion_id"]]


@pytest.mark.parametrize("body,field", [
    (promotion(95), "value"),  # 1-90 %
    (promotion(0, kind="amount"), "value"),
    (promotion(10, starts=at(days=2), ends=at(days=1)), "ends_at"),
    (promotion(10, starts=at(days=-3), ends=at(days=-1)), "ends_at"),
    (promotion(10, starts="2026-03-01T10:00:00"), "starts_at"),  # no time zone
    (promotion(10, min_quantity=0), "min_quantity"),
    (promotion(10, vendor_id="someone-else"), "vendor_id"),  # never from a body
    (promotion(10, kind="bogo"), "kind"),
])
def test_invalid_promotions_are_refused_naming_the_field(shop, body, field):
    status, err, _ = create(shop, shop.catalog.vendor_a, body)
    assert status == 400, err
    assert field in err["error"]["fields"]


def test_a_promotion_that_would_make_an_offer_free_or_unpayable_is_refused(shop):
    lamp = shop.catalog.offers[("lamp", "a")]  # 25.00 EUR + 5.90 shipping
    status, err, _ = create(shop, shop.catalog.vendor_a, promotion(2500, kind="amount", offers=[lamp]))
    assert status == 400 and "value" in err["error"]["fields"]
    status, _, _ = create(shop, shop.catalog.vendor_a, promotion(2400, kind="amount", offers=[lamp]))
    assert status == 201  # 1.00 + 5.90 shipping: payable


def test_vendor_b_can_neither_touch_a_promotion_of_a_nor_target_offers_of_a(shop, new_user):
    vendor_a, vendor_b = shop.catalog.vendor_a, shop.catalog.vendor_b
    promo = create(shop, vendor_a, promotion(10))[1]
    path = f"/vendor/promotions/{promo['promotion_id']}"
    assert shop.call("GET", path, token=vendor_b.access_token)[0] == 404
    assert shop.call("POST", path + "/end", token=vendor_b.access_token)[0] == 404
    assert shop.call("GET", "/vendor/promotions", token=vendor_b.access_token)[1]["items"] == []
    status, err, _ = create(shop, vendor_b, promotion(50, offers=[shop.catalog.offers[("tent", "a")]]))
    assert status == 400 and "offer_ids" in err["error"]["fields"]
    # shoppers and anonymous callers
    assert shop.call("GET", "/vendor/promotions")[0] == 403
    assert call(shop.client, "GET", "/vendor/promotions")[0] == 401
    assert call(shop.client, "POST", path + "/end")[0] == 401
    # A's promotion is untouched and still applies
    assert shop.call("GET", path, token=vendor_a.access_token)[1]["status"] == "active"


def test_the_best_promotion_wins_and_a_minimum_quantity_is_honoured(shop):
    vendor_b = shop.catalog.vendor_b
    headphones = shop.catalog.offers[("headphones", "b")]  # 129.00
    create(shop, vendor_b, promotion(10))  # every offer of b: 12.90 off
    create(shop, vendor_b, promotion(2000, kind="amount", offers=[headphones], min_quantity=2))
    one = shop.add("headphones", "b", 1)[1]["lines"][0]
    assert one["promoted_unit_price"]["amount"] == 11610
    two = shop.add("headphones", "b", 2)[1]["lines"][0]
    assert two["promoted_unit_price"]["amount"] == 10900  # 20.00 off beats 10 % from 2 units
    assert shop.call("GET", "/cart/quote?country=DE")[1]["total"]["amount"] == 2 * 10900


def test_ending_a_promotion_early_shows_in_the_cart_and_the_catalogue(shop):
    vendor_a = shop.catalog.vendor_a
    tent = shop.catalog.offers[("tent", "a")]
    promo = create(shop, vendor_a, promotion(20, offers=[tent]))[1]
    shop.add("tent", "a", 1)

    ended = shop.call("POST", f"/vendor/promotions/{promo['promotion_id']}/end", token=vendor_a.access_token)
    assert ended[0] == 200 and ended[1]["status"] == "ended" and ended[1]["ended_early_at"]
    assert shop.call("POST", f"/vendor/promotions/{promo['promotion_id']}/end", token=vendor_a.access_token)[0] == 200

    quoted = shop.call("GET", "/cart/quote?country=DE")[1]
    assert not quoted["can_checkout"]
    assert [c["reason"] for c in quoted["changes"]] == ["promotion_changed"]
    assert quoted["total"]["amount"] == 19900
    accepted = shop.add("tent", "a", 1)[1]  # setting the line again accepts the price without it
    assert accepted["changes"] == [] and accepted["lines"][0]["promoted_unit_price"] is None
    page = shop.call("GET", f"/catalog/products/{shop.catalog.products['tent']}")[1]
    mine = next(o for o in page["offers"] if o["offer_id"] == tent)
    assert mine["list_price"] is None and mine["price"]["amount"] == 19900


def test_checkout_refuses_a_line_whose_promotion_ended_since_it_was_set(shop):
    vendor_a = shop.catalog.vendor_a
    create(shop, vendor_a, promotion(20, offers=[shop.catalog.offers[("tent", "a")]], ends=at(seconds=3)))
    assert shop.add("tent", "a", 1)[1]["lines"][0]["promoted_unit_price"]["amount"] == 15920
    time.sleep(3.5)
    status, err, _ = shop.checkout()
    assert status == 409, err
    assert err["error"]["code"] == "cart_changed"
    assert f"lines.{shop.catalog.offers[('tent', 'a')]}" in err["error"]["fields"]
    assert shop.stock("tent", "a") == (5, 0, 0)  # nothing held


def _product_with_two_offers(shop: Shop):
    """A product of its own (so no other test's offers rank beside it): a at 100.00, b at 104.00."""
    word = "Promo" + uuid.uuid4().hex[:8]
    vendor_a, vendor_b = shop.catalog.vendor_a, shop.catalog.vendor_b
    product = shop.call("POST", "/vendor/products", {"title": f"{word} Camping Stove", "brand": "Alpenglow",
                                                     "category": "outdoor"}, token=vendor_a.access_token)[1]
    pid = product["product_id"]
    offers = {}
    for vendor, price in ((vendor_a, 10000), (vendor_b, 10400)):
        status, body, _ = shop.call("PUT", f"/vendor/products/{pid}/offer", offer_terms(price, 0, 5),
                                    token=vendor.access_token)
        assert status in (200, 201), body
        offers[vendor.user_id] = body["offer_id"]
    return word, pid, offers


def _card(shop: Shop, word: str) -> dict:
    items = shop.call("GET", f"/catalog/products?q={word}")[1]["items"]
    assert len(items) == 1, items
    return items[0]


def test_a_promotion_reorders_the_offers_and_the_card_shows_the_struck_price(shop):
    word, pid, offers = _product_with_two_offers(shop)
    vendor_b = shop.catalog.vendor_b
    assert _card(shop, word)["best_offer"]["offer_id"] == offers[vendor_a_id(shop)]

    create(shop, vendor_b, promotion(10, offers=[offers[vendor_b.user_id]]))  # 104.00 -> 93.60

    best = _card(shop, word)["best_offer"]
    assert best["offer_id"] == offers[vendor_b.user_id]
    assert (best["price"]["amount"], best["list_price"]["amount"]) == (9360, 10400)
    page = shop.call("GET", f"/catalog/products/{pid}")[1]
    assert [o["offer_id"] for o in page["offers"]] == [offers[vendor_b.user_id], offers[vendor_a_id(shop)]]
    assert page["offers"][0]["is_best"] and page["offers"][0]["list_price"]["amount"] == 10400


def test_a_promotion_starting_later_reaches_the_card_when_it_starts_without_any_write(shop):
    word, pid, offers = _product_with_two_offers(shop)
    vendor_b = shop.catalog.vendor_b
    create(shop, vendor_b, promotion(10, offers=[offers[vendor_b.user_id]], starts=at(seconds=3)))
    assert _card(shop, word)["best_offer"]["offer_id"] == offers[vendor_a_id(shop)]  # not started yet
    time.sleep(3.5)
    best = _card(shop, word)["best_offer"]  # the read path recomputed the stale summary
    assert best["offer_id"] == offers[vendor_b.user_id] and best["list_price"]["amount"] == 10400


def vendor_a_id(shop: Shop) -> str:
    return shop.catalog.vendor_a.user_id


def test_checkout_refuses_a_promotion_ended_early_even_when_the_cart_is_not_looked_at_again(shop):
    """The line's snapshot still says 20 % off until next week: the transaction re-checks the promotion."""
    vendor_a, tent = shop.catalog.vendor_a, shop.catalog.offers[("tent", "a")]
    promo = create(shop, vendor_a, promotion(20, offers=[tent]))[1]
    shop.add("tent", "a", 1)
    assert shop.call("POST", f"/vendor/promotions/{promo['promotion_id']}/end", token=vendor_a.access_token)[0] == 200

    status, err, _ = shop.checkout()

    assert status == 409, err
    assert err["error"]["code"] == "cart_changed" and f"lines.{tent}" in err["error"]["fields"]
    assert "ended" in err["error"]["fields"][f"lines.{tent}"]
    assert shop.stock("tent", "a") == (5, 0, 0)  # nothing held
    shop.add("tent", "a", 1)  # accepting the price without the promotion
    status, body, _ = shop.checkout()
    assert status == 201 and body["order"]["totals"]["total"]["amount"] == 19900


# --- editing a promotion ---------------------------------------------------------------------------


def edit(shop: Shop, vendor, promo: dict, **changes):
    return shop.call("PATCH", f"/vendor/promotions/{promo['promotion_id']}",
                     {"version": promo.get("version", 1), **changes}, token=vendor.access_token)


def test_a_vendor_edits_a_running_promotion_and_the_catalogue_and_a_new_cart_line_follow(shop):
    vendor_a, tent = shop.catalog.vendor_a, shop.catalog.offers[("tent", "a")]  # 199.00
    promo = create(shop, vendor_a, promotion(10, offers=[tent]))[1]
    new_end = at(days=14)

    status, edited, _ = edit(shop, vendor_a, promo, value=25, ends_at=new_end, min_quantity=1, name="Spring, longer")

    assert status == 200, edited
    assert (edited["value"], edited["ends_at"], edited["name"], edited["version"]) == (25, new_end, "Spring, longer", 2)
    assert edited["starts_at"] == promo["starts_at"] and edited["status"] == "active"
    page = shop.call("GET", f"/catalog/products/{shop.catalog.products['tent']}")[1]
    mine = next(o for o in page["offers"] if o["offer_id"] == tent)
    assert mine["price"]["amount"] == 14925 and mine["list_price"]["amount"] == 19900  # 25 % off at once
    line = shop.add("tent", "a", 1)[1]["lines"][0]
    assert line["promoted_unit_price"]["amount"] == 14925
    assert shop.call("GET", "/vendor/promotions", token=vendor_a.access_token)[1]["items"][0]["version"] == 2


def test_an_edit_from_a_stale_read_is_a_409_naming_the_version_and_changes_nothing(shop):
    vendor_a, tent = shop.catalog.vendor_a, shop.catalog.offers[("tent", "a")]
    promo = create(shop, vendor_a, promotion(10, offers=[tent]))[1]
    assert edit(shop, vendor_a, promo, value=20)[0] == 200  # version 1 -> 2

    status, err, _ = edit(shop, vendor_a, promo, value=30)  # still sends version 1

    assert status == 409 and err["error"]["code"] == "promotion_changed" and "version" in err["error"]["fields"]
    assert shop.call("GET", f"/vendor/promotions/{promo['promotion_id']}", token=vendor_a.access_token)[1]["value"] == 20


def test_a_started_promotion_cannot_start_in_the_past_and_an_ended_one_cannot_be_edited(shop):
    vendor_a, tent = shop.catalog.vendor_a, shop.catalog.offers[("tent", "a")]
    running = create(shop, vendor_a, promotion(10, offers=[tent], starts=at(minutes=-5)))[1]
    scheduled = create(shop, vendor_a, promotion(10, offers=[tent], starts=at(days=1)))[1]

    back = edit(shop, vendor_a, running, starts_at=at(hours=-2))
    scheduled_back = edit(shop, vendor_a, scheduled, starts_at=at(hours=-1))
    later_start = edit(shop, vendor_a, scheduled, starts_at=at(days=2), ends_at=at(days=3))
    assert shop.call("POST", f"/vendor/promotions/{running['promotion_id']}/end", token=vendor_a.access_token)[0] == 200
    ended = edit(shop, vendor_a, running, value=20)

    assert back[0] == 400 and back[1]["error"]["fields"]["starts_at"] == "cannot move into the past"
    assert scheduled_back[0] == 400 and "starts_at" in scheduled_back[1]["error"]["fields"]
    assert later_start[0] == 200 and later_start[1]["status"] == "scheduled"
    assert ended[0] == 409 and ended[1]["error"]["code"] == "promotion_ended"


@pytest.mark.parametrize("changes, field", [
    ({"value": 95}, "value"),
    ({"value": 0}, "value"),
    ({"ends_at": "2020-01-01T00:00:00Z"}, "ends_at"),
    ({"min_quantity": 0}, "min_quantity"),
    ({"kind": "amount"}, "kind"),
    ({"offer_ids": []}, "offer_ids"),
    ({"vendor_id": "someone-else"}, "vendor_id"),
    ({"value": None}, "value"),
    ({"value": "20"}, "value"),
], ids=["over-90-percent", "zero", "ends-in-the-past", "min-quantity-0", "kind", "offers", "vendor-id", "null",
        "string"])
def test_a_bad_edit_is_a_400_naming_the_field(shop, changes, field):
    vendor_a, tent = shop.catalog.vendor_a, shop.catalog.offers[("tent", "a")]
    promo = create(shop, vendor_a, promotion(10, offers=[tent]))[1]
    status, err, _ = edit(shop, vendor_a, promo, **changes)
    assert status == 400 and field in err["error"]["fields"], err
    assert shop.call("GET", f"/vendor/promotions/{promo['promotion_id']}", token=vendor_a.access_token)[1][
        "version"] == 1


def test_an_edit_that_would_make_an_offer_unpayable_is_refused_naming_value(shop):
    vendor_a, tent = shop.catalog.vendor_a, shop.catalog.offers[("tent", "a")]
    promo = create(shop, vendor_a, promotion(1000, kind="amount", offers=[tent]))[1]
    status, err, _ = edit(shop, vendor_a, promo, value=19900)
    assert status == 400 and "value" in err["error"]["fields"]


def test_another_vendor_a_shopper_or_nobody_cannot_edit_a_promotion(shop):
    vendor_a, vendor_b, tent = shop.catalog.vendor_a, shop.catalog.vendor_b, shop.catalog.offers[("tent", "a")]
    promo = create(shop, vendor_a, promotion(10, offers=[tent]))[1]
    path, body = f"/vendor/promotions/{promo['promotion_id']}", {"version": 1, "value": 50}
    assert shop.call("PATCH", path, body, token=vendor_b.access_token)[0] == 404
    assert shop.call("PATCH", path, body)[0] == 403  # the shopper
    assert call(shop.client, "PATCH", path, body)[0] == 401
    assert shop.call("GET", path, token=vendor_a.access_token)[1]["value"] == 10


def test_checkout_refuses_a_line_whose_promotion_was_edited_since_and_the_cart_says_so(shop):
    """The line saw 20 % off until next week; the vendor moves the end: the discount is the same, but
    the shopper is told and sets the line again; a checkout straight away is refused by its transaction."""
    vendor_a, tent = shop.catalog.vendor_a, shop.catalog.offers[("tent", "a")]
    promo = create(shop, vendor_a, promotion(20, offers=[tent]))[1]
    shop.add("tent", "a", 1)
    assert edit(shop, vendor_a, promo, ends_at=at(days=30))[0] == 200

    status, err, _ = shop.checkout()
    assert status == 409 and err["error"]["code"] == "cart_changed" and f"lines.{tent}" in err["error"]["fields"]
    assert shop.stock("tent", "a") == (5, 0, 0)  # nothing held
    quoted = shop.call("GET", "/cart/quote?country=DE")[1]
    assert [c["reason"] for c in quoted["changes"]] == ["promotion_changed"]

    shop.add("tent", "a", 1)  # accepting the edited promotion
    status, body, _ = shop.checkout()
    assert status == 201 and body["order"]["totals"]["total"]["amount"] == 15920
