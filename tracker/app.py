"""Plain functions behind the commands: each takes settings and does one job."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from tracker.catalog import load_catalog
from tracker.config import Settings
from tracker.domain import ListingState
from tracker.locking import exclusive_lock
from tracker.publish import ArticleError, Publisher, RenderResult, article_files, has_markers
from tracker.runners import CrawlOutcome, run_local_crawl
from tracker.store import provenance, repo
from tracker.store.engine import Store, open_store
from tracker.store.provenance import ListingProvenance

RENDER_LOCK_TIMEOUT = 300.0


def open_settings_store(settings: Settings) -> Store:
    """Open the database, migrated to the newest schema."""
    return open_store(settings.database_url)


def sync_catalog_file(
    store: Store, path: Path, env: Mapping[str, str] | None = None
) -> repo.SyncReport:
    """Validate the catalog file, then upsert it in one transaction (all or nothing)."""
    catalog = load_catalog(path, env)
    with store.sessions.begin() as session:
        return repo.sync_catalog(session, catalog)


def crawl(
    settings: Settings,
    store: Store,
    vendor: str | None = None,
    *,
    extra_env: Mapping[str, str] | None = None,
    on_progress: Callable[[CrawlOutcome], None] | None = None,
) -> CrawlOutcome:
    """Crawl one vendor, or every vendor with active listings, now (one run per vendor)."""
    return run_local_crawl(settings, store, vendor, extra_env=extra_env, on_progress=on_progress)


@dataclass
class RenderReport:
    results: list[RenderResult]
    errors: list[str]


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
    lock_timeout: float = RENDER_LOCK_TIMEOUT,
) -> RenderReport:
    """Render the given articles (default: the content folder's files with markers).

    One bad article is reported and the others still render. ``write=False`` only reports
    which articles would change (``--check``). A lock file in var_dir keeps two renders from
    interleaving; LockBusy when another one holds it longer than ``lock_timeout`` seconds.
    """
    content_dir = settings.content_dir
    if articles:
        sources = list(articles)
    else:
        sources = [p for p in article_files(content_dir) if has_markers(p)]
    target_dir = out_dir or settings.out_dir
    report = RenderReport([], [])
    lock = settings.var_dir / "render.lock"
    with exclusive_lock(lock, lock_timeout), store.readers.begin() as session:
        publisher = Publisher(settings, session, now or datetime.now(UTC))
        for source in sources:
            target = source if in_place else target_dir / _relative_name(source, content_dir)
            try:
                report.results.append(publisher.render_file(source, target, write=write, diff=diff))
            except ArticleError as exc:
                report.errors.append(str(exc))
    return report


def _relative_name(source: Path, content_dir: Path) -> Path:
    try:
        return source.resolve().relative_to(content_dir.resolve())
    except ValueError:
        return Path(source.name)


def listing_provenance(store: Store, listing_id: int) -> ListingProvenance:
    """The listing's current price with where it came from, its check state and history."""
    with store.sessions.begin() as session:
        found = provenance.listing_provenance(session, listing_id)
    if found is None:
        raise LookupError(f"no listing with id {listing_id} (see the ids in `tracker prices`)")
    return found


def current_prices(store: Store, product: str | None = None) -> list[ListingState]:
    with store.readers.begin() as session:
        return repo.listing_states(session, [product] if product else None)
