"""The order aggregate's rules: each transition once, in any order, returning what must be done."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import Conflict
from chalicelib.domain.fulfilment import Shipment
from chalicelib.domain.order_effects import (
    CancelAtProvider,
    ClearCartLines,
    ForgetPendingOrder,
    Publish,
    RefundPayment,
    ReleaseStock,
    ReserveStock,
    SellStock,
    effect_from_json,
)
from chalicelib.domain.orders import (
    CancelReason,
    Dispute,
    Order,
    OrderLine,
    OrderStatus,
    PaymentOutcome,
    PaymentStatus,
    Refund,
    VendorOrder,
    VendorOrderState,
    order_number_for,
)

AT = "2026-11-27T03:00:00Z"


def placed(**kwargs) -> Order:
    lines = [OrderLine("o1", "p1", "v1", "Alpine", "Tent", "new", 2, 1000, 300),
             OrderLine("o2", "p2", "v2", "Bytes", "Headphones", "used", 1, 500, 200)]
    vendors = [VendorOrder("v1", "Alpine", "EUR", 2000, 300, 0, 2300, 200, 2100),
               VendorOrder("v2", "Bytes", "EUR", 500, 200, 0, 700, 50, 650)]
    order, effects = Order.place(order_id="ord_1", shopper_id="s1", created_at="2026-11-27T02:50:00Z",
                                 reserved_until="2026-11-27T03:20:00Z", currency="EUR", country="DE", quote={},
                                 lines=lines, total=3000, vendor_orders=vendors, **kwargs)
    assert isinstance(effects[0], ReserveStock) and effects[0].lines == (("o1", 2, 1000, 300), ("o2", 1, 500, 200))
    assert isinstance(effects[1], Publish) and effects[1].event == "order.placed"
    order.attach_payment("pi_1", "pi_1_secret")
    return order


def kinds(effects) -> list[str]:
    return [type(e).__name__ for e in effects]


def test_a_success_sells_the_stock_clears_the_cart_and_publishes_once():
    order = placed()
    effects = order.apply_payment(PaymentOutcome.SUCCEEDED, at=AT, charge_id="ch_1")
    assert kinds(effects) == ["SellStock", "ClearCartLines", "Publish"]
    assert effects[0] == SellStock("ord_1", (("o1", 2), ("o2", 1)))
    assert effects[1] == ClearCartLines("ord_1", "s1", (("o1", 2), ("o2", 1)))
    assert effects[2].event == "order.paid" and effects[2].data["charge_id"] == "ch_1"
    assert order.status is OrderStatus.PAID and order.payment_status is PaymentStatus.PAID
    assert {v.state for v in order.vendor_orders.values()} == {VendorOrderState.PLACED}
    assert order.apply_payment(PaymentOutcome.SUCCEEDED, at=AT) == []
    assert order.apply_payment(PaymentOutcome.DECLINED, at=AT, attempt_id="ch_0") == []  # stale


def test_a_declined_attempt_keeps_the_order_and_its_stock_and_is_recorded_once():
    order = placed()
    effects = order.apply_payment(PaymentOutcome.DECLINED, at=AT, attempt_id="ch_1", reason="insufficient_funds")
    assert kinds(effects) == ["Publish"] and effects[0].event == "payment.failed"
    assert order.status is OrderStatus.PENDING_PAYMENT and order.holds_stock
    assert order.payment_status is PaymentStatus.AWAITING_PAYMENT
    assert order.last_attempt.reason == "insufficient_funds"
    assert order.apply_payment(PaymentOutcome.DECLINED, at=AT, attempt_id="ch_1") == []
    assert len(order.attempts) == 1
    # ...and the retry on the same order pays it
    assert kinds(order.apply_payment(PaymentOutcome.SUCCEEDED, at=AT))[0] == "SellStock"


def test_requires_action_and_processing_are_recorded_and_a_processing_payment_never_expires():
    order = placed()
    assert order.apply_payment(PaymentOutcome.REQUIRES_ACTION, at=AT) == []
    assert order.payment_status is PaymentStatus.REQUIRES_ACTION
    order.apply_payment(PaymentOutcome.PROCESSING, at=AT)
    assert order.payment_status is PaymentStatus.PROCESSING
    assert not order.can_expire("2099-01-01T00:00:00Z")
    order.apply_payment(PaymentOutcome.DECLINED, at=AT, attempt_id="ch_9", reason="card_declined")
    assert order.can_expire("2099-01-01T00:00:00Z") and not order.can_expire("2026-11-27T03:00:00Z")


def test_cancelling_releases_once_and_a_late_success_is_refunded_once():
    order = placed()
    effects = order.cancel(CancelReason.RESERVATION_EXPIRED, at=AT)
    assert effects[0] == ReleaseStock("ord_1", (("o1", 2), ("o2", 1)))
    assert CancelAtProvider("ord_1", "pi_1") in effects
    assert effects[-1].data["reason"] == "reservation_expired"
    assert order.cancel(CancelReason.RESERVATION_EXPIRED, at=AT) == []
    assert order.apply_payment(PaymentOutcome.SUCCEEDED, at=AT) == [
        RefundPayment("ord_1", "pi_1", None, "paid_after_reservation_ended")]
    assert order.status is OrderStatus.REFUNDED
    assert order.apply_payment(PaymentOutcome.SUCCEEDED, at=AT) == []


@pytest.mark.parametrize("reason", [CancelReason.SHOPPER, CancelReason.RESERVATION_EXPIRED,
                                    CancelReason.PAYMENT_CANCELED, CancelReason.PAYMENT_NOT_STARTED])
def test_an_ended_unpaid_order_asks_its_cart_to_forget_it(reason):
    assert ForgetPendingOrder("ord_1", "s1") in placed().cancel(reason, at=AT)


def test_a_replaced_order_leaves_the_cart_to_the_checkout_that_replaces_it():
    assert not any(isinstance(e, ForgetPendingOrder) for e in placed().cancel(CancelReason.REPLACED, at=AT))


def test_the_shopper_cannot_cancel_a_paid_order_and_the_error_names_the_status():
    order = placed()
    order.apply_payment(PaymentOutcome.SUCCEEDED, at=AT)
    with pytest.raises(Conflict) as err:
        order.cancel(CancelReason.SHOPPER, at=AT)
    assert err.value.fields == {"status": "paid"}


def test_internal_entries_are_never_in_the_shoppers_timeline():
    order = placed()
    order.apply_payment(PaymentOutcome.SUCCEEDED, at=AT)
    assert [e.label for e in order.shopper_timeline()] == ["Order placed", "Payment received"]
    assert {"Stock reserved", "Stock sold"} <= {e.label for e in order.timeline}


def test_refunds_and_deliveries_are_recorded_once():
    order = placed()
    order.apply_payment(PaymentOutcome.SUCCEEDED, at=AT)
    assert order.record_refund(Refund("re_1", 700, "EUR", AT)) is True
    assert order.record_refund(Refund("re_1", 700, "EUR", AT)) is False
    assert order.refunded == 700
    order.accept("v2", at=AT)
    order.ship("v2", Shipment("DHL", "JD1", "https://dhl.example/JD1"), at=AT)
    assert order.confirm_receipt("v2", at=AT) is not None and order.confirm_receipt("v2", at=AT) is None
    assert order.vendor_orders["v2"].state is VendorOrderState.DELIVERED


def test_order_numbers_are_readable_stable_and_another_salt_gives_another_one():
    number = order_number_for("ord_1", "2026-11-27T02:50:00Z")
    assert number.startswith("H-2611-") and len(number.split("-")[2]) == 6
    assert number == order_number_for("ord_1", "2026-11-27T02:50:00Z")
    assert number != order_number_for("ord_1", "2026-11-27T02:50:00Z", salt=1)


def test_effects_survive_the_outbox_round_trip():
    for effect in (SellStock("o", (("a", 1),)), RefundPayment("o", "pi", None, "x"),
                   Publish("order.paid", {"order_id": "o"}, "o"), ClearCartLines("o", "s", (("a", 2),)),
                   ForgetPendingOrder("o", "s")):
        assert effect_from_json(effect.to_json()) == effect


# --- vendor payouts and their reversals (through chalicelib/domain/ledger.py) -----------------------


def paid_order() -> Order:
    order = placed()
    order.apply_payment(PaymentOutcome.SUCCEEDED, at=AT, charge_id="ch_1")
    return order


def test_a_paid_order_owes_each_vendor_its_payout_and_nothing_before_payment():
    assert placed().payout_now("v1") == (0, "nothing_to_pay")
    assert paid_order().payout_now("v1") == (2100, None)


def test_a_full_refund_before_delivery_leaves_nothing_to_pay_and_says_why():
    order = paid_order()
    order.record_refund(Refund("re_1", 3000, "EUR", AT))
    assert order.payout_now("v1") == (0, "nothing_to_pay_refunded")
    assert order.reversals_due() == []  # nothing was transferred


def test_an_open_dispute_holds_every_payout_until_it_is_won():
    order = paid_order()
    order.record_dispute(Dispute("dp_1", 3000, "EUR", "needs_response", event_created=1), stage="created", at=AT)
    assert order.payout_now("v1") == (0, "held_dispute_open")
    order.record_dispute(Dispute("dp_1", 3000, "EUR", "won", event_created=2), stage="closed", at=AT)
    assert order.payout_now("v1") == (2100, None)


def test_a_refund_after_a_payout_reverses_it_once_even_if_computed_again():
    order = paid_order()
    order.vendor_orders["v1"].transfer_id, order.vendor_orders["v1"].transferred = "tr_1", 2100
    order.record_refund(Refund("re_1", 3000, "EUR", AT))
    (reversal,) = order.reversals_due()
    assert (reversal.vendor_id, reversal.transfer_id, reversal.amount, reversal.net_after) == ("v1", "tr_1", 2100, 0)
    order.outbox.append(reversal)  # saved, not carried out yet
    assert order.reversals_due() == []


def test_a_lost_dispute_after_a_payout_takes_the_vendors_share_back():
    order = paid_order()
    order.vendor_orders["v2"].transfer_id, order.vendor_orders["v2"].transferred = "tr_2", 650
    order.record_dispute(Dispute("dp_1", 3000, "EUR", "lost", event_created=1), stage="closed", at=AT)
    assert [(e.vendor_id, e.amount) for e in order.reversals_due()] == [("v2", 650)]


def test_releasing_a_payout_asks_for_the_ledgers_amount_with_one_key_and_marks_it_due():
    order = paid_order()
    order.record_refund(Refund("re_1", 300, "EUR", AT, vendor_id="v1"))  # one item of v1's returned

    (transfer,) = order.release_payout("v1", at=AT)

    # Not the 2100 priced at checkout: less the refunded 300 net of its commission share (the ledger).
    assert (transfer.vendor_id, transfer.amount, transfer.key) == ("v1", 1826, "tr-ord_1-v1")
    assert order.vendor_orders["v1"].payout_due_at == AT
    order.record_transfer("v1", transfer_id="tr_1", amount=1826, charge_id="ch_1", at=AT)
    assert order.release_payout("v1", at=AT) == [] and not order.vendor_orders["v1"].payout_due
    assert [(e.kind, e.audience.value) for e in order.timeline if e.kind == "transfer"] == [("transfer", "internal")]


def test_an_unpaid_order_releases_no_payout():
    with pytest.raises(Conflict):
        placed().release_payout("v1", at=AT)


def test_a_transfer_reversal_is_counted_once_per_reversal_id():
    order = paid_order()
    order.release_payout("v2", at=AT)
    order.record_transfer("v2", transfer_id="tr_2", amount=650, charge_id="ch_1", at=AT)
    for _ in range(2):
        order.record_reversal("v2", reversal_id="trr_1", amount=650)
    assert order.vendor_orders["v2"].transferred == 0
