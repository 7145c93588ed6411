"""`tracker extract`: run the extraction chain on a saved page or a fetched URL."""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select

from tracker import __version__
from tracker.config import Settings
from tracker.domain import CheckStatus, ExtractHints, ExtractResult
from tracker.extract import extract, shopify
from tracker.store.engine import Store
from tracker.store.models import Vendor
from tracker.urls import is_http_url

# A refusal or a bot check still has a body worth reading (the chain says "blocked").
_READ_ERROR_BODIES = (401, 403, 429, 503)


class PageError(Exception):
    """The page cannot be read; the message names the file or URL."""


# Called with every address before it is requested (the first and each redirect's); raises
# PageError to refuse it (e.g. a private address).
Guard = Callable[[str], None]


@dataclass(frozen=True)
class CheckedPage:
    result: ExtractResult
    url: str
    follow_up_result: ExtractResult | None = None
    body: bytes = b""


class _HttpOnlyRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, guard: Guard | None = None) -> None:
        self.guard = guard

    def redirect_request(
        self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str
    ) -> Any:
        if not is_http_url(newurl):
            raise PageError(f"{req.full_url}: redirects to {newurl!r}, not an http(s) URL")
        if self.guard is not None:
            self.guard(newurl)
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def user_agent(settings: Settings) -> str:
    """The crawler's User-Agent (with the operator's contact page)."""
    return f"tracker-price-checker/{__version__} (+{settings.crawl.contact_url})"


def fetch_status(
    url: str, settings: Settings, guard: Guard | None = None
) -> tuple[int, bytes, str]:
    """GET one http(s) URL: (HTTP status, body, final URL); an error status is returned too.

    The crawler's user agent, timeout and size limit; redirects only to http(s) addresses that
    pass ``guard``.
    """
    if not is_http_url(url):
        raise PageError(f"{url}: not an http(s) URL")
    if guard is not None:
        guard(url)
    crawl = settings.crawl
    request = urllib.request.Request(url, headers={"User-Agent": user_agent(settings)})
    opener = urllib.request.build_opener(_HttpOnlyRedirects(guard))
    try:
        with opener.open(request, timeout=crawl.timeout_seconds) as response:
            body = _read_limited(response, url, crawl.max_page_bytes)
            return response.status, body, response.geturl()
    except urllib.error.HTTPError as exc:
        return exc.code, _read_limited(exc, url, crawl.max_page_bytes), url
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PageError(f"{url}: cannot fetch: {reason}") from exc


def fetch(url: str, settings: Settings, guard: Guard | None = None) -> tuple[bytes, str]:
    """GET one http(s) URL with the crawler's user agent, timeout and size limit."""
    try:
        status, body, final_url = fetch_status(url, settings, guard)
    except urllib.error.HTTPError as exc:  # a failed redirect's error
        raise PageError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    if status >= 400 and status not in _READ_ERROR_BODIES:
        raise PageError(f"{url}: HTTP {status}")
    return body, final_url


def _read_limited(response: Any, url: str, limit: int) -> bytes:
    body: bytes = response.read(limit + 1)
    if len(body) > limit:
        raise PageError(f"{url}: the page is larger than {limit} bytes")
    return body


def read_file(path: Path, limit: int) -> bytes:
    try:
        with path.open("rb") as handle:
            body = handle.read(limit + 1)
    except OSError as exc:
        raise PageError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    if len(body) > limit:
        raise PageError(f"{path}: the file is larger than {limit} bytes")
    return body


def vendor_hints(store: Store, slug: str) -> ExtractHints:
    """The hints the spider uses for one synced vendor."""
    with store.sessions.begin() as session:
        vendor = session.scalar(select(Vendor).where(Vendor.slug == slug))
        if vendor is None:
            raise LookupError(f"no vendor {slug!r} in the database (run `tracker catalog sync`)")
        return vendor.profile.extract_hints(vendor.currency)


