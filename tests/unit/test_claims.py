"""Claims on a vendor's part of an order: opened, answered by the vendor, accepted or escalated (by the
shopper after the answer, or by the schedule once the answer is overdue), resolved by an admin; every
other step is a 409 naming the allowed ones. A Hypothesis state machine drives random sequences."""

from __future__ import annotations

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from chalicelib.domain import claims
from chalicelib.domain.claims import Claim, ClaimReason, ClaimState, Decision, Resolution
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound
from chalicelib.domain.fulfilment import Shipment
from chalicelib.domain.orders import Order, OrderLine, PaymentOutcome, VendorOrder

PAID = "2026-11-27T03:00:00Z"
AT = "2026-11-28T09:00:00Z"
LATER = "2026-11-29T09:00:00Z"
OVERDUE = "2026-12-01T09:00:01Z"  # AT + 3 days + 1 s
DHL = Shipment("DHL", "JD014600003828", "https://www.dhl.com/track?id=JD014600003828")


def order(*, shipped: bool = True) -> Order:
    lines = [OrderLine("o1", "p1", "v1", "Alpine", "Tent", "new", 2, 1000, 300),
             OrderLine("o2", "p2", "v2", "Bytes", "Headphones", "used", 1, 500, 200)]
    vendors = [VendorOrder("v1", "Alpine", "EUR", 2000, 300, 0, 2300, 230, 2070),
               VendorOrder("v2", "Bytes", "EUR", 500, 200, 0, 700, 70, 630)]
    placed, _ = Order.place(order_id="ord_1", shopper_id="s1", created_at="2026-11-27T02:50:00Z",
                            reserved_until="2026-11-27T03:20:00Z", currency="EUR", country="DE", quote={},
                            lines=lines, total=3000, vendor_orders=vendors)
    placed.attach_payment("pi_1", "secret")
    placed.apply_payment(PaymentOutcome.SUCCEEDED, at=PAID, charge_id="ch_1")
    if shipped:
        placed.accept("v1", at=PAID)
        placed.ship("v1", DHL, at=PAID)
    return placed


def published(effects) -> list[str]:
    return [e.event for e in effects if type(e).__name__ == "Publish"]


def opened(o: Order, reason: ClaimReason = ClaimReason.DAMAGED) -> Claim:
    claim, _ = claims.open_claim(o, "v1", reason=reason, text="The pole is bent", at=AT, key="k1")
    return claim


def test_opening_a_claim_sets_the_vendors_deadline_and_says_so():
    o = order()
    claim, effects = claims.open_claim(o, "v1", reason=ClaimReason.DAMAGED, text="The pole is bent", at=AT,
                                       key="k1")
    assert claim.claim_id.startswith("clm_") and len(claim.claim_id) == 30
    assert (claim.state, claim.answer_due_at) == (ClaimState.OPENED, "2026-12-01T09:00:00Z")
    assert published(effects) == ["claim.opened"]
    assert o.claims[claim.claim_id] is claim
    assert any(e.kind == "claim" for e in o.shopper_timeline())


def test_a_retried_open_returns_the_same_claim_and_a_second_open_claim_is_refused():
    o = order()
    first = opened(o)
    again, effects = claims.open_claim(o, "v1", reason=ClaimReason.DAMAGED, text="The pole is bent", at=LATER,
                                       key="k1")
    assert again is first and effects == []
    with pytest.raises(Conflict) as refused:
        claims.open_claim(o, "v1", reason=ClaimReason.OTHER, text="also", at=LATER, key="k2")
    assert refused.value.code == "claim_already_open" and "vendor_id" in refused.value.fields


def test_not_received_only_once_the_parcel_shipped_or_its_date_passed():
    o = order(shipped=False)
    with pytest.raises(Conflict) as early:
        claims.open_claim(o, "v1", reason=ClaimReason.NOT_RECEIVED, text="", at=AT)
    assert early.value.fields["reason"] == "sub-order is placed"
    late, _ = claims.open_claim(o, "v1", reason=ClaimReason.NOT_RECEIVED, text="", at="2026-12-19T03:00:01Z")
    assert late.reason is ClaimReason.NOT_RECEIVED
    shipped = order()
    assert claims.open_claim(shipped, "v1", reason=ClaimReason.NOT_RECEIVED, text="", at=AT)[0].state is ClaimState.OPENED


def test_other_needs_a_text_and_a_claim_needs_a_vendor_of_the_order():
    with pytest.raises(InvalidInput) as blank:
        claims.open_claim(order(), "v1", reason=ClaimReason.OTHER, text="  ", at=AT)
    assert blank.value.fields == {"text": "required when the reason is other"}
    with pytest.raises(NotFound) as stranger:
        claims.open_claim(order(), "v9", reason=ClaimReason.DAMAGED, text="", at=AT)
    assert "vendor_id" in stranger.value.fields


def test_an_unpaid_order_cannot_be_claimed():
    o = order()
    o.status = o.status.__class__("pending_payment")
    with pytest.raises(Conflict) as refused:
        claims.open_claim(o, "v1", reason=ClaimReason.DAMAGED, text="", at=AT)
    assert refused.value.code == "not_claimable"


