"""What the box may claim about the past: histories too short and long enough (fixed `now`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.conftest import NOW
from tests.test_viewmodel import TEN, box, html_of
from tracker.claims import PriorPrice, past_prices, prior_price, reduction_start
from tracker.domain import SpanPoint
from tracker.publishing.sparkline import build_sparkline

D = Decimal
DAYS = timedelta(days=1)


def span(price: str, start_days_ago: float, end_days_ago: float, currency: str = "USD"):
    return SpanPoint(1, D(price), currency, NOW - start_days_ago * DAYS, NOW - end_days_ago * DAYS)


# (history, current price, the shop's struck price) -> the prior price the box may show.
PRIOR_CASES = [
    # One minute of history: the 30 days before are unknown; the shop's price, as the shop's.
    ([span("9.99", 1 / 1440, 0)], "9.99", "24.99", PriorPrice(D("24.99"), "shop")),
    ([span("9.99", 1 / 1440, 0)], "9.99", None, None),
    # 20 days at 24.99 then a cut: 30 days before the cut are not covered.
    ([span("24.99", 25, 5), span("9.99", 5, 0)], "9.99", "24.99", PriorPrice(D("24.99"), "shop")),
    # 40 days of history, cut 5 days ago: the lowest of the 30 days before the cut.
    (
        [span("24.99", 45, 20), span("19.99", 20, 5), span("9.99", 5, 0)],
        "9.99",
        None,
        PriorPrice(D("19.99"), "history"),
    ),
    # The history contradicts the shop: the price was as low before; no struck price at all.
    ([span("9.99", 45, 20), span("24.99", 20, 5), span("9.99", 5, 0)], "9.99", "24.99", None),
    # The shop's struck price is replaced by the 30-day low it hides.
    (
        [span("12.00", 45, 5), span("9.99", 5, 0)],
        "9.99",
        "24.99",
        PriorPrice(D("12.00"), "history"),
    ),
    # A price that went up is no reduction.
    ([span("8.00", 45, 5), span("9.99", 5, 0)], "9.99", None, None),
    # A run of spans at the current price (stock changed): the cut began with the first.
    (
        [span("15.00", 50, 10), span("9.99", 10, 4), span("9.99", 4, 0)],
        "9.99",
        None,
        PriorPrice(D("15.00"), "history"),
    ),
    # Another currency's history says nothing about this one.
    (
        [span("30.00", 60, 5, "EUR"), span("9.99", 5, 0)],
        "9.99",
        "24.99",
        PriorPrice(D("24.99"), "shop"),
    ),
]


@pytest.mark.parametrize(("spans", "price", "shop", "expected"), PRIOR_CASES)
def test_the_struck_price_follows_the_30_day_rule(spans, price, shop, expected) -> None:
    assert prior_price(spans, "USD", D(price), D(shop) if shop else None) == expected


def test_the_reduction_starts_with_the_run_at_the_current_price() -> None:
    spans = [span("15.00", 50, 10), span("9.99", 10, 4), span("9.99", 4, 0)]
    assert reduction_start(spans, D("9.99")) == NOW - 10 * DAYS
    assert reduction_start(spans, D("8.00")) is None


@pytest.mark.parametrize(
    ("spans", "covered", "is_low"),
    [
        ([span("24.99", 1 / 1440, 1 / 2880), span("9.99", 1 / 2880, 0)], False, True),  # 1 min
        ([span("24.99", 60, 10), span("9.99", 10, 0)], False, True),  # 60 days of 90
        ([span("24.99", 120, 10), span("9.99", 10, 0)], True, True),  # the whole window
        ([span("9.99", 120, 10), span("24.99", 10, 0)], True, False),  # the high, not the low
        ([span("24.99", 120, 0)], True, False),  # never moved: no "lowest"
    ],
)
def test_lowest_in_n_days_needs_n_days_of_history(spans, covered, is_low) -> None:
    past = past_prices(spans, "USD", spans[-1].price, NOW, 90 * DAYS)
    assert past is not None and (past.covered, past.is_low) == (covered, is_low)


def test_a_short_history_says_since_when_and_never_90_days() -> None:
    checked = 2 / 24  # TEN was checked 2 h before NOW: the chart ends there
    minute = {
        1: [
            span("80.00", checked + 1 / 1440, checked + 1 / 2880),
            span("75.00", checked + 1 / 2880, checked),
        ]
    }
    html = html_of(TEN, history=minute)
    assert "90 days" not in html
    assert "Lowest since Nov 26, 2026" in html and "Tracked since Nov 26, 2026" in html
    long = {1: [span("80.00", 120, 10), span("75.00", 10, 0)]}
    html = html_of(TEN, history=long)
    assert "Lowest in 90 days" in html and "Last 90 days: $75.00 to $80.00" in html


def test_a_one_day_history_draws_no_stray_dot() -> None:
    one = [span("75.00", 1.5, 2 / 24)]  # crosses a day boundary, still too short to draw
    line = build_sparkline(one, "USD", D("75.00"), NOW - timedelta(hours=2))
    assert line is not None and line.points == ""  # nothing to draw with one point
    html = html_of(TEN, history={1: one})
    assert "<svg" not in html and "<polyline" not in html
    assert "Same price since Nov 25, 2026" in html
    two = [span("80.00", 3, 1), span("75.00", 1, 0)]
    drawn = build_sparkline(two, "USD", D("75.00"), NOW)
    assert drawn is not None and len(drawn.points.split()) >= 4


def test_the_box_shows_whose_struck_price_it_is() -> None:
    sale = replace(TEN, regular_price=D("90.00"))
    assert 'the shop\'s "was" price <s>$90.00</s>' in html_of(sale)
    covered = {1: [span("82.00", 60, 5), span("75.00", 5, 0)]}
    [row] = box(sale, history=covered).rows
    assert (row.regular_price, row.regular_source) == (D("82.00"), "history")
    html = html_of(sale, history=covered)
    assert "was <s>$82.00</s> (lowest of the 30 days before)" in html and "$90.00" not in html
