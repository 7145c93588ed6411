"""A listing's price history as an SVG step chart drawn on the server, and its changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from tracker.domain import SpanPoint

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 28


@dataclass(frozen=True)
class Change:
    at: datetime
    before: Decimal | None
    after: Decimal
    currency: str


@dataclass(frozen=True)
class Chart:
    days: int
    currency: str | None
    points: str  # the polyline's "x,y x,y ..." (empty: nothing to draw)
    low: Decimal | None
    high: Decimal | None
    y_low: float
    y_high: float
    since: datetime
    until: datetime
    changes: list[Change]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    right: int = RIGHT
    top: int = TOP
    bottom: int = BOTTOM

    @property
    def description(self) -> str:
        if self.low is None or self.high is None:
            return f"No confirmed price in the last {self.days} days."
        return (
            f"Price over the last {self.days} days: low {self.low:.2f}, high {self.high:.2f} "
            f"{self.currency}, {len(self.changes)} changes."
        )


def price_chart(spans: list[SpanPoint], since: datetime, until: datetime, days: int) -> Chart:
    """The step line of the spans' prices between ``since`` and ``until``, in the newest currency.

    A span holds its price from when it was first seen to when it was last seen; the line
    steps at each change. Spans in another currency are listed as changes but not drawn.
    """
    ordered = sorted(spans, key=lambda s: (s.first_seen_at, s.last_seen_at))
    currency = ordered[-1].currency if ordered else None
    drawn = [s for s in ordered if s.currency == currency]
    changes: list[Change] = []
    previous: SpanPoint | None = None
    for span in ordered:
        if previous is None or (span.price, span.currency) != (previous.price, previous.currency):
            before = previous.price if previous and previous.currency == span.currency else None
            changes.append(Change(span.first_seen_at, before, span.price, span.currency))
        previous = span
    if not drawn:
        return Chart(days, currency, "", None, None, 0.0, 1.0, since, until, changes)
    low = min(s.price for s in drawn)
    high = max(s.price for s in drawn)
    pad = (high - low) * Decimal("0.1") or (high * Decimal("0.05")) or Decimal(1)
    y_low, y_high = float(low - pad), float(high + pad)
    start, seconds = since.timestamp(), max((until - since).total_seconds(), 1.0)
    x_scale = (WIDTH - LEFT - RIGHT) / seconds
    y_scale = (HEIGHT - TOP - BOTTOM) / (y_high - y_low)
    x_max = float(WIDTH - RIGHT)
    coords: list[tuple[float, float]] = []
    for span in drawn:
        level = TOP + (y_high - float(span.price)) * y_scale
        left = min(max(LEFT + (span.first_seen_at.timestamp() - start) * x_scale, LEFT), x_max)
        right = min(max(LEFT + (span.last_seen_at.timestamp() - start) * x_scale, LEFT), x_max)
        if coords:
            coords.append((left, coords[-1][1]))  # the step
        coords.append((left, level))
        coords.append((right, level))
    points = " ".join(f"{px:.1f},{py:.1f}" for px, py in coords)
    return Chart(days, currency, points, low, high, y_low, y_high, since, until, changes)
