"""What a vendor may be paid or must give back, given refunds and disputes (issue 7 item 1).

The examples replay the reported defect (a Dashboard refund or an open chargeback, then delivery
confirmed, and the vendor was still paid 5391 of a 5990 order); the state machine checks the
invariant over random sequences of payments, refunds, disputes and payouts.
"""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.ledger import (
    COMMISSION_POLICIES,
    KEEP_COMMISSION,
    DisputeState,
    OrderMoney,
    VendorShare,
    dispute_open,
    entitlement,
    payable_now,
    platform_net,
    reversal_due,
)

# The issue's order: 5990 paid for one vendor's lines, 10% commission -> 5391 for the vendor.
ISSUE_ORDER = OrderMoney(
    charged=5990, unattributed_refunded=0, disputes=(), vendors=(VendorShare("v-ceramics", total=5990, payout=5391),)
)


def with_vendor(money: OrderMoney, vendor_id: str, **changes) -> OrderMoney:
    vendors = tuple(dataclasses.replace(v, **changes) if v.vendor_id == vendor_id else v for v in money.vendors)
    return dataclasses.replace(money, vendors=vendors)


def two_vendors(**order_changes) -> OrderMoney:
    money = OrderMoney(
        charged=10000,
        unattributed_refunded=0,
        disputes=(),
        vendors=(VendorShare("v-a", total=6000, payout=5400), VendorShare("v-b", total=4000, payout=3600)),
    )
    return dataclasses.replace(money, **order_changes)


def test_a_paid_order_pays_the_vendor_its_priced_payout():
    assert payable_now(ISSUE_ORDER, "v-ceramics") == 5391
    assert platform_net(with_vendor(ISSUE_ORDER, "v-ceramics", transferred=5391)) == 599


def test_nothing_is_payable_before_the_order_is_charged():
    assert payable_now(dataclasses.replace(ISSUE_ORDER, charged=0), "v-ceramics") == 0


def test_full_dashboard_refund_leaves_nothing_to_pay():
    refunded = dataclasses.replace(ISSUE_ORDER, unattributed_refunded=5990)
    assert entitlement(refunded, "v-ceramics") == 0
    assert payable_now(refunded, "v-ceramics") == 0


def test_open_chargeback_blocks_the_payout_and_a_won_one_releases_it():
    disputed = dataclasses.replace(ISSUE_ORDER, disputes=(DisputeState("dp_1", 5990, "needs_response"),))
    assert dispute_open(disputed)
    assert payable_now(disputed, "v-ceramics") == 0
    won = dataclasses.replace(ISSUE_ORDER, disputes=(DisputeState("dp_1", 5990, "won"),))
    assert not dispute_open(won)
    assert payable_now(won, "v-ceramics") == 5391


@pytest.mark.parametrize("status", ["warning_needs_response", "warning_under_review", "under_review", "brand_new"])
def test_inquiries_reviews_and_unknown_statuses_also_block(status):
    disputed = dataclasses.replace(ISSUE_ORDER, disputes=(DisputeState("dp_1", 100, status),))
    assert payable_now(disputed, "v-ceramics") == 0


def test_lost_chargeback_is_a_refund_of_its_amount():
    lost = dataclasses.replace(ISSUE_ORDER, disputes=(DisputeState("dp_1", 5990, "lost"),))
    assert payable_now(lost, "v-ceramics") == 0
    paid_then_lost = with_vendor(lost, "v-ceramics", transferred=5391)
    assert reversal_due(paid_then_lost, "v-ceramics") == 5391


def test_full_refund_after_the_transfer_reverses_the_vendors_share():
    paid = with_vendor(ISSUE_ORDER, "v-ceramics", transferred=5391)
    refunded = dataclasses.replace(paid, unattributed_refunded=5990)
    assert platform_net(refunded) == -5391  # what the defect left the platform with
    assert reversal_due(refunded, "v-ceramics") == 5391
    settled = with_vendor(refunded, "v-ceramics", transferred=0)
    assert platform_net(settled) == 0 and reversal_due(settled, "v-ceramics") == 0


def test_partial_refund_is_shared_pro_rata_and_rounds_against_the_vendor():
    # 1001 refunded of 10000: v-a bears ceil(1001 * 6000 / 10000) = 601, v-b ceil(400.4) = 401.
    money = two_vendors(unattributed_refunded=1001)
    assert entitlement(money, "v-a") == 5400 * (6000 - 601) // 6000 == 4859
    assert entitlement(money, "v-b") == 3600 * (4000 - 401) // 4000 == 3239
    settled = with_vendor(with_vendor(money, "v-a", transferred=4859), "v-b", transferred=3239)
    assert platform_net(settled) >= 0


