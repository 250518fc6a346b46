"""Pipeline schedules: a duration (``"30s"``, ``"5m"``, ``"1h30m"``) or a five-field cron line.

A schedule compiles into an APScheduler trigger plus what the daemon needs to reason about it:
how long a run may take before it overruns its slot, and how many runs were due since a given
instant (``/healthz`` calls a pipeline stale after three missed runs).

Cron lines mean what crontab(5) means, which APScheduler 3's ``CronTrigger.from_crontab`` does
not: it counts weekdays from Monday = 0 where cron counts from Sunday = 0 (so cron's ``1-5`` would
run Tuesday to Saturday), and it ANDs a restricted day of month with a restricted day of week
where cron ORs them. Both are translated here. Cron times are in UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from connector.config import Config, PipelineConfig

EXPECTED = (
    'expected a duration such as "30s", "5m", "1h" or "1h30m", or a five-field cron '
    'expression such as "*/15 8-20 * * 1-5" (minute hour day-of-month month day-of-week, UTC)'
)

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION = re.compile(r"(?:\d+[smhd])+")
_DURATION_PART = re.compile(r"(\d+)([smhd])")

# crontab(5) nicknames; @reboot has no meaning for a schedule and is refused.
_NICKNAMES = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
}

# Cron numbers weekdays from Sunday (0, and 7 again); APScheduler takes these names unambiguously.
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

# How far ahead to look for a cron line's shortest gap: a year covers every calendar pattern,
# and a few thousand runs are enough for lines that come due every minute.
_GAP_HORIZON = timedelta(days=366)
_GAP_SAMPLES = 2000


class ScheduleKind(StrEnum):
    """Whether a schedule repeats after a fixed duration or follows a cron line."""

    INTERVAL = "interval"
    CRON = "cron"


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: its text, the APScheduler trigger, and its nominal period."""

    text: str
    kind: ScheduleKind
    trigger: Any  # an APScheduler 3 trigger (untyped library)
    # The duration, or the shortest gap between two runs of a cron line.
    period: timedelta

    def next_after(self, instant: datetime) -> datetime | None:
        """The first time strictly after ``instant`` when a run is due."""
        if self.kind is ScheduleKind.INTERVAL:
            return instant + self.period
        # Cron fire times are whole seconds; asking from just after ``instant`` excludes it.
        found: datetime | None = self.trigger.get_next_fire_time(
            None, instant + timedelta(microseconds=1)
        )
        return found

    def slot_after(self, started: datetime) -> timedelta:
        """How long a run started at ``started`` has before the next one is due."""
        following = self.next_after(started)
        return self.period if following is None else following - started

    def due_between(self, since: datetime, now: datetime, limit: int) -> int:
        """How many runs were due after ``since`` and up to ``now``, counting at most ``limit``."""
        if now <= since:
            return 0
        if self.kind is ScheduleKind.INTERVAL:
            return min(limit, int((now - since) / self.period))
        count = 0
        instant = since
        while count < limit:
            following = self.next_after(instant)
            if following is None or following > now:
                break
            count += 1
            instant = following
        return count


def parse_duration(text: str) -> timedelta:
    """``"30s"``, ``"5m"``, ``"1h"``, ``"2d"`` or a sum such as ``"1h30m"``; at least one second."""
    compact = text.strip().lower()
    if not _DURATION.fullmatch(compact):
        raise ValueError(f"{text!r} is not a duration")
    seconds = sum(int(n) * _UNITS[unit] for n, unit in _DURATION_PART.findall(compact))
    if seconds < 1:
        raise ValueError(f"{text!r} is too short: a schedule repeats at most once a second")
    return timedelta(seconds=seconds)


def parse_cron(text: str) -> Any:
    """A crontab(5) line (five fields, or an ``@daily``-style nickname) as an APScheduler trigger.

    Raises ``ValueError`` saying which field is wrong.
    """
    line = _NICKNAMES.get(text.strip().lower(), text.strip())
    if line.startswith("@"):
        raise ValueError(f"{text!r} is not a schedule nickname crmsync knows")
    fields = line.split()
    if len(fields) != 5:
        raise ValueError(f"{text!r} has {len(fields)} fields; a cron expression has five")
    minute, hour, day, month, weekday = fields
    try:
        for name, value in zip(_FIELD_ARGS, fields, strict=False):
            _check_field(name, value)
        days_of_week = _weekdays(weekday)
    except ValueError as exc:
        raise ValueError(f"{text!r}: {exc}") from None

    def cron(day: str, day_of_week: str) -> CronTrigger:
        return CronTrigger(
            minute=minute,
            hour=hour,
            day=day,
            month=month,
            day_of_week=day_of_week,
            timezone=UTC,
        )

    # crontab(5): when both day fields are restricted, a run is due when EITHER matches.
    if not day.startswith("*") and not weekday.startswith("*"):
        return OrTrigger([cron(day, "*"), cron("*", days_of_week)])
    return cron(day, days_of_week)