def test_the_vendor_answers_then_the_shopper_accepts_a_rejection_and_the_claim_is_resolved():
    o = order()
    claim = opened(o)
    proposal = claims.decision_for(o, "v1", Resolution.REJECTION, reason="Bent in transport: ask the carrier")
    assert published(claims.answer(o, claim.claim_id, "v1", proposal, at=LATER)) == ["claim.answered"]
    assert claims.answer(o, claim.claim_id, "v1", proposal, at=LATER) == []  # the same answer again
    assert published(claims.accept(o, claim.claim_id, at=LATER)) == ["claim.resolved"]
    assert (claim.state, claim.resolved_by, claim.resolution) == (ClaimState.RESOLVED, "shopper", proposal)
    assert claims.accept(o, claim.claim_id, at=LATER) == []


def test_another_vendor_cannot_answer_a_claim():
    o = order()
    claim = opened(o)
    with pytest.raises(NotFound):
        claims.answer(o, claim.claim_id, "v2", Decision(Resolution.REPLACEMENT), at=LATER)
    assert claim.state is ClaimState.OPENED


def test_illegal_steps_are_409s_naming_the_allowed_ones():
    o = order()
    claim = opened(o)
    with pytest.raises(Conflict) as early_accept:
        claims.accept(o, claim.claim_id, at=LATER)
    assert early_accept.value.fields == {"state": "opened", "allowed_actions": "answer, escalate"}
    with pytest.raises(Conflict) as early_resolve:
        claims.resolve(o, claim.claim_id, Decision(Resolution.REPLACEMENT), at=LATER)
    assert early_resolve.value.code == "illegal_transition"
    with pytest.raises(Conflict) as shopper_too_soon:
        claims.escalate(o, claim.claim_id, at=LATER, by="shopper")
    assert shopper_too_soon.value.fields["allowed_actions"] == "answer"
    with pytest.raises(Conflict) as not_overdue:
        claims.escalate(o, claim.claim_id, at=LATER, by="auto")
    assert not_overdue.value.code == "not_overdue"


def test_an_unanswered_claim_escalates_once_its_deadline_passed_and_an_admin_resolves_it():
    o = order()
    claim = opened(o)
    assert claim.answer_overdue_from == "2026-12-01T09:00:00Z"
    assert published(claims.escalate(o, claim.claim_id, at=OVERDUE, by="auto")) == ["claim.escalated"]
    assert claim.answer_overdue_from is None  # off the schedule's index
    assert claims.escalate(o, claim.claim_id, at=OVERDUE, by="auto") == []
    with pytest.raises(Conflict) as late_answer:
        claims.answer(o, claim.claim_id, "v1", Decision(Resolution.REPLACEMENT), at=OVERDUE)
    assert late_answer.value.fields["allowed_actions"] == "resolve"
    decision = claims.decision_for(o, "v1", Resolution.REPLACEMENT)
    assert published(claims.resolve(o, claim.claim_id, decision, at=OVERDUE)) == ["claim.resolved"]
    assert (claim.resolved_by, claim.allowed_actions()) == ("admin", ("ship_replacement",))


def test_a_replacement_ships_once_with_its_tracking():
    o = order()
    claim = opened(o)
    claims.answer(o, claim.claim_id, "v1", Decision(Resolution.REPLACEMENT), at=LATER)
    claims.accept(o, claim.claim_id, at=LATER)
    claims.ship_replacement(o, claim.claim_id, "v1", DHL.to_json(), at=LATER)
    assert claim.replacement_shipment["tracking_number"] == "JD014600003828"
    assert claims.ship_replacement(o, claim.claim_id, "v1", DHL.to_json(), at=OVERDUE) == []
    assert claim.allowed_actions() == ()
    with pytest.raises(Conflict):
        claims.ship_replacement(o, claim.claim_id, "v1", {**DHL.to_json(), "tracking_number": "X"}, at=OVERDUE)


def test_a_rejection_needs_a_reason_and_a_refund_needs_lines_of_the_sub_order():
    o = order()
    with pytest.raises(InvalidInput) as no_reason:
        claims.decision_for(o, "v1", Resolution.REJECTION, reason=" ")
    assert no_reason.value.fields == {"reason": "required for a rejection"}
    with pytest.raises(InvalidInput) as no_lines:
        claims.decision_for(o, "v1", Resolution.REFUND)
    assert no_lines.value.fields == {"lines": "required for a refund"}
    with pytest.raises(InvalidInput) as foreign:
        claims.decision_for(o, "v1", Resolution.REFUND, lines=(("o2", 1),))
    assert foreign.value.fields == {"lines": "o2: unknown"}
    with pytest.raises(InvalidInput) as too_many:
        claims.decision_for(o, "v1", Resolution.REFUND, lines=(("o1", 2), ("o1", 1)))
    assert too_many.value.fields == {"lines": "o1: 1 to 2"}


