"""What a crawl process knows of the tracker: its job and the listings to check."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from typing import Any
from urllib.parse import urlsplit

from tracker import __version__
from tracker.config import CrawlSettings, Settings, load_settings
from tracker.crawling.policy import vendor_hosts
from tracker.crawljob import JOB_SETTING, CrawlJob, CrawlTarget
from tracker.store.engine import open_store
from tracker.store.repo import crawl_targets


@dataclass(frozen=True)
class VendorPolicy:
    """How the crawl treats one vendor: its hosts and its politeness overrides."""

    slug: str
    homepage: str
    hosts: frozenset[str]
    obey_robots: bool | None = None
    concurrency: int | None = None
    delay: float | None = None
    hostnames: frozenset[str] = frozenset()  # as Scrapy names download slots

    @classmethod
    def of(cls, targets: list[CrawlTarget]) -> VendorPolicy:
        first = targets[0]
        crawl = first.vendor_profile.crawl
        urls = [first.vendor_homepage, *(t.url for t in targets)]
        return cls(
            slug=first.vendor_slug,
            homepage=first.vendor_homepage,
            hosts=vendor_hosts(first.vendor_homepage, [t.url for t in targets]),
            hostnames=frozenset(h for h in map(_hostname, urls) if h),
            obey_robots=crawl.obey_robots,
            concurrency=crawl.concurrency,
            delay=crawl.delay,
        )


@dataclass
class CrawlContext:
    job: CrawlJob
    targets: list[CrawlTarget]
    by_url: dict[str, list[CrawlTarget]] = field(default_factory=dict)
    vendors: dict[str, VendorPolicy] = field(default_factory=dict)

    @classmethod
    def open(cls, job: CrawlJob, *, upgrade: bool = False) -> CrawlContext:
        """Read the listings to check (the store is closed again: the pipeline owns its own).

        A database handed over by a runner was migrated by it, and the crawl may run from
        an egg (Scrapyd) where the migration scripts cannot be listed: ``upgrade`` is only
        for a crawl started by hand (`scrapy crawl listings`).
        """
        store = open_store(job.database_url, upgrade=upgrade)
        try:
            with store.readers.begin() as session:
                targets = list(crawl_targets(session, job.vendor))
        finally:
            store.close()
        by_url: dict[str, list[CrawlTarget]] = defaultdict(list)
        by_vendor: dict[str, list[CrawlTarget]] = defaultdict(list)
        for target in targets:
            by_url[target.url].append(target)
            by_vendor[target.vendor_slug].append(target)
        return cls(
            job=job,
            targets=targets,
            by_url=dict(by_url),
            vendors={slug: VendorPolicy.of(group) for slug, group in by_vendor.items()},
        )

    def download_slots(self) -> dict[str, dict[str, Any]]:
        """Scrapy DOWNLOAD_SLOTS (keyed by host name) for the vendors that set their own
        concurrency or delay; a host shared by vendors gets the most careful of their values."""
        slots: dict[str, dict[str, Any]] = {}
        for policy in self.vendors.values():
            if policy.concurrency is None and policy.delay is None:
                continue
            for host in policy.hostnames:
                bare = host.removeprefix("www.")
                for name in (bare, f"www.{bare}"):
                    slot = slots.setdefault(name, {})
                    if policy.concurrency is not None:
                        slot["concurrency"] = min(
                            policy.concurrency, slot.get("concurrency", policy.concurrency)
                        )
                    if policy.delay is not None:
                        slot["delay"] = max(policy.delay, slot.get("delay", policy.delay))
        return slots


def _hostname(url: str) -> str | None:
    try:
        return urlsplit(url).hostname
    except ValueError:
        return None


@cache
def configured() -> Settings:
    """The configuration, read once: only for a crawl started by hand, without a job."""
    return load_settings()


def job_of(settings: Any, vendor: str | None = None) -> tuple[CrawlJob, bool]:
    """The crawl job in the Scrapy setting ``TRACKER_JOB``, and True; without one (a crawl
    started by hand), a job from the configuration, and False."""
    text = settings.get(JOB_SETTING)
    if text:
        return CrawlJob.from_text(text), True
    return CrawlJob.of(configured(), vendor=vendor), False


def scrapy_overrides(crawl: CrawlSettings) -> dict[str, Any]:
    """Scrapy settings that follow the job's crawl settings."""
    return {
        "USER_AGENT": f"tracker-price-checker/{__version__} (+{crawl.contact_url})",
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_domain,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.concurrency_per_domain),
        "DOWNLOAD_DELAY": crawl.download_delay,
        "AUTOTHROTTLE_START_DELAY": crawl.download_delay,
        "DOWNLOAD_TIMEOUT": crawl.timeout_seconds,
        "TRACKER_RETRY_AFTER_MAX": crawl.max_retry_after_seconds,
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
        "CLOSESPIDER_TIMEOUT": crawl.time_limit_seconds,
    }
