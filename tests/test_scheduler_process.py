"""The scheduler as a real process against the loopback sample site, on a real SQLite file."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from tests.scheduling import (
    HeldSite,
    assert_no_overlap,
    runs_of,
    scheduler,
    wait_for,
    write_catalog,
    write_settings,
)
from tracker import services
from tracker.config import load_settings
from tracker.publishing.render import render_articles
from tracker.scheduling.recovery import pid_alive
from tracker.scheduling.status import status_report
from tracker.store.engine import open_store
from tracker.store.models import Listing, ObservationSpan

SLOW_PAGE = "/cosmicnootropic/cortexin.html"
EVERY_SECOND = {"every": "1s", "jitter": 0}

pytestmark = pytest.mark.slow


@pytest.fixture
def held_site(site_dir: Path) -> Iterator[HeldSite]:
    running = HeldSite(site_dir, {SLOW_PAGE})
    yield running
    running.close()


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'var' / 'tracker.db'}"


def job_ids(url: str) -> dict[str, float | None]:
    store = open_store(url)
    try:
        with store.engine.connect() as connection:
            rows = connection.execute(text("SELECT id, next_run_time FROM apscheduler_jobs"))
            return {row[0]: row[1] for row in rows}
    finally:
        store.close()


def test_interval_runs_skip_a_slow_vendor_and_survive_a_restart(
    tmp_path: Path, held_site: HeldSite
) -> None:
    url = sqlite_url(tmp_path)
    write_catalog(tmp_path, {"cosmicnootropic": EVERY_SECOND, "harbor-health": EVERY_SECOND})
    config = write_settings(tmp_path, url)
    first_log = tmp_path / "scheduler-1.log"
    with scheduler(config, held_site.url, first_log) as process:
        # The slow vendor's crawl is held on one page; the fast one goes on every second.
        wait_for(lambda: held_site.arrived, "the slow vendor's page was requested")
        wait_for(
            lambda: len([r for r in runs_of(url, "harbor-health") if r.status == "ok"]) >= 2,
            "two good runs of the fast vendor",
        )
        wait_for(
            lambda: "crawl:cosmicnootropic: run skipped" in process.text(),
            "a run of the slow vendor skipped while its crawl runs",
        )
        slow = runs_of(url, "cosmicnootropic")
        assert [r.status for r in slow] == ["running"]  # skipped, never doubled
        held_site.release()
        wait_for(
            lambda: any(r.status == "ok" for r in runs_of(url, "cosmicnootropic")),
            "the slow crawl finished",
        )
        assert process.stop() == 0
    log = first_log.read_text()
    assert "database is locked" not in log and "Traceback" not in log, log
    beats = [line for line in log.splitlines() if "heartbeat" in line and " INFO " in line]
    assert all("Added job" in line for line in beats), beats  # a beat a second, none at INFO
    for vendor in ("cosmicnootropic", "harbor-health"):
        runs = runs_of(url, vendor)
        assert all(r.status != "running" for r in runs), [(r.id, r.status) for r in runs]
        assert_no_overlap(runs)
    # Articles showing the vendors' products were rendered after the crawls.
    assert "$75.00" in (tmp_path / "out" / "cortexin-review.html").read_text()

    stored = job_ids(url)
    assert set(stored) == {"crawl:cosmicnootropic", "crawl:harbor-health"}
    assert all(next_run is not None for next_run in stored.values())
    before = len(runs_of(url, "harbor-health"))
    second_log = tmp_path / "scheduler-2.log"
    with scheduler(config, held_site.url, second_log) as process:
        wait_for(
            lambda: len([r for r in runs_of(url, "harbor-health") if r.status == "ok"]) > before,
            "a run after the restart",
        )
        assert process.stop() == 0
    # The jobs came back from the store: the start-up sync found nothing to add or change.
    assert "jobs: 2 vendors, 0 added, 0 changed, 0 removed" in second_log.read_text()
    assert_no_overlap(runs_of(url, "harbor-health"))


def test_kill_9_mid_crawl_is_closed_as_killed_at_the_next_start(
    tmp_path: Path, held_site: HeldSite
) -> None:
    url = sqlite_url(tmp_path)
    write_catalog(tmp_path, {"cosmicnootropic": {"every": "1h", "jitter": 0}})
    # Batches of 500: what the crawl read comes in through its writes every half second.
    config = write_settings(tmp_path, url, flush_seconds=0.5)
    with scheduler(config, held_site.url, tmp_path / "scheduler-1.log") as process:
        # Never crawled: brought forward at start. Two listings are read, two are held.
        run = wait_for(
            lambda: next(
                (r for r in runs_of(url) if r.status == "running" and r.checks >= 2), None
            ),
            "a crawl half done",
        )
        wait_for(lambda: held_site.arrived, "the held page was requested")
        child = run.pid
        assert child is not None and child != process.process.pid
        process.process.send_signal(signal.SIGKILL)
        process.process.wait()
        os.kill(child, signal.SIGKILL)
        wait_for(lambda: not pid_alive(child), "the crawl process is gone")
    held_site.release()

    (left,) = runs_of(url)
    assert left.status == "running"  # nobody could record it
    store = open_store(url)
    try:
        # `tracker status` sees that its process is gone: closed as killed, and says so.
        settings = load_settings(config)
        report = status_report(store, settings, datetime.now(UTC))
        assert any(
            f"last run {left.id} killed: its crawl process {child}" in problem
            for problem in report.problems
        ), report.problems
        with store.sessions() as session:
            listings = session.scalars(select(Listing)).all()
            checked = [x for x in listings if x.last_checked_at is not None]
            assert len(checked) == left.checks  # counters and checks were written together
            for listing in listings:
                if listing.current_span_id is not None:
                    span = session.get_one(ObservationSpan, listing.current_span_id)
                    assert span.listing_id == listing.id
    finally:
        store.close()

    with scheduler(config, held_site.url, tmp_path / "scheduler-2.log") as process:
        closed = wait_for(
            lambda: next(
                (r for r in runs_of(url) if r.id == left.id and r.status == "killed"), None
            ),
            "the dead run closed as killed",
        )
        assert f"its crawl process {child}" in (closed.error or "")
        wait_for(lambda: any(r.status == "ok" for r in runs_of(url)), "a fresh crawl")
        assert process.stop() == 0


def test_sigterm_stops_the_running_crawl_and_records_it(
    tmp_path: Path, held_site: HeldSite
) -> None:
    url = sqlite_url(tmp_path)
    write_catalog(tmp_path, {"cosmicnootropic": {"every": "1h", "jitter": 0}})
    config = write_settings(tmp_path, url, batch_size=1)
    with scheduler(config, held_site.url, tmp_path / "scheduler.log") as process:
        wait_for(
            lambda: any(r.status == "running" and r.checks >= 2 for r in runs_of(url)),
            "a crawl under way",
        )
        wait_for(lambda: held_site.arrived, "the held page was requested")
        process.process.send_signal(signal.SIGTERM)
        held_site.release()
        assert process.stop() == 0
    (run,) = runs_of(url)
    assert run.status in ("ok", "partial", "failed") and run.finished_at is not None
    assert "scheduler stopped" in (tmp_path / "scheduler.log").read_text()


def test_crawl_render_and_scheduler_write_one_sqlite_file_at_once(
    tmp_path: Path, held_site: HeldSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    held_site.release()  # nothing held here
    url = sqlite_url(tmp_path)
    write_catalog(
        tmp_path, {"harbor-health": EVERY_SECOND, "cosmicnootropic": {"every": "1d", "jitter": 0}}
    )
    config = write_settings(tmp_path, url, batch_size=1)
    monkeypatch.setenv("TRACKER_CONFIG", str(config))
    monkeypatch.setenv("SAMPLE_SITE", held_site.url)
    settings = load_settings()
    log = tmp_path / "scheduler.log"
    with scheduler(config, held_site.url, log) as process:
        wait_for(
            lambda: any(r.status == "running" for r in runs_of(url, "harbor-health")),
            "a scheduled crawl running",
        )
        store = open_store(url)
        try:
            outcome: dict[str, object] = {}

            def crawl() -> None:
                outcome["run"] = services.crawl(settings, store, "cosmicnootropic")

            thread = threading.Thread(target=crawl)
            thread.start()
            renders = 0
            while thread.is_alive() or renders < 3:
                report = render_articles(settings, store)
                assert report.errors == []
                renders += 1
            thread.join()
        finally:
            store.close()
        run = outcome["run"]
        assert getattr(run, "status", None) == "ok", run
        wait_for(
            lambda: any(r.status == "ok" for r in runs_of(url, "harbor-health")),
            "a scheduled crawl finished",
        )
        assert process.stop() == 0
    text_of_log = log.read_text()
    assert "locked" not in text_of_log and "Traceback" not in text_of_log, text_of_log
    for path in (tmp_path / "var" / "logs").glob("crawl-*.log"):
        assert "database is locked" not in path.read_text(errors="replace"), path
    runs = runs_of(url)
    assert not [r.error for r in runs if "locked" in (r.error or "")]


def test_a_crawl_child_killed_under_a_live_runner_is_recorded_as_killed(
    tmp_path: Path, held_site: HeldSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = sqlite_url(tmp_path)
    write_catalog(tmp_path, {"cosmicnootropic": {"every": "1h"}})
    config = write_settings(tmp_path, url, batch_size=1)
    monkeypatch.setenv("TRACKER_CONFIG", str(config))
    monkeypatch.setenv("SAMPLE_SITE", held_site.url)
    settings = load_settings()
    store = open_store(url)
    try:
        services.sync_catalog_file(store, settings.catalog)
        outcome: list[object] = []
        thread = threading.Thread(
            target=lambda: outcome.append(services.crawl(settings, store, "cosmicnootropic"))
        )
        thread.start()
        wait_for(lambda: held_site.arrived, "the held page was requested")
        (run,) = runs_of(url)
        assert run.pid is not None
        os.kill(run.pid, signal.SIGKILL)
        thread.join(timeout=60)
        held_site.release()
    finally:
        store.close()
    (snapshot,) = outcome
    assert getattr(snapshot, "status", None) == "killed"
    assert "killed by SIGKILL" in (getattr(snapshot, "error", None) or "")


def test_scheduler_on_postgresql(pg_url: str, tmp_path: Path, held_site: HeldSite) -> None:
    """The scale-out database: the same scheduler, job store and crawls on PostgreSQL."""
    held_site.release()
    write_catalog(tmp_path, {"harbor-health": EVERY_SECOND})
    config = write_settings(tmp_path, pg_url)
    with scheduler(config, held_site.url, tmp_path / "scheduler.log") as process:
        wait_for(
            lambda: len([r for r in runs_of(pg_url, "harbor-health") if r.status == "ok"]) >= 2,
            "two good runs on PostgreSQL",
        )
        assert process.stop() == 0
    assert "Traceback" not in (tmp_path / "scheduler.log").read_text()
    assert set(job_ids(pg_url)) == {"crawl:harbor-health"}
    assert_no_overlap(runs_of(pg_url, "harbor-health"))
