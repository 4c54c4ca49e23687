"""Vendors' stock updates are safe to repeat (issue 7, item 2): `stock` declares units on hand,
`available` is derived atomically from what checkout holds, repeats and stale forms never
resurrect sold or reserved units; If-Match/ETag; stock adjustments once per Idempotency-Key."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from chalicelib.domain.catalog import offer_id_for
from chalicelib.store import offers as offers_store
from tests.fixtures.addresses import checkout_body
from tests.fixtures.aws import call
from tests.fixtures.catalog import offer

GOOD_CARD = "4242424242424242"


class Stall:
    """Vendor a selling the catalogue's mug (no offer yet) to as many shoppers as a test needs."""

    def __init__(self, client, catalog, payments, make_user, drain):
        self.client, self.catalog, self.payments, self.make_user, self._drain = client, catalog, payments, make_user, drain
        self.vendor = catalog.vendor_a
        self.product_id = catalog.products["mug"]
        self.path = f"/vendor/products/{self.product_id}/offer"

    def put(self, stock: int, price: int = 1500, headers: dict | None = None, token: str | None = None):
        return call(self.client, "PUT", self.path, offer(price, 0, stock), token=token or self.vendor.access_token,
                    headers=headers)

    def adjust(self, delta: int, key: str | None, reason: str = "two mugs broke", condition: str | None = None,
               token: str | None = None):
        body = {"delta": delta, "reason": reason, **({"condition": condition} if condition else {})}
        return call(self.client, "POST", self.path + "/stock-adjustments", body,
                    token=token or self.vendor.access_token, headers={"Idempotency-Key": key} if key else None)

    @property
    def offer_id(self) -> str:
        return offer_id_for(self.vendor.user_id, self.product_id, "new")

    def stock(self) -> tuple[int, int, int]:
        item = offers_store.get_offer(self.offer_id)
        return int(item.available), int(item.reserved), int(item.sold)

    def buy(self, quantity: int = 1) -> dict | None:
        """A new shopper checks out `quantity` mugs: the payment to make, or None when refused."""
        shopper = self.make_user("shopper")
        status, body, _ = call(self.client, "PUT", f"/cart/lines/{self.offer_id}", {"quantity": quantity},
                               token=shopper.access_token)
        if status != 200:
            return None
        status, body, _ = call(self.client, "POST", "/checkout", checkout_body(), token=shopper.access_token,
                               headers={"Idempotency-Key": uuid.uuid4().hex})
        if status != 201:
            assert status == 409, body
            return None
        return {"order_id": body["order"]["order_id"], "payment_intent_id": body["payment"]["payment_intent_id"]}

    def pay(self, placed: dict) -> None:
        self.payments.complete_payment(placed["payment_intent_id"], GOOD_CARD)
        self.payments.deliver_webhooks()
        drained = self._drain("payment-events")
        assert not drained.errors, drained.errors


@pytest.fixture
def stall(app_client, catalog, payments, make_user, drain):
    payments.webhook_target = lambda body, headers: app_client.http.post(
        "/webhooks/stripe", body=body, headers=headers).status_code
    return Stall(app_client, catalog, payments, make_user, drain)


def test_resending_an_offer_update_never_resurrects_reserved_or_sold_units(stall):
    """The issue: stock 10, three sales, the same PUT again, then ten more orders -> 13 units for 10."""
    from chalicelib.payments import get_gateway
    from chalicelib.services.reservation_sweeper import expire_order

    status, first, _ = stall.put(10)
    assert status == 201 and first["available"] == 10 and first["stock"] == 10
    placed = [stall.buy() for _ in range(3)]
    assert all(placed) and stall.stock() == (7, 3, 0)

    status, again, _ = stall.put(10)  # a retried timed-out PUT, or a form loaded before the sales
    assert status == 200 and stall.stock() == (7, 3, 0)
    assert again["version"] == first["version"] and again["stock"] == 10 and again["available"] == 7

    stall.pay(placed[0])
    stall.pay(placed[1])
    assert stall.stock() == (7, 1, 2)
    assert stall.put(10)[0] == 200 and stall.stock() == (7, 1, 2)  # sold units are not on hand any more

    expire_order(placed[2]["order_id"], gateway=get_gateway(), now=datetime.now(UTC) + timedelta(minutes=31))
    assert stall.stock() == (8, 0, 2)
    status, view, _ = stall.put(10)
    assert status == 200 and stall.stock() == (8, 0, 2) and view["stock"] == 8 and view["sold"] == 2

    later = [stall.buy() for _ in range(10)]
    assert sum(1 for p in later if p) == 8
    available, reserved, sold = stall.stock()
    assert (available, reserved + sold) == (0, 10), "never more units promised than the vendor declared"


