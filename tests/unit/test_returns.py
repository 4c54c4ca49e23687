"""Return requests' rules (chalicelib/domain/returns.py): who may ask for what and until when, each legal
step once, every illegal one a 409 naming the allowed ones, the refund computed by rule and never
more than the shopper paid for the units, and the escalation of a request nobody answered."""

from __future__ import annotations

import pytest

from chalicelib.domain import returns as R
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.fulfilment import Shipment
from chalicelib.domain.orders import Order, OrderLine, PaymentOutcome, VendorOrder
from chalicelib.domain.returns import Actor, ReturnReason, ReturnRules, ReturnState

PAID_AT = "2026-11-27T03:00:00Z"
DELIVERED_AT = "2026-11-29T09:00:00Z"
ASKED_AT = "2026-11-30T10:00:00Z"
DHL = Shipment("DHL", "JD014600003828", "https://www.dhl.com/track?id=JD014600003828")


def delivered_order(*, deliver: tuple[str, ...] = ("v1", "v2")) -> Order:
    """Two vendors: v1 sells 2 tents at 10.00 and a stove at 10.00 (3.00 shipping), v2 one headset at 5.00."""
    lines = [OrderLine("o1", "p1", "v1", "Alpine", "Tent", "new", 2, 1000, 300),
             OrderLine("o3", "p3", "v1", "Alpine", "Stove", "new", 1, 1000, 0),
             OrderLine("o2", "p2", "v2", "Bytes", "Headphones", "used", 1, 500, 200)]
    vendors = [VendorOrder("v1", "Alpine", "EUR", 3000, 300, 0, 3300, 330, 2970),
               VendorOrder("v2", "Bytes", "EUR", 500, 200, 0, 700, 50, 650)]
    order, _ = Order.place(order_id="ord_1", shopper_id="s1", created_at="2026-11-27T02:50:00Z",
                           reserved_until="2026-11-27T03:20:00Z", currency="EUR", country="DE", quote={},
                           lines=lines, total=4000, vendor_orders=vendors)
    order.attach_payment("pi_1", "secret")
    order.apply_payment(PaymentOutcome.SUCCEEDED, at=PAID_AT, charge_id="ch_1")
    for vendor_id in deliver:
        order.accept(vendor_id, at=PAID_AT)
        order.ship(vendor_id, DHL, at=PAID_AT)
        order.mark_delivered(vendor_id, at=DELIVERED_AT)
    return order


def ask(order: Order, lines=(("o1", 1),), reason=ReturnReason.DAMAGED, *, return_id="ret_1", text="",
        at=ASKED_AT, rules: ReturnRules | None = None, shopper_id="s1"):
    return R.request_return(order, return_id=return_id, shopper_id=shopper_id, lines=list(lines), reason=reason,
                            text=text, photos=(), at=at, rules_of=lambda _vendor: rules or ReturnRules())


def events(effects) -> list[str]:
    return [e.event for e in effects if hasattr(e, "event")]


def test_a_request_for_delivered_units_opens_a_return_the_vendor_must_answer_within_three_days():
    order = delivered_order()
    effects = ask(order)
    ret = order.returns["ret_1"]
    assert events(effects) == ["return.requested"]
    assert ret.state is ReturnState.REQUESTED and ret.vendor_id == "v1"
    assert ret.answer_due_at == "2026-12-03T10:00:00Z"
    assert [(x.offer_id, x.quantity, x.title) for x in ret.lines] == [("o1", 1, "Tent")]
    assert ask(order) == [] and len(order.returns) == 1  # the same return id again: a retry


@pytest.mark.parametrize("lines, field", [
    ((("o9", 1),), "lines[0]"),
    ((("o1", 0),), "lines[0].quantity"),
    ((("o1", 1), ("o2", 1)), "lines"),
    ((), "lines"),
], ids=["unknown-line", "zero-units", "two-vendors", "no-line"])
def test_bad_lines_are_refused_naming_the_field(lines, field):
    with pytest.raises(InvalidInput) as refused:
        ask(delivered_order(), lines)
    assert field in refused.value.fields


def test_other_needs_a_text_and_only_the_orders_shopper_may_ask():
    with pytest.raises(InvalidInput) as refused:
        ask(delivered_order(), reason=ReturnReason.OTHER, text="  ")
    assert "text" in refused.value.fields
    with pytest.raises(NotFound):
        ask(delivered_order(), shopper_id="s2")


