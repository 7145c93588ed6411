"""The job store in the tracker's database: sync from the catalog, pause, run-now, broken jobs."""

from __future__ import annotations

import pickle
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

from tests.conftest import NOW
from tests.scheduling import write_catalog
from tracker import services
from tracker.cli import main
from tracker.config import Settings
from tracker.scheduling.jobstore import (
    JOB_FUNCTION,
    STORE_ALIAS,
    JobStoreError,
    job_id,
    job_rows,
    opened_jobs,
    run_now,
    set_paused,
    sync_store_jobs,
    vendor_schedules,
)
from tracker.scheduling.runners import LocalRunner
from tracker.scheduling.scheduler import SchedulerContext, catch_up, prepare
from tracker.store.engine import Store

HOURLY = {"every": "1h", "jitter": 0}


def settings_for(tmp_path: Path, url: str) -> Settings:
    return Settings(root=tmp_path, database_url=url).resolved()


def sync(store: Store, settings: Settings, folder: Path, schedules: dict[str, dict]) -> object:
    path = write_catalog(folder, schedules)
    services.sync_catalog_file(store, path, {"SAMPLE_SITE": "http://127.0.0.1:9"})
    return sync_store_jobs(store, settings)


def stored_next_runs(store: Store) -> dict[str, float | None]:
    with store.engine.connect() as connection:
        rows = connection.execute(text("SELECT id, next_run_time FROM apscheduler_jobs"))
        return {row[0]: row[1] for row in rows}


def test_sync_adds_changes_and_removes_jobs(store: Store, tmp_path: Path) -> None:
    settings = settings_for(tmp_path, store.engine.url.render_as_string(hide_password=False))
    report = sync(store, settings, tmp_path, {"cosmicnootropic": HOURLY, "harbor-health": {}})
    assert (report.added, report.changed, report.removed) == (
        ["cosmicnootropic", "harbor-health"],
        [],
        [],
    )
    before = stored_next_runs(store)
    report = sync(store, settings, tmp_path, {"cosmicnootropic": HOURLY, "harbor-health": {}})
    assert (report.added, report.changed, report.removed) == ([], [], [])
    assert stored_next_runs(store) == before  # an unchanged job keeps its next run

    set_paused(store, "cosmicnootropic", True)
    report = sync(store, settings, tmp_path, {"cosmicnootropic": {"every": "2h"}})
    assert (report.added, report.changed, report.removed) == (
        [],
        ["cosmicnootropic"],
        ["harbor-health"],
    )
    rows, broken = job_rows(store)
    assert broken == {}
    assert set(rows) == {"cosmicnootropic"}
    assert rows["cosmicnootropic"].paused  # a pause survives a changed schedule

    next_run = set_paused(store, "cosmicnootropic", False)
    assert next_run is not None
    assert not job_rows(store)[0]["cosmicnootropic"].paused


def test_pause_resume_and_run_now_of_unknown_vendor(store: Store, tmp_path: Path) -> None:
    settings = settings_for(tmp_path, store.engine.url.render_as_string(hide_password=False))
    sync(store, settings, tmp_path, {"harbor-health": HOURLY})
    for action in (
        lambda: set_paused(store, "nobody", True),
        lambda: set_paused(store, "nobody", False),
        lambda: run_now(store, "nobody", NOW),
    ):
        with pytest.raises(LookupError, match="no scheduled job for vendor 'nobody'"):
            action()
    run_now(store, "harbor-health", NOW)
    rows, _ = job_rows(store)
    assert rows["harbor-health"].run_now
    assert "run-now:harbor-health" in stored_next_runs(store)


def stored_function(store: Store, job_id: str) -> str:
    with store.engine.connect() as connection:
        state = connection.execute(
            text("SELECT job_state FROM apscheduler_jobs WHERE id = :id"), {"id": job_id}
        ).scalar_one()
    return str(pickle.loads(state)["func"])


def set_stored_function(store: Store, job_id: str, func: str) -> None:
    """Make a stored job name another function, as a job stored by an older version does."""
    with store.engine.begin() as connection:
        state = connection.execute(
            text("SELECT job_state FROM apscheduler_jobs WHERE id = :id"), {"id": job_id}
        ).scalar_one()
        job = pickle.loads(state)
        assert job["func"] == JOB_FUNCTION
        job["func"] = func
        connection.execute(
            text("UPDATE apscheduler_jobs SET job_state = :state WHERE id = :id"),
            {"state": pickle.dumps(job), "id": job_id},
        )


def break_job(store: Store, job_id: str) -> None:
    """Make a stored job name a function that does not exist (as after a bad rename)."""
    set_stored_function(store, job_id, "tracker.nowhere:crawl_vendor")


def test_a_job_stored_under_the_old_module_name_loads_and_is_rewritten(
    store: Store, tmp_path: Path
) -> None:
    settings = settings_for(tmp_path, store.engine.url.render_as_string(hide_password=False))
    sync(store, settings, tmp_path, {"harbor-health": HOURLY, "cosmicnootropic": HOURLY})
    set_paused(store, "harbor-health", True)
    before = stored_next_runs(store)
    for ident in ("crawl:harbor-health", "crawl:cosmicnootropic"):
        set_stored_function(store, ident, "tracker.scheduler:crawl_vendor")

    rows, broken = job_rows(store)
    assert broken == {}
    assert rows["harbor-health"].paused and not rows["cosmicnootropic"].paused

    prepare(SchedulerContext(settings, store, LocalRunner(settings, store), catch_up=False))
    assert stored_function(store, "crawl:harbor-health") == JOB_FUNCTION
    assert stored_function(store, "crawl:cosmicnootropic") == JOB_FUNCTION
    assert stored_next_runs(store) == before  # pause and next run time kept