def test_a_new_count_declares_units_on_hand_and_cannot_go_below_what_unpaid_orders_hold(stall):
    stall.put(10)
    assert stall.buy(2) and stall.buy(1)
    assert stall.stock() == (7, 3, 0)

    status, view, _ = stall.put(5)  # the vendor counted 5 mugs on the shelf, 3 of them waiting for payment
    assert status == 200 and stall.stock() == (2, 3, 0) and view["stock"] == 5 and view["available"] == 2

    status, err, _ = stall.put(2)
    assert status == 409 and err["error"]["code"] == "stock_below_reserved"
    assert err["error"]["fields"]["stock"].startswith("at least 3")
    assert "3 units are reserved by unpaid orders" in err["error"]["message"]
    assert stall.stock() == (2, 3, 0)

    assert stall.put(3)[0] == 200 and stall.stock() == (0, 3, 0)


def test_a_price_change_with_the_same_stock_leaves_the_units_alone(stall):
    stall.put(10)
    assert stall.buy(4)
    status, view, _ = stall.put(10, price=1400)
    assert status == 200 and view["price"]["amount"] == 1400 and stall.stock() == (6, 4, 0)


def test_responses_carry_the_version_as_etag_and_if_match_refuses_stale_writes(stall):
    status, created, headers = stall.put(10)
    first_etag = headers["ETag"]
    assert status == 201 and first_etag == f'"{created["version"]}"'

    status, changed, headers = stall.put(12, headers={"If-Match": first_etag})
    assert status == 200 and changed["stock"] == 12 and headers["ETag"] == f'"{changed["version"]}"' != first_etag

    # A form loaded before that change: refused, nothing written.
    status, err, _ = stall.put(9, headers={"If-Match": first_etag})
    assert status == 412 and err["error"]["code"] == "precondition_failed" and "If-Match" in err["error"]["fields"]
    assert stall.stock() == (12, 0, 0)

    # The very request that was applied, retried with its now stale If-Match: already done, 200.
    status, same, headers = stall.put(12, headers={"If-Match": first_etag})
    assert status == 200 and same["version"] == changed["version"]

    assert stall.put(9, headers={"If-Match": f'W/"{changed["version"]}"'})[0] == 412  # weak tags never match
    assert stall.put(9, headers={"If-Match": f'"1", "{changed["version"]}"'})[0] == 200
    status, err, _ = stall.put(9, headers={"If-Match": "7"})
    assert status == 400 and "If-Match" in err["error"]["fields"]


def test_if_match_on_an_offer_that_does_not_exist_is_412(stall):
    status, err, _ = stall.put(10, headers={"If-Match": "*"})
    assert status == 412 and "If-Match" in err["error"]["fields"]
    assert offers_store.get_offer(stall.offer_id) is None


def test_a_stock_adjustment_is_applied_once_per_idempotency_key(stall):
    stall.put(10)
    assert stall.buy(3)
    key = uuid.uuid4().hex

    status, body, headers = stall.adjust(-2, key)
    assert status == 201, body
    assert body["adjustment"]["delta"] == -2 and body["adjustment"]["reason"] == "two mugs broke"
    assert body["offer"]["available"] == 5 and body["offer"]["stock"] == 8
    assert headers["ETag"] == f'"{body["offer"]["version"]}"'
    assert stall.stock() == (5, 3, 0)

    status, again, _ = stall.adjust(-2, key)  # the response was lost; the vendor's client retries
    assert status == 200 and again["adjustment"] == body["adjustment"] and stall.stock() == (5, 3, 0)

    status, err, _ = stall.adjust(-3, key)
    assert status == 422 and err["error"]["code"] == "idempotency_key_reused"
    assert "Idempotency-Key" in err["error"]["fields"] and stall.stock() == (5, 3, 0)

    # The last declaration re-sent after the adjustment changes nothing either.
    assert stall.put(10)[0] == 200 and stall.stock() == (5, 3, 0)

    assert stall.adjust(+4, uuid.uuid4().hex, reason="delivery received")[0] == 201
    assert stall.stock() == (9, 3, 0)


