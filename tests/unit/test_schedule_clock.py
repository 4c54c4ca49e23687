"""The escalation schedules run for EventBridge's `time` (so the local stack can fire a run "later");
an event without a usable time runs for the clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from chalice.app import CloudWatchEvent

from chalicelib.domain.timestamps import scheduled_time
from devstack.schedules import scheduled_event


def test_a_scheduled_event_runs_for_its_time():
    when = datetime(2026, 12, 31, 8, 0, tzinfo=UTC)
    event = scheduled_event("escalate_overdue_returns", "eu-west-1", when)
    assert scheduled_time(CloudWatchEvent(event, context=None)) == when
    assert scheduled_time(event) == when


@pytest.mark.parametrize("time", [None, "", "yesterday", "2026-12-31T08:00:00"], ids=["none", "empty", "words", "naive"])
def test_an_event_without_a_usable_time_runs_for_the_clock(time):
    assert scheduled_time({"time": time}) is None
