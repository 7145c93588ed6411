"""A listing's recent price history as sparkline data. Pure: the window end (``now``) is given.

The history is reduced to one value per day (the day's lowest confirmed price), so the SVG has
at most two points per day of the window whatever the number of spans.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from tracker.claims import in_currency, past_prices
from tracker.domain import SpanPoint, Sparkline

WINDOW = timedelta(days=90)
# A shorter history draws no line: at the chart's scale it would be a stray dot.
MIN_DRAWN = timedelta(days=2)
WIDTH = 120
HEIGHT = 28
PAD = 3


def _day(moment: datetime, since: datetime) -> int:
    return int((moment - since) / timedelta(days=1))


def daily_lows(spans: Sequence[SpanPoint], since: datetime, now: datetime) -> dict[int, Decimal]:
    """The lowest price seen on each day of the window (day 0 starts at ``since``)."""
    last_day = _day(now, since)
    lows: dict[int, Decimal] = {}
    for span in spans:
        if span.last_seen_at < since or span.first_seen_at > now:
            continue
        first = max(0, _day(span.first_seen_at, since))
        last = min(last_day, _day(span.last_seen_at, since))
        for day in range(first, last + 1):
            if day not in lows or span.price < lows[day]:
                lows[day] = span.price
    return lows


def build_sparkline(
    spans: Sequence[SpanPoint],
    currency: str,
    current_price: Decimal,
    now: datetime,
    window: timedelta = WINDOW,
) -> Sparkline | None:
    """Sparkline data for the spans in ``currency``; None when there is nothing to draw.

    What it may claim (the window's range, "lowest") is decided by ``claims.past_prices``:
    a history shorter than the window is labelled with its start, never as the window.
    Less than MIN_DRAWN of history draws no line; the text still says what there is.
    """
    past = past_prices(spans, currency, current_price, now, window)
    if past is None:
        return None
    since = now - window
    lows = daily_lows(in_currency(spans, currency), since, now)
    if not lows:
        return None
    days = max(1, _day(now, since) + 1)
    step = WIDTH / days
    points = []
    if now - past.since >= MIN_DRAWN and len(lows) > 1:
        for day in sorted(lows):
            y = _y(lows[day], past.low, past.high)
            points.append(f"{day * step:.1f},{y:.1f}")
            points.append(f"{(day + 1) * step:.1f},{y:.1f}")
    return Sparkline(
        points=" ".join(points),
        width=WIDTH,
        height=HEIGHT,
        low=past.low,
        high=past.high,
        currency=currency,
        since=past.since,
        is_low=past.is_low,
        covered=past.covered,
        days=window.days,
    )


def _y(price: Decimal, low: Decimal, high: Decimal) -> float:
    if high == low:
        return HEIGHT / 2
    share = float((price - low) / (high - low))
    return HEIGHT - PAD - share * (HEIGHT - 2 * PAD)
