"""`tracker status`: problems and notes, dead-run recovery, the one-scheduler rule.

Most tests use a fixed `now`; the last ones run the real commands (demo, crawl, status).
"""

from __future__ import annotations

import json
import os
import socket
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from tests.scheduling import runs_of, write_catalog, write_settings
from tracker import services
from tracker.cli import main
from tracker.cli.output import print_prices
from tracker.cli.schedule import status_json
from tracker.config import Settings
from tracker.domain import Availability, Check, CheckStatus, Offer, RunStatus
from tracker.profile import VendorDisplay, VendorProfile
from tracker.rules import GatePolicy
from tracker.scheduling.jobstore import STORE_ALIAS, job_id, opened_jobs, sync_store_jobs
from tracker.scheduling.recovery import close_dead_runs
from tracker.scheduling.scheduler import SchedulerError, beat, claim, release
from tracker.scheduling.status import status_report
from tracker.store import repo
from tracker.store.alerts import add_message
from tracker.store.engine import Store
from tracker.store.models import CrawlRun, Listing, SchedulerState, Vendor


def prepared(
    store: Store, tmp_path: Path, vendors: tuple[str, ...] = ("harbor-health",), jobs: bool = True
) -> Settings:
    url = store.engine.url.render_as_string(hide_password=False)
    settings = Settings(root=tmp_path, database_url=url).resolved()
    path = write_catalog(tmp_path, {vendor: {"every": "1h"} for vendor in vendors})
    services.sync_catalog_file(store, path, {"SAMPLE_SITE": "http://127.0.0.1:9"})
    if jobs:
        sync_store_jobs(store, settings)
    return settings


def set_listings(store: Store, **values: object) -> None:
    with store.sessions.begin() as session:
        session.execute(update(Listing).values(**values))


# No process has this pid: Linux gives pids below pid_max, which is at most 2**22.
DEAD_PID = 2**22


def add_run(store: Store, now: datetime, **values: object) -> int:
    with store.sessions.begin() as session:
        run = repo.start_run(session, vendor_slug="harbor-health", now=now)
        for name, value in values.items():
            setattr(run, name, value)
        return run.id


def test_all_good_when_every_listing_is_fresh(store: Store, tmp_path: Path, now: datetime) -> None:
    settings = prepared(store, tmp_path)
    set_listings(store, last_ok_at=now - timedelta(hours=1), consecutive_failures=0)
    run_id = add_run(store, now - timedelta(hours=1))
    with store.sessions.begin() as session:
        repo.finish_run(session, run_id, now - timedelta(minutes=59), RunStatus.OK)
    report = status_report(store, settings, now)
    assert report.problems == []
    (row,) = report.vendors
    assert row.last_run is not None and row.last_run.status == "ok" and row.next_run


@pytest.mark.parametrize(
    ("listing", "run", "expected"),
    [
        ({"last_ok_at": None}, None, "no good price yet"),
        ({"hours_old": 30}, None, "older than 24 hours"),
        (
            {"hours_old": 1, "consecutive_failures": 3, "last_status": "timeout"},
            None,
            "failed 3 times in a row (timeout",
        ),
        ({"hours_old": 1}, {"status": "failed", "error": "boom"}, "last run"),
        ({"hours_old": 1}, {"status": "killed", "error": "gone"}, "killed: gone"),
        # overdue: closed as killed, and shown so
        (
            {"hours_old": 1},
            {"status": "running", "hours_ago": 2},
            "killed: it was still running 7200 s after its start, past its time limit of 1800 s",
        ),
    ],
)
def test_problems_need_the_operator(
    store: Store,
    tmp_path: Path,
    now: datetime,
    listing: dict[str, object],
    run: dict[str, object] | None,
    expected: str,
) -> None:
    settings = prepared(store, tmp_path)
    listing = dict(listing)
    if "hours_old" in listing:
        listing["last_ok_at"] = now - timedelta(hours=float(listing.pop("hours_old")))  # type: ignore[arg-type]
    set_listings(store, **listing)
    if run is not None:
        started = now - timedelta(hours=float(run.get("hours_ago", 1)))  # type: ignore[arg-type]
        run_id = add_run(store, started)
        if run["status"] != "running":
            with store.sessions.begin() as session:
                repo.finish_run(
                    session, run_id, started, RunStatus(run["status"]), str(run["error"])
                )
    report = status_report(store, settings, now)
    assert report.needs_operator
    assert any(expected in problem for problem in report.problems), report.problems


