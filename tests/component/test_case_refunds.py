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
from tests.component.test_payment_events import DISPUTED_CARD, GOOD_CARD, Market, market  # noqa: F401  (the fixture)

AT = "2026-11-27T03:00:00Z"
REFUND_FAILS_LATER_CARD = "4000000000005126"  # the local provider's (and Stripe's) test cards
REFUND_PENDING_CARD = "4000000000007726"


@pytest.fixture
def connected(market):  # noqa: F811
    for vendor in (market.catalog.vendor_a, market.catalog.vendor_b):
        vendors_store.set_vendor_payout_account(vendor.user_id, market.payments.add_account()["id"])


def paid_with_vendor_a_paid_out(market: Market, card: str = GOOD_CARD) -> dict:  # noqa: F811
    """Vendor A's two tents delivered and paid out; vendor B's two headphones not delivered (not paid)."""
    market.add("tent", "a", 2)  # 2 x 199.00, vendor A
    market.add("headphones", "b", 2)  # 2 x 129.00, vendor B
    order, payment = market.checkout()
    market.pay(payment["payment_intent_id"], card)
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


# --- failures stay visible to admins --------------------------------------------------------------


@pytest.fixture
def admin(make_user):
    return make_user("admin")


def failed_queue(market: Market, admin) -> list[dict]:  # noqa: F811
    status, body, _ = market.call("GET", "/admin/refunds?status=failed", token=admin.access_token)
    assert status == 200, body
    return body["items"]


def test_a_refund_the_provider_refuses_is_listed_for_admins_who_resolve_it_with_a_note(market, admin):  # noqa: F811
    market.add("tent", "a", 1)
    order, payment = market.checkout()
    market.pay(payment["payment_intent_id"], DISPUTED_CARD)  # Stripe refuses refunds of a disputed charge
    market.settle()
    oid, vendor_a = order["order_id"], market.catalog.vendor_a.user_id
    tent = market.catalog.offers[("tent", "a")]

    refund_case(oid, vendor_a, "ret_01TESTREFUSED0000000000001", units=1, offer_id=tent)

    assert market.refunds_of(payment["payment_intent_id"]) == []
    (item,) = failed_queue(market, admin)
    assert (item["kind"], item["order_id"], item["case_id"], item["amount"], item["failure_code"]) == (
        "refund", oid, "ret_01TESTREFUSED0000000000001", {"amount": 19900, "currency": "EUR"}, "charge_disputed")
    assert ("refund.failed", oid) in market.published()
    assert not any(e.kind == "refund" for e in DynamoLedger().entries(vendor_a))  # no money moved

    path = f"/admin/refunds/{oid}/ret_01TESTREFUSED0000000000001/resolve"
    bad = market.call("POST", path, {"note": ""}, token=admin.access_token)
    extra = market.call("POST", path, {"note": "Paid by bank transfer", "amount": 1}, token=admin.access_token)
    assert bad[0] == 400 and "note" in bad[1]["error"]["fields"]
    assert extra[0] == 400 and "amount" in extra[1]["error"]["fields"]
    status, resolved, _ = market.call("POST", path, {"note": "Paid by bank transfer"}, token=admin.access_token)
    assert status == 200 and resolved["status"] == "resolved"
    assert resolved["resolution"]["note"] == "Paid by bank transfer"
    assert failed_queue(market, admin) == []
    retried = market.call("POST", f"/admin/refunds/{oid}/ret_01TESTREFUSED0000000000001/retry",
                          token=admin.access_token)
    assert retried[0] == 409 and "case_id" in retried[1]["error"]["fields"]
    unknown = market.call("POST", "/admin/refunds/ord_nope/ret_x/retry", token=admin.access_token)
    no_case = market.call("POST", f"/admin/refunds/{oid}/ret_not_this_order/resolve", {"note": "settled"},
                          token=admin.access_token)
    assert unknown[0] == 404 and "order_id" in unknown[1]["error"]["fields"]
    assert no_case[0] == 404 and "case_id" in no_case[1]["error"]["fields"]


