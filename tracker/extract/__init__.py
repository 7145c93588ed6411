"""Extraction: one pure function of (page bytes, URL, vendor hints) to offers or a status.

The chain, most explicit source first: vendor selectors, JSON-LD, microdata, platform data
(Shopify, WooCommerce), OpenGraph meta tags, RDFa (slow: only when declared), the visible-page
heuristic, and else a clear ``no_price`` naming what was tried. JSON-LD, Shopify and OpenGraph are
read with regexes over the bytes; a DOM is built at most once, only for the steps that need it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace

from babel.numbers import list_currencies

from tracker.domain import Availability, CheckStatus, ExtractHints, ExtractResult, Offer
from tracker.extract import blocked, jsonld, meta, microdata, shopify, woocommerce
from tracker.extract.heuristic import heuristic_offers, visible_availability
from tracker.extract.page import Page
from tracker.extract.selectors import selector_offers
from tracker.extract.values import MAX_PRICE, is_free_text

__all__ = ["extract", "extract_page"]

_CURRENCIES = frozenset(list_currencies())
# Steps that may name the variants JSON-LD left unnamed.
_NAMING_STEPS = ("shopify", "woocommerce")
_AMBIGUOUS = {
    "heuristic": "the visible page shows several prices and none clearly wins",
    "microdata": "microdata: several products or prices compete, or only a lowest price "
    "('as low as', 'from') is given",
    "json-ld": "json-ld: several products or prices compete (quantity tiers, unnamed sellers)",
    "*": "{name}: several products on the page and none is clearly the page's own",
}
# DOM-based steps whose markup often leaves the stock state out (Magento's microdata).
_STOCK_FROM_PAGE = ("microdata",)
# A step returns offers ([] for "nothing here") or None for "several products compete".
Step = Callable[[Page], list[Offer] | None]


def extract(body: bytes, url: str, hints: ExtractHints | None = None) -> ExtractResult:
    """Read the main product's offers from a page, most explicit source first."""
    return extract_page(Page(body, url, hints or ExtractHints()))


def extract_page(page: Page) -> ExtractResult:
    """The chain over one prepared page (`page.dom_builds` tells whether it needed a DOM)."""
    if shopify.is_endpoint(page.url) and page.body.lstrip()[:1] == b"{":
        return _answer(page, "shopify", shopify.endpoint_offers(page), ["shopify"])
    reason = blocked.blocked_by_title(page)
    if reason:
        return ExtractResult(CheckStatus.BLOCKED, tried=("page",), error=reason)
    tried: list[str] = []
    notes: list[str] = []
    json_ld: list[Offer] = []
    for name, step in _steps(page):
        if json_ld and name not in _NAMING_STEPS:
            continue
        tried.append(name)
        offers = step(page)
        if offers is None:
            return ExtractResult(
                CheckStatus.AMBIGUOUS,
                source=name,
                tried=tuple(tried),
                error=_AMBIGUOUS.get(name, _AMBIGUOUS["*"]).format(name=name),
            )
        usable = [o if o.source == name else replace(o, source=name) for o in _usable(offers, page)]
        if offers and not usable:
            notes.append(_why_unusable(name, offers, page))
        if name == "json-ld" and len(usable) > 1 and not _distinct(usable):
            json_ld = usable  # variants without names: platform data may name them
            continue
        if usable:
            if name in _STOCK_FROM_PAGE:
                usable = _with_page_stock(usable, page)
            return ExtractResult(CheckStatus.OK, tuple(usable), source=name, tried=tuple(tried))
    if json_ld:
        return ExtractResult(CheckStatus.OK, tuple(json_ld), source="json-ld", tried=tuple(tried))
    return _nothing(page, tried, notes)


