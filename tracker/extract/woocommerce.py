"""WooCommerce: variation data on the variations form, and the simple product's price HTML."""

from __future__ import annotations

import html
import json
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from lxml import etree

from tracker.domain import Availability, Offer
from tracker.extract.availability import availability_from_text
from tracker.extract.page import Page, clean_text, text_of
from tracker.extract.scope import in_other_area
from tracker.extract.values import find_money, parse_currency

_MARKER = "woocommerce"  # its body class and assets are on every WooCommerce product page
_VARIATIONS = re.compile(rb"data-product_variations\s*=\s*(?:\"([^\"]*)\"|'([^']*)')")
_SYMBOL = re.compile(rb"woocommerce-Price-currencySymbol[\"']?\s*>([^<]{1,12})<")
_BLOCK_PRICE = "wp-block-woocommerce-product-price"
_AMOUNT_CLASS = "woocommerce-Price-amount"
_XML_SPACE = str.maketrans("\t\r\n", "   ")
_STOCK_CLASSES = {
    "in-stock": Availability.IN_STOCK,
    "out-of-stock": Availability.OUT_OF_STOCK,
    "available-on-backorder": Availability.BACK_ORDER,
}
MAX_JSON_BYTES = 2 * 1024 * 1024


def is_woocommerce(page: Page) -> bool:
    return _MARKER in page.assets


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
    summary = _summary(tree)
    if summary is None:
        return []
    prices, stock = _marked(summary)
    block, amounts = next(((p, a) for p in prices if (a := _amounts(p))), (None, []))
    if block is None:
        return []
    hint, sep = page.hints.currency, page.hints.decimal_separator
    current = [a for a, wrapper in amounts if wrapper["ins"]]
    struck = [a for a, wrapper in amounts if wrapper["del"]]
    if not current:
        above = _inside_del(block)
        current = [a for a, wrapper in amounts if not (wrapper["del"] or above)]
    found = [_amount(a, hint, sep) for a in current]
    if len(found) != 1 or found[0] is None:
        return []  # a range ("from … to …") or no amount: not this step's answer
    price, currency, raw = found[0]
    regular = None
    if len(struck) == 1:
        was = _amount(struck[0], hint, sep)
        if was is not None and was[0] > price:
            regular = was[0]
    return [
        Offer(
            price=price,
            currency=currency,
            availability=_stock(stock),
            name=page.h1 or None,
            regular_price=regular,
            source="woocommerce",
            raw_price=raw,
        )
    ]


def _summary(tree: Any) -> Any:
    """The product summary outside related products: the h1's, else the first of the page's.

    (A Python loop over tree.iter("div") beats an XPath with contains() predicates here.)
    """
    memo: dict[object, bool] = {}
    heading = next(tree.iter("h1"), None)  # the product title sits in the summary: look up first
    for div in heading.iterancestors("div") if heading is not None else ():
        if _is_summary(div.get("class") or ""):
            if not in_other_area(div, memo):
                return div
            break
    found: list[Any] = []
    for div in tree.iter("div"):
        classes = div.get("class")
        if not classes or ("summary" not in classes and _BLOCK_PRICE not in classes):
            continue
        if _is_summary(classes):
            found.append(div)
        if _BLOCK_PRICE in classes:
            parent = div.getparent()
            if parent is not None and parent not in found:
                _insert_in_document_order(found, parent)
    return next((s for s in found if not in_other_area(s, memo)), None)


def _is_summary(classes: str) -> bool:
    return _has_class(classes, "summary") or "entry-summary" in classes


def _insert_in_document_order(found: list[Any], element: Any) -> None:
    """Insert an ancestor of the last element before the first element inside it."""
    for index, other in enumerate(found):
        node = other
        while node is not None and node is not element:
            node = node.getparent()
        if node is element:
            found.insert(index, element)
            return
    found.append(element)


def _has_class(classes: str, name: str) -> bool:
    """Whether a class attribute holds the class name, split on XML whitespace as XPath does."""
    return name in classes and f" {name} " in f" {classes.translate(_XML_SPACE)} "


def _marked(summary: Any) -> tuple[list[Any], list[Any]]:
    """The summary's price and stock elements, in document order."""
    prices, stock = [], []
    for element in summary.iter(etree.Element):
        classes = element.get("class")
        if not classes or element is summary:
            continue
        if _has_class(classes, "price"):
            prices.append(element)
        if _has_class(classes, "stock"):
            stock.append(element)
    return prices, stock


def _amounts(block: Any) -> list[tuple[Any, dict[str, bool]]]:
    """The price amounts inside a block, each with whether an <ins> or <del> inside it wraps it."""
    amounts = []
    for element in block.iter(etree.Element):
        if element is block or _AMOUNT_CLASS not in (element.get("class") or ""):
            continue
        wrapper = {"ins": False, "del": False}
        node = element.getparent()
        while node is not None and node is not block:
            if node.tag in wrapper:
                wrapper[node.tag] = True
            node = node.getparent()
        amounts.append((element, wrapper))
    return amounts


def _inside_del(element: Any) -> bool:
    node = element
    while node is not None:
        if node.tag == "del":
            return True
        node = node.getparent()
    return False


def _amount(
    element: Any, hint: str | None, separator: str | None
) -> tuple[Decimal, str, str] | None:
    text = " ".join(text_of(element).split())
    money = find_money(text, hint, separator)
    if len(money) != 1:
        return None
    return money[0].amount, money[0].currency, money[0].raw


def _stock(elements: list[Any]) -> Availability:
    for element in elements:
        classes = set((element.get("class") or "").split())
        for css, availability in _STOCK_CLASSES.items():
            if css in classes:
                return availability
        found = availability_from_text(text_of(element))
        if found is not Availability.UNKNOWN:
            return found
    return Availability.UNKNOWN
