"""The scheduler's jobs, kept by APScheduler's SQLAlchemy job store in the tracker's database.

One job per active vendor, id ``crawl:SLUG``, calling
``tracker.scheduling.scheduler:crawl_vendor`` with the vendor's slug. The store is shared by
the scheduler process and the commands that change it (`tracker catalog sync`, `tracker
schedule pause|resume|run-now`): those open the store through a scheduler started paused,
which never runs a job, and the running scheduler sees their changes at its next wake-up (at
most ``schedule.resync_seconds`` later).

Pausing uses APScheduler's own pause (the job's next run time is cleared in the store), so
the pause is operator state in the database and survives restarts and catalog syncs.

Jobs stored before the scheduler moved into ``tracker.scheduling`` name the function by its
old module (``LEGACY_JOB_FUNCTIONS``): they load under the new name, keep their next run time
and pause, and the scheduler rewrites them at start.
"""

from __future__ import annotations

import logging
import pickle
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from apscheduler.triggers.date import DateTrigger
from sqlalchemy import and_, select, update

from tracker.config import Settings
from tracker.scheduling.triggers import Schedule
from tracker.store.engine import Store
from tracker.store.models import Vendor

log = logging.getLogger(__name__)

JOB_FUNCTION = "tracker.scheduling.scheduler:crawl_vendor"
LEGACY_JOB_FUNCTIONS = frozenset({"tracker.scheduler:crawl_vendor"})
JOB_PREFIX = "crawl:"
RUN_NOW_PREFIX = "run-now:"
STORE_ALIAS = "default"


class JobStoreError(Exception):
    """A job in the store that cannot be loaded; the message names it and the fix."""


class StrictJobStore(SQLAlchemyJobStore):
    """APScheduler's store, except that a job it cannot load is kept and reported, not deleted.

    APScheduler logs such a job and deletes its row. Here the row stays, parked (no next run
    time, so the scheduler does not spin on it), and ``broken`` names it with the reason, for
    the scheduler's start check, `tracker schedule list` and `tracker status`.
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.broken: dict[str, str] = {}
        self.renamed: set[str] = set()  # loaded from an old function name; rewrite them

    def _get_jobs(self, *conditions: Any) -> list[Job]:
        query = select(self.jobs_t.c.id, self.jobs_t.c.job_state).order_by(
            self.jobs_t.c.next_run_time
        )
        if conditions:
            query = query.where(and_(*conditions))
        with self.engine.begin() as connection:
            rows = connection.execute(query).all()
        jobs = []
        for row in rows:
            try:
                jobs.append(self._reconstitute_job(row.job_state))
            except Exception as exc:  # whatever unpickling raises: report, keep, park
                self._report_broken(row.id, f"{type(exc).__name__}: {exc}")
            else:
                self.broken.pop(row.id, None)
        return jobs

    def _reconstitute_job(self, job_state: bytes) -> Job:
        state = pickle.loads(job_state)
        if state.get("func") in LEGACY_JOB_FUNCTIONS:
            state["func"] = JOB_FUNCTION
            self.renamed.add(state["id"])
        state["jobstore"] = self
        job = Job.__new__(Job)
        job.__setstate__(state)
        job._scheduler = self._scheduler
        job._jobstore_alias = self._alias
        return job

    def rewrite_renamed(self, jobs: list[Job]) -> list[str]:
        """Store the jobs loaded from an old function name under the current one."""
        rewritten = []
        for job in jobs:
            if job.id in self.renamed:
                self.update_job(job)
                self.renamed.discard(job.id)
                rewritten.append(job.id)
        return rewritten

    def _report_broken(self, job_id: str, reason: str) -> None:
        if job_id not in self.broken:
            log.error(
                "job %r in the job store cannot be loaded (%s): it is kept and will not run; "
                "`tracker catalog sync` rewrites a vendor's job, or delete the row from "
                "apscheduler_jobs",
                job_id,
                reason,
            )
        self.broken[job_id] = reason
        with self.engine.begin() as connection:
            connection.execute(
                update(self.jobs_t).where(self.jobs_t.c.id == job_id).values(next_run_time=None)
            )

    def all_ids(self) -> list[str]:
        with self.engine.begin() as connection:
            return list(connection.scalars(select(self.jobs_t.c.id)))


def job_id(vendor: str) -> str:
    return f"{JOB_PREFIX}{vendor}"


def job_options(schedule: Schedule) -> dict[str, Any]:
    """What every vendor job gets: one instance, coalesced, a grace time near its interval."""
    return {
        "trigger": schedule.trigger(),
        "max_instances": 1,
        "coalesce": True,
        "misfire_grace_time": schedule.misfire_grace_seconds(),
        "replace_existing": True,
        "jobstore": STORE_ALIAS,
    }


class StoreOnlyScheduler(BaseScheduler):
    """A scheduler without a loop: it opens the job store to edit jobs and never runs one.

    (A paused ``BackgroundScheduler`` is not enough: its thread processes due jobs once
    more while it shuts down.)
    """

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)

    def wakeup(self) -> None:
        pass

    def _process_jobs(self) -> float | None:
        return None


@contextmanager
def opened_jobs(store: Store) -> Iterator[tuple[StoreOnlyScheduler, StrictJobStore]]:
    """The job store behind a scheduler that never runs a job."""
    jobstore = StrictJobStore(engine=store.engine)
    scheduler = StoreOnlyScheduler(timezone=UTC, jobstores={STORE_ALIAS: jobstore})
    scheduler.start(paused=True)
    try:
        yield scheduler, jobstore
    finally:
        scheduler.shutdown(wait=False)


def vendor_schedules(store: Store, settings: Settings) -> dict[str, Schedule]:
    """The effective schedule of every active vendor, from the synced catalog."""
    defaults = settings.schedule
    with store.sessions() as session:
        vendors = session.scalars(select(Vendor).where(Vendor.active)).all()
        stored = {v.slug: v.profile.schedule for v in vendors}
    return {
        slug: Schedule.of(entry, defaults.default_every, defaults.default_jitter)
        for slug, entry in stored.items()
    }


@dataclass
class JobSyncReport:
    added: list[str]
    changed: list[str]
    removed: list[str]


def sync_jobs(
    scheduler: Any, jobstore: StrictJobStore, schedules: dict[str, Schedule]
) -> JobSyncReport:
    """Make the store hold one job per vendor with its current schedule.

    A job whose schedule did not change is left alone (its next run time and pause stay); a
    changed one is replaced and keeps its pause; jobs of vendors that left the catalog go.
    """
    report = JobSyncReport([], [], [])
    existing = {job.id: job for job in scheduler.get_jobs(jobstore=STORE_ALIAS)}
    stored_ids = set(jobstore.all_ids())
    for vendor, schedule in sorted(schedules.items()):
        ident = job_id(vendor)
        job = existing.get(ident)
        if job is not None and job.kwargs.get("schedule") == schedule.fingerprint():
            continue
        paused = job is not None and job.next_run_time is None
        scheduler.add_job(
            JOB_FUNCTION,
            id=ident,
            name=f"crawl {vendor}",
            args=[vendor],
            kwargs={"schedule": schedule.fingerprint()},
            **job_options(schedule),
        )
        if paused:
            scheduler.pause_job(ident, jobstore=STORE_ALIAS)
        (report.added if ident not in stored_ids else report.changed).append(vendor)
    for ident in sorted(stored_ids):
        if ident.startswith(JOB_PREFIX) and ident.removeprefix(JOB_PREFIX) not in schedules:
            scheduler.remove_job(ident, jobstore=STORE_ALIAS)
            report.removed.append(ident.removeprefix(JOB_PREFIX))
    return report


def sync_store_jobs(store: Store, settings: Settings) -> JobSyncReport:
    """Sync the jobs from the vendors in the database (after `tracker catalog sync`)."""
    schedules = vendor_schedules(store, settings)
    with opened_jobs(store) as (scheduler, jobstore):
        return sync_jobs(scheduler, jobstore, schedules)


def set_paused(store: Store, vendor: str, paused: bool) -> datetime | None:
    """Pause or resume a vendor's job; return its next run time (None when paused)."""
    with opened_jobs(store) as (scheduler, _jobstore):
        try:
            job = (scheduler.pause_job if paused else scheduler.resume_job)(
                job_id(vendor), jobstore=STORE_ALIAS
            )
        except JobLookupError as exc:
            raise LookupError(
                f"no scheduled job for vendor {vendor!r} (run `tracker catalog sync` first)"
            ) from exc
        next_run: datetime | None = job.next_run_time if job is not None else None
        return next_run


