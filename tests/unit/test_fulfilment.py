"""A vendor's sub-order: the legal steps (placed -> accepted -> shipped -> delivered), the 409 that
names what is allowed instead, the shopper's receipt only after shipping, and a cancelled line's
refund and restock."""

from __future__ import annotations

import pytest

from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.fulfilment import Shipment, line_refund
from chalicelib.domain.order_effects import RefundLine, RestockSold
from chalicelib.domain.orders import Order, OrderLine, PaymentOutcome, VendorOrder, VendorOrderState

AT = "2026-11-27T03:00:00Z"
LATER = "2026-11-28T09:00:00Z"
DHL = Shipment("DHL", "JD014600003828", "https://www.dhl.com/track?id=JD014600003828")


def order(paid: bool = True) -> Order:
    lines = [OrderLine("o1", "p1", "v1", "Alpine", "Tent", "new", 2, 1000, 300),
             OrderLine("o3", "p3", "v1", "Alpine", "Stove", "new", 1, 1000, 0),
             OrderLine("o2", "p2", "v2", "Bytes", "Headphones", "used", 1, 500, 200)]
    vendors = [VendorOrder("v1", "Alpine", "EUR", 3000, 300, 300, 3000, 300, 2700),
               VendorOrder("v2", "Bytes", "EUR", 500, 200, 0, 700, 50, 650)]
    placed, _ = Order.place(order_id="ord_1", shopper_id="s1", created_at="2026-11-27T02:50:00Z",
                            reserved_until="2026-11-27T03:20:00Z", currency="EUR", country="DE", quote={},
                            lines=lines, total=3700, vendor_orders=vendors)
    placed.attach_payment("pi_1", "secret")
    if paid:
        placed.apply_payment(PaymentOutcome.SUCCEEDED, at=AT, charge_id="ch_1")
    return placed


def events(effects) -> list[str]:
    return [e.event for e in effects if type(e).__name__ == "Publish"]


def test_a_sub_order_moves_placed_accepted_shipped_delivered_each_step_once():
    o = order()
    assert o.vendor_actions("v1") == ("accept", "cancel_line")

    assert events(o.accept("v1", at=AT)) == ["order.accepted"] and o.accept("v1", at=LATER) == []
    assert o.vendor_actions("v1") == ("ship", "cancel_line")
    assert events(o.ship("v1", DHL, at=AT)) == ["order.shipped"] and o.ship("v1", DHL, at=LATER) == []
    assert events(o.mark_delivered("v1", at=LATER)) == ["order.delivered"] and o.mark_delivered("v1", at=AT) == []

    vendor_order = o.vendor_orders["v1"]
    assert vendor_order.state is VendorOrderState.DELIVERED
    assert (vendor_order.accepted_at, vendor_order.shipped_at, vendor_order.delivered_at) == (AT, AT, LATER)
    assert vendor_order.shipment == DHL.to_json()
    assert o.vendor_orders["v2"].state is VendorOrderState.PLACED  # the other vendor's part did not move


def test_an_illegal_step_is_a_409_naming_the_allowed_actions():
    o = order()
    with pytest.raises(Conflict) as shipped_first:
        o.ship("v1", DHL, at=AT)
    assert shipped_first.value.code == "illegal_transition"
    assert shipped_first.value.fields == {"status": "placed", "allowed_actions": "accept, cancel_line"}

    o.accept("v1", at=AT)
    o.ship("v1", DHL, at=AT)
    with pytest.raises(Conflict) as cancel_after_shipping:
        o.cancel_line("v1", "o1", reason="late", at=AT)
    assert cancel_after_shipping.value.fields["allowed_actions"] == "deliver"
    with pytest.raises(Conflict) as other_tracking:
        o.ship("v1", Shipment("UPS", "1Z999", "https://ups.example/1Z999"), at=LATER)
    assert other_tracking.value.code == "already_shipped"


def test_only_a_paid_orders_sub_order_can_be_accepted():
    unpaid = order(paid=False)
    assert unpaid.vendor_actions("v1") == ()
    with pytest.raises(Conflict) as refused:
        unpaid.accept("v1", at=AT)
    assert refused.value.fields["allowed_actions"] == "none"
    assert unpaid.vendor_orders["v1"].state is VendorOrderState.PENDING_PAYMENT


def test_receipt_cannot_be_confirmed_before_shipping_then_once():
    o = order()
    o.accept("v1", at=AT)
    with pytest.raises(Conflict) as early:
        o.confirm_receipt("v1", at=AT)
    assert early.value.code == "not_shipped"

    o.ship("v1", DHL, at=AT)
    assert o.vendor_orders["v1"].awaiting_receipt_since == AT
    assert events(o.confirm_receipt("v1", at=LATER)) == ["order.delivered"]
    assert o.confirm_receipt("v1", at=LATER) is None
    assert o.vendor_orders["v1"].awaiting_receipt_since is None
    assert o.vendor_orders["v1"].receipt_confirmed_by == "shopper"