def test_only_delivered_units_within_the_window_and_never_more_than_delivered():
    undelivered = delivered_order(deliver=("v2",))
    with pytest.raises(Conflict) as refused:
        ask(undelivered)
    assert refused.value.code == "not_delivered"

    late = delivered_order()
    with pytest.raises(Conflict) as refused:
        ask(late, at="2026-12-13T09:00:01Z")  # 14 days and a second after delivery
    assert refused.value.code == "return_window_closed"
    ask(late, at="2026-12-13T09:00:00Z")  # the last second of the window

    order = delivered_order()
    ask(order, (("o1", 1),))
    with pytest.raises(Conflict) as refused:
        ask(order, (("o1", 2),), return_id="ret_2")
    assert refused.value.fields == {"lines[0].quantity": "at most 1"}


def test_a_longer_window_set_by_the_vendor_is_honoured():
    order = delivered_order()
    ask(order, at="2026-12-20T09:00:00Z", rules=ReturnRules(window_days=30))
    assert order.returns["ret_1"].state is ReturnState.REQUESTED


def test_a_rejected_return_frees_its_units_for_another_request():
    order = delivered_order()
    ask(order, (("o1", 2),))
    R.reject(order, "ret_1", actor=Actor.VENDOR, vendor_id="v1", reason="worn", at=ASKED_AT)
    ask(order, (("o1", 2),), return_id="ret_2")
    assert order.returns["ret_2"].number == 2


def test_auto_approval_by_reason_gives_the_label_reference_at_once():
    order = delivered_order()
    effects = ask(order, rules=ReturnRules(auto_approve_reasons=frozenset({ReturnReason.DAMAGED})))
    ret = order.returns["ret_1"]
    assert events(effects) == ["return.requested", "return.approved"]
    assert ret.state is ReturnState.APPROVED and ret.decided_by == "auto"
    assert ret.label_reference == f"RL-{order.order_number}-1"


def test_approval_reject_and_escalation_follow_the_machine():
    order = delivered_order()
    ask(order)
    with pytest.raises(NotFound):  # another vendor learns nothing
        R.approve(order, "ret_1", actor=Actor.VENDOR, vendor_id="v2", at=ASKED_AT)
    assert R.escalate_if_overdue(order, "ret_1", at="2026-12-03T09:59:59Z") == []
    assert events(R.escalate_if_overdue(order, "ret_1", at="2026-12-03T10:00:00Z")) == ["return.escalated"]
    assert R.escalate_if_overdue(order, "ret_1", at="2026-12-04T10:00:00Z") == []  # once
    with pytest.raises(Conflict) as refused:  # the vendor is too late now: the platform decides
        R.approve(order, "ret_1", actor=Actor.VENDOR, vendor_id="v1", at=ASKED_AT)
    assert refused.value.fields == {"state": "escalated", "allowed_actions": "none"}
    R.approve(order, "ret_1", actor=Actor.ADMIN, at=ASKED_AT)
    ret = order.returns["ret_1"]
    assert ret.state is ReturnState.APPROVED and ret.decided_by == "admin"
    assert "did not answer in time" in " ".join(step["label"] for step in ret.timeline)


def test_shipping_back_before_approval_is_a_409_naming_what_is_allowed():
    order = delivered_order()
    ask(order)
    with pytest.raises(Conflict) as refused:
        R.ship_back(order, "ret_1", shopper_id="s1", carrier="DHL", tracking_number="1", at=ASKED_AT)
    assert refused.value.fields == {"state": "requested", "allowed_actions": "none"}
    R.approve(order, "ret_1", actor=Actor.VENDOR, vendor_id="v1", at=ASKED_AT)
    with pytest.raises(InvalidInput) as blank:
        R.ship_back(order, "ret_1", shopper_id="s1", carrier=" ", tracking_number="1", at=ASKED_AT)
    assert "carrier" in blank.value.fields
    assert events(R.ship_back(order, "ret_1", shopper_id="s1", carrier="DHL", tracking_number="1",
                              at=ASKED_AT)) == ["return.shipped_back"]
    assert R.ship_back(order, "ret_1", shopper_id="s1", carrier="DHL", tracking_number="1", at=ASKED_AT) == []
    with pytest.raises(Conflict):
        R.ship_back(order, "ret_1", shopper_id="s1", carrier="UPS", tracking_number="2", at=ASKED_AT)


def test_rules_refuse_a_window_below_the_eu_minimum_and_a_fee_above_half():
    with pytest.raises(InvalidInput) as short:
        ReturnRules(window_days=7)
    with pytest.raises(InvalidInput) as greedy:
        ReturnRules(restocking_percent=60)
    assert "window_days" in short.value.fields and "restocking_percent" in greedy.value.fields
    rules = ReturnRules(30, 10, frozenset({ReturnReason.WRONG_ITEM}), 2500)
    assert ReturnRules.from_json(rules.to_json()) == rules


