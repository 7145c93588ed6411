"""A listing's recent price history as sparkline data. Pure: the window end (``now``) is given.

The history is reduced to one value per day (the day's lowest confirmed price), so the SVG has
at most two points per day of the window whatever the number of spans.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from tracker.domain import SpanPoint, Sparkline

WINDOW = timedelta(days=90)
WIDTH = 120
HEIGHT = 28
PAD = 3
# "Lowest in 90 days" when the current price is at most this share above the window's low.
LOW_MARGIN = Decimal("0.03")


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
    """Sparkline data for the spans in ``currency``; None when there is nothing to draw."""
    since = now - window
    mine = [s for s in spans if s.currency == currency and s.last_seen_at >= since]
    if not mine:
        return None
    lows = daily_lows(mine, since, now)
    if not lows:
        return None
    prices = [s.price for s in mine]
    low, high = min(prices), max(prices)
    days = max(1, _day(now, since) + 1)
    step = WIDTH / days
    points = []
    for day in sorted(lows):
        y = _y(lows[day], low, high)
        points.append(f"{day * step:.1f},{y:.1f}")
        points.append(f"{(day + 1) * step:.1f},{y:.1f}")
    first_seen = max(since, min(s.first_seen_at for s in mine))
    is_low = high > low and current_price <= low * (1 + LOW_MARGIN)
    return Sparkline(
        points=" ".join(points),
        width=WIDTH,
        height=HEIGHT,
        low=low,
        high=high,
        currency=currency,
        since=first_seen,
        is_low=is_low,
    )


def _y(price: Decimal, low: Decimal, high: Decimal) -> float:
    if high == low:
        return HEIGHT / 2
    share = float((price - low) / (high - low))
    return HEIGHT - PAD - share * (HEIGHT - 2 * PAD)
