"""Refunds on the local provider, as Stripe makes them.

`POST /v1/refunds` (by payment_intent or charge; amount optional = what is left) is refused:
- `charge_disputed` while the charge is charged back (an open or lost chargeback; an inquiry or a
  won dispute leaves it refundable);
- `amount_too_large` beyond what is left, `charge_already_refunded` when nothing is;
- `balance_insufficient` when the platform's available balance does not cover it (net of the
  transfer it reverses): see balance.py;
- `reverse_transfer` / `refund_application_fee` on a charge that is not a destination charge
  (no `transfer_data`, so no transfer or application fee of its own to take back).

On a destination charge, `reverse_transfer=true` reverses the charge's transfer in proportion to
the amount refunded (all that is left of it on a full refund): a `transfer_reversal` with
`source_refund`, named by the refund's `transfer_reversal`, with `transfer.reversed`;
`refund_application_fee=true` refunds the application fee in the same proportion (a `fee_refund`,
`application_fee.refunded`).

A refund's outcome may come later, as with Stripe's test cards: a charge paid with 4000000000005126
is refunded `succeeded`, then the refund fails (`expired_or_canceled_card`: `refund.updated`,
`refund.failed`, the amount back on the charge and in the balance); with 4000000000007726 it is
`pending`, then `succeeded` (`refund.updated`). Later = after the provider's processing delay, or
when `LocalPaymentProvider.settle_refunds()` is called. Any refund can be made to fail now with
`LocalPaymentProvider.fail_refund` / `POST /_localpay/refunds/{id}/fail` (failure_reason).
A failed refund leaves the transfer reversal it made in place (reverse it again yourself).
"""

from __future__ import annotations

from collections.abc import Callable

from devstack.localpay.cards import card_for
from devstack.localpay.forms import (
    StripeAPIError,
    check_known,
    get_bool,
    get_choice,
    get_int,
    get_metadata,
    get_str,
    invalid,
)
from devstack.localpay.ids import format_money, new_id

REFUND_FAILURE_REASONS = ("charge_for_pending_refund_disputed", "declined", "expired_or_canceled_card",
                          "insufficient_funds", "lost_or_stolen_card", "merchant_request", "unknown")