def test_partial_refund_after_transfer_reverses_only_the_refunded_part():
    paid = with_vendor(ISSUE_ORDER, "v-ceramics", transferred=5391)
    half = dataclasses.replace(paid, unattributed_refunded=2995)
    assert reversal_due(half, "v-ceramics") == 5391 - 5391 * 2995 // 5990 == 2696
    assert payable_now(half, "v-ceramics") == 0


def test_rounding_never_makes_the_platform_pay_more_than_it_holds():
    # Three zero-commission vendors of 1 cent each, 1 cent refunded: flooring each share to 0 would pay out 3 of 2.
    money = OrderMoney(
        charged=3, unattributed_refunded=1, disputes=(), vendors=tuple(VendorShare(v, 1, 1) for v in ("a", "b", "c"))
    )
    assert sum(entitlement(money, v.vendor_id) for v in money.vendors) <= 2


def test_a_vendors_own_refund_touches_only_that_vendor():
    money = with_vendor(two_vendors(), "v-a", refunded=3000)
    assert entitlement(money, "v-a") == 2700
    assert entitlement(money, "v-b") == 3600


def test_a_refund_of_the_rest_after_one_vendors_full_return_falls_on_the_other_vendor():
    money = with_vendor(two_vendors(unattributed_refunded=4000), "v-a", refunded=6000)
    assert entitlement(money, "v-a") == 0 and entitlement(money, "v-b") == 0


def test_refunds_with_no_transfer_due_no_reversal():
    assert reversal_due(dataclasses.replace(ISSUE_ORDER, unattributed_refunded=5990), "v-ceramics") == 0


@pytest.mark.parametrize(
    "build",
    [
        lambda: VendorShare("v", total=100, payout=101),
        lambda: VendorShare("v", total=-1, payout=0),
        lambda: VendorShare("v", total=1.5, payout=0),
        lambda: DisputeState("dp", -5, "lost"),
        lambda: OrderMoney(charged=1, unattributed_refunded=0, disputes=(), vendors=(
            VendorShare("v", 1, 1), VendorShare("v", 1, 1))),
    ],
)
def test_impossible_money_is_refused(build):
    with pytest.raises(InvalidInput):
        build()


def test_a_vendor_not_in_the_order_is_refused():
    with pytest.raises(InvalidInput) as err:
        payable_now(ISSUE_ORDER, "v-other")
    assert err.value.fields == {"vendor_id": "not in order"}


