"""Shopify: the product JSON embedded in a page, and the /products/<handle>.js endpoint."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tracker.domain import Availability, Offer
from tracker.extract.page import Page
from tracker.extract.scope import fold

_MARKER = "hopify"  # cdn.shopify.com, Shopify.shop, ShopifyAnalytics in its scripts
_JSON_SCRIPT = re.compile(
    rb"<script\b[^>]*\btype\s*=\s*[\"']?application/json[\"']?[^>]*>(.*?)</script\s*>",
    re.IGNORECASE | re.DOTALL,
)
_ANALYTICS_META = re.compile(rb"\bvar\s+meta\s*=\s*(\{.*?\});\s*(?:\n|for\b|window\.)", re.DOTALL)
_ACTIVE_CURRENCY = re.compile(rb"Shopify\.currency\s*=\s*\{[^}]*\"active\"\s*:\s*\"([A-Z]{3})\"")
_HANDLE = re.compile(r"/products/([^/?#.]+)(\.js|\.json)?/?$")
MAX_JSON_BYTES = 2 * 1024 * 1024


def is_shopify(page: Page) -> bool:
    return _MARKER in page.assets


def endpoint_url(url: str) -> str | None:
    """The same-host /products/<handle>.js address of a Shopify product page."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    match = _HANDLE.search(parts.path)
    if parts.scheme not in ("http", "https") or not parts.hostname or not match:
        return None
    return urlunsplit((parts.scheme, parts.netloc, f"/products/{match.group(1)}.js", "", ""))


def is_endpoint(url: str) -> bool:
    try:
        path = urlsplit(url).path
    except ValueError:
        return False
    match = _HANDLE.search(path)
    return bool(match and match.group(2))


def endpoint_offers(page: Page) -> list[Offer]:
    """Offers from the body of /products/<handle>.js (or .json)."""
    data = _load(page.body)
    if isinstance(data, dict) and isinstance(data.get("product"), dict):
        data = data["product"]
    if not _is_product(data):
        return []
    return _offers(data, _currency(page))


def page_offers(page: Page) -> list[Offer] | None:
    """Offers from the product JSON a Shopify theme embeds; None when several products compete."""
    products: list[dict[str, Any]] = []
    variant_lists: list[list[dict[str, Any]]] = []
    for match in _JSON_SCRIPT.finditer(page.body):
        data = _load(match.group(1))
        if _is_product(data):
            products.append(data)
        elif isinstance(data, dict) and _is_product(data.get("product")):
            products.append(data["product"])
        elif _is_variant_list(data):
            variant_lists.append(data)
    if not products:
        products = _from_variant_lists(page, variant_lists)
    if not products:
        return []
    handle = _HANDLE.search(urlsplit(page.url).path) if page.url else None
    if handle:
        own = [p for p in products if p.get("handle") == handle.group(1)]
        products = own or products
    ids = {p.get("id") for p in products}
    if len(ids) > 1:
        title = fold(page.h1) or fold(page.title)
        named = [p for p in products if fold(str(p.get("title", ""))) == title]
        if len({p.get("id") for p in named}) != 1:
            return None
        products = named
    return _offers(products[0], _currency(page))


def _from_variant_lists(page: Page, lists: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """The product from the theme's variant list (Dawn's variant picker), else the analytics meta.

    A variant list states availability, which the analytics meta does not; it counts only when
    it is the analytics product's (same variant ids) or, without one, the page's only list.
    """
    meta_product = None
    if b"var meta" in page.body:
        analytics = _ANALYTICS_META.search(page.body)
        data = _load(analytics.group(1)) if analytics else None
        if isinstance(data, dict) and _is_product(data.get("product")):
            meta_product = data["product"]
    id_sets = [frozenset(v["id"] for v in variants) for variants in lists]
    if meta_product is not None:
        ids = frozenset(v.get("id") for v in meta_product["variants"])
        own = [variants for variants, found in zip(lists, id_sets, strict=True) if found == ids]
        return [{"variants": own[0]}] if own else [meta_product]
    if len(set(id_sets)) == 1:
        return [{"variants": lists[0]}]
    return []


def _is_variant_list(data: Any) -> bool:
    return _is_product({"variants": data}) and all(
        isinstance(v.get("id"), (int, str)) and not isinstance(v.get("id"), bool) for v in data
    )


def _load(raw: bytes) -> Any:
    if len(raw) > MAX_JSON_BYTES:
        return None
    try:
        return json.loads(raw.decode("utf-8", errors="replace"), parse_float=Decimal)
    except (ValueError, RecursionError):
        return None


def _is_product(data: Any) -> bool:
    if not isinstance(data, dict):
        return False
    variants = data.get("variants")
    return (
        isinstance(variants, list)
        and bool(variants)
        and all(isinstance(v, dict) and "price" in v for v in variants)
    )


def active_currency(body: bytes) -> str | None:
    """The shop's currency as a Shopify page states it (``Shopify.currency.active``)."""
    match = _ACTIVE_CURRENCY.search(body)
    return match.group(1).decode() if match else None


def _currency(page: Page) -> str | None:
    active = active_currency(page.body)
    if active:
        return active
    for key in ("og:price:currency", "product:price:currency"):
        values = page.meta.get(key)
        if values and re.fullmatch(r"[A-Za-z]{3}", values[0]):
            return values[0].upper()
    return page.hints.currency


def _money(value: Any) -> Decimal | None:
    """Shopify states money in cents as integers; the .json endpoint as '75.00' strings."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return Decimal(value).scaleb(-2)
    if isinstance(value, str) and re.fullmatch(r"\d+\.\d{1,2}", value.strip()):
        return Decimal(value.strip())
    return None


def _offers(product: dict[str, Any], currency: str | None) -> list[Offer]:
    title = str(product.get("title") or "")[:300] or None
    offers = []
    for variant in product["variants"]:
        price = _money(variant.get("price"))
        regular = _money(variant.get("compare_at_price"))
        if regular is not None and (price is None or regular <= price):
            regular = None
        name = variant.get("public_title") or variant.get("title")
        if not isinstance(name, str) or name.strip().casefold() == "default title":
            name = None
        available = variant.get("available")
        offers.append(
            Offer(
                price=price,
                currency=currency,
                availability=Availability.UNKNOWN
                if not isinstance(available, bool)
                else Availability.IN_STOCK
                if available
                else Availability.OUT_OF_STOCK,
                name=title or _str(variant.get("name")),
                variant=name[:300] if name else None,
                sku=_str(variant.get("sku")),
                regular_price=regular,
                source="shopify",
                raw_price=str(variant.get("price"))[:50],
            )
        )
    return offers


def _str(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    return str(value).strip()[:300] or None