def parse_schedule(text: str) -> Schedule:
    """A duration or a cron line; ``ValueError`` (whose message says what is wrong) otherwise."""
    stripped = text.strip()
    if not stripped:
        raise ValueError("the schedule is empty")
    if stripped.isdigit():
        raise ValueError(f"{text!r} has no unit (s, m, h or d)")
    if _DURATION.fullmatch(stripped.lower()):
        period = parse_duration(stripped)
        trigger = IntervalTrigger(seconds=int(period.total_seconds()), timezone=UTC)
        return Schedule(stripped, ScheduleKind.INTERVAL, trigger, period)
    if " " not in stripped and not stripped.startswith("@"):
        raise ValueError(f"{text!r} is neither a duration nor a cron expression")
    trigger = parse_cron(stripped)
    period = _shortest_gap(trigger, text)
    return Schedule(stripped, ScheduleKind.CRON, trigger, period)


def pipeline_schedule(config: Config, pipeline: PipelineConfig) -> Schedule:
    """The schedule of ``pipeline``; a ``ConfigError`` naming the file, line, pipeline and key."""
    try:
        return parse_schedule(pipeline.schedule)
    except ValueError as exc:
        index = config.file.pipelines.index(pipeline)
        raise config.doc.error(
            ["pipelines", index, "schedule"],
            f"pipeline '{pipeline.name}': {exc}; {EXPECTED}",
        ) from None


_FIELD_ARGS = {"minute": "minute", "hour": "hour", "day of month": "day", "month": "month"}


def _check_field(name: str, value: str) -> None:
    """Compile one field alone, so an error names the field (APScheduler's does not)."""
    try:
        CronTrigger(**{_FIELD_ARGS[name]: value}, timezone=UTC)
    except ValueError as exc:
        detail = str(exc).removeprefix(f"Error validating expression {value!r}: ")
        raise ValueError(f"{name}: {value!r} is not valid ({detail})") from None


def _weekdays(field: str) -> str:
    """Cron's day-of-week field (Sunday = 0 or 7, names, ranges, steps) as APScheduler names."""
    chosen: set[int] = set()
    for item in field.lower().split(","):
        span, slash, step_text = item.partition("/")
        step = 1
        if slash:
            if not step_text.isdigit() or int(step_text) == 0:
                raise ValueError(f"day of week: {step_text!r} is not a step")
            step = int(step_text)
        if span == "*":
            first, last = 0, 6
        elif "-" in span:
            low, _, high = span.partition("-")
            first, last = _weekday(low), _weekday(high)
            if first > last:
                raise ValueError(f"day of week: the range {span!r} runs backwards")
        else:
            first = _weekday(span)
            # "5/2" means from Friday on, every second day, as in Vixie cron.
            last = 6 if slash else first
        chosen.update(day % 7 for day in range(first, last + 1, step))
    if len(chosen) == 7:
        return "*"
    return ",".join(_WEEKDAYS[day] for day in sorted(chosen))


def _weekday(token: str) -> int:
    """A weekday as cron numbers it: 0-6 from Sunday, and 7 for Sunday again (ends a range)."""
    token = token.strip()
    if token.isdigit() and 0 <= int(token) <= 7:
        return int(token)
    if token in _WEEKDAYS:
        return _WEEKDAYS.index(token)
    raise ValueError(
        f"day of week: {token!r} is not a weekday (0-7, where 0 and 7 are Sunday, or sun-sat)"
    )


def _shortest_gap(trigger: Any, text: str) -> timedelta:
    """The shortest time between two runs over a year, which bounds how long a run may take."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    previous: datetime | None = trigger.get_next_fire_time(None, start)
    if previous is None:
        raise ValueError(f"{text!r} never comes due")
    shortest: timedelta | None = None
    for _ in range(_GAP_SAMPLES):
        following: datetime | None = trigger.get_next_fire_time(
            None, previous + timedelta(microseconds=1)
        )
        if following is None:
            break
        gap = following - previous
        shortest = gap if shortest is None else min(shortest, gap)
        previous = following
        if following - start > _GAP_HORIZON:
            break
    if shortest is None:
        # It comes due once and never again (e.g. 29 February): one year is as good a period.
        return timedelta(days=365)
    return shortest
