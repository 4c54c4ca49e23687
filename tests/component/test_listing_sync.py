"""Listings follow stock: the catalogue summary ("in stock", best offer) catches up with checkout."""

import uuid

from tests.fixtures.addresses import checkout_body
from tests.fixtures.aws import call


def listed(client, product_id):
    status, page, _ = call(client, "GET", "/catalog/products?limit=50")
    assert status == 200
    return next(item for item in page["items"] if item["product_id"] == product_id)


def test_reserving_the_last_units_moves_the_best_offer_once_order_events_are_processed(
    app_client, catalog, make_user, payments, drain
):
    shopper = make_user("shopper")
    tent = catalog.products["tent"]
    vendor_a_offer, vendor_b_offer = catalog.offers[("tent", "a")], catalog.offers[("tent", "b")]
    # Vendor a: 199.00 + free shipping, 5 units; vendor b: 189.00 + 15.00 shipping, 2 units.
    assert listed(app_client, tent)["best_offer"]["offer_id"] == vendor_a_offer

    status, _, _ = call(app_client, "PUT", f"/cart/lines/{vendor_a_offer}", {"quantity": 5}, token=shopper.access_token)
    assert status == 200
    status, body, _ = call(app_client, "POST", "/checkout", checkout_body(), token=shopper.access_token,
                           headers={"Idempotency-Key": uuid.uuid4().hex})
    assert status == 201, body

    drained = drain("notifications")

    assert drained.failed == 0 and drained.processed >= 1
    after = listed(app_client, tent)
    assert after["best_offer"]["offer_id"] == vendor_b_offer  # all of a's units are held for the order
    assert after["best_offer"]["total"] == {"amount": 20400, "currency": "EUR"}
    assert after["in_stock"] is True
