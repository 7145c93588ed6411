"""Downloader middlewares: stay on the vendor's hosts, robots.txt per RFC 9309, Retry-After.

Each replaces or narrows a Scrapy default where that default is too lenient for a crawler
that must never hammer a shop nor wander off it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from time import monotonic
from typing import Any

from scrapy import Request
from scrapy.crawler import Crawler
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.http import Response
from scrapy.http.request import NO_CALLBACK
from scrapy.robotstxt import RobotParser
from scrapy.utils.asyncio import sleep
from scrapy.utils.defer import maybe_deferred_to_future
from scrapy.utils.httpobj import urlparse_cached
from scrapy.utils.misc import build_from_crawler, load_object
from scrapy.utils.response import response_status_message
from twisted.internet.defer import Deferred

from tracker.crawling.failures import (
    HostUnreachable,
    OffsiteRedirect,
    RobotsDisallowed,
    timed_out,
    unreachable_kind,
)
from tracker.crawling.policy import host_key, retry_after_seconds
from tracker.domain import CheckStatus

log = logging.getLogger(__name__)

VENDOR_HOSTS = "vendor_hosts"  # request meta: frozenset of host keys the request may reach


class VendorHostsMiddleware:
    """Refuse any request (a redirect, a robots.txt redirect) that leaves the vendor's hosts.

    Requests are refused before they are sent, so the other host never sees one.
    """

    def process_request(self, request: Request) -> None:
        hosts = request.meta.get(VENDOR_HOSTS)
        if hosts is None:
            return
        parts = urlparse_cached(request)
        if parts.scheme not in ("http", "https") or host_key(parts) not in hosts:
            raise OffsiteRedirect(
                f"redirected to {request.url[:300]}, outside the vendor's site: not followed"
            )


@dataclass(frozen=True)
class RobotsRules:
    """What one host's robots.txt allows; ``refusal`` set means nothing is allowed."""

    parser: RobotParser | None = None
    refusal: str | None = None
    unreachable: CheckStatus | None = None  # the host could not be reached: not a refusal

    def check(self, url: str, user_agent: str) -> str | None:
        """None when allowed, else the reason."""
        if self.refusal:
            return self.refusal
        if self.parser is not None and not self.parser.allowed(url, user_agent):
            return "robots.txt disallows this page"
        return None


