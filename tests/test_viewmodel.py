"""The buy box's view model and HTML with a fixed `now`."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.conftest import NOW
from tracker.buybox import BoxRenderer
from tracker.config import SiteSettings
from tracker.domain import Availability, ListingState
from tracker.viewmodel import build_buy_box

DAY = timedelta(hours=24)
TEN = ListingState(
    listing_id=1,
    product_slug="cortexin",
    product_name="Cortexin",
    vendor_slug="cosmic",
    vendor_name="CosmicNootropic",
    label="10 vials x 10 mg",
    url="https://shop.example/c",
    affiliate_url="https://shop.example/c?ref=1",
    quantity=10,
    unit="vial",
    strength_amount=Decimal("10"),
    strength_unit="mg",
    position=0,
    price=Decimal("75.00"),
    currency="USD",
    availability="InStock",
    regular_price=None,
    confirmed=True,
    first_seen_at=NOW - timedelta(days=3),
    last_seen_at=NOW - timedelta(hours=2),
    last_checked_at=NOW - timedelta(hours=2),
    last_status="ok",
    last_error=None,
    consecutive_failures=0,
)
FIVE = replace(
    TEN, listing_id=2, label="10 vials x 5 mg", strength_amount=Decimal("5"), price=Decimal("45.00")
)


def box(*states: ListingState):
    return build_buy_box(
        "cortexin", "Cortexin", states, disclosure="We earn.", now=NOW, max_age=DAY
    )


def test_fresh_rows_show_prices_and_unit_prices() -> None:
    rows = box(TEN, FIVE).rows
    assert [r.price for r in rows] == [Decimal("75.00"), Decimal("45.00")]
    assert [(u.amount, u.per) for u in rows[0].unit_prices] == [
        (Decimal("7.5"), "vial"),
        (Decimal("0.75"), "mg"),
    ]
    assert rows[1].unit_prices[-1].amount == Decimal("0.9")
    assert [r.is_best for r in rows] == [True, False]  # 0.75 USD/mg beats 0.90 USD/mg


@pytest.mark.parametrize(
    "state",
    [
        replace(TEN, last_seen_at=NOW - DAY - timedelta(seconds=1)),  # stale
        replace(TEN, confirmed=False),  # unconfirmed
        replace(TEN, price=None, currency=None, last_seen_at=None),  # never checked
    ],
)
def test_no_number_unless_fresh_and_confirmed(state: ListingState) -> None:
    [row] = box(state).rows
    assert row.price is None and row.checked_at is None
    html = BoxRenderer(SiteSettings()).render(box(state))
    assert "Check the price at CosmicNootropic" in html and "$" not in html


def test_out_of_stock_last_and_never_best() -> None:
    gone = replace(FIVE, availability="OutOfStock", price=Decimal("1.00"))
    rows = box(gone, TEN).rows
    assert [r.listing_id for r in rows] == [1, 2]
    assert rows[1].availability is Availability.OUT_OF_STOCK and not rows[1].is_best


def test_no_best_across_currencies() -> None:
    euro = replace(FIVE, currency="EUR")
    assert not any(r.is_best for r in box(TEN, euro).rows)


def test_unsafe_link_is_never_rendered() -> None:
    evil = replace(TEN, affiliate_url="javascript:alert(1)")
    assert box(evil).rows == ()


def test_html_has_as_of_time_sponsored_link_and_sale() -> None:
    sale = replace(TEN, regular_price=Decimal("90.00"))
    html = BoxRenderer(SiteSettings()).render(box(sale))
    assert '<time datetime="2026-11-26T10:00:00Z">' in html
    assert 'rel="sponsored noopener"' in html and "We earn." in html
    assert '<s class="tracker-offer__regular">$90.00</s>' in html
    assert "\n\n" not in html  # safe inside Markdown


def test_vendor_strings_are_escaped() -> None:
    evil = replace(
        TEN, vendor_name="<script>alert(1)</script>", label='"><img src=x onerror=alert(1)>'
    )
    html = BoxRenderer(SiteSettings()).render(box(evil))
    assert "<script>alert" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_locale_formats_money() -> None:
    euro = replace(TEN, currency="EUR", price=Decimal("1234.50"))
    html = BoxRenderer(SiteSettings(locale="de_DE")).render(box(euro))
    assert "1.234,50\xa0€" in html
