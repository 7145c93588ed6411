"""Schedules: durations, effective schedules and triggers, catalog validation. No clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tracker.catalog import CatalogError, parse_catalog
from tracker.config import ConfigError, load_settings
from tracker.profile import ScheduleEntry
from tracker.schedules import parse_duration
from tracker.scheduling.triggers import Schedule

VENDOR = """
products: []
vendors:
  - slug: shop
    name: Shop
    homepage: https://shop.example/
    currency: USD
    schedule: {schedule}
"""


def entry(stored: dict[str, object] | None) -> ScheduleEntry | None:
    return None if stored is None else ScheduleEntry.model_validate(stored)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(90, 90.0), ("90", 90.0), ("90s", 90.0), ("15m", 900.0), ("6h", 21600.0), ("1d", 86400.0)],
)
def test_durations(value: str | int, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["", "6 hours", "-1h", "h", True])
def test_bad_durations(value: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(value)


@pytest.mark.parametrize(
    ("stored", "describe", "period", "jitter"),
    [
        (None, "every 6h ±5m", 21600, 300),
        ({"every": "1s"}, "every 1s", 1, 0),  # default jitter capped at a tenth of the interval
        ({"every": "30m", "jitter": "2m"}, "every 30m ±2m", 1800, 120),
        ({"cron": "0 */6 * * *"}, "cron 0 */6 * * * ±5m", 21600, 300),
        ({"cron": "30 7 * * *", "timezone": "Europe/Berlin", "jitter": 0}, None, 86400, 0),
    ],
)
def test_effective_schedule(
    stored: dict[str, object] | None, describe: str | None, period: float, jitter: float
) -> None:
    schedule = Schedule.of(entry(stored), "6h", "5m")
    assert schedule.period_seconds() == period
    assert schedule.jitter_seconds == jitter
    assert schedule.misfire_grace_seconds() == period
    if describe:
        assert schedule.describe() == describe


def test_cron_trigger_in_its_time_zone() -> None:
    stored = {"cron": "30 7 * * *", "timezone": "Europe/Berlin", "jitter": 0}
    schedule = Schedule.of(entry(stored), "6h", "0")
    start = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    fire = schedule.trigger().get_next_fire_time(None, start)
    assert fire is not None and fire.astimezone(UTC) == datetime(2026, 11, 27, 6, 30, tzinfo=UTC)


def test_interval_trigger() -> None:
    trigger = Schedule.of(entry({"every": "15m", "jitter": 0}), "6h", "0").trigger()
    start = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    first = trigger.get_next_fire_time(None, start)
    assert first is not None
    assert trigger.get_next_fire_time(first, first) == first + timedelta(minutes=15)


def test_fingerprint_follows_the_values() -> None:
    one = Schedule.of(entry({"every": "1h"}), "6h", "5m")
    assert one.fingerprint() == Schedule.of(entry({"every": "60m"}), "6h", "5m").fingerprint()
    assert one.fingerprint() != Schedule.of(entry({"every": "2h"}), "6h", "5m").fingerprint()


@pytest.mark.parametrize(
    ("schedule", "error"),
    [
        ('{cron: "61 * * * *"}', "vendors[0].schedule.cron: not a valid cron expression"),
        ('{cron: "* * *"}', "vendors[0].schedule.cron: not a valid cron expression"),
        ("{every: 6 hours}", "vendors[0].schedule.every: '6 hours' is not a duration"),
        ("{every: 0s}", "vendors[0].schedule.every: the interval must be at least one second"),
        ("{every: 1h, cron: '0 * * * *'}", "vendors[0].schedule: give cron or every, not both"),
        ("{every: 1h, timezone: Mars/Base}", "vendors[0].schedule.timezone: unknown time zone"),
        ("{every: 1h, jitter: soon}", "vendors[0].schedule.jitter: 'soon' is not a duration"),
        ("{hourly: true}", "vendors[0].schedule.hourly: unknown key"),
    ],
)
def test_bad_schedules_name_the_field(schedule: str, error: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(VENDOR.format(schedule=schedule), "catalog.yaml", {})
    assert f"catalog.yaml: {error}" in str(caught.value)


def test_good_schedule_is_kept_as_written() -> None:
    catalog = parse_catalog(
        VENDOR.format(schedule="{cron: '0 */6 * * *', jitter: 10m, timezone: Europe/Berlin}"),
        "catalog.yaml",
        {},
    )
    stored = catalog.vendors[0].profile().stored()
    assert stored["schedule"] == {
        "cron": "0 */6 * * *",
        "jitter": "10m",
        "timezone": "Europe/Berlin",
    }


def test_bad_default_schedule_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_SCHEDULE__DEFAULT_EVERY", "6 hours")
    with pytest.raises(ConfigError, match="schedule.default_every: .*'6 hours' is not a duration"):
        load_settings()
