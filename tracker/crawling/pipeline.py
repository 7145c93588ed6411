"""Store pipeline: checks are written in batches; the crawl run records counts and outcome."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from scrapy import signals
from scrapy.crawler import Crawler

from tracker.crawling.context import CrawlContext
from tracker.domain import Check, RunStatus
from tracker.store import repo

log = logging.getLogger(__name__)


class StorePipeline:
    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.buffer: list[Check] = []
        self.pages_seen: set[str] = set()
        self.run_id: int | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> StorePipeline:
        return cls(crawler)

    @property
    def context(self) -> CrawlContext:
        context: CrawlContext = self.crawler.spider.tracker  # type: ignore[union-attr]
        return context

    def open_spider(self) -> None:
        spider: Any = self.crawler.spider
        context = self.context
        with context.store.sessions.begin() as session:
            if spider.run_id is not None:
                self.run_id = int(spider.run_id)
                run = session.get_one(repo.CrawlRun, self.run_id)
                run.expected = len(context.targets)
            else:
                run = repo.start_run(
                    session,
                    vendor_slug=context.vendor,
                    now=datetime.now(UTC),
                    runner=spider.runner,
                    trigger=spider.trigger,
                    job_id=spider.job_id,
                    expected=len(context.targets),
                )
                self.run_id = run.id
        log.info("crawl run %s: %d listings to check", self.run_id, len(self.context.targets))

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Check):
            self.buffer.append(item)
            if len(self.buffer) >= self.context.settings.crawl.batch_size:
                self.flush()
        return item

    def flush(self) -> None:
        if not self.buffer or self.run_id is None:
            return
        batch, self.buffer = self.buffer, []
        pages = {c.url for c in batch if c.url} - self.pages_seen
        self.pages_seen |= pages
        share = self.context.settings.crawl.suspect_change_share
        with self.context.store.sessions.begin() as session:
            counts = repo.record_checks(session, batch, share)
            repo.add_to_run(session, self.run_id, counts, pages=len(pages))

    def close_spider(self) -> None:
        self.flush()

    def spider_closed(self, spider: Any, reason: str) -> None:
        if self.run_id is None:
            return
        self.flush()
        with self.context.store.sessions.begin() as session:
            run = session.get_one(repo.CrawlRun, self.run_id)
            status = repo.outcome_status(run, reason)
            error = None if reason == "finished" else f"crawl ended: {reason}"
            repo.finish_run(session, self.run_id, datetime.now(UTC), status, error)
        log.info("crawl run %s finished: %s", self.run_id, status)
        self.context.store.close()


__all__ = ["StorePipeline", "RunStatus"]
