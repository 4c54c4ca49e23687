"""Money going back: transfer reversals and disputes on the local provider, through Stripe's own SDK
and through `StripeGateway` (issue 7 item 1: a payout after a refund or during a chargeback).

With separate charges and transfers a refund does not reverse a vendor's transfer: the platform
reverses it (`POST /v1/transfers/{id}/reversals`). A chargeback withdraws the money from the
platform when it opens; test-mode evidence decides it.
"""

from __future__ import annotations

import json

import pytest
import stripe

from chalicelib.payments.port import PaymentError
from chalicelib.payments.stripe_gateway import StripeGateway
from devstack.localpay import DEFAULT_ENABLED_EVENTS, LocalPaymentProvider

SECRET = "whsec_money_back_tests"


class Inbox:
    def __init__(self):
        self.received: list[dict] = []

    def __call__(self, body: bytes, headers: dict) -> int:
        self.received.append(json.loads(body))
        return 200

    def types(self) -> list[str]:
        return [event["type"] for event in self.received]

    def of_type(self, kind: str) -> list[dict]:
        return [event for event in self.received if event["type"] == kind]


@pytest.fixture
def platform():
    return Inbox()


@pytest.fixture
def provider(platform):
    events = set(DEFAULT_ENABLED_EVENTS) | {"transfer.updated", "refund.*"}
    with LocalPaymentProvider(SECRET, deliver=platform, auto_deliver=False, enabled_events=events) as running:
        yield running


@pytest.fixture
def gateway(provider):
    return StripeGateway(provider.api_key, api_base=provider.url, timeout=2.0, max_network_retries=0)


@pytest.fixture
def sdk(provider):
    return stripe.StripeClient(provider.api_key, base_addresses={"api": provider.url}, max_network_retries=0)


def paid_intent(provider, gateway, card: str = "4242424242424242", amount: int = 5990) -> dict:
    customer = gateway.ensure_customer(shopper_id="shopper-ada", email=None, existing_id=None)
    intent = gateway.create_payment_intent(order_id="ord-1", amount=amount, currency="EUR", customer_id=customer,
                                           save_card=False, payment_method_id=None,
                                           idempotency_key=f"pi-ord-1-{card}-{amount}")
    return provider.complete_payment(intent.id, card)


@pytest.fixture
def transfer(provider, gateway):
    """5391 of a 5990 order paid out to the vendor, as the defect did."""
    intent = paid_intent(provider, gateway)
    vendor = provider.add_account()["id"]
    transfer_id = gateway.create_transfer(amount=5391, currency="EUR", destination=vendor,
                                          source_transaction=intent["latest_charge"], transfer_group="ord-1",
                                          idempotency_key="tr-ord-1-v1", metadata={"vendor_id": "v1"})
    return {"id": transfer_id, "intent": intent, "vendor": vendor}


# -- transfer reversals ----------------------------------------------------------------------------


def test_a_reversal_takes_part_of_the_transfer_back_and_tells_the_platform(provider, gateway, sdk, platform,
                                                                           transfer):
    reversal_id = gateway.reverse_transfer(transfer_id=transfer["id"], amount=2696,
                                           idempotency_key="trr-ord-1-v1-re1", metadata={"refund_id": "re_1"})
    provider.deliver_webhooks()

    assert reversal_id.startswith("trr_")
    after = sdk.v1.transfers.retrieve(transfer["id"])
    assert (after.amount_reversed, after.reversed) == (2696, False)
    (listed,) = sdk.v1.transfers.reversals.list(transfer["id"]).data
    assert (listed.id, listed.amount, listed.transfer, listed.metadata.to_dict()) == (
        reversal_id, 2696, transfer["id"], {"refund_id": "re_1"})
    (reversed_event,) = platform.of_type("transfer.reversed")
    assert "account" not in reversed_event  # transfers are the platform's objects
    assert reversed_event["data"]["object"]["amount_reversed"] == 2696
    assert reversed_event["data"]["previous_attributes"]["amount_reversed"] == 0
    assert platform.of_type("transfer.updated")[0]["data"]["object"]["reversals"]["data"][0]["id"] == reversal_id


