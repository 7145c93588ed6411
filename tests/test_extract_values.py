"""Tables for the values a page states: price formats, currencies, availability words."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tracker.domain import Availability, CheckStatus, ExtractHints
from tracker.extract import extract
from tracker.extract.availability import availability_from_text, normalize_availability
from tracker.extract.values import find_money, parse_currency, parse_price


@pytest.mark.parametrize(
    ("text", "separator", "amount"),
    [
        ("1,234.56", None, "1234.56"),
        ("1.234,56", None, "1234.56"),
        ("1 234,56 €", None, "1234.56"),
        ("1\u00a0234,56\u00a0€", None, "1234.56"),
        ("¥1234", None, "1234"),
        ("1234 ₽", None, "1234"),
        ("RUB 1 234", None, "1234"),
        ("CHF 1'234.50", None, "1234.50"),
        ("68,50", None, "68.50"),
        ("75,- €", None, "75"),
        ("$75", None, "75"),
        ("75.00", None, "75.00"),
        (75, None, "75"),
        (Decimal("19.9"), None, "19.9"),
        ("1.234", ",", "1234"),
        ("1,234", ".", "1234"),
        ("68,50", ",", "68.50"),
        ("1.299,00", ",", "1299.00"),
        ("1,299.00", ".", "1299.00"),
        ("Free", None, "0"),
        ("Kostenlos", None, "0"),
        (Decimal("99.89999999999999"), None, "99.90"),
        ("24.990000000000002", None, "24.99"),
        (0.1 + 0.2, None, "0.30"),
        ("0.125", None, "0.125"),
    ],
)
def test_parse_price(text: object, separator: str | None, amount: str) -> None:
    assert parse_price(text, separator)[0] == Decimal(amount)


@pytest.mark.parametrize("text", ["", "call us", "-5", "99999999999", None, True, "NaN"])
def test_parse_price_refuses(text: object) -> None:
    assert parse_price(text)[0] is None


@pytest.mark.parametrize(
    ("value", "preferred", "code"),
    [
        ("usd", None, "USD"),
        ("€", None, "EUR"),
        ("$", None, "USD"),
        ("$", "CAD", "CAD"),
        ("kr", "NOK", "NOK"),
        ("kr", None, None),  # SEK, NOK, DKK or ISK: not guessed
        ("¥", "CNY", "CNY"),
        ("¥", None, None),  # JPY or CNY: not guessed
        ("¥", ("KRW", "JPY"), "JPY"),
        ("руб.", None, "RUB"),
        ("₽", None, "RUB"),
        ("zł", None, "PLN"),
        ("C$", "USD", "CAD"),
        ("TL", None, "TRY"),
        ("Rp", None, "IDR"),
        ("dollars", None, None),
        ("€€", None, None),
        (12, None, None),
    ],
)
def test_parse_currency(value: object, preferred: str | None, code: str | None) -> None:
    assert parse_currency(value, preferred) == code


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("Was $90.00 Now $75.00", [("90.00", "USD"), ("75.00", "USD")]),
        ("Preis: 1.234,56 € inkl. MwSt.", [("1234.56", "EUR")]),
        ("1 234 ₽", [("1234", "RUB")]),
        ("RUB 1 234", [("1234", "RUB")]),
        ("CHF 49.90", [("49.90", "CHF")]),
        ("£24.99 (£20.83 ex VAT)", [("24.99", "GBP"), ("20.83", "GBP")]),
        ("₹1,23,456", [("123456", "INR")]),
        ("1234руб.", [("1234", "RUB")]),
        ("75.- CHF", [("75", "CHF")]),
        ("1.980円", [("1980", "JPY")]),
        ("1.299,90 TL", [("1299.90", "TRY")]),
        ("Rp 150.000", [("150000", "IDR")]),
        ("$24.00+", []),
        ("£24.99 + VAT", [("24.99", "GBP")]),
        ("List Price: $29.99$29.99", [("29.99", "USD")]),
        ("$29.99 $24.99", [("29.99", "USD"), ("24.99", "USD")]),
        ("SKU 12345, 10 vials x 10 mg", []),
        ("Order within 2 hours", []),
        ("12,900원", [("12900", "KRW")]),
        ("١٬٢٩٩٫٠٠ ر.س", [("1299.00", "SAR")]),
        ("۱۲۵ د.إ", [("125", "AED")]),
    ],
)
def test_find_money(text: str, found: list[tuple[str, str]]) -> None:
    assert [(m.amount, m.currency) for m in find_money(text)] == [(Decimal(a), c) for a, c in found]


@pytest.mark.parametrize(
    ("text", "context", "found"),
    [
        ("¥3,240（税込）", ("JPY",), [("3240", "JPY")]),
        ("¥3,240（税込）", ("CNY", "JPY"), [("3240", "CNY")]),
        ("¥3,240（税込）", (), []),  # JPY or CNY: not guessed
        ("Rs. 1,23,456.50", ("INR",), [("123456.50", "INR")]),
        ("Rs 23,450", ("PKR",), [("23450", "PKR")]),
        ("Rs 23,450", ("EUR",), []),
        ("$3.340", ("CLP",), [("3340", "CLP")]),
        ("Canon EOS R50 Body", ("USD",), []),  # "R" is the rand only in a South African page
        ("R 1 299", ("ZAR",), [("1299", "ZAR")]),
        ("259€99", (), [("259.99", "EUR")]),
    ],
)
def test_find_money_reads_an_ambiguous_symbol_in_the_pages_context(
    text: str, context: tuple[str, ...], found: list[tuple[str, str]]
) -> None:
    got = [(m.amount, m.currency) for m in find_money(text, context)]
    assert got == [(Decimal(a), c) for a, c in found]


@pytest.mark.parametrize(
    ("value", "availability"),
    [
        ("https://schema.org/InStock", Availability.IN_STOCK),
        ("http://schema.org/OutOfStock", Availability.OUT_OF_STOCK),
        ("outofstock", Availability.OUT_OF_STOCK),
        ("PREORDER", Availability.PRE_ORDER),
        ("schema:BackOrder", Availability.BACK_ORDER),
        ("https://schema.org/Discontinued", Availability.DISCONTINUED),
        ("LimitedAvailability", Availability.LIMITED),
        ("in stock", Availability.IN_STOCK),
        ("oos", Availability.OUT_OF_STOCK),
        ("https://schema.org/MadeToOrder", Availability.BACK_ORDER),
        ("ask us", Availability.UNKNOWN),
        ("", Availability.UNKNOWN),
        (None, Availability.UNKNOWN),
    ],
)
def test_normalize_availability(value: object, availability: Availability) -> None:
    assert normalize_availability(value) == availability


@pytest.mark.parametrize(
    ("text", "availability"),
    [
        ("Sold out", Availability.OUT_OF_STOCK),
        ("Currently unavailable", Availability.OUT_OF_STOCK),
        ("Not in stock", Availability.OUT_OF_STOCK),
        ("Notify me when it is back in stock", Availability.OUT_OF_STOCK),
        ("Ausverkauft", Availability.OUT_OF_STOCK),
        ("Derzeit nicht auf Lager", Availability.OUT_OF_STOCK),
        ("Auf Lager, Lieferzeit 1-3 Tage", Availability.IN_STOCK),
        ("Épuisé", Availability.OUT_OF_STOCK),
        ("En rupture de stock", Availability.OUT_OF_STOCK),
        ("Indisponible", Availability.OUT_OF_STOCK),
        ("En stock", Availability.IN_STOCK),
        ("Agotado", Availability.OUT_OF_STOCK),
        ("No disponible", Availability.OUT_OF_STOCK),
        ("Disponible", Availability.IN_STOCK),
        ("Esaurito", Availability.OUT_OF_STOCK),
        ("Disponibile", Availability.IN_STOCK),
        ("Нет в наличии", Availability.OUT_OF_STOCK),
        ("В наличии", Availability.IN_STOCK),
        ("Pre-order now", Availability.PRE_ORDER),
        ("Vorbestellen", Availability.PRE_ORDER),
        ("Précommande", Availability.PRE_ORDER),
        ("Предзаказ", Availability.PRE_ORDER),
        ("Available on backorder", Availability.BACK_ORDER),
        ("Под заказ", Availability.BACK_ORDER),
        ("Only 3 left in stock", Availability.LIMITED),
        ("Nur noch 2 auf Lager", Availability.LIMITED),
        ("Є в наявності", Availability.IN_STOCK),
        ("Немає в наявності", Availability.OUT_OF_STOCK),
        ("Dostępny", Availability.IN_STOCK),
        ("Niedostępny", Availability.OUT_OF_STOCK),
        ("Skladem", Availability.IN_STOCK),
        ("Není skladem", Availability.OUT_OF_STOCK),
        ("Op voorraad, morgen in huis", Availability.IN_STOCK),
        ("Niet op voorraad", Availability.OUT_OF_STOCK),
        ("I lager", Availability.IN_STOCK),
        ("Tillfälligt slut", Availability.OUT_OF_STOCK),
        ("Em estoque", Availability.IN_STOCK),
        ("Indisponível", Availability.OUT_OF_STOCK),
        ("Stokta yok", Availability.OUT_OF_STOCK),
        ("【在庫あり】", Availability.IN_STOCK),
        ("現在在庫切れです", Availability.OUT_OF_STOCK),
        ("Item on order, ships in 2 weeks", Availability.BACK_ORDER),
        ("FREE delivery Thursday on orders shipped by Amazon over $35", Availability.UNKNOWN),
        ("Ships from our warehouse", Availability.UNKNOWN),
        ("Add to cart", Availability.UNKNOWN),
    ],
)
def test_availability_from_text(text: str, availability: Availability) -> None:
    assert availability_from_text(text) == availability


def test_meta_tags_sale_price_beside_the_plain_price() -> None:
    """Facebook catalog tags: product:price is the regular price when a sale price is given."""
    head = (
        '<meta property="product:price:amount" content="80.00">'
        '<meta property="product:price:currency" content="AUD">'
        '<meta property="product:sale_price:amount" content="64.00">'
        '<meta property="product:sale_price:currency" content="AUD">'
    )
    body = f"<html><head>{head}</head><body><h1>Axo</h1><p>$64.00</p></body></html>".encode()
    result = extract(body, "https://shop.example/p", ExtractHints(currency="AUD"))
    assert result.status is CheckStatus.OK and result.source == "opengraph"
    [offer] = result.offers
    assert (offer.price, offer.regular_price) == (Decimal("64.00"), Decimal("80.00"))
