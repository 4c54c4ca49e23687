"""Vendors pause, resume and delist their offers (issue 8, item 2): a paused or delisted offer leaves
the catalogue at once (listing, best offer, product page, vendor filter, search), cannot be put in a
cart, a cart already holding it says why and checkout refuses it; delisting is final; another
vendor's offer is a 404 by any id."""

from __future__ import annotations

import uuid

from tests.fixtures.addresses import checkout_body
from tests.fixtures.aws import call


def _listing(client, product_id: str) -> dict:
    status, body, _ = call(client, "GET", "/catalog/products?q=trailhead")
    assert status == 200, body
    return next(p for p in body["items"] if p["product_id"] == product_id)


def _page(client, product_id: str) -> dict:
    status, body, _ = call(client, "GET", f"/catalog/products/{product_id}")
    assert status == 200, body
    return body


def test_a_paused_offer_leaves_the_catalogue_at_once_and_comes_back_when_resumed(app_client, catalog):
    tent, mine = catalog.products["tent"], catalog.offers[("tent", "a")]
    assert _listing(app_client, tent)["best_offer"]["offer_id"] == mine  # a's total 199.00 beats b's 204.00

    status, paused, headers = call(app_client, "POST", f"/vendor/offers/{mine}/pause",
                                   token=catalog.vendor_a.access_token)
    assert status == 200, paused
    assert paused["status"] == "paused" and headers["ETag"] == f'"{paused["version"]}"'

    listing = _listing(app_client, tent)
    assert listing["best_offer"]["offer_id"] == catalog.offers[("tent", "b")]
    assert listing["offer_count"] == 1
    assert [o["offer_id"] for o in _page(app_client, tent)["offers"]] == [catalog.offers[("tent", "b")]]
    status, by_vendor, _ = call(app_client, "GET", f"/catalog/products?vendor={catalog.vendor_a.user_id}")
    assert tent not in [p["product_id"] for p in by_vendor["items"]]

    # The vendor still sees it in its own list, marked paused.
    status, own, _ = call(app_client, "GET", "/vendor/offers", token=catalog.vendor_a.access_token)
    assert {o["offer_id"]: o["status"] for o in own["items"]}[mine] == "paused"

    # Pausing twice is a no-op; resuming lists it again as the best offer.
    status, again, _ = call(app_client, "POST", f"/vendor/offers/{mine}/pause", token=catalog.vendor_a.access_token)
    assert status == 200 and again["version"] == paused["version"]
    status, resumed, _ = call(app_client, "POST", f"/vendor/offers/{mine}/resume",
                              token=catalog.vendor_a.access_token)
    assert status == 200 and resumed["status"] == "active"
    assert _listing(app_client, tent)["best_offer"]["offer_id"] == mine


def test_a_paused_offer_cannot_be_added_to_a_cart_and_a_cart_holding_it_says_why(app_client, catalog, make_user,
                                                                                   payments):
    shopper = make_user("shopper")
    mine = catalog.offers[("tent", "a")]
    status, _, _ = call(app_client, "PUT", f"/cart/lines/{mine}", {"quantity": 1}, token=shopper.access_token)
    assert status == 200

    call(app_client, "POST", f"/vendor/offers/{mine}/pause", token=catalog.vendor_a.access_token)

    status, cart, _ = call(app_client, "GET", "/cart", token=shopper.access_token)
    assert status == 200
    assert [(c["offer_id"], c["reason"]) for c in cart["changes"]] == [(mine, "paused")]
    assert "paused" in cart["changes"][0]["message"]
    assert cart["lines"][0]["available"] == 0

    status, refused, _ = call(app_client, "POST", "/checkout", checkout_body(), token=shopper.access_token,
                              headers={"Idempotency-Key": uuid.uuid4().hex})
    assert status == 409, refused
    assert f"lines.{mine}" in refused["error"]["fields"]

    other = make_user("shopper")
    status, refused, _ = call(app_client, "PUT", f"/cart/lines/{mine}", {"quantity": 1}, token=other.access_token)
    assert status == 409 and refused["error"]["code"] == "offer_paused"
    assert "offer_id" in refused["error"]["fields"]


