"""Disputes on the local provider, as in Stripe's test mode.

Opening one: the dispute test cards (4000000000000259 fraudulent, 4000000000002685 product not
received) succeed, then the cardholder disputes the whole charge; 4000000000001976 opens an
inquiry instead. Stripe cannot dispute an older charge on demand; locally
`LocalPaymentProvider.open_dispute` / `POST /_localpay/charges/{id}/dispute` can (e.g. a
chargeback that arrives after the vendor was paid).

A chargeback (`needs_response`): `charge.dispute.created`, then the disputed amount and the
dispute fee are withdrawn from the platform's balance at once (`charge.dispute.funds_withdrawn`).
An inquiry (`warning_needs_response`) withdraws nothing and leaves the charge refundable.
`evidence_details.due_by` is seven days after opening.

Deciding one, as in test mode: evidence whose `uncategorized_text` is `winning_evidence` wins
(`won`, the amount and fee reinstated with `charge.dispute.funds_reinstated`; an inquiry is
`warning_closed`), `losing_evidence` loses (`lost`; an inquiry lost is charged back then: its
funds are withdrawn), anything else puts it under review. Evidence with `submit=false` is staged
(`charge.dispute.updated`, status unchanged); the next submission sends the whole hash.
`POST /v1/disputes/{id}/close` accepts it as lost. Events, in order: updated (the evidence),
closed, and funds_reinstated when won. One still waiting for evidence after its `due_by` is lost
(`past_due`) when `expire_disputes` runs (`POST /_localpay/disputes/expire`).
"""

from __future__ import annotations

from typing import Any

from devstack.localpay.balance import DISPUTE_FEE
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

EVIDENCE_DAYS = 7
DISPUTE_REASONS = ("bank_cannot_process", "check_returned", "credit_not_processed", "customer_initiated",
                   "debit_not_authorized", "duplicate", "fraudulent", "general", "incorrect_account_details",
                   "insufficient_funds", "noncompliant", "product_not_received", "product_unacceptable",
                   "subscription_canceled", "unrecognized")


