"""The schedules report what the PayoutsOverdue and ReservationsNotSwept alarms watch (infra/monitoring.json),
on every run, zero included (a schedule that stops reporting raises its alarm too). Read here as CloudWatch
would: from the embedded-metric-format lines the functions print."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from chalicelib.payments.port import PaymentError
from chalicelib.services.payouts import retry_payouts
from chalicelib.services.reservation_sweeper import expire_reservations
from tests.usecases import test_order_use_cases as sweeper_world
from tests.usecases import test_payouts as payout_world

world = payout_world.world
unpaid_world = sweeper_world.world


def reported(capsys, metric: str) -> list[float]:
    """Values of `metric` in the EMF lines printed since the last call."""
    values = []
    for line in capsys.readouterr().out.splitlines():
        try:
            document = json.loads(line)
        except ValueError:
            continue
        if isinstance(document, dict) and "_aws" in document and metric in document:
            value = document[metric]
            values += value if isinstance(value, list) else [value]
    return values


class ProviderDown(PaymentError):
    def __init__(self):
        super().__init__("provider unavailable", code="api_error", status=503)


@pytest.mark.parametrize(("down", "retry_after", "overdue"), [
    pytest.param(0, timedelta(days=2), 0, id="paid-at-delivery"),
    pytest.param(5, timedelta(hours=2), 0, id="failing-for-hours"),
    pytest.param(5, timedelta(days=1, minutes=30), 1, id="failing-for-a-day"),
])
def test_retry_payouts_reports_payouts_owed_for_over_a_day(world, capsys, down, retry_after, overdue):
    repo, provider, runner = world
    provider.down = down
    payout_world.deliver(world)  # receipt confirmed 10 minutes after NOW: from then on the payout is owed
    capsys.readouterr()

    retry_payouts(payout_world.NOW + retry_after, orders=repo, effects=runner)

    assert reported(capsys, "PayoutsDueOverADay") == [overdue]


def test_the_sweeper_reports_an_unpaid_order_it_could_not_release(unpaid_world, capsys):
    repo, gateway, runner, _, _ = unpaid_world

    def provider_down(payment_intent_id, *, idempotency_key):
        raise ProviderDown()

    gateway.cancel_payment_intent = provider_down
    capsys.readouterr()

    # Reservation ended at NOW: within the grace the order is not "not swept" yet, past it it is.
    expire_reservations(sweeper_world.NOW + timedelta(minutes=5), gateway=gateway, orders=repo, effects=runner)
    assert reported(capsys, "ReservationsNotSwept") == [0]
    expire_reservations(sweeper_world.NOW + timedelta(minutes=15), gateway=gateway, orders=repo, effects=runner)
    assert reported(capsys, "ReservationsNotSwept") == [1]


@pytest.mark.parametrize("payment", ["requires_payment_method", "processing"])
def test_a_swept_or_still_processing_order_is_not_reported(unpaid_world, capsys, payment):
    repo, gateway, runner, _, _ = unpaid_world
    gateway.status = payment
    capsys.readouterr()

    expire_reservations(sweeper_world.NOW + timedelta(minutes=15), gateway=gateway, orders=repo, effects=runner)

    assert reported(capsys, "ReservationsNotSwept") == [0]
