"""The one timestamp format of the platform: ISO 8601, UTC, whole seconds, `Z` suffix.

Stored timestamps compare as strings (the sweeper queries `reserved_until < now`), so every
writer must use exactly this format.
"""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def now_iso() -> str:
    return iso(datetime.now(UTC))
