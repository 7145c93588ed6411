"""Schedule text: durations, cron expressions and time zones, checked without a scheduler.

Pure functions: the catalog and the settings validate with them, and the scheduler
(``tracker.scheduling.triggers``) builds its triggers from the text they accepted.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d)?\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, None: 1}


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


def check_timezone(name: str) -> str:
    """Raise ValueError unless the name is a known IANA time zone."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r}") from exc
    return name


# Cron text is what APScheduler 3's ``CronTrigger.from_crontab`` accepts, read here without
# it: five fields, each a comma list of expressions (``*``, ``*/step``, ``n``, ``n-m``,
# ``n-m/step``, ``n/step``; month and weekday names; ``last`` for the day). As there, the
# first kind of expression whose pattern matches decides, and names are matched at the
# start of the text only. tests/test_schedules.py checks the two agree on a table of cases.
_ALL = re.compile(r"\*(?:/(?P<step>\d+))?$")
_RANGE = re.compile(r"(?P<first>\d+)(?:-(?P<last>\d+))?(?:/(?P<step>\d+))?$")
_NAMES = re.compile(r"(?P<first>[a-z]+)(?:-(?P<last>[a-z]+))?", re.IGNORECASE)
_LAST_DAY = re.compile(r"last", re.IGNORECASE)
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class _CronField:
    name: str
    low: int
    high: int
    names: tuple[str, ...] = ()  # numbered from ``low``
    last_day: bool = False  # takes ``last``


_CRON_FIELDS = (
    _CronField("minute", 0, 59),
    _CronField("hour", 0, 23),
    _CronField("day", 1, 31, last_day=True),
    _CronField("month", 1, 12, _MONTHS),
    _CronField("day of week", 0, 6, _WEEKDAYS),
)


def check_cron(expression: str) -> str:
    """Raise ValueError unless the text is a five-field crontab expression."""
    fields = expression.split()
    try:
        if len(fields) != 5:
            raise ValueError("give five fields: minute hour day month day-of-week")
        for field, text in zip(_CRON_FIELDS, fields, strict=True):
            for part in text.split(","):
                _check_cron_part(field, part)
    except ValueError as exc:
        raise ValueError(f"not a valid cron expression {expression!r}: {exc}") from None
    return expression


def _check_cron_part(field: _CronField, part: str) -> None:
    span = field.high - field.low
    if match := _ALL.match(part):
        _check_step(_number(match["step"]), span)
    elif match := _RANGE.match(part):
        first, last, step = (_number(match[key]) for key in ("first", "last", "step"))
        _check_step(step, span)
        if last is None and step is None:
            last = first
        assert first is not None
        if last is not None and first > last:
            raise ValueError(f"{part!r}: the range starts after it ends")
        if first < field.low or (last is not None and last > field.high):
            raise ValueError(f"{part!r}: the {field.name} goes from {field.low} to {field.high}")
        if step and step > (last or field.high) - first:
            raise ValueError(f"{part!r}: the step is larger than the range")
    elif field.last_day and _LAST_DAY.match(part):
        pass
    elif field.names and (match := _NAMES.match(part)):
        first = _name_number(field, match["first"])
        last = _name_number(field, match["last"]) if match["last"] else first
        if first > last:
            raise ValueError(f"{part!r}: the range starts after it ends")
    else:
        raise ValueError(f"{part!r} is not a {field.name} expression")


def _number(text: str | None) -> int | None:
    return None if text is None else int(text)


def _check_step(step: int | None, span: int) -> None:
    if step == 0:
        raise ValueError("a step must be 1 or more")
    if step and step > span:
        raise ValueError(f"the step {step} is larger than the whole range ({span})")


def _name_number(field: _CronField, name: str) -> int:
    try:
        return field.names.index(name.lower()) + field.low
    except ValueError:
        raise ValueError(f"{name!r} is not a {field.name} name") from None