def test_a_refund_that_fails_after_it_was_made_is_reconciled_from_its_webhook_once(market, connected, admin):  # noqa: F811
    order = paid_with_vendor_a_paid_out(market, card=REFUND_FAILS_LATER_CARD)
    oid, vendor_b = order["order_id"], market.catalog.vendor_b.user_id
    headphones = market.catalog.offers[("headphones", "b")]
    refund_case(oid, vendor_b, "clm_01TESTFAILEDLATER000000001", units=1, offer_id=headphones)
    market.settle()
    assert DynamoOrderRepository().get(oid).case_refund("clm_01TESTFAILEDLATER000000001")["status"] == "succeeded"

    market.payments.settle_refunds()  # the card could not take it after all: refund.updated, refund.failed
    market.settle()
    market.settle()  # redelivered: nothing changes twice

    stored = DynamoOrderRepository().get(oid)
    assert stored.case_refund("clm_01TESTFAILEDLATER000000001")["status"] == "failed"
    assert stored.refunded == 0
    (item,) = failed_queue(market, admin)
    assert item["failure_code"] == "expired_or_canceled_card" and item["vendor_id"] == vendor_b
    # Un-booked: B's ledger for the order is back to its sale less commission.
    assert sum(e.amount for e in DynamoLedger().entries(vendor_b) if e.order_id == oid) == 2 * 12900 - 2580
    assert [t for t in market.published() if t[0] == "refund.failed"] == [("refund.failed", oid)]


def test_a_pending_refund_succeeds_later_from_its_webhook(market, connected):  # noqa: F811
    order = paid_with_vendor_a_paid_out(market, card=REFUND_PENDING_CARD)
    oid, vendor_b = order["order_id"], market.catalog.vendor_b.user_id
    headphones = market.catalog.offers[("headphones", "b")]
    refund_case(oid, vendor_b, "clm_01TESTPENDINGREFUND0000001", units=1, offer_id=headphones)
    market.settle()
    assert DynamoOrderRepository().get(oid).case_refund("clm_01TESTPENDINGREFUND0000001")["status"] == "pending"

    market.payments.settle_refunds()
    market.settle()

    stored = DynamoOrderRepository().get(oid)
    assert stored.case_refund("clm_01TESTPENDINGREFUND0000001")["status"] == "succeeded"
    assert stored.refunded == 12900  # counted once, pending or not
    assert stored.vendor_refundable(vendor_b) == 12900


def test_a_refused_reversal_is_listed_with_what_is_still_due_and_retried_by_an_admin(market, connected, admin):  # noqa: F811
    order = paid_with_vendor_a_paid_out(market)
    oid, vendor_a = order["order_id"], market.catalog.vendor_a.user_id
    tent = market.catalog.offers[("tent", "a")]
    (transfer,) = market.transfers_of(oid)
    # Someone took the whole transfer back on the provider's dashboard: our reversal is more than is left.
    wiring.payment_gateway().reverse_transfer(transfer_id=transfer["id"], amount=transfer["amount"],
                                              idempotency_key="dashboard-reversal", metadata={})

    refund_case(oid, vendor_a, "ret_01TESTREVERSALREFUSED00001", units=1, offer_id=tent)

    (item,) = failed_queue(market, admin)
    assert (item["kind"], item["vendor_id"], item["amount"]["amount"], item["failure_code"]) == (
        "reversal", vendor_a, 19900 - 1990, "amount_too_large")
    status, seen, _ = market.call("POST", f"/admin/reversals/{oid}/{vendor_a}/retry", token=admin.access_token)
    assert status == 200 and seen["still_due"]["amount"] == 19900 - 1990  # still refused: still listed
    assert len(failed_queue(market, admin)) == 1
    # Both refusals are remembered with the order: no later reversal is asked under a refused key.
    assert DynamoOrderRepository().get(oid).vendor_orders[vendor_a].reversal_refusals == 2
    other = market.call("POST", f"/admin/reversals/{oid}/{market.catalog.vendor_b.user_id}/retry",
                        token=admin.access_token)
    assert other[0] == 409 and "vendor_id" in other[1]["error"]["fields"]
    assert market.call("POST", f"/admin/reversals/ord_nope/{vendor_a}/retry", token=admin.access_token)[0] == 404


def test_under_keep_commission_the_vendor_bears_the_whole_refund(market, connected, monkeypatch):  # noqa: F811
    monkeypatch.setenv("HALLES_REFUND_COMMISSION", "keep_commission")
    order = paid_with_vendor_a_paid_out(market)
    monkeypatch.setenv("HALLES_REFUND_COMMISSION", "refund_commission")  # changed later: the order keeps its own
    oid, vendor_a = order["order_id"], market.catalog.vendor_a.user_id
    tent = market.catalog.offers[("tent", "a")]
    (transfer,) = market.transfers_of(oid)

    refund_case(oid, vendor_a, "ret_01TESTKEEPCOMMISSION00001", units=1, offer_id=tent)

    reversals = market.payments.ledger.of_kind("transfer_reversal", transfer=transfer["id"])
    assert [r["amount"] for r in reversals] == [19900]  # the platform keeps its 19.90 commission
    entries = [(e.kind, e.amount) for e in DynamoLedger().entries(vendor_a) if e.order_id == oid]
    assert ("refund", -19900) in entries and ("commission", 1990) not in entries
    assert sum(amount for _, amount in entries) == 0


