"""The vendor ledger on in-memory adapters: booked with the order changes that move money, once whatever
retries, and what the vendor reads of it (balance, payouts, CSV), reconciled with the provider."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import UTC, date, datetime, timedelta

import pytest

from chalicelib.domain.errors import Conflict, InvalidInput
from chalicelib.domain.orders import Order, OrderLine, PaymentOutcome, Refund, VendorOrder
from chalicelib.domain.ports import ConcurrentUpdate
from chalicelib.payments.port import PaymentIntent, RefundRecord, TransferRecord
from chalicelib.services import commissions, fulfilment, reconciliation, vendor_money
from chalicelib.services.effect_runner import EffectRunner
from chalicelib.services.payouts import confirm_receipt
from chalicelib.services.settle_payment import settle
from chalicelib.store.memory import InMemoryCommissionRules, InMemoryOrders, Stock

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)


class Provider:
    def __init__(self):
        self.transfers: dict[str, TransferRecord] = {}
        self.refunds: dict[str, RefundRecord] = {}

    def retrieve_payment_intent(self, payment_intent_id):
        return PaymentIntent(payment_intent_id, "succeeded", 3000, "eur", latest_charge="ch_1")

    def create_transfer(self, *, amount, currency, destination, source_transaction, transfer_group,
                        idempotency_key, metadata):
        transfer_id = f"tr_{len(self.transfers) + 1}"
        self.transfers[transfer_id] = TransferRecord(transfer_id, amount, currency.lower(), destination, 0)
        return transfer_id

    def retrieve_transfer(self, transfer_id):
        return self.transfers.get(transfer_id)

    def retrieve_refund(self, refund_id):
        return self.refunds.get(refund_id)


class RacingOrders(InMemoryOrders):
    """The first save of a change loses a race once (someone else saved the order in between)."""

    race_next = False

    def save(self, order, *, effects):
        if self.race_next:
            self.race_next = False
            stored = self.orders[order.order_id]
            stored.version += 1
            raise ConcurrentUpdate(order.order_id)
        super().save(order, effects=effects)


@pytest.fixture
def world():
    repo = RacingOrders({"o1": Stock(available=5)})
    order, effects = Order.place(
        order_id="ord_1", shopper_id="s1", created_at="2026-11-27T02:30:00Z", reserved_until="2026-11-27T03:30:00Z",
        currency="EUR", country="DE", quote={}, lines=[OrderLine("o1", "p1", "v1", "Alpine", "Tent", "new", 2, 1000, 500)],
        total=3000, vendor_orders=[VendorOrder("v1", "Alpine", "EUR", 2000, 500, 0, 2500, 200, 2300,
                                               commission_bps=1000)])
    order.attach_payment("pi_1", "secret")
    repo.save(order, effects=[e for e in effects if type(e).__name__ == "ReserveStock"])
    provider = Provider()
    runner = EffectRunner(gateway=lambda: provider, publish=lambda event: None, clear_cart=lambda *a, **kw: None,
                          vendor_account=lambda vendor_id: f"acct_{vendor_id}")
    return repo, provider, runner


def deliver(repo, runner, now):
    """The vendor ships (once), then the shopper confirms receipt: the payout is released."""
    if repo.get("ord_1").vendor_orders["v1"].shipped_at is None:
        fulfilment.accept("v1", "ord_1", orders=repo, effects=runner, now=NOW)
        fulfilment.ship("v1", "ord_1", carrier="DHL", tracking_number="JD1", tracking_url="https://dhl.example/JD1",
                        orders=repo, effects=runner, now=NOW)
    return confirm_receipt("s1", "ord_1", "v1", orders=repo, effects=runner, now=now)


def kinds(repo, vendor_id="v1"):
    return [(e.kind, e.amount) for e in repo.ledger.entries(vendor_id)]


def test_a_paid_then_delivered_order_books_sale_commission_and_transfer_once_even_after_a_lost_race(world):
    repo, provider, runner = world
    repo.race_next = True  # the settlement's first save loses a race: re-applied on the fresh order
    settle("ord_1", PaymentOutcome.SUCCEEDED, orders=repo, effects=runner, now=NOW, charge_id="ch_1")
    settle("ord_1", PaymentOutcome.SUCCEEDED, orders=repo, effects=runner, now=NOW, charge_id="ch_1")  # redelivered
    deliver(repo, runner, NOW + timedelta(days=2))
    deliver(repo, runner, NOW + timedelta(days=3))

    assert sorted(kinds(repo)) == sorted([("sale", 2500), ("commission", -200), ("payout_release", 0),
                                          ("transfer", -2300)])
    assert vendor_money.balance("v1", ledger=repo.ledger, currency="EUR") == {
        "currency": "EUR", "pending": 0, "available": 0, "paid_out": 2300, "earned": 2300}
    payouts = vendor_money.payouts("v1", ledger=repo.ledger, today=date(2026, 11, 29), currency="EUR")
    assert [(t["transfer_id"], t["amount"]["amount"]) for t in payouts["transfers"]] == [("tr_1", 2300)]
    assert payouts["due"] == [] and payouts["sales_per_week"][-1] == {"week": "2026-11-23", "sales": 2500,
                                                                      "net": 2300}
    assert reconciliation.reconcile(ledger=repo.ledger, gateway=provider,
                                    vendor_account=lambda v: f"acct_{v}")["reconciled"] is True


def test_before_delivery_the_money_is_pending_and_the_payout_is_awaiting_delivery(world):
    repo, _, runner = world
    settle("ord_1", PaymentOutcome.SUCCEEDED, orders=repo, effects=runner, now=NOW, charge_id="ch_1")
    assert vendor_money.balance("v1", ledger=repo.ledger, currency="EUR")["pending"] == 2300
    assert vendor_money.payouts("v1", ledger=repo.ledger, currency="EUR")["due"] == [
        {"order_id": "ord_1", "amount": {"amount": 2300, "currency": "EUR"}, "status": "awaiting_delivery"}]
    assert vendor_money.balance("v2", ledger=repo.ledger, currency="EUR")["earned"] == 0  # another vendor sees none of it


def test_reconciliation_lists_a_transfer_the_provider_has_for_another_amount(world):
    repo, provider, runner = world
    settle("ord_1", PaymentOutcome.SUCCEEDED, orders=repo, effects=runner, now=NOW, charge_id="ch_1")
    deliver(repo, runner, NOW + timedelta(days=2))
    provider.transfers["tr_1"] = TransferRecord("tr_1", 2000, "eur", "acct_v1", 0)  # broken on purpose

    result = reconciliation.reconcile(ledger=repo.ledger, gateway=provider, vendor_account=lambda v: f"acct_{v}")

    assert result["reconciled"] is False
    assert [(m["provider_object_id"], m["problem"], m["ledger_amount"], m["provider_amount"])
            for m in result["mismatches"]] == [("tr_1", "amount_differs", 2300, 2000)]


def test_a_refund_after_payout_books_the_refund_and_the_reversal(world):
    repo, provider, runner = world
    provider.reverse_transfer = lambda **kw: "trr_1"
    settle("ord_1", PaymentOutcome.SUCCEEDED, orders=repo, effects=runner, now=NOW, charge_id="ch_1")
    deliver(repo, runner, NOW + timedelta(days=2))
    from chalicelib.services.refunds_and_disputes import _change

    _change(repo, runner, "ord_1", lambda o: o.record_refund(Refund("re_1", 3000, "EUR", "2026-11-30T00:00:00Z")))

    assert ("refund", -2500) in kinds(repo) and ("transfer_reversal", 2300) in kinds(repo)
    assert vendor_money.balance("v1", ledger=repo.ledger, currency="EUR") == {
        "currency": "EUR", "pending": 0, "available": 0, "paid_out": 0, "earned": 0}


def test_the_csv_export_lists_money_entries_oldest_first_with_a_header(world):
    repo, _, runner = world
    settle("ord_1", PaymentOutcome.SUCCEEDED, orders=repo, effects=runner, now=NOW, charge_id="ch_1")
    rows = list(csv.reader(io.StringIO(vendor_money.ledger_csv("v1", ledger=repo.ledger))))
    assert rows[0] == ["at", "kind", "amount", "currency", "order_id", "provider_object_id", "entry_id"]
    # Booked at the same moment: in entry id order; the payout_release marker is not money and is left out.
    assert [(r[1], r[2]) for r in rows[1:]] == [("commission", "-2.00"), ("sale", "25.00")]
    with pytest.raises(InvalidInput) as err:
        vendor_money.ledger_csv("v1", since="2026-12-01", until="2026-11-01", ledger=repo.ledger)
    assert "until" in err.value.fields


def test_checkout_freezes_each_sub_orders_rule_and_a_later_edit_changes_only_new_orders(monkeypatch):
    from tests.usecases.test_checkout import Shop

    for key, value in {"HALLES_LOCAL_MODE": "1", "HALLES_CURRENCY": "EUR", "HALLES_SERVICE_FEE": "0"}.items():
        monkeypatch.setenv(key, value)
    store = InMemoryCommissionRules()
    commissions.update("admin", {"default_bps": 800, "categories": {"outdoor": 1500}, "vendors": {"bytes": 300},
                                 "version": 0}, store=store)
    shop = Shop()
    shop.adapters = dataclasses.replace(
        shop.adapters, commission_rates=commissions.rates_from(store, {"tent": "outdoor", "phones": "electronics"}))
    shop.add("tent-a", 1)
    shop.add("phones-b", 1)
    first = shop.orders.get(shop.checkout()["order"]["order_id"])
    assert (first.vendor_orders["alpine"].commission, first.vendor_orders["alpine"].commission_bps) == (2985, 1500)
    assert first.vendor_orders["bytes"].commission == 387  # the vendor's own 3 % wins over the default
    assert first.vendor_orders["bytes"].commission_rates == ({"offer_id": "phones-b", "bps": 300, "rule": "vendor"},)

    with pytest.raises(Conflict):
        commissions.update("admin", {"default_bps": 900, "version": 0}, store=store)  # a stale edit
    commissions.update("admin", {"default_bps": 900, "version": 1}, store=store)  # no more rules but the default
    assert shop.orders.get(first.order_id).vendor_orders["alpine"].commission == 2985  # placed: untouched
    shop.add("tent-a", 2)  # a changed cart: a new order, priced with today's rules
    second = shop.orders.get(shop.checkout()["order"]["order_id"])
    assert second.vendor_orders["alpine"].commission == 2 * 19900 * 900 // 10000