class DisputeMixin:
    """Mixed into `Ledger` (which provides objects, get, emit, now, _store, of_kind, listing)."""

    DISPUTE_EVIDENCE_FIELDS = (
        "access_activity_log", "billing_address", "cancellation_policy", "cancellation_policy_disclosure",
        "cancellation_rebuttal", "customer_communication", "customer_email_address", "customer_name",
        "customer_purchase_ip", "customer_signature", "duplicate_charge_documentation",
        "duplicate_charge_explanation", "duplicate_charge_id", "product_description", "receipt", "refund_policy",
        "refund_policy_disclosure", "refund_refusal_explanation", "service_date", "service_documentation",
        "shipping_address", "shipping_carrier", "shipping_date", "shipping_documentation",
        "shipping_tracking_number", "uncategorized_file", "uncategorized_text",
    )
    OPEN_DISPUTE_STATUSES = ("warning_needs_response", "warning_under_review", "needs_response", "under_review")

    def _open_dispute(self, charge: dict, reason: str, request: dict, *, inquiry: bool = False,
                      amount: int | None = None) -> dict:
        """The cardholder disputes the charge (a dispute test card, or `open_dispute`)."""
        card = charge["payment_method_details"]["card"]
        dispute = self._store({
            "id": new_id("dp"),
            "object": "dispute",
            "amount": amount or charge["amount"] - charge["amount_refunded"],
            "balance_transactions": [],
            "charge": charge["id"],
            "created": self.now(),
            "currency": charge["currency"],
            "enhanced_eligibility_types": [],
            "evidence": {**{name: None for name in self.DISPUTE_EVIDENCE_FIELDS}, "enhanced_evidence": {}},
            "evidence_details": {"due_by": self.now() + EVIDENCE_DAYS * 86400, "has_evidence": False,
                                 "past_due": False, "submission_count": 0, "enhanced_eligibility": {}},
            "is_charge_refundable": inquiry,
            "livemode": False,
            "metadata": {},
            "payment_intent": charge["payment_intent"],
            "payment_method_details": {"card": {"brand": card["brand"],
                                                "case_type": "inquiry" if inquiry else "chargeback",
                                                "network_reason_code": "10.4", "network": card["network"]},
                                       "type": "card"},
            "reason": reason,
            "status": "warning_needs_response" if inquiry else "needs_response",
        })
        charge["disputed"] = True
        self.emit("charge.dispute.created", dispute, request)
        if not inquiry:
            self._withdraw_disputed_funds(dispute, request)
        return dispute

    def open_dispute(self, params: dict, request: dict, charge_id: str) -> dict:
        """`POST /_localpay/charges/{id}/dispute` (a payment_intent id works too): reason, inquiry, amount."""
        check_known(params, {"reason", "inquiry", "amount"})
        charge = self.objects.get(charge_id)
        if charge and charge.get("object") == "payment_intent":
            charge = self.objects.get(charge.get("latest_charge") or "")
        if not charge or charge.get("object") != "charge":
            raise invalid(f"No such charge: '{charge_id}'", param="charge", code="resource_missing")
        if charge["status"] != "succeeded":
            raise invalid(f"Charge {charge['id']} has not succeeded: there is nothing to dispute.", param="charge")
        if any(d["status"] in self.OPEN_DISPUTE_STATUSES for d in self.of_kind("dispute", charge=charge["id"])):
            raise invalid(f"Charge {charge['id']} already has an open dispute.", param="charge")
        left = charge["amount"] - charge["amount_refunded"]
        amount = get_int(params, "amount", minimum=1)
        if left <= 0 or (amount is not None and amount > left):
            raise invalid(f"A dispute can be at most what was not refunded ({format_money(left, charge['currency'])})"
                          ".", param="amount")
        reason = get_choice(params, "reason", DISPUTE_REASONS) or "fraudulent"
        return self._open_dispute(charge, reason, request, inquiry=get_bool(params, "inquiry"), amount=amount)

    def _withdraw_disputed_funds(self, dispute: dict, request: dict) -> None:
        # A chargeback takes the money from the platform's balance when it is opened, not when it is lost.
        dispute["balance_transactions"].append(self._dispute_balance_transaction(dispute, -dispute["amount"],
                                                                                 "Chargeback withdrawal"))
        self.emit("charge.dispute.funds_withdrawn", dispute, request)

    def _dispute_balance_transaction(self, dispute: dict, amount: int, description: str) -> dict:
        fee = DISPUTE_FEE if amount < 0 else -DISPUTE_FEE  # Stripe's dispute fee, returned when the dispute is won
        return {"id": new_id("txn"), "object": "balance_transaction", "amount": amount,
                "available_on": self.now(), "created": self.now(), "currency": dispute["currency"],
                "description": f"{description} for {dispute['charge']}", "exchange_rate": None, "fee": fee,
                "fee_details": [{"amount": fee, "application": None, "currency": dispute["currency"],
                                 "description": "Dispute fee", "type": "stripe_fee"}],
                "net": amount - fee, "reporting_category": "dispute" if amount < 0 else "dispute_reversal",
                "source": dispute["id"], "status": "available", "type": "adjustment"}

    def _closed_dispute_error(self, dispute: dict) -> StripeAPIError:
        return invalid(f"This dispute is already closed (status {dispute['status']}); it can no longer be updated.",
                       param="dispute")

    def update_dispute(self, dispute_id: str, params: dict, request: dict) -> dict:
        check_known(params, {"evidence", "metadata", "submit"})
        dispute = self.get("dispute", dispute_id)
        evidence = params.get("evidence")
        if evidence is not None and evidence != "" and not isinstance(evidence, dict):
            raise invalid("Invalid hash", param="evidence")
        previous: dict[str, Any] = {}
        if "metadata" in params:
            previous["metadata"] = dispute["metadata"]
            dispute["metadata"] = get_metadata(params, dispute["metadata"])
        if evidence:
            if dispute["status"] not in self.OPEN_DISPUTE_STATUSES:
                raise self._closed_dispute_error(dispute)
            unknown = sorted(set(evidence) - set(self.DISPUTE_EVIDENCE_FIELDS))
            if unknown:
                raise invalid(f"Received unknown parameter: evidence[{unknown[0]}]", param=f"evidence[{unknown[0]}]")
            for name, value in evidence.items():
                if not isinstance(value, str):
                    raise invalid("Invalid string", param=f"evidence[{name}]")
            previous["evidence"] = dict(dispute["evidence"])
            dispute["evidence"].update({k: v or None for k, v in evidence.items()})
            dispute["evidence_details"]["has_evidence"] = True
        submit = get_bool(params, "submit", default=True)
        if evidence and submit:
            previous.update(status=dispute["status"], evidence_details=dict(dispute["evidence_details"]))
            dispute["evidence_details"]["submission_count"] += 1
            text = dispute["evidence"].get("uncategorized_text") or ""
            inquiry = dispute["status"].startswith("warning_")
            if "winning_evidence" in text:
                outcome = "warning_closed" if inquiry else "won"
            elif "losing_evidence" in text:
                outcome = "lost"
            else:
                outcome = "warning_under_review" if inquiry else "under_review"
            dispute["status"] = outcome
            self.emit("charge.dispute.updated", dispute, request, previous=previous)
            if outcome not in self.OPEN_DISPUTE_STATUSES:
                self._close_dispute(dispute, request, previous_status=previous["status"])
            return dispute
        if previous:
            self.emit("charge.dispute.updated", dispute, request, previous=previous)
        return dispute

    def close_dispute(self, dispute_id: str, params: dict, request: dict) -> dict:
        """Accept the dispute: it is lost, the funds stay with the cardholder."""
        check_known(params, set())
        dispute = self.get("dispute", dispute_id)
        if dispute["status"] not in self.OPEN_DISPUTE_STATUSES:
            raise self._closed_dispute_error(dispute)
        previous_status, dispute["status"] = dispute["status"], "lost"
        self._close_dispute(dispute, request, previous_status=previous_status)
        return dispute

    def settle_dispute_from_form(self, dispute_id: str, params: dict, request: dict) -> dict:
        """`POST /_localpay/disputes/{id}/settle` with `outcome=won|lost`: the test-mode evidence, submitted."""
        check_known(params, {"outcome"})
        outcome = get_choice(params, "outcome", ("won", "lost"))
        if outcome is None:
            raise invalid("Missing required param: outcome.", param="outcome", code="parameter_missing")
        text = "winning_evidence" if outcome == "won" else "losing_evidence"
        return self.update_dispute(dispute_id, {"evidence": {"uncategorized_text": text}}, request)

    def expire_disputes(self, params: dict, request: dict) -> dict:
        """Disputes still waiting for evidence past `evidence_details.due_by` are lost, as the bank decides
        them (`past_due`; `charge.dispute.updated` then `closed`). Evidence already submitted is not late."""
        check_known(params, set())
        expired = []
        for dispute in self.of_kind("dispute"):
            waiting = dispute["status"] in ("needs_response", "warning_needs_response")
            if waiting and dispute["evidence_details"]["due_by"] <= self.now():
                previous = {"status": dispute["status"], "evidence_details": dict(dispute["evidence_details"])}
                dispute["evidence_details"]["past_due"] = True
                dispute["status"] = "lost"
                self.emit("charge.dispute.updated", dispute, request, previous=previous)
                self._close_dispute(dispute, request, previous_status=previous["status"])
                expired.append(dispute)
        return {"object": "list", "data": expired, "has_more": False, "url": "/_localpay/disputes/expire"}

    def _close_dispute(self, dispute: dict, request: dict, *, previous_status: str) -> None:
        dispute["is_charge_refundable"] = dispute["status"] in ("won", "warning_closed")
        if dispute["status"] == "lost" and not dispute["balance_transactions"]:
            self._withdraw_disputed_funds(dispute, request)  # an inquiry lost: charged back now
        self.emit("charge.dispute.closed", dispute, request, previous={"status": previous_status})
        if dispute["status"] == "won" and dispute["balance_transactions"]:
            before = {"balance_transactions": [dict(t) for t in dispute["balance_transactions"]]}
            dispute["balance_transactions"].append(
                self._dispute_balance_transaction(dispute, dispute["amount"], "Chargeback reversal"))
            self.emit("charge.dispute.funds_reinstated", dispute, request, previous=before)

    def list_disputes(self, params: dict) -> dict:
        check_known(params, {"limit", "starting_after", "ending_before", "charge", "payment_intent", "created"})
        matching = {k: params[k] for k in ("charge", "payment_intent") if get_str(params, k)}
        return self.listing(self.of_kind("dispute", **matching), params, "/v1/disputes")

    def refusal_for_disputed(self, charge: dict, param: str) -> StripeAPIError | None:
        """Stripe refuses to refund a charged-back payment (open or lost), but not during an inquiry."""
        if any(not d["is_charge_refundable"] and d["status"] not in ("won", "warning_closed")  # older snapshots
               for d in self.of_kind("dispute", charge=charge["id"])):
            return StripeAPIError(400, f"Charge {charge['id']} has been charged back; cannot issue a refund.",
                                  code="charge_disputed", param=param)
        return None
