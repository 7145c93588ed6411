"""Store pipeline: checks are written in batches; each vendor's run records counts and outcome.

A crawl of several vendors in one process keeps one run per vendor, so that each vendor's
last run (`tracker status`, the scheduler's catch-up) says what happened to that vendor.
The pipeline owns its store, from the spider's opening to its close.

Checks are written every ``crawl.batch_size`` checks and at least every
``crawl.flush_seconds``: a crawl killed with ``kill -9`` loses only the last few seconds.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler
from scrapy.utils.asyncio import create_looping_call

from tracker.crawling.context import CrawlContext
from tracker.domain import Check, CheckStatus, RunStatus
from tracker.rules import run_outcome
from tracker.store import repo
from tracker.store.engine import Store, open_store

log = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.store: Store | None = None
        self.clock: Callable[[], float] = time.monotonic
        self.flushed_at = 0.0
        self.ticker: Any = None  # flushes every few seconds while the engine runs
        self.buffer: list[Check] = []
        self.pages_seen: defaultdict[str, set[str]] = defaultdict(set)
        self.runs: dict[str, int] = {}  # vendor slug -> its run
        # What failed, per vendor: the run's reason when it read nothing (never "None").
        self.failed: defaultdict[str, Counter[CheckStatus]] = defaultdict(Counter)
        self.failure_sample: defaultdict[str, dict[CheckStatus, str]] = defaultdict(dict)
        self.vendor_of: dict[int, str] = {}  # listing id -> vendor slug
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    @property
    def context(self) -> CrawlContext:
        context: CrawlContext = self.crawler.spider.tracker  # type: ignore[union-attr]
        return context

    def open_spider(self) -> None:
        """Open the store; take over the runs the runner started, start the missing ones."""
        context = self.context
        job = context.job
        self.store = open_store(job.database_url, upgrade=False)
        expected = Counter(t.vendor_slug for t in context.targets)
        self.vendor_of = {t.listing_id: t.vendor_slug for t in context.targets}
        self.flushed_at = self.clock()
        now = datetime.now(UTC)
        with self.store.sessions.begin() as session:
            for run_id in job.run_ids:
                run = session.get_one(repo.CrawlRun, run_id)
                if run.vendor is None:
                    raise ValueError(f"crawl run {run_id} names no vendor")
                self.runs[run.vendor.slug] = run_id
            for slug in sorted(expected.keys() - self.runs.keys()):
                run = repo.start_run(
                    session,
                    vendor_slug=slug,
                    now=now,
                    runner=job.runner,
                    trigger=job.trigger,
                    job_id=job.job_id,
                )
                self.runs[slug] = run.id
            for slug, run_id in self.runs.items():
                session.get_one(repo.CrawlRun, run_id).expected = expected[slug]
        for slug, run_id in sorted(self.runs.items()):
            log.info("crawl run %s: %s, %d listings to check", run_id, slug, expected[slug])

    def engine_started(self) -> None:
        """Write what came in every few seconds, even while no check arrives."""
        self.ticker = create_looping_call(self.flush)
        self.ticker.start(self.context.job.crawl.flush_seconds, now=False)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Check):
            self.buffer.append(item)
            if len(self.buffer) >= self.context.job.crawl.batch_size:
                self.flush()
            else:
                self.flush_due()
        return item

    def flush_due(self) -> None:
        """Flush when the oldest write is ``crawl.flush_seconds`` old."""
        if self.clock() - self.flushed_at >= self.context.job.crawl.flush_seconds:
            self.flush()

    def flush(self) -> None:
        """Write the buffered checks and add them to their vendors' runs, in one transaction."""
        self.flushed_at = self.clock()
        if not self.buffer or not self.runs or self.store is None:
            return
        batch, self.buffer = self.buffer, []
        by_vendor: defaultdict[str, list[Check]] = defaultdict(list)
        for check in batch:
            slug = self.vendor_of[check.listing_id]
            by_vendor[slug].append(check)
            if not check.status.is_success and check.offer is None:
                self.failed[slug][check.status] += 1
                self.failure_sample[slug].setdefault(check.status, check.error or "")
        gate = self.context.job.gate()
        with self.store.sessions.begin() as session:
            for slug, checks in by_vendor.items():
                pages = {c.url for c in checks if c.url} - self.pages_seen[slug]
                self.pages_seen[slug] |= pages
                counts = repo.record_checks(session, checks, gate)
                repo.add_to_run(session, self.runs[slug], counts, pages=len(pages))

    def close_spider(self) -> None:
        self.flush()

    def spider_closed(self, spider: Any, reason: str) -> None:
        """Write what is left, close the runs with their outcome, close the store."""
        if self.ticker is not None and self.ticker.running:
            self.ticker.stop()
        if self.store is None:
            return
        self.flush()
        error = None if reason == "finished" else finish_reason_text(reason)
        with self.store.sessions.begin() as session:
            for slug, run_id in sorted(self.runs.items()):
                run = session.get_one(repo.CrawlRun, run_id)
                status = run_outcome(
                    checks=run.checks,
                    offers=run.offers,
                    failures=run.failures,
                    expected=run.expected,
                    finish_reason=reason,
                )
                why = error
                if why is None and status in (RunStatus.FAILED, RunStatus.PARTIAL):
                    why = failures_text(self.failed[slug], self.failure_sample[slug])
                repo.finish_run(session, run_id, datetime.now(UTC), status, why)
                log.info("crawl run %s (%s) finished: %s", run_id, slug, status)
        self.store.close()
        self.store = None


_FINISH_REASONS = {
    "shutdown": "the crawl was stopped before it finished (SIGTERM, SIGINT or a cancel)",
    "cancelled": "the crawl was cancelled before it finished",
    "closespider_timeout": "the crawl reached its time limit (crawl.time_limit_seconds) "
    "before it finished",
}


def failures_text(counts: Counter[CheckStatus], samples: dict[CheckStatus, str]) -> str | None:
    """What failed in a run, by status, with one error of each: "2 unreachable (connection
    refused), 1 not_found (HTTP 404: the page is gone)"."""
    if not counts:
        return None
    parts = []
    for status, count in counts.most_common():
        sample = samples.get(status) or status.meaning
        parts.append(f"{count} {status} ({sample[:200]})")
    return "checks failed: " + ", ".join(parts)


def finish_reason_text(reason: str) -> str:
    """Why a crawl ended early, as a sentence (Scrapy's finish reason is a short code)."""
    return _FINISH_REASONS.get(reason) or f"the crawl ended before it finished ({reason or '?'})"


__all__ = ["StorePipeline", "RunStatus", "finish_reason_text"]
