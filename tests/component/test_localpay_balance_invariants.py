"""The local provider's balances keep Stripe's books whatever happens, in any order: money only
enters with captured charges and leaves with refunds that did not fail and with disputes (amount
and fee); transfers and reversals only move it between the platform and the vendors; and a refund
the provider accepted never leaves the platform with less than nothing."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from devstack.localpay.balance import DEFAULT_OPENING_BALANCE
from devstack.localpay.forms import StripeAPIError
from devstack.localpay.ledger import Ledger

REQUEST = {"id": "req_invariants", "idempotency_key": None}
CARDS = ("pm_card_visa", "pm_card_createDispute", "pm_card_createDisputeInquiry", "pm_card_refundFail")

steps = st.lists(st.tuples(
    st.sampled_from(("pay", "refund", "transfer", "reverse", "win", "lose", "settle_refunds", "drain_vendor",
                     "drain_platform")),
    st.integers(min_value=0, max_value=5),  # which object (modulo how many there are)
    st.integers(min_value=1, max_value=12000),  # an amount
    st.sampled_from(CARDS),
), max_size=30)


def pick(items: list, index: int):
    return items[index % len(items)] if items else None


def apply(ledger: Ledger, vendor: str, step: tuple) -> None:
    action, index, amount, card = step
    charges = ledger.of_kind("charge", status="succeeded")
    if action == "pay":
        ledger.create_payment_intent({"amount": str(max(amount, 50)), "currency": "eur", "payment_method": card,
                                      "payment_method_types": ["card"], "confirm": "true"}, REQUEST)
    elif action == "refund" and charges:
        ledger.create_refund({"charge": pick(charges, index)["id"], "amount": str(amount)}, REQUEST)
    elif action == "transfer" and charges:
        ledger.create_transfer({"amount": str(amount), "currency": "eur", "destination": vendor,
                                "source_transaction": pick(charges, index)["id"]}, REQUEST)
    elif action == "reverse" and ledger.of_kind("transfer"):
        ledger.create_transfer_reversal(pick(ledger.of_kind("transfer"), index)["id"], {"amount": str(amount)},
                                        REQUEST)
    elif action in ("win", "lose") and ledger.of_kind("dispute"):
        text = "winning_evidence" if action == "win" else "losing_evidence"
        ledger.update_dispute(pick(ledger.of_kind("dispute"), index)["id"],
                              {"evidence": {"uncategorized_text": text}}, REQUEST)
    elif action == "settle_refunds":
        for refund_id in list(ledger.refund_settlements):
            ledger.settle_refund(refund_id, REQUEST)
    elif action == "drain_vendor":  # the vendor is paid out to its bank
        ledger.set_balance(0, "eur", vendor)
    elif action == "drain_platform":
        ledger.set_balance(amount, "eur")


@settings(max_examples=60, deadline=None)
@given(steps)
def test_money_is_conserved_and_accepted_moves_never_overdraw_the_platform(plan):
    ledger = Ledger()
    vendor = ledger.add_account()["id"]
    for step in plan:
        before = ledger.available_balance("eur")
        try:
            apply(ledger, vendor, step)
        except StripeAPIError:
            continue  # refused as Stripe refuses it: nothing moved
        if step[0] == "refund" and before >= 0:
            # (A transfer with source_transaction draws on its charge whatever the balance, as on Stripe.)
            assert ledger.available_balance("eur") >= 0, step

        captured = sum(c["amount_captured"] for c in ledger.of_kind("charge", status="succeeded"))
        refunded = sum(r["amount"] for r in ledger.of_kind("refund") if r["status"] != "failed")
        disputed = sum(t["net"] for d in ledger.of_kind("dispute") for t in d["balance_transactions"])
        set_aside = sum(sum(by_currency.values()) for by_currency in ledger.balance_adjustments.values())
        held = ledger.available_balance("eur") + ledger.available_balance("eur", vendor)
        assert held == DEFAULT_OPENING_BALANCE["eur"] + captured - refunded + disputed + set_aside
        for charge in ledger.of_kind("charge", status="succeeded"):
            live = sum(r["amount"] for r in ledger.of_kind("refund", charge=charge["id"]) if r["status"] != "failed")
            assert charge["amount_refunded"] == live <= charge["amount"]
