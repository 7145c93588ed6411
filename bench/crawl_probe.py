"""A Scrapy extension that writes what a benchmark crawl really ran with, as JSON.

Enabled with ``-s EXTENSIONS={"crawl_probe.CrawlProbe": 1000}`` and
``-s BENCH_PROBE_FILE=PATH``: at the end of the crawl it records the effective politeness
settings with the priority they came from (``cmdline`` must win over the spider's
``update_settings``), the download slot's concurrency and delay, the largest number of
requests in flight, the process's peak memory before the first request and at the end
(after the pipelines' last flush), and Scrapy's stats.
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

# Setting name -> the Settings getter that reads it with its type.
PROBED_SETTINGS = {
    "CONCURRENT_REQUESTS": "getint",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "getint",
    "DOWNLOAD_DELAY": "getfloat",
    "AUTOTHROTTLE_ENABLED": "getbool",
    "ROBOTSTXT_OBEY": "getbool",
    "LOG_LEVEL": "get",
    "USER_AGENT": "get",
}
_PRIORITY_NAMES = {number: name for name, number in SETTINGS_PRIORITIES.items()}


def peak_rss_kb() -> int:
    """This process's peak resident memory in KB (Linux ``VmHWM``).

    Not ``ru_maxrss``: Linux carries the parent's peak into a child through fork and exec,
    so a child's ``ru_maxrss`` is never below the benchmark process's own peak.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


class CrawlProbe:
    def __init__(self, crawler: Crawler, path: Path) -> None:
        self.crawler = crawler
        self.path = path
        self.max_in_flight = 0
        self.startup_peak_rss_kb = 0
        self.slots: dict[str, dict[str, float]] = {}
        crawler.signals.connect(self.engine_started, signal=signals.engine_started)
        crawler.signals.connect(self.response_received, signal=signals.response_received)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CrawlProbe:
        path = crawler.settings.get("BENCH_PROBE_FILE")
        if not path:
            raise NotConfigured("BENCH_PROBE_FILE is not set")
        return cls(crawler, Path(path))

    def engine_started(self) -> None:
        """Peak memory so far: imports, settings, the spider's own start-up."""
        self.startup_peak_rss_kb = peak_rss_kb()

    def response_received(self, response: Response, request: Request, spider: Spider) -> None:
        downloader = self.crawler.engine.downloader
        # The downloader has let go of this response's request already: count it back in.
        self.max_in_flight = max(self.max_in_flight, len(downloader.active) + 1)
        for key, slot in downloader.slots.items():
            self.slots[key] = {"concurrency": slot.concurrency, "delay": slot.delay}

    def spider_closed(self, spider: Spider, reason: str) -> None:
        settings = self.crawler.settings
        report: dict[str, Any] = {
            "reason": reason,
            "settings": {
                name: {
                    "value": getattr(settings, getter)(name),
                    "from": _PRIORITY_NAMES.get(settings.getpriority(name) or 0, "?"),
                }
                for name, getter in PROBED_SETTINGS.items()
            },
            "slots": self.slots,
            "max_in_flight": self.max_in_flight,
            "startup_peak_rss_kb": self.startup_peak_rss_kb,
            "peak_rss_kb": peak_rss_kb(),
            "stats": self.crawler.stats.get_stats(),
        }
        self.path.write_text(json.dumps(report, indent=2, default=str), encoding="utf-8")
