"""WooCommerce: variation data on the variations form, and the simple product's price HTML."""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from tracker.domain import Availability, Offer
from tracker.extract.availability import availability_from_text
from tracker.extract.page import Page, clean_text, text_of
from tracker.extract.scope import in_other_area
from tracker.extract.values import find_money, parse_currency

_MARKER = b"woocommerce"  # its classes and assets are on every WooCommerce product page
_VARIATIONS = re.compile(rb"data-product_variations\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_SYMBOL = re.compile(rb"woocommerce-Price-currencySymbol[\"']?\s*>([^<]{1,12})<")
_CLASS = "contains(concat(' ', normalize-space(@class), ' '), ' {} ')"
_AMOUNT = "//*[contains(@class, 'woocommerce-Price-amount')]"
_STOCK_CLASSES = {
    "in-stock": Availability.IN_STOCK,
    "out-of-stock": Availability.OUT_OF_STOCK,
    "available-on-backorder": Availability.BACK_ORDER,
}
MAX_JSON_BYTES = 2 * 1024 * 1024


def is_woocommerce(page: Page) -> bool:
    return _MARKER in page.body


def _currency(page: Page) -> str | None:
    match = _SYMBOL.search(page.body)
    if match:
        symbol = html.unescape(page.decode(match.group(1))).strip()
        found = parse_currency(symbol, page.hints.currency)
        if found:
            return found
    return page.hints.currency


def variation_offers(page: Page) -> list[Offer] | None:
    """Offers from `data-product_variations`; None when several forms compete."""
    forms = {
        m.group(1) if m.group(1) is not None else m.group(2)
        for m in _VARIATIONS.finditer(page.body)
    }
    forms -= {b"false", b""}
    if not forms:
        return []
    if len(forms) > 1:
        tree = page.tree
        if tree is None:
            return None
        own = {
            form.get("data-product_variations")
            for form in tree.xpath("//form[@data-product_variations]")
            if not in_other_area(form)
        }
        forms = {f for f in forms if html.unescape(page.decode(f)) in own}
        if len(forms) != 1:
            return None
    raw = next(iter(forms))
    if len(raw) > MAX_JSON_BYTES:
        return []
    try:
        data = json.loads(html.unescape(page.decode(raw)), parse_float=Decimal)
    except (ValueError, RecursionError):
        return []
    if not isinstance(data, list):
        return []
    currency = _currency(page)
    title = page.h1 or None
    return [offer for v in data if isinstance(v, dict) for offer in _variation(v, title, currency)]


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() else None


def _variation(data: dict[str, Any], title: str | None, currency: str | None) -> list[Offer]:
    if data.get("variation_is_visible") is False:
        return []
    price = _number(data.get("display_price"))
    regular = _number(data.get("display_regular_price"))
    if regular is not None and (price is None or regular <= price):
        regular = None
    attributes = data.get("attributes")
    parts = []
    if isinstance(attributes, dict):
        for value in attributes.values():
            if isinstance(value, str) and value.strip():
                parts.append(value.replace("-", " ").strip())
    stock_text = clean_text(str(data.get("availability_html") or ""))
    availability = availability_from_text(stock_text) if stock_text else Availability.UNKNOWN
    if availability is Availability.UNKNOWN and isinstance(data.get("is_in_stock"), bool):
        availability = Availability.IN_STOCK if data["is_in_stock"] else Availability.OUT_OF_STOCK
    sku = data.get("sku")
    return [
        Offer(
            price=price,
            currency=currency,
            availability=availability,
            name=title,
            variant=" / ".join(parts)[:300] or None,
            sku=(str(sku).strip()[:300] or None) if isinstance(sku, (str, int)) else None,
            regular_price=regular,
            source="woocommerce",
            raw_price=str(data.get("display_price"))[:50],
        )
    ]


def simple_offers(page: Page) -> list[Offer] | None:
    """The price HTML of a simple product's summary (<del> regular, <ins> current)."""
    tree = page.tree
    if tree is None:
        return []
    summaries = [
        s
        for s in tree.xpath(
            f"//div[{_CLASS.format('summary')}]"
            "|//div[contains(@class, 'entry-summary')]"
            "|//div[contains(@class, 'wp-block-woocommerce-product-price')]/.."
        )
        if not in_other_area(s)
    ]
    if not summaries:
        return []
    summary = summaries[0]
    prices = [p for p in summary.xpath(f".//*[{_CLASS.format('price')}]") if p.xpath(f".{_AMOUNT}")]
    if not prices:
        return []
    block = prices[0]
    hint, sep = page.hints.currency, page.hints.decimal_separator
    current = [_amount(a, hint, sep) for a in block.xpath(f".//ins{_AMOUNT}")]
    struck = [_amount(a, hint, sep) for a in block.xpath(f".//del{_AMOUNT}")]
    if not current:
        current = [
            _amount(a, hint, sep)
            for a in block.xpath(f".{_AMOUNT}")
            if not a.xpath("ancestor::del")
        ]
    if len(current) != 1 or current[0] is None:
        return []  # a range ("from … to …") or no amount: not this step's answer
    price, currency, raw = current[0]
    regular = None
    if len(struck) == 1 and struck[0] is not None and struck[0][0] > price:
        regular = struck[0][0]
    return [
        Offer(
            price=price,
            currency=currency,
            availability=_stock(summary),
            name=page.h1 or None,
            regular_price=regular,
            source="woocommerce",
            raw_price=raw,
        )
    ]


def _amount(
    element: Any, hint: str | None, separator: str | None
) -> tuple[Decimal, str, str] | None:
    text = " ".join(text_of(element).split())
    money = find_money(text, hint, separator)
    if len(money) != 1:
        return None
    return money[0].amount, money[0].currency, money[0].raw


def _stock(summary: Any) -> Availability:
    for element in summary.xpath(f".//*[{_CLASS.format('stock')}]"):
        classes = set((element.get("class") or "").split())
        for css, availability in _STOCK_CLASSES.items():
            if css in classes:
                return availability
        found = availability_from_text(text_of(element))
        if found is not Availability.UNKNOWN:
            return found
    return Availability.UNKNOWN
