"""The `listings` spider: one request per listing page, one check per listing.

It requests only the catalog's URLs and a platform endpoint the extraction asks for on the
same vendor's hosts. It follows no links; redirects off the vendor's hosts are refused
before they are sent.

What to crawl and how comes from the crawl job a runner hands over as the Scrapy setting
``TRACKER_JOB`` (``tracker.crawljob.CrawlJob``); the spider reads no configuration of its own
then. Started by hand (`scrapy crawl listings [-a vendor=SLUG]`), it makes the same job from
the tracker's configuration, read once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import Any

import scrapy
from scrapy.crawler import Crawler
from scrapy.http import Response
from scrapy.settings import BaseSettings
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.python.failure import Failure

from tracker.crawling.checks import (
    FollowUp,
    checks_from_endpoint,
    checks_from_failure,
    checks_from_page,
)
from tracker.crawling.context import CrawlContext, job_of, scrapy_overrides
from tracker.crawling.failures import classify_failure
from tracker.crawling.middlewares import VENDOR_HOSTS
from tracker.crawling.policy import landing_kind
from tracker.crawljob import CrawlJob, CrawlTarget
from tracker.domain import CheckStatus
from tracker.extract import extract

CONFIRMING = "tracker_confirming_gone"  # request meta: the second look at a 404 or 410


class ListingsSpider(scrapy.Spider):
    """Check the active listings of the catalog (of one vendor with ``-a vendor=SLUG``)."""

    name = "listings"

    def __init__(
        self,
        *,
        job: CrawlJob | None = None,
        upgrade: bool = False,
        _job: str | None = None,  # Scrapyd's job id: the crawl job names it too
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if job is None:
            raise ValueError("the listings spider is made by from_crawler, with its crawl job")
        self.job = job
        self.tracker = CrawlContext.open(job, upgrade=upgrade)

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> ListingsSpider:
        vendor = kwargs.pop("vendor", None) or None
        job, handed = job_of(crawler.settings, vendor)
        if handed and vendor not in (None, job.vendor):
            raise ValueError(f"-a vendor={vendor} contradicts the crawl job ({job.vendor})")
        kwargs.update(job=job, upgrade=not handed)
        spider: ListingsSpider = super().from_crawler(crawler, *args, **kwargs)
        # Settings are frozen only after the spider exists: add the vendors' own slots.
        slots = {**crawler.settings.getdict("DOWNLOAD_SLOTS"), **spider.tracker.download_slots()}
        crawler.settings.set("DOWNLOAD_SLOTS", slots, priority="spider")
        return spider

    @classmethod
    def update_settings(cls, settings: BaseSettings) -> None:
        super().update_settings(settings)
        job, _handed = job_of(settings)
        settings.setdict(scrapy_overrides(job.crawl), priority="spider")

    async def start(self) -> AsyncIterator[Any]:
        for url, targets in self.tracker.by_url.items():
            yield self.request(url, targets, self.parse)

    def request(
        self, url: str, targets: list[CrawlTarget], callback: Any, **meta: Any
    ) -> scrapy.Request:
        policy = self.tracker.vendors[targets[0].vendor_slug]
        meta = {"targets": targets, VENDOR_HOSTS: policy.hosts, **meta}
        if policy.obey_robots is not None:
            meta["dont_obey_robotstxt"] = not policy.obey_robots
        return scrapy.Request(
            url, callback=callback, errback=self.failed, meta=meta, dont_filter=True
        )

    def parse(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        targets: list[CrawlTarget] = meta["targets"]
        now = datetime.now(UTC)
        policy = self.tracker.vendors[targets[0].vendor_slug]
        if meta.get("redirect_urls"):
            kind = landing_kind(response.url, policy.homepage)
            if kind:
                error = f"redirected to the {kind} {response.url[:300]}: the product is gone"
                yield from checks_from_failure(
                    CheckStatus.NOT_FOUND, error, response.url, targets, now
                )
                return
        page = checks_from_page(response.body, response.url, targets, now, hosts=policy.hosts)
        for follow in page.follow_ups:
            yield self.request(
                follow.url,
                follow.targets,
                self.parse_endpoint,
                follow_up=follow,
                page_url=response.url,
            )
        yield from page.checks

    def parse_endpoint(self, response: Response) -> Iterator[Any]:
        meta = response.meta
        targets: list[CrawlTarget] = meta["targets"]
        yield from checks_from_endpoint(
            response.body, response.url, meta["page_url"], targets, datetime.now(UTC)
        )

    def failed(self, failure: Failure) -> Iterator[Any]:
        request = failure.request  # type: ignore[attr-defined]
        meta = request.meta
        targets: list[CrawlTarget] = meta["targets"]
        status, error = classify_failure(failure)
        if failure.check(HttpError):
            status, error = self.refine_http_error(failure.value.response, targets, status, error)
        follow: FollowUp | None = meta.get("follow_up")
        if status is CheckStatus.NOT_FOUND and follow is None and not meta.get(CONFIRMING):
            # One 404 may be a shop's hiccup: ask once more in this run before the listing
            # leaves the box (rules.page_gone).
            self.logger.info("%s: %s; asking once more to confirm", request.url, error)
            yield request.replace(meta={**meta, CONFIRMING: True}, dont_filter=True)
            return
        if meta.get(CONFIRMING) and status is CheckStatus.NOT_FOUND:
            error = f"{error} (confirmed by a second request)"
        self.logger.info("%s: %s", request.url, error)
        if follow is not None and follow.fallback:
            yield from follow.fallback
            return
        url = meta.get("page_url") or request.url
        yield from checks_from_failure(status, error, url, targets, datetime.now(UTC))

    def refine_http_error(
        self, response: Response, targets: list[CrawlTarget], status: CheckStatus, error: str
    ) -> tuple[CheckStatus, str]:
        """An error page with a body may be a captcha or bot check: name it ``blocked``."""
        if not response.body or status is CheckStatus.NOT_FOUND:
            return status, error
        result = extract(response.body, response.url, targets[0].hints())
        if result.status is CheckStatus.BLOCKED:
            return CheckStatus.BLOCKED, f"HTTP {response.status}: {result.error or 'bot check'}"
        return status, error
