"""Vendor-configured CSS or XPath selectors (parsel), for shops without structured data."""

from __future__ import annotations

from decimal import Decimal

from cssselect import SelectorError
from lxml import etree
from parsel import Selector, SelectorList
from parsel.csstranslator import HTMLTranslator

from tracker.domain import Availability, Offer, PageSelectors
from tracker.extract.availability import normalize_availability
from tracker.extract.page import Page
from tracker.extract.values import Money, find_money, parse_currency, parse_price

_TRANSLATOR = HTMLTranslator()
# Descendants of a selected element whose class or itemprop names a price.
_PRICE_ROLE = (
    "descendant::*[contains(translate(@class, 'PRICE', 'price'), 'price')"
    " or contains(translate(@itemprop, 'PRICE', 'price'), 'price')]"
)


def is_xpath(expression: str) -> bool:
    return expression.lstrip().startswith(("/", "(", "./"))


def check_selector(expression: str) -> str:
    """Raise ValueError when a CSS or XPath selector does not compile."""
    expression = expression.strip()
    if not expression:
        raise ValueError("empty selector")
    try:
        if is_xpath(expression):
            etree.XPath(expression)
        else:
            _TRANSLATOR.css_to_xpath(expression)
    except (SelectorError, etree.XPathError) as exc:
        kind = "XPath" if is_xpath(expression) else "CSS selector"
        raise ValueError(f"not a valid {kind}: {expression!r} ({exc})") from exc
    return expression


def _select(scope: Selector, expression: str) -> SelectorList[Selector]:
    try:
        if is_xpath(expression):
            return scope.xpath(expression)
        return scope.css(expression)
    except (ValueError, SelectorError, etree.XPathError):
        return SelectorList()


def _value(scope: Selector, expression: str | None) -> str | None:
    """The first match as text: an attribute or text node itself, an element's content."""
    if not expression:
        return None
    found = _select(scope, expression)
    if not found:
        return None
    first = found[0]
    if isinstance(first.root, str):
        text = first.root
    else:
        content = first.attrib.get("content") or first.attrib.get("data-price-amount")
        text = content if content else " ".join(first.xpath(".//text()").getall())
    text = " ".join(text.split())
    return text[:300] or None


def _the_amount(
    scope: Selector, expression: str | None, raw: str, money: list[Money], separator: str | None
) -> Decimal | None:
    """The one amount the selected text states; several ("10 vials x 10 mg, $75.00"): the one
    with a currency, else the one in an element whose class or itemprop names a price, else
    none (fail closed: never the first number)."""
    amount, _ = parse_price(raw, separator)
    if amount is not None:
        return amount
    amounts = {m.amount for m in money}
    if len(amounts) == 1:
        return amounts.pop()
    if money or not expression:
        return None  # several amounts with a currency: which one is not ours to guess
    roles = {
        parse_price(" ".join(" ".join(e.xpath(".//text()").getall()).split()), separator)[0]
        for e in _select(scope, expression)[:1].xpath(_PRICE_ROLE)
    } - {None}
    return roles.pop() if len(roles) == 1 else None


def selector_offers(page: Page, selectors: PageSelectors) -> list[Offer]:
    tree = page.tree
    if tree is None:
        return []
    root = Selector(root=tree, type="html")
    if selectors.variant_rows:
        offers = []
        for row in _select(root, selectors.variant_rows):
            offer = _offer(
                page,
                row,
                price=selectors.variant_price or selectors.price,
                currency=selectors.currency,
                availability=selectors.variant_availability,
                regular=None,
                name=selectors.variant_name,
                sku=selectors.variant_sku,
                currency_scope=root,
            )
            if offer is not None:
                offers.append(offer)
        return offers
    offer = _offer(
        page,
        root,
        price=selectors.price,
        currency=selectors.currency,
        availability=selectors.availability,
        regular=selectors.regular_price,
        name=None,
        sku=None,
        currency_scope=root,
    )
    return [offer] if offer is not None else []


def _offer(
    page: Page,
    scope: Selector,
    *,
    price: str | None,
    currency: str | None,
    availability: str | None,
    regular: str | None,
    name: str | None,
    sku: str | None,
    currency_scope: Selector,
) -> Offer | None:
    raw = _value(scope, price)
    if raw is None:
        return None
    hint, separator = page.hints.currency, page.hints.decimal_separator
    money = find_money(raw, page.currency_context, separator)
    amount = _the_amount(scope, price, raw, money, separator)
    stated = _value(currency_scope, currency)
    code = parse_currency(stated, hint) if stated else None
    if code is None and stated:
        found = find_money(f"{stated} 1", hint)
        code = found[0].currency if found else None
    code = code or (money[0].currency if money else None) or hint
    regular_raw = _value(scope, regular)
    regular_amount = parse_price(regular_raw, separator)[0] if regular_raw else None
    if regular_amount is not None and (amount is None or regular_amount <= amount):
        regular_amount = None
    stock = _value(scope, availability) if availability else None
    variant = _value(scope, name)
    return Offer(
        price=amount,
        currency=code,
        availability=normalize_availability(stock) if stock else Availability.UNKNOWN,
        name=variant or page.h1 or None,
        variant=variant,
        sku=_value(scope, sku),
        regular_price=regular_amount,
        source="selectors",
        raw_price=raw,
    )
