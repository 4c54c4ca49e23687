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
