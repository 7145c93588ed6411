"""Mixed-currency boxes, reference-rate conversion and the numbers people read (fixed `now`)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.conftest import NOW
from tests.test_viewmodel import FIVE, TEN, box
from tracker.config import SiteSettings
from tracker.exchange import Rates, RatesError, parse_rates
from tracker.pricing import unit_price_places
from tracker.publishing.buybox import BoxRenderer
from tracker.publishing.viewmodel import amount_text, unit_amount_text

D = Decimal
# Two GBP packs and two EUR packs of one product; the euro ones look "first" by code.
GBP_CHEAP = replace(TEN, listing_id=11, price=D("22.49"), currency="GBP", vendor_name="Tea Ltd")
GBP_DEAR = replace(FIVE, listing_id=12, price=D("24.99"), currency="GBP", vendor_name="Tea Ltd")
EUR_DEAR = replace(TEN, listing_id=13, price=D("39.90"), currency="EUR", vendor_name="Kaffee")
EUR_CHEAP = replace(FIVE, listing_id=14, price=D("19.90"), currency="EUR", vendor_name="Kaffee")
MIXED = (EUR_DEAR, GBP_DEAR, EUR_CHEAP, GBP_CHEAP)
ECB_XML = """<?xml version="1.0" encoding="UTF-8"?>
<gesmes:Envelope xmlns:gesmes="http://www.gesmes.org/xml/2002-08-01"
 xmlns="http://www.ecb.int/vocabulary/2002-08-01/eurofxref">
