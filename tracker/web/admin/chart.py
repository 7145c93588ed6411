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
    span_seconds = max((until - since).total_seconds(), 1.0)
    plot_w = WIDTH - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM

    def x(at: datetime) -> float:
        share = (max(at, since) - since).total_seconds() / span_seconds
        return LEFT + min(max(share, 0.0), 1.0) * plot_w

    def y(price: Decimal) -> float:
        return TOP + (1 - (float(price) - y_low) / (y_high - y_low)) * plot_h

    coords: list[tuple[float, float]] = []
    for span in drawn:
        level = y(span.price)
        if coords:
            coords.append((x(span.first_seen_at), coords[-1][1]))  # the step
        coords.append((x(span.first_seen_at), level))
        coords.append((x(span.last_seen_at), level))
    points = " ".join(f"{px:.1f},{py:.1f}" for px, py in coords)
    return Chart(days, currency, points, low, high, y_low, y_high, since, until, changes)