def test_an_adjustment_never_takes_available_units_below_zero(stall):
    stall.put(3)
    assert stall.buy(2)
    status, err, _ = stall.adjust(-2, uuid.uuid4().hex)
    assert status == 409 and err["error"]["code"] == "insufficient_stock"
    assert err["error"]["fields"]["delta"] == "at least -1" and stall.stock() == (1, 2, 0)
    assert stall.adjust(-1, uuid.uuid4().hex)[0] == 201 and stall.stock() == (0, 2, 0)


@pytest.mark.parametrize("key, body_change, field", [
    (None, {}, "Idempotency-Key"),
    ("short", {}, "Idempotency-Key"),
    ("k" * 20, {"delta": 0}, "delta"),
    ("k" * 20, {"reason": "  "}, "reason"),
    ("k" * 20, {"condition": "mint"}, "condition"),
])
def test_invalid_adjustments_are_400_naming_the_field(stall, key, body_change, field):
    stall.put(3)
    body = {"delta": -1, "reason": "lost", **body_change}
    status, err, _ = call(stall.client, "POST", stall.path + "/stock-adjustments", body,
                          token=stall.vendor.access_token, headers={"Idempotency-Key": key} if key else None)
    assert status == 400 and field in err["error"]["fields"], err
    assert stall.stock() == (3, 0, 0)


def test_adjusting_an_offer_you_do_not_have_is_404_and_shoppers_may_not(stall, make_user):
    status, err, _ = stall.adjust(5, uuid.uuid4().hex)
    assert status == 404, err
    assert stall.adjust(5, uuid.uuid4().hex, condition="used")[0] == 404
    assert stall.adjust(5, uuid.uuid4().hex, token=make_user("shopper").access_token)[0] == 403
    # Vendor b has no mug offer: its adjustment cannot reach vendor a's.
    stall.put(3)
    assert stall.adjust(-1, uuid.uuid4().hex, token=stall.catalog.vendor_b.access_token)[0] == 404
    assert stall.stock() == (3, 0, 0)


def test_the_openapi_document_shows_the_stock_headers():
    import app as halles
    from chalicelib.openapi import build_document

    paths = build_document(halles.app)["paths"]
    put = paths["/vendor/products/{product_id}/offer"]["put"]
    adjust = paths["/vendor/products/{product_id}/offer/stock-adjustments"]["post"]
    assert {p["name"]: p["required"] for p in put["parameters"] if p.get("in") == "header"} == {"If-Match": False}
    assert {p["name"]: p["required"] for p in adjust["parameters"] if p.get("in") == "header"} == {
        "Idempotency-Key": True}
    assert "ETag" in put["responses"]["200"]["headers"] and "ETag" in adjust["responses"]["201"]["headers"]
    assert {"409", "412"} <= set(put["responses"]) and {"409", "422"} <= set(adjust["responses"])
    stock = build_document(halles.app)["components"]["schemas"]["OfferIn"]["properties"]["stock"]
    assert "ON HAND" in stock["description"]


def test_an_offer_from_before_declarations_gets_one_recorded_by_its_next_update(stall):
    stall.put(10)
    placed = [stall.buy() for _ in range(3)]
    item = offers_store.get_offer(stall.offer_id)
    item.update(actions=[offers_store.OfferItem.declared_stock.remove()])  # as offers written before it existed

    status, view, _ = stall.put(10, price=1400)  # its units on hand: only the price changes
    assert status == 200 and view["price"]["amount"] == 1400 and stall.stock() == (7, 3, 0)
    stall.pay(placed[0])
    assert stall.put(10, price=1400)[0] == 200 and stall.stock() == (7, 2, 1)