def test_no_more_than_what_is_left_can_be_reversed(provider, gateway, sdk, transfer):
    gateway.reverse_transfer(transfer_id=transfer["id"], amount=5000, idempotency_key="trr-a", metadata={})
    with pytest.raises(PaymentError) as too_much:
        gateway.reverse_transfer(transfer_id=transfer["id"], amount=392, idempotency_key="trr-b", metadata={})
    gateway.reverse_transfer(transfer_id=transfer["id"], amount=391, idempotency_key="trr-c", metadata={})
    with pytest.raises(PaymentError) as nothing_left:
        gateway.reverse_transfer(transfer_id=transfer["id"], amount=1, idempotency_key="trr-d", metadata={})

    assert (too_much.value.code, too_much.value.status, too_much.value.retryable) == ("amount_too_large", 400, False)
    assert nothing_left.value.code == "amount_too_large"
    after = sdk.v1.transfers.retrieve(transfer["id"])
    assert (after.amount_reversed, after.reversed) == (5391, True)


def test_a_retried_reversal_with_its_key_reverses_once(provider, gateway, sdk, transfer):
    first = gateway.reverse_transfer(transfer_id=transfer["id"], amount=1000, idempotency_key="trr-once",
                                     metadata={"vendor_id": "v1"})
    again = gateway.reverse_transfer(transfer_id=transfer["id"], amount=1000, idempotency_key="trr-once",
                                     metadata={"vendor_id": "v1"})
    with pytest.raises(PaymentError) as other_amount:
        gateway.reverse_transfer(transfer_id=transfer["id"], amount=1200, idempotency_key="trr-once",
                                 metadata={"vendor_id": "v1"})

    assert first == again
    assert sdk.v1.transfers.retrieve(transfer["id"]).amount_reversed == 1000
    assert len(sdk.v1.transfers.reversals.list(transfer["id"]).data) == 1
    assert (other_amount.value.code, other_amount.value.status) == ("idempotency_conflict", 409)


def test_reversing_an_unknown_transfer_is_not_found(gateway):
    with pytest.raises(PaymentError) as unknown:
        gateway.reverse_transfer(transfer_id="tr_nope", amount=1, idempotency_key="trr-x", metadata={})
    assert unknown.value.status == 404


def test_what_was_reversed_can_be_transferred_again_from_the_charge(provider, gateway, transfer):
    gateway.reverse_transfer(transfer_id=transfer["id"], amount=5391, idempotency_key="trr-all", metadata={})
    again = gateway.create_transfer(amount=5990, currency="EUR", destination=transfer["vendor"],
                                    source_transaction=transfer["intent"]["latest_charge"], transfer_group="ord-1",
                                    idempotency_key="tr-ord-1-v1-again", metadata={})
    assert again.startswith("tr_")


def test_a_dashboard_refund_by_payment_intent_sends_refund_and_charge_events(provider, gateway, platform, transfer):
    refund_id = gateway.refund(payment_intent_id=transfer["intent"]["id"], amount=None, idempotency_key="re-all",
                               reason="requested_by_customer")
    provider.deliver_webhooks()

    assert refund_id.startswith("re_")
    (refunded,) = platform.of_type("charge.refunded")
    assert (refunded["data"]["object"]["amount_refunded"], refunded["data"]["object"]["refunded"]) == (5990, True)
    assert platform.of_type("refund.created")[0]["data"]["object"]["id"] == refund_id
    # Stripe leaves the vendor's transfer alone: reversing it is the platform's job.
    assert provider.ledger.get("transfer", transfer["id"])["amount_reversed"] == 0


# -- disputes ------------------------------------------------------------------------------------


@pytest.fixture
def disputed(provider, gateway, platform):
    intent = paid_intent(provider, gateway, card="4000000000000259")
    provider.deliver_webhooks()
    (created,) = platform.of_type("charge.dispute.created")
    return {"intent": intent, "dispute": created["data"]["object"]}


