"""The local provider plays Stripe's part for after-sales (issue 9 item 7): balances and
`balance_insufficient`, disputes (inquiries, opened on demand, decided locally, the full event
sequence), refunds that Stripe refuses or that fail later, destination charges with
`reverse_transfer` / `refund_application_fee`, and the gateway's dispute and balance methods.

Every event the provider sends is checked the way our webhook endpoint checks it
(`chalicelib.payments.webhooks.verify_signature` and the `StripeEvent` model).
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from urllib.parse import urlencode

import pytest
import stripe

from chalicelib.payments.port import PaymentError
from chalicelib.payments.stripe_gateway import StripeGateway
from chalicelib.payments.webhooks import StripeEvent, verify_signature
from devstack.localpay import DEFAULT_ENABLED_EVENTS, LocalPaymentProvider

SECRET = "whsec_localpay_aftersales"
OPENING = 10_000_000  # the platform's opening balance in EUR (devstack/localpay/balance.py)
DISPUTE_FEE = 1500


class VerifiedInbox:
    """Our webhook endpoint's checks on every delivery: a valid signature and a well-formed event."""

    def __init__(self):
        self.received: list[dict] = []

    def __call__(self, body: bytes, headers: dict) -> int:
        verify_signature(body, headers["Stripe-Signature"], [SECRET])
        StripeEvent.model_validate_json(body)
        self.received.append(json.loads(body))
        return 200

    def types(self) -> list[str]:
        return [event["type"] for event in self.received]

    def of_type(self, kind: str) -> list[dict]:
        return [event for event in self.received if event["type"] == kind]


@pytest.fixture
def inbox():
    return VerifiedInbox()


@pytest.fixture
def provider(inbox):
    events = set(DEFAULT_ENABLED_EVENTS) | {"refund.*", "application_fee.*"}
    with LocalPaymentProvider(SECRET, deliver=inbox, auto_deliver=False, enabled_events=events,
                              processing_delay=None) as running:
        yield running


@pytest.fixture
def gateway(provider):
    return StripeGateway(provider.api_key, api_base=provider.url, timeout=2.0, max_network_retries=0)


@pytest.fixture
def sdk(provider):
    return stripe.StripeClient(provider.api_key, base_addresses={"api": provider.url}, max_network_retries=0)


def paid(provider, gateway, card: str = "4242424242424242", amount: int = 5990, order: str = "ord-1") -> dict:
    customer = gateway.ensure_customer(shopper_id=f"shopper-{order}", email=None, existing_id=None)
    intent = gateway.create_payment_intent(order_id=order, amount=amount, currency="EUR", customer_id=customer,
                                           save_card=False, payment_method_id=None,
                                           idempotency_key=f"pi-{order}-{card}-{amount}")
    return provider.complete_payment(intent.id, card)