def test_a_refund_is_computed_from_the_lines_and_made_once_when_the_shopper_accepts():
    o = order()
    claim = opened(o)
    proposal = claims.decision_for(o, "v1", Resolution.REFUND, lines=(("o1", 1),))
    assert proposal.amount == 1000  # one tent as paid: never shipping, never a number from a request
    claims.answer(o, claim.claim_id, "v1", proposal, at=LATER)

    effects = claims.accept(o, claim.claim_id, at=LATER)

    (refund,) = [e for e in effects if type(e).__name__ == "RefundCase"]
    assert (refund.vendor_id, refund.case_id, refund.amount) == ("v1", claim.claim_id, 1000)
    assert published(effects) == ["claim.resolved"]
    assert o.case_refund(claim.claim_id)["amount"] == 1000
    assert o.vendor_refundable("v1") == 2300 - 1000
    assert claims.accept(o, claim.claim_id, at=LATER) == []  # refunded once


def test_an_admin_refund_never_exceeds_what_is_left_of_the_vendors_share():
    o = order()
    first = opened(o)
    claims.escalate(o, first.claim_id, at=OVERDUE, by="auto")
    everything = claims.decision_for(o, "v1", Resolution.REFUND, lines=(("o1", 2),))
    assert everything.amount == 2000
    claims.resolve(o, first.claim_id, everything, at=OVERDUE)
    second, _ = claims.open_claim(o, "v1", reason=ClaimReason.OTHER, text="and the box", at=OVERDUE, key="k2")
    claims.escalate(o, second.claim_id, at="2026-12-09T09:00:00Z", by="auto")
    left = claims.decision_for(o, "v1", Resolution.REFUND, lines=(("o1", 2),))
    assert left.amount == 300  # only the shipping is left of the 23.00 share
    claims.resolve(o, second.claim_id, left, at="2026-12-09T09:00:00Z")
    assert o.vendor_refundable("v1") == 0
    assert o.vendor_refundable("v2") == 700  # the other vendor's part is untouched


def test_a_claim_survives_its_storage_round_trip():
    o = order()
    claim = opened(o)
    claims.answer(o, claim.claim_id, "v1", Decision(Resolution.REJECTION, reason="no"), at=LATER)
    claims.escalate(o, claim.claim_id, at=LATER, by="shopper")
    assert Claim.from_json(claim.to_json()) == claim


# --- every sequence of steps: only the allowed ones pass, the rest are refused and change nothing ---

STEPS = ("answer", "accept", "escalate_shopper", "escalate_auto", "resolve", "ship_replacement")


class ClaimMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        self.claim = Claim("clm_x", "ord_1", "v1", ClaimReason.DAMAGED, "bent", AT, "2026-12-01T09:00:00Z")
        self.accepted_escalations = 0

    def _expect(self, step: str) -> bool:
        state, claim = self.claim.state, self.claim
        return {
            "answer": state is ClaimState.OPENED,
            "accept": state is ClaimState.ANSWERED,
            "escalate_shopper": state is ClaimState.ANSWERED,
            "escalate_auto": state is ClaimState.OPENED,
            "resolve": state is ClaimState.ESCALATED,
            "ship_replacement": claim.awaits_replacement,
        }[step]

    @rule(step=st.sampled_from(STEPS), resolution=st.sampled_from(list(Resolution)))
    def take(self, step: str, resolution: Resolution):
        before = self.claim.to_json()
        legal = self._expect(step)
        decision = Decision(resolution, reason="why")
        try:
            if step == "answer":
                self.claim.record_answer(decision, at=LATER)
            elif step == "accept":
                self.claim.record_accept(at=LATER)
            elif step == "escalate_shopper":
                self.claim.record_escalation(at=LATER, by="shopper")
            elif step == "escalate_auto":
                self.claim.record_escalation(at=OVERDUE, by="auto")
            elif step == "resolve":
                self.claim.record_resolution(decision, at=OVERDUE)
            else:
                self.claim.record_replacement_shipment(DHL.to_json(), at=OVERDUE)
        except Conflict as refused:
            assert not legal, f"{step} refused in {before['state']}"
            assert refused.fields.get("allowed_actions") is not None or refused.code == "not_overdue"
            assert self.claim.to_json() == before  # a refused step changes nothing
            return
        assert legal, f"{step} accepted in {before['state']}"

    @invariant()
    def resolved_claims_carry_their_resolution(self):
        claim = self.claim
        assert (claim.state is ClaimState.RESOLVED) == (claim.resolution is not None)
        if claim.state is ClaimState.ANSWERED:
            assert claim.answer is not None
        if claim.escalated_at:
            assert claim.escalated_by in ("shopper", "auto")

    @precondition(lambda self: self.claim.state is ClaimState.RESOLVED)
    @rule()
    def a_resolved_claim_is_never_reopened(self):
        for step in ("answer", "accept", "escalate_shopper", "escalate_auto", "resolve"):
            assert not self._expect(step)


ClaimMachine.TestCase.settings = settings(max_examples=60, stateful_step_count=12, deadline=None)
TestClaimStateMachine = ClaimMachine.TestCase
