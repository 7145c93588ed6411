"""Normalize the values a page states: prices and currencies (availability: availability.py)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from functools import lru_cache

from price_parser import Price

from tracker.extract.availability import normalize_availability

__all__ = [
    "MAX_PRICE",
    "Money",
    "find_money",
    "is_free_text",
    "normalize_availability",
    "parse_currency",
    "parse_price",
]

_PLAIN_NUMBER = re.compile(r"^\s*-?\d+(?:\.\d+)?\s*$")
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
# Codes we accept when they stand in page text (a bare three-letter word may be anything).
ISO_CODES = frozenset(
    "USD EUR GBP JPY CNY RUB UAH BYN KZT PLN CZK HUF RON BGN SEK NOK DKK ISK CHF CAD AUD NZD "
    "HKD SGD TWD KRW INR IDR MYR THB VND PHP TRY ILS AED SAR QAR ZAR BRL MXN ARS CLP COP PEN "
    "EGP NGN KES MAD GEL AMD AZN RSD MKD".split()
)
# A symbol names a currency only with the vendor's help when several use it.
_SYMBOLS: dict[str, tuple[str, ...]] = {
    "$": ("USD", "CAD", "AUD", "NZD", "SGD", "HKD", "MXN", "ARS", "CLP", "COP", "TWD", "UYU"),
    "us$": ("USD",),
    "usd$": ("USD",),
    "c$": ("CAD",),
    "ca$": ("CAD",),
    "cad$": ("CAD",),
    "a$": ("AUD",),
    "au$": ("AUD",),
    "nz$": ("NZD",),
    "hk$": ("HKD",),
    "s$": ("SGD",),
    "r$": ("BRL",),
    "mx$": ("MXN",),
    "€": ("EUR",),
    "£": ("GBP",),
    "¥": ("JPY", "CNY"),
    "￥": ("JPY", "CNY"),
    "元": ("CNY", "TWD", "HKD"),
    "円": ("JPY",),
    "₽": ("RUB",),
    "руб": ("RUB",),
    "руб.": ("RUB",),
    "р.": ("RUB", "BYN"),
    "₴": ("UAH",),
    "грн": ("UAH",),
    "грн.": ("UAH",),
    "₸": ("KZT",),
    "zł": ("PLN",),
    "kč": ("CZK",),
    "ft": ("HUF",),
    "lei": ("RON",),
    "лв": ("BGN",),
    "лв.": ("BGN",),
    "kr": ("SEK", "NOK", "DKK", "ISK"),
    "kr.": ("DKK", "SEK", "NOK", "ISK"),
    "fr.": ("CHF",),
    "₹": ("INR",),
    "rs.": ("INR", "PKR", "LKR", "NPR"),
    "rs": ("INR", "PKR", "LKR", "NPR"),
    "₨": ("PKR", "INR", "LKR", "NPR"),
    "kn": ("HRK",),
    "б.р.": ("BYN",),
    "бел. руб.": ("BYN",),
    "nt$": ("TWD",),
    "rd$": ("DOP",),
    "₩": ("KRW",),
    "원": ("KRW",),
    "ر.س": ("SAR",),
    "ر.س.": ("SAR",),
    "د.إ": ("AED",),
    "د.إ.": ("AED",),
    "₺": ("TRY",),
    "₪": ("ILS",),
    "฿": ("THB",),
    "₫": ("VND",),
    "₱": ("PHP",),
    "₾": ("GEL",),
    "rm": ("MYR",),
    "r": ("ZAR",),
    "rp": ("IDR",),
    "rp.": ("IDR",),
    "tl": ("TRY",),
    "₦": ("NGN",),
    "ksh": ("KES",),
    "s/": ("PEN",),
    "s/.": ("PEN",),
    "₼": ("AZN",),
    "₲": ("PYG",),
}
# An ambiguous symbol read without context: "$" alone is the US dollar; "kr" or "¥" alone is
# not guessed.
_DEFAULT = {"$": "USD"}
ISO_CODES = ISO_CODES | {"HRK", "BYN", "PKR", "LKR", "NPR", "TWD", "DOP", "UYU", "PYG"}
MAX_PRICE = Decimal("10000000")
# Arabic-Indic and Persian digits, and the Arabic thousands and decimal separators.
_ASCII_DIGITS = str.maketrans(
    {
        **{chr(0x0660 + n): str(n) for n in range(10)},
        **{chr(0x06F0 + n): str(n) for n in range(10)},
        "\u066c": ",",
        "\u066b": ".",
    }
)
# A machine value with more decimals than this is a binary float written out (24.990000000000002).
_FLOAT_NOISE_PLACES = 6
_CENTS = Decimal("0.01")
_FREE_WORDS = re.compile(
    r"^\s*(free|gratis|kostenlos|gratuit|gratuito|gratuita|бесплатно)\s*!?\s*$", re.IGNORECASE
)

# A money amount in running text: a currency before or after a number.
# Grouped by thousands (1,234.56 / 1.234,56 / 1 234 / 1'234), by lakhs (1,23,456), or plain;
# never a piece of a longer figure ("1,23" of "1,23,456").
_NUMBER = (
    r"(?<![\d.,])(?:\d{1,2}(?:,\d{2})+,\d{3}(?:\.\d{1,2})?"
    r"|\d{1,3}(?:(?:[ \u00a0\u202f\u2009'’]|[.,](?=\d{3}(?!\d)))\d{3})+(?:[.,]\d{1,2})?"
    r"|\d+(?:[.,]\d{1,2})?)(?:[.,][-–])?(?!\d|[.,]\d)"
)
_LETTERS = re.compile(r"[a-zа-яà-ž]", re.IGNORECASE)
_CENTS_AFTER = re.compile(r"(\d{2})(?!\d)")
# The group separators a number may use besides "." and "," (spaces and apostrophes).
_GROUP_SPACES = str.maketrans("", "", " \u00a0\u202f\u2009'’")
# Symbols written with letters ("kr", "руб.") must stand apart from other letters.
_SYMBOL_ALT = "|".join(
    re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True) if not _LETTERS.search(s)
)
_WORD_SYMBOLS = "|".join(
    re.escape(s) for s in sorted(_SYMBOLS, key=len, reverse=True) if _LETTERS.search(s)
)
_CODES_ALT = "|".join(sorted(ISO_CODES))
_CUR = (
    rf"(?:(?<![A-Za-z])(?:{_CODES_ALT})(?![A-Za-z])|{_SYMBOL_ALT}"
    rf"|(?<![^\W\d_])(?:{_WORD_SYMBOLS})(?![^\W\d_]))"
)
_MONEY = re.compile(
    rf"(?P<c1>{_CUR})\s{{0,3}}(?P<n1>{_NUMBER})|(?P<n2>{_NUMBER})\s{{0,3}}(?P<c2>{_CUR})",
    re.IGNORECASE,
)

# A price value: one number (grouped, or plain with any decimals), a currency before or after.
_ONE_AMOUNT = re.compile(
    rf"^\s*(?:{_CUR}\s?)?(?P<number>{_NUMBER}|\d+\.\d+)\s?(?:{_CUR})?\s*$", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str  # the ISO code read in the page's context
    raw: str
    start: int
    end: int
    currencies: tuple[str, ...] = ()  # every code the symbol may stand for


def parse_price(value: object, decimal_separator: str | None = None) -> tuple[Decimal | None, str]:
    """Return (amount, raw text); None when the value is not one amount and nothing else.

    A price value is a number, or an amount written with its currency and the usual separators
    ("1.299,00 €", "$75", "CHF 1'234.50"); text around it ("Call 1-800-555-0199", "2 for 1",
    "from $24") makes it no price: a machine-readable price that needs reading is not one.
    decimal_separator: the vendor's, for visible text; machine-readable values go without it.
    """
    if value is None or isinstance(value, bool):
        return None, ""
    raw = str(value).strip()[:200]
    plain = isinstance(value, str) and not decimal_separator and _PLAIN_NUMBER.match(raw)
    if isinstance(value, (int, Decimal)) or plain:
        amount: Decimal | None = _decimal(raw)
    elif isinstance(value, float):
        amount = _decimal(repr(value))
    elif _FREE_WORDS.match(raw):
        amount = Decimal(0)
    else:
        text = unicodedata.normalize("NFKC", raw).translate(_ASCII_DIGITS)
        number = _one_amount(text)
        if number is None:
            return None, raw
        number = number.replace("'", "").replace("’", "")
        if decimal_separator in (",", "."):
            number = _apply_separator(number, decimal_separator)
            amount = Price.fromstring(number, decimal_separator=".").amount
        else:
            amount = Price.fromstring(number).amount
    if amount is None or not amount.is_finite() or amount < 0 or amount > MAX_PRICE:
        return None, raw
    return _without_float_noise(amount), raw


def _one_amount(text: str) -> str | None:
    """The number of a text that is one amount with at most a currency beside it, else None."""
    match = _ONE_AMOUNT.match(text)
    if match is None:
        return None
    return match.group("number").rstrip("-–").rstrip(".,")


def _without_float_noise(amount: Decimal) -> Decimal:
    """24.990000000000002 (a float a script wrote out) is 24.99; 0.125 or 1.5 stay as they are."""
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and -exponent > _FLOAT_NOISE_PLACES:
        return amount.quantize(_CENTS, rounding=ROUND_HALF_UP)
    return amount


def _apply_separator(text: str, decimal_separator: str) -> str:
    """Rewrite a number written with the vendor's decimal separator to a dotted one."""
    thousands = "." if decimal_separator == "," else ","
    text = re.sub(rf"(?<=\d)\{thousands}(?=\d)", "", text)
    return re.sub(rf"(?<=\d)\{decimal_separator}(?=\d)", ".", text)