def control(provider, path: str, form: dict, *, key: str | None = "default") -> tuple[int, dict]:
    """A local control (`/_localpay/...`), as the devstack console or a script calls it."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if key:
        headers["Authorization"] = f"Bearer {provider.api_key if key == 'default' else key}"
    request = urllib.request.Request(f"{provider.url}{path}", data=urlencode(form).encode(), method="POST",
                                     headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def available(sdk, currency: str = "eur", account: str | None = None) -> int:
    options = {"stripe_account": account} if account else {}
    balance = sdk.v1.balance.retrieve(options=options)
    return next(entry.amount for entry in balance.available if entry.currency == currency)


# -- balance -----------------------------------------------------------------------------------


def test_the_balance_grows_with_charges_and_shrinks_with_refunds_and_transfers(provider, gateway, sdk):
    intent = paid(provider, gateway)
    vendor = provider.add_account()["id"]
    assert available(sdk) == OPENING + 5990

    gateway.refund(payment_intent_id=intent["id"], amount=1000, idempotency_key="re-1", reason="requested_by_customer")
    gateway.create_transfer(amount=4000, currency="EUR", destination=vendor, source_transaction=intent["latest_charge"],
                            transfer_group="ord-1", idempotency_key="tr-1", metadata={})

    assert available(sdk) == OPENING + 5990 - 1000 - 4000
    assert available(sdk, account=vendor) == 4000
    assert gateway.retrieve_balance() == {"eur": OPENING + 990}
    assert gateway.retrieve_balance(account_id=vendor) == {"eur": 4000}


def test_a_refund_the_balance_does_not_cover_is_refused_and_goes_through_once_topped_up(provider, gateway, sdk):
    intent = paid(provider, gateway)
    status, balance = control(provider, "/_localpay/balance", {"amount": "2000", "currency": "eur"})
    assert status == 200 and balance["available"][0] == {"amount": 2000, "currency": "eur",
                                                         "source_types": {"card": 2000}}

    with pytest.raises(PaymentError) as refused:
        gateway.refund(payment_intent_id=intent["id"], amount=2500, idempotency_key="re-too-much",
                       reason="requested_by_customer")
    provider.set_balance(2500)
    refund_id = gateway.refund(payment_intent_id=intent["id"], amount=2500, idempotency_key="re-topped-up",
                               reason="requested_by_customer")

    assert (refused.value.code, refused.value.status, refused.value.worth_retrying) == (
        "balance_insufficient", 400, False)
    assert provider.ledger.get("refund", refund_id)["amount"] == 2500
    assert available(sdk) == 0


def test_the_local_controls_need_the_secret_key_and_name_the_bad_field(provider):
    assert control(provider, "/_localpay/balance", {"amount": "1"}, key=None)[0] == 401
    assert control(provider, "/_localpay/balance", {"amount": "1"}, key="sk_test_wrong")[0] == 401
    status, body = control(provider, "/_localpay/balance", {"amount": "lots"})
    assert status == 400 and body["error"]["param"] == "amount"
    status, body = control(provider, "/_localpay/balance", {"amount": "1", "account": "acct_nobody"})
    assert status == 400 and body["error"]["param"] == "account"
    assert control(provider, "/_localpay/nothing", {})[0] == 404


# -- transfer reversals and the connected account's balance -------------------------------------


@pytest.fixture
def paid_out(provider, gateway):
    """5391 of a 5990 order transferred to the vendor from the charge (separate charges and transfers)."""
    intent = paid(provider, gateway)
    vendor = provider.add_account()["id"]
    transfer_id = gateway.create_transfer(amount=5391, currency="EUR", destination=vendor,
                                          source_transaction=intent["latest_charge"], transfer_group="ord-1",
                                          idempotency_key="tr-ord-1-v1", metadata={"vendor_id": "v1"})
    return {"intent": intent, "vendor": vendor, "transfer": transfer_id}


def test_a_reversal_the_vendors_balance_cannot_cover_is_refused_with_balance_insufficient(provider, gateway, sdk,
                                                                                           inbox, paid_out):
    status, _ = control(provider, "/_localpay/balance", {"amount": "1000", "account": paid_out["vendor"]})
    assert status == 200  # the vendor was paid out to its bank; 10.00 are left at the provider

    with pytest.raises(PaymentError) as refused:
        gateway.reverse_transfer(transfer_id=paid_out["transfer"], amount=2696, idempotency_key="trr-1",
                                 metadata={})
    partial = gateway.reverse_transfer(transfer_id=paid_out["transfer"], amount=1000, idempotency_key="trr-2",
                                       metadata={})
    provider.deliver_webhooks()

    assert (refused.value.code, refused.value.status, refused.value.param) == ("balance_insufficient", 400, "amount")
    transfer = sdk.v1.transfers.retrieve(paid_out["transfer"])
    assert (transfer.amount_reversed, [r.id for r in transfer.reversals.data]) == (1000, [partial])
    assert available(sdk, account=paid_out["vendor"]) == 0
    assert [e["data"]["object"]["amount_reversed"] for e in inbox.of_type("transfer.reversed")] == [1000]
    assert [e["data"]["object"]["amount_reversed"] for e in inbox.of_type("transfer.updated")] == [1000]


def test_a_reversal_without_amount_takes_back_the_rest(provider, sdk, paid_out):
    sdk.v1.transfers.reversals.create(paid_out["transfer"], params={"amount": 391})
    rest = sdk.v1.transfers.reversals.create(paid_out["transfer"], params={"metadata": {"why": "lost dispute"}})

    assert rest.amount == 5000 and rest.metadata.to_dict() == {"why": "lost dispute"}
    assert [r.amount for r in sdk.v1.transfers.reversals.list(paid_out["transfer"]).data] == [5000, 391]
    assert sdk.v1.transfers.retrieve(paid_out["transfer"]).reversed is True


# -- disputes ------------------------------------------------------------------------------------


def test_a_chargeback_opened_later_withdraws_amount_and_fee_and_winning_gives_both_back(provider, gateway, sdk,
                                                                                        inbox, paid_out):
    before = available(sdk)
    status, dispute = control(provider, f"/_localpay/charges/{paid_out['intent']['id']}/dispute",
                              {"reason": "product_not_received"})
    assert status == 200 and dispute["status"] == "needs_response"
    assert dispute["evidence_details"]["due_by"] == dispute["created"] + 7 * 86400
    assert available(sdk) == before - 5990 - DISPUTE_FEE

    staged = gateway.update_dispute(dispute["id"], evidence={"shipping_tracking_number": "JD014600003828"},
                                    submit=False)
    status, won = control(provider, f"/_localpay/disputes/{dispute['id']}/settle", {"outcome": "won"})
    provider.deliver_webhooks()

    assert staged["status"] == "needs_response" and staged["evidence"]["shipping_tracking_number"] == "JD014600003828"
    assert status == 200 and won["status"] == "won"
    assert available(sdk) == before
    assert [t for t in inbox.types() if t.startswith("charge.dispute.")] == [
        "charge.dispute.created", "charge.dispute.funds_withdrawn", "charge.dispute.updated",
        "charge.dispute.updated", "charge.dispute.closed", "charge.dispute.funds_reinstated"]
    assert gateway.retrieve_dispute(dispute["id"])["evidence_details"]["submission_count"] == 1


def test_a_lost_chargeback_keeps_the_money_and_the_charge_can_no_longer_be_refunded(provider, gateway, sdk, inbox):
    intent = paid(provider, gateway, card="4000000000000259")
    (dispute,) = sdk.v1.disputes.list(params={"payment_intent": intent["id"]}).data
    before = available(sdk)

    lost = gateway.update_dispute(dispute.id, evidence={"uncategorized_text": "losing_evidence"}, submit=True)
    with pytest.raises(PaymentError) as refused:
        gateway.refund(payment_intent_id=intent["id"], amount=None, idempotency_key="re-lost",
                       reason="requested_by_customer")
    with pytest.raises(PaymentError) as closed:
        gateway.close_dispute(dispute.id)
    provider.deliver_webhooks()

    assert lost["status"] == "lost" and available(sdk) == before
    assert (refused.value.code, refused.value.status) == ("charge_disputed", 409)
    assert closed.value.status == 400
    assert inbox.of_type("charge.dispute.funds_reinstated") == []
    assert [e["data"]["object"]["status"] for e in inbox.of_type("charge.dispute.closed")] == ["lost"]


def test_an_inquiry_withdraws_nothing_leaves_the_charge_refundable_and_closes_as_a_warning(provider, gateway, sdk,
                                                                                          inbox):
    before = available(sdk)
    intent = paid(provider, gateway, card="4000000000001976")
    (inquiry,) = sdk.v1.disputes.list(params={"payment_intent": intent["id"]}).data
    assert (inquiry.status, inquiry.is_charge_refundable) == ("warning_needs_response", True)
    assert inquiry.payment_method_details.card.case_type == "inquiry"
    assert available(sdk) == before + 5990

    gateway.refund(payment_intent_id=intent["id"], amount=990, idempotency_key="re-inquiry",
                   reason="requested_by_customer")
    closed = gateway.update_dispute(inquiry.id, evidence={"uncategorized_text": "winning_evidence"}, submit=True)
    provider.deliver_webhooks()

    assert closed["status"] == "warning_closed"
    assert "charge.dispute.funds_withdrawn" not in inbox.types()
    assert available(sdk) == before + 5000


def test_an_inquiry_lost_is_charged_back_then(provider, gateway, sdk, inbox):
    intent = paid(provider, gateway, card="4000000000001976")
    (inquiry,) = sdk.v1.disputes.list(params={"payment_intent": intent["id"]}).data
    before = available(sdk)

    assert gateway.close_dispute(inquiry.id)["status"] == "lost"
    provider.deliver_webhooks()

    assert available(sdk) == before - 5990 - DISPUTE_FEE
    types = inbox.types()
    assert types.index("charge.dispute.funds_withdrawn") < types.index("charge.dispute.closed")


def test_a_dispute_is_opened_only_on_a_paid_charge_once_and_within_what_was_not_refunded(provider, gateway):
    intent = paid(provider, gateway)
    gateway.refund(payment_intent_id=intent["id"], amount=5000, idempotency_key="re-most",
                   reason="requested_by_customer")

    too_much = control(provider, f"/_localpay/charges/{intent['latest_charge']}/dispute", {"amount": "991"})
    first = control(provider, f"/_localpay/charges/{intent['latest_charge']}/dispute", {"inquiry": "true"})
    again = control(provider, f"/_localpay/charges/{intent['latest_charge']}/dispute", {})
    unknown = control(provider, "/_localpay/charges/ch_nothing/dispute", {})

    assert too_much[0] == 400 and too_much[1]["error"]["param"] == "amount"
    assert first[0] == 200 and first[1]["amount"] == 990 and first[1]["status"] == "warning_needs_response"
    assert again[0] == 400 and "already has an open dispute" in again[1]["error"]["message"]
    assert unknown[0] == 400 and unknown[1]["error"]["param"] == "charge"


def test_a_settled_dispute_cannot_be_settled_again_and_outcome_is_named(provider, gateway, sdk):
    intent = paid(provider, gateway, card="4000000000002685")
    (dispute,) = sdk.v1.disputes.list(params={"payment_intent": intent["id"]}).data
    assert dispute.reason == "product_not_received"

    wrong = control(provider, f"/_localpay/disputes/{dispute.id}/settle", {"outcome": "maybe"})
    lost = control(provider, f"/_localpay/disputes/{dispute.id}/settle", {"outcome": "lost"})
    again = control(provider, f"/_localpay/disputes/{dispute.id}/settle", {"outcome": "won"})

    assert wrong[0] == 400 and wrong[1]["error"]["param"] == "outcome"
    assert lost[0] == 200 and lost[1]["status"] == "lost"
    assert again[0] == 400 and again[1]["error"]["param"] == "dispute"
    assert gateway.retrieve_dispute("dp_unknown") is None


def test_a_dispute_left_without_evidence_past_its_due_date_is_lost(inbox):
    now = [1_800_000_000.0]
    with LocalPaymentProvider(SECRET, deliver=inbox, auto_deliver=False, processing_delay=None,
                              clock=lambda: now[0]) as provider:
        sdk = stripe.StripeClient(provider.api_key, base_addresses={"api": provider.url}, max_network_retries=0)
        waiting = sdk.v1.payment_intents.create(params={"amount": 5990, "currency": "eur", "confirm": True,
                                                        "payment_method": "pm_card_createDispute",
                                                        "payment_method_types": ["card"]})
        answered = sdk.v1.payment_intents.create(params={"amount": 1200, "currency": "eur", "confirm": True,
                                                         "payment_method": "pm_card_createDispute",
                                                         "payment_method_types": ["card"]})
        (late,) = sdk.v1.disputes.list(params={"payment_intent": waiting.id}).data
        (reviewed,) = sdk.v1.disputes.list(params={"payment_intent": answered.id}).data
        sdk.v1.disputes.update(reviewed.id, params={"evidence": {"product_description": "A blue bowl"}})

        assert provider.expire_disputes() == []  # not yet due
        now[0] = late.evidence_details.due_by + 1
        status, expired = control(provider, "/_localpay/disputes/expire", {})
        provider.deliver_webhooks()

        assert status == 200 and [d["id"] for d in expired["data"]] == [late.id]
        after = sdk.v1.disputes.retrieve(late.id)
        assert (after.status, after.evidence_details.past_due) == ("lost", True)
        assert sdk.v1.disputes.retrieve(reviewed.id).status == "under_review"
        closed = [e["data"]["object"]["id"] for e in inbox.of_type("charge.dispute.closed")]
        assert closed == [late.id]


# -- refunds that fail or settle later -------------------------------------------------------------


def test_a_refund_of_the_5126_card_succeeds_then_fails_and_the_money_comes_back(provider, gateway, sdk, inbox):
    intent = paid(provider, gateway, card="4000000000005126")
    before = available(sdk)
    refund_id = gateway.refund(payment_intent_id=intent["id"], amount=2000, idempotency_key="re-5126",
                               reason="requested_by_customer")
    assert gateway.retrieve_refund(refund_id).status == "succeeded"
    assert available(sdk) == before - 2000

    provider.settle_refunds()
    provider.deliver_webhooks()

    failed = sdk.v1.refunds.retrieve(refund_id)
    assert (failed.status, failed.failure_reason) == ("failed", "expired_or_canceled_card")
    assert sdk.v1.charges.retrieve(intent["latest_charge"]).amount_refunded == 0
    assert available(sdk) == before
    assert inbox.types()[-2:] == ["refund.updated", "refund.failed"]
    assert inbox.of_type("refund.failed")[0]["data"]["previous_attributes"] == {"status": "succeeded"}


def test_a_refund_of_the_7726_card_is_pending_then_succeeds(provider, gateway, sdk, inbox):
    intent = paid(provider, gateway, card="4000000000007726")
    refund_id = gateway.refund(payment_intent_id=intent["id"], amount=None, idempotency_key="re-7726",
                               reason="requested_by_customer")
    assert gateway.retrieve_refund(refund_id).status == "pending"

    provider.settle_refunds(refund_id)
    provider.deliver_webhooks()

    assert gateway.retrieve_refund(refund_id).status == "succeeded"
    (updated,) = inbox.of_type("refund.updated")
    assert updated["data"]["previous_attributes"] == {"status": "pending"}
    assert inbox.of_type("refund.failed") == []


def test_any_refund_can_be_made_to_fail_once_by_the_local_control(provider, gateway, sdk, inbox):
    intent = paid(provider, gateway)
    refund_id = gateway.refund(payment_intent_id=intent["id"], amount=None, idempotency_key="re-all",
                               reason="requested_by_customer")

    status, failed = control(provider, f"/_localpay/refunds/{refund_id}/fail", {"failure_reason": "lost_or_stolen_card"})
    again = control(provider, f"/_localpay/refunds/{refund_id}/fail", {})
    provider.deliver_webhooks()

    assert status == 200 and (failed["status"], failed["failure_reason"]) == ("failed", "lost_or_stolen_card")
    assert again[0] == 400 and again[1]["error"]["param"] == "refund"
    assert len(inbox.of_type("refund.failed")) == 1
    # The failed amount may be refunded again.
    assert gateway.refund(payment_intent_id=intent["id"], amount=None, idempotency_key="re-all-again",
                          reason="requested_by_customer").startswith("re_")


# -- destination charges: reverse_transfer and refund_application_fee ------------------------------


def test_reverse_transfer_and_refund_application_fee_are_refused_on_a_charge_without_transfer(provider, gateway,
                                                                                             sdk):
    intent = paid(provider, gateway)
    for flag in ("reverse_transfer", "refund_application_fee"):
        with pytest.raises(stripe.InvalidRequestError) as refused:
            sdk.v1.refunds.create(params={"payment_intent": intent["id"], flag: True})
        assert refused.value.param == flag
    assert sdk.v1.charges.retrieve(intent["latest_charge"]).amount_refunded == 0


def test_a_destination_charge_refund_reverses_its_transfer_and_fee_in_proportion(provider, sdk, inbox):
    vendor = provider.add_account()["id"]
    intent = sdk.v1.payment_intents.create(params={
        "amount": 10000, "currency": "eur", "payment_method": "pm_card_visa", "payment_method_types": ["card"],
        "confirm": True, "transfer_data": {"destination": vendor}, "application_fee_amount": 1000})
    charge = sdk.v1.charges.retrieve(intent.latest_charge)
    assert available(sdk, account=vendor) == 9000  # the transfer, less the platform's fee

    refund = sdk.v1.refunds.create(params={"payment_intent": intent.id, "amount": 2500, "reverse_transfer": True,
                                           "refund_application_fee": True})
    provider.deliver_webhooks()

    transfer = sdk.v1.transfers.retrieve(charge.transfer)
    reversal = sdk.v1.transfers.reversals.retrieve(charge.transfer, refund.transfer_reversal)
    fee = sdk.v1.application_fees.retrieve(charge.application_fee)
    assert (transfer.amount, transfer.amount_reversed, reversal.source_refund) == (10000, 2500, refund.id)
    assert (fee.amount, fee.amount_refunded) == (1000, 250)
    assert available(sdk, account=vendor) == 9000 - 2500 + 250
    assert "transfer.reversed" in inbox.types() and "application_fee.refunded" in inbox.types()


def test_a_destination_charge_needs_an_onboarded_destination_and_a_fee_within_the_amount(provider, sdk):
    pending = provider.add_account(onboarded=False)["id"]
    ready = provider.add_account()["id"]
    cases = [({"transfer_data": {"destination": pending}}, "transfer_data[destination]"),
             ({"transfer_data": {"destination": ready}, "application_fee_amount": 20000}, "application_fee_amount"),
             ({"application_fee_amount": 100}, "application_fee_amount")]
    for extra, param in cases:
        with pytest.raises(stripe.InvalidRequestError) as refused:
            sdk.v1.payment_intents.create(params={"amount": 10000, "currency": "eur",
                                                  "payment_method_types": ["card"], **extra})
        assert refused.value.param == param


# -- snapshot ----------------------------------------------------------------------------------------


def test_a_snapshot_keeps_the_balance_set_and_the_refunds_still_to_fail(provider, gateway, sdk):
    intent = paid(provider, gateway, card="4000000000005126")
    refund_id = gateway.refund(payment_intent_id=intent["id"], amount=1000, idempotency_key="re-later",
                               reason="requested_by_customer")
    provider.set_balance(1234)

    restored = LocalPaymentProvider.from_json(json.loads(json.dumps(provider.to_json())), SECRET,
                                              processing_delay=None)
    assert restored.balance()["available"][0]["amount"] == 1234
    (failed,) = restored.settle_refunds()
    assert (failed["id"], failed["status"]) == (refund_id, "failed")
    assert restored.balance()["available"][0]["amount"] == 2234
