"""Extraction: one pure function of (page bytes, URL, vendor hints) to offers or a status.

Every source of the page is read: vendor selectors, JSON-LD, microdata, platform data (Shopify,
WooCommerce), OpenGraph meta tags, RDFa (slow: only when declared and nothing else priced).
Each is a claim; the visible product area is the evidence (visible.py), and corroborate.py
decides what is published: a claim the page shows, two sources that agree, the page's own one
price, or nothing (`ambiguous`, `no_price`, ...) with every reading kept. JSON-LD, Shopify and
OpenGraph are read with regexes over the bytes; the DOM is built once and shared.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from decimal import Decimal

from tracker.domain import CheckStatus, ExtractHints, ExtractResult, Offer
from tracker.extract import blocked, jsonld, meta, microdata, shopify, woocommerce
from tracker.extract.corroborate import Claim, decide
from tracker.extract.jsonld import BOUND_MARK
from tracker.extract.page import Page
from tracker.extract.selectors import selector_offers
from tracker.extract.values import MAX_PRICE, is_free_text
from tracker.extract.visible import CURRENT, NO_EVIDENCE, read_evidence
from tracker.vocabulary import CURRENCIES

__all__ = ["Claim", "extract", "extract_page", "read_claims"]

_AMBIGUOUS = {
    "microdata": "microdata: several products or prices compete, or only a lowest price "
    "('as low as', 'from') is given",
    "json-ld": "json-ld: several products or prices compete (quantity tiers, unnamed sellers)",
    "*": "{name}: several products on the page and none is clearly the page's own",
}
# A step returns offers ([] for "nothing here") or None for "several products compete".
Step = Callable[[Page], list[Offer] | None]


def extract(body: bytes, url: str, hints: ExtractHints | None = None) -> ExtractResult:
    """Read the main product's offers from a page: claims, checked against what it shows."""
    return extract_page(Page(body, url, hints or ExtractHints()))


def extract_page(page: Page) -> ExtractResult:
    """The chain over one prepared page (`page.dom_builds` tells whether it needed a DOM)."""
    if shopify.is_endpoint(page.url) and page.body.lstrip()[:1] == b"{":
        return _answer(page, "shopify", shopify.endpoint_offers(page), ["shopify"])
    reason = blocked.blocked_by_title(page)
    if reason:
        return ExtractResult(CheckStatus.BLOCKED, tried=("page",), error=reason)
    claims = read_claims(page)
    selected = next((c for c in claims if c.source == "selectors" and c.offers), None)
    if selected is not None:
        return _operator_answer(selected, claims, page)
    gone = _gone(page) if not any(c.offers for c in claims) else None
    if gone is not None:
        return replace(gone, tried=tuple(c.source for c in claims))
    names = [o.name for c in claims for o in c.offers[:1] if o.name]
    evidence = read_evidence(page, names) if page.tree is not None else NO_EVIDENCE
    result = decide(claims, evidence, visible_alone=page.hints.heuristic)
    if result.status is CheckStatus.NO_PRICE:
        return _nothing(page, claims, result)
    return result


def read_claims(page: Page) -> list[Claim]:
    """What each source of the page states, in chain order, before the page is looked at
    (RDFa, slow, only when declared and nothing else states a price)."""
    claims = [_claim(name, step, page) for name, step in _steps(page)]
    if not any(c.offers for c in claims) and page.declares_rdfa:
        claims.append(_claim("rdfa", microdata.rdfa_offers, page))
    return claims


def _steps(page: Page) -> Iterator[tuple[str, Step]]:
    """The sources in order, most explicit first; a step's precondition is checked here."""
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


def _claim(name: str, step: Step, page: Page) -> Claim:
    offers = step(page)
    if offers is None:
        return Claim(name, ambiguous=_AMBIGUOUS.get(name, _AMBIGUOUS["*"]).format(name=name))
    usable = tuple(
        o if o.source == name else replace(o, source=name) for o in _usable(offers, page)
    )
    bound = next(
        (o.raw_price for o in offers if o.raw_price and o.raw_price.startswith(BOUND_MARK)), None
    )
    if bound is not None and not usable:
        return Claim(
            name, bound=f"{name} states no one price, only {bound.removeprefix(BOUND_MARK)}"
        )
    note = _why_unusable(name, offers, page) if offers and not usable else None
    return Claim(name, usable, note=note)


