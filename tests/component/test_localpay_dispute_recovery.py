"""A chargeback after the vendor was paid, end to end: the local provider opens it on an old charge
and loses it, its signed webhooks reach the app, the app takes the vendor's share back by transfer
reversal, and the provider records that reversal (or refuses it with `balance_insufficient` when
the vendor's balance at the provider no longer covers it, as Stripe does for separate transfers).
"""

from __future__ import annotations

from tests.component.test_payment_events import Market, connected, market  # noqa: F401  (the fixtures)


def paid_out_then_disputed(market: Market) -> tuple[dict, dict, dict]:  # noqa: F811
    """Vendor A's tent (199.00, payout 179.10) delivered and paid out; then the shopper's bank disputes it."""
    market.add("tent", "a", 1)
    order, payment = market.checkout()
    market.pay(payment["payment_intent_id"])
    market.settle()
    vendor_a = market.catalog.vendor_a.user_id
    market.ship(order["order_id"], market.catalog.vendor_a)
    status, body, _ = market.call("POST", f"/orders/{order['order_id']}/vendors/{vendor_a}/confirm-receipt")
    assert status == 200 and body["payout"]["status"] == "transferred", body
    (transfer,) = market.transfers_of(order["order_id"])

    dispute = market.payments.open_dispute(payment["payment_intent_id"], reason="product_not_received")
    market.settle()
    return order, transfer, dispute


def reversal_requests(market: Market, transfer_id: str) -> list[dict]:  # noqa: F811
    return [r for r in market.payments.requests
            if r["method"] == "POST" and r["path"] == f"/v1/transfers/{transfer_id}/reversals"]


def test_a_lost_dispute_after_the_payout_reverses_the_vendors_transfer_at_the_provider(market, connected):  # noqa: F811
    order, transfer, dispute = paid_out_then_disputed(market)
    assert market.payments.ledger.get("transfer", transfer["id"])["amount_reversed"] == 0  # not while it is open

    market.payments.settle_dispute(dispute["id"], won=False)
    market.settle()

    recorded = market.payments.ledger.get("transfer", transfer["id"])
    assert (recorded["amount"], recorded["amount_reversed"]) == (17910, 17910)
    (reversal,) = market.payments.ledger.of_kind("transfer_reversal", transfer=transfer["id"])
    assert reversal["metadata"]["order_id"] == order["order_id"]
    assert market.payments.balance(transfer["destination"])["available"][0]["amount"] == 0


def test_a_reversal_the_vendors_balance_cannot_cover_is_refused(market, connected):  # noqa: F811
    order, transfer, dispute = paid_out_then_disputed(market)
    market.payments.set_balance(5000, "eur", transfer["destination"])  # the vendor was paid out to its bank since

    market.payments.settle_dispute(dispute["id"], won=False)
    market.settle()

    assert market.payments.ledger.get("transfer", transfer["id"])["amount_reversed"] == 0
    assert market.payments.ledger.of_kind("transfer_reversal", transfer=transfer["id"]) == []
    attempts = reversal_requests(market, transfer["id"])
    assert attempts and {a["status"] for a in attempts} == {400}
    assert market.payments.balance(transfer["destination"])["available"][0]["amount"] == 5000
