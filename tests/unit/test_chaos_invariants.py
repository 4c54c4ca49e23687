"""The chaos run's after-sales invariants (scripts/chaos_aftersales.py) catch what they claim to.

A healthy world (one paid order, its vendor paid out, a return refunded and restocked on the
vendor's word) passes; each test breaks one thing a real bug would break and expects the violation
naming it. Without these, a chaos run reporting 0 violations could be a checker looking at nothing.
"""

from __future__ import annotations

import copy
from collections import Counter

import pytest

from scripts.bench_chaos import Order
from scripts.chaos_aftersales import AfterSales

ORDER, VENDOR, OFFER, CHARGE, INTENT, RETURN = "ord_1", "v_1", "off_1", "ch_1", "pi_1", "ret_1"
PAID, REFUNDED, SALE_KEPT = 2990, 2500, 2125  # the charge; the return's refund; the vendor's share of the sale


class FakeClient:
    def __init__(self, routes: dict):
        self.routes = routes

    def call(self, method, path, body=None, headers=None):
        answer = self.routes[path.split("?")[0]]
        return (200, answer) if not isinstance(answer, tuple) else answer


class FakeRun:
    """What AfterSales reads of a ChaosRun: views, the provider, stock, the counters."""

    def __init__(self, world: dict):
        self.world = world
        self.vendors = {VENDOR: FakeClient({"/vendor/balance": world["balance"]})}
        self.offers = {VENDOR: OFFER}
        self.checked: Counter[str] = Counter()
        self.lines: list[str] = []

    def log(self, line: str) -> None:
        self.lines.append(line)

    def _read(self, key, read):
        return read()

    def provider(self, path: str) -> dict:
        return self.world["provider"][path.split("?")[0]]

    def provider_events(self, kind: str) -> list[dict]:
        return self.world["events"][kind]

    def shopper_view(self, order) -> dict:
        return self.world["order"]

    def vendor_view(self, order, vendor_id) -> dict:
        return self.world["part"]

    def _stock(self, vendor_id, offer_id):
        return self.world["stock"]


def healthy() -> dict:
    refund = {"id": "re_1", "amount": REFUNDED, "status": "succeeded", "charge": CHARGE,
              "metadata": {"order_id": ORDER, "vendor_id": VENDOR, "case_id": RETURN}}
    return {
        "order": {"status": "paid", "payment": {"payment_intent_id": INTENT,
                                                "refunded": {"amount": REFUNDED, "currency": "EUR"}}},
        "part": {"status": "delivered", "payout_status": "transferred",
                 "lines": [{"offer_id": OFFER, "line_id": OFFER, "quantity": 1, "cancelled": False}]},
        "returns": {"items": [{"return_id": RETURN, "vendor_id": VENDOR, "state": "refunded", "restock": True,
                               "refund_status": "succeeded", "allowed_actions": [],
                               "lines": [{"offer_id": OFFER, "line_id": OFFER, "quantity": 1}]}],
                    "returnable": []},
        "provider": {f"/v1/payment_intents/{INTENT}": {"id": INTENT, "status": "succeeded", "latest_charge": CHARGE},
                     f"/v1/charges/{CHARGE}": {"id": CHARGE, "amount": PAID, "amount_refunded": REFUNDED},
                     "/v1/refunds/re_1": refund,
                     "/v1/transfers/tr_1": {"id": "tr_1", "amount": SALE_KEPT, "amount_reversed": SALE_KEPT},
                     "/v1/disputes": {"data": []}},
        "events": {"refund.created": [refund],
                   "transfer.created": [{"id": "tr_1", "metadata": {"order_id": ORDER, "vendor_id": VENDOR}}]},
        "balance": {"paid_out": 0, "available": 0, "pending": 0, "earned": 0, "currency": "EUR"},
        "stock": (999, 0, 0),  # restocked: the unit sold came back on sale
        "attention": [],
        "earned": 0,  # the whole line refunded: the vendor keeps nothing of it
        "held": 0,  # net transferred for the order
    }


def violations(world: dict, restock_asked: bool = True) -> tuple[list[str], FakeRun]:
    run = FakeRun(world)
    after_sales = AfterSales(run)
    after_sales._admin = FakeClient({"/admin/refunds": {"items": world["attention"], "next_cursor": None},
                                     "/admin/cases": {"items": [], "next_cursor": None}})
    shopper = FakeClient({f"/orders/{ORDER}/returns": world["returns"]})
    order = Order(0, "return", shopper, [VENDOR], order_id=ORDER, after_sales_vendor=VENDOR, restock=restock_asked)
    found = after_sales.check([order], Counter({(ORDER, VENDOR): world["held"]}),
                              {VENDOR: Counter({ORDER: world["earned"]})})
    return found + after_sales.unsettled([order]), run


