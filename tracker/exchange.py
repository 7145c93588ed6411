"""Reference exchange rates for comparing prices across currencies. Pure: text in, rates out.

The rates are the European Central Bank's euro foreign exchange reference rates, in the file
the operator downloads and keeps (the daily XML, ``eurofxref-daily.xml``, or the CSV inside
``eurofxref.zip``). The tracker never invents or fetches a rate: no file, no conversion.
A converted price is for comparison only and always shown after the shop's own price.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

# Rates older than this (from the day they are applied) are not used: the box converts nothing.
RATES_MAX_AGE = timedelta(days=7)
_DAY = re.compile(r"""<Cube\s+time\s*=\s*["'](\d{4}-\d{2}-\d{2})["']""")
_RATE = re.compile(r"""<Cube\s+currency\s*=\s*["']([A-Z]{3})["']\s+rate\s*=\s*["']([0-9.]+)["']""")


class RatesError(Exception):
    """A rates file that cannot be read; the message names the file."""


@dataclass(frozen=True, slots=True)
class Rates:
    """Units of each currency per euro on one day (EUR itself is 1)."""

    day: date
    per_euro: dict[str, Decimal]

    def convert(self, amount: Decimal, source: str, target: str) -> Decimal | None:
        """``amount`` of ``source`` in ``target``; None when a currency has no rate."""
        if source not in self.per_euro or target not in self.per_euro:
            return None
        return amount / self.per_euro[source] * self.per_euro[target]

    def usable(self, today: date) -> bool:
        """Whether the rates are recent enough to show (see RATES_MAX_AGE)."""
        return today - self.day <= RATES_MAX_AGE


def _rate(value: str, where: str) -> Decimal:
    try:
        rate = Decimal(value.strip())
    except InvalidOperation:
        raise RatesError(f"{where}: {value.strip()!r} is not a rate") from None
    if not rate.is_finite() or rate <= 0:
        raise RatesError(f"{where}: {value.strip()!r} is not a rate")
    return rate


def parse_xml(text: str, source: str) -> Rates:
    """The ECB's daily XML: ``<Cube time="…">`` holding ``<Cube currency="…" rate="…"/>``."""
    day = _DAY.search(text)
    if not day:
        raise RatesError(f'{source}: no <Cube time="YYYY-MM-DD"> element (an ECB rates file?)')
    rates = {"EUR": Decimal(1)}
    for code, value in _RATE.findall(text[day.end() :]):
        rates[code] = _rate(value, f"{source}: {code}")
    if len(rates) == 1:
        raise RatesError(f"{source}: no rates in the file")
    return Rates(date.fromisoformat(day.group(1)), rates)


def parse_csv(text: str, source: str) -> Rates:
    """The ECB's CSV: a header ``Date, USD, JPY, …`` and a row ``3 December 2026, 1.08, …``."""
    rows = [row for row in csv.reader(io.StringIO(text)) if any(c.strip() for c in row)]
    if len(rows) < 2 or rows[0][0].strip().lower() != "date":
        raise RatesError(f"{source}: expected a 'Date, USD, …' header and a row of rates")
    header, values = rows[0], rows[1]
    try:
        day = datetime.strptime(values[0].strip(), "%d %B %Y").date()
    except ValueError:
        raise RatesError(
            f"{source}: {values[0].strip()!r} is not a date like '3 December 2026'"
        ) from None
    rates = {"EUR": Decimal(1)}
    for code, value in zip(header[1:], values[1:], strict=False):
        code, value = code.strip(), value.strip()
        if code and value and value != "N/A":
            rates[code] = _rate(value, f"{source}: {code}")
    return Rates(day, rates)


def parse_rates(text: str, source: str) -> Rates:
    """An ECB rates file in either form, told apart by its first character."""
    return parse_xml(text, source) if text.lstrip().startswith("<") else parse_csv(text, source)