class RefundMixin:
    """Mixed into `Ledger` (which provides objects, get, emit, now, _store, card_numbers and the
    balance, dispute and transfer helpers)."""

    refund_settlements: dict[str, str]  # refund id -> "fails" / "succeeds": its outcome, still to come
    on_refund_pending: Callable[[str], None]

    def create_refund(self, params: dict, request: dict) -> dict:
        check_known(params, {"payment_intent", "charge", "amount", "reason", "metadata", "instructions_email",
                             "refund_application_fee", "reverse_transfer"})
        intent_id, charge_id = get_str(params, "payment_intent"), get_str(params, "charge")
        if not intent_id and not charge_id:
            raise invalid("One of the following params should be provided for this request: payment_intent or "
                          "charge.", code="parameter_missing")
        if intent_id:
            intent = self.get("payment_intent", intent_id, param="payment_intent")
            if intent["status"] != "succeeded":
                raise StripeAPIError(400, f"This PaymentIntent ({intent_id}) does not have a successful charge to "
                                     "refund.", param="payment_intent")
            if charge_id and charge_id != intent["latest_charge"]:
                raise invalid("The charge does not belong to this PaymentIntent.", param="charge")
            charge_id = intent["latest_charge"]
        charge = self.get("charge", charge_id, param="charge")
        if charge["status"] != "succeeded":
            raise StripeAPIError(400, f"Charge {charge_id} has no successful payment to refund.", param="charge")
        reverse_transfer = get_bool(params, "reverse_transfer")
        refund_fee = get_bool(params, "refund_application_fee")
        transfer = self.objects.get(charge.get("transfer") or "")
        fee = self.objects.get(charge.get("application_fee") or "")
        if reverse_transfer and not transfer:
            raise invalid(f"Charge {charge_id} is not a destination charge: it has no transfer to reverse "
                          "(reverse_transfer applies to charges made with transfer_data).", param="reverse_transfer")
        if refund_fee and not fee:
            raise invalid(f"Charge {charge_id} has no application fee to refund (refund_application_fee applies "
                          "to destination charges made with application_fee_amount).", param="refund_application_fee")
        refused = self.refusal_for_disputed(charge, "payment_intent" if intent_id else "charge")
        if refused:
            raise refused
        remaining = charge["amount"] - charge["amount_refunded"]
        if remaining <= 0:
            raise StripeAPIError(400, f"Charge {charge_id} has already been refunded.", code="charge_already_refunded")
        amount = get_int(params, "amount", minimum=1) or remaining
        if amount > remaining:
            raise StripeAPIError(
                400, f"Refund amount ({format_money(amount, charge['currency'])}) is greater than unrefunded amount "
                f"on charge ({format_money(remaining, charge['currency'])})", code="amount_too_large", param="amount")
        full = amount == remaining
        reversal = _share(transfer["amount"] - transfer["amount_reversed"], transfer["amount"], amount, charge,
                          full) if reverse_transfer else 0
        fee_back = _share(fee["amount"] - fee["amount_refunded"], fee["amount"], amount, charge,
                          full) if refund_fee else 0
        self.require_balance(amount - reversal + fee_back, charge["currency"])
        card = card_for(self.card_numbers.get(charge["payment_method"], "4242424242424242"))
        refund = self._store({
            "id": new_id("re"),
            "object": "refund",
            "amount": amount,
            "balance_transaction": new_id("txn"),
            "charge": charge_id,
            "created": self.now(),
            "currency": charge["currency"],
            "customer": charge["customer"],
            "destination_details": {"card": {"reference_status": "pending", "reference_type":
                                             "acquirer_reference_number", "type": "refund"}, "type": "card"},
            "metadata": get_metadata(params),
            "payment_intent": charge["payment_intent"],
            "payment_method": charge["payment_method"],
            "reason": get_choice(params, "reason", ("duplicate", "fraudulent", "requested_by_customer")),
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "pending" if card.refund_settles == "succeeds" else "succeeded",
            "transfer_reversal": None,
        })
        previous = {"amount_refunded": charge["amount_refunded"], "refunded": charge["refunded"]}
        charge["amount_refunded"] += amount
        charge["refunded"] = charge["amount_refunded"] == charge["amount"]
        if reversal:
            refund["transfer_reversal"] = self.reverse(transfer, reversal, request, source_refund=refund["id"])["id"]
        self.emit("refund.created", refund, request)
        self.emit("charge.refunded", charge, request, previous=previous)
        if fee_back:
            self._refund_application_fee(fee, fee_back, request)
        if card.refund_settles:
            self.refund_settlements[refund["id"]] = card.refund_settles
            self.on_refund_pending(refund["id"])
        return refund

    def settle_refund(self, refund_id: str, request: dict) -> dict:
        """The later outcome of a refund of a 5126 (fails) or 7726 (succeeds) charge; others stay as they are."""
        refund = self.get("refund", refund_id)
        outcome = self.refund_settlements.pop(refund_id, None)
        if outcome == "fails":
            return self.fail_refund(refund_id, {}, request)
        if outcome == "succeeds" and refund["status"] == "pending":
            refund["status"] = "succeeded"
            self.emit("refund.updated", refund, request, previous={"status": "pending"})
        return refund

    def fail_refund(self, refund_id: str, params: dict, request: dict) -> dict:
        """The refund could not reach the card after all: failed, its amount back on the charge."""
        check_known(params, {"failure_reason"})
        reason = get_choice(params, "failure_reason", REFUND_FAILURE_REASONS) or "expired_or_canceled_card"
        refund = self.get("refund", refund_id)
        if refund["status"] not in ("pending", "succeeded"):
            raise invalid(f"Refund {refund_id} is {refund['status']}: only a pending or succeeded refund can fail.",
                          param="refund")
        self.refund_settlements.pop(refund_id, None)
        previous = {"status": refund["status"]}
        refund.update(status="failed", failure_reason=reason, failure_balance_transaction=new_id("txn"))
        charge = self.objects[refund["charge"]]
        charge["amount_refunded"] -= refund["amount"]
        charge["refunded"] = False
        self.emit("refund.updated", refund, request, previous=previous)
        self.emit("refund.failed", refund, request, previous=previous)
        return refund

    # -- application fees (destination charges) ------------------------------------------

    def new_application_fee(self, charge: dict, account: str, amount: int) -> dict:
        fee_id = new_id("fee")
        return self._store({
            "id": fee_id,
            "object": "application_fee",
            "account": account,
            "amount": amount,
            "amount_refunded": 0,
            "application": "ca_localpay_halles",
            "balance_transaction": new_id("txn"),
            "charge": charge["id"],
            "created": self.now(),
            "currency": charge["currency"],
            "fee_source": {"charge": charge["id"], "type": "charge"},
            "livemode": False,
            "originating_transaction": None,
            "refunded": False,
            "refunds": {"object": "list", "data": [], "has_more": False,
                        "url": f"/v1/application_fees/{fee_id}/refunds"},
        })

    def _refund_application_fee(self, fee: dict, amount: int, request: dict) -> dict:
        fee_refund = self._store({"id": new_id("fr"), "object": "fee_refund", "amount": amount,
                                  "balance_transaction": new_id("txn"), "created": self.now(),
                                  "currency": fee["currency"], "fee": fee["id"], "metadata": {}})
        previous = {"amount_refunded": fee["amount_refunded"], "refunded": fee["refunded"]}
        fee["amount_refunded"] += amount
        fee["refunded"] = fee["amount_refunded"] == fee["amount"]
        refunds = [fee_refund, *fee["refunds"]["data"]]
        fee["refunds"].update(data=[dict(r) for r in refunds[:10]], has_more=len(refunds) > 10)
        self.emit("application_fee.refunded", fee, request, previous=previous)
        return fee_refund


def _share(left: int, whole: int, refunded: int, charge: dict, full: bool) -> int:
    """What a refund of `refunded` takes back of `whole` (a transfer or a fee): in proportion to the
    charge, never more than is `left`, all that is left once the charge is fully refunded."""
    if full:
        return left
    return min(left, whole * refunded // charge["amount"])
