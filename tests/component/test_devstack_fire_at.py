"""`python -m devstack fire <schedule> --at <time>` runs a schedule as if EventBridge fired it then: the
developer moves the schedule's clock without writing the EventBridge event by hand."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from devstack.__main__ import build_parser
from tests.component.test_devstack_control import ROOT, control_server  # noqa: F401 (fixture)


def fire(port: int, data_dir, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "devstack", "fire", *args, "--api", f"http://127.0.0.1:{port}",
                           "--data-dir", str(data_dir)], cwd=ROOT, capture_output=True, text=True, timeout=60)


def test_fire_at_sends_the_whole_scheduled_event_of_that_time(control_server):  # noqa: F811
    from chalice.app import CloudWatchEvent

    from chalicelib.handlers.surveys import scheduled_at

    port, control, data_dir = control_server
    result = fire(port, data_dir, "send_surveys", "--at", "2026-12-04T10:30+01:00")
    assert result.returncode == 0, result.stderr
    ((name, event),) = control.fired
    assert name == "send_surveys"
    assert (event["time"], event["detail-type"], event["source"]) == ("2026-12-04T09:30:00Z", "Scheduled Event",
                                                                       "aws.events")
    assert event["resources"][0].endswith(":rule/send_surveys")
    # What the schedule reads from it (Chalice's event wrapper, as in Lambda): the time asked for.
    assert scheduled_at(CloudWatchEvent(event, None).time) == datetime(2026, 12, 4, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(("given", "expected"), [
    ("2026-12-04", datetime(2026, 12, 4, tzinfo=UTC)),
    ("2026-12-04T09:00", datetime(2026, 12, 4, 9, tzinfo=UTC)),
    ("2026-12-04T09:00:00Z", datetime(2026, 12, 4, 9, tzinfo=UTC)),
])
def test_at_takes_an_iso_date_or_time_in_utc_unless_it_says_otherwise(given, expected):
    assert build_parser().parse_args(["fire", "send_surveys", "--at", given]).at == expected


@pytest.mark.parametrize(("given", "offset"), [
    ("+3d", timedelta(days=3)), ("+4d2h", timedelta(days=4, hours=2)), ("-90m", -timedelta(minutes=90))])
def test_at_takes_an_offset_from_now(given, offset):
    before = datetime.now(UTC)
    at = build_parser().parse_args(["fire", "send_surveys", f"--at={given}"]).at  # `=`: "-90m" is no option
    assert before + offset <= at <= datetime.now(UTC) + offset


@pytest.mark.parametrize("args", [["--at", "next tuesday"], ["--at", "+3w"],
                                  ["--at", "+1d", "--event", "{}"]])
def test_a_time_it_cannot_read_is_refused_before_anything_runs(args, capsys):
    with pytest.raises(SystemExit) as refused:
        build_parser().parse_args(["fire", "send_surveys", *args])
    assert refused.value.code == 2
    assert "--at" in capsys.readouterr().err


def test_at_is_refused_for_a_function_that_is_no_schedule(control_server):  # noqa: F811
    port, control, data_dir = control_server
    result = fire(port, data_dir, "payment_events_consumer", "--at", "+1d")
    assert result.returncode == 2 and "--at is for schedules" in result.stderr
    assert control.fired == []
