"""StripeGateway runs the real Stripe SDK against the local provider over HTTP.

What is checked is what the provider ends up holding (the payment intents, customers, refunds
and transfers it created, once each however often the SDK retried) and how every kind of failure
(declines, bad key, 5xx, timeouts, refused connections) reaches our code as a `PaymentError` that
says whether to retry. Not checked: how the SDK encodes a request or how many it sends.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from chalicelib.payments.port import PaymentError, PaymentIntent
from chalicelib.payments.stripe_gateway import StripeGateway
from devstack.localpay import LocalPaymentProvider

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def quick_sdk_backoff(monkeypatch):
    """The SDK waits >= 0.5 s between retries; the retries are under test, not the waiting."""
    from stripe._http_client import HTTPClient

    monkeypatch.setattr(HTTPClient, "INITIAL_DELAY", 0.01)
    monkeypatch.setattr(HTTPClient, "MAX_DELAY", 0.02)


@pytest.fixture
def provider():
    with LocalPaymentProvider("whsec_gateway_tests", deliver=None) as running:
        yield running


@pytest.fixture
def gateway(provider):
    return StripeGateway(provider.api_key, api_base=provider.url, timeout=2.0)


@pytest.fixture
def customer(gateway):
    return gateway.ensure_customer(shopper_id="shopper-ada", email="ada@example.com", existing_id=None)


def create(gateway, customer, **overrides) -> PaymentIntent:
    args = {"order_id": "ord-1", "amount": 2599, "currency": "EUR", "customer_id": customer, "save_card": False,
            "payment_method_id": None, "idempotency_key": "pi-ord-1"} | overrides
    return gateway.create_payment_intent(**args)


def requests_to(provider, method: str, path: str) -> list[dict]:
    return [r for r in provider.requests if r["method"] == method and r["path"] == path]


def saved_card(provider, gateway, customer) -> str:
    """A card the shopper saved by paying an earlier order with save_card."""
    intent = create(gateway, customer, order_id="ord-saved", save_card=True, idempotency_key="pi-ord-saved")
    provider.complete_payment(intent.id, "4242424242424242")
    (card,) = gateway.list_cards(customer)
    return card.id


# -- request encoding -----------------------------------------------------------------------------


def test_a_payment_intent_is_created_with_the_parameters_stripe_expects(provider, gateway, customer):
    intent = create(gateway, customer, save_card=True)

    held = provider.payment_intent(intent.id)
    assert (held["amount"], held["currency"], held["customer"]) == (2599, "eur", customer)
    assert held["transfer_group"] == "ord-1"  # vendors' transfers are grouped with the order's payment
    assert held["metadata"] == {"order_id": "ord-1"}
    assert held["automatic_payment_methods"]["enabled"] is True
    assert held["setup_future_usage"] == "on_session"  # the card is saved for the shopper's next order
    assert intent.status == "requires_payment_method"
    assert (intent.amount, intent.currency, intent.customer) == (2599, "eur", customer)
    assert intent.metadata == {"order_id": "ord-1"}
    assert intent.client_secret.startswith(f"{intent.id}_secret_")


def test_without_save_card_the_card_is_not_set_up_for_later(provider, gateway, customer):
    intent = create(gateway, customer, save_card=False)

    assert provider.payment_intent(intent.id)["setup_future_usage"] is None


def test_a_saved_card_is_confirmed_at_creation(provider, gateway, customer):
    card_id = saved_card(provider, gateway, customer)

    intent = create(gateway, customer, order_id="ord-2", payment_method_id=card_id, idempotency_key="pi-ord-2")

    held = provider.payment_intent(intent.id)
    assert held["payment_method"] == card_id
    assert held["automatic_payment_methods"] is None  # the saved card, not a choice of methods on a page
    assert intent.status == "succeeded"
    assert intent.latest_charge.startswith("ch_")


def test_customers_are_created_once_per_shopper(provider, gateway):
    first = gateway.ensure_customer(shopper_id="shopper-bob", email="bob@example.com", existing_id=None)
    again = gateway.ensure_customer(shopper_id="shopper-bob", email="bob@example.com", existing_id=None)
    known = gateway.ensure_customer(shopper_id="shopper-bob", email="bob@example.com", existing_id=first)

    assert first == again == known
    (held,) = provider.ledger.of_kind("customer")
    assert held["id"] == first and held["metadata"] == {"shopper_id": "shopper-bob"}


# -- idempotency --------------------------------------------------------------------------------


def test_the_same_idempotency_key_returns_the_same_payment_intent(provider, gateway, customer):
    first = create(gateway, customer)
    replay = create(gateway, customer)

    assert replay.id == first.id
    assert [pi["id"] for pi in provider.ledger.of_kind("payment_intent")] == [first.id]


def test_the_same_key_with_another_amount_is_refused(gateway, customer):
    create(gateway, customer)

    with pytest.raises(PaymentError) as refused:
        create(gateway, customer, amount=9999)

    assert (refused.value.code, refused.value.status, refused.value.retryable) == ("idempotency_conflict", 409, False)


# -- error mapping ------------------------------------------------------------------------------


@pytest.mark.parametrize(("test_card", "code"), [
    ("pm_card_chargeDeclined", "card_declined"),
    ("pm_card_chargeDeclinedInsufficientFunds", "insufficient_funds"),
    ("pm_card_chargeDeclinedExpiredCard", "expired_card"),
])
def test_a_declined_card_is_a_non_retryable_payment_error(provider, gateway, customer, test_card, code):
    with pytest.raises(PaymentError) as declined:
        create(gateway, customer, payment_method_id=test_card)

    error = declined.value
    assert (error.code, error.status, error.retryable) == (code, 402, False)
    assert error.payment_intent_id  # the intent exists; the caller can record it
    assert provider.payment_intent(error.payment_intent_id)["status"] == "requires_payment_method"


def test_a_wrong_api_key_is_a_non_retryable_error(provider):
    gateway = StripeGateway("sk_test_not_the_right_key", api_base=provider.url, timeout=2.0)

    with pytest.raises(PaymentError) as refused:
        gateway.ensure_customer(shopper_id="s", email=None, existing_id=None)

    assert (refused.value.code, refused.value.status, refused.value.retryable) == ("provider_auth_failed", 500, False)
    assert provider.ledger.of_kind("customer") == []


def test_a_provider_500_is_retried_by_the_sdk_with_the_same_key(provider, gateway, customer):
    provider.fail_next("POST", "/v1/payment_intents", 500)

    intent = create(gateway, customer)

    assert [pi["id"] for pi in provider.ledger.of_kind("payment_intent")] == [intent.id]
    assert provider.payment_intent(intent.id)["amount"] == 2599


def test_an_answer_lost_after_the_intent_was_created_does_not_create_a_second_one(provider, gateway, customer):
    provider.fail_next("POST", "/v1/payment_intents", 500, after=True)

    intent = create(gateway, customer)

    assert [pi["id"] for pi in provider.ledger.of_kind("payment_intent")] == [intent.id]


def test_a_provider_failing_every_retry_gives_a_retryable_error(provider, gateway, customer):
    provider.fail_next("POST", "/v1/payment_intents", 503, times=3)

    with pytest.raises(PaymentError) as failed:
        create(gateway, customer)

    assert (failed.value.code, failed.value.status, failed.value.retryable) == ("provider_error", 503, True)
    assert provider.ledger.of_kind("payment_intent") == []


def test_rate_limiting_is_a_retryable_error(provider, gateway):
    provider.fail_next("POST", "/v1/customers", 429)

    with pytest.raises(PaymentError) as busy:
        gateway.ensure_customer(shopper_id="s", email=None, existing_id=None)

    assert (busy.value.code, busy.value.status, busy.value.retryable) == ("provider_busy", 503, True)


def test_a_slow_answer_times_out_and_the_retry_reuses_the_key(provider, customer):
    gateway = StripeGateway(provider.api_key, api_base=provider.url, timeout=0.25)
    provider.delay_next("POST", "/v1/payment_intents", 0.6)

    intent = create(gateway, customer)

    assert provider.wait_for_requests(3)  # the slow first attempt has finished too (late) before we look
    assert [pi["id"] for pi in provider.ledger.of_kind("payment_intent")] == [intent.id]


def test_a_timeout_without_retries_left_is_retryable(provider, customer):
    gateway = StripeGateway(provider.api_key, api_base=provider.url, timeout=0.2, max_network_retries=0)
    provider.delay_next("POST", "/v1/payment_intents", 0.6)

    with pytest.raises(PaymentError) as failed:
        create(gateway, customer)

    assert (failed.value.code, failed.value.status, failed.value.retryable) == ("provider_unavailable", 503, True)


def test_an_unreachable_provider_is_retryable():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    gateway = StripeGateway("sk_test_x", api_base=f"http://127.0.0.1:{closed_port}", timeout=0.5)

    with pytest.raises(PaymentError) as failed:
        gateway.retrieve_payment_intent("pi_123")

    assert (failed.value.code, failed.value.retryable) == ("provider_unavailable", True)


def test_an_unknown_payment_intent_is_not_found(gateway):
    with pytest.raises(PaymentError) as missing:
        gateway.retrieve_payment_intent("pi_does_not_exist")

    assert (missing.value.code, missing.value.status, missing.value.retryable) == ("resource_missing", 404, False)


# -- the rest of the port -------------------------------------------------------------------------


def test_retrieve_reports_the_charge_once_paid(provider, gateway, customer):
    intent = create(gateway, customer)
    provider.complete_payment(intent.id, "4242424242424242")

    paid = gateway.retrieve_payment_intent(intent.id)

    assert paid.status == "succeeded" and paid.latest_charge.startswith("ch_")


def test_cancel_a_pending_intent(provider, gateway, customer):
    intent = create(gateway, customer)

    cancelled = gateway.cancel_payment_intent(intent.id, idempotency_key=f"cancel-{intent.id}")

    assert cancelled.status == "canceled"
    assert provider.payment_intent(intent.id)["status"] == "canceled"
    again = gateway.cancel_payment_intent(intent.id, idempotency_key=f"cancel-{intent.id}")
    assert again.status == "canceled"  # a repeated cancel (same key) answers the same, not a conflict


def test_cancelling_an_intent_that_succeeded_is_a_conflict_carrying_the_intent(provider, gateway, customer):
    intent = create(gateway, customer)
    provider.complete_payment(intent.id, "4242424242424242")

    with pytest.raises(PaymentError) as conflict:
        gateway.cancel_payment_intent(intent.id, idempotency_key="cancel-1")

    assert (conflict.value.code, conflict.value.status) == ("payment_intent_unexpected_state", 409)
    assert conflict.value.payment_intent.status == "succeeded"


def test_refunds_partial_then_no_more_than_was_paid(provider, gateway, customer):
    intent = create(gateway, customer)
    provider.complete_payment(intent.id, "4242424242424242")

    refund_id = gateway.refund(payment_intent_id=intent.id, amount=599, idempotency_key="re-1",
                               reason="requested_by_customer")
    with pytest.raises(PaymentError) as too_much:
        gateway.refund(payment_intent_id=intent.id, amount=2001, idempotency_key="re-2", reason="late_payment")
    late_id = gateway.refund(payment_intent_id=intent.id, amount=1000, idempotency_key="re-3", reason="late_payment")

    assert (too_much.value.code, too_much.value.status) == ("amount_too_large", 400)
    refunds = {r["id"]: r for r in provider.ledger.of_kind("refund")}
    assert set(refunds) == {refund_id, late_id}
    assert (refunds[refund_id]["payment_intent"], refunds[refund_id]["amount"]) == (intent.id, 599)
    assert refunds[refund_id]["reason"] == "requested_by_customer"
    # Not one of Stripe's reasons: kept in the metadata, so Stripe accepts the refund.
    assert (refunds[late_id]["reason"], refunds[late_id]["metadata"]) == (None, {"reason": "late_payment"})


def test_a_transfer_is_funded_by_the_charge(provider, gateway, customer):
    intent = create(gateway, customer)
    charge = provider.complete_payment(intent.id, "4242424242424242")["latest_charge"]
    vendor_account = provider.add_account()["id"]

    transfer_id = gateway.create_transfer(amount=2000, currency="EUR", destination=vendor_account,
                                          source_transaction=charge, transfer_group="ord-1",
                                          idempotency_key="tr-ord-1-v1", metadata={"vendor_id": "v1"})
    with pytest.raises(PaymentError) as beyond:
        gateway.create_transfer(amount=600, currency="EUR", destination=vendor_account, source_transaction=charge,
                                transfer_group="ord-1", idempotency_key="tr-ord-1-v2", metadata={})

    (held,) = provider.ledger.of_kind("transfer")
    assert held["id"] == transfer_id
    assert (held["amount"], held["currency"], held["destination"]) == (2000, "eur", vendor_account)
    assert (held["source_transaction"], held["transfer_group"]) == (charge, "ord-1")
    assert held["metadata"] == {"vendor_id": "v1"}
    assert beyond.value.code == "balance_insufficient" and not beyond.value.retryable


def test_saved_cards_are_listed_and_only_their_owner_removes_them(provider, gateway, customer):
    card_id = saved_card(provider, gateway, customer)
    other = gateway.ensure_customer(shopper_id="shopper-eve", email="eve@example.com", existing_id=None)

    with pytest.raises(PaymentError) as not_hers:
        gateway.detach_card(other, card_id)
    assert not_hers.value.status == 404
    assert [c.id for c in gateway.list_cards(customer)] == [card_id]

    gateway.detach_card(customer, card_id)
    assert gateway.list_cards(customer) == []


def test_the_payment_page_url_points_at_the_local_provider(provider, gateway, customer):
    intent = create(gateway, customer)

    url = gateway.payment_page_url(intent, "http://127.0.0.1:8080/orders/ord-1")

    assert url.startswith(f"{provider.url}/pay/{intent.id}?client_secret=")
    with urllib.request.urlopen(url, timeout=5) as page:
        assert "Pay €25.99" in page.read().decode()


def test_against_real_stripe_there_is_no_payment_page(customer, gateway):
    intent = create(gateway, customer)
    real = StripeGateway("sk_test_x")

    assert real.payment_page_url(intent, None) is None


def test_get_gateway_needs_a_key_and_reuses_one_client(monkeypatch, provider):
    from chalicelib.payments import get_gateway

    # In local mode, where settings may be missing (outside it a missing key fails at settings load).
    monkeypatch.setenv("HALLES_LOCAL_MODE", "1")
    monkeypatch.delenv("STRIPE_SECRET_KEY", raising=False)
    with pytest.raises(PaymentError) as unconfigured:
        get_gateway()
    assert "STRIPE_SECRET_KEY" in unconfigured.value.message and unconfigured.value.code == "payments_not_configured"

    monkeypatch.setenv("STRIPE_SECRET_KEY", provider.api_key)
    monkeypatch.setenv("STRIPE_API_BASE", provider.url)
    assert get_gateway() is get_gateway()
    assert get_gateway().ensure_customer(shopper_id="s", email=None, existing_id=None).startswith("cus_")


def test_importing_the_app_does_not_import_stripe():
    probe = "import sys, app; print('stripe' in sys.modules, 'requests' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert result.stdout.split() == ["False", "False"], result.stderr
