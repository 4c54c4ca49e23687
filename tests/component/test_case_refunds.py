"""Case refunds moving money through DynamoDB (moto) and the local payment provider: a case refunds
one vendor's units once on the platform's charge; a vendor already paid has its transfer reversed at
once, a vendor not paid yet is paid less; the case's refund, its ledger entries and its restock are
saved with the order."""

from __future__ import annotations

import pytest

from chalicelib.services import wiring
from chalicelib.services.order_changes import change_order
from chalicelib.store import vendors as vendors_store
from chalicelib.store.ledger import DynamoLedger
from chalicelib.store.order_repository import DynamoOrderRepository
from tests.component.test_payment_events import Market, market  # noqa: F401  (the fixture)

AT = "2026-11-27T03:00:00Z"


@pytest.fixture
def connected(market):  # noqa: F811
    for vendor in (market.catalog.vendor_a, market.catalog.vendor_b):
        vendors_store.set_vendor_payout_account(vendor.user_id, market.payments.add_account()["id"])


def paid_with_vendor_a_paid_out(market: Market) -> dict:  # noqa: F811
    """Vendor A's two tents delivered and paid out; vendor B's two headphones not delivered (not paid)."""
    market.add("tent", "a", 2)  # 2 x 199.00, vendor A
    market.add("headphones", "b", 2)  # 2 x 129.00, vendor B
    order, payment = market.checkout()
    market.pay(payment["payment_intent_id"])
    market.settle()
    market.ship(order["order_id"], market.catalog.vendor_a)
    status, body, _ = market.call(
        "POST", f"/orders/{order['order_id']}/vendors/{market.catalog.vendor_a.user_id}/confirm-receipt")
    assert status == 200 and body["payout"]["status"] == "transferred", body
    return order


def refund_case(order_id: str, vendor_id: str, case_id: str, *, units: int, offer_id: str, restock=()):
    """What a return does once received: the amount computed by the order, never given by a caller."""
    def transition(order):
        amount = order.line_refund_amount(vendor_id, offer_id, units)
        return order.refund_for_case(vendor_id, case_id=case_id, amount=amount, reason="requested_by_customer",
                                     at=AT, restock=restock) or None

    return change_order(order_id, transition, orders=DynamoOrderRepository(), effects=wiring.effect_runner())


def test_a_paid_vendors_case_is_refunded_once_and_its_transfer_reversed_at_once(market, connected):  # noqa: F811
    order = paid_with_vendor_a_paid_out(market)
    oid, vendor_a = order["order_id"], market.catalog.vendor_a.user_id
    tent = market.catalog.offers[("tent", "a")]
    intent_id = market.order(oid)["payment"]["payment_intent_id"]
    (transfer,) = market.transfers_of(oid)
    assert transfer["amount"] == 2 * 19900 - 3980

    saved = refund_case(oid, vendor_a, "ret_01TESTCASEREFUND000000001", units=1, offer_id=tent, restock=((tent, 1),))
    refund_case(oid, vendor_a, "ret_01TESTCASEREFUND000000001", units=1, offer_id=tent, restock=((tent, 1),))
    market.settle()  # charge.refunded comes back from the provider: nothing counted twice

    (refund,) = market.refunds_of(intent_id)
    assert refund["amount"] == 19900 and refund["metadata"]["case_id"] == "ret_01TESTCASEREFUND000000001"
    stored = DynamoOrderRepository().get(oid)
    assert stored.case_refund("ret_01TESTCASEREFUND000000001")["status"] == "succeeded"
    assert stored.case_refund("ret_01TESTCASEREFUND000000001")["refund_id"] == refund["id"]
    assert saved.outbox == [] and stored.refunded == 19900
    # Vendor A bears the refund net of the commission given back, taken back from its transfer now.
    reversals = market.payments.ledger.of_kind("transfer_reversal", transfer=transfer["id"])
    assert [r["amount"] for r in reversals] == [19900 - 1990]
    kinds = {(e.kind, e.amount) for e in DynamoLedger().entries(vendor_a) if e.order_id == oid}
    assert {("refund", -19900), ("commission", 1990), ("transfer_reversal", 19900 - 1990)} <= kinds
    assert sum(e.amount for e in DynamoLedger().entries(vendor_a) if e.order_id == oid) == 0  # paid == owed
    assert market.stock("tent", "a")[0] == 4  # one tent back on sale, once
    assert stored.vendor_refundable(vendor_a) == 19900


def test_a_vendor_not_paid_yet_is_paid_less_and_no_reversal_is_made(market, connected):  # noqa: F811
    order = paid_with_vendor_a_paid_out(market)
    oid, vendor_b = order["order_id"], market.catalog.vendor_b.user_id
    headphones = market.catalog.offers[("headphones", "b")]

    refund_case(oid, vendor_b, "clm_01TESTCASEREFUND000000002", units=1, offer_id=headphones)
    market.settle()
    market.ship(oid, market.catalog.vendor_b)
    paid = market.call("POST", f"/orders/{oid}/vendors/{vendor_b}/confirm-receipt")[1]

    # One of two headphones refunded: B is paid for the other, its commission given back pro rata.
    assert paid["payout"]["amount"]["amount"] == 12900 - 1290
    assert sorted(t["amount"] for t in market.transfers_of(oid)) == [12900 - 1290, 2 * 19900 - 3980]
    assert market.payments.ledger.of_kind("transfer_reversal") == []