<gesmes:subject>Reference rates</gesmes:subject>
<Cube><Cube time="2026-11-25">
<Cube currency="USD" rate="1.0500"/><Cube currency="GBP" rate="0.8400"/>
</Cube></Cube></gesmes:Envelope>
"""
ECB_CSV = "Date, USD, JPY, GBP, \n25 November 2026, 1.0500, 160.10, 0.8400, \n"


def test_each_currency_is_its_own_group_ordered_by_price() -> None:
    built = box(*MIXED, home_currency="GBP")
    assert [(g.currency, [r.listing_id for r in g.rows]) for g in built.groups] == [
        ("GBP", [11, 12]),
        ("EUR", [14, 13]),
    ]
    assert [r.listing_id for r in built.rows] == [11, 12, 14, 13]
    # Without a home currency: the one with more offers first, then by code.
    assert [g.currency for g in box(*MIXED).groups] == ["EUR", "GBP"]
    assert [g.currency for g in box(GBP_CHEAP, GBP_DEAR, EUR_CHEAP).groups] == ["GBP", "EUR"]


def test_best_value_is_marked_within_each_currency() -> None:
    built = box(*MIXED, home_currency="GBP")
    best = {g.currency: [r.listing_id for r in g.rows if r.is_best] for g in built.groups}
    assert best == {"GBP": [11], "EUR": [14]}  # per mg: 2.249 < 4.998 GBP, 3.98 < 3.99 EUR


def test_limit_keeps_the_best_offer_of_every_currency() -> None:
    built = box(*MIXED, home_currency="GBP", limit=2)
    assert [r.listing_id for r in built.rows] == [11, 14]
    assert built.hidden_rows == 2
    stale = replace(TEN, listing_id=15, last_seen_at=NOW - timedelta(days=3))
    assert [r.listing_id for r in box(stale, *MIXED, home_currency="GBP", limit=3).rows] == [
        11,
        12,
        14,
    ]


def test_jsonld_carries_every_offer_with_its_own_currency() -> None:
    data = box(*MIXED, home_currency="GBP", jsonld=True).jsonld
    assert data is not None
    aggregates = data["offers"]
    assert [a["priceCurrency"] for a in aggregates] == ["GBP", "EUR"]
    offers = [(o["price"], o["priceCurrency"]) for a in aggregates for o in a["offers"]]
    assert sorted(offers) == [
        ("19.90", "EUR"),
        ("22.49", "GBP"),
        ("24.99", "GBP"),
        ("39.90", "EUR"),
    ]
    assert (aggregates[1]["lowPrice"], aggregates[1]["highPrice"]) == ("19.90", "39.90")


def test_the_html_shows_a_heading_per_currency_and_a_best_value_in_each() -> None:
    html = BoxRenderer(SiteSettings(locale="en_GB")).render_box(box(*MIXED, home_currency="GBP"))
    assert html.index("Prices in British pounds (GBP)") < html.index("Prices in euros (EUR)")
    assert html.index("£22.49") < html.index("£24.99") < html.index("€19.90") < html.index("€39.90")
    assert html.count("Best value") == 2


def test_ecb_rates_in_both_forms() -> None:
    for text in (ECB_XML, ECB_CSV):
        rates = parse_rates(text, "eurofxref")
        assert rates.day == date(2026, 11, 25)
        assert rates.convert(D("21.00"), "USD", "EUR") == D("20")
        assert rates.convert(D("8.40"), "GBP", "USD") == D("10.5")
        assert rates.convert(D("1"), "XYZ", "EUR") is None


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<html></html>", 'rates.xml: no <Cube time="YYYY-MM-DD">'),
        ('<Cube time="2026-11-25"><Cube currency="USD" rate="x1"/></Cube>', "no rates"),
        ('<Cube time="2026-11-25"><Cube currency="USD" rate="0"/></Cube>', "'0' is not a rate"),
        ("Date, USD\nyesterday, 1.05\n", "'yesterday' is not a date"),
        ("USD, GBP\n1, 2\n", "expected a 'Date, USD, …' header"),
    ],
)
def test_a_bad_rates_file_is_named(text: str, message: str) -> None:
    with pytest.raises(RatesError, match="rates.xml") as caught:
        parse_rates(text, "rates.xml")
    assert message in str(caught.value)


def test_conversion_is_for_comparison_after_the_price_with_its_date() -> None:
    rates = parse_rates(ECB_XML, "eurofxref")
    built = box(*MIXED, home_currency="GBP", rates=rates, compare_to="GBP")
    converted = {r.listing_id: r.converted for r in built.rows}
    assert converted[11] is None and converted[12] is None  # already in GBP
    assert converted[14] is not None and converted[14].amount == D("19.90") * D("0.84")
    assert converted[14].rate_date == date(2026, 11, 25)
    # Conversion never reorders: the groups and their order are the same as without it.
    assert [r.listing_id for r in built.rows] == [11, 12, 14, 13]
    html = BoxRenderer(SiteSettings(locale="en_GB")).render_box(built)
    assert html.index("€19.90") < html.index("≈ £16.72")
    assert "reference rate of 25 Nov 2026" in html
    old = Rates(date(2026, 11, 1), rates.per_euro)  # more than a week old: not used
    assert all(r.converted is None for r in box(*MIXED, rates=old, compare_to="GBP").rows)
    assert all(r.converted is None for r in box(*MIXED, rates=None, compare_to="GBP").rows)


@pytest.mark.parametrize(
    ("amount", "digits", "places", "shown"),
    [
        ("0.9998", 2, 2, "$1.00"),  # was "$0.9998 per capsule"
        ("0.75", 2, 2, "$0.75"),
        ("0.0123", 2, 3, "$0.012"),
        ("0.003990", 2, 4, "$0.0040"),
        ("7.5", 2, 2, "$7.50"),
        ("12.3456", 2, 2, "$12.35"),
        ("123.456", 2, 0, "$123"),
        ("1234.5", 2, 0, "$1,234"),  # half to even
        ("0.456", 0, 2, None),  # a currency without minor unit still gets two digits
        ("0", 2, 2, "$0.00"),
    ],
)
def test_unit_prices_are_rounded_to_what_they_need(amount, digits, places, shown) -> None:
    assert unit_price_places(D(amount), digits) == places
    if shown:
        assert BoxRenderer(SiteSettings()).unit_money(D(amount), "USD") == shown


def test_json_amounts_are_strings_in_the_minor_unit() -> None:
    assert amount_text(D("75"), "USD") == "75.00"
    assert amount_text(D("0.33333333333333333333333333"), "USD") == "0.33"
    assert amount_text(D("1234.5"), "JPY") == "1234"
    assert amount_text(D("1.2345"), "KWD") == "1.234"
    assert unit_amount_text(D("0.33333333333333333333333333")) == "0.3333"
    assert unit_amount_text(D("7.5")) == "7.5000"