def _operator_answer(selected: Claim, claims: list[Claim], page: Page) -> ExtractResult:
    """The vendor's selectors name the price element: their reading is the answer, unless the
    page's data states another price and the page does not show the selected one as current
    (a selector that drifted onto another figure): then nothing is published."""
    values = selected.values
    others = [c for c in claims if c.offers and c is not selected]
    agreeing = [c.source for c in others if c.values & values]
    contradicted = others and not agreeing
    if contradicted:
        names = [o.name for c in claims for o in c.offers[:1] if o.name]
        evidence = read_evidence(page, names) if page.tree is not None else NO_EVIDENCE
        if not any(evidence.roles_of(amount, code) & {CURRENT} for amount, code in values):
            said = "; ".join(f"{c.source} says {_money(c.values)}" for c in others)
            return ExtractResult(
                CheckStatus.AMBIGUOUS,
                tried=tuple(c.source for c in claims),
                error=f"the selectors read {_money(values)}, but {said} and the page does not "
                "show the selected amount as the current price",
                availability=selected.offers[0].availability,
            )
        agreeing.append("page")
    return ExtractResult(
        CheckStatus.OK,
        selected.offers,
        source="selectors",
        tried=tuple(c.source for c in claims),
        agreed=("selectors", *agreeing),
        availability=selected.offers[0].availability,
    )


def _money(values: frozenset[tuple[Decimal, str]]) -> str:
    return ", ".join(f"{amount} {code}" for amount, code in sorted(values))


def _gone(page: Page) -> ExtractResult | None:
    """A bot check or a missing page, told before the page is read as a product."""
    reason = blocked.blocked_by_title(page, strict=False)
    if reason:
        return ExtractResult(CheckStatus.BLOCKED, error=reason)
    missing = blocked.not_found_reason(page)
    if missing:
        return ExtractResult(CheckStatus.NOT_FOUND, error=missing)
    return None


def _json_ld(page: Page) -> list[Offer] | None:
    return jsonld.main_offers(jsonld.products_in(jsonld.blocks_of(page.json_ld_texts)), page)


def _woocommerce(page: Page) -> list[Offer] | None:
    offers = woocommerce.variation_offers(page)
    if offers is None or offers:
        return offers
    return woocommerce.simple_offers(page)


def _usable(offers: list[Offer], page: Page) -> list[Offer]:
    """Offers that can be published: a positive price (0 only when stated free), an ISO code."""
    usable = []
    for offer in offers:
        if offer.currency is None and page.hints.currency:
            offer = replace(offer, currency=page.hints.currency)
        price = offer.price
        if price is None or offer.currency not in CURRENCIES:
            continue
        if price > MAX_PRICE or price < 0:
            continue
        if price == 0 and not is_free_text(offer.raw_price or ""):
            continue
        usable.append(offer)
    return usable


def _why_unusable(name: str, offers: list[Offer], page: Page) -> str:
    priced = [o for o in offers if o.price is not None]
    if not priced and name == "selectors" and offers[0].raw_price:
        return (
            f"selectors: {offers[0].raw_price[:80]!r} is not one amount "
            "(point the price selector at the price alone)"
        )
    if not priced:
        return f"{name}: offers without a price"
    if all(o.price == 0 for o in priced):
        return f"{name}: a price of 0"
    if not page.hints.currency and all(o.currency is None for o in priced):
        return f"{name}: a price without a currency (give the vendor's currency)"
    return f"{name}: no usable price"


def _nothing(page: Page, claims: list[Claim], result: ExtractResult) -> ExtractResult:
    """No price: say why (a bot check, a missing product, a price filled in by a script)."""
    tried = tuple(c.source for c in claims)
    reason = blocked.blocked_by_title(page, strict=False) or blocked.blocked_by_content(page)
    if reason:
        return ExtractResult(CheckStatus.BLOCKED, tried=tried, error=reason)
    missing = blocked.not_found_reason(page) or blocked.gone_notice(page)
    if missing:
        return ExtractResult(
            CheckStatus.NOT_FOUND, tried=tried, error=missing, availability=result.availability
        )
    follow_up = shopify.endpoint_url(page.url) if shopify.is_shopify(page) else None
    error = "no price found (tried: " + ", ".join((*tried, "page")) + ")"
    notes = [c.note for c in claims if c.note]
    if notes:
        error += "; " + "; ".join(notes)
    if follow_up:
        error += f"; the product JSON is at {follow_up}"
    elif blocked.scripted_price(page):
        error += "; the price seems to be filled in by JavaScript"
    return replace(result, tried=tried, error=error, follow_up=follow_up)


def _answer(page: Page, source: str, offers: list[Offer], tried: list[str]) -> ExtractResult:
    usable = _usable(offers, page)
    if usable:
        return ExtractResult(CheckStatus.OK, tuple(usable), source=source, tried=tuple(tried))
    return ExtractResult(
        CheckStatus.NO_PRICE, tried=tuple(tried), error=f"no price in the {source} product JSON"
    )
