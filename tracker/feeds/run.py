"""One feed run: fetch, read the matching rows, and record them as the crawl records pages.

Nothing of a feed is applied unless it was read to its end: the matching rows (a few per
listing, whatever the feed's size) are kept in memory, and only after the last row are they
turned into checks and written through ``repo.record_checks`` (spans, publish gate, check
state). A feed that fails, or that lost most of its rows (``rules.feed_dropped``), changes no
price; each vendor it prices gets a crawl run saying what happened, so `tracker status`
tells the operator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tracker.config import Settings
from tracker.crawljob import CrawlJob
from tracker.domain import Check, RunStatus
from tracker.feedconfig import FeedConfigError, FeedEntry, normalize_key
from tracker.feeds.fetch import Fetched, FetchError, Known, fetch_feed
from tracker.feeds.formats import feed_format
from tracker.feeds.items import deep_link, feed_check
from tracker.feeds.reader import FeedError, FeedItem, ReadReport, Wanted, open_feed, read_items
from tracker.rules import feed_drop_reason, feed_dropped, run_outcome
from tracker.store import feeds as feed_store
from tracker.store import repo
from tracker.store.engine import Store
from tracker.store.feeds import FeedTarget

MAX_CANDIDATES = 50  # rows kept per listing (an item group's sizes); more are counted only


@dataclass
class FeedRunReport:
    """What one feed run did, for the operator."""

    feed: str
    status: str  # applied, unchanged, held, failed
    rows: int = 0
    matched: int = 0
    listings: int = 0
    offers: int = 0
    failures: int = 0
    feed_date: datetime | None = None
    problems: list[str] = field(default_factory=list)  # what was skipped, and why
    error: str | None = None
    run_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.status in ("applied", "unchanged")


def run_feed(
    settings: Settings,
    store: Store,
    feed: FeedEntry,
    *,
    base_dir: Path,
    env: Mapping[str, str],
    now: datetime,
    trigger: str = "manual",
    accept_drop: bool = False,
) -> FeedRunReport:
    """Fetch and apply one feed; never raises for bad input (the report says what failed)."""
    with store.sessions.begin() as session:
        state = feed_store.feed_state(session, feed.name)
        known = (
            Known(state.etag, state.last_modified, state.digest)
            if state is not None and state.status in ("applied", "unchanged")
            else Known()
        )
        good_rows = state.good_rows if state is not None else None
        targets = feed_store.feed_targets(session, feed.vendors)
    report = FeedRunReport(feed.name, "failed", listings=len(targets))
    try:
        fetched = fetch_feed(
            feed,
            known,
            base_dir=base_dir,
            work_dir=settings.var_dir / "feeds",
            crawl=settings.crawl,
            env=env,
            now=now,
        )
    except (FetchError, FeedConfigError) as exc:
        return _failed(store, feed, report, str(exc), now, trigger)
    report.feed_date = fetched.feed_date
    if fetched.unchanged or fetched.path is None:
        report.status = "unchanged"
        with store.sessions.begin() as session:
            feed_store.save_feed_state(
                session, feed.name, status="unchanged", fetched_at=now, error=None
            )
        return report
    try:
        found, read = _read(fetched, feed, targets)
    except FeedError as exc:
        return _failed(store, feed, report, f"feed {feed.name}: {exc}", now, trigger)
    finally:
        if fetched.temporary:
            fetched.path.unlink(missing_ok=True)
    report.rows, report.matched = read.rows, read.matched
    if read.skipped:
        report.problems.append(read.skipped_text())
    if feed_dropped(read.rows, good_rows, feed.max_drop_share) and not accept_drop:
        assert good_rows is not None
        report.error = feed_drop_reason(read.rows, good_rows)
        return _failed(store, feed, report, report.error, now, trigger, status="held")
    _apply(store, feed, fetched, targets, found, report, now, trigger, settings)
    return report


def _read(
    fetched: Fetched, feed: FeedEntry, targets: list[FeedTarget]
) -> tuple[dict[int, list[FeedItem]], ReadReport]:
    """Stream the file; keep the rows each listing wants."""
    assert fetched.path is not None
    wanted: Wanted = {}
    by_key: dict[tuple[str, str], list[FeedTarget]] = {}
    for target in targets:
        wanted.setdefault(target.key, set()).add(target.value)
        by_key.setdefault((target.key, target.value), []).append(target)
    found: dict[int, list[FeedItem]] = {t.listing_id: [] for t in targets}
    read = ReadReport()
    fmt = feed_format(feed)
    with open_feed(fetched.path) as stream:
        for item in read_items(stream, fmt, wanted, feed.encoding, read):
            for kind in wanted:
                value = item.fields.get(kind)
                if not value:
                    continue
                for target in by_key.get((kind, normalize_key(kind, value)), ()):
                    kept = found[target.listing_id]
                    if len(kept) < MAX_CANDIDATES:
                        kept.append(item)
    return found, read


def _apply(
    store: Store,
    feed: FeedEntry,
    fetched: Fetched,
    targets: list[FeedTarget],
    found: dict[int, list[FeedItem]],
    report: FeedRunReport,
    now: datetime,
    trigger: str,
    settings: Settings,
) -> None:
    source = f"feed:{feed.name}"
    label = f"feed {feed.name}"
    bad: list[str] = []
    checks: dict[str, list[Check]] = {slug: [] for slug in feed.vendors}
    links: dict[int, str] = {}
    for target in targets:
        check = feed_check(
            target,
            found[target.listing_id],
            source=source,
            feed_label=label,
            feed_date=fetched.feed_date,
            digest=fetched.digest or fetched.etag,
            bad=bad,
        )
        checks[target.vendor_slug].append(check)
        link = deep_link(target, check.offer)
        if link:
            links[target.listing_id] = link
    if bad:
        report.problems.append(f"{len(bad)} matching rows skipped: " + "; ".join(bad[:5]))
    gate = CrawlJob.of(settings).gate()  # the same publish gate as the crawl's readings
    problems = "; ".join(report.problems) or None
    with store.sessions.begin() as session:
        for vendor, vendor_checks in checks.items():
            run = repo.start_run(
                session,
                vendor_slug=vendor,
                now=now,
                runner="feed",
                trigger=trigger,
                job_id=source,
                expected=len(vendor_checks),
            )
            counts = repo.record_checks(session, vendor_checks, gate)
            repo.add_to_run(session, run.id, counts, pages=1)
            status = run_outcome(
                checks=counts.checks,
                offers=counts.offers,
                failures=counts.failures,
                expected=len(vendor_checks),
                finish_reason="finished",
            )
            repo.finish_run(session, run.id, now, status, problems)
            report.offers += counts.offers
            report.failures += counts.failures
            report.run_ids.append(run.id)
        feed_store.set_feed_links(session, links)
        feed_store.save_feed_state(
            session,
            feed.name,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            digest=fetched.digest,
            feed_date=fetched.feed_date,
            fetched_at=now,
            rows=report.rows,
            good_rows=report.rows,
            status="applied",
            error=problems,
        )
    report.status = "applied"


def _failed(
    store: Store,
    feed: FeedEntry,
    report: FeedRunReport,
    error: str,
    now: datetime,
    trigger: str,
    *,
    status: str = "failed",
) -> FeedRunReport:
    """Record a feed that changed nothing: a failed run per vendor, the reason on the feed."""
    report.status = status
    report.error = error
    text = "; ".join([error, *report.problems])[:2000]
    with store.sessions.begin() as session:
        for vendor in feed.vendors:
            run = repo.start_run(
                session,
                vendor_slug=vendor,
                now=now,
                runner="feed",
                trigger=trigger,
                job_id=f"feed:{feed.name}",
            )
            repo.finish_run(session, run.id, now, RunStatus.FAILED, text)
            report.run_ids.append(run.id)
        feed_store.save_feed_state(
            session,
            feed.name,
            fetched_at=now,
            rows=report.rows or None,
            status=status,
            error=text,
        )
    return report
