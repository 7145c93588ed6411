"""The services that commands share: each takes settings or a store and does one job.

This is the layer that composes the shells (the scheduler with the runners and the
re-render after a crawl); the CLI calls it, and nothing below imports it.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from tracker.catalog import Catalog, check_removals, load_catalog
from tracker.config import Settings
from tracker.domain import ListingState
from tracker.feeds.run import FeedRunReport, run_feed
from tracker.linking.run import LinkChecksEvery, LinkReport
from tracker.linking.run import check_links as run_link_checks
from tracker.notifying import views
from tracker.notifying.service import AlertPass, alert_pass
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
from tracker.store import links, provenance, repo, review
from tracker.store.engine import Store, open_existing, open_store
from tracker.store.models import AlertMessage, LinkCheck
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
    outcome = run_local_crawl(settings, store, vendor, extra_env=extra_env, on_progress=on_progress)
    alert_pass(store, settings, datetime.now(UTC))  # never raises: a channel cannot break it
    return outcome


def run_alerts_now(settings: Settings, now: datetime) -> AlertPass:
    """Evaluate the alert rules now and send what is due (pending retries included)."""
    store = open_settings_store(settings)
    try:
        return alert_pass(store, settings, now)
    finally:
        store.close()


def test_alert_channels(
    settings: Settings, channel: str | None, now: datetime
) -> list[views.TestResult]:
    """Send a test message to one alert channel, or to each."""
    store = open_settings_store(settings)
    try:
        return views.send_test(store, settings.alerts, channel, now)
    finally:
        store.close()


def alert_overview(settings: Settings) -> views.Overview:
    """The channels, the rules and each rule's state."""
    store = open_existing_store(settings)
    try:
        return views.overview(store, settings.alerts)
    finally:
        store.close()


def check_links(settings: Settings, vendor: str | None, now: Callable[[], datetime]) -> LinkReport:
    """Check the affiliate links now (one vendor's or all), then send the alerts that fired."""
    store = open_settings_store(settings)
    try:
        report = run_link_checks(store, settings, now, vendor)
        alert_pass(store, settings, now())
        return report
    finally:
        store.close()


def link_results(settings: Settings) -> list[tuple[str, str, LinkCheck]]:
    """Each active listing's last affiliate link check."""
    store = open_existing_store(settings)
    try:
        with store.sessions() as session:
            rows = links.results(session)
            session.expunge_all()
            return rows
    finally:
        store.close()


def alert_log(settings: Settings, limit: int) -> tuple[list[AlertMessage], dict[str, str]]:
    """The newest alert messages with their status and reason."""
    store = open_existing_store(settings)
    try:
        return views.log_rows(store, limit)
    finally:
        store.close()


def run_feeds(
    settings: Settings,
    store: Store,
    name: str | None = None,
    *,
    now: datetime,
    env: Mapping[str, str] | None = None,
    accept_drop: bool = False,
    trigger: str = "manual",
) -> list[FeedRunReport]:
    """Fetch and apply one feed of the catalog (by name), or all of them.

    The catalog file says where each feed is and how to read it; its listings come from the
    synced database (run `tracker catalog sync` after changing them).
    """
    catalog = load_catalog(settings.catalog, env)
    feeds = [f for f in catalog.feeds if name is None or f.name == name]
    if name is not None and not feeds:
        known = ", ".join(f.name for f in catalog.feeds) or "none"
        raise LookupError(f"no feed {name!r} in {settings.catalog} (feeds: {known})")
    reports = [
        run_feed(
            settings,
            store,
            feed,
            base_dir=settings.catalog.parent,
            env=os.environ if env is None else env,
            now=now,
            trigger=trigger,
            accept_drop=accept_drop,
        )
        for feed in feeds
    ]
    alert_pass(store, settings, now)  # a held feed tells the operator (never raises)
    return reports


