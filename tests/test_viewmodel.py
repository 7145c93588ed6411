"""The buy box's view model and HTML with a fixed `now`."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.conftest import NOW
from tracker.config import SiteSettings
from tracker.domain import Availability, ListingState, RowState, SpanPoint
from tracker.publishing.buybox import BoxRenderer
from tracker.publishing.viewmodel import build_buy_box, build_group, relative_age

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
    vendor_homepage="https://shop.example/",
    vendor_affiliate_template="{url}?ref=1",
)
FIVE = replace(
    TEN, listing_id=2, label="10 vials x 5 mg", strength_amount=Decimal("5"), price=Decimal("45.00")
)


def box(*states: ListingState, **options):
    return build_buy_box(
        "cortexin", "Cortexin", states, disclosure="We earn.", now=NOW, max_age=DAY, **options
    )


def html_of(*states: ListingState, site: SiteSettings | None = None, **options) -> str:
    site = site or SiteSettings(inline_css=False)  # the styles hold numbers like .75
    return BoxRenderer(site).render_box(box(*states, **options))


def test_fresh_rows_show_prices_and_unit_prices() -> None:
    rows = box(TEN, FIVE).rows
    assert [r.price for r in rows] == [Decimal("75.00"), Decimal("45.00")]
    assert [(u.amount, u.per) for u in rows[0].unit_prices] == [
        (Decimal("7.5"), "vial"),
        (Decimal("0.75"), "mg"),
    ]
    assert rows[1].unit_prices[-1].amount == Decimal("0.9")
    assert [r.is_best for r in rows] == [True, False]  # 0.75 USD/mg beats 0.90 USD/mg
    html = html_of(TEN, FIVE)
    assert "$0.75 per mg" in html and "$0.90 per mg" in html and "Best value" in html


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        (replace(TEN, last_seen_at=NOW - DAY - timedelta(seconds=1)), RowState.CHECK),  # stale
        (replace(TEN, confirmed=False), RowState.CHECK),  # unconfirmed
        (replace(TEN, price=None, currency=None, last_seen_at=None), RowState.CHECK),  # no data
        (replace(TEN, link_only=True), RowState.LINK_ONLY),  # the vendor's terms
        (replace(TEN, max_age_hours=1.0), RowState.CHECK),  # per-vendor max age: 2 h is old
    ],
)
def test_no_number_unless_fresh_confirmed_and_allowed(
    state: ListingState, expected: RowState
) -> None:
    [row] = box(state).rows
    assert row.price is None and row.checked_at is None and row.state is expected
    html = html_of(state, jsonld=True)
    assert "$" not in html and "75" not in html and "ld+json" not in html
    assert "CosmicNootropic" in html and "10 vials x 10 mg" in html
    if expected is RowState.LINK_ONLY:
        assert "See the offer at CosmicNootropic" in html
    else:
        assert "Check the price at CosmicNootropic" in html


SOLD_OUT_AT = NOW - timedelta(hours=1)  # after TEN's price reading (2 h ago)


@pytest.mark.parametrize(
    ("state", "expected", "availability"),
    [
        # the page said "out of stock" (or discontinued) and dropped its price: out of stock now
        (
            replace(TEN, seen_availability="OutOfStock", seen_availability_at=SOLD_OUT_AT),
            RowState.UNAVAILABLE,
            Availability.OUT_OF_STOCK,
        ),
        (
            replace(TEN, seen_availability="Discontinued", seen_availability_at=SOLD_OUT_AT),
            RowState.UNAVAILABLE,
            Availability.DISCONTINUED,
        ),
        # held or never priced: the page's word on stock still shows
        (
            replace(
                TEN,
                confirmed=False,
                seen_availability="OutOfStock",
                seen_availability_at=SOLD_OUT_AT,
            ),
            RowState.UNAVAILABLE,
            Availability.OUT_OF_STOCK,
        ),
        (
            replace(
                TEN,
                price=None,
                currency=None,
                last_seen_at=None,
                seen_availability="OutOfStock",
                seen_availability_at=SOLD_OUT_AT,
            ),
            RowState.UNAVAILABLE,
            Availability.OUT_OF_STOCK,
        ),
        # the price reading is as new: its own stock says it
        (
            replace(TEN, seen_availability="OutOfStock", seen_availability_at=TEN.last_seen_at),
            RowState.PRICED,
            Availability.IN_STOCK,
        ),
        # a page without a price that says in stock changes nothing
        (
            replace(TEN, seen_availability="InStock", seen_availability_at=SOLD_OUT_AT),
            RowState.PRICED,
            Availability.IN_STOCK,
        ),
        # an old "out of stock" reading goes stale like a price
        (
            replace(
                TEN,
                last_seen_at=NOW - 3 * DAY,
                seen_availability="OutOfStock",
                seen_availability_at=NOW - 2 * DAY,
            ),
            RowState.CHECK,
            Availability.UNKNOWN,
        ),
        (
            replace(TEN, link_only=True, seen_availability="OutOfStock", seen_availability_at=NOW),
            RowState.LINK_ONLY,
            Availability.UNKNOWN,
        ),
    ],
)
def test_availability_without_a_price_is_a_reading(
    state: ListingState, expected: RowState, availability: Availability
) -> None:
    [row] = box(state).rows
    assert (row.state, row.availability) == (expected, availability)
    if expected is RowState.UNAVAILABLE:
        assert row.price is None and row.checked_at == state.seen_availability_at
        html = html_of(state, jsonld=True)
        assert "$" not in html and "ld+json" not in html and "In stock" not in html
        assert f'tracker-offer__stock--{availability.lower()}">' in html
        assert '<time datetime="2026-11-26T11:00:00Z"' in html
        assert "See it at CosmicNootropic" in html


def test_an_unavailable_listing_comes_last_in_cards_and_tables() -> None:
    sold_out = replace(
        FIVE, seen_availability="OutOfStock", seen_availability_at=SOLD_OUT_AT, price=Decimal("1")
    )
    rows = box(sold_out, TEN).rows
    assert [(r.listing_id, r.state) for r in rows] == [
        (1, RowState.PRICED),
        (2, RowState.UNAVAILABLE),
    ]
    renderer = BoxRenderer(SiteSettings(inline_css=False))
    group = build_group([box(sold_out, TEN)], style="table", disclosure="d", show_note=False)
    html = renderer.render(group)
    assert "Out of stock" in html and "See it at CosmicNootropic" in html


def test_a_longer_vendor_max_age_keeps_an_older_price() -> None:
    old = replace(TEN, last_seen_at=NOW - timedelta(hours=30), max_age_hours=48.0)
    assert box(old).rows[0].price == Decimal("75.00")
    assert box(replace(old, max_age_hours=None)).rows[0].price is None


@pytest.mark.parametrize(
    ("order", "expected"),
    [("price", [2, 1, 3, 4]), ("catalog", [1, 2, 3, 4])],
)
def test_order_is_configurable_and_out_of_stock_is_last(order: str, expected: list[int]) -> None:
    cheap_per_mg = replace(FIVE, price=Decimal("30.00"))  # 0.60 USD/mg: now the best
    stale = replace(TEN, listing_id=3, last_seen_at=NOW - 2 * DAY)
    gone = replace(FIVE, listing_id=4, availability="OutOfStock", price=Decimal("1.00"))
    rows = box(gone, TEN, stale, cheap_per_mg, order=order).rows if order == "price" else None
    if order == "catalog":
        rows = box(TEN, cheap_per_mg, stale, gone, order=order).rows
    assert rows is not None
    assert [r.listing_id for r in rows] == expected
    assert [r.listing_id for r in rows if r.is_best] == [2]
    assert rows[-1].availability is Availability.OUT_OF_STOCK and not rows[-1].is_best


def test_out_of_stock_last_and_never_best() -> None:
    gone = replace(FIVE, availability="OutOfStock", price=Decimal("1.00"))
    rows = box(gone, TEN).rows
    assert [r.listing_id for r in rows] == [1, 2]
    assert rows[1].availability is Availability.OUT_OF_STOCK and not rows[1].is_best
    assert "Out of stock" in html_of(gone, TEN)


def test_no_best_across_currencies_and_each_currency_formatted() -> None:
    euro = replace(FIVE, currency="EUR")
    rows = box(TEN, euro).rows
    assert not any(r.is_best for r in rows)
    html = html_of(TEN, euro)
    assert "$75.00" in html and "€45.00" in html


def test_limit_keeps_the_first_rows() -> None:
    limited = box(TEN, FIVE, limit=1)
    assert [r.listing_id for r in limited.rows] == [1] and limited.hidden_rows == 1


def test_unsafe_link_is_never_rendered() -> None:
    evil = replace(TEN, affiliate_url="javascript:alert(1)")
    assert box(evil).rows == ()


def test_html_has_as_of_time_sponsored_link_sale_and_note() -> None:
    sale = replace(TEN, regular_price=Decimal("90.00"))
    html = html_of(sale)
    assert (
        '<time datetime="2026-11-26T10:00:00Z" title="Nov 26, 2026, 10:00:00\u202fAM UTC">' in html
    )
    assert "checked <time" in html and ">Nov 26, 10:00\u202fAM UTC</time>" in html
    assert 'rel="sponsored noopener"' in html and html.count("We earn.") == 1
    # No history covers the 30 days before: the struck price is labelled as the shop's.
    assert 'the shop\'s "was" price <s>$90.00</s>' in html
    assert "accurate as of" in html and "subject to change" in html
    assert "\n\n" not in html  # safe inside Markdown
    assert "accurate as of" not in html_of(sale, site=SiteSettings(as_of_note=False))
    mine = SiteSettings(inline_css=False, as_of_text="<b>Seen</b> {time}.")
    assert '&lt;b&gt;Seen&lt;/b&gt; <time datetime="2026-11-26T10:00:00Z">' in html_of(
        sale, site=mine
    )
    with pytest.raises(ValueError, match="must contain"):
        SiteSettings(as_of_text="no time here")


def test_a_regular_price_below_the_price_is_no_sale() -> None:
    assert box(replace(TEN, regular_price=Decimal("70.00"))).rows[0].regular_price is None


@pytest.mark.parametrize(
    ("age", "text"),
    [
        (timedelta(seconds=20), "just now"),
        (timedelta(minutes=5, seconds=59), "5 min ago"),
        (timedelta(hours=3, minutes=59), "3 h ago"),
        (timedelta(hours=47), "47 h ago"),
        (timedelta(days=3, hours=2), "3 d ago"),
        (-timedelta(minutes=1), "just now"),
    ],
)
def test_relative_age(age: timedelta, text: str) -> None:
    assert relative_age(NOW - age, NOW) == text


def test_live_boxes_say_how_long_ago_static_ones_do_not() -> None:
    assert box(TEN, live=True).rows[0].checked_ago == "2 h ago"
    assert box(TEN).rows[0].checked_ago is None
    assert ">2 h ago</time>" in html_of(TEN, live=True)


def test_links_go_through_the_server_when_a_base_is_given() -> None:
    [row] = box(TEN, link_base="https://prices.example").rows
    assert row.link == "https://prices.example/go/1"


def span(price: str, days_ago: float, days: float, currency: str = "USD") -> SpanPoint:
    start = NOW - timedelta(days=days_ago)
    return SpanPoint(1, Decimal(price), currency, start, start + timedelta(days=days))


def test_sparkline_from_spans_marks_the_low() -> None:
    history = {
        1: [
            span("90.00", 200, 100),  # ended before the window: not drawn
            span("80.00", 60, 20),
            span("77.00", 40, 20),
            span("75.00", 20, 20),
            span("1.00", 10, 1, currency="EUR"),  # another currency: left out
        ]
    }
    [row] = box(TEN, history=history).rows
    assert row.history is not None
    assert (row.history.low, row.history.high) == (Decimal("75.00"), Decimal("80.00"))
    assert row.history.is_low and row.history.since == NOW - timedelta(days=60)
    # The history we hold starts 60 days ago: nothing is said about 90 days.
    assert not row.history.covered
    html = html_of(TEN, history=history)
    assert "Lowest since Sep 27, 2026" in html and "<svg" in html and "<polyline" in html
    assert "90 days" not in html
    assert 'aria-label="Tracked since Sep 27, 2026: $75.00 to $80.00"' in html


def test_no_low_mark_when_the_price_is_high_or_never_moved() -> None:
    rising = {1: [span("60.00", 50, 20), span("75.00", 30, 30)]}
    flat = {1: [span("75.00", 80, 80)]}
    for history in (rising, flat):
        [row] = box(TEN, history=history).rows
        assert row.history is not None and not row.history.is_low
        assert "Lowest" not in html_of(TEN, history=history)


def test_jsonld_has_fresh_offers_only() -> None:
    stale = replace(FIVE, last_seen_at=NOW - 2 * DAY)
    data = box(TEN, stale, jsonld=True).jsonld
    assert data is not None and data["@type"] == "Product"
    offers = data["offers"]
    assert (offers["lowPrice"], offers["highPrice"], offers["offerCount"]) == ("75.00", "75.00", 1)
    assert offers["priceCurrency"] == "USD"
    assert offers["offers"][0]["availability"] == "https://schema.org/InStock"
    assert box(stale, jsonld=True).jsonld is None


def test_group_has_one_disclosure_and_the_latest_check() -> None:
    older = replace(FIVE, last_seen_at=NOW - timedelta(hours=5))
    group = build_group([box(TEN), box(older)], style="table", disclosure="D", show_note=True)
    assert group.as_of == NOW - timedelta(hours=2)
    html = BoxRenderer(SiteSettings()).render(group)
    assert html.count(">D</p>") == 1 and "<table" in html and html.count("<tr class=") == 2
    with pytest.raises(ValueError, match="style must be one of cards, table"):
        build_group([], style="grid", disclosure="D", show_note=True)


def test_vendor_strings_are_escaped() -> None:
    evil = replace(
        TEN, vendor_name="<script>alert(1)</script>", label='"><img src=x onerror=alert(1)>'
    )
    html = html_of(evil)
    assert "<script>alert" not in html and "<img" not in html
    assert "&lt;script&gt;" in html


def test_locale_formats_money() -> None:
    euro = replace(TEN, currency="EUR", price=Decimal("1234.50"))
    html = html_of(euro, site=SiteSettings(locale="de_DE"))
    assert "1.234,50\xa0€" in html


def test_site_templates_override_parts(tmp_path) -> None:
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "offer.html").write_text("<li>mine: {{ row.vendor }}</li>")
    html = BoxRenderer(SiteSettings(), tmp_path).render_box(box(TEN))
    assert "<li>mine: CosmicNootropic</li>" in html and "tracker-box__title" in html


@pytest.mark.parametrize(
    ("availability", "badge", "modifier"),
    [
        ("InStock", "In stock", "instock"),
        ("OutOfStock", "Out of stock", "outofstock"),
        ("PreOrder", "Pre-order", "preorder"),
        ("BackOrder", "Back-order", "backorder"),
        ("Discontinued", "Discontinued", "discontinued"),
        ("LimitedAvailability", "Limited stock", "limitedavailability"),
        ("unknown", "Availability unknown", "unknown"),
        ("SoldOutTomorrow", "Availability unknown", "unknown"),  # not schema.org: unknown
    ],
)
def test_availability_badges(availability: str, badge: str, modifier: str) -> None:
    html = html_of(replace(TEN, availability=availability))
    assert f'tracker-offer__stock--{modifier}">{badge}</span>' in html
