"""Hostile and broken input: a price value must be one amount, or it is no price at all."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tracker.domain import CheckStatus, ExtractHints, PageSelectors
from tracker.extract import extract
from tracker.extract.values import parse_price

URL = "https://shop.example/products/cortexin"

# Text where a machine-readable price should be: each once turned into a published price (its
# first number), because a price parser reads any text.
HOSTILE = [
    "Call 1-800-555-0199",
    "2 for 1",
    "Ships in 3-5 days",
    "1e999999",
    "1e3",
    "NaN",
    "Infinity",
    "-5",
    "—",
    "from $24",
    "$24+",
    "24.99 or best offer",
    "2 x $12",
    "$10 - $20",
    "10-20",
    "Save 20%",
    "20% off",
    "4 payments of $12.50",
    "US$ 12 / month",
    "Only 3 left",
    "Order before 14:00",
    "version 2.0.1",
    "SKU 12345",
    "10 vials x 10 mg",
    "12:30",
    "2024-05-01",
    "+49 30 1234567",
    "call for price",
    "Price on request",
    "ask us",
    "$",
    "USD",
    "12 34 56 78",
    "1.2.3",
    "0x1F",
    "½",
    "Ⅻ",
    "١٢٣ أو أكثر",
    "<script>alert(1)</script>",
    "$75.00 $90.00",
    "75,00 € statt 90,00 €",
    "Was $90, now $75",
]


def test_there_are_forty_two_hostile_texts() -> None:
    assert len(HOSTILE) == 42 == len(set(HOSTILE))


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_price_text_is_no_price(text: str) -> None:
    assert parse_price(text)[0] is None


@pytest.mark.parametrize("text", HOSTILE)
def test_a_hostile_price_in_the_data_is_never_published(text: str) -> None:
    data = {
        "@type": "Product",
        "name": "Cortexin",
        "offers": {"@type": "Offer", "price": text, "priceCurrency": "USD"},
    }
    body = (
        f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head>'
        f'<body><h1>Cortexin</h1><p class="description">{text}</p></body></html>'
    ).encode()
    result = extract(body, URL, ExtractHints(currency="USD"))
    assert result.status is not CheckStatus.OK, result


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("75.00", "75.00"),
        ("$75.00", "75.00"),
        ("75,00 €", "75.00"),
        ("1.299,00 €", "1299.00"),
        ("CHF 1'234.50", "1234.50"),
        ("USD 24.99", "24.99"),
        ("75,-", "75"),
        ("1 299 ₽", "1299"),
    ],
)
def test_one_amount_with_its_currency_is_a_price(text: str, amount: str) -> None:
    assert parse_price(text)[0] == Decimal(amount)


def test_a_page_saved_in_utf16_is_read() -> None:
    text = (
        '<html><head><meta charset="utf-16"></head><body><div class="product"><h1>Кортексин</h1>'
        '<p class="price">1 299 ₽</p><form action="/cart/add"><button>Купить</button></form>'
        "</div></body></html>"
    )
    for codec in ("utf-16", "utf-16-be", "utf-32"):
        bom = {"utf-16-be": b"\xfe\xff"}.get(codec, b"")
        body = bom + text.encode(codec)
        result = extract(body, URL, ExtractHints(currency="RUB"))
        assert [(o.price, o.currency) for o in result.offers] == [(Decimal("1299"), "RUB")], codec


@pytest.mark.parametrize(
    ("html", "prices", "error"),
    [
        ('<div class="p">10 vials x 10 mg, $75.00</div>', ["75.00"], None),
        (
            '<div class="p">10 vials x 10 mg, <span class="price">75.00</span></div>',
            ["75.00"],
            None,
        ),
        ('<div class="p">10 vials x 10 mg, 75.00</div>', [], "is not one amount"),
        ('<div class="p">$75.00 $90.00</div>', [], "is not one amount"),
        ('<div class="p">75,00</div>', ["75.00"], None),
    ],
    ids=[
        "the amount with a currency",
        "the amount with a price role",
        "no currency: fail closed",
        "two amounts: fail closed",
        "one bare amount",
    ],
)
def test_a_selector_takes_the_amount_that_is_a_price_or_none(
    html: str, prices: list[str], error: str | None
) -> None:
    body = f"<html><body><h1>Cortexin</h1>{html}</body></html>".encode()
    hints = ExtractHints(currency="USD", selectors=PageSelectors(price=".p"))
    result = extract(body, URL, hints)
    assert [o.price for o in result.offers] == [Decimal(p) for p in prices]
    if error:
        assert result.status is CheckStatus.NO_PRICE and error in (result.error or "")


def test_a_selector_contradicted_by_the_data_and_not_shown_is_not_published() -> None:
    """A selector that drifted onto another figure (the pack size) is caught on any reading,
    the first one included, which has no earlier price to compare with."""
    data = {
        "@type": "Product",
        "name": "Cortexin",
        "offers": {"@type": "Offer", "price": "75.00", "priceCurrency": "USD"},
    }
    script = f'<script type="application/ld+json">{json.dumps(data)}</script>'
    page = (
        f'<html><head>{script}</head><body><div class="product"><h1>Cortexin</h1>'
        '<p class="pack">$10.00 a vial</p><p class="price">$75.00</p>'
        '<form action="/cart/add"><button>Add to cart</button></form></div></body></html>'
    )
    drifted = ExtractHints(currency="USD", selectors=PageSelectors(price=".pack"))
    result = extract(page.encode(), URL, drifted)
    assert result.status is CheckStatus.AMBIGUOUS and "selectors read 10.00 USD" in (
        result.error or ""
    )
    right = ExtractHints(currency="USD", selectors=PageSelectors(price=".price"))
    result = extract(page.encode(), URL, right)
    assert [o.price for o in result.offers] == [Decimal("75.00")]
    assert result.agreed == ("selectors", "json-ld")
    data_says_more = page.replace('"75.00"', '"68.00"')  # e.g. without tax: the page decides
    result = extract(data_says_more.encode(), URL, right)
    assert [o.price for o in result.offers] == [Decimal("75.00")]
    assert result.agreed == ("selectors", "page")