def test_a_healthy_return_after_payout_passes_and_is_counted():
    found, run = violations(healthy())
    assert found == []
    assert run.checked["refunds"] == 1 and run.checked["returns_refunded"] == 1 and run.checked["settled_parts"] == 1


def test_a_case_refunded_twice_is_caught():
    world = healthy()
    again = {**copy.deepcopy(world["events"]["refund.created"][0]), "id": "re_2"}
    world["events"]["refund.created"].append(again)
    world["provider"]["/v1/refunds/re_2"] = again
    found, _ = violations(world)
    assert any(f"case {RETURN} refunded 2 times" in v for v in found), found
    assert any(f"refunded {REFUNDED} ({2 * REFUNDED} in refunds) of a {PAID} charge" in v for v in found), found


def test_an_order_saying_another_refunded_amount_than_the_provider_is_caught():
    world = healthy()
    world["order"]["payment"]["refunded"]["amount"] = 0
    found, _ = violations(world)
    assert found == [f"order {ORDER} says 0 refunded, the provider {REFUNDED}"]


def test_a_vendor_keeping_more_than_its_entitlement_after_a_return_is_caught():
    world = healthy()
    world["held"] = SALE_KEPT  # the refund was made but the transfer never reversed
    found, _ = violations(world)
    assert found == [f"order {ORDER}: vendor {VENDOR} holds {SALE_KEPT} after settling, its entitlement is 0"]


def test_a_refused_reversal_listed_for_an_admin_is_counted_and_printed_not_a_violation():
    world = healthy()
    world["held"] = SALE_KEPT
    world["attention"] = [{"kind": "reversal", "order_id": ORDER, "vendor_id": VENDOR, "case_id": None,
                           "amount": {"amount": SALE_KEPT, "currency": "EUR"}, "failure_code": "balance_insufficient"}]
    found, run = violations(world)
    assert found == []
    assert run.checked["admin_reversals"] == 1
    assert any("reversal of order ord_1" in line and "balance_insufficient" in line for line in run.lines)


def test_the_ledger_paying_out_other_than_the_provider_is_caught():
    world = healthy()
    world["balance"]["paid_out"] = 100
    found, _ = violations(world)
    assert found == [f"vendor {VENDOR} received 0 at the provider, its ledger says 100 paid out"]


@pytest.mark.parametrize("restock_asked, sold, expected", [
    (False, 0, "offer off_1: 0 sold, the orders kept 1 of which 0 returned to stock by the vendor (1 expected)"),
    (True, 1, "offer off_1: 1 sold, the orders kept 1 of which 1 returned to stock by the vendor (0 expected)"),
])
def test_returned_units_go_back_on_sale_only_on_the_vendors_word(restock_asked, sold, expected):
    world = healthy()
    world["returns"]["items"][0]["restock"] = restock_asked
    world["stock"] = (1000 - sold, 0, sold)
    found, _ = violations(world, restock_asked=restock_asked)
    assert found == [expected]


def test_the_return_restocked_against_the_vendors_word_is_caught():
    found, _ = violations(healthy(), restock_asked=False)
    assert f"order {ORDER}: the vendor said restock=False, the return says True" in found


def test_a_failed_return_refund_is_final_only_when_an_admin_sees_it_listed():
    world = healthy()
    world["returns"]["items"][0].update(state="refund_failed", refund_status="failed")
    world["order"]["payment"]["refunded"]["amount"] = 0
    world["provider"][f"/v1/charges/{CHARGE}"]["amount_refunded"] = 0
    world["provider"]["/v1/refunds/re_1"] = {**world["provider"]["/v1/refunds/re_1"], "status": "failed"}
    found, _ = violations(world)
    assert found == [f"order 0 (return) {ORDER}: return refund failed and /admin/refunds does not list it"]

    world["attention"] = [{"kind": "refund", "order_id": ORDER, "vendor_id": VENDOR, "case_id": RETURN,
                           "amount": {"amount": REFUNDED, "currency": "EUR"}, "failure_code": "expired_or_canceled_card"}]
    assert violations(world)[0] == []