def check_page(
    source: str,
    url: str | None,
    hints: ExtractHints,
    settings: Settings,
    guard: Guard | None = None,
) -> CheckedPage:
    """Extract a saved page (FILE with an optional URL) or a fetched URL, as the spider would.

    When the page points to its platform's JSON endpoint on the same host (a Shopify page with
    no price), that endpoint is fetched and extracted too, as the spider does.
    """
    if urlsplit(source).scheme in ("http", "https"):
        body, final_url = fetch(source, settings, guard)
        page_url = url or final_url
    else:
        if url is not None and not is_http_url(url):
            raise PageError(f"--url {url!r}: not an http(s) URL")
        path = Path(source)
        body = read_file(path, settings.crawl.max_page_bytes)
        page_url = url or path.resolve().as_uri()
    result = extract(body, page_url, hints)
    if result.follow_up and is_http_url(page_url) and _same_host(result.follow_up, page_url):
        follow_body, follow_url = fetch(result.follow_up, settings, guard)
        if hints.currency is None:  # the endpoint's JSON names no currency; its page may
            hints = replace(hints, currency=shopify.active_currency(body))
        return CheckedPage(result, page_url, extract(follow_body, follow_url, hints), body)
    return CheckedPage(result, page_url, body=body)


def _same_host(a: str, b: str) -> bool:
    return urlsplit(a).hostname == urlsplit(b).hostname


def result_json(result: ExtractResult) -> dict[str, Any]:
    return {
        "status": str(result.status),
        "source": result.source,
        "offers": [
            {
                "name": o.name,
                "variant": o.variant,
                "sku": o.sku,
                "price": str(o.price) if o.price is not None else None,
                "currency": o.currency,
                "availability": str(o.availability),
                "regular_price": str(o.regular_price) if o.regular_price is not None else None,
                "source": o.source,
                "raw_price": o.raw_price,
            }
            for o in result.offers
        ],
        "tried": list(result.tried),
        "error": result.error,
        "follow_up": result.follow_up,
        "availability": str(result.availability),
        "agreed": list(result.agreed),
        "readings": [
            {"source": r.source, "values": list(r.values), "verdict": r.verdict}
            for r in result.readings
        ],
    }


def explain_lines(result: ExtractResult) -> list[str]:
    """Each source's reading, what corroborated or contradicted it, and the decision."""
    lines = ["readings:"]
    for reading in result.readings:
        said = ", ".join(reading.values) or "-"
        lines.append(_plain(f"  {reading.source:12} {said[:70]:40} {reading.verdict}"))
    if result.status is CheckStatus.OK:
        prices = ", ".join(f"{o.price} {o.currency}" for o in result.offers[:4])
        decision = f"published {prices} from {result.source}"
        if result.agreed:
            decision += f" (agreeing: {', '.join(result.agreed)})"
    else:
        decision = f"{result.status}: {result.error or 'no reason given'}"
    lines.append(_plain(f"decision: {decision}"))
    lines.append(f"stock: {result.availability}")
    return lines


def _plain(text: str) -> str:
    """Page text for a terminal: control characters (escape codes) shown as '?'."""
    return "".join(c if c.isprintable() else "?" for c in text)


def result_lines(result: ExtractResult, vendor_currency: str | None = None) -> list[str]:
    """The result as plain text lines (page text is shown as text, never as markup)."""
    lines = [f"status: {result.status}" + (f" (source: {result.source})" if result.source else "")]
    lines.append("tried: " + (", ".join(result.tried) or "-"))
    for index, offer in enumerate(result.offers, 1):
        price = f"{offer.price} {offer.currency}" if offer.price is not None else "no price"
        parts = [f"  {index}. {price}", str(offer.availability)]
        if offer.regular_price is not None:
            parts.append(f"was {offer.regular_price}")
        for label, value in (("name", offer.name), ("variant", offer.variant), ("sku", offer.sku)):
            if value:
                parts.append(f"{label} {value!r}")
        parts.append(f"[{offer.source}, raw {offer.raw_price!r}]")
        lines.append("  ".join(parts))
    others = sorted({o.currency or "?" for o in result.offers if o.currency != vendor_currency})
    if vendor_currency and others:
        lines.append(
            f"warning: the vendor is set to {vendor_currency}; the crawl records a price in "
            f"{', '.join(others)} as an error, not a price"
        )
    if result.error:
        lines.append(f"error: {result.error}")
    if result.follow_up:
        lines.append(f"follow-up: {result.follow_up}")
    return lines