def test_a_job_the_store_cannot_load_is_kept_and_reported(store: Store, tmp_path: Path) -> None:
    settings = settings_for(tmp_path, store.engine.url.render_as_string(hide_password=False))
    sync(store, settings, tmp_path, {"harbor-health": HOURLY})
    with opened_jobs(store) as (scheduler, _jobstore):
        scheduler.add_job(JOB_FUNCTION, "interval", hours=1, id="other:job", args=["x"])
    break_job(store, "other:job")

    rows, broken = job_rows(store)
    assert set(rows) == {"harbor-health"}
    assert "other:job" in broken and "nowhere" in broken["other:job"]
    assert stored_next_runs(store)["other:job"] is None  # kept, parked

    context = SchedulerContext(settings, store, LocalRunner(settings, store))
    with pytest.raises(JobStoreError, match="cannot be loaded: other:job"):
        prepare(context)
    assert "other:job" in stored_next_runs(store)

    result = CliRunner().invoke(main, ["--config", str(write_config(tmp_path, settings)), "status"])
    assert result.exit_code == 1
    assert "job other:job cannot be loaded" in result.output


def test_a_broken_vendor_job_is_rewritten_from_the_catalog(store: Store, tmp_path: Path) -> None:
    settings = settings_for(tmp_path, store.engine.url.render_as_string(hide_password=False))
    sync(store, settings, tmp_path, {"harbor-health": HOURLY})
    break_job(store, "crawl:harbor-health")
    context = SchedulerContext(settings, store, LocalRunner(settings, store))
    prepare(context)  # the start-up sync replaces it: the catalog defines vendor jobs
    rows, broken = job_rows(store)
    assert broken == {} and not rows["harbor-health"].paused


def write_config(folder: Path, settings: Settings) -> Path:
    path = folder / "status.toml"
    path.write_text(f'database_url = "{settings.database_url}"\n', encoding="utf-8")
    return path


@pytest.mark.slow
def test_schedule_commands_and_status(project: Settings) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["catalog", "sync"])
    assert result.exit_code == 0, result.output
    assert "scheduler jobs: 4 added, 0 changed, 0 removed" in result.output

    result = runner.invoke(main, ["status"])
    assert result.exit_code == 1  # nothing crawled yet
    assert "no good price yet" in result.output

    result = runner.invoke(main, ["schedule", "pause", "peptide-corner"])
    assert result.exit_code == 0 and "paused peptide-corner" in result.output
    result = runner.invoke(main, ["schedule", "list"])
    assert result.exit_code == 0
    line = next(x for x in result.output.splitlines() if "peptide-corner" in x)
    assert "paused" in line and "every 6h ±5m" in line and "never" in line
    result = runner.invoke(main, ["schedule", "resume", "peptide-corner"])
    assert result.exit_code == 0 and "resumed peptide-corner: next run" in result.output
    result = runner.invoke(main, ["schedule", "run-now", "harbor-health"])
    assert result.exit_code == 0 and "queued a crawl of harbor-health" in result.output
    result = runner.invoke(main, ["schedule", "pause", "nobody"])
    assert result.exit_code == 1 and "no scheduled job for vendor 'nobody'" in result.output

    result = runner.invoke(main, ["crawl"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["feeds", "run"])  # the feed-priced sample vendor
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["status"])
    assert result.exit_code == 0, result.output
    assert "All good." in result.output and "Scheduler: not running" in result.output


@pytest.mark.parametrize(
    ("schedule", "next_run", "caught_up", "after"),
    [
        # the regular run 17 s away is the catch-up: nothing is brought forward
        ({"every": "6h", "jitter": 0}, NOW + timedelta(seconds=17), False, None),
        # brought forward; the interval runs on from the catch-up, not from its old grid
        ({"every": "6h", "jitter": 0}, NOW + timedelta(hours=5), True, NOW + timedelta(hours=6)),
        # a cron schedule: brought forward only when its next run is over half a period away
        ({"cron": "0 */6 * * *", "jitter": 0}, NOW + timedelta(hours=4), True, None),
        ({"cron": "0 */6 * * *", "jitter": 0}, NOW + timedelta(hours=2), False, None),
    ],
)
def test_a_catch_up_is_the_vendors_run_for_its_schedule(
    store: Store,
    tmp_path: Path,
    schedule: dict[str, object],
    next_run: datetime,
    caught_up: bool,
    after: datetime | None,
) -> None:
    settings = settings_for(tmp_path, store.engine.url.render_as_string(hide_password=False))
    sync(store, settings, tmp_path, {"cosmicnootropic": schedule})  # never crawled
    ident = job_id("cosmicnootropic")
    with opened_jobs(store) as (scheduler, _jobstore):
        scheduler.modify_job(ident, jobstore=STORE_ALIAS, next_run_time=next_run)
        soon = catch_up(scheduler, store, vendor_schedules(store, settings), NOW)
        job = scheduler.get_job(ident, jobstore=STORE_ALIAS)
    assert soon == (["cosmicnootropic"] if caught_up else [])
    assert job.next_run_time == (NOW if caught_up else next_run)
    if after is not None:
        assert job.trigger.get_next_fire_time(NOW, NOW) == after
