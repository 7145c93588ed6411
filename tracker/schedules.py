"""Crawl schedules: durations, the effective schedule of a vendor and its APScheduler trigger.

Pure functions of their inputs: the catalog validates with them, the scheduler builds its
triggers with them, and the tests check them without a clock.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}
JITTER_SHARE = 0.1


def parse_duration(value: str | float | int) -> float:
    """Seconds from ``90``, ``"90s"``, ``"15m"``, ``"6h"`` or ``"1d"``."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or a text like '15m', '6h', '1d'")
    if isinstance(value, int | float):
        seconds = float(value)
    else:
        match = _DURATION.match(value)
        if not match:
            raise ValueError(f"{value!r} is not a duration: write e.g. '90s', '15m', '6h', '1d'")
        seconds = float(match.group(1)) * _UNITS[match.group(2)]
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


def check_cron(expression: str) -> str:
    """Raise ValueError unless the text is a five-field crontab expression."""
    try:
        if len(expression.split()) != 5:
            raise ValueError("give five fields: minute hour day month day-of-week")
        CronTrigger.from_crontab(expression, timezone="UTC")
    except ValueError as exc:
        raise ValueError(f"not a valid cron expression {expression!r}: {exc}") from exc
    return expression


def check_timezone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name


@dataclass(frozen=True)
class Schedule:
    """The effective schedule of one vendor: a cron expression or an interval, with jitter."""

    cron: str | None
    every_seconds: float | None
    jitter_seconds: float
    timezone: str

    @classmethod
    def of(cls, stored: dict[str, Any] | None, default_every: str, default_jitter: str) -> Schedule:
        """Combine a vendor's stored ``schedule`` settings with the site-wide defaults.

        A vendor without its own jitter gets the default jitter, capped at a tenth of its
        interval so that a short interval is not smeared over its whole period.
        """
        stored = stored or {}
        cron = stored.get("cron")
        every = None if cron else parse_duration(stored.get("every", default_every))
        schedule = cls(cron, every, 0.0, stored.get("timezone") or "UTC")
        if "jitter" in stored:
            jitter = parse_duration(stored["jitter"])
        else:
            jitter = min(parse_duration(default_jitter), schedule.period_seconds() * JITTER_SHARE)
        return cls(cron, every, float(int(jitter)), schedule.timezone)

    def trigger(self) -> BaseTrigger:
        jitter = int(self.jitter_seconds) or None
        if self.cron:
            return CronTrigger(**_cron_fields(self.cron), timezone=self.timezone, jitter=jitter)
        return IntervalTrigger(
            seconds=self.every_seconds or 1, timezone=self.timezone, jitter=jitter
        )

    def period_seconds(self) -> float:
        """The interval, or for a cron expression the gap between two of its next fire times."""
        if self.every_seconds is not None:
            return self.every_seconds
        trigger = CronTrigger.from_crontab(self.cron or "* * * * *", timezone=self.timezone)
        start = datetime(2026, 1, 5, tzinfo=ZoneInfo(self.timezone))
        first = trigger.get_next_fire_time(None, start)
        second = trigger.get_next_fire_time(first, (first or start) + timedelta(seconds=1))
        if first is None or second is None:
            return 86400.0
        return (second - first).total_seconds()

    def misfire_grace_seconds(self) -> int:
        """A crawl late by less than its interval still runs (a restart must not drop it)."""
        return max(1, int(self.period_seconds()))

    def describe(self) -> str:
        base = f"cron {self.cron}" if self.cron else f"every {_human(self.every_seconds or 0)}"
        if self.jitter_seconds:
            base += f" ±{_human(self.jitter_seconds)}"
        if self.timezone != "UTC":
            base += f" ({self.timezone})"
        return base

    def fingerprint(self) -> str:
        """A stable text of the schedule, kept with the job to see when the catalog changed it."""
        return json.dumps(
            {
                "cron": self.cron,
                "every": self.every_seconds,
                "jitter": self.jitter_seconds,
                "timezone": self.timezone,
            },
            sort_keys=True,
        )


def _cron_fields(expression: str) -> dict[str, str]:
    minute, hour, day, month, day_of_week = expression.split()
    return {
        "minute": minute,
        "hour": hour,
        "day": day,
        "month": month,
        "day_of_week": day_of_week,
    }


def _human(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{int(seconds // size)}{unit}"
    return f"{seconds:g}s"
