"""The refund primitive on the order aggregate: a case (a return, a claim) refunds part of one vendor's
share once, restocks on the vendor's word once, and a failed refund moves no money in the ledger."""

from __future__ import annotations

import pytest

from chalicelib.domain import ledger
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.order_effects import Publish, RefundCase, RestockSold, TransferPayout, effect_from_json
from chalicelib.domain.orders import Dispute, Order, OrderLine, PaymentOutcome, VendorOrder
from chalicelib.services import refund_admin

AT = "2026-11-27T03:00:00Z"


def paid(*, discount: int = 0, unit_discount: int = 0, policy: str = "refund_commission") -> Order:
    """Two vendors: v1 sells 2 tents (10.00 each, 3.00 shipping), v2 one headphone (5.00, 2.00 shipping)."""
    lines = [OrderLine("o1", "p1", "v1", "Alpine", "Tent", "new", 2, 1000, 300, unit_discount=unit_discount),
             OrderLine("o3", "p3", "v1", "Alpine", "Stove", "new", 1, 600, 0),
             OrderLine("o2", "p2", "v2", "Bytes", "Headphones", "used", 1, 500, 200)]
    v1_total = 2600 - discount + 300
    vendors = [VendorOrder("v1", "Alpine", "EUR", 2600, 300, discount, v1_total, v1_total // 10,
                           v1_total - v1_total // 10),
               VendorOrder("v2", "Bytes", "EUR", 500, 200, 0, 700, 70, 630)]
    order, _ = Order.place(order_id="ord_1", shopper_id="s1", created_at="2026-11-27T02:50:00Z",
                           reserved_until="2026-11-27T03:20:00Z", currency="EUR", country="DE", quote={},
                           lines=lines, total=v1_total + 700, vendor_orders=vendors)
    for vendor_order in order.vendor_orders.values():
        vendor_order.refund_commission = policy  # frozen at checkout
    order.attach_payment("pi_1", "secret")
    order.apply_payment(PaymentOutcome.SUCCEEDED, at=AT, charge_id="ch_1")
    order.ledger_entries = []
    return order


def entries(order: Order) -> list[tuple[str, str, int]]:
    out = [(e.vendor_id, e.kind, e.amount) for e in order.ledger_entries]
    order.ledger_entries = []
    return out


# --- what a case may refund ---------------------------------------------------------------------


def test_a_lines_refund_is_what_the_shopper_paid_for_those_units_without_shipping():
    assert paid().line_refund_amount("v1", "o1", 1) == 1000
    # Its own promotion comes off, and its share of the sub-order's discount (rounded down).
    order = paid(unit_discount=100, discount=200 + 130)  # 2 x 1.00 carried by the line, 1.30 for the sub-order
    assert order.line_refund_amount("v1", "o1", 1) == 1000 - 100 - 130 * 1000 // 2600
    assert order.line_refund_amount("v1", "o3", 1) == 600 - 130 * 600 // 2600


@pytest.mark.parametrize("offer_id, quantity, field", [("o2", 1, "offer_id"), ("nope", 1, "offer_id"),
                                                       ("o1", 3, "quantity"), ("o1", 0, "quantity")],
                         ids=["other-vendors-line", "unknown-line", "more-than-bought", "zero"])
def test_a_line_refund_for_units_the_vendor_did_not_sell_names_the_field(offer_id, quantity, field):
    with pytest.raises((NotFound, InvalidInput)) as caught:
        paid().line_refund_amount("v1", offer_id, quantity)
    assert field in caught.value.fields


def test_only_a_paid_vendor_share_is_refundable_and_it_shrinks_as_refunds_are_asked():
    order = paid()
    assert order.vendor_refundable("v1") == 2900 and order.vendor_refundable("v2") == 700
    order.refund_for_case("v1", case_id="ret_a", amount=1000, reason="damaged", at=AT)
    assert order.vendor_refundable("v1") == 1900  # asked, not answered yet: already counted
    assert order.vendor_refundable("v2") == 700  # the other vendor's share is untouched


# --- refund_for_case ------------------------------------------------------------------------------


def test_a_case_refunds_once_with_a_key_from_the_case_and_a_repeat_changes_nothing():
    order = paid()
    effects = order.refund_for_case("v1", case_id="ret_a", amount=1000, reason="damaged", at=AT)
    (refund,) = effects
    assert refund == RefundCase("ord_1", "pi_1", "v1", "ret_a", 1000, "damaged")
    assert refund.key == "refund-ret_a"
    assert effect_from_json(refund.to_json()) == refund  # survives the outbox
    assert order.case_refund("ret_a") == {"amount": 1000, "status": "requested", "refund_id": None,
                                          "failure_code": None, "at": AT, "reason": "damaged", "attempt": 0,
                                          "vendor_id": "v1"}
    assert order.refund_for_case("v1", case_id="ret_a", amount=1000, reason="damaged", at=AT) == []
    assert order.refund_for_case("v1", case_id="ret_a", amount=5, reason="other", at=AT) == []
    assert order.case_refund("ret_a")["amount"] == 1000


@pytest.mark.parametrize("amount", [0, -5, 2901, True, "1000"], ids=["zero", "negative", "too-much", "bool", "text"])
def test_an_amount_outside_what_is_refundable_is_a_409_naming_amount_and_changes_nothing(amount):
    order = paid()
    with pytest.raises(Conflict) as caught:
        order.refund_for_case("v1", case_id="ret_a", amount=amount, reason="x", at=AT)
    assert "amount" in caught.value.fields and order.case_refund("ret_a") is None


def test_an_unpaid_order_refunds_nothing():
    order = paid()
    order.status = order.status.__class__("cancelled")
    with pytest.raises(Conflict) as caught:
        order.refund_for_case("v1", case_id="ret_a", amount=100, reason="x", at=AT)
    assert caught.value.code == "order_not_paid"


def test_a_case_restocks_the_units_it_names_once_and_never_more_than_were_sold():
    order = paid()
    effects = order.refund_for_case("v1", case_id="ret_a", amount=1000, reason="changed_mind", at=AT,
                                    restock=(("o1", 1),))
    assert [e for e in effects if isinstance(e, RestockSold)] == [RestockSold("ord_1", "o1", 1, "ret_a")]
    assert order.restock_returned("v1", "ret_a", (("o1", 1),)) == []  # the same case: once
    assert order.restock_returned("v1", "ret_b", (("o1", 1),), at=AT) == [RestockSold("ord_1", "o1", 1, "ret_b")]
    with pytest.raises(Conflict) as caught:
        order.restock_returned("v1", "ret_c", (("o1", 1),), at=AT)  # both tents are back already
    assert "quantity" in caught.value.fields
    with pytest.raises(NotFound):
        order.restock_returned("v1", "ret_c", (("o2", 1),), at=AT)  # another vendor's line


def test_a_restock_refused_leaves_the_refund_unasked():
    order = paid()
    with pytest.raises(Conflict):
        order.refund_for_case("v1", case_id="ret_a", amount=1000, reason="x", at=AT, restock=(("o1", 3),))
    assert order.case_refund("ret_a") is None and order.vendor_orders["v1"].restocked == {}


# --- the provider's answer ------------------------------------------------------------------------


def test_a_refund_made_comes_off_that_vendor_only_and_shrinks_its_payout():
    order = paid()
    order.refund_for_case("v1", case_id="ret_a", amount=1000, reason="damaged", at=AT)
    assert order.record_case_refund("ret_a", attempt=0, refund_id="re_1", status="succeeded", at=AT) == []
    assert order.case_refund("ret_a")["status"] == "succeeded" and order.case_refund("ret_a")["refund_id"] == "re_1"
    booked = entries(order)
    assert {(v, k) for v, k, _ in booked} == {("v1", "refund"), ("v1", "commission")}
    assert sum(a for _, _, a in booked) == -(1000 - 1000 * 290 // 2900)  # the commission comes back pro rata
    assert order.payout_now("v1")[0] == ledger.entitlement(order.money(), "v1") == 2610 * 1900 // 2900
    assert order.payout_now("v2")[0] == 630
    assert order.vendor_refundable("v1") == 1900


def test_a_vendor_already_paid_gets_the_reversal_due_at_once():
    order = paid()
    order.release_payout("v1", at=AT)
    order.record_transfer("v1", transfer_id="tr_1", amount=2610, charge_id="ch_1", at=AT)
    order.refund_for_case("v1", case_id="ret_a", amount=1000, reason="damaged", at=AT)
    (reversal,) = order.record_case_refund("ret_a", attempt=0, refund_id="re_1", status="pending", at=AT)
    assert (reversal.vendor_id, reversal.amount) == ("v1", 2610 - 2610 * 1900 // 2900)
    assert order.case_refund("ret_a")["status"] == "pending"


def test_a_refused_refund_is_failed_visible_and_books_nothing_then_an_admin_retries_with_a_new_key():
    order = paid()
    order.refund_for_case("v1", case_id="ret_a", amount=1000, reason="damaged", at=AT)
    (event,) = order.case_refund_failed("ret_a", failure_code="charge_disputed", at=AT, attempt=0)
    assert isinstance(event, Publish) and event.event == "refund.failed"
    assert order.case_refund_failed("ret_a", failure_code="charge_disputed", at=AT, attempt=0) == []
    assert order.case_refund("ret_a")["status"] == "failed"
    assert order.vendor_orders["v1"].refund_attention_since == AT
    assert entries(order) == [] and order.vendor_refundable("v1") == 2900  # nothing moved
    assert order.refund_for_case("v1", case_id="ret_a", amount=1000, reason="damaged", at=AT) == []  # once per case

    (retry,) = order.retry_case_refund("ret_a", at=AT)
    assert retry.key == "refund-ret_a-1" and retry.amount == 1000
    assert order.vendor_orders["v1"].refund_attention_since is None
    with pytest.raises(Conflict) as caught:
        order.retry_case_refund("ret_a", at=AT)
    assert caught.value.fields == {"case_id": "refund is requested"}
    # The first attempt's late answer is stale: only the retry's counts.
    assert order.record_case_refund("ret_a", attempt=0, refund_id="re_old", status="succeeded", at=AT) == []
    order.record_case_refund("ret_a", attempt=1, refund_id="re_2", status="succeeded", at=AT)
    assert order.refunded == 1000


def test_a_refund_that_fails_after_it_was_made_is_un_booked_and_the_vendor_is_owed_again():
    order = paid()
    order.refund_for_case("v1", case_id="ret_a", amount=1000, reason="damaged", at=AT)
    order.record_case_refund("ret_a", attempt=0, refund_id="re_1", status="succeeded", at=AT)
    entries(order)
    effects = order.reconcile_refund("re_1", status="failed", failure_code="expired_or_canceled_card", at=AT)
    assert [e.event for e in effects] == ["refund.failed"]
    assert order.reconcile_refund("re_1", status="failed", at=AT) is None  # once
    assert sum(a for _, _, a in entries(order)) == 1000 - 1000 * 290 // 2900
    assert order.refunded == 0 and order.payout_now("v1")[0] == 2610
    assert order.case_refund("ret_a")["failure_code"] == "expired_or_canceled_card"


def test_the_failed_attempts_late_webhook_does_not_fail_the_admins_retry_under_way():
    order = paid()
    order.refund_for_case("v1", case_id="ret_a", amount=1000, reason="damaged", at=AT)
    order.record_case_refund("ret_a", attempt=0, refund_id="re_1", status="succeeded", at=AT)
    order.reconcile_refund("re_1", status="failed", failure_code="lost_or_stolen_card", at=AT, case_id="ret_a")
    order.retry_case_refund("ret_a", at=AT)  # the retry is asked; its answer not recorded yet

    # refund.failed is sent twice for a refund that fails (refund.updated too): one comes in late.
    late = order.reconcile_refund("re_1", status="failed", failure_code="lost_or_stolen_card", at=AT,
                                  case_id="ret_a")

    assert late is None and order.case_refund("ret_a")["status"] == "requested"
    order.record_case_refund("ret_a", attempt=1, refund_id="re_2", status="succeeded", at=AT)
    assert order.case_refund("ret_a")["status"] == "succeeded" and order.refunded == 1000


def test_a_pending_refund_becomes_succeeded_from_the_webhook_and_is_never_booked_twice():
    order = paid()
    order.refund_for_case("v1", case_id="ret_a", amount=1000, reason="damaged", at=AT)
    order.record_case_refund("ret_a", attempt=0, refund_id="re_1", status="pending", at=AT)
    first = entries(order)
    assert order.reconcile_refund("re_1", status="succeeded", at=AT) == []
    assert order.case_refund("ret_a")["status"] == "succeeded"
    assert entries(order) == [] and first
    assert order.reconcile_refund("re_1", status="succeeded", at=AT) is None


def test_an_admin_resolves_a_failed_refund_outside_the_platform_once():
    order = paid()
    order.refund_for_case("v1", case_id="ret_a", amount=1000, reason="damaged", at=AT)
    with pytest.raises(Conflict):
        order.resolve_case_refund("ret_a", note="paid by bank transfer", by="admin_1", at=AT)
    order.case_refund_failed("ret_a", failure_code="card_closed", at=AT)
    assert order.resolve_case_refund("ret_a", note="paid by bank transfer", by="admin_1", at=AT) == []
    assert order.resolve_case_refund("ret_a", note="again", by="admin_1", at=AT) is None
    record = order.case_refund("ret_a")
    assert record["status"] == "resolved" and record["resolution"]["note"] == "paid by bank transfer"
    assert order.vendor_orders["v1"].refund_attention_since is None
    with pytest.raises(NotFound):
        order.retry_case_refund("ret_zzz", at=AT)


@pytest.mark.parametrize("policy, vendor_bears, commission_back", [("refund_commission", 1000 - 100, 100),
                                                                   ("keep_commission", 1000, 0)],
                         ids=["refund_commission", "keep_commission"])
def test_the_commission_policy_frozen_on_the_sub_order_decides_what_the_vendor_bears(policy, vendor_bears,
                                                                                     commission_back):
    order = paid(policy=policy)
    order.refund_for_case("v1", case_id="ret_a", amount=1000, reason="damaged", at=AT)
    order.record_case_refund("ret_a", attempt=0, refund_id="re_1", status="succeeded", at=AT)
    booked = entries(order)
    assert ("v1", "refund", -1000) in booked
    assert [a for v, k, a in booked if k == "commission"] == ([commission_back] if commission_back else [])
    assert order.payout_now("v1")[0] == 2610 - vendor_bears
    assert order.payout_now("v2")[0] == 630


# --- the provider's cumulative total (`charge.refunded` without its refunds list) -----------------


def test_a_charge_refunded_total_our_case_refund_explains_books_nothing_before_or_after_we_record_it():
    order = paid()
    order.refund_for_case("v1", case_id="ret_1", amount=1000, reason="requested_by_customer", at=AT)
    # The provider's event before our runner saved the refund: the refund still being made explains it.
    assert order.record_refunded_total("ch_1", 1000, currency="EUR", at=AT) is False
    order.record_case_refund("ret_1", attempt=0, refund_id="re_1", status="succeeded", at=AT)
    # And after: the refund recorded explains it.
    assert order.record_refunded_total("ch_1", 1000, currency="EUR", at=AT) is False
    assert order.refunded == 1000 and list(order.refunds) == ["re_1"]


def test_a_charge_refunded_total_beyond_our_refunds_is_a_refund_made_elsewhere_recorded_once():
    order = paid()
    order.refund_for_case("v1", case_id="ret_1", amount=1000, reason="requested_by_customer", at=AT)
    order.record_case_refund("ret_1", attempt=0, refund_id="re_1", status="succeeded", at=AT)
    assert order.record_refunded_total("ch_1", 1500, currency="EUR", at=AT) is True  # 5.00 on the dashboard
    assert order.record_refunded_total("ch_1", 1500, currency="EUR", at=AT) is False  # the same event again
    assert order.refunded == 1500 and order.refunds["ch_1-1500"].amount == 500


# --- money moved back and forth with the vendor: write-offs, top-ups, which transfer to reverse -----


def paid_out_then_refunded(amount: int = 1000) -> tuple[Order, list]:
    """v1 paid 26.10 (tr_1), then a case refund of `amount` succeeds: the reversal due is returned."""
    order = paid()
    order.release_payout("v1", at=AT)
    order.record_transfer("v1", transfer_id="tr_1", amount=2610, charge_id="ch_1", at=AT)
    order.refund_for_case("v1", case_id="ret_a", amount=amount, reason="damaged", at=AT)
    effects = order.record_case_refund("ret_a", attempt=0, refund_id="re_1", status="succeeded", at=AT)
    order.outbox = list(effects)
    return order, effects


def ledger_sum(order: Order, booked: list) -> int:
    """v1's ledger for the order: its sale less commission (booked at payment), then what `booked` keeps
    of the entries since (the ones not collected yet are collected now)."""
    booked += order.ledger_entries
    order.ledger_entries = []
    return 2610 + sum(e.amount for e in booked if e.vendor_id == "v1")


def test_a_written_off_reversal_whose_refund_fails_later_pays_the_vendor_nothing_back():
    order, (reversal,) = paid_out_then_refunded()
    booked: list = []
    order.done(reversal)
    order.reversal_refused("v1", failure_code="balance_insufficient", at=AT)
    assert order.resolve_reversal("v1", note="Not worth chasing", by="adm_1", at=AT, borne_by="platform") == 900

    effects = order.reconcile_refund("re_1", status="failed", failure_code="expired_or_canceled_card", at=AT)

    # The vendor was never asked to give the 9.00 back: it keeps its whole payout, and gets nothing more.
    assert not [e for e in effects if isinstance(e, TransferPayout)]
    assert order.owed_to_vendor("v1") == 0 and order.vendor_orders["v1"].written_off == 0
    assert ledger_sum(order, booked) == 0  # entitled to 26.10, holds 26.10
    # The write-off is spent: a later refund takes back its own share from the vendor again.
    order.refund_for_case("v1", case_id="ret_b", amount=1000, reason="damaged", at=AT)
    (again,) = order.record_case_refund("ret_b", attempt=0, refund_id="re_2", status="succeeded", at=AT)
    assert (again.transfer_id, again.amount) == ("tr_1", 900)


def test_a_reversal_the_vendor_paid_back_outside_is_given_back_by_a_top_up_when_its_refund_fails():
    order, (reversal,) = paid_out_then_refunded()
    booked: list = []
    order.done(reversal)
    order.reversal_refused("v1", failure_code="balance_insufficient", at=AT)
    order.resolve_reversal("v1", note="Deducted from its invoice", by="adm_1", at=AT, borne_by="vendor")

    effects = order.reconcile_refund("re_1", status="failed", failure_code="expired_or_canceled_card", at=AT)

    (top_up,) = [e for e in effects if isinstance(e, TransferPayout)]
    assert (top_up.vendor_id, top_up.amount, top_up.top_up) == ("v1", 900, 1)  # what it really paid back, once
    order.record_transfer("v1", transfer_id="tr_2", amount=900, charge_id="ch_1", at=AT, top_up=1)
    assert order.owed_to_vendor("v1") == 0 and ledger_sum(order, booked) == 0


def test_a_reversal_after_a_top_up_is_taken_from_a_transfer_that_still_has_that_much():
    order, (reversal,) = paid_out_then_refunded(amount=2000)
    assert (reversal.transfer_id, reversal.amount) == ("tr_1", 1800)
    order.record_reversal("v1", reversal_id="trr_1", amount=1800, at=AT, transfer_id="tr_1")  # 8.10 left of tr_1
    order.outbox = order.reconcile_refund("re_1", status="failed", at=AT)
    (top_up,) = [e for e in order.outbox if isinstance(e, TransferPayout)]
    order.record_transfer("v1", transfer_id="tr_2", amount=top_up.amount, charge_id="ch_1", at=AT, top_up=1)
    assert order.vendor_orders["v1"].transfer_left == {"tr_1": 810, "tr_2": 1800}

    order.refund_for_case("v1", case_id="ret_b", amount=2000, reason="damaged", at=AT)
    (again,) = order.record_case_refund("ret_b", attempt=0, refund_id="re_2", status="succeeded", at=AT)
    assert (again.transfer_id, again.amount) == ("tr_2", 1800)  # tr_1 has only 8.10 left


def test_a_reversal_no_one_transfer_covers_is_split_never_asking_a_transfer_for_more_than_it_has():
    order, (reversal,) = paid_out_then_refunded(amount=2000)
    order.record_reversal("v1", reversal_id="trr_1", amount=1800, at=AT, transfer_id="tr_1")
    order.outbox = order.reconcile_refund("re_1", status="failed", at=AT)
    order.record_transfer("v1", transfer_id="tr_2", amount=1800, charge_id="ch_1", at=AT, top_up=1)

    order.refund_for_case("v1", case_id="ret_b", amount=2900, reason="not_received", at=AT)  # all of it
    effects = order.record_case_refund("ret_b", attempt=0, refund_id="re_2", status="succeeded", at=AT)

    assert sorted((e.transfer_id, e.amount) for e in effects) == [("tr_1", 810), ("tr_2", 1800)]
    assert len({e.key for e in effects}) == 2
    order.outbox = list(effects)
    for number, effect in enumerate(effects, 1):
        assert order.record_reversal("v1", reversal_id=f"trr_{number + 1}", amount=effect.amount, at=AT,
                                     transfer_id=effect.transfer_id) == []
    assert order.vendor_orders["v1"].transfer_left == {"tr_1": 0, "tr_2": 0}
    assert order.vendor_orders["v1"].transferred == 0 and order.outbox == []


def refused_top_up() -> tuple[Order, TransferPayout]:
    order, (reversal,) = paid_out_then_refunded()
    order.done(reversal)
    order.record_reversal("v1", reversal_id="trr_1", amount=900, at=AT, transfer_id="tr_1")
    (top_up,) = [e for e in order.reconcile_refund("re_1", status="failed", at=AT) if isinstance(e, TransferPayout)]
    assert order.top_up_refused("v1", failure_code="balance_insufficient", at=AT) == []
    return order, top_up


def test_a_refused_top_up_stays_visible_and_its_retry_has_a_key_of_its_own():
    order, first = refused_top_up()
    vendor_order = order.vendor_orders["v1"]
    assert vendor_order.top_up_failed["amount"] == 900 and vendor_order.top_up_failed["attempts"] == 1
    vendor_order.case_refunds["ret_a"]["status"] = "resolved"  # its failed refund settled: only the top-up is left
    assert vendor_order.refund_attention_since == AT  # on the admin's queue
    assert vendor_order.payout_due_at is None  # the same key would only replay the refusal

    (retry,) = order.retry_top_up("v1")
    assert retry.amount == 900 and retry.top_up == 1 and retry.key != first.key
    order.record_transfer("v1", transfer_id="tr_2", amount=900, charge_id="ch_1", at=AT, top_up=1)
    assert vendor_order.top_up_failed is None  # (its failed refund stays on the queue, for its own sake)
    with pytest.raises(Conflict) as caught:
        order.retry_top_up("v1")
    assert "vendor_id" in caught.value.fields


def test_a_refused_top_up_paid_outside_the_platform_is_never_asked_of_the_provider_again():
    order, _ = refused_top_up()
    booked: list = []
    before = ledger_sum(order, booked)
    assert order.resolve_top_up("v1", note="Paid by bank transfer", by="adm_1", at=AT) == 900
    assert ledger_sum(order, booked) == before - 900  # an adjustment: it was paid, outside
    assert order.vendor_orders["v1"].top_up_failed is None and order.owed_to_vendor("v1") == 0
    assert order.top_ups_due() == []


def test_the_next_top_up_after_a_refused_one_paid_outside_never_reuses_its_key_and_a_retry_of_it_keeps_its_own():
    order, refused = refused_top_up()
    order.resolve_top_up("v1", note="Paid by bank transfer", by="adm_1", at=AT)
    # Another 10.00 refund goes through (9.00 taken back from tr_1), then fails: 9.00 owed again.
    order.refund_for_case("v1", case_id="ret_b", amount=1000, reason="damaged", at=AT)
    (reversal,) = order.record_case_refund("ret_b", attempt=0, refund_id="re_2", status="succeeded", at=AT)
    order.record_reversal("v1", reversal_id="trr_2", amount=900, at=AT, transfer_id="tr_1", key=reversal.key)

    (top_up,) = [e for e in order.reconcile_refund("re_2", status="failed", at=AT) if isinstance(e, TransferPayout)]

    assert (top_up.amount, top_up.top_up) == (refused.amount, refused.top_up)  # same rank, same amount...
    assert top_up.key != refused.key  # ...yet a key of its own: the provider would replay the refusal
    order.outbox = [top_up]
    assert order.release_payout("v1", at=AT, requeue=True) == []  # under way: not asked twice
    order.outbox = []
    (again,) = order.release_payout("v1", at=AT, requeue=True)  # the provider was away: the same attempt
    assert again.key == top_up.key


def test_a_top_up_retry_the_provider_was_away_for_after_its_refund_went_through_leaves_the_reversal_due():
    # Found by the whole-flow property test: the refused top-up's retry is under way when another refund goes
    # through (owed nothing now, 9.00 too much held: the reversal waits for the top-up's answer), and the
    # provider is away for the top-up. Nothing may be left that nobody retries.
    order, _ = refused_top_up()
    order.outbox = order.retry_top_up("v1")
    order.refund_for_case("v1", case_id="ret_b", amount=2000, reason="damaged", at=AT)
    assert order.record_case_refund("ret_b", attempt=0, refund_id="re_2", status="succeeded",
                                    at=AT) == []  # one move at a time: the top-up under way first
    assert order.vendor_orders["v1"].top_up_failed is None  # off the attention queue: owed nothing now

    order.outbox = []  # the provider was away: the runner leaves the transfer to the retry schedule
    assert order.vendor_orders["v1"].payout_due_at is not None  # which finds it due
    (reversal,) = order.release_payout("v1", at=AT, requeue=True)
    assert (reversal.transfer_id, reversal.amount) == ("tr_1", 900)


def test_a_reversal_refused_then_due_no_more_then_due_again_never_reuses_the_refused_key():
    order, (refused,) = paid_out_then_refunded()
    order.outbox = [refused]
    order.reversal_refused("v1", failure_code="balance_insufficient", at=AT, transfer_id="tr_1", amount=900)
    order.reconcile_refund("re_1", status="failed", at=AT)  # its refund failed: nothing is due back
    assert order.vendor_orders["v1"].reversal_failed is None
    (retried_refund,) = order.retry_case_refund("ret_a", at=AT)

    (again,) = order.record_case_refund("ret_a", attempt=retried_refund.attempt, refund_id="re_2",
                                        status="succeeded", at=AT)  # and now it went through: 9.00 due again

    assert (again.transfer_id, again.amount, again.net_after) == (refused.transfer_id, refused.amount,
                                                                  refused.net_after)
    assert again.key != refused.key  # the provider would replay the refusal under the old key


def test_a_top_up_paid_outside_whose_refund_then_goes_through_is_taken_back_as_far_as_a_transfer_has_it_and_the_rest_shown():
    # Found by the whole-flow property test: v1 was paid 26.10 (tr_1), a 20.00 refund took back 18.00, the
    # refund failed, the top-up giving it back was refused and an admin paid those 18.00 by bank transfer;
    # then the retried refund went through after all. The vendor holds 18.00 too much, and tr_1 has only
    # 8.10 left: that much is reversed, the other 9.90 cannot be from any transfer and waits for an admin.
    order, (reversal,) = paid_out_then_refunded(amount=2000)
    booked: list = []
    order.done(reversal)
    order.record_reversal("v1", reversal_id="trr_1", amount=1800, at=AT, transfer_id="tr_1")  # 8.10 left of tr_1
    order.reconcile_refund("re_1", status="failed", at=AT)
    order.top_up_refused("v1", failure_code="balance_insufficient", at=AT)
    assert order.resolve_top_up("v1", note="Paid by bank transfer", by="adm_1", at=AT) == 1800
    order.retry_case_refund("ret_a", at=AT)

    effects = order.record_case_refund("ret_a", attempt=1, refund_id="re_2", status="succeeded", at=AT)

    assert [(e.transfer_id, e.amount) for e in effects] == [("tr_1", 810)]  # never more than tr_1 has left
    order.outbox = list(effects)
    vendor_order = order.vendor_orders["v1"]
    assert vendor_order.reversal_failed["amount"] == 990  # on the admin's queue with what is due
    assert vendor_order.reversal_failed["failure_code"] == "nothing_left_to_reverse"
    assert vendor_order.refund_attention_since == AT
    assert order.record_reversal("v1", reversal_id="trr_2", amount=810, at=AT, transfer_id="tr_1") == []
    assert order.retry_reversal("v1") == [] and vendor_order.reversal_failed["amount"] == 990  # nothing to retry from
    (listed,) = refund_admin.attention_items(order, "v1")  # admins are offered only what can move it
    assert (listed["kind"], listed["amount"]["amount"], listed["actions"]) == ("reversal", 990, ["resolve"])

    assert order.resolve_reversal("v1", note="Deducted from its invoice", by="adm_1", at=AT, borne_by="vendor") == 990
    assert vendor_order.reversal_failed is None and order.reversals_due() == []
    assert ledger_sum(order, booked) == 0 and order.owed_to_vendor("v1") == 0


def test_a_refused_reversal_settled_outside_while_its_retry_is_under_way_settles_only_what_the_retry_leaves():
    # Found by the whole-flow property test: an admin retried a refused reversal, then recorded it paid back
    # by the vendor before the runner made the retry; the vendor paid it back twice.
    order, (reversal,) = paid_out_then_refunded()
    booked: list = []
    order.done(reversal)
    order.reversal_refused("v1", failure_code="balance_insufficient", at=AT)
    order.outbox = order.retry_reversal("v1")
    (retry,) = order.outbox

    assert order.resolve_reversal("v1", note="Deducted from its invoice", by="adm_1", at=AT, borne_by="vendor") == 0

    assert order.record_reversal("v1", reversal_id="trr_1", amount=retry.amount, at=AT, transfer_id="tr_1") == []
    assert ledger_sum(order, booked) == 0 and order.owed_to_vendor("v1") == 0


def test_a_reversal_after_a_top_up_paid_outside_has_a_key_of_its_own():
    # Found by the whole-flow property test: 9.00 reversed (26.10 -> 17.10), the refund failed, the top-up
    # was refused and paid by bank transfer, then the retried refund went through: the new reversal also
    # leaves 17.10 on the provider's side, and under the first one's key the provider would replay it.
    order, (first,) = paid_out_then_refunded()
    order.done(first)
    order.record_reversal("v1", reversal_id="trr_1", amount=900, at=AT, transfer_id="tr_1")
    order.reconcile_refund("re_1", status="failed", at=AT)
    order.top_up_refused("v1", failure_code="balance_insufficient", at=AT)
    order.resolve_top_up("v1", note="Paid by bank transfer", by="adm_1", at=AT)
    order.retry_case_refund("ret_a", at=AT)

    (again,) = order.record_case_refund("ret_a", attempt=1, refund_id="re_2", status="succeeded", at=AT)

    assert (again.transfer_id, again.amount) == ("tr_1", 900) and again.key != first.key


def test_a_top_up_refused_after_a_lost_dispute_asks_the_reversal_that_waited_for_it():
    # Found by the whole-flow property test: while a top-up was under way the charge was disputed and lost
    # (the vendor is owed nothing now, and holds 17.10); the reversal waited for the top-up's answer, and
    # when it was refused nothing asked it.
    order, (reversal,) = paid_out_then_refunded()
    order.done(reversal)
    order.record_reversal("v1", reversal_id="trr_1", amount=900, at=AT, transfer_id="tr_1")
    order.outbox = [e for e in order.reconcile_refund("re_1", status="failed", at=AT) if isinstance(e, TransferPayout)]
    order.record_dispute(Dispute("dp_1", 3600, "EUR", "lost", "fraudulent", "ch_1", 1), stage="closed", at=AT)
    assert [e for e in order.reversals_due(at=AT) if e.vendor_id == "v1"] == []  # one move at a time

    effects = order.top_up_refused("v1", failure_code="balance_insufficient", at=AT)

    assert [(e.transfer_id, e.amount) for e in effects] == [("tr_1", 1710)]
    assert order.vendor_orders["v1"].top_up_failed is None


def test_a_top_up_left_due_while_the_provider_was_away_and_owed_no_more_is_released_as_the_reversal_due():
    # Found by the whole-flow property test: as above, but the top-up's transfer met the provider away (left
    # due for the retry schedule); when the schedule releases it the vendor is owed nothing and holds 17.10.
    order, (reversal,) = paid_out_then_refunded()
    order.done(reversal)
    order.record_reversal("v1", reversal_id="trr_1", amount=900, at=AT, transfer_id="tr_1")
    (top_up,) = [e for e in order.reconcile_refund("re_1", status="failed", at=AT) if isinstance(e, TransferPayout)]
    order.outbox = [top_up]
    order.record_dispute(Dispute("dp_1", 3600, "EUR", "lost", "fraudulent", "ch_1", 1), stage="closed", at=AT)
    order.done(top_up)  # the provider was away: the payout stays due

    effects = order.release_payout("v1", at=AT)

    assert [(e.transfer_id, e.amount) for e in effects] == [("tr_1", 1710)]


def test_two_reversals_of_the_same_amount_from_the_same_transfer_are_each_made():
    # Found by the whole-flow property test: two 5.00 refunds after the payout make two reversals of 4.50
    # from tr_1; recording the second one made marked the first one made too, and it was never asked.
    order, (first,) = paid_out_then_refunded(amount=500)
    order.refund_for_case("v1", case_id="ret_b", amount=500, reason="damaged", at=AT)
    order.outbox = [first, *order.record_case_refund("ret_b", attempt=0, refund_id="re_2", status="succeeded", at=AT)]
    second = order.outbox[1]
    assert (second.transfer_id, second.amount) == (first.transfer_id, first.amount) and second.key != first.key

    order.record_reversal("v1", reversal_id="trr_2", amount=second.amount, at=AT, transfer_id="tr_1", key=second.key)

    assert order.outbox == [first]  # still to be made


# --- a failed refund settled outside the platform at the vendor's cost: collected like a refund -----


def failed_case(order: Order, amount: int = 1000, case_id: str = "ret_a") -> None:
    order.refund_for_case("v1", case_id=case_id, amount=amount, reason="damaged", at=AT)
    order.case_refund_failed(case_id, failure_code="card_closed", at=AT)
    order.ledger_entries = []


def test_a_refund_borne_by_a_vendor_not_paid_yet_makes_its_payout_smaller_and_is_booked_with_the_change():
    order = paid()
    failed_case(order)

    effects = order.resolve_case_refund("ret_a", note="Bank transfer to the shopper", by="adm_1", at=AT,
                                        borne_by="vendor")

    assert effects == []  # nothing was transferred: nothing to take back
    booked, order.ledger_entries = order.ledger_entries, []
    assert sorted((e.vendor_id, e.kind, e.amount) for e in booked) == [("v1", "commission", 100),
                                                                        ("v1", "refund", -1000)]
    assert order.payout_now("v1")[0] == 2610 - 900  # the payout still due shrinks by what it bears
    assert order.payout_now("v2")[0] == 630  # the other vendor bears nothing
    assert order.case_refund("ret_a")["resolution"]["vendor_charged"] == 900
    (transfer,) = order.release_payout("v1", at=AT)
    assert transfer.amount == 1710
    order.record_transfer("v1", transfer_id="tr_1", amount=1710, charge_id="ch_1", at=AT)
    assert ledger_sum(order, booked) == 0  # paid exactly what it is owed


def test_a_refund_borne_by_a_vendor_paid_already_is_reversed_from_its_transfer_and_its_ledger_sums_to_zero():
    order = paid()
    order.release_payout("v1", at=AT)
    order.record_transfer("v1", transfer_id="tr_1", amount=2610, charge_id="ch_1", at=AT)
    paid_out, order.ledger_entries = order.ledger_entries, []
    failed_case(order)
    booked: list = []

    (reversal,) = order.resolve_case_refund("ret_a", note="Voucher", by="adm_1", at=AT, borne_by="vendor")
    again = order.resolve_case_refund("ret_a", note="twice", by="adm_1", at=AT, borne_by="vendor")

    assert again is None
    assert (reversal.vendor_id, reversal.transfer_id, reversal.amount) == ("v1", "tr_1", 900)
    booked += order.ledger_entries
    order.ledger_entries = []
    assert sorted((e.kind, e.amount) for e in booked) == [("commission", 100), ("refund", -1000)]
    assert booked[0].details["case_id"] == "ret_a" and booked[0].provider_object_id is None
    order.outbox = [reversal]
    assert order.record_reversal("v1", reversal_id="trr_1", amount=900, at=AT, transfer_id="tr_1",
                                 key=reversal.key) == []
    assert ledger_sum(order, paid_out + booked) == 0  # the reversal booked: it holds exactly what it is owed
    assert order.vendor_orders["v1"].transferred == ledger.entitlement(order.money(), "v1") == 1710


def test_a_refund_borne_by_the_vendor_whose_reversal_is_refused_is_on_the_admins_queue():
    order = paid()
    order.release_payout("v1", at=AT)
    order.record_transfer("v1", transfer_id="tr_1", amount=2610, charge_id="ch_1", at=AT)
    failed_case(order)
    (reversal,) = order.resolve_case_refund("ret_a", note="Voucher", by="adm_1", at=AT, borne_by="vendor")
    order.outbox = [reversal]

    assert order.reversal_refused("v1", failure_code="balance_insufficient", at=AT, transfer_id="tr_1",
                                  amount=900) == []

    (item,) = refund_admin.attention_items(order, "v1")
    assert (item["kind"], item["amount"]["amount"], item["actions"]) == ("reversal", 900, ["retry", "resolve"])
    (retried,) = order.retry_reversal("v1")
    assert retried.amount == 900 and retried.key != reversal.key


def test_a_refund_borne_by_the_vendor_never_takes_more_than_is_left_of_its_share():
    order = paid()
    failed_case(order, amount=2000)
    order.refund_for_case("v1", case_id="ret_b", amount=2900, reason="damaged", at=AT)  # all of its share
    order.record_case_refund("ret_b", attempt=0, refund_id="re_2", status="succeeded", at=AT)
    order.ledger_entries = []

    assert order.resolve_case_refund("ret_a", note="Voucher", by="adm_1", at=AT, borne_by="vendor") == []

    assert entries(order) == []  # it bears nothing more: its whole share is refunded already
    assert order.payout_now("v2")[0] == 630  # and nothing of it spills onto the other vendor


def top_up_under_way() -> tuple[Order, TransferPayout]:
    """v1 paid (tr_1), 9.00 taken back for a refund that then failed: a top-up of 9.00 is in the outbox."""
    order, (reversal,) = paid_out_then_refunded()
    order.done(reversal)
    order.record_reversal("v1", reversal_id="trr_1", amount=900, at=AT, transfer_id="tr_1")
    order.outbox = list(order.reconcile_refund("re_1", status="failed", at=AT))
    (top_up,) = [e for e in order.outbox if isinstance(e, TransferPayout)]
    return order, top_up


def test_a_top_up_waiting_when_the_payout_is_released_again_stays_due_if_the_provider_is_away():
    """Releasing the payout again (the retry schedule, a receipt) while a top-up waits in the outbox asks
    nothing new, but must not take the vendor off the due queue: when the provider is then away, the
    runner drops the top-up and only the retry schedule brings it back, under the same key."""
    order, top_up = top_up_under_way()

    assert order.release_payout("v1", at=AT) == []  # the top-up under way is the one move
    order.done(top_up)  # the provider was away: left to the retry schedule

    assert order.vendor_orders["v1"].payout_due_at is not None
    (again,) = order.release_payout("v1", at="2026-11-27T04:00:00Z", requeue=True)
    assert (again.key, again.amount) == (top_up.key, 900)  # the same transfer: never paid twice


def test_a_top_up_owed_no_more_when_the_provider_was_away_turns_into_the_reversal_due():
    """Found by the after-sales property test: while the top-up waited, another refund of the vendor's
    share went through (18.00: it now holds 17.10 of an entitlement of 8.10); the provider is away for the top-up;
    the retry schedule's release asks the reversal instead (nothing may be left holding too much unseen)."""
    order, top_up = top_up_under_way()
    order.release_payout("v1", at=AT)
    order.refund_for_case("v1", case_id="ret_b", amount=2000, reason="damaged", at=AT)  # 18.00 of its share
    order.outbox += order.record_case_refund("ret_b", attempt=0, refund_id="re_2", status="succeeded", at=AT)
    order.done(top_up)  # the provider was away

    assert order.vendor_orders["v1"].payout_due_at is not None
    effects = order.release_payout("v1", at="2026-11-27T04:00:00Z", requeue=True)
    assert [(type(e).__name__, e.amount) for e in effects if e.vendor_id == "v1"] == [("ReverseTransfer", 900)]


def test_refusing_one_of_two_like_reversals_leaves_the_other_under_way():
    """Found by the after-sales property test: two refunds of 9.00 each make two reversals of 9.00 from the
    same transfer. The provider refuses the second: only that one leaves the outbox (named by its key, as a
    made one is); the first is still carried out, and admins see the 9.00 still due, not 18.00."""
    order, (first,) = paid_out_then_refunded()
    order.refund_for_case("v1", case_id="ret_b", amount=1000, reason="damaged", at=AT)
    (second,) = order.record_case_refund("ret_b", attempt=0, refund_id="re_2", status="succeeded", at=AT)
    order.outbox = [first, second]
    assert (first.transfer_id, first.amount) == (second.transfer_id, second.amount) and first.key != second.key

    assert order.reversal_refused("v1", failure_code="balance_insufficient", at=AT, transfer_id=second.transfer_id,
                                  amount=second.amount, key=second.key) == []
    order.done(second)  # what the runner does with every effect it carried out

    assert order.outbox == [first]
    assert order.vendor_orders["v1"].reversal_failed["amount"] == 900
