"""Store pipeline: checks are written in batches; each vendor's run records counts and outcome.

A crawl of several vendors in one process keeps one run per vendor, so that each vendor's
last run (`tracker status`, the scheduler's catch-up) says what happened to that vendor.
The pipeline owns its store, from the spider's opening to its close.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from tracker.crawling.context import CrawlContext
from tracker.domain import Check, RunStatus
from tracker.rules import run_outcome
from tracker.store import repo
from tracker.store.engine import Store, open_store

log = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.store: Store | None = None
        self.buffer: list[Check] = []
        self.pages_seen: defaultdict[str, set[str]] = defaultdict(set)
        self.runs: dict[str, int] = {}  # vendor slug -> its run
        self.vendor_of: dict[int, str] = {}  # listing id -> vendor slug
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

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

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Check):
            self.buffer.append(item)
            if len(self.buffer) >= self.context.job.crawl.batch_size:
                self.flush()
        return item

    def flush(self) -> None:
        """Write the buffered checks and add them to their vendors' runs, in one transaction."""
        if not self.buffer or not self.runs or self.store is None:
            return
        batch, self.buffer = self.buffer, []
        by_vendor: defaultdict[str, list[Check]] = defaultdict(list)
        for check in batch:
            by_vendor[self.vendor_of[check.listing_id]].append(check)
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
        if self.store is None:
            return
        self.flush()
        error = None if reason == "finished" else f"crawl ended: {reason}"
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
                repo.finish_run(session, run_id, datetime.now(UTC), status, error)
                log.info("crawl run %s (%s) finished: %s", run_id, slug, status)
        self.store.close()
        self.store = None


__all__ = ["StorePipeline", "RunStatus"]
