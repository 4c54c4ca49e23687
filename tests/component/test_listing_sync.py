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


def test_a_sale_that_changes_nothing_the_listing_shows_leaves_the_entry_unwritten(
    app_client, catalog, make_user, payments, drain
):
    """Reserving a unit changes the best offer's stock in the listing: its entry is rewritten. The payment then
    moves it from reserved to sold: nothing shown changes, so the entry (and its by_listing image) is not
    written again, and the listing still shows what it showed."""
    from chalicelib.store.listings import entry_holders

    payments.webhook_target = lambda body, headers: app_client.http.post(
        "/webhooks/stripe", body=body, headers=headers).status_code
    shopper = make_user("shopper")
    tent = catalog.products["tent"]
    status, _, _ = call(app_client, "PUT", f"/cart/lines/{catalog.offers[('tent', 'a')]}", {"quantity": 1},
                        token=shopper.access_token)
    assert status == 200
    (before,) = entry_holders(tent)
    status, body, _ = call(app_client, "POST", "/checkout", checkout_body(), token=shopper.access_token,
                           headers={"Idempotency-Key": uuid.uuid4().hex})
    assert status == 201, body
    drain("notifications")
    (reserved,) = entry_holders(tent)
    assert reserved.listing_at != before.listing_at and int(reserved.listing_best.available) == 4
    shown = listed(app_client, tent)

    payments.complete_payment(body["payment"]["payment_intent_id"])
    payments.deliver_webhooks()
    drain("payment-events")
    drain("notifications")

    status, order, _ = call(app_client, "GET", f"/orders/{body['order']['order_id']}", token=shopper.access_token)
    assert order["status"] == "paid"
    (sold,) = entry_holders(tent)
    assert sold.listing_at == reserved.listing_at
    assert listed(app_client, tent) == shown