def test_checkout_refuses_an_offer_paused_after_the_cart_was_read(app_client, catalog, make_user, payments,
                                                                   monkeypatch):
    """The reservation itself is conditional on the offer being active (no check-then-act)."""
    from chalicelib.services import cart as cart_use_cases

    shopper = make_user("shopper")
    mine = catalog.offers[("tent", "a")]
    call(app_client, "PUT", f"/cart/lines/{mine}", {"quantity": 1}, token=shopper.access_token)
    call(app_client, "POST", f"/vendor/offers/{mine}/pause", token=catalog.vendor_a.access_token)
    # As if checkout had read the cart before the pause: no change is seen before the transaction.
    monkeypatch.setattr(cart_use_cases, "line_changes", lambda line, offer: [])
    status, refused, _ = call(app_client, "POST", "/checkout", checkout_body(), token=shopper.access_token,
                              headers={"Idempotency-Key": uuid.uuid4().hex})
    assert status == 409, refused
    assert "paused" in refused["error"]["fields"][f"lines.{mine}"]


def test_delisting_is_final(app_client, catalog):
    token = catalog.vendor_a.access_token
    mine, tent = catalog.offers[("tent", "a")], catalog.products["tent"]
    status, delisted, _ = call(app_client, "DELETE", f"/vendor/offers/{mine}", token=token)
    assert status == 200 and delisted["status"] == "delisted"
    assert mine not in [o["offer_id"] for o in _page(app_client, tent)["offers"]]

    status, again, _ = call(app_client, "DELETE", f"/vendor/offers/{mine}", token=token)
    assert status == 200 and again["version"] == delisted["version"]
    status, refused, _ = call(app_client, "POST", f"/vendor/offers/{mine}/resume", token=token)
    assert status == 409 and refused["error"]["code"] == "offer_delisted"
    body = {"price": 100, "stock": 3, "delivery": {"min_days": 1, "max_days": 2}}
    status, refused, _ = call(app_client, "PUT", f"/vendor/products/{tent}/offer", body, token=token)
    assert status == 409 and refused["error"]["code"] == "offer_delisted"
    status, refused, _ = call(app_client, "POST", f"/vendor/products/{tent}/offer/stock-adjustments",
                              {"delta": 1, "reason": "found one"}, token=token,
                              headers={"Idempotency-Key": uuid.uuid4().hex})
    assert status == 409 and refused["error"]["code"] == "offer_delisted"


def test_another_vendor_cannot_pause_resume_or_delist_my_offer(app_client, catalog, make_user):
    mine = catalog.offers[("tent", "a")]
    for method, path in (("POST", f"/vendor/offers/{mine}/pause"), ("POST", f"/vendor/offers/{mine}/resume"),
                         ("DELETE", f"/vendor/offers/{mine}")):
        status, body, _ = call(app_client, method, path, token=catalog.vendor_b.access_token)
        assert status == 404 and body["error"]["fields"] == {"offer_id": "unknown"}
        status, _, _ = call(app_client, method, path, token=make_user("shopper").access_token)
        assert status == 403
        status, _, _ = call(app_client, method, path)
        assert status == 401
    status, own, _ = call(app_client, "GET", "/vendor/offers", token=catalog.vendor_a.access_token)
    assert {o["offer_id"]: o["status"] for o in own["items"]}[mine] == "active"


def test_a_stale_if_match_is_refused(app_client, catalog):
    mine = catalog.offers[("tent", "a")]
    status, body, _ = call(app_client, "POST", f"/vendor/offers/{mine}/pause",
                           token=catalog.vendor_a.access_token, headers={"If-Match": '"999"'})
    assert status == 412 and "If-Match" in body["error"]["fields"]
