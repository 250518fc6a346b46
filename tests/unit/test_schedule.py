"""Pipeline schedules: durations, cron lines as crontab(5) means them, and errors naming the key."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from connector.config import config_from_text
from connector.errors import ConfigError
from connector.schedule import ScheduleKind, parse_schedule, pipeline_schedule

# 2024-01-01 is a Monday.
MONDAY = datetime(2024, 1, 1, tzinfo=UTC)


def at(day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2024, 1, day, hour, minute, second, tzinfo=UTC)


def fire_times(text: str, start: datetime, count: int) -> list[datetime]:
    schedule = parse_schedule(text)
    times: list[datetime] = []
    instant = start
    for _ in range(count):
        following = schedule.next_after(instant)
        assert following is not None
        times.append(following)
        instant = following
    return times


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("30s", 30),
        ("5m", 300),
        ("1h", 3600),
        ("2d", 172_800),
        ("1h30m", 5400),
        (" 5M ", 300),
        ("1s", 1),
    ],
)
def test_durations(text: str, seconds: int) -> None:
    schedule = parse_schedule(text)
    assert schedule.kind is ScheduleKind.INTERVAL
    assert schedule.period == timedelta(seconds=seconds)
    assert schedule.next_after(MONDAY) == MONDAY + timedelta(seconds=seconds)
    assert schedule.slot_after(MONDAY) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("", "empty"),
        ("0s", "too short"),
        ("10", "no unit"),
        ("5x", "neither a duration nor a cron"),
        ("1.5h", "neither a duration nor a cron"),
        ("-5m", "neither a duration nor a cron"),
        ("* * *", "3 fields"),
        ("61 * * * *", "minute: '61'"),
        ("* 24 * * *", "hour: '24'"),
        ("* * 32 * *", "day of month: '32'"),
        ("* * * 13 *", "month: '13'"),
        ("*/0 * * * *", "minute: '*/0'"),
        ("* * * * 8", "day of week: '8'"),
        ("* * * * fri-mon", "runs backwards"),
        ("0 0 31 2 *", "never comes due"),
        ("@reboot", "nickname"),
    ],
)
def test_bad_schedules_say_what_is_wrong(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=re.escape(why)):
        parse_schedule(text)


def test_cron_weekdays_count_from_sunday_as_crontab_does() -> None:
    # Friday 5 January, 20:45: the next run of a weekday-office-hours line is Monday 08:00.
    times = fire_times("*/15 8-20 * * 1-5", at(5, 20, 40), 3)
    assert times == [at(5, 20, 45), at(8, 8, 0), at(8, 8, 15)]
    schedule = parse_schedule("*/15 8-20 * * 1-5")
    assert schedule.kind is ScheduleKind.CRON
    assert schedule.period == timedelta(minutes=15)


@pytest.mark.parametrize(
    ("text", "weekdays"),
    [
        ("0 9 * * 0", {6}),  # Sunday (Python's weekday() numbers Monday 0 ... Sunday 6)
        ("0 9 * * 7", {6}),
        ("0 9 * * sun", {6}),
        ("0 9 * * 5-7", {4, 5, 6}),
        ("0 9 * * */2", {6, 1, 3, 5}),  # every second day from Sunday: Sun, Tue, Thu, Sat
        ("0 9 * * mon,wed", {0, 2}),
        ("0 9 * * 1-5/2", {0, 2, 4}),
    ],
)
def test_cron_day_of_week_numbering(text: str, weekdays: set[int]) -> None:
    seen = {moment.weekday() for moment in fire_times(text, MONDAY, 14)}
    assert seen == weekdays


def test_cron_restricted_day_of_month_or_day_of_week_as_crontab() -> None:
    # crontab(5): "0 0 1 * 1" runs on the 1st of the month AND on every Monday.
    times = fire_times("0 0 1 * 1", MONDAY, 6)
    assert times == [
        at(8),
        at(15),
        at(22),
        at(29),
        datetime(2024, 2, 1, tzinfo=UTC),  # a Thursday: due as the 1st
        datetime(2024, 2, 5, tzinfo=UTC),
    ]


@pytest.mark.parametrize(
    ("text", "period"),
    [("@hourly", timedelta(hours=1)), ("@daily", timedelta(days=1)), ("@weekly", timedelta(7))],
)
def test_cron_nicknames(text: str, period: timedelta) -> None:
    assert parse_schedule(text).period == period


def test_due_between_counts_missed_runs_up_to_the_limit() -> None:
    every_minute = parse_schedule("1m")
    assert every_minute.due_between(MONDAY, MONDAY + timedelta(seconds=59), 3) == 0
    assert every_minute.due_between(MONDAY, MONDAY + timedelta(minutes=2, seconds=30), 3) == 2
    assert every_minute.due_between(MONDAY, MONDAY + timedelta(hours=5), 3) == 3
    assert every_minute.due_between(MONDAY, MONDAY - timedelta(hours=1), 3) == 0
    hourly = parse_schedule("0 * * * *")
    assert hourly.due_between(at(1, 10, 30), at(1, 12, 0), 5) == 2
    # Over a weekend a weekday line has nothing due, so it is not stale on Monday morning.
    office = parse_schedule("*/15 8-20 * * 1-5")
    assert office.due_between(at(5, 20, 45), at(8, 7, 59), 3) == 0


def test_a_cron_run_slot_ends_at_the_next_fire_time() -> None:
    daily = parse_schedule("0 9 * * *")
    assert daily.slot_after(at(1, 8, 59, 30)) == timedelta(seconds=30)
    assert daily.slot_after(at(1, 9, 0)) == timedelta(days=1)


CONFIG = """\
[[pipelines]]
name = "leads"
salesforce_object = "Lead"
hubspot_object = "contacts"
mapping = "mappings/leads.toml"
schedule = "30s"

[[pipelines]]
name = "opportunities"
salesforce_object = "Opportunity"
hubspot_object = "deals"
mapping = "mappings/opportunities.toml"
schedule = "{schedule}"
"""


def test_pipeline_schedule_from_config() -> None:
    config = config_from_text(
        CONFIG.format(schedule="0 6 * * 1-5"), Path("crmsync.toml"), environ={}
    )
    leads, opportunities = config.file.pipelines
    assert pipeline_schedule(config, leads).period == timedelta(seconds=30)
    assert pipeline_schedule(config, opportunities).kind is ScheduleKind.CRON


@pytest.mark.parametrize("bad", ["5x", "0 25 * * *", "every day"])
def test_a_bad_schedule_is_a_config_error_naming_file_line_pipeline_and_key(bad: str) -> None:
    config = config_from_text(CONFIG.format(schedule=bad), Path("crmsync.toml"), environ={})
    with pytest.raises(ConfigError) as caught:
        pipeline_schedule(config, config.file.pipelines[1])
    error = caught.value
    assert error.key == "[pipelines #2] schedule"
    assert error.where == "crmsync.toml:13"
    assert "pipeline 'opportunities'" in str(error)
    assert repr(bad) in str(error)
    assert '"5m"' in str(error) and "cron" in str(error)  # says what is expected
