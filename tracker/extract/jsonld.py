"""schema.org offers from JSON-LD, read straight from the page's script blocks (no DOM)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any
from urllib.parse import urljoin, urlsplit

from tracker.domain import Availability, Offer
from tracker.extract.page import Page
from tracker.extract.scope import fold, pick_main
from tracker.extract.values import normalize_availability, parse_currency, parse_price

_SCRIPT = re.compile(
    rb"<script\b[^>]*\btype\s*=\s*[\"']?application/ld\+json[\"']?[^>]*>(.*?)</script\s*>",
    re.IGNORECASE | re.DOTALL,
)
_TOKENS = re.compile(r'"(?:\\.|[^"\\])*"|//[^\n]*|/\*.*?\*/|,(?=\s*[}\]])|,(?=\s*,)', re.DOTALL)
MAX_BLOCK_BYTES = 2 * 1024 * 1024
_MAX_DEPTH = 12  # real JSON-LD nests a few levels; deeper is noise
_PRODUCT_TYPES = {"product", "productgroup", "individualproduct", "productmodel", "vehicle"}
_OFFER_TYPES = {"offer", "aggregateoffer"}
_STRIKE_TYPES = ("strikethroughprice", "listprice", "msrp", "srp")
# The raw text of an offer that states no one price, only a range or a lowest price.
BOUND_MARK = "bound: "
# Properties the extraction reads; some builders write them with other capitals ("Offers").
_PROPERTIES = {
    key.casefold(): key
    for key in (
        "@type @id @graph offers price priceCurrency availability name sku url lowPrice highPrice "
        "priceSpecification priceType itemOffered hasVariant mainEntity mainEntityOfPage "
        "itemReviewed size color pattern material"
    ).split()
}
_ODD_CASE = re.compile(
    r'"(?:Offers|Price|PriceCurrency|Availability|LowPrice|HighPrice|PriceSpecification|'
    r'HasVariant|pricecurrency|lowprice|highprice|pricespecification|hasvariant)"\s*:'
)


def json_ld_blocks(body: bytes, encoding: str = "utf-8") -> Iterator[Any]:
    """Yield each parsable JSON-LD block of a page's bytes; a broken block never hides others."""
    return blocks_of(m.group(1).decode(encoding, errors="replace") for m in _SCRIPT.finditer(body))


def blocks_of(texts: Iterable[str]) -> Iterator[Any]:
    """Each parsable JSON-LD block of these script texts, keys in schema.org's spelling."""
    for text in texts:
        if len(text) > MAX_BLOCK_BYTES:
            continue
        data = _lenient_json(text)
        if data is not None:
            yield _canonical_keys(data) if _ODD_CASE.search(text) else data


def _canonical_keys(data: Any, depth: int = 0) -> Any:
    """The block with the properties we read spelled as schema.org spells them."""
    if depth > _MAX_DEPTH:
        return data
    if isinstance(data, list):
        return [_canonical_keys(item, depth + 1) for item in data]
    if not isinstance(data, dict):
        return data
    fixed: dict[str, Any] = {}
    for key, value in data.items():
        canonical = _PROPERTIES.get(key.casefold(), key) if isinstance(key, str) else key
        if canonical in data and canonical != key:
            canonical = key  # both spellings given: keep each as written
        fixed[canonical] = _canonical_keys(value, depth + 1)
    return fixed


def _lenient_json(text: str) -> Any:
    text = original = text.strip()
    for cleanup in (
        lambda t: t,
        lambda t: t.removeprefix("<!--").removesuffix("-->").strip().rstrip(";").strip(),
        lambda t: t.replace("<![CDATA[", "").replace("]]>", ""),
        _strip_comments_and_stray_commas,
    ):
        text = cleanup(text)
        try:
            return json.loads(text, parse_float=Decimal, strict=False)
        except (ValueError, RecursionError):
            continue
    if "&quot;" not in original and "&#34;" not in original:
        return None
    # A block written with HTML entities ({&quot;@type&quot;: …}).
    try:
        unescaped = _strip_comments_and_stray_commas(html.unescape(original))
        return json.loads(unescaped, parse_float=Decimal, strict=False)
    except (ValueError, RecursionError):
        return None


def _strip_comments_and_stray_commas(text: str) -> str:
    """Drop // and /* */ comments and commas before a closing bracket, outside strings."""

    def keep_strings(match: re.Match[str]) -> str:
        token = match.group(0)
        return token if token.startswith('"') else ""

    return _TOKENS.sub(keep_strings, text)


def _types(node: dict[str, Any]) -> set[str]:
    value = node.get("@type", ())
    values = value if isinstance(value, list) else [value]
    return {
        v.rsplit("/", 1)[-1].rsplit(":", 1)[-1].casefold() for v in values if isinstance(v, str)
    }


