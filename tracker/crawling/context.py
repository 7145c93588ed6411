"""What a crawl process knows of the tracker: settings, the store, the listings to check."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from tracker import __version__
from tracker.config import Settings, load_settings
from tracker.domain import CrawlTarget, ExtractHints, VariantSpec
from tracker.store.engine import Store, open_store
from tracker.store.repo import crawl_targets


@dataclass
class CrawlContext:
    settings: Settings
    store: Store
    vendor: str | None
    targets: list[CrawlTarget]
    by_url: dict[str, list[CrawlTarget]] = field(default_factory=dict)

    @classmethod
    def open(cls, vendor: str | None, database_url: str | None = None) -> CrawlContext:
        """Read the settings; ``database_url`` (from a runner) overrides the configured one.

        A database handed over by a runner was migrated by it, and the crawl may run from
        an egg (Scrapyd) where the migration scripts cannot be listed: no upgrade then.
        """
        settings = load_settings()
        if database_url:
            settings = settings.model_copy(update={"database_url": database_url})
        store = open_store(settings.database_url, upgrade=not database_url)
        with store.sessions.begin() as session:
            targets = crawl_targets(session, vendor)
        by_url: dict[str, list[CrawlTarget]] = defaultdict(list)
        for target in targets:
            by_url[target.url].append(target)
        return cls(
            settings=settings, store=store, vendor=vendor, targets=targets, by_url=dict(by_url)
        )


def scrapy_overrides(settings: Settings) -> dict[str, Any]:
    """Scrapy settings that follow the tracker's configuration."""
    crawl = settings.crawl
    return {
        "USER_AGENT": f"tracker-price-checker/{__version__} (+{crawl.contact_url})",
        "ROBOTSTXT_OBEY": crawl.obey_robots,
        "CONCURRENT_REQUESTS_PER_DOMAIN": crawl.concurrency_per_domain,
        "AUTOTHROTTLE_TARGET_CONCURRENCY": float(crawl.concurrency_per_domain),
        "DOWNLOAD_DELAY": crawl.download_delay,
        "AUTOTHROTTLE_START_DELAY": crawl.download_delay,
        "DOWNLOAD_TIMEOUT": crawl.timeout_seconds,
        "DOWNLOAD_MAXSIZE": crawl.max_page_bytes,
        "CLOSESPIDER_TIMEOUT": crawl.time_limit_seconds,
    }


def hints_for(target: CrawlTarget) -> ExtractHints:
    return ExtractHints(currency=target.vendor_currency)


def variant_of(target: CrawlTarget) -> VariantSpec:
    return VariantSpec(
        sku=target.variant_sku, text=target.variant_text, position=target.variant_position
    )
