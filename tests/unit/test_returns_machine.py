"""Return requests under any sequence of steps by anyone (Hypothesis state machine): every step the
spec does not allow is refused with a 409 and changes nothing, repeating a step taken changes
nothing, no line is ever returned beyond what was delivered, and no line is ever refunded more than
the shopper paid for it (nor any vendor more than its share)."""

from __future__ import annotations

import copy

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from chalicelib.domain import returns as R
from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.returns import Actor, ReturnReason, ReturnRules, ReturnState
from tests.unit.test_returns import ASKED_AT, delivered_order

# The spec's arrows, written out independently of the domain's table: (state, action, actor) -> next.
ALLOWED = {
    ("requested", "approve", "vendor"): "approved", ("requested", "approve", "admin"): "approved",
    ("requested", "reject", "vendor"): "rejected", ("requested", "reject", "admin"): "rejected",
    ("requested", "escalate", "system"): "escalated",
    ("escalated", "approve", "admin"): "approved", ("escalated", "reject", "admin"): "rejected",
    ("approved", "ship_back", "shopper"): "shipped_back",
    ("shipped_back", "receive", "vendor"): "refunded", ("shipped_back", "receive", "admin"): "refunded",
    ("received", "refund", "vendor"): "refunded", ("received", "refund", "admin"): "refunded",
}
# Steps already taken, asked again: nothing changes (a retried request).
REPEATS = {("approved", "approve"), ("rejected", "reject"), ("received", "receive"), ("refunded", "receive"),
           ("refunded", "refund"), ("shipped_back", "ship_back")}
ACTIONS = ("approve", "reject", "escalate", "ship_back", "receive", "refund")
ACTORS = ("shopper", "vendor", "admin", "system")
RULES = ReturnRules(restocking_percent=20)
PAID = {"o1": 2 * 1000, "o3": 1000, "o2": 500}  # what the shopper paid per line (no discounts)
VENDOR_OF = {"o1": "v1", "o3": "v1", "o2": "v2"}
DELIVERED = {"o1": 2, "o3": 1, "o2": 1}


def take(order, return_id: str, action: str, actor: str, receive_refunds: bool):
    who, vendor_id = Actor(actor), order.returns[return_id].vendor_id
    if action == "approve":
        return R.approve(order, return_id, actor=who, at=ASKED_AT, vendor_id=vendor_id)
    if action == "reject":
        return R.reject(order, return_id, actor=who, reason="no", at=ASKED_AT, vendor_id=vendor_id)
    if action == "escalate":
        if who is not Actor.SYSTEM:
            raise Conflict("only the schedule escalates")
        before = order.returns[return_id].state
        effects = R.escalate_if_overdue(order, return_id, at="2027-01-01T00:00:00Z")
        if before is not ReturnState.REQUESTED:
            assert effects == []
            raise Conflict("not requested")  # the schedule skips it: nothing changed
        return effects
    if action == "ship_back":
        if who is not Actor.SHOPPER:
            raise Conflict("only the shopper ships back")
        return R.ship_back(order, return_id, shopper_id="s1", carrier="DHL", tracking_number="T1", at=ASKED_AT)
    if action == "receive":
        return R.receive(order, return_id, actor=who, restock=True, refund=receive_refunds, at=ASKED_AT,
                         rules=RULES, vendor_id=vendor_id)
    return R.refund(order, return_id, actor=who, at=ASKED_AT, rules=RULES, vendor_id=vendor_id)


class ReturnsMachine(RuleBasedStateMachine):
    @initialize()
    def start(self):
        self.order = delivered_order()
        self.asked = 0

    @rule(offer_id=st.sampled_from(sorted(PAID)), quantity=st.integers(1, 3),
          reason=st.sampled_from(list(ReturnReason)))
    def ask(self, offer_id, quantity, reason):
        taken = sum(x.quantity for r in self.order.returns.values() if r.state is not ReturnState.REJECTED
                    for x in r.lines if x.offer_id == offer_id)
        return_id = f"ret_{self.asked}"
        try:
            R.request_return(self.order, return_id=return_id, shopper_id="s1", lines=[(offer_id, quantity)],
                             reason=reason, text="why", photos=(), at=ASKED_AT, rules_of=lambda _v: RULES)
        except Conflict:
            assert taken + quantity > DELIVERED[offer_id]
            return
        assert taken + quantity <= DELIVERED[offer_id]
        self.asked += 1

    @rule(data=st.data(), action=st.sampled_from(ACTIONS), actor=st.sampled_from(ACTORS),
          receive_refunds=st.booleans())
    def step(self, data, action, actor, receive_refunds):
        if not self.order.returns:
            return
        return_id = data.draw(st.sampled_from(sorted(self.order.returns)))
        before_state = self.order.returns[return_id].state.value
        snapshot = copy.deepcopy(self.order.returns[return_id].to_json())
        expected = ALLOWED.get((before_state, action, actor))
        if expected == "refunded" and action == "receive" and not receive_refunds:
            expected = "received"
        try:
            take(self.order, return_id, action, actor, receive_refunds)
        except (Conflict, InvalidInput):
            assert expected is None, (before_state, action, actor)
            assert self.order.returns[return_id].to_json() == snapshot  # a refused step changes nothing
            return
        after = self.order.returns[return_id].state.value
        if expected is None:
            assert (before_state, action) in REPEATS, (before_state, action, actor)
            assert self.order.returns[return_id].to_json() == snapshot  # a repeat changes nothing
        else:
            assert after == expected

    @invariant()
    def never_refunded_more_than_paid_per_line(self):
        if not hasattr(self, "order"):
            return
        refunded: dict[str, int] = {}
        for ret in self.order.returns.values():
            if ret.refund_amount is not None:
                assert ret.refund_amount == (self.order.case_refund(ret.return_id) or {}).get("amount", 0)
                paid_for_units = sum(self.order.line_refund_amount(ret.vendor_id, x.offer_id, x.quantity)
                                     for x in ret.lines)
                assert 0 <= ret.refund_amount <= paid_for_units
                for x in ret.lines:
                    refunded[x.offer_id] = refunded.get(x.offer_id, 0) + x.quantity * PAID[x.offer_id] // DELIVERED[
                        x.offer_id]
        for offer_id, amount in refunded.items():
            assert amount <= PAID[offer_id]
        for vendor_order in self.order.vendor_orders.values():
            cases = sum(int(r["amount"]) for r in vendor_order.case_refunds.values())
            assert cases <= vendor_order.total

    @invariant()
    def never_more_units_returned_than_delivered(self):
        if not hasattr(self, "order"):
            return
        for offer_id, delivered in DELIVERED.items():
            open_units = sum(x.quantity for r in self.order.returns.values() if r.state is not ReturnState.REJECTED
                             for x in r.lines if x.offer_id == offer_id)
            assert open_units <= delivered


ReturnsMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=25, deadline=None)
TestReturnsMachine = ReturnsMachine.TestCase