@pytest.mark.parametrize("policy, kept", [("refund_commission", 5391 * 3990 // 5990), (KEEP_COMMISSION, 5391 - 2000)],
                         ids=["commission-given-back-pro-rata", "platform-keeps-its-commission"])
def test_the_commission_policy_on_refunds_decides_who_bears_the_commission(policy, kept):
    money = with_vendor(dataclasses.replace(ISSUE_ORDER), "v-ceramics", refunded=2000, commission_policy=policy)
    assert entitlement(money, "v-ceramics") == kept
    # A full refund leaves the vendor nothing under either policy, and never a debt.
    assert entitlement(with_vendor(money, "v-ceramics", refunded=5990), "v-ceramics") == 0


def test_an_unknown_commission_policy_is_refused_naming_it():
    with pytest.raises(InvalidInput) as err:
        VendorShare("v", total=100, payout=90, commission_policy="split")
    assert err.value.fields == {"commission_policy": "unknown"}


# --- the invariant over random event sequences ------------------------------------------------

VENDOR_IDS = ("v-a", "v-b", "v-c")


def settle(money: OrderMoney) -> OrderMoney:
    """Carry out every reversal due and every payable transfer, as the payout use case would."""
    for vendor_id in [v.vendor_id for v in money.vendors]:
        share = money.vendor(vendor_id)
        back = reversal_due(money, vendor_id)
        more = payable_now(money, vendor_id)
        assert not (back and more)
        money = with_vendor(money, vendor_id, transferred=share.transferred - back + more)
    return money


class OrderMoneyMachine(RuleBasedStateMachine):
    """Events in any order, as Stripe and the shop would produce them; transfers only when released."""

    @initialize(
        shares=st.lists(
            # Small totals and zero-commission vendors are where rounding would bite.
            # Each vendor-order keeps the commission policy on refunds it was sold under.
            st.tuples(st.integers(0, 7) | st.integers(0, 20000), st.just(10000) | st.integers(0, 10000),
                      st.sampled_from(COMMISSION_POLICIES)),
            min_size=1,
            max_size=len(VENDOR_IDS),
        ).map(lambda xs: tuple(VendorShare(VENDOR_IDS[i], total=t, payout=t * bp // 10000, commission_policy=policy)
                               for i, (t, bp, policy) in enumerate(xs)))
    )
    def place_order(self, shares):
        self.money = OrderMoney(charged=0, unattributed_refunded=0, disputes=(), vendors=shares)

    @precondition(lambda self: self.money.charged == 0)
    @rule()
    def pay(self):
        self.money = dataclasses.replace(self.money, charged=sum(v.total for v in self.money.vendors))

    def refundable(self) -> int:
        m = self.money
        return m.charged - m.refunded - m.lost_to_disputes

    # Stripe refuses to refund a disputed charge (`charge_disputed`) while the dispute is open or lost.
    @precondition(
        lambda self: self.refundable() > 0
        and not any(d.is_open or d.is_lost for d in self.money.disputes)
    )
    @rule(data=st.data(), attributed=st.one_of(st.none(), st.sampled_from(VENDOR_IDS)))
    def refund(self, data, attributed):
        amount = data.draw(st.integers(1, self.refundable()), label="amount")
        if attributed is None or attributed not in {v.vendor_id for v in self.money.vendors}:
            self.money = dataclasses.replace(self.money, unattributed_refunded=self.money.unattributed_refunded + amount)
        else:
            share = self.money.vendor(attributed)
            self.money = with_vendor(self.money, attributed, refunded=share.refunded + amount)

    # Stripe allows one dispute per charge, for at most what was not refunded.
    @precondition(lambda self: self.refundable() > 0 and not self.money.disputes)
    @rule(data=st.data(), status=st.sampled_from(["needs_response", "warning_needs_response"]))
    def open_dispute(self, data, status):
        amount = data.draw(st.integers(1, self.refundable()), label="dispute amount")
        self.money = dataclasses.replace(self.money, disputes=(DisputeState("dp_1", amount, status),))

    @precondition(lambda self: dispute_open(self.money))
    @rule(outcome=st.sampled_from(["under_review", "won", "lost", "warning_closed"]))
    def dispute_moves(self, outcome):
        (dispute,) = self.money.disputes
        if outcome == "warning_closed" and not dispute.status.startswith("warning_"):
            outcome = "won"
        self.money = dataclasses.replace(self.money, disputes=(dataclasses.replace(dispute, status=outcome),))

    @rule(vendor=st.sampled_from(VENDOR_IDS))
    def delivery_confirmed_payout_released(self, vendor):
        if vendor not in {v.vendor_id for v in self.money.vendors}:
            return
        more = payable_now(self.money, vendor)
        if dispute_open(self.money):
            assert more == 0
        share = self.money.vendor(vendor)
        self.money = with_vendor(self.money, vendor, transferred=share.transferred + more)

    @rule(vendor=st.sampled_from(VENDOR_IDS))
    def reversal_carried_out(self, vendor):
        if vendor not in {v.vendor_id for v in self.money.vendors}:
            return
        share = self.money.vendor(vendor)
        self.money = with_vendor(self.money, vendor, transferred=share.transferred - reversal_due(self.money, vendor))

    @invariant()
    def settling_never_leaves_the_platform_out_of_pocket(self):
        settled = settle(self.money)
        assert platform_net(settled) >= 0
        for share in settled.vendors:
            assert 0 <= share.transferred <= entitlement(settled, share.vendor_id) <= share.payout
            assert reversal_due(settled, share.vendor_id) == 0
        # Settling is a fixed point: retrying never moves money again.
        assert settle(settled) == settled

    @invariant()
    def a_fully_refunded_or_lost_order_pays_nobody(self):
        if self.money.charged and self.refundable() == 0:
            assert all(entitlement(self.money, v.vendor_id) == 0 for v in self.money.vendors)


OrderMoneyMachine.TestCase.settings = settings(
    max_examples=300, stateful_step_count=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
TestOrderMoney = OrderMoneyMachine.TestCase
