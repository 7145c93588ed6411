"""Render articles: every article with markers, or only those that show a vendor's products."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from tracker.articles import MarkerError, find_blocks
from tracker.config import Settings
from tracker.publishing.audit import compliance_context
from tracker.publishing.buybox import STYLESHEET
from tracker.publishing.locking import exclusive_lock
from tracker.publishing.publisher import (
    UNSUPPORTED_SUFFIXES,
    ArticleError,
    Publisher,
    RenderResult,
    article_files,
    atomic_write,
    has_markers,
    read_article,
    unsupported_note,
)
from tracker.publishing.renderstate import RenderState
from tracker.store import repo, versions
from tracker.store.engine import Store

RENDER_LOCK_TIMEOUT = 300.0


@dataclass
class RenderReport:
    results: list[RenderResult]
    errors: list[str]
    # Articles with markers of a kind the renderer cannot fill, each with what to do instead.
    skipped: list[str] = field(default_factory=list)
    stylesheet: RenderResult | None = None  # tracker-buy.css beside the rendered articles


def render_articles(
    settings: Settings,
    store: Store,
    articles: list[Path] | None = None,
    *,
    out_dir: Path | None = None,
    in_place: bool = False,
    now: datetime | None = None,
    write: bool = True,
    diff: bool = False,
    force: bool = False,
    compliance: bool = False,
    lock_timeout: float = RENDER_LOCK_TIMEOUT,
) -> RenderReport:
    """Render the given articles (default: the content folder's files with markers).

    One bad article is reported and the others still render. ``write=False`` only reports
    which articles would change (``--check``); ``compliance`` also checks each rendered page
    against tracker/compliance.py (findings in each result). A lock file in var_dir keeps two
    renders from interleaving; LockBusy when another one holds it longer than ``lock_timeout``
    seconds.

    An article whose boxes' data did not change since it was last written (the data
    versions of its products, its files and the clock's effect, in var_dir's render state) is
    skipped, unless ``force``; ``--check`` and ``--diff`` always render.
    """
    content_dir = settings.content_dir
    report = RenderReport([], [])
    if articles:
        sources = []
        for path in articles:
            note = unsupported_note(path)
            if note:
                report.errors.append(note)
            else:
                sources.append(path)
    else:
        sources = [p for p in article_files(content_dir) if has_markers(p)]
        report.skipped = [
            note
            for p in article_files(content_dir, set(UNSUPPORTED_SUFFIXES))
            if has_markers(p) and (note := unsupported_note(p))
        ]
    target_dir = out_dir or settings.out_dir
    lock = settings.var_dir / "render.lock"
    moment = now or datetime.now(UTC)
    remembering = write and not diff
    with exclusive_lock(lock, lock_timeout), store.readers.begin() as session:
        state = RenderState.load(settings)
        publisher = Publisher(settings, session, moment)
        audit = compliance_context(settings, session) if compliance else None
        targets = {
            source: source if in_place else target_dir / _relative_name(source, content_dir)
            for source in sources
        }
        known = _unchanged(state, targets, session, moment) if remembering and not force else {}
        for source, target in targets.items():
            if source in known:
                report.results.append(known[source])
                continue
            try:
                result = publisher.render_file(source, target, write=write, diff=diff, audit=audit)
            except ArticleError as exc:
                report.errors.append(str(exc))
                state.forget(source)
                continue
            report.results.append(result)
            if remembering:
                state.remember(source, target, result.boxes, result.versions, result.until)
        if remembering:
            state.save()
        if report.results:
            folder = content_dir if in_place else target_dir
            report.stylesheet = write_stylesheet(publisher, folder / STYLESHEET, write=write)
    return report


def write_stylesheet(publisher: Publisher, target: Path, *, write: bool) -> RenderResult:
    """tracker-buy.css, the one stylesheet of every box, beside the rendered articles."""
    data = publisher.renderer.stylesheet().encode("utf-8")
    changed = not target.exists() or target.read_bytes() != data
    if changed and write:
        atomic_write(target, data)
    return RenderResult(source=target, target=target, boxes=0, changed=changed)


def _unchanged(
    state: RenderState, targets: dict[Path, Path], session: Session, now: datetime
) -> dict[Path, RenderResult]:
    """The articles whose last render still stands (one query for all their products)."""
    entries = {source: state.entry(source) for source in targets}
    slugs = {slug for e in entries.values() if e is not None for slug in e.versions}
    current = versions.of_products(session, slugs)
    out = {}
    for source, entry in entries.items():
        if entry is None:
            continue
        mine = {slug: current.get(slug, -1) for slug in entry.versions}
        if entry.still_valid(source, targets[source], mine, now):
            out[source] = RenderResult(
                source=source,
                target=targets[source],
                boxes=entry.boxes,
                changed=False,
                versions=mine,
                skipped=True,
            )
    return out


def _relative_name(source: Path, content_dir: Path) -> Path:
    try:
        return source.resolve().relative_to(content_dir.resolve())
    except ValueError:
        return Path(source.name)


def articles_showing(content_dir: Path, products: set[str]) -> tuple[list[Path], list[str]]:
    """The content files with a marker naming one of the products, and the unreadable ones."""
    found, errors = [], []
    for path in article_files(content_dir):
        if not has_markers(path):
            continue
        try:
            blocks = find_blocks(read_article(path), str(path))
        except (ArticleError, MarkerError) as exc:
            errors.append(str(exc))
            continue
        if any(slug in products for block in blocks for slug in block.products):
            found.append(path)
    return found, errors


def render_vendor_articles(settings: Settings, store: Store, vendor: str) -> RenderReport:
    """Render the articles that show the vendor's products; unchanged output is not written."""
    with store.sessions() as session:
        products = repo.product_slugs_of_vendor(session, vendor)
    articles, errors = articles_showing(settings.content_dir, products)
    if not articles:
        return RenderReport([], errors)
    report = render_articles(settings, store, articles)
    report.errors[:0] = errors
    return report
