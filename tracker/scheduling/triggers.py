"""The effective schedule of a vendor and its APScheduler trigger.

The schedule text was checked by ``tracker.schedules`` when the catalog was read; here it
becomes a trigger. The tests check these without a clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from tracker.profile import ScheduleEntry
from tracker.schedules import parse_duration

JITTER_SHARE = 0.1


@dataclass(frozen=True)
class Schedule:
    """The effective schedule of one vendor: a cron expression or an interval, with jitter."""

    cron: str | None
    every_seconds: float | None
    jitter_seconds: float
    timezone: str

    @classmethod
    def of(cls, entry: ScheduleEntry | None, default_every: str, default_jitter: str) -> Schedule:
        """Combine a vendor's own schedule (its profile's) with the site-wide defaults.

        A vendor without its own jitter gets the default jitter, capped at a tenth of its
        interval so that a short interval is not smeared over its whole period.
        """
        entry = entry or ScheduleEntry()
        cron = entry.cron
        every = None if cron else parse_duration(entry.every or default_every)
        schedule = cls(cron, every, 0.0, entry.timezone or "UTC")
        if entry.jitter is not None:
            jitter = parse_duration(entry.jitter)
        else:
            jitter = min(parse_duration(default_jitter), schedule.period_seconds() * JITTER_SHARE)
        return cls(cron, every, float(int(jitter)), schedule.timezone)

    def trigger(self, start: datetime | None = None) -> BaseTrigger:
        """The APScheduler trigger; an interval's first run at ``start`` when given."""
        jitter = int(self.jitter_seconds) or None
        if self.cron:
            return CronTrigger(**_cron_fields(self.cron), timezone=self.timezone, jitter=jitter)
        return IntervalTrigger(
            seconds=self.every_seconds or 1,
            start_date=start,
            timezone=self.timezone,
            jitter=jitter,
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
