"""Normalize the values a page states: prices, currencies, availability."""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation

from price_parser import Price

from tracker.domain import Availability

_PLAIN_NUMBER = re.compile(r"^\s*-?\d+(?:\.\d+)?\s*$")
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
_SYMBOLS = {
    "$": "USD",
    "US$": "USD",
    "€": "EUR",
    "£": "GBP",
    "¥": "JPY",
    "₽": "RUB",
    "руб": "RUB",
    "zł": "PLN",
    "kr": "SEK",
    "₹": "INR",
    "₩": "KRW",
    "CHF": "CHF",
    "C$": "CAD",
    "A$": "AUD",
    "R$": "BRL",
    "₺": "TRY",
    "₴": "UAH",
    "Kč": "CZK",
}
MAX_PRICE = Decimal("10000000")

_AVAILABILITY_WORDS: dict[str, Availability] = {
    "instock": Availability.IN_STOCK,
    "in stock": Availability.IN_STOCK,
    "available": Availability.IN_STOCK,
    "onlineonly": Availability.IN_STOCK,
    "instoreonly": Availability.IN_STOCK,
    "outofstock": Availability.OUT_OF_STOCK,
    "out of stock": Availability.OUT_OF_STOCK,
    "sold out": Availability.OUT_OF_STOCK,
    "soldout": Availability.OUT_OF_STOCK,
    "preorder": Availability.PRE_ORDER,
    "pre-order": Availability.PRE_ORDER,
    "presale": Availability.PRE_ORDER,
    "backorder": Availability.BACK_ORDER,
    "discontinued": Availability.DISCONTINUED,
    "limitedavailability": Availability.LIMITED,
}


def parse_price(value: object, decimal_separator: str | None = None) -> tuple[Decimal | None, str]:
    """Return (amount, raw text); None when the value states no usable price."""
    if value is None or isinstance(value, bool):
        return None, ""
    raw = str(value).strip()[:200]
    if isinstance(value, (int, Decimal)) or (isinstance(value, str) and _PLAIN_NUMBER.match(raw)):
        amount: Decimal | None = _decimal(raw)
    elif isinstance(value, float):
        amount = _decimal(repr(value))
    else:
        amount = Price.fromstring(raw, decimal_separator=decimal_separator).amount
    if amount is None or not amount.is_finite() or amount < 0 or amount > MAX_PRICE:
        return None, raw
    return amount, raw


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return None


def parse_currency(value: object) -> str | None:
    """Return an ISO 4217 code from a code or a common symbol, else None."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    if _CURRENCY_CODE.match(text.upper()) and text.isalpha():
        return text.upper()
    return _SYMBOLS.get(text)


def normalize_availability(value: object) -> Availability:
    """Map schema.org values (URL or bare, any case) and common words; anything else: unknown."""
    if not isinstance(value, str):
        return Availability.UNKNOWN
    text = unicodedata.normalize("NFKC", value).strip().casefold()
    text = re.sub(r"^https?://(www\.)?schema\.org/", "", text)
    return _AVAILABILITY_WORDS.get(text.replace("_", " ").strip(), Availability.UNKNOWN)