def run_now(store: Store, vendor: str, now: datetime) -> None:
    """Queue a one-off crawl of the vendor, run by the scheduler at its next wake-up."""
    with opened_jobs(store) as (scheduler, _jobstore):
        if scheduler.get_job(job_id(vendor), jobstore=STORE_ALIAS) is None:
            raise LookupError(
                f"no scheduled job for vendor {vendor!r} (run `tracker catalog sync` first)"
            )
        scheduler.add_job(
            JOB_FUNCTION,
            trigger=DateTrigger(run_date=now, timezone=UTC),
            id=f"{RUN_NOW_PREFIX}{vendor}",
            name=f"run-now {vendor}",
            args=[vendor],
            kwargs={"trigger": "run-now"},
            misfire_grace_time=None,
            max_instances=1,
            coalesce=True,
            replace_existing=True,
            jobstore=STORE_ALIAS,
        )


@dataclass(frozen=True)
class JobRow:
    vendor: str
    next_run: datetime | None
    paused: bool
    run_now: bool


def job_rows(store: Store) -> tuple[dict[str, JobRow], dict[str, str]]:
    """The vendor jobs in the store, and the jobs it cannot load with the reason."""
    rows: dict[str, JobRow] = {}
    with opened_jobs(store) as (scheduler, jobstore):
        jobs = scheduler.get_jobs(jobstore=STORE_ALIAS)
        pending_now = {j.args[0] for j in jobs if j.id.startswith(RUN_NOW_PREFIX)}
        for job in jobs:
            if job.id.startswith(JOB_PREFIX):
                vendor = job.id.removeprefix(JOB_PREFIX)
                rows[vendor] = JobRow(
                    vendor, job.next_run_time, job.next_run_time is None, vendor in pending_now
                )
        return rows, dict(jobstore.broken)