def test_an_order_read_that_a_save_crosses_is_read_again_whole(market, connected, monkeypatch):  # noqa: F811
    """The order item and its vendor items are two reads: a case refund saved between them (the
    webhook reading while the runner records the refund) must not give an order item from before the
    save with vendor items from after it, which once booked a return's refund twice."""
    from chalicelib.store import order_repository

    order = paid_with_vendor_a_paid_out(market)
    oid, vendor_a = order["order_id"], market.catalog.vendor_a.user_id
    tent = market.catalog.offers[("tent", "a")]
    before = DynamoOrderRepository().get(oid)
    real_query, crossed = order_repository.VendorOrderModel.query, []

    def query_after_a_save(*args, **kwargs):
        if not crossed:
            crossed.append(True)
            refund_case(oid, vendor_a, "ret_01TESTTORNREAD00000000001", units=1, offer_id=tent)
        return real_query(*args, **kwargs)

    monkeypatch.setattr(order_repository.VendorOrderModel, "query", query_after_a_save)
    read = DynamoOrderRepository().get(oid)
    monkeypatch.setattr(order_repository.VendorOrderModel, "query", real_query)
    after = DynamoOrderRepository().get(oid)
    assert crossed and read.version == after.version > before.version
    assert read.case_refund("ret_01TESTTORNREAD00000000001")["status"] == "succeeded"
    assert read.refunded == after.refunded == 19900


# --- money moved back and forth with a vendor already paid: write-offs, top-ups, reversal sources ---


def account_of(vendor) -> str:
    return vendors_store.payout_account(vendor.user_id)


def vendor_ledger(vendor_id: str, order_id: str) -> int:
    return sum(e.amount for e in DynamoLedger().entries(vendor_id) if e.order_id == order_id)


def test_a_written_off_reversal_whose_refund_fails_later_is_never_paid_to_the_vendor(market, connected, admin):  # noqa: F811
    order = paid_with_vendor_a_paid_out(market, card=REFUND_FAILS_LATER_CARD)
    oid, vendor_a = order["order_id"], market.catalog.vendor_a.user_id
    tent = market.catalog.offers[("tent", "a")]
    market.payments.set_balance(0, account=account_of(market.catalog.vendor_a))  # paid out to its bank
    refund_case(oid, vendor_a, "ret_01TESTWRITTENOFF0000000001", units=1, offer_id=tent)
    (item,) = [i for i in failed_queue(market, admin) if i["kind"] == "reversal"]
    assert item["failure_code"] == "balance_insufficient"
    status, settled, _ = market.call("POST", f"/admin/reversals/{oid}/{vendor_a}/resolve",
                                     {"note": "Not worth chasing", "borne_by": "platform"}, token=admin.access_token)
    assert status == 200 and settled["settled_outside"]["amount"] == 19900 - 1990

    market.payments.settle_refunds()  # the shopper's card could not take the refund after all
    market.settle()
    market.settle()

    (transfer,) = market.transfers_of(oid)  # no top-up: the vendor never gave the 179.10 back
    assert transfer["amount"] == 2 * 19900 - 3980 and transfer["amount_reversed"] == 0
    assert DynamoOrderRepository().get(oid).vendor_orders[vendor_a].written_off == 0
    assert vendor_ledger(vendor_a, oid) == 0  # holds exactly its payout, which it is owed again


def test_a_reversal_after_a_top_up_is_made_from_the_top_up_when_the_payout_is_fully_reversed(market, connected):  # noqa: F811
    order = paid_with_vendor_a_paid_out(market, card=REFUND_FAILS_LATER_CARD)
    oid, vendor_a = order["order_id"], market.catalog.vendor_a.user_id
    tent = market.catalog.offers[("tent", "a")]
    (payout,) = market.transfers_of(oid)
    refund_case(oid, vendor_a, "ret_01TESTBOTHTENTS00000000001", units=2, offer_id=tent)  # payout fully reversed
    market.payments.settle_refunds()  # that refund fails: the vendor gets its money back by a top-up
    market.settle()
    (top_up,) = [t for t in market.transfers_of(oid) if t["id"] != payout["id"]]
    assert top_up["amount"] == payout["amount"]

    refund_case(oid, vendor_a, "ret_01TESTONETENTAGAIN00000001", units=1, offer_id=tent)

    reversed_from = {t["id"]: t["amount_reversed"] for t in market.transfers_of(oid)}
    assert reversed_from == {payout["id"]: payout["amount"], top_up["id"]: 19900 - 1990}
    assert DynamoOrderRepository().get(oid).vendor_orders[vendor_a].reversal_failed is None
    assert vendor_ledger(vendor_a, oid) == 0


