"""Extraction: one pure function of (page bytes, URL, vendor hints) to offers or a status."""

from __future__ import annotations

from dataclasses import replace

from tracker.domain import CheckStatus, ExtractHints, ExtractResult, Offer
from tracker.extract.jsonld import find_products, product_offers

__all__ = ["extract"]


def extract(body: bytes, url: str, hints: ExtractHints | None = None) -> ExtractResult:
    """Read the main product's offers from a page, most explicit source first."""
    hints = hints or ExtractHints()
    tried: list[str] = []

    tried.append("json-ld")
    products = find_products(body)
    offers: list[Offer] = []
    for product in products:
        offers.extend(product_offers(product, url))
    if offers:
        offers = [_fill_currency(o, hints) for o in offers]
        if any(o.price is not None for o in offers):
            return ExtractResult(
                CheckStatus.OK, tuple(offers), source="json-ld", tried=tuple(tried)
            )

    return ExtractResult(
        CheckStatus.NO_PRICE,
        tried=tuple(tried),
        error="no price found (tried: " + ", ".join(tried) + ")",
    )


def _fill_currency(offer: Offer, hints: ExtractHints) -> Offer:
    if offer.currency is None and hints.currency:
        return replace(offer, currency=hints.currency)
    return offer