def price_amazon(
    settings: Settings,
    store: Store,
    vendor: str | None = None,
    *,
    now: datetime,
    env: Mapping[str, str] | None = None,
) -> list[FeedRunReport]:
    """Ask Amazon's Creators API for the listings of one `amazon-api` vendor, or of all."""
    from tracker.feeds.amazon import run_amazon  # the API's client takes seconds to load

    catalog = load_catalog(settings.catalog, env)
    vendors = [v.slug for v in catalog.vendors if v.kind == "amazon-api"]
    if vendor is not None:
        if vendor not in vendors:
            raise LookupError(f"no vendor {vendor!r} of kind amazon-api in {settings.catalog}")
        vendors = [vendor]
    reports = [
        run_amazon(settings, store, slug, env=os.environ if env is None else env, now=now)
        for slug in vendors
    ]
    alert_pass(store, settings, now)  # a refusal tells the operator (never raises)
    return reports


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
    """The configured runner (a local child process or Scrapyd), behind the feeds: a vendor
    that a feed prices runs its feed at its scheduled time."""
    inner: Runner = (
        ScrapydRunner(settings, store)
        if settings.schedule.runner == "scrapyd"
        else LocalRunner(settings, store)
    )
    return FeedRunner(settings, store, inner)


class FeedRunner:
    """Run a fed vendor's feed (and crawl its other listings, if it has any)."""

    def __init__(self, settings: Settings, store: Store, inner: Runner) -> None:
        self.settings, self.store, self.inner = settings, store, inner
        self.name = inner.name

    def crawl(self, vendor: str, *, trigger: str, stop: threading.Event) -> RunSnapshot | None:
        catalog = load_catalog(self.settings.catalog) if self.settings.catalog.is_file() else None
        feed = catalog.feed_of(vendor) if catalog is not None else None
        entry = next((v for v in catalog.vendors if v.slug == vendor), None) if catalog else None
        if entry is not None and entry.kind == "amazon-api":
            from tracker.feeds.amazon import run_amazon  # the API's client takes seconds to load

            report = run_amazon(
                self.settings,
                self.store,
                vendor,
                env=os.environ,
                now=datetime.now(UTC),
                trigger=trigger,
            )
            log.info("vendor %s: amazon-api %s", vendor, report.error or report.status)
            with self.store.sessions.begin() as session:
                runs = repo.runs_by_id(session, report.run_ids)
                return RunSnapshot.of(runs[-1]) if runs else None
        if feed is None:
            return self.inner.crawl(vendor, trigger=trigger, stop=stop)
        report = run_feed(
            self.settings,
            self.store,
            feed,
            base_dir=self.settings.catalog.parent,
            env=os.environ,
            now=datetime.now(UTC),
            trigger=trigger,
        )
        log.info("vendor %s: feed %s %s", vendor, feed.name, report.error or report.status)
        with self.store.sessions.begin() as session:
            crawled = vendor in repo.vendors_to_crawl(session)
            runs = [r for r in repo.runs_by_id(session, report.run_ids) if r.vendor_id]
            mine = [RunSnapshot.of(r) for r in runs if r.vendor and r.vendor.slug == vendor]
        if crawled:
            return self.inner.crawl(vendor, trigger=trigger, stop=stop)
        return mine[-1] if mine else None


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


def after_crawls(
    settings: Settings, store: Store, running: Callable[[], set[str]]
) -> Callable[[str, RunSnapshot], None]:
    """What the scheduler does after a vendor's crawl: the articles whose boxes changed are
    re-rendered once per crawl cycle (when `schedule.render_after_crawl`), then the alerts
    are evaluated and what is due is sent."""
    renders = (
        RenderAfterCrawls(settings, store, running)
        if settings.schedule.render_after_crawl
        else None
    )

    def after(vendor: str, snapshot: RunSnapshot) -> None:
        if renders is not None:
            renders(vendor, snapshot)
        alert_pass(store, settings, datetime.now(UTC))

    return after


def alerts_every(settings: Settings, store: Store) -> Callable[[datetime], None]:
    """At the scheduler's wake-ups, an alert pass every ``alerts.every``: the time-based rules
    (a listing gone stale) and the retries of pending messages."""
    last: list[datetime] = []

    def beat(now: datetime) -> None:
        if last and (now - last[0]).total_seconds() < settings.alerts.every_seconds:
            return
        last[:] = [now]
        alert_pass(store, settings, now)

    return beat


def at_wake_up(settings: Settings, store: Store) -> Callable[[datetime], None]:
    """The scheduler's wake-ups: the alerts' pass when due, the link checks when due."""
    alerts = alerts_every(settings, store)
    links_due = LinkChecksEvery(store, settings, lambda now: alert_pass(store, settings, now))

    def beat(now: datetime) -> None:
        alerts(now)
        links_due(now)

    return beat


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
        context = SchedulerContext(
            settings, store, make_runner(settings, store), on_beat=at_wake_up(settings, store)
        )
        context.after_crawl = after_crawls(settings, store, context.running_now)
        run_scheduler(context)
    finally:
        store.close()