def test_a_return_round_trips_through_its_stored_shape():
    order = delivered_order()
    ask(order, (("o1", 2), ("o3", 1)), ReturnReason.OTHER, text="smells of smoke")
    ret = order.returns["ret_1"]
    assert R.ReturnRequest.from_json(ret.to_json()) == ret


# --- refunds through the order's refund primitive ---------------------------------------------


def through_to_received(order: Order, lines=(("o1", 1),), reason=ReturnReason.DAMAGED, return_id="ret_1",
                        rules: ReturnRules | None = None) -> None:
    ask(order, lines, reason, return_id=return_id, rules=rules)
    R.approve(order, return_id, actor=Actor.VENDOR, vendor_id="v1", at=ASKED_AT)
    R.ship_back(order, return_id, shopper_id="s1", carrier="DHL", tracking_number=return_id, at=ASKED_AT)


def test_receiving_refunds_what_was_paid_for_the_units_once_with_the_restock_in_the_same_change():
    order = delivered_order()
    through_to_received(order)
    effects = R.receive(order, "ret_1", actor=Actor.VENDOR, vendor_id="v1", restock=True, refund=True,
                        at=ASKED_AT, rules=ReturnRules())
    kinds = [type(e).__name__ for e in effects]
    assert "RefundCase" in kinds and "RestockSold" in kinds
    assert events(effects) == ["return.received", "return.refunded"]
    ret = order.returns["ret_1"]
    assert ret.state is ReturnState.REFUNDED and ret.refund_amount == 1000  # one tent, shipping kept
    assert order.case_refund("ret_1")["amount"] == 1000
    assert R.receive(order, "ret_1", actor=Actor.VENDOR, vendor_id="v1", restock=True, refund=True,
                     at=ASKED_AT, rules=ReturnRules()) == []
    assert R.refund(order, "ret_1", actor=Actor.VENDOR, vendor_id="v1", at=ASKED_AT, rules=ReturnRules()) == []


def test_a_changed_mind_bears_at_most_the_vendors_restocking_fee():
    order = delivered_order()
    rules = ReturnRules(restocking_percent=10)
    through_to_received(order, (("o1", 2),), ReturnReason.CHANGED_MIND, rules=rules)
    R.receive(order, "ret_1", actor=Actor.VENDOR, vendor_id="v1", restock=False, refund=False, at=ASKED_AT,
              rules=rules)
    with pytest.raises(InvalidInput) as greedy:
        R.refund(order, "ret_1", actor=Actor.VENDOR, vendor_id="v1", at=ASKED_AT, rules=rules, restocking_percent=11)
    assert "restocking_percent" in greedy.value.fields
    R.refund(order, "ret_1", actor=Actor.VENDOR, vendor_id="v1", at=ASKED_AT, rules=rules)
    ret = order.returns["ret_1"]
    assert (ret.refund_amount, ret.restocking_fee) == (1800, 200)


def test_no_restocking_fee_when_the_item_was_damaged():
    order = delivered_order()
    rules = ReturnRules(restocking_percent=10)
    through_to_received(order, rules=rules)
    R.receive(order, "ret_1", actor=Actor.VENDOR, vendor_id="v1", restock=False, refund=False, at=ASKED_AT,
              rules=rules)
    with pytest.raises(InvalidInput):
        R.refund(order, "ret_1", actor=Actor.VENDOR, vendor_id="v1", at=ASKED_AT, rules=rules, restocking_percent=5)
    R.refund(order, "ret_1", actor=Actor.VENDOR, vendor_id="v1", at=ASKED_AT, rules=rules)
    assert order.returns["ret_1"].refund_amount == 1000


def test_a_refund_the_provider_refused_shows_as_refund_failed_for_the_admin():
    order = delivered_order()
    through_to_received(order)
    R.receive(order, "ret_1", actor=Actor.VENDOR, vendor_id="v1", restock=False, refund=True, at=ASKED_AT,
              rules=ReturnRules())
    order.case_refund_failed("ret_1", failure_code="charge_disputed", at=ASKED_AT)
    assert R.shown_state(order, order.returns["ret_1"]) is ReturnState.REFUND_FAILED
    R.sync_refund_outcome(order, "ret_1", at=ASKED_AT)
    assert order.returns["ret_1"].state is ReturnState.REFUND_FAILED
    assert R.sync_refund_outcome(order, "ret_1", at=ASKED_AT) == []


def test_auto_approval_below_an_amount_uses_the_computed_refund():
    cheap, dear = delivered_order(), delivered_order()
    rules = ReturnRules(auto_approve_below=1001)
    ask(cheap, (("o1", 1),), rules=rules)
    ask(dear, (("o1", 2),), rules=rules)
    assert cheap.returns["ret_1"].state is ReturnState.APPROVED
    assert dear.returns["ret_1"].state is ReturnState.REQUESTED