def test_status_and_prices_follow_the_vendors_own_max_age(
    store: Store, tmp_path: Path, now: datetime, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = prepared(store, tmp_path)
    seen = now - timedelta(hours=30)
    with store.sessions.begin() as session:
        ids = list(session.scalars(select(Listing.id)))
        repo.record_checks(session, [reading(i, seen) for i in ids], GatePolicy())
    assert any("older than 24 hours" in p for p in status_report(store, settings, now).problems)
    print_prices(services.current_prices(store), settings, now)
    assert "(stale)" in capsys.readouterr().out

    with store.sessions.begin() as session:  # the vendor's own max age: 48 hours
        vendor = session.scalars(select(Vendor)).one()
        vendor.profile = VendorProfile(display=VendorDisplay(max_age_hours=48))
    assert status_report(store, settings, now).problems == []
    print_prices(services.current_prices(store), settings, now)
    assert "(stale)" not in capsys.readouterr().out


def reading(listing_id: int, when: datetime) -> Check:
    offer = Offer(Decimal("75.00"), "USD", Availability.IN_STOCK)
    return Check(listing_id, CheckStatus.OK, when, offer=offer)


def test_dead_local_runs_are_closed_live_and_foreign_ones_kept(
    store: Store, tmp_path: Path, now: datetime, refused_url: str
) -> None:
    settings = prepared(store, tmp_path)
    here = socket.gethostname()
    dead = add_run(store, now, host=here, pid=DEAD_PID)
    live = add_run(store, now, host=here, pid=os.getpid())
    elsewhere = add_run(store, now, host="another-host", pid=DEAD_PID)
    unreachable = add_run(store, now, runner="scrapyd", node=refused_url, job_id="x")
    closed = close_dead_runs(store, settings, now)
    assert len(closed) == 1 and f"run {dead} closed as killed" in closed[0]
    with store.sessions() as session:
        status = {
            run_id: session.get_one(CrawlRun, run_id).status
            for run_id in (dead, live, elsewhere, unreachable)
        }
    assert status == {dead: "killed", live: "running", elsewhere: "running", unreachable: "running"}


def test_one_scheduler_per_database(store: Store, tmp_path: Path, now: datetime) -> None:
    settings = prepared(store, tmp_path)
    here = socket.gethostname()
    with store.sessions.begin() as session:  # a live scheduler: our parent process
        session.add(
            SchedulerState(
                name="scheduler", host=here, pid=os.getppid(), started_at=now, beat_at=now
            )
        )
    with pytest.raises(SchedulerError, match="another scheduler is running"):
        claim(store, settings, now)
    with store.sessions.begin() as session:  # that one died: a new one may start
        session.get_one(SchedulerState, "scheduler").pid = DEAD_PID
    claim(store, settings, now)
    later = now + timedelta(minutes=5)
    beat(store, later)
    report = status_report(store, settings, later)
    assert report.scheduler.startswith("running")
    silent = status_report(store, settings, later + timedelta(minutes=5))
    assert any("silent" in problem for problem in silent.problems)
    release(store)
    assert status_report(store, settings, later).scheduler == "not running"


def test_vendors_never_scheduled_are_a_note_not_a_problem(
    store: Store, tmp_path: Path, now: datetime
) -> None:
    """No scheduler was ever set up (as after `tracker demo`): nothing is wrong."""
    settings = prepared(store, tmp_path, ("harbor-health", "peptide-corner"), jobs=False)
    set_listings(store, last_ok_at=now - timedelta(hours=1), consecutive_failures=0)
    report = status_report(store, settings, now)
    assert report.problems == [] and not report.needs_operator
    assert [(row.vendor, row.scheduled) for row in report.vendors] == [
        ("harbor-health", False),
        ("peptide-corner", False),
    ]
    (note,) = report.notes
    assert "not scheduled" in note and "`tracker schedule run`" in note


def test_a_vendor_missing_from_a_store_with_jobs_needs_the_operator_until_catalog_sync(
    store: Store, tmp_path: Path, now: datetime, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = prepared(store, tmp_path, ("harbor-health", "peptide-corner"))
    set_listings(store, last_ok_at=now - timedelta(hours=1), consecutive_failures=0)
    with opened_jobs(store) as (scheduler, _jobstore):
        scheduler.remove_job(job_id("peptide-corner"), jobstore=STORE_ALIAS)
    report = status_report(store, settings, now)
    assert report.problems == [
        "vendor peptide-corner: no scheduled job (run `tracker catalog sync`)"
    ]
    assert report.notes == []

    # The hint holds: `tracker catalog sync` writes the missing job.
    config = write_settings(tmp_path, settings.database_url)
    monkeypatch.setenv("SAMPLE_SITE", "http://127.0.0.1:9")
    result = CliRunner().invoke(main, ["--config", str(config), "catalog", "sync"])
    assert result.exit_code == 0, result.output
    assert "scheduler jobs: 1 added" in result.output
    report = status_report(store, settings, now)
    assert report.problems == [] and all(row.scheduled for row in report.vendors)


def test_schedule_run_names_a_catalog_it_cannot_read(tmp_path: Path) -> None:
    config = write_settings(tmp_path, f"sqlite:///{tmp_path / 'tracker.db'}")
    write_catalog(tmp_path, {"harbor-health": {"every": "1h"}})  # needs SAMPLE_SITE, unset
    result = CliRunner().invoke(main, ["--config", str(config), "schedule", "run"])
    assert result.exit_code == 1
    assert "environment variable SAMPLE_SITE is not set" in result.output
    assert isinstance(result.exception, SystemExit)  # a message, not a traceback


def vendor_lines(output: str, vendors: list[str]) -> dict[str, str]:
    lines = output.splitlines()
    return {vendor: next(line for line in lines if f" {vendor} " in line) for vendor in vendors}


SAMPLE_VENDORS = ["cosmicnootropic", "harbor-health", "peptide-corner"]


@pytest.mark.slow
def test_status_after_the_demo_shows_its_crawl_and_needs_nothing(project: Settings) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["demo"])
    assert result.exit_code == 0, result.output

    result = runner.invoke(main, ["status"])
    assert result.exit_code == 0, result.output
    for vendor, line in vendor_lines(result.output, SAMPLE_VENDORS).items():
        assert "never" not in line and " ok " in line and "not scheduled" in line, (vendor, line)
    assert "`tracker schedule run`" in result.output and "needs attention" not in result.output
    assert "All good." in result.output

    result = runner.invoke(main, ["schedule", "list"])
    assert result.exit_code == 0, result.output
    for vendor, line in vendor_lines(result.output, SAMPLE_VENDORS).items():
        assert " ok " in line and "not scheduled" in line, (vendor, line)


@pytest.mark.slow
def test_a_crawl_of_all_vendors_records_one_run_per_vendor(project: Settings) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["crawl"])  # nothing synced yet: nothing to crawl
    assert result.exit_code == 1 and "no active listings to crawl" in result.output
    assert runs_of(project.database_url) == []
    assert runner.invoke(main, ["catalog", "sync"]).exit_code == 0
    result = runner.invoke(main, ["crawl"])
    assert result.exit_code == 0, result.output
    for vendor, line in vendor_lines(result.output, SAMPLE_VENDORS).items():
        assert " ok " in line, (vendor, line)

    runs = runs_of(project.database_url)
    per_vendor = {
        vendor: [(r.status, r.expected, r.checks) for r in runs_of(project.database_url, vendor)]
        for vendor in SAMPLE_VENDORS
    }
    assert per_vendor == {
        "cosmicnootropic": [("ok", 4, 4)],
        "harbor-health": [("ok", 2, 2)],
        "peptide-corner": [("ok", 2, 2)],
    }
    assert len(runs) == 3  # and none without a vendor
    assert len({run.pid for run in runs}) == 1  # one crawl process did them all

    assert runner.invoke(main, ["feeds", "run"]).exit_code == 0  # the feed-priced vendor
    result = runner.invoke(main, ["status"])
    assert result.exit_code == 0, result.output
    for vendor, line in vendor_lines(result.output, SAMPLE_VENDORS).items():
        assert "never" not in line and " ok " in line, (vendor, line)


def test_status_json_and_a_failing_alert_channel(
    store: Store, tmp_path: Path, now: datetime
) -> None:
    settings = prepared(store, tmp_path)
    set_listings(store, last_ok_at=now - timedelta(hours=1), consecutive_failures=0)
    run_id = add_run(store, now - timedelta(hours=1))
    with store.sessions.begin() as session:
        repo.finish_run(session, run_id, now - timedelta(minutes=59), RunStatus.FAILED, None)
        message = add_message(
            session,
            now=now,
            rule="page_gone",
            subject="listing:1",
            channel="ops",
            title="t",
            body="b",
        )
        message.attempts, message.last_error = 2, "Failed to send: error=500."
    report = status_report(store, settings, now)
    assert "vendor harbor-health: last run 1 failed: no reason recorded" in report.problems
    assert any(
        "alerts: 1 message(s) for channel ops" in p and "error=500" in p for p in report.problems
    ), report.problems
    found = status_json(report)
    assert json.loads(json.dumps(found)) == found
    (vendor,) = found["vendors"]  # type: ignore[misc]
    assert vendor["last_run"]["status"] == "failed" and found["needs_operator"] is True
