"""The dashboard's "Add a listing" page: a product URL in, a catalog entry out, then synced.

The page is read by `onboarding.preview_url` (the crawler's rules: robots.txt, public addresses
only unless `crawl.allow_private_addresses`, the size limit); the entry is appended by
`catalogfile.append_entry` (comments and order kept) and synced by the service `tracker catalog
sync` uses. An error is shown on the page and leaves the catalog file as it was.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from tracker import catalogfile, onboarding, services
from tracker.catalog import CatalogError
from tracker.crawling.pagecheck import PageError
from tracker.domain import Offer, VariantSpec
from tracker.matching import match_offer
from tracker.publishing.buybox import AVAILABILITY_TEXT
from tracker.scheduling.jobstore import JobStoreError, sync_store_jobs
from tracker.store import operators
from tracker.web.admin.gate import Dashboard

MAX_URL = 2000
MAX_ENTRY = 100_000  # characters of an edited entry
NAMING = ("product", "product_name", "vendor", "vendor_name", "variant")
_WRITING = threading.Lock()  # one append and sync at a time (the file is read, then replaced)


@dataclass(frozen=True)
class ListingMatch:
    """One listing of the entry and the offer its variant picks on the page."""

    label: str
    variant: str  # "sku CTX-10X5", "text 10 x 5 mg", "position 2", "-"
    offer: str | None  # the offer it matches, or None
    error: str | None  # why it matches none


@dataclass
class AddPage:
    """What the page shows: the form's values, the preview and what was done."""

    form: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    notes: tuple[str, ...] = ()
    read_url: str | None = None
    offers: list[dict[str, str]] = field(default_factory=list)
    matched: str | None = None
    listings: list[ListingMatch] = field(default_factory=list)
    yaml: str | None = None
    done: list[str] = field(default_factory=list)


def _text(form: Any, name: str, limit: int = 200) -> str:
    value = form.get(name) if form is not None else None
    return value.strip()[:limit] if isinstance(value, str) else ""


def _describe(offer: Offer) -> str:
    what = offer.variant or offer.name or "-"
    sku = f" (sku {offer.sku})" if offer.sku else ""
    return f"{what}{sku}: {offer.price} {offer.currency or '?'}"


def _variant_text(variant: Any) -> str:
    if not isinstance(variant, dict) or not variant:
        return "-"
    return ", ".join(f"{key} {value}" for key, value in variant.items())


def _matches(preview: onboarding.Preview) -> list[ListingMatch]:
    """Each listing of the entry with the offer the crawl would pick for it (or why none)."""
    rows = []
    for vendor in preview.entry.get("vendors", []):
        for listing in vendor.get("listings", []):
            variant = listing.get("variant") or {}
            spec = VariantSpec(
                sku=variant.get("sku"), text=variant.get("text"), position=variant.get("position")
            )
            found = match_offer(preview.offers, spec)
            rows.append(
                ListingMatch(
                    str(listing.get("label", "")),
                    _variant_text(variant),
                    _describe(found.offer) if found.offer is not None else None,
                    found.error if found.offer is None else None,
                )
            )
    return rows


def _preview(board: Dashboard, form: dict[str, str]) -> AddPage:
    page = AddPage(form=form)
    url = form["url"]
    if not url:
        page.errors.append("url: paste the address of a product page")
        return page
    if urlsplit(url).scheme not in ("http", "https") or not urlsplit(url).hostname:
        page.errors.append(f"url {url!r}: not an http(s) address")
        return page
    naming = {name: form[name] or None for name in NAMING}
    try:
        preview = onboarding.preview_url(url, board.settings, **naming)
    except (PageError, LookupError, CatalogError) as exc:
        page.errors.append(str(exc))
        return page
    page.read_url, page.notes = preview.url, preview.notes
    page.offers = [
        {
            "what": o.variant or o.name or "-",
            "sku": o.sku or "-",
            "price": f"{o.price} {o.currency or '?'}",
            "stock": AVAILABILITY_TEXT.get(o.availability, str(o.availability)),
        }
        for o in preview.offers
    ]
    page.matched = _describe(preview.matched) if preview.matched is not None else None
    page.listings = _matches(preview)
    if not preview.offers:
        why = preview.result.error or "nothing readable"
        page.errors.append(f"{preview.url}: no priced offer found ({why}); nothing to add")
        return page
    page.yaml = preview.yaml
    return page


def add_form(request: Request, board: Dashboard, who: operators.LoggedIn) -> Response:
    form = {name: "" for name in ("url", *NAMING)}
    return board.page(request, "add.html", who=who, page=AddPage(form=form), catalog=_path(board))


def add_preview(request: Request, board: Dashboard, who: operators.LoggedIn) -> Response:
    """Read the page and show its offers and entry (a POST: it fetches on the operator's behalf)."""
    sent = request.state.form
    form = {"url": _text(sent, "url", MAX_URL), **{name: _text(sent, name) for name in NAMING}}
    page = _preview(board, form)
    status = 200 if not page.errors else 422
    return board.page(request, "add.html", status, who=who, page=page, catalog=_path(board))


def add_append(request: Request, board: Dashboard, who: operators.LoggedIn) -> Response:
    """Append the (possibly edited) entry to the catalog file, then sync it into the database."""
    sent = request.state.form
    form = {"url": _text(sent, "url", MAX_URL), **{name: _text(sent, name) for name in NAMING}}
    entry = sent.get("entry") if sent is not None else None
    page = AddPage(form=form, yaml=entry if isinstance(entry, str) else "")
    if not page.yaml or not page.yaml.strip():
        page.errors.append("entry: empty; preview a page first")
    elif len(page.yaml) > MAX_ENTRY:
        page.errors.append(f"entry: longer than {MAX_ENTRY} characters")
    else:
        page.done, page.errors = append_and_sync(board, page.yaml, form["url"] or "entry")
    status = 200 if not page.errors else 422
    return board.page(request, "add.html", status, who=who, page=page, catalog=_path(board))


def append_and_sync(board: Dashboard, entry: str, source: str) -> tuple[list[str], list[str]]:
    """(what was done, errors). A sync refused after the append puts the file back as it was."""
    with _WRITING:
        return _append_and_sync(board, entry, source)


def _append_and_sync(board: Dashboard, entry: str, source: str) -> tuple[list[str], list[str]]:
    path = _path(board)
    try:
        original = path.read_text(encoding="utf-8")
    except OSError as exc:
        return [], [f"{path}: cannot read the catalog file ({exc.strerror or exc})"]
    try:
        added = catalogfile.append_entry(path, entry, f"entry from {source}")
    except CatalogError as exc:
        return [], [str(exc)]
    done = [f"added {line}" for line in added.added]
    done += [f"already in the catalog: {line}" for line in added.present]
    if not added.added:
        return [*done, f"{path}: nothing to add"], []
    try:
        report = services.sync_catalog_file(board.store, path)
    except CatalogError as exc:
        catalogfile.write_atomically(path, original)
        return [], [f"{exc} (the catalog file is back as it was)"]
    except Exception:
        catalogfile.write_atomically(path, original)  # the database is unchanged: so is the file
        raise
    done.append(
        f"{path}: synced: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.deactivated)} deactivated, {report.unchanged} listings unchanged"
    )
    try:
        jobs = sync_store_jobs(board.store, board.settings)
    except JobStoreError as exc:
        return done, [f"scheduler jobs not synced: {exc}"]
    done.append(f"scheduler jobs: {len(jobs.added)} added, {len(jobs.changed)} changed")
    return done, []


def _path(board: Dashboard) -> Path:
    return board.settings.catalog