def test_a_top_up_the_provider_refuses_is_listed_and_retried_by_an_admin_with_a_new_key(market, connected, admin):  # noqa: F811
    order = paid_with_vendor_a_paid_out(market, card=REFUND_FAILS_LATER_CARD)
    oid, vendor_a = order["order_id"], market.catalog.vendor_a.user_id
    tent = market.catalog.offers[("tent", "a")]
    refund_case(oid, vendor_a, "ret_01TESTTOPUPREFUSED00000001", units=1, offer_id=tent)
    account = market.payments.ledger.objects[account_of(market.catalog.vendor_a)]
    with market.payments.ledger.lock:
        account["capabilities"]["transfers"] = "inactive"  # its account was restricted meanwhile

    market.payments.settle_refunds()
    market.settle()

    (item,) = [i for i in failed_queue(market, admin) if i["kind"] == "top_up"]
    assert (item["vendor_id"], item["amount"]["amount"], item["failure_code"]) == (
        vendor_a, 19900 - 1990, "insufficient_capabilities_for_transfer")
    with market.payments.ledger.lock:
        account["capabilities"]["transfers"] = "active"
    status, seen, _ = market.call("POST", f"/admin/top-ups/{oid}/{vendor_a}/retry", token=admin.access_token)
    assert status == 200 and seen["still_owed"]["amount"] == 0, seen
    # The refusal is remembered with the order: no later top-up is ever asked under the refused key.
    assert DynamoOrderRepository().get(oid).vendor_orders[vendor_a].top_up_refusals == 1
    assert sorted(t["amount"] for t in market.transfers_of(oid)) == [19900 - 1990, 2 * 19900 - 3980]
    assert [i["kind"] for i in failed_queue(market, admin)] == ["refund"]  # the failed refund itself stays
    again = market.call("POST", f"/admin/top-ups/{oid}/{vendor_a}/retry", token=admin.access_token)
    assert again[0] == 409 and "vendor_id" in again[1]["error"]["fields"]
    empty = market.call("POST", f"/admin/top-ups/{oid}/{vendor_a}/resolve", {"note": ""}, token=admin.access_token)
    assert empty[0] == 400 and "note" in empty[1]["error"]["fields"]
    assert vendor_ledger(vendor_a, oid) == 0


def test_a_failed_refund_settled_at_the_vendors_cost_is_collected_from_a_paid_and_an_unpaid_vendor(market, connected, admin):  # noqa: F811
    order = paid_with_vendor_a_paid_out(market, card=REFUND_FAILS_LATER_CARD)
    oid, vendor_a, vendor_b = order["order_id"], market.catalog.vendor_a.user_id, market.catalog.vendor_b.user_id
    cases = {"ret_01TESTBORNEBYPAIDVENDOR001": vendor_a, "clm_01TESTBORNEBYUNPAIDVENDOR1": vendor_b}
    refund_case(oid, vendor_a, "ret_01TESTBORNEBYPAIDVENDOR001", units=1, offer_id=market.catalog.offers[("tent", "a")])
    refund_case(oid, vendor_b, "clm_01TESTBORNEBYUNPAIDVENDOR1", units=1,
                offer_id=market.catalog.offers[("headphones", "b")])
    market.settle()
    market.payments.settle_refunds()  # the shopper's card could not take them: A gets its share back (a top-up)
    market.settle()
    assert {i["case_id"] for i in failed_queue(market, admin)} == set(cases)

    for case_id, vendor_id in cases.items():
        status, body, _ = market.call("POST", f"/admin/refunds/{oid}/{case_id}/resolve",
                                      {"note": "Refunded by bank transfer", "borne_by": "vendor"},
                                      token=admin.access_token)
        assert status == 200 and body["vendor_id"] == vendor_id, body
        assert body["resolution"]["vendor_charged"] == body["amount"]["amount"] * 9 // 10  # commission given back

    # A was paid (its payout, then the top-up): what it bears is reversed at the provider at once.
    held_by_a = sum(t["amount"] - t["amount_reversed"] for t in market.transfers_of(oid))
    assert held_by_a == 2 * 19900 - 3980 - (19900 - 1990)
    assert vendor_ledger(vendor_a, oid) == 0  # its balance is its ledger's sum: it holds what it is owed
    assert failed_queue(market, admin) == []
    # B was not paid yet: once it is, it is paid that much less.
    market.ship(oid, market.catalog.vendor_b)
    paid = market.call("POST", f"/orders/{oid}/vendors/{vendor_b}/confirm-receipt")[1]
    assert paid["payout"]["amount"]["amount"] == 2 * 12900 - 2580 - (12900 - 1290)
    assert vendor_ledger(vendor_b, oid) == 0
    kinds = {(e.kind, e.amount) for e in DynamoLedger().entries(vendor_b) if e.order_id == oid}
    assert {("refund", -12900), ("commission", 1290)} <= kinds
