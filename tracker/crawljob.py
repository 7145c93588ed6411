"""What a crawl is given: one crawl job (from its runner) and the listings to check (the store).

A runner hands the crawl process one ``CrawlJob``: what to crawl, the settings that matter there
(politeness and limits, the publish gate, the database) and the runs it records. The local runner
writes it to the child's stdin, the Scrapyd runner sends it as the Scrapy setting
``TRACKER_JOB``; either way the spider gets it as that setting and reads no configuration of its
own, so a Scrapyd node crawls exactly as the scheduler that sent the job says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from pydantic import BaseModel, ConfigDict, ValidationError

from tracker.config import CrawlSettings, PublishSettings, Settings
from tracker.domain import ExtractHints, VariantSpec
from tracker.profile import DEFAULT_PROFILE, VendorProfile
from tracker.rules import GatePolicy

JOB_SETTING = "TRACKER_JOB"


class CrawlJobError(ValueError):
    """A crawl job that cannot be read; the message says what is wrong."""


class CrawlJob(BaseModel):
    """One crawl, as a runner hands it to the crawl process."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    vendor: str | None = None  # None: every vendor with active listings
    run_ids: tuple[int, ...] = ()  # the runs the runner recorded, one per vendor
    trigger: str = "manual"
    runner: str = "scrapy"
    job_id: str | None = None
    database_url: str
    crawl: CrawlSettings = CrawlSettings()
    publish: PublishSettings = PublishSettings()
    log_file: str | None = None

    @classmethod
    def of(cls, settings: Settings, **what: object) -> CrawlJob:
        """A job with the settings that matter to a crawl, and ``what`` to crawl."""
        return cls.model_validate(
            {
                "database_url": settings.database_url,
                "crawl": settings.crawl,
                "publish": settings.publish,
                **what,
            }
        )

    def gate(self) -> GatePolicy:
        """The publish gate the crawl's readings go through."""
        return GatePolicy(
            max_share=self.crawl.suspect_change_share,
            confirm_after=timedelta(seconds=self.publish.confirm_after_seconds),
        )

    def text(self) -> str:
        return self.model_dump_json()

    @classmethod
    def from_text(cls, text: str) -> CrawlJob:
        return _parse(text)


@lru_cache(maxsize=4)
def _parse(text: str) -> CrawlJob:
    """Read a job once per process (Scrapy asks for it while it sets up, then the spider)."""
    try:
        return CrawlJob.model_validate_json(text)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'job'}: {err['msg']}" for err in exc.errors()
        )
        raise CrawlJobError(f"not a valid crawl job: {problems}") from exc


@dataclass(frozen=True, slots=True)
class CrawlTarget:
    """What the spider needs to check one listing."""

    listing_id: int
    url: str
    vendor_slug: str
    vendor_currency: str
    variant_sku: str | None
    variant_text: str | None
    variant_position: int | None
    vendor_homepage: str = ""
    vendor_profile: VendorProfile = DEFAULT_PROFILE

    def hints(self) -> ExtractHints:
        """The extraction hints of the listing's vendor."""
        return self.vendor_profile.extract_hints(self.vendor_currency)

    def variant(self) -> VariantSpec:
        return VariantSpec(
            sku=self.variant_sku, text=self.variant_text, position=self.variant_position
        )
