"""Pure crawl rules: which hosts belong to a vendor, what a redirect landed on, Retry-After.

No Scrapy here: the middlewares and the spider call these with plain values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qsl, urlsplit

from tracker.urls import host_key, is_http_url

_HOME_PATHS = {"", "/index.html", "/index.htm", "/index.php", "/home", "/default.aspx", "/shop"}
_LOCALE_HOME = re.compile(r"^/[a-z]{2}(?:[-_][a-z]{2})?$")
_SEARCH_SEGMENTS = {"search", "catalogsearch", "suche", "recherche", "buscar", "ricerca", "poisk"}
_SEARCH_KEYS = {"q", "s", "search", "query", "keyword", "keywords", "search_query"}
_CATEGORY_SEGMENTS = {
    "category",
    "categories",
    "product-category",
    "collections",
    "collection",
    "catalog",
    "c",
    "kategorie",
    "categorie",
    "categoria",
    "catalogo",
    "catalogue",
}
_PRODUCT_SEGMENTS = {"products", "product", "p", "produkt", "produit", "producto", "prodotto"}


def vendor_hosts(homepage: str, urls: Iterable[str]) -> frozenset[str]:
    """The hosts a vendor's crawl may talk to: its homepage's and its listings'."""
    keys = (host_key(u) for u in (homepage, *urls) if u)
    return frozenset(k for k in keys if k)


def is_vendor_url(url: str, hosts: frozenset[str]) -> bool:
    """An http(s) URL on one of the vendor's hosts."""
    return is_http_url(url) and host_key(url) in hosts


def landing_kind(url: str, homepage: str = "") -> str | None:
    """Name the kind of page a redirect landed on when it is not a product page.

    Returns ``"home page"``, ``"search page"`` or ``"category page"``, or None for anything
    that may be a product. Used only for redirected responses: a product that moved to a
    new address is read as usual.
    """
    parts = urlsplit(url)
    path = parts.path.rstrip("/").lower()
    segments = [s for s in path.split("/") if s]
    query = {key.lower() for key, _ in parse_qsl(parts.query, keep_blank_values=True)}
    if _SEARCH_SEGMENTS & set(segments) or _SEARCH_KEYS & query:
        return "search page"
    if homepage and _same_page(url, homepage):
        return "home page"
    if path in _HOME_PATHS or _LOCALE_HOME.match(path):
        return "home page"
    if _PRODUCT_SEGMENTS & set(segments[:-1]):
        return None  # /collections/x/products/handle is a product
    if _CATEGORY_SEGMENTS & set(segments[:-1]) or (segments and segments[-1] in _CATEGORY_SEGMENTS):
        return "category page"
    return None


def _same_page(a: str, b: str) -> bool:
    pa, pb = urlsplit(a), urlsplit(b)
    return (
        host_key(a) == host_key(b)
        and pa.path.rstrip("/") == pb.path.rstrip("/")
        and pa.query == pb.query
    )


def retry_after_seconds(value: str | bytes | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date), or None.

    An unreadable value gives None (retry without waiting); a date in the past gives 0.
    """
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())