def is_free_text(text: str) -> bool:
    return bool(_FREE_WORDS.match(text))


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip())
    except InvalidOperation:
        return None


Preferred = str | Iterable[str] | None


def parse_currency(value: object, preferred: Preferred = None) -> str | None:
    """Return an ISO 4217 code from a code or a symbol.

    preferred: the codes the page's context names (the vendor's first), in order; an ambiguous
    symbol takes the first of them it may stand for, else its default, else no code at all.
    """
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    if _CURRENCY_CODE.match(text.upper()) and text.isalpha() and text.isascii():
        return text.upper()
    return _resolve(text.casefold(), symbol_currencies(text), preferred)


@lru_cache(maxsize=1024)
def symbol_currencies(symbol: str) -> tuple[str, ...]:
    """Every ISO code a symbol or code may stand for ("$": USD, CAD, ...)."""
    text = unicodedata.normalize("NFKC", symbol).strip()
    if _CURRENCY_CODE.match(text.upper()) and text.isalpha() and text.isascii():
        return (text.upper(),)
    return _SYMBOLS.get(text.casefold(), ())


@lru_cache(maxsize=1024)
def _symbol_key(symbol: str) -> str:
    return unicodedata.normalize("NFKC", symbol).strip().casefold()


def amount_of(number: str, decimal_separator: str | None = None) -> Decimal | None:
    """The value of a number as `_NUMBER` matched it ("1.299,00", "1 234", "1,23,456.50",
    "75,-"): a final separator with one or two digits is the decimal one, any other groups
    thousands; with the vendor's separator given, that one is decimal and the other groups."""
    text = number.translate(_GROUP_SPACES).rstrip("-–").rstrip(".,")
    if decimal_separator in (",", "."):
        thousands = "." if decimal_separator == "," else ","
        text = text.replace(thousands, "").replace(decimal_separator, ".")
    else:
        head, point, tail = text.rpartition(".") if "." in text[-3:] else text.rpartition(",")
        if point and 1 <= len(tail) <= 2 and tail.isdigit():
            if point in head:
                return None  # "1.234.56": the same mark groups and separates decimals
            text = head.replace(",", "").replace(".", "") + "." + tail
        else:
            text = text.replace(",", "").replace(".", "")
    amount = _decimal(text)
    if amount is None or not amount.is_finite() or amount > MAX_PRICE:
        return None
    return amount


