"""OpenGraph and product meta tags, read with a regex (no DOM)."""

from __future__ import annotations

from tracker.domain import Availability, Offer
from tracker.extract.page import Page
from tracker.extract.values import normalize_availability, parse_currency, parse_price

_AMOUNT = ("product:sale_price:amount", "product:price:amount", "og:price:amount")
_CURRENCY = ("product:sale_price:currency", "product:price:currency", "og:price:currency")
_REGULAR = (
    "product:original_price:amount",
    "product:retailer_price:amount",
    "og:price:standard_amount",
)
_AVAILABILITY = ("product:availability", "og:availability", "product:stock")


def _first(page: Page, keys: tuple[str, ...]) -> tuple[str, list[str]] | None:
    for key in keys:
        values = [v for v in page.meta.get(key, []) if v]
        if values:
            return key, values
    return None


def meta_offers(page: Page) -> list[Offer]:
    if not page.has_price_tags:
        return []
    found = _first(page, _AMOUNT)
    if found is None:
        return []
    key, values = found
    amounts = {parse_price(v)[0] for v in values}
    if len(amounts) != 1 or None in amounts:
        return []  # several different amounts: not a statement about one product
    price, raw = parse_price(values[0])
    currency_key = key.replace(":amount", ":currency")
    currency_values = page.meta.get(currency_key) or (_first(page, _CURRENCY) or ("", []))[1]
    currency = parse_currency(currency_values[0], page.hints.currency) if currency_values else None
    # Beside a sale price, the plain price is the regular one.
    regular_keys = (*_REGULAR, "product:price:amount") if "sale_price" in key else _REGULAR
    regular_found = _first(page, regular_keys)
    regular = parse_price(regular_found[1][0])[0] if regular_found else None
    if regular is not None and (price is None or regular <= price):
        regular = None
    availability_found = _first(page, _AVAILABILITY)
    availability = (
        normalize_availability(availability_found[1][0])
        if availability_found
        else Availability.UNKNOWN
    )
    title = page.meta.get("og:title", [page.h1 or ""])[0] or None
    return [
        Offer(
            price=price,
            currency=currency,
            availability=availability,
            name=title,
            regular_price=regular,
            source="opengraph",
            raw_price=raw,
        )
    ]
