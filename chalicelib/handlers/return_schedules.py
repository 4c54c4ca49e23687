"""The returns' schedule: escalate to the platform the return requests a vendor left unanswered."""

from __future__ import annotations

from datetime import UTC, datetime

from chalice import Blueprint, Rate

bp = Blueprint(__name__)


def scheduled_time(event) -> datetime | None:
    """The moment the schedule ran for: EventBridge's `time` (the run's scheduled minute). Taking it
    rather than the clock lets the local stack fire a run "later" (`python -m devstack fire
    escalate_overdue_returns --event '{"time": "2026-12-31T00:00:00Z"}'`), so escalations can be tried
    on `make run` without waiting days; None (the clock) when the event carries no usable time."""
    when = event.to_dict().get("time") if hasattr(event, "to_dict") else (event or {}).get("time")
    try:
        parsed = datetime.fromisoformat(str(when).replace("Z", "+00:00")) if when else None
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed and parsed.tzinfo else None


@bp.schedule(Rate(1, unit=Rate.HOURS), name="escalate_overdue_returns")
def escalate_overdue_returns(event):
    """Requested returns past their answer deadline (HALLES_RETURN_ANSWER_DAYS) go to the admin's queue, once."""
    from chalicelib.services import returns

    return returns.escalate_overdue_returns(scheduled_time(event))