def test_receipt_after_the_vendor_marked_it_delivered_publishes_delivered_only_once():
    o = order()
    o.accept("v1", at=AT)
    o.ship("v1", DHL, at=AT)
    o.mark_delivered("v1", at=AT)
    assert o.vendor_orders["v1"].awaiting_receipt_since == AT  # still waiting for the shopper (or auto)
    assert o.confirm_receipt("v1", at=LATER, by="auto") == []
    assert o.vendor_orders["v1"].receipt_confirmed_by == "auto"


def test_the_shopper_sees_shipped_with_tracking_and_delivered_but_not_the_vendors_other_steps():
    o = order()
    o.accept("v1", at=AT)
    o.ship("v1", DHL, at=AT)
    o.confirm_receipt("v1", at=LATER)
    seen = {e.kind: e for e in o.shopper_timeline() if e.kind in ("shipment", "delivery", "fulfilment")}
    assert set(seen) == {"shipment", "delivery"}
    assert seen["shipment"].details["tracking_url"] == DHL.tracking_url


def test_cancelling_a_line_refunds_it_net_of_its_discount_share_and_restocks_it_once():
    o = order()
    effects = o.cancel_line("v1", "o1", reason="damaged in the warehouse", at=AT)

    assert RestockSold("ord_1", "o1", 2) in effects
    refund = next(e for e in effects if isinstance(e, RefundLine))
    assert (refund.vendor_id, refund.amount) == ("v1", 1800)  # 2 x 1000 less 2000/3000 of the 300 discount
    assert refund.key == "refund-ord_1-line-o1"
    assert events(effects) == ["order.line_cancelled"]
    assert o.vendor_orders["v1"].state is VendorOrderState.PLACED  # the stove still ships
    assert o.cancel_line("v1", "o1", reason="again", at=LATER) == []


def test_cancelling_the_last_line_refunds_what_is_left_and_cancels_the_sub_order():
    o = order()
    o.cancel_line("v1", "o1", reason="out of stock", at=AT)
    effects = o.cancel_line("v1", "o3", reason="out of stock", at=AT)

    refund = next(e for e in effects if isinstance(e, RefundLine))
    assert refund.amount == 3000 - 1800  # everything left, shipping included
    assert o.vendor_orders["v1"].state is VendorOrderState.CANCELLED
    assert o.vendor_actions("v1") == ()


def test_unknown_lines_and_vendors_are_not_found():
    o = order()
    with pytest.raises(NotFound):
        o.cancel_line("v1", "o2", reason="not mine", at=AT)  # v2's line
    with pytest.raises(NotFound):
        o.accept("v9", at=AT)


@pytest.mark.parametrize("url", ["http://dhl.example/1", "javascript:alert(1)", "https://", "ftp://x/1",
                                 "https://user:pw@dhl.example/1", "https://[broken/1"])
def test_a_tracking_url_must_be_https(url):
    with pytest.raises(InvalidInput) as refused:
        Shipment("DHL", "JD1", url)
    assert "tracking_url" in refused.value.fields


def test_a_line_refund_never_exceeds_what_is_left_of_the_sub_order():
    assert line_refund(quantity=1, unit_price=5000, line_discount=0, items=5000, unassigned_discount=0, total=5300,
                       already_refunded=5000, last_line=False) == 300
    assert line_refund(quantity=1, unit_price=999, line_discount=0, items=2997, unassigned_discount=100, total=2897,
                       already_refunded=0, last_line=False) == 966


def test_a_promoted_line_refunds_what_the_shopper_paid_for_it():
    lines = [OrderLine("o1", "p1", "v1", "Alpine", "Tent", "new", 2, 1000, 0, promotion_id="promo_1",
                       unit_discount=150),
             OrderLine("o3", "p3", "v1", "Alpine", "Stove", "new", 1, 1000, 0)]
    placed, _ = Order.place(order_id="ord_2", shopper_id="s1", created_at=AT, reserved_until=LATER, currency="EUR",
                            country="DE", quote={}, lines=lines, total=2700,
                            vendor_orders=[VendorOrder("v1", "Alpine", "EUR", 3000, 0, 300, 2700, 270, 2430)])
    placed.attach_payment("pi_2", "secret")
    placed.apply_payment(PaymentOutcome.SUCCEEDED, at=AT, charge_id="ch_2")

    refund = next(e for e in placed.cancel_line("v1", "o1", reason="x", at=AT) if isinstance(e, RefundLine))

    assert refund.amount == 2 * (1000 - 150)  # the stove's price is not touched by the tent's promotion
