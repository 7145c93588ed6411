"""The crawl hand-off: one validated job from the runner, the only thing the crawl reads."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from scrapy.crawler import Crawler
from scrapy.settings import Settings as ScrapySettings

from spiders.listings import ListingsSpider
from tracker import crawling, services
from tracker.config import PROJECT_ROOT, Settings
from tracker.crawljob import JOB_SETTING, CrawlJob, CrawlJobError
from tracker.scheduling import runners, scrapyd
from tracker.store.engine import Store, open_store
from tracker.store.models import CrawlRun

SAMPLE = PROJECT_ROOT / "examples" / "catalog.yaml"


def site_settings(tmp_path: Path) -> Settings:
    """A scheduler's settings that differ from every default the crawl could fall back to."""
    return Settings(
        root=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'tracker.db'}",
        crawl={
            "contact_url": "https://prices.example/about",
            "download_delay": 3.5,
            "time_limit_seconds": 77,
            "suspect_change_share": 0.25,
            "batch_size": 9,
        },
        schedule={"runner": "scrapyd", "scrapyd_nodes": ["http://user:pw@node.test:6800/"]},
    ).resolved()


@pytest.fixture
def synced(tmp_path: Path) -> Store:
    store = open_store(site_settings(tmp_path).database_url)
    services.sync_catalog_file(store, SAMPLE, {"SAMPLE_SITE": "http://127.0.0.1:9"})
    return store


def test_a_job_goes_over_as_text_and_back(tmp_path: Path) -> None:
    settings = site_settings(tmp_path)
    job = CrawlJob.of(settings, vendor="harbor-health", run_ids=(4,), trigger="schedule")
    again = CrawlJob.from_text(job.text())
    assert again == job
    assert (again.database_url, again.crawl) == (settings.database_url, settings.crawl)
    assert again.crawl.time_limit_seconds == 77 and again.crawl.suspect_change_share == 0.25


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{}", "database_url: Field required"),
        ('{"database_url": "sqlite://", "vendr": "x"}', "vendr: Extra inputs are not permitted"),
        ('{"database_url": "sqlite://", "crawl": {"batch_size": 0}}', "crawl.batch_size"),
        ("not json", "not a valid crawl job"),
    ],
)
def test_a_bad_job_is_refused_naming_the_field(text: str, message: str) -> None:
    with pytest.raises(CrawlJobError, match=message):
        CrawlJob.from_text(text)


def test_the_spider_reads_its_job_and_nothing_else(
    tmp_path: Path, synced: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_configuration(*_args: Any) -> None:
        raise AssertionError("the crawl read the configuration")

    monkeypatch.setattr(crawling.context, "load_settings", no_configuration)
    job = CrawlJob.of(site_settings(tmp_path), vendor="harbor-health", run_ids=(1,))
    settings = ScrapySettings()
    settings.setmodule("tracker.crawling.settings", priority="project")
    settings.set(JOB_SETTING, job.text(), priority="cmdline")
    crawler = Crawler(ListingsSpider, settings)
    spider = crawler._create_spider(_job="tracker-run-1")  # as Scrapyd calls it
    synced.close()
    assert isinstance(spider, ListingsSpider) and spider.job == job
    assert {t.vendor_slug for t in spider.tracker.targets} == {"harbor-health"}
    assert crawler.settings["CLOSESPIDER_TIMEOUT"] == 77
    assert crawler.settings["DOWNLOAD_DELAY"] == 3.5
    assert "https://prices.example/about" in crawler.settings["USER_AGENT"]


def test_a_vendor_argument_may_not_contradict_the_job(tmp_path: Path, synced: Store) -> None:
    job = CrawlJob.of(site_settings(tmp_path), vendor="harbor-health")
    crawler = Crawler(ListingsSpider, {JOB_SETTING: job.text()})
    synced.close()
    with pytest.raises(ValueError, match="contradicts the crawl job"):
        crawler._create_spider(vendor="cosmicnootropic")


def test_the_local_child_gets_no_tracker_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRACKER_CRAWL__TIME_LIMIT_SECONDS", "5")
    monkeypatch.setenv("TRACKER_DATABASE_URL", "sqlite:///elsewhere.db")
    env = runners.child_environment({"EXTRA": "1"})
    assert not any(name.startswith("TRACKER_") for name in env) and env["EXTRA"] == "1"
    assert runners.CRAWL_COMMAND[1:] == ["-m", "tracker.crawling.child"]


def test_scrapyd_gets_the_schedulers_job(
    tmp_path: Path, synced: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, dict[str, Any]]] = []

    def call(node: scrapyd.Node, endpoint: str, params: dict[str, Any], **_: Any) -> dict:
        calls.append((endpoint, params))
        if endpoint == "listjobs.json":
            return {"status": "ok", "finished": [{"id": params_of("schedule.json")["jobid"]}]}
        return {"status": "ok", "pending": 0, "running": 0}

    def params_of(endpoint: str) -> dict[str, Any]:
        return next(p for e, p in calls if e == endpoint)

    monkeypatch.setattr(scrapyd.Node, "call", call)
    settings = site_settings(tmp_path)
    runner = scrapyd.ScrapydRunner(settings, synced)
    snapshot = runner.crawl("harbor-health", trigger="schedule", stop=threading.Event())
    sent = params_of("schedule.json")
    name, _, text = sent["setting"].partition("=")
    job = CrawlJob.from_text(text)
    assert name == JOB_SETTING and set(sent) == {"project", "spider", "jobid", "setting"}
    assert job == CrawlJob.of(
        settings,
        vendor="harbor-health",
        run_ids=(snapshot.run_id,),
        trigger="schedule",
        runner="scrapyd",
        job_id=f"tracker-run-{snapshot.run_id}",
    )
    with synced.sessions() as session:  # the fake node never ran it: closed with the reason
        run = session.get_one(CrawlRun, snapshot.run_id)
        assert run.status == "failed" and "ended without recording its outcome" in (run.error or "")
    synced.close()