class RobotsTxtPolicyMiddleware:
    """robots.txt as RFC 9309 says: a 2xx is parsed, a 4xx allows everything, and a 5xx (or a
    429), a timeout or an unreachable host disallows everything (Scrapy's own allows).

    Obeyed when ``ROBOTSTXT_OBEY`` is on, unless a request's ``dont_obey_robotstxt`` meta
    says otherwise (per vendor, either way).
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.obey_default = settings.getbool("ROBOTSTXT_OBEY")
        self.user_agent: str = settings.get("ROBOTSTXT_USER_AGENT") or settings["USER_AGENT"]
        self.parser_class: Any = load_object(settings.get("ROBOTSTXT_PARSER"))
        self.rules: dict[str, RobotsRules] = {}
        self.waiting: dict[str, list[Deferred[RobotsRules]]] = {}

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RobotsTxtPolicyMiddleware:
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        dont_obey = request.meta.get("dont_obey_robotstxt")
        if dont_obey is None:
            dont_obey = not self.obey_default
        if dont_obey:
            return
        rules = await self.rules_for(request)
        reason = rules.check(request.url, self.user_agent)
        if reason and rules.unreachable is not None:
            raise HostUnreachable(reason, rules.unreachable)
        if reason:
            self.crawler.stats.inc_value("robotstxt/forbidden")  # type: ignore[union-attr]
            raise RobotsDisallowed(reason)

    async def rules_for(self, request: Request) -> RobotsRules:
        parts = urlparse_cached(request)
        key = f"{parts.scheme}://{parts.netloc}"
        if key in self.rules:
            return self.rules[key]
        if key in self.waiting:
            waiter: Deferred[RobotsRules] = Deferred()
            self.waiting[key].append(waiter)
            return await maybe_deferred_to_future(waiter)
        self.waiting[key] = []
        rules = await self.fetch(key, request)
        self.rules[key] = rules
        for waiter in self.waiting.pop(key):
            waiter.callback(rules)
        return rules

    async def fetch(self, origin: str, request: Request) -> RobotsRules:
        meta: dict[str, Any] = {"dont_obey_robotstxt": True}
        if VENDOR_HOSTS in request.meta:
            meta[VENDOR_HOSTS] = request.meta[VENDOR_HOSTS]
        robots = Request(f"{origin}/robots.txt", priority=1000, meta=meta, callback=NO_CALLBACK)
        stats = self.crawler.stats
        assert stats is not None and self.crawler.engine is not None
        stats.inc_value("robotstxt/request_count")
        try:
            response = await self.crawler.engine.download_async(robots)
        except OffsiteRedirect:
            return RobotsRules(
                refusal="robots.txt redirects outside the vendor's site (not followed): "
                "treated as disallow; set crawl.obey_robots: false for this vendor to override"
            )
        except Exception as exc:  # a timeout, a refused or reset connection: unreachable
            log.warning("%s/robots.txt unreachable (%s): nothing is crawled there", origin, exc)
            kind = unreachable_kind(exc)
            if kind is not None:
                return RobotsRules(refusal=f"{kind[1]} (robots.txt)", unreachable=kind[0])
            timeout = timed_out(exc)
            return RobotsRules(
                refusal=f"robots.txt unreachable ({type(exc).__name__}): treated as disallow",
                unreachable=CheckStatus.TIMEOUT if timeout else None,
            )
        stats.inc_value(f"robotstxt/response_status_count/{response.status}")
        if response.status >= 500 or response.status == 429:  # 429: "too fast", not "absent"
            log.warning(
                "%s/robots.txt answered HTTP %d: nothing is crawled there", origin, response.status
            )
            return RobotsRules(
                refusal=f"robots.txt answered HTTP {response.status}: treated as disallow"
            )
        if response.status >= 300:
            return RobotsRules()  # 4xx (or too many redirects): no rules, all allowed
        parser = build_from_crawler(self.parser_class, self.crawler, response.body)
        self.apply_crawl_delay(urlparse_cached(robots).hostname, parser)
        return RobotsRules(parser=parser)

    def apply_crawl_delay(self, hostname: str | None, parser: RobotParser) -> None:
        """Honour a ``Crawl-delay`` (not in RFC 9309, but asked for) as the host's minimum
        delay, capped at AUTOTHROTTLE_MAX_DELAY; AutoThrottle keeps it as a floor."""
        delay = parser.crawl_delay(self.user_agent)
        engine = self.crawler.engine
        if not delay or not hostname or engine is None:
            return
        delay = min(float(delay), self.crawler.settings.getfloat("AUTOTHROTTLE_MAX_DELAY", 60.0))
        downloader = engine.downloader
        slot_settings = downloader.per_slot_settings.setdefault(hostname, {})
        slot_settings["delay"] = max(delay, slot_settings.get("delay", 0.0))
        slot = downloader.slots.get(hostname)
        if slot is not None and slot.delay < delay:
            slot.delay = delay


class RetryAfterMiddleware(RetryMiddleware):
    """Scrapy's retries, waiting as long as a 429 or 503 asks with Retry-After.

    The wait never blocks the reactor: the retry is held back by an asynchronous sleep,
    and the host's download slot is held back too, so other pages of that shop wait as well.
    A shop asking for more than ``TRACKER_RETRY_AFTER_MAX`` seconds is not retried in this
    run: its check fails (the previous price is kept) and the next run tries again.
    """

    def __init__(self, settings: Any) -> None:
        super().__init__(settings)
        self.max_wait = settings.getfloat("TRACKER_RETRY_AFTER_MAX", 60.0)

    async def process_response(  # type: ignore[override]
        self, request: Request, response: Response
    ) -> Request | Response:
        if request.meta.get("dont_retry", False) or response.status not in self.retry_http_codes:
            return response
        wait = None
        if response.status in (429, 503):
            header = response.headers.get(b"Retry-After")
            wait = retry_after_seconds(header, datetime.now(UTC))
        if wait is not None and wait > self.max_wait:
            log.info("%s asks to wait %.0f s: not retried in this run", request.url, wait)
            return response
        retry = self._retry(request, response_status_message(response.status))
        if retry is None:
            return response
        if wait:
            self.hold_slot(request, wait)
            await sleep(wait)
        return retry

    def hold_slot(self, request: Request, wait: float) -> None:
        """Keep the shop's download slot quiet for ``wait`` seconds (when it has a delay)."""
        engine = self.crawler.engine
        key = request.meta.get("download_slot")
        slot = engine.downloader.slots.get(key) if engine and key is not None else None
        if slot is not None and slot.delay > 0:
            slot.lastseen = max(slot.lastseen, monotonic() + wait)
