"""The one timestamp format of the platform: ISO 8601, UTC, whole seconds, `Z` suffix.

Stored timestamps compare as strings (the sweeper queries `reserved_until < now`), so every
writer must use exactly this format.
"""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime, *, precise: bool = False) -> str:
    """`precise`: with microseconds, for what is ordered by the time it happened (cart lines)."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds" if precise else "seconds").replace("+00:00", "Z")


def now_iso(*, precise: bool = False) -> str:
    return iso(datetime.now(UTC), precise=precise)


def scheduled_time(event) -> datetime | None:
    """The moment the schedule ran for: EventBridge's `time` (the run's scheduled minute). Taking it
    rather than the clock lets the local stack fire a run "later" (`python -m devstack fire
    escalate_overdue_returns --event <a scheduled event with a later time>`, README "After-sales gaps"),
    so escalations can be tried on `make run` without waiting days; None (the clock) when the event
    carries no usable time. `event`: Chalice's CloudWatchEvent or the raw dict."""
    when = event.to_dict().get("time") if hasattr(event, "to_dict") else (event or {}).get("time")
    try:
        parsed = datetime.fromisoformat(str(when).replace("Z", "+00:00")) if when else None
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed and parsed.tzinfo else None
