"""The store pipeline without a crawl: batches, writes every few seconds, and run outcomes."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from scrapy.crawler import Crawler
from sqlalchemy import func, select

from spiders.listings import ListingsSpider
from tracker import services
from tracker.config import PROJECT_ROOT, Settings
from tracker.crawling.pipeline import StorePipeline, finish_reason_text
from tracker.crawljob import JOB_SETTING, CrawlJob
from tracker.domain import Availability, Check, CheckStatus, Offer
from tracker.store.engine import open_store
from tracker.store.models import CrawlRun, Listing

SAMPLE = PROJECT_ROOT / "examples" / "catalog.yaml"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[tuple[StorePipeline, Clock, str]]:
    """A pipeline opened on a synced database, its clock in the test's hand."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = open_store(url)
    services.sync_catalog_file(store, SAMPLE, {"SAMPLE_SITE": "http://127.0.0.1:9"})
    store.close()
    settings = Settings(
        root=tmp_path, database_url=url, crawl={"flush_seconds": 2, "batch_size": 4}
    )
    job = CrawlJob.of(settings.resolved(), vendor="cosmicnootropic")
    crawler = Crawler(ListingsSpider, {JOB_SETTING: job.text()})
    crawler.spider = crawler._create_spider()
    clock = Clock()
    stage = StorePipeline.from_crawler(crawler)
    stage.clock = clock
    stage.open_spider()
    yield stage, clock, url
    stage.spider_closed(crawler.spider, "finished")


def stored_checks(url: str) -> int:
    store = open_store(url, upgrade=False)
    try:
        with store.readers.begin() as session:
            query = select(func.count()).where(Listing.last_checked_at.is_not(None))
            return session.scalar(query.select_from(Listing)) or 0
    finally:
        store.close()


def reading(listing_id: int) -> Check:
    offer = Offer(Decimal("10.00"), "USD", Availability.IN_STOCK)
    return Check(listing_id, CheckStatus.OK, datetime.now(UTC), offer=offer)


def test_checks_are_written_every_few_seconds_as_well_as_every_batch(
    pipeline: tuple[StorePipeline, Clock, str],
) -> None:
    stage, clock, url = pipeline
    ids = [t.listing_id for t in stage.context.targets]
    assert len(ids) >= 2
    stage.process_item(reading(ids[0]))
    clock.now += 1.9
    stage.process_item(reading(ids[1]))
    assert stored_checks(url) == 0  # neither a full batch nor two seconds yet
    clock.now += 0.1
    stage.flush_due()  # what the engine's ticker does while no check arrives
    assert stored_checks(url) == 2
    stage.process_item(reading(ids[0]))
    assert stored_checks(url) == 2 and len(stage.buffer) == 1


def test_the_run_closes_with_the_outcome_and_a_sentence(
    pipeline: tuple[StorePipeline, Clock, str],
) -> None:
    stage, _clock, url = pipeline
    ids = [t.listing_id for t in stage.context.targets]
    for listing_id in ids:
        stage.process_item(reading(listing_id))
    (run_id,) = stage.runs.values()
    stage.spider_closed(stage.crawler.spider, "shutdown")
    store = open_store(url, upgrade=False)
    try:
        with store.readers.begin() as session:
            run = session.get_one(CrawlRun, run_id)
            assert (run.status, run.checks, run.offers) == ("partial", len(ids), len(ids))
            assert run.error == finish_reason_text("shutdown")
    finally:
        store.close()


@pytest.mark.parametrize(
    ("reason", "text"),
    [
        ("shutdown", "the crawl was stopped before it finished (SIGTERM, SIGINT or a cancel)"),
        ("closespider_timeout", "the crawl reached its time limit (crawl.time_limit_seconds)"),
        ("memusage_exceeded", "the crawl ended before it finished (memusage_exceeded)"),
        ("", "the crawl ended before it finished (?)"),
    ],
)
def test_finish_reasons_are_sentences(reason: str, text: str) -> None:
    assert finish_reason_text(reason).startswith(text)
