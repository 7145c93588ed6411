"""What the buy box may claim about a price's past. Pure: every time is passed in.

A mark about the past ("lowest in 90 days", a 90-day range, a struck "was" price) is a claim
to the reader and, in the EU, a regulated one: it is made only when the stored history covers
the period it names. Otherwise the box says what the history does support ("lowest since
3 Dec") or nothing. The README's "What each mark means" section follows these functions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tracker.domain import SpanPoint

# The EU rule for a announced reduction (Directive 98/6/EC, art. 6a): the prior price is the
# lowest price applied during the 30 days before the reduction.
PRIOR_PRICE_PERIOD = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class PriorPrice:
    """The struck price to show beside the current one, and whose claim it is."""

    amount: Decimal
    source: str  # "history": our 30-day low before the cut; "shop": the shop's own struck price


def in_currency(spans: Sequence[SpanPoint], currency: str) -> list[SpanPoint]:
    """The spans in ``currency``, oldest first."""
    return sorted((s for s in spans if s.currency == currency), key=lambda s: s.first_seen_at)


def history_start(spans: Sequence[SpanPoint]) -> datetime | None:
    """When the history we hold begins (the first span's first sighting)."""
    return min((s.first_seen_at for s in spans), default=None)


def covers(spans: Sequence[SpanPoint], since: datetime) -> bool:
    """Whether the history reaches back to ``since``: a claim about the period may be made."""
    start = history_start(spans)
    return start is not None and start <= since


def reduction_start(spans: Sequence[SpanPoint], price: Decimal) -> datetime | None:
    """When the current price began: the start of the latest unbroken run of spans at ``price``.

    ``spans`` are of one currency, oldest first; None when the latest span is not at ``price``.
    """
    start = None
    for span in reversed(spans):
        if span.price != price:
            break
        start = span.first_seen_at
    return start


def prior_price(
    spans: Sequence[SpanPoint],
    currency: str,
    price: Decimal,
    shop_regular: Decimal | None,
) -> PriorPrice | None:
    """The "was" price the 30-day rule allows, or None.

    Where the history covers the 30 days before the current price began, the prior price is
    the lowest of those days, shown only when it is above the current price (the shop's own
    struck price is then not shown: the history contradicts or replaces it). Where it does
    not, the shop's struck price may be shown, labelled as the shop's.
    """
    mine = in_currency(spans, currency)
    start = reduction_start(mine, price)
    if start is not None and covers(mine, start - PRIOR_PRICE_PERIOD):
        since = start - PRIOR_PRICE_PERIOD
        before = [s.price for s in mine if s.first_seen_at < start and s.last_seen_at >= since]
        low = min(before, default=None)
        return PriorPrice(low, "history") if low is not None and low > price else None
    if shop_regular is not None and shop_regular > price:
        return PriorPrice(shop_regular, "shop")
    return None


@dataclass(frozen=True, slots=True)
class PastPrices:
    """What the history of a window supports saying about the current price."""

    low: Decimal
    high: Decimal
    since: datetime  # the start of the history inside the window
    covered: bool  # the history covers the whole window: "in 90 days" may be said
    is_low: bool  # the current price is the window's lowest, and the price has moved


def past_prices(
    spans: Sequence[SpanPoint],
    currency: str,
    price: Decimal,
    now: datetime,
    window: timedelta,
) -> PastPrices | None:
    """Low, high and coverage of the window ending at ``now``; None without history."""
    since = now - window
    mine = [s for s in in_currency(spans, currency) if s.last_seen_at >= since]
    if not mine:
        return None
    prices = [s.price for s in mine]
    low, high = min(prices), max(prices)
    start = history_start(mine)
    assert start is not None
    return PastPrices(
        low=low,
        high=high,
        since=max(since, start),
        covered=start <= since,
        is_low=high > low and price <= low,
    )