def _steps(page: Page) -> Iterator[tuple[str, Step]]:
    """The chain's steps in order; a step's precondition is checked only when it is reached."""
    selectors = page.hints.selectors
    if selectors is not None:
        yield "selectors", lambda p: selector_offers(p, selectors)
    yield "json-ld", _json_ld
    if page.has_microdata:
        yield "microdata", microdata.microdata_offers
    if shopify.is_shopify(page):
        yield "shopify", shopify.page_offers
    if woocommerce.is_woocommerce(page):
        yield "woocommerce", _woocommerce
    yield "opengraph", meta.meta_offers
    if page.declares_rdfa:
        yield "rdfa", microdata.rdfa_offers
    if page.hints.heuristic:
        yield "heuristic", _heuristic


def _json_ld(page: Page) -> list[Offer] | None:
    return jsonld.main_offers(jsonld.find_products(page.body, page.encoding), page)


def _woocommerce(page: Page) -> list[Offer] | None:
    offers = woocommerce.variation_offers(page)
    if offers is None or offers:
        return offers
    return woocommerce.simple_offers(page)


def _heuristic(page: Page) -> list[Offer] | None:
    if blocked.blocked_by_title(page, strict=False) or blocked.not_found_reason(page):
        return []  # a bot check or a missing page: _nothing() names it
    return heuristic_offers(page)


def _with_page_stock(offers: list[Offer], page: Page) -> list[Offer]:
    """One offer without a stock state takes the one its product area shows ("In stock")."""
    if len(offers) != 1 or offers[0].availability is not Availability.UNKNOWN:
        return offers
    shown = visible_availability(page)
    return offers if shown is Availability.UNKNOWN else [replace(offers[0], availability=shown)]


def _usable(offers: list[Offer], page: Page) -> list[Offer]:
    """Offers that can be published: a positive price (0 only when stated free), an ISO code."""
    usable = []
    for offer in offers:
        if offer.currency is None and page.hints.currency:
            offer = replace(offer, currency=page.hints.currency)
        price = offer.price
        if price is None or offer.currency not in _CURRENCIES:
            continue
        if price > MAX_PRICE or price < 0:
            continue
        if price == 0 and not is_free_text(offer.raw_price or ""):
            continue
        usable.append(offer)
    return usable


def _distinct(offers: list[Offer]) -> bool:
    """True when the offers can be told apart by their variant text (a SKU alone is no name)."""
    keys = {o.variant or o.name or "" for o in offers}
    return len(keys) == len(offers)


def _why_unusable(name: str, offers: list[Offer], page: Page) -> str:
    priced = [o for o in offers if o.price is not None]
    if not priced:
        return f"{name}: offers without a price"
    if all(o.price == 0 for o in priced):
        return f"{name}: a price of 0"
    if not page.hints.currency and all(o.currency is None for o in priced):
        return f"{name}: a price without a currency (give the vendor's currency)"
    return f"{name}: no usable price"


def _nothing(page: Page, tried: list[str], notes: list[str] | None = None) -> ExtractResult:
    reason = blocked.blocked_by_title(page, strict=False) or blocked.blocked_by_content(page)
    if reason:
        return ExtractResult(CheckStatus.BLOCKED, tried=tuple(tried), error=reason)
    missing = blocked.not_found_reason(page) or blocked.gone_notice(page)
    if missing:
        return ExtractResult(CheckStatus.NOT_FOUND, tried=tuple(tried), error=missing)
    follow_up = shopify.endpoint_url(page.url) if shopify.is_shopify(page) else None
    error = "no price found (tried: " + ", ".join(tried) + ")"
    if notes:
        error += "; " + "; ".join(notes)
    if follow_up:
        error += f"; the product JSON is at {follow_up}"
    elif blocked.scripted_price(page):
        error += "; the price seems to be filled in by JavaScript"
    return ExtractResult(CheckStatus.NO_PRICE, tried=tuple(tried), error=error, follow_up=follow_up)


def _answer(page: Page, source: str, offers: list[Offer], tried: list[str]) -> ExtractResult:
    usable = _usable(offers, page)
    if usable:
        return ExtractResult(CheckStatus.OK, tuple(usable), source=source, tried=tuple(tried))
    return ExtractResult(
        CheckStatus.NO_PRICE, tried=tuple(tried), error=f"no price in the {source} product JSON"
    )
