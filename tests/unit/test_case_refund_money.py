"""Money invariants of case refunds on a two-vendor order, over random sequences (Hypothesis): case
refunds (repeated, partial), the provider's answers (made, pending, refused), refund webhooks (a
refund failing after it was made), admin retries, payouts and transfer reversals (made or refused).

Whatever happens: no line is refunded more than the shopper paid for it, no vendor more than its
share, the order never more than was charged; a case is refunded once; each vendor's ledger sums to
what it is still owed (entitlement - net transferred), its entitlement is never negative; and a vendor
holding more than its entitlement always has a reversal under way or visible to admins.
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from chalicelib.domain import ledger
from chalicelib.domain.errors import Conflict
from chalicelib.domain.order_effects import RefundCase, ReverseTransfer, TransferPayout
from chalicelib.domain.orders import Order, OrderLine, PaymentOutcome, VendorOrder

AT = "2026-11-27T03:00:00Z"
CASES = tuple(f"ret_{n}" for n in range(6))
# (vendor, offer): v1 sells 3 discounted tents and a stove, v2 two headphones.
LINES = (("v1", "o1"), ("v1", "o3"), ("v2", "o2"))


def two_vendor_order(policies: tuple[str, str], extra_discount: int) -> Order:
    lines = [OrderLine("o1", "p1", "v1", "Alpine", "Tent", "new", 3, 999, 300, unit_discount=99),
             OrderLine("o3", "p3", "v1", "Alpine", "Stove", "new", 1, 601, 0),
             OrderLine("o2", "p2", "v2", "Bytes", "Headphones", "used", 2, 505, 200)]
    v1_items, v2_items = 3 * 999 + 601, 2 * 505
    v1_total = v1_items - 3 * 99 - extra_discount + 300
    vendors = [VendorOrder("v1", "Alpine", "EUR", v1_items, 300, 3 * 99 + extra_discount, v1_total,
                           v1_total * 12 // 100, v1_total - v1_total * 12 // 100, refund_commission=policies[0]),
               VendorOrder("v2", "Bytes", "EUR", v2_items, 200, 0, v2_items + 200, 0, v2_items + 200,
                           refund_commission=policies[1])]
    order, _ = Order.place(order_id="ord_1", shopper_id="s1", created_at="2026-11-27T02:50:00Z",
                           reserved_until="2026-11-27T03:20:00Z", currency="EUR", country="DE", quote={},
                           lines=lines, total=v1_total + v2_items + 200, vendor_orders=vendors)
    order.attach_payment("pi_1", "secret")
    order.apply_payment(PaymentOutcome.SUCCEEDED, at=AT, charge_id="ch_1")
    return order


class CaseRefundMoney(RuleBasedStateMachine):
    @initialize(policies=st.tuples(st.sampled_from(ledger.COMMISSION_POLICIES), st.sampled_from(ledger.COMMISSION_POLICIES)),
                extra_discount=st.sampled_from([0, 1, 333]), paid_at_payment=st.booleans())
    def paid_order(self, policies, extra_discount, paid_at_payment):
        self.order = two_vendor_order(policies, extra_discount)
        self.booked: list = []
        self.units_returned = {offer: 0 for _, offer in LINES}
        self.refunded_per_line: dict[str, int] = {offer: 0 for _, offer in LINES}
        self.case_line: dict[str, tuple[str, int]] = {}  # case -> (offer, amount)
        self.issued: list[str] = []  # idempotency keys of the refunds asked of the provider
        self.provider_refunds = 0
        self._keep()
        if paid_at_payment:  # HALLES_PAYOUT_RELEASE=at_payment: every refund then needs a reversal
            for vendor_id in ("v1", "v2"):
                self.the_vendor_is_paid(vendor_id)

    # --- helpers -----------------------------------------------------------------------------

    def _keep(self, effects=()):
        """Save as the repository would: new provider effects to the outbox, ledger entries booked."""
        for effect in effects:
            if isinstance(effect, RefundCase):
                self.issued.append(effect.key)
            first_payout = isinstance(effect, TransferPayout) and not effect.top_up  # made by the_vendor_is_paid
            if not first_payout and effect.key not in {e.key for e in self.order.outbox}:
                self.order.outbox.append(effect)
        self.booked += self.order.ledger_entries
        self.order.ledger_entries = []

    def _requested(self) -> list[str]:
        return [c for c in CASES if (r := self.order.case_refund(c)) and r["status"] == "requested"]

    def _with_status(self, *statuses) -> list[str]:
        return [c for c in CASES if (r := self.order.case_refund(c)) and r["status"] in statuses]

    # --- rules -------------------------------------------------------------------------------

    @rule(case=st.sampled_from(CASES), line=st.sampled_from(LINES), units=st.integers(1, 3))
    def a_case_asks_a_refund(self, case, line, units):
        vendor_id, offer = line
        bought = next(x.quantity for x in self.order.lines if x.offer_id == offer)
        known = self.order.case_refund(case)
        if self.units_returned[offer] + units > bought:
            return  # the returns module never asks for units the shopper did not buy
        amount = self.order.line_refund_amount(vendor_id, offer, units)
        refundable = self.order.vendor_refundable(vendor_id)
        try:
            effects = self.order.refund_for_case(vendor_id, case_id=case, amount=amount, reason="damaged", at=AT)
        except Conflict:
            assert known is None and (amount > refundable or amount == 0)
            return
        if known is not None:
            assert effects == [], "a case is refunded once"
            return
        self.units_returned[offer] += units
        self.case_line[case] = (offer, amount)
        self._keep(effects)

    @precondition(lambda self: self._requested())
    @rule(data=st.data(), answer=st.sampled_from(["succeeded", "pending", "refused"]))
    def the_provider_answers(self, data, answer):
        case = data.draw(st.sampled_from(self._requested()))
        effect = next(e for e in self.order.outbox if isinstance(e, RefundCase) and e.case_id == case)
        self.order.done(effect)
        if answer == "refused":
            effects = self.order.case_refund_failed(case, failure_code="charge_disputed", at=AT, attempt=effect.attempt)
        else:
            self.provider_refunds += 1
            effects = self.order.record_case_refund(case, attempt=effect.attempt, refund_id=f"re_{self.provider_refunds}",
                                                    status=answer, at=AT)
        self._keep(effects)

    @precondition(lambda self: self._with_status("succeeded", "pending"))
    @rule(data=st.data(), status=st.sampled_from(["succeeded", "failed"]))
    def a_refund_webhook_arrives(self, data, status):
        case = data.draw(st.sampled_from(self._with_status("succeeded", "pending")))
        refund_id = self.order.case_refund(case)["refund_id"]
        self._keep(self.order.reconcile_refund(refund_id, status=status, at=AT, failure_code="lost_or_stolen_card") or [])

    @precondition(lambda self: self._with_status("failed"))
    @rule(data=st.data())
    def an_admin_retries(self, data):
        case = data.draw(st.sampled_from(self._with_status("failed")))
        try:
            self._keep(self.order.retry_case_refund(case, at=AT))
        except Conflict as refused:
            assert "amount" in refused.fields  # only when the vendor's share has been refunded meanwhile

    @rule(vendor_id=st.sampled_from(["v1", "v2"]))
    def the_vendor_is_paid(self, vendor_id):
        for effect in self.order.release_payout(vendor_id, at=AT):
            if isinstance(effect, TransferPayout):
                if effect.top_up:
                    self._keep([effect])
                    continue
                self._keep(self.order.record_transfer(vendor_id, transfer_id=f"tr_{vendor_id}", amount=effect.amount,
                                                      charge_id="ch_1", at=AT))
        self._keep()

    @precondition(lambda self: any(isinstance(e, TransferPayout) for e in self.order.outbox))
    @rule(data=st.data())
    def a_top_up_is_carried_out(self, data):
        effect = data.draw(st.sampled_from([e for e in self.order.outbox if isinstance(e, TransferPayout)]))
        self.order.done(effect)
        self._keep(self.order.record_transfer(effect.vendor_id, transfer_id=effect.key, amount=effect.amount,
                                              charge_id="ch_1", at=AT, top_up=effect.top_up))

    @precondition(lambda self: any(isinstance(e, ReverseTransfer) for e in self.order.outbox))
    @rule(data=st.data(), refused=st.booleans())
    def a_reversal_is_carried_out(self, data, refused):
        effect = data.draw(st.sampled_from([e for e in self.order.outbox if isinstance(e, ReverseTransfer)]))
        self.order.done(effect)
        if refused:
            self._keep(self.order.reversal_refused(effect.vendor_id, failure_code="balance_insufficient", at=AT,
                                                   transfer_id=effect.transfer_id, amount=effect.amount))
        else:
            # Named by its key, as the effect runner does: two reversals of one amount may be under way.
            self._keep(self.order.record_reversal(effect.vendor_id, reversal_id=effect.key, amount=effect.amount, at=AT,
                                                  transfer_id=effect.transfer_id, key=effect.key))
            assert self.order.vendor_orders[effect.vendor_id].transfer_left[effect.transfer_id] >= 0

    @precondition(lambda self: any(v.reversal_failed for v in self.order.vendor_orders.values()))
    @rule(vendor_id=st.sampled_from(["v1", "v2"]))
    def the_schedule_retries_a_refused_reversal(self, vendor_id):
        if self.order.vendor_orders[vendor_id].reversal_failed:
            self._keep(self.order.retry_reversal(vendor_id))

    # --- invariants --------------------------------------------------------------------------

    @invariant()
    def never_more_refunded_than_paid(self):
        order = self.order
        assert order.refunded <= order.charged
        for vendor_order in order.vendor_orders.values():
            own = sum(r.amount for r in order._counted_refunds() if r.vendor_id == vendor_order.vendor_id)
            assert own <= vendor_order.total
        per_line = {offer: 0 for _, offer in LINES}
        for case, (offer, amount) in self.case_line.items():
            if order.case_refund(case)["status"] in ("succeeded", "pending"):
                per_line[offer] += amount
        for line in order.lines:
            assert per_line[line.offer_id] <= line.paid_unit_price * line.quantity

    @invariant()
    def each_case_is_refunded_once(self):
        assert len(self.issued) == len(set(self.issued)), "one provider refund per case and attempt"
        recorded = [r.id for r in self.order.refunds.values() if r.status in ("succeeded", "pending")]
        cases_with_money = self._with_status("succeeded", "pending")
        assert len(recorded) == len(cases_with_money)

    @invariant()
    def the_ledger_sums_to_what_each_vendor_is_still_owed(self):
        money = self.order.money()
        for vendor_order in self.order.vendor_orders.values():
            vendor_id = vendor_order.vendor_id
            entitled = ledger.entitlement(money, vendor_id)
            assert entitled >= 0
            assert sum(e.amount for e in self.booked if e.vendor_id == vendor_id) == entitled - vendor_order.transferred

    @invariant()
    def a_vendor_paid_too_much_always_has_a_reversal_under_way_or_visible(self):
        money = self.order.money(pending_reversals=True)
        for vendor_order in self.order.vendor_orders.values():
            if ledger.reversal_due(money, vendor_order.vendor_id) > 0:
                top_up_under_way = any(isinstance(e, TransferPayout) and e.vendor_id == vendor_order.vendor_id
                                       for e in self.order.outbox)  # the reversal follows its recording
                assert vendor_order.reversal_failed is not None or top_up_under_way

    @invariant()
    def a_paid_vendor_owed_more_always_has_a_top_up_under_way(self):
        money = self.order.money()
        for vendor_order in self.order.vendor_orders.values():
            owed = ledger.payable_now(money, vendor_order.vendor_id)
            if vendor_order.transfer_id and owed > 0:  # one move at a time: the next one follows the answer
                under_way = [e for e in self.order.outbox if isinstance(e, (TransferPayout, ReverseTransfer))
                             and e.vendor_id == vendor_order.vendor_id]
                assert under_way, f"{vendor_order.vendor_id} is owed {owed} and nothing pays it"


CaseRefundMoney.TestCase.settings = settings(max_examples=200, stateful_step_count=30, deadline=None,
                                             suppress_health_check=[HealthCheck.too_slow])
TestCaseRefundMoney = CaseRefundMoney.TestCase
