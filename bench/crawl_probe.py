"""A Scrapy extension that writes what a benchmark crawl really ran with, as JSON.

Enabled with ``-s EXTENSIONS={"crawl_probe.CrawlProbe": 1000}`` and
``-s BENCH_PROBE_FILE=PATH``: at the end of the crawl it records the effective politeness
settings with the priority they came from (``cmdline`` must win over the spider's
``update_settings``), the download slot's concurrency and delay, the largest number of
requests in flight, and Scrapy's stats.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.settings import SETTINGS_PRIORITIES

PROBED_SETTINGS = (
    "CONCURRENT_REQUESTS",
    "CONCURRENT_REQUESTS_PER_DOMAIN",
    "DOWNLOAD_DELAY",
    "AUTOTHROTTLE_ENABLED",
    "ROBOTSTXT_OBEY",
    "LOG_LEVEL",
    "USER_AGENT",
)
_PRIORITY_NAMES = {number: name for name, number in SETTINGS_PRIORITIES.items()}


class CrawlProbe:
    def __init__(self, crawler: Crawler, path: Path) -> None:
        self.crawler = crawler
        self.path = path
        self.max_in_flight = 0
        self.slots: dict[str, dict[str, float]] = {}
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProbe:
        path = crawler.settings.get("BENCH_PROBE_FILE")
        if not path:
            raise NotConfigured("BENCH_PROBE_FILE is not set")
        return cls(crawler, Path(path))

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        downloader = self.crawler.engine.downloader  # type: ignore[union-attr]
        self.max_in_flight = max(self.max_in_flight, len(downloader.active))
        for key, slot in downloader.slots.items():
            self.slots[key] = {"concurrency": slot.concurrency, "delay": slot.delay}

    def spider_closed(self, spider: Spider, reason: str) -> None:
        settings = self.crawler.settings
        report: dict[str, Any] = {
            "reason": reason,
            "settings": {
                name: {
                    "value": settings.get(name),
                    "from": _PRIORITY_NAMES.get(settings.getpriority(name) or 0, "?"),
                }
                for name in PROBED_SETTINGS
            },
            "slots": self.slots,
            "max_in_flight": self.max_in_flight,
            "stats": self.crawler.stats.get_stats(),  # type: ignore[union-attr]
        }
        self.path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
