"""The one timestamp format: UTC, `Z`, and strings that sort in time order."""

from datetime import UTC, datetime, timedelta, timezone

from chalicelib.domain.timestamps import iso


def test_any_timezone_is_written_in_utc_with_a_z():
    paris = timezone(timedelta(hours=1))
    assert iso(datetime(2026, 11, 27, 4, 5, 6, 789, tzinfo=paris)) == "2026-11-27T03:05:06Z"
    assert iso(datetime(2026, 11, 27, 3, 5, 6, 789, tzinfo=UTC), precise=True) == "2026-11-27T03:05:06.000789Z"


def test_the_strings_sort_as_the_moments_do():
    start = datetime(2026, 11, 27, 3, 5, 6, tzinfo=UTC)
    moments = [start + timedelta(microseconds=n * 250_000) for n in range(12)]
    assert sorted(iso(m, precise=True) for m in reversed(moments)) == [iso(m, precise=True) for m in moments]
