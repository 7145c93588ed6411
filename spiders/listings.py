"""The `listings` spider: one request per listing page, one check per listing."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings
from twisted.python.failure import Failure

from tracker.config import load_settings
from tracker.crawling.checks import checks_from_failure, checks_from_page
from tracker.crawling.context import CrawlContext, scrapy_overrides
from tracker.crawling.failures import classify_failure


class ListingsSpider(scrapy.Spider):
    """Check the active listings of the catalog (of one vendor with ``-a vendor=SLUG``)."""

    name = "listings"

    def __init__(
        self,
        vendor: str | None = None,
        run_id: str | None = None,
        trigger: str = "manual",
        runner: str = "scrapy",
        _job: str | None = None,
        database_url: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.vendor = vendor or None
        self.run_id = run_id
        self.trigger = trigger
        self.runner = runner if _job is None else "scrapyd"
        self.job_id = _job
        self.tracker = CrawlContext.open(self.vendor, database_url)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ListingsSpider:
        # A Scrapyd runner hands the database over as a setting (-s TRACKER_DATABASE_URL=...).
        url = crawler.settings.get("TRACKER_DATABASE_URL")
        if url:
            kwargs["database_url"] = url
        spider: ListingsSpider = super().from_crawler(crawler, *args, **kwargs)
        return spider

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        settings.setdict(scrapy_overrides(load_settings()), priority="spider")

    async def start(self) -> AsyncIterator[Any]:
        for url, targets in self.tracker.by_url.items():
            yield scrapy.Request(
                url,
                callback=self.parse,
                errback=self.failed,
                meta={"targets": targets},
                dont_filter=True,
            )

    def parse(self, response: Response) -> Iterator[Any]:
        targets = response.meta["targets"]
        yield from checks_from_page(response.body, response.url, targets, datetime.now(UTC))

    def failed(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        status, error = classify_failure(failure)
        self.logger.info("%s: %s", request.url, error)
        yield from checks_from_failure(
            status, error, request.url, request.meta["targets"], datetime.now(UTC)
        )
