"""The services that commands share: each takes settings or a store and does one job.

This is the layer that composes the shells (the scheduler with the runners and the
re-render after a crawl); the CLI calls it, and nothing below imports it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from tracker.catalog import Catalog, check_removals, load_catalog
from tracker.config import Settings
from tracker.domain import ListingState
from tracker.publishing.render import render_articles
from tracker.scheduling.recovery import close_dead_runs
from tracker.scheduling.runners import (
    CrawlOutcome,
    LocalRunner,
    Runner,
    RunSnapshot,
    run_local_crawl,
)
from tracker.scheduling.scheduler import SchedulerContext, run_scheduler
from tracker.scheduling.scrapyd import ScrapydRunner
from tracker.scheduling.status import StatusReport, status_report
from tracker.store import provenance, repo, review
from tracker.store.engine import Store, open_existing, open_store
from tracker.store.provenance import ListingProvenance
from tracker.store.review import Reviewed

log = logging.getLogger("tracker.schedule")


def open_settings_store(settings: Settings) -> Store:
    """Open the database for a command that writes: created and migrated to the newest schema."""
    return open_store(settings.database_url)


def open_existing_store(settings: Settings) -> Store:
    """Open the database for a command that only reads it: never created nor migrated."""
    return open_existing(settings.database_url)


def sync_catalog_file(
    store: Store,
    path: Path,
    env: Mapping[str, str] | None = None,
    *,
    allow_removals: bool = False,
    catalog: Catalog | None = None,
) -> repo.SyncReport:
    """Validate the catalog file, then upsert it in one transaction (all or nothing).

    A file that would deactivate more than half of the active products or listings is refused
    (CatalogError) unless ``allow_removals``. A caller that has already read the file passes
    its ``catalog`` (the file is read once).
    """
    if catalog is None:
        catalog = load_catalog(path, env)
    with store.sessions.begin() as session:
        if not allow_removals:
            check_removals(catalog, str(path), *repo.active_catalog(session))
        return repo.sync_catalog(session, catalog)


def crawl(
    settings: Settings,
    store: Store,
    vendor: str | None = None,
    *,
    extra_env: Mapping[str, str] | None = None,
    on_progress: Callable[[CrawlOutcome], None] | None = None,
) -> CrawlOutcome:
    """Crawl one vendor, or every vendor with active listings, now (one run per vendor).

    Runs left `running` by a crawl that died with its parent are closed first.
    """
    for line in close_dead_runs(store, settings, datetime.now(UTC), ask_nodes=False):
        log.warning("%s", line)
    return run_local_crawl(settings, store, vendor, extra_env=extra_env, on_progress=on_progress)


def listing_provenance(store: Store, listing_id: int) -> ListingProvenance:
    """The listing's current price with where it came from, its check state and history."""
    with store.sessions.begin() as session:
        found = provenance.listing_provenance(session, listing_id)
    if found is None:
        raise LookupError(f"no listing with id {listing_id} (see the ids in `tracker prices`)")
    return found


def review_held(store: Store, listing_id: int, *, accept: bool, now: datetime) -> Reviewed:
    """The operator's word on a held price: publish it now, or mark it bad."""
    with store.sessions.begin() as session:
        return (review.accept if accept else review.reject)(session, listing_id, now)


def current_prices(store: Store, product: str | None = None) -> list[ListingState]:
    """The current state of every active listing (of one product, or all)."""
    with store.readers.begin() as session:
        return repo.listing_states(session, [product] if product else None)


def status_at(settings: Settings, now: datetime) -> StatusReport:
    """What ran, what runs next, and what needs the operator."""
    store = open_existing_store(settings)
    try:
        return status_report(store, settings, now)
    finally:
        store.close()


def make_runner(settings: Settings, store: Store) -> Runner:
    """The configured runner: a local child process or Scrapyd."""
    if settings.schedule.runner == "scrapyd":
        return ScrapydRunner(settings, store)
    return LocalRunner(settings, store)


class RenderAfterCrawls:
    """What the scheduler does after crawls: re-render the articles whose boxes changed.

    Once per crawl cycle: while crawls of other vendors still run, a finished crawl only
    marks that a render is due; the last one to finish renders (and a crawl that finishes
    during a render makes that render go round once more). The render skips every article
    whose products' data versions did not move (`publishing/renderstate.py`), so only the
    articles whose boxes changed are rendered.
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        running: Callable[[], set[str]] = set,
    ) -> None:
        self.settings = settings
        self.store = store
        self.running = running
        self.lock = threading.Lock()
        self.due: set[str] = set()
        # Vendors whose crawl has finished but may still count as running in the scheduler
        # (it calls this hook before it forgets them): two crawls that end together must not
        # each wait for the other.
        self.finished: set[str] = set()
        self.rendering = False
        self.renders = 0  # how many renders ran (a test and the log read it)

    def __call__(self, vendor: str, snapshot: RunSnapshot) -> None:
        with self.lock:
            self.finished.add(vendor)
            if snapshot.offers:
                self.due.add(vendor)
            if not self.due or self.rendering or self.running() - self.finished:
                return
            self.rendering = True
            self.finished = set()
        try:
            while True:
                with self.lock:
                    vendors, self.due = sorted(self.due), set()
                    if not vendors:
                        return
                self._render(vendors)
        finally:
            with self.lock:
                self.rendering = False

    def _render(self, vendors: list[str]) -> None:
        report = render_articles(self.settings, self.store)
        self.renders += 1
        rendered = [r for r in report.results if not r.skipped]
        written = [str(r.target) for r in rendered if r.changed]
        log.info(
            "after the crawls of %s: %d articles rendered, %d written%s, %d unchanged (skipped)",
            ", ".join(vendors),
            len(rendered),
            len(written),
            f" ({', '.join(written)})" if written else "",
            len(report.results) - len(rendered),
        )
        for error in report.errors:
            log.error("render: %s", error)


def start_scheduler(settings: Settings) -> None:
    """Sync the catalog, then run the scheduler until SIGINT or SIGTERM."""
    store = open_settings_store(settings)
    try:
        if settings.catalog.is_file():
            report = sync_catalog_file(store, settings.catalog)
            log.info(
                "catalog %s: %d added, %d updated, %d deactivated",
                settings.catalog,
                len(report.added),
                len(report.updated),
                len(report.deactivated),
            )
        context = SchedulerContext(settings, store, make_runner(settings, store))
        if settings.schedule.render_after_crawl:
            context.after_crawl = RenderAfterCrawls(settings, store, context.running_now)
        run_scheduler(context)
    finally:
        store.close()
