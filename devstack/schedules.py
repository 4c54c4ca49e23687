"""Runs the app's `@bp.schedule` functions on their EventBridge schedule, locally.

Supported expressions (times in UTC, like EventBridge):
- `rate(N minute|minutes|hour|hours|day|days)`: first run N units after the stack starts.
- `cron(min hour day-of-month month day-of-week year)` with `*`, `?`, numbers, names
  (JAN-DEC, SUN-SAT), ranges `a-b`, lists `a,b` and steps `*/n`, `a/n`, `a-b/n`.
  Day-of-week counts like EventBridge: 1 = SUN ... 7 = SAT.
Not supported: `L`, `W` and `#` (last day, nearest weekday, nth weekday). A schedule using
them is not run automatically (a warning says so), but `devstack fire <name>` still runs it.
A failing run is logged and the next run happens as planned: errors never stop the runner.
"""

from __future__ import annotations

import logging
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from devstack.functions import ACCOUNT_ID, LocalFunction

log = logging.getLogger("devstack")
activity = logging.getLogger("devstack.activity")  # requests.log (devstack/console.py)

_RATE = re.compile(r"^rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)$", re.IGNORECASE)
_CRON = re.compile(r"^cron\((.*)\)$", re.IGNORECASE)
_MONTHS = {m: i for i, m in enumerate(
    ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"), start=1)}
_DAYS = {d: i for i, d in enumerate(("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"), start=1)}
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}


class UnsupportedSchedule(ValueError):
    pass


@dataclass(frozen=True)
class Rate:
    every: timedelta

    def next_after(self, moment: datetime, started: datetime) -> datetime:
        periods = int((moment - started) / self.every) + 1
        return started + periods * self.every


@dataclass(frozen=True)
class Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days_of_month: frozenset[int] | None  # None = "?" (decided by day of week)
    months: frozenset[int]
    days_of_week: frozenset[int] | None  # None = "?"; 1 = Sunday
    years: frozenset[int]

    def _day_matches(self, day: datetime) -> bool:
        if day.month not in self.months or day.year not in self.years:
            return False
        aws_weekday = (day.weekday() + 1) % 7 + 1
        dom_ok = self.days_of_month is None or day.day in self.days_of_month
        dow_ok = self.days_of_week is None or aws_weekday in self.days_of_week
        return dom_ok and dow_ok

    def next_after(self, moment: datetime, started: datetime | None = None) -> datetime:
        candidate = moment.replace(second=0, microsecond=0) + timedelta(minutes=1)
        limit = candidate + timedelta(days=366 * 5)
        while candidate < limit:
            if not self._day_matches(candidate):
                candidate = (candidate + timedelta(days=1)).replace(hour=0, minute=0)
                continue
            if candidate.hour not in self.hours:
                candidate = (candidate + timedelta(hours=1)).replace(minute=0)
                continue
            if candidate.minute not in self.minutes:
                candidate += timedelta(minutes=1)
                continue
            return candidate
        raise UnsupportedSchedule("the cron expression never fires in the next five years")


def _value(token: str, names: dict[str, int]) -> int:
    token = token.upper()
    if token in names:
        return names[token]
    if not token.isdigit():
        raise UnsupportedSchedule(f"unsupported cron value {token!r} (L, W and # are not supported locally)")
    return int(token)


def _field(text: str, low: int, high: int, names: dict[str, int] | None = None,
           question_allowed: bool = False) -> frozenset[int] | None:
    names = names or {}
    if text == "?":
        if not question_allowed:
            raise UnsupportedSchedule("'?' is only allowed in day-of-month or day-of-week")
        return None
    values: set[int] = set()
    for part in text.split(","):
        base, _, step_text = part.partition("/")
        step = int(step_text) if step_text else 1
        if step < 1:
            raise UnsupportedSchedule(f"cron step must be positive in {part!r}")
        if base == "*":
            start, end = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            start, end = _value(a, names), _value(b, names)
        else:
            start = _value(base, names)
            end = high if step_text else start
        if not (low <= start <= high and low <= end <= high and start <= end):
            raise UnsupportedSchedule(f"cron field {part!r} is outside {low}-{high}")
        values.update(range(start, end + 1, step))
    return frozenset(values)


def parse(expression: str) -> Rate | Cron:
    expression = expression.strip()
    rate = _RATE.match(expression)
    if rate:
        value, unit = int(rate.group(1)), rate.group(2).lower().rstrip("s")
        if value < 1:
            raise UnsupportedSchedule("a rate must be at least 1")
        return Rate(timedelta(seconds=value * _UNIT_SECONDS[unit]))
    cron = _CRON.match(expression)
    if not cron:
        raise UnsupportedSchedule(f"not a rate() or cron() expression: {expression!r}")
    fields = cron.group(1).split()
    if len(fields) != 6:
        raise UnsupportedSchedule(f"cron() needs 6 fields (min hour dom month dow year), got {len(fields)}")
    minute, hour, dom, month, dow, year = fields
    return Cron(
        minutes=_field(minute, 0, 59),
        hours=_field(hour, 0, 23),
        days_of_month=_field(dom, 1, 31, question_allowed=True),
        months=_field(month, 1, 12, _MONTHS),
        days_of_week=_field(dow, 1, 7, _DAYS, question_allowed=True),
        years=_field(year, 1970, 2199),
    )


def scheduled_event(function_name: str, region: str, when: datetime | None = None) -> dict:
    """The event EventBridge sends to a scheduled function."""
    when = when or datetime.now(UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": ACCOUNT_ID,
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": region,
        "resources": [f"arn:aws:events:{region}:{ACCOUNT_ID}:rule/{function_name}"],
        "detail": {},
    }


class ScheduleRunner:
    """One thread per scheduled function: wait for the next time, run, repeat."""

    def __init__(self, function: LocalFunction, region: str, context_factory: Callable[[], Any],
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self.function = function
        self.region = region
        self.context_factory = context_factory
        self.clock = clock
        self.schedule = parse(function.schedule or "")
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def fire(self) -> Any:
        with self._lock:
            return self.function.handler(scheduled_event(self.function.name, self.region, self.clock()),
                                         self.context_factory())

    def start(self, stop: threading.Event) -> None:
        self._thread = threading.Thread(target=self._run, args=(stop,), name=f"schedule-{self.function.name}",
                                        daemon=True)
        self._thread.start()

    def join(self, timeout: float) -> None:
        if self._thread is not None:
            self._thread.join(timeout)

    def _run(self, stop: threading.Event) -> None:
        started = self.clock()
        while not stop.is_set():
            due = self.schedule.next_after(self.clock(), started)
            activity.info("%s next runs at %s", self.function.name, due.isoformat(timespec="seconds"))
            while not stop.is_set() and self.clock() < due:
                stop.wait(min(30.0, max(0.05, (due - self.clock()).total_seconds())))
            if stop.is_set():
                return
            try:
                self.fire()
                activity.info("%s ran on schedule", self.function.name)
            except Exception:
                log.exception("%s failed on schedule; the next run happens as planned", self.function.name)