def _named(code: str, preferred: Preferred) -> bool:
    return code in _codes(preferred)


def _codes(preferred: Preferred) -> Iterable[str]:
    if preferred is None:
        return ()
    return (preferred,) if isinstance(preferred, str) else preferred


def _resolve(key: str, candidates: tuple[str, ...], preferred: Preferred) -> str | None:
    if not candidates:
        return None
    if len(candidates) == 1:
        return candidates[0]  # no context needed (and none computed)
    for code in _codes(preferred):
        if code in candidates:
            return code
    return _DEFAULT.get(key)


def find_money(
    text: str, preferred: Preferred = None, decimal_separator: str | None = None
) -> list[Money]:
    """Every amount with a currency in a piece of text, in order.

    An amount with a plus sign stuck to it ("$24.00+") is a lower bound of several prices, not
    an amount anything costs: it is left out. The same amount twice with nothing between
    ("$29.99$29.99": a screen-reader copy beside the visible one) is one amount.
    """
    text = text.translate(_ASCII_DIGITS)  # one character for one: the offsets stay true
    found: list[Money] = []
    for match in _MONEY.finditer(text):
        if text[match.end() : match.end() + 1] == "+":
            continue
        number = match.group("n1") or match.group("n2")
        symbol = match.group("c1") or match.group("c2")
        raw = match.group(0).strip()
        end = match.end()
        cents = _CENTS_AFTER.match(text, end) if match.group("n2") else None
        if cents and not _LETTERS.search(symbol) and not re.search(r"[.,]\d", number):
            number, end = f"{number}.{cents.group(1)}", cents.end()  # "259€99": 259.99
            raw = text[match.start() : end].strip()
        amount = amount_of(number, decimal_separator)
        currencies = symbol_currencies(symbol)
        currency = _resolve(_symbol_key(symbol), currencies, preferred)
        if amount is None or currency is None:
            continue
        if (
            len(symbol) == 1
            and symbol.isascii()
            and symbol.isalpha()
            and not _named(currency, preferred)
        ):
            continue  # "R" is the rand only where the page is South African ("EOS R50")
        last = found[-1] if found else None
        if (
            last
            and (last.amount, last.currency) == (amount, currency)
            and not text[last.end : match.start()].strip()
        ):
            found[-1] = replace(last, end=end)
            continue
        found.append(Money(amount, currency, raw, match.start(), end, currencies))
    return found
