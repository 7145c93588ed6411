"""From a product page's URL to a catalog entry, and a new site folder.

``preview_url`` reads one page as the crawler would (robots.txt, public addresses only unless
the configuration allows private ones, the size limit), runs the extraction chain on it and
makes the catalog entry that would track it: a vendor and one listing per variant found, with
the selectors the page needs when it has no structured data. The CLI prints it
(``tracker extract URL --catalog-entry``) or appends it (``tracker catalog add``, through
``tracker.catalogfile``); the dashboard can call the same function.

``init_site`` scaffolds a site folder (``tracker init DIR``) and never overwrites a file.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from protego import Protego  # type: ignore[import-untyped]
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from sqlalchemy.exc import InterfaceError, InternalError, OperationalError

from tracker.catalog import TEXT_LENGTH, parse_catalog
from tracker.config import Settings, load_settings
from tracker.crawling import pagecheck
from tracker.crawling.pagecheck import PageError
from tracker.domain import CheckStatus, ExtractHints, ExtractResult, Offer, VariantSpec
from tracker.matching import match_offer
from tracker.publishing.buybox import AVAILABILITY_TEXT
from tracker.services import open_settings_store
from tracker.store.engine import StoreUnavailable, database_name, failure_text
from tracker.vocabulary import AMOUNT_UNITS, PACK_UNITS, pack_unit

__all__ = ["Preview", "SiteInit", "init_site", "preview_url", "require_public_address"]

_PACK_FORMS = sorted(
    {form for unit in PACK_UNITS for form in (unit, unit + "s", unit + "es", unit[:-1] + "ies")},
    key=len,
    reverse=True,
)
_AMOUNT = r"(\d+(?:[.,]\d+)?)\s*(" + "|".join(map(re.escape, AMOUNT_UNITS)) + r")\b"
_COUNT = r"(\d+)\s*(" + "|".join(map(re.escape, _PACK_FORMS)) + r")\b"
_PACK_THEN_AMOUNT = re.compile(_COUNT + r"\s*(?:[x×*]|of)\s*" + _AMOUNT, re.IGNORECASE)
_AMOUNT_THEN_PACK = re.compile(_AMOUNT + r"\s*(?:[x×*,]|-)?\s*" + _COUNT, re.IGNORECASE)
_PACK_ONLY = re.compile(_COUNT, re.IGNORECASE)
_CSS_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]*$")


@dataclass(frozen=True)
class Preview:
    """What one product page yields, and the catalog entry that would track it."""

    url: str  # the page read (after redirects)
    result: ExtractResult  # the extraction chain's answer (with its readings)
    offers: tuple[Offer, ...]  # the priced offers: the variants found
    matched: Offer | None  # the offer the asked variant picks (or the page's only offer)
    entry: dict[str, Any]  # {"products": [...], "vendors": [...]}, plain values
    yaml: str  # the entry as commented YAML, valid as a catalog on its own
    notes: tuple[str, ...] = ()  # what the operator should check before syncing


def require_public_address(url: str, settings: Settings) -> None:
    """Refuse an address on a private, loopback or link-local network (PageError).

    ``crawl.allow_private_addresses`` allows them (the demo and the tests read pages served on
    this machine).
    """
    if settings.crawl.allow_private_addresses:
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise PageError(f"{url}: cannot resolve {host}: {exc}") from exc
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if not address.is_global:
            raise PageError(
                f"{url}: {host} is a private address ({address}); pages on this machine or "
                "network are read only with crawl.allow_private_addresses = true"
            )


def robots_refusal(url: str, settings: Settings) -> str | None:
    """Why robots.txt forbids reading ``url`` (RFC 9309, as the crawl reads it), or None."""
    if not settings.crawl.obey_robots:
        return None
    parts = urlsplit(url)
    robots_url = f"{parts.scheme}://{parts.netloc}/robots.txt"
    origin = (parts.scheme, parts.netloc)

    def same_site(address: str) -> None:
        require_public_address(address, settings)
        moved = urlsplit(address)
        if (moved.scheme, moved.netloc) != origin:
            raise PageError(f"{robots_url}: redirects outside the site: treated as disallow")

    try:
        status, body, _ = pagecheck.fetch_status(robots_url, settings, same_site)
    except PageError as exc:
        return f"robots.txt unreachable ({exc}): treated as disallow"
    if 200 <= status < 300:
        rules = Protego.parse(body.decode("utf-8", "replace"))
        if rules.can_fetch(url, pagecheck.user_agent(settings)):
            return None
        return "robots.txt disallows this page"
    if 400 <= status < 500 and status != 429:
        return None  # no rules
    return f"robots.txt answered HTTP {status}: treated as disallow"


def preview_url(
    url: str,
    settings: Settings,
    *,
    product: str | None = None,
    product_name: str | None = None,
    vendor: str | None = None,
    vendor_name: str | None = None,
    variant: str | None = None,
) -> Preview:
    """Read a product page as the crawler would and make the catalog entry that tracks it.

    ``product``/``vendor`` name the slugs (default: from the offer's name and the host),
    ``variant`` keeps only the offer that text matches (as a listing's ``variant.text``).
    Raises PageError when the page cannot be read (refused address, robots.txt, HTTP error,
    size) and LookupError when ``variant`` matches no offer.
    """
    url = url.strip()

    def guard(address: str) -> None:
        require_public_address(address, settings)

    guard(url)
    refusal = robots_refusal(url, settings)
    if refusal:
        raise PageError(f"{url}: {refusal}")
    checked = pagecheck.check_page(url, None, ExtractHints(), settings, guard)
    result = checked.result
    if checked.follow_up_result is not None and checked.follow_up_result.offers:
        result = checked.follow_up_result
    offers = tuple(o for o in result.offers if o.price is not None)
    matched: Offer | None = offers[0] if len(offers) == 1 else None
    chosen = offers
    if variant:
        found = match_offer(offers, VariantSpec(text=variant))
        if found.offer is None:
            raise LookupError(f"{url}: {found.error}")
        matched, chosen = found.offer, (found.offer,)
    notes: list[str] = []
    selectors = _selectors(checked.body, result, notes)
    entry = _entry(
        checked.url, result, offers, chosen, product, product_name, vendor, vendor_name, selectors
    )
    text = entry_yaml(entry, _summary(checked.url, result, offers), notes)
    parse_catalog(text, "catalog entry")  # the entry is a valid catalog on its own
    return Preview(checked.url, result, offers, matched, entry, text, tuple(notes))


def _entry(
    url: str,
    result: ExtractResult,
    offers: tuple[Offer, ...],
    chosen: tuple[Offer, ...],
    product: str | None,
    product_name: str | None,
    vendor: str | None,
    vendor_name: str | None,
    selectors: dict[str, str] | None,
) -> dict[str, Any]:
    parts = urlsplit(url)
    host = (parts.hostname or "").removeprefix("www.")
    names = [o.name for o in offers if o.name]
    name = _clip(product_name or (names[0] if names else None) or _title_of(url))
    product_slug = product or slug_of(name)
    currencies = Counter(o.currency for o in offers if o.currency)
    listings = []
    for offer in chosen or (None,):
        label = _clip((offer and (offer.variant or offer.name)) or name)
        listing: dict[str, Any] = {"product": product_slug, "label": label, "url": url}
        if offer is not None and len(offers) > 1:
            if offer.sku:
                listing["variant"] = {"sku": _clip(offer.sku)}
            elif offer.variant:
                listing["variant"] = {"text": _clip(offer.variant)}
            else:
                listing["variant"] = {"position": offers.index(offer) + 1}
        listing.update(pack_of(label))
        listings.append(listing)
    vendor_entry: dict[str, Any] = {
        "slug": vendor or slug_of(host.split(".")[0] if not _is_ip(host) else host),
        "name": _clip(vendor_name or host),
        "homepage": f"{parts.scheme}://{parts.netloc}/",
        "currency": currencies.most_common(1)[0][0] if currencies else "USD",
    }
    if selectors:
        vendor_entry["extraction"] = {"selectors": selectors}
    vendor_entry["listings"] = listings
    return {"products": [{"slug": product_slug, "name": name}], "vendors": [vendor_entry]}


def entry_yaml(entry: dict[str, Any], summary: Sequence[str], notes: Sequence[str] = ()) -> str:
    """The entry as YAML, with what the page showed as comments (one line each, no markup)."""
    data = _commented(entry)
    lines = [*summary, *(f"check: {note}" for note in notes)]
    data.yaml_set_start_comment("\n".join(_comment_text(line) for line in lines))
    out = StringIO()
    _yaml().dump(data, out)
    return out.getvalue()


def _commented(value: Any) -> Any:
    if isinstance(value, dict):
        mapping = CommentedMap()
        for key, item in value.items():
            mapping[key] = _commented(item)
        if set(value) == {"sku"} or set(value) == {"text"} or set(value) == {"position"}:
            mapping.fa.set_flow_style()
        return mapping
    if isinstance(value, list):
        return CommentedSeq(_commented(item) for item in value)
    return value


def _yaml() -> YAML:
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.preserve_quotes = True
    return yaml


def _comment_text(text: str) -> str:
    """Page text inside a YAML comment: one line, no control characters."""
    return "".join(c if c.isprintable() else " " for c in " ".join(text.split()))[:300]


def _summary(url: str, result: ExtractResult, offers: tuple[Offer, ...]) -> list[str]:
    lines = [
        f"From {url}: {result.status}" + (f" (source: {result.source})" if result.source else "")
    ]
    for index, offer in enumerate(offers, 1):
        what = offer.variant or offer.name or "-"
        sku = f", sku {offer.sku}" if offer.sku else ""
        lines.append(
            f"- {index}. {what}: {offer.price} {offer.currency or '?'}, "
            f"{AVAILABILITY_TEXT.get(offer.availability, offer.availability)}{sku}"
        )
    if not offers:
        lines.append(f"  no price found: {result.error or 'nothing readable'}")
    return lines


def _selectors(body: bytes, result: ExtractResult, notes: list[str]) -> dict[str, str] | None:
    """The selectors a page without structured data needs (read from the visible page)."""
    if result.status is CheckStatus.OK and result.source != "heuristic":
        return None
    priced = [o for o in result.offers if o.price is not None and o.raw_price]
    if result.status is not CheckStatus.OK or not priced:
        notes.append(
            "the page gave no price the tracker can read: add extraction.selectors.price "
            "(a CSS selector of the price element) and check it with tracker extract --vendor"
        )
        return None
    found = suggest_selector(body, priced[0].raw_price or "")
    if found is None:
        notes.append(
            "the price was read from the visible page (heuristic): name its element in "
            "extraction.selectors.price to be exact"
        )
        return None
    notes.append(f"the price was read from the visible page: the selector {found!r} names it")
    return {"price": found}


def suggest_selector(body: bytes, raw_price: str) -> str | None:
    """A CSS selector that picks the one element whose own text holds ``raw_price``."""
    from parsel import Selector  # parsel comes with Scrapy

    raw = raw_price.strip()
    if not raw or not body:
        return None
    page = Selector(text=body.decode("utf-8", "replace"))
    exact = page.xpath("//body//*[normalize-space(text()) = $raw]", raw=raw)
    within = page.xpath("//body//*[contains(text(), $raw)]", raw=raw)
    for element in [*exact, *reversed(within)]:
        own = _css_of(element)
        if own and len(page.css(own)) == 1:
            return own
        parents = element.xpath("..")
        parent = _css_of(parents[0]) if parents else None
        if own and parent and len(page.css(f"{parent} {own}")) == 1:
            return f"{parent} {own}"
    return None


def _css_of(element: Any) -> str | None:
    tag = getattr(element.root, "tag", None)
    if not isinstance(tag, str) or not _CSS_NAME.match(tag):
        return None
    ident = element.attrib.get("id", "")
    if _CSS_NAME.match(ident):
        return f"#{ident}"
    classes = [c for c in element.attrib.get("class", "").split() if _CSS_NAME.match(c)]
    return tag + "".join(f".{c}" for c in classes)


def pack_of(label: str) -> dict[str, Any]:
    """Quantity, unit and strength read from a pack label ("10 vials x 10 mg")."""
    match = _PACK_THEN_AMOUNT.search(label)
    if match:
        count, unit, amount, amount_unit = match.groups()
    else:
        match = _AMOUNT_THEN_PACK.search(label)
        if match:
            amount, amount_unit, count, unit = match.groups()
        else:
            match = _PACK_ONLY.search(label)
            if not match:
                return {}
            (count, unit), amount = match.groups(), None
    pack: dict[str, Any] = {"quantity": int(count), "unit": pack_unit(unit)}
    if amount is not None:
        kept = next(u for u in AMOUNT_UNITS if u.casefold() == amount_unit.casefold())
        pack["strength"] = f"{amount.replace(',', '.')} {kept}"
    return pack


def slug_of(text: str) -> str:
    """A catalog slug from a name or a host."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")[:63].strip("-")
    return slug or "item"


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _title_of(url: str) -> str:
    last = urlsplit(url).path.rstrip("/").rsplit("/", 1)[-1]
    words = re.sub(r"\.[a-z]+$", "", last).replace("-", " ").replace("_", " ").strip()
    return words.capitalize() or "Product"


def _clip(text: str | None) -> str:
    return " ".join((text or "").split())[:TEXT_LENGTH]


# --- a new site folder ------------------------------------------------------------------------

_SCAFFOLD = (
    "tracker.toml",
    "catalog.yaml",
    "content/example-review.html",
)


@dataclass
class SiteInit:
    """What ``init_site`` did: the files written and kept, and the database it made ready."""

    folder: Path
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    database: str = ""  # the database's URL without its password


def init_site(folder: Path) -> SiteInit:
    """Scaffold a site in ``folder`` (made if missing); an existing file is never overwritten.

    Writes a commented ``tracker.toml``, a catalog with one example product and vendor, and
    an article with a buy-box marker; then creates (or migrates) the database that folder's
    configuration names.
    """
    folder = folder.resolve()
    if folder.exists() and not folder.is_dir():
        raise FileExistsError(f"{folder}: exists and is not a folder")
    report = SiteInit(folder)
    source = resources.files("tracker") / "scaffold"
    for name in _SCAFFOLD:
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        data = (source / name).read_bytes()
        try:
            with target.open("xb") as handle:  # never replaces: fails if the file exists
                handle.write(data)
        except FileExistsError:
            report.kept.append(target)
        else:
            report.written.append(target)
    settings = load_settings(folder / "tracker.toml")
    try:
        open_settings_store(settings).close()
    except (OperationalError, InterfaceError, InternalError) as exc:
        raise StoreUnavailable(failure_text(settings.database_url, exc)) from exc
    report.database = database_name(settings.database_url)
    return report