def test_the_dispute_card_opens_a_chargeback_and_withdraws_the_funds(platform, disputed):
    dispute = disputed["dispute"]
    assert (dispute["status"], dispute["amount"], dispute["payment_intent"]) == (
        "needs_response", 5990, disputed["intent"]["id"])
    types = platform.types()
    assert types.index("charge.dispute.created") < types.index("charge.dispute.funds_withdrawn")
    (withdrawn,) = platform.of_type("charge.dispute.funds_withdrawn")
    (withdrawal,) = withdrawn["data"]["object"]["balance_transactions"]
    assert withdrawal["amount"] == -5990


def test_a_charged_back_payment_cannot_be_refunded(gateway, disputed):
    with pytest.raises(PaymentError) as refused:
        gateway.refund(payment_intent_id=disputed["intent"]["id"], amount=None, idempotency_key="re-disputed",
                       reason="requested_by_customer")
    assert (refused.value.code, refused.value.status) == ("charge_disputed", 409)


def test_winning_evidence_wins_the_dispute_and_reinstates_the_funds(provider, sdk, platform, disputed):
    won = sdk.v1.disputes.update(disputed["dispute"]["id"],
                                 params={"evidence": {"uncategorized_text": "winning_evidence"}})
    provider.deliver_webhooks()

    assert won.status == "won"
    (closed,) = platform.of_type("charge.dispute.closed")
    assert closed["data"]["object"]["status"] == "won"
    assert closed["data"]["previous_attributes"] == {"status": "needs_response"}
    (reinstated,) = platform.of_type("charge.dispute.funds_reinstated")
    assert [t["amount"] for t in reinstated["data"]["object"]["balance_transactions"]] == [-5990, 5990]


def test_losing_evidence_loses_it_and_the_money_stays_withdrawn(provider, sdk, platform, disputed):
    lost = sdk.v1.disputes.update(disputed["dispute"]["id"],
                                  params={"evidence": {"uncategorized_text": "losing_evidence"}})
    provider.deliver_webhooks()

    assert lost.status == "lost"
    assert [e["data"]["object"]["status"] for e in platform.of_type("charge.dispute.closed")] == ["lost"]
    assert platform.of_type("charge.dispute.funds_reinstated") == []


def test_staged_evidence_counts_only_once_submitted(provider, sdk, disputed):
    staged = sdk.v1.disputes.update(disputed["dispute"]["id"],
                                    params={"evidence": {"uncategorized_text": "winning_evidence"}, "submit": False})
    assert staged.status == "needs_response" and staged.evidence_details.submission_count == 0

    reviewed = sdk.v1.disputes.update(disputed["dispute"]["id"],
                                      params={"evidence": {"product_description": "A blue bowl"}})

    # The staged winning text went in with this submission: Stripe submits the whole evidence hash.
    assert reviewed.status == "won"


def test_plain_evidence_is_under_review(provider, sdk, disputed):
    reviewed = sdk.v1.disputes.update(disputed["dispute"]["id"],
                                      params={"evidence": {"product_description": "A blue bowl"}})
    assert reviewed.status == "under_review"


def test_closing_a_dispute_accepts_it_as_lost_and_a_closed_dispute_cannot_change(provider, sdk, platform, disputed):
    closed = sdk.v1.disputes.close(disputed["dispute"]["id"])
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.disputes.update(disputed["dispute"]["id"], params={"evidence": {"uncategorized_text": "x"}})
    with pytest.raises(stripe.InvalidRequestError):
        sdk.v1.disputes.close(disputed["dispute"]["id"])

    assert closed.status == "lost"
    (listed,) = sdk.v1.disputes.list(params={"payment_intent": disputed["intent"]["id"]}).data
    assert listed.status == "lost"


def test_the_local_control_settles_a_dispute_won_or_lost(provider, gateway, platform, disputed):
    assert provider.settle_dispute(disputed["dispute"]["id"], won=True)["status"] == "won"
    other = paid_intent(provider, gateway, card="4000000000000259", amount=1200)
    provider.deliver_webhooks()
    second = next(e["data"]["object"] for e in platform.of_type("charge.dispute.created")
                  if e["data"]["object"]["payment_intent"] == other["id"])
    assert provider.settle_dispute(second["id"], won=False)["status"] == "lost"