def _top_level_nodes(data: Any, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > _MAX_DEPTH:
        return
    if isinstance(data, list):
        for item in data:
            yield from _top_level_nodes(item, depth + 1)
    elif isinstance(data, dict):
        if "@graph" in data:
            yield from _top_level_nodes(data["@graph"], depth + 1)
        yield data
        # A WebPage may carry the product as its main entity.
        for key in ("mainEntity", "mainEntityOfPage", "itemReviewed"):
            if isinstance(data.get(key), dict):
                yield data[key]


def find_products(body: bytes, encoding: str = "utf-8") -> list[dict[str, Any]]:
    """Product nodes at the top of the page's JSON-LD (not related or similar products)."""
    return products_in(json_ld_blocks(body, encoding))


def products_in(blocks: Iterable[Any]) -> list[dict[str, Any]]:
    """Product nodes at the top of these JSON-LD blocks."""
    found: list[dict[str, Any]] = []
    by_id: dict[str, dict[str, Any]] = {}
    for block in blocks:
        for node in _top_level_nodes(block):
            if isinstance(node.get("@id"), str) and len(node) > 1:
                by_id.setdefault(node["@id"], node)
            types = _types(node)
            offered = node.get("itemOffered")
            if types & _OFFER_TYPES and isinstance(offered, dict) and _may_be_product(offered):
                # An Offer at the top, naming its product: read it as that product's offer.
                node = {**offered, "@type": "Product", "offers": node}
                types = {"product"}
            if types & _PRODUCT_TYPES and node not in found:
                found.append(node)
    return [_resolve_offers(product, by_id) for product in found]


def _may_be_product(node: dict[str, Any]) -> bool:
    """A product, or a thing of no stated type; not a Service (a warranty app's protection plan)."""
    types = _types(node)
    return not types or bool(types & _PRODUCT_TYPES)


def _resolve_offers(product: dict[str, Any], by_id: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Offers given by reference ({"@id": ...}) replaced by the Offer node of that @id."""
    offers = product.get("offers")
    listed: list[Any] = offers if isinstance(offers, list) else [offers]
    if not by_id or not any(_is_reference(o) for o in listed):
        return product
    resolved = [by_id.get(o["@id"], o) if _is_reference(o) else o for o in listed]
    return {**product, "offers": resolved if isinstance(offers, list) else resolved[0]}


def _is_reference(value: Any) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("@id"), str)
        and not {"price", "lowPrice", "priceSpecification", "offers"} & value.keys()
    )


def _text(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("name") or value.get("@value")
    if isinstance(value, list):
        value = value[0] if value else None
    if value is None or isinstance(value, (dict, list)):
        return None
    return html.unescape(str(value)).strip()[:300] or None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def product_offers(
    product: dict[str, Any], page_url: str, decimal_separator: str | None = None, depth: int = 0
) -> list[Offer]:
    """Every offer of one product node, variants (hasVariant) included."""
    offers: list[Offer] = []
    if depth > 3:
        return offers
    name = _text(product.get("name"))
    listed = [o for o in _as_list(product.get("offers")) if isinstance(o, dict)]
    if not listed and product.get("price") is not None:
        listed = [product]  # microdata written without an Offer scope: the price is on the product
    for offer in listed:
        if isinstance(offer, dict):
            offers.extend(_offers_of(offer, product, name, page_url, decimal_separator))
    for variant in _as_list(product.get("hasVariant")):
        if isinstance(variant, dict):
            offers.extend(product_offers(variant, page_url, decimal_separator, depth + 1))
    return offers


def product_name(product: dict[str, Any]) -> str | None:
    return _text(product.get("name"))


def product_url(product: dict[str, Any]) -> str | None:
    url = product.get("url") or product.get("@id")
    return url if isinstance(url, str) else None


def _offers_of(
    node: dict[str, Any],
    product: dict[str, Any],
    product_name: str | None,
    page_url: str,
    separator: str | None,
) -> Iterator[Offer]:
    low = high = None
    if "aggregateoffer" in _types(node):
        inner = [
            o
            for o in _as_list(node.get("offers"))
            if isinstance(o, dict) and "aggregateoffer" not in _types(o)
        ]
        if inner:
            for offer in inner:
                yield from _offers_of(offer, product, product_name, page_url, separator)
            return
        low, high = node.get("lowPrice"), node.get("highPrice")
        if node.get("price") is None and low is not None and (high is None or low == high):
            node = {**node, "price": low}
        elif node.get("price") is None:
            # A range: a priceSpecification beside it (WooCommerce 9 puts the lowest
            # variation's sale price there) is not the product's price.
            node = {k: v for k, v in node.items() if k != "priceSpecification"}
    price_value, currency_value, regular = _price_fields(node)
    price, raw = parse_price(price_value, separator)
    if price_value is None and low is not None and high is not None and low != high:
        raw = f"{BOUND_MARK}{low}–{high}"  # no one price: the decision hears of the range
    regular_price = parse_price(regular, separator)[0] if regular is not None else None
    if regular_price is not None and price is not None and regular_price <= price:
        regular_price = None
    url = node.get("url")
    yield Offer(
        price=price,
        currency=parse_currency(currency_value),
        availability=normalize_availability(node.get("availability"))
        if node.get("availability") is not None
        else Availability.UNKNOWN,
        name=product_name or _text(node.get("name")),
        variant=_text(node.get("name"))
        if node.get("name") and node is not product
        else _variant_name(product),
        sku=_text(node.get("sku")) or _text(product.get("sku")),
        regular_price=regular_price,
        url=urljoin(page_url, url) if isinstance(url, str) else None,
        source="json-ld",
        raw_price=raw or None,
    )


def _variant_name(product: dict[str, Any]) -> str | None:
    parts = [_text(product.get(key)) for key in ("size", "color", "pattern", "material")]
    named = " ".join(p for p in parts if p)
    return named or None


def _price_fields(node: dict[str, Any]) -> tuple[Any, Any, Any]:
    """(price, currency, regular price) from an Offer and its priceSpecification."""
    price, currency, regular = node.get("price"), node.get("priceCurrency"), None
    for spec in _as_list(node.get("priceSpecification")):
        if not isinstance(spec, dict):
            continue
        kind = str(spec.get("priceType", "")).rsplit("/", 1)[-1].casefold()
        if kind in _STRIKE_TYPES:
            regular = spec.get("price")
        elif price is None:
            price = spec.get("price")
        if kind not in _STRIKE_TYPES:
            currency = currency or spec.get("priceCurrency")
    return price, currency, regular


def main_offers(products: list[dict[str, Any]], page: Page) -> list[Offer] | None:
    """The offers of the page's own product; None when several priced products compete."""
    offered = []
    bounds: list[Offer] = []
    for product in products:
        offers = product_offers(product, page.url)
        if any(o.price is not None for o in offers):
            offered.append((product, offers))
        bounds.extend(o for o in offers if o.raw_price and o.raw_price.startswith(BOUND_MARK))
    if not offered:
        return bounds[:1]  # only a range: the decision says so
    main = pick_main(offered, lambda p: product_name(p[0]), lambda p: product_url(p[0]), page)
    if main is None:
        # Several products told apart by name alone, but one price: the same thing told twice.
        prices = {(o.price, o.currency) for _, offers in offered for o in offers}
        if len(prices) != 1:
            return None
        main = offered[:1]
    if all(_names_another_page(product, page) for product, _ in main):
        return []  # e.g. a widget's product on a page whose own product has no JSON-LD
    if any(_quantity_tiers(product) for product, _ in main):
        return None
    found = [offer for _, offers in main for offer in offers]
    return [] if _in_minor_units(found, page) else found


def _quantity_tiers(product: dict[str, Any]) -> bool:
    """True when the product's offers are prices by quantity (eligibleQuantity), not variants."""
    offers = product.get("offers")
    if isinstance(offers, dict):
        offers = offers.get("offers", [offers])
    listed = offers if isinstance(offers, list) else []
    tiers = [o for o in listed if isinstance(o, dict) and o.get("eligibleQuantity")]
    return len(tiers) > 1


def _names_another_page(product: dict[str, Any], page: Page) -> bool:
    """True when the product links to another page and its name is not the page's heading.

    The checks run cheapest first: the canonical link and og:title cost a scan of the page.
    """
    url = product_url(product)
    if not url or url.startswith("#"):
        return False
    path = _path(url, page.url)
    name = fold(product_name(product))
    if not path or not name or _same_page(path, page.url, page):
        return False
    if _named(name, (page.h1, page.title)):
        return False
    if page.canonical and _same_page(path, page.canonical, page):
        return False
    return not _named(name, page.meta.get("og:title", [])[:1])


def _same_page(path: str, own: str, page: Page) -> bool:
    own_path = _path(own, page.url)
    return bool(own_path) and (path.endswith(own_path) or own_path.endswith(path))


def _named(name: str, headings: Iterable[str]) -> bool:
    folded = (fold(h) for h in headings if h)
    return any(f" {name} " in f" {h} " or f" {h} " in f" {name} " for h in folded)


def _path(url: str, base: str) -> str:
    try:
        path = urlsplit(urljoin(base, url)).path
    except ValueError:
        return ""
    return path.rstrip("/").casefold()


def _in_minor_units(offers: list[Offer], page: Page) -> bool:
    """True when the structured prices are the page's price tag times 100: written in cents.

    A theme that prints Shopify's `{{ product.price }}` into its JSON-LD states 2495 for a
    24.95 product; the product meta tags beside it say 24.95. The larger one is the cents.
    """
    whole = [o.price for o in offers if o.price is not None and o.price == o.price.to_integral()]
    if not whole or not page.has_price_tags:
        return False  # cents are whole numbers; most prices are not, and need no page search
    stated = {
        parse_price(value)[0]
        for key in ("product:price:amount", "og:price:amount")
        for value in page.meta.get(key, [])
    } - {None}
    prices = {o.price for o in offers if o.price is not None}
    if not stated or not prices or prices & stated:
        return False
    return any(price == amount * 100 for price in prices for amount in stated if amount)
