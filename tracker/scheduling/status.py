"""`tracker status`: what ran, what runs next, and what needs the operator.

A vendor without a job is a problem only where scheduling was set up (the job store holds
jobs, or a scheduler has recorded itself): a vendor left out of it will never be crawled.
On a database where no scheduler was ever set up (after `tracker demo`, or crawling by hand
with `tracker crawl`) every vendor is simply not scheduled yet: a note, not a problem.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select

from tracker.config import Settings
from tracker.domain import time_text
from tracker.rules import (
    is_unavailable,
    listing_problems,
    max_age,
    run_problem,
    scheduler_silent,
)
from tracker.scheduling.jobstore import job_rows, vendor_schedules
from tracker.scheduling.recovery import close_dead_runs
from tracker.store import alerts as stored_alerts
from tracker.store import links as stored_links
from tracker.store.engine import Store
from tracker.store.models import CrawlRun, Listing, SchedulerState, Vendor


@dataclass(frozen=True)
class VendorStatus:
    vendor: str
    schedule: str
    scheduled: bool  # the job store holds the vendor's job
    paused: bool
    next_run: datetime | None
    last_run: CrawlRun | None


@dataclass
class StatusReport:
    vendors: list[VendorStatus] = field(default_factory=list)
    scheduler: str = "not running"
    problems: list[str] = field(default_factory=list)  # each needs the operator: exit 1
    notes: list[str] = field(default_factory=list)  # worth knowing, nothing wrong

    @property
    def needs_operator(self) -> bool:
        return bool(self.problems)


def last_runs(store: Store) -> dict[str, CrawlRun]:
    """The newest run of each vendor (one query, whatever the history).

    Every run belongs to one vendor (a crawl of all vendors records one run per vendor);
    rows without a vendor, left by versions before that, are not any vendor's run.
    """
    with store.sessions() as session:
        newest = (
            select(func.max(CrawlRun.id))
            .where(CrawlRun.vendor_id.is_not(None))
            .group_by(CrawlRun.vendor_id)
            .scalar_subquery()
        )
        rows = session.execute(
            select(Vendor.slug, CrawlRun)
            .join(CrawlRun, CrawlRun.vendor_id == Vendor.id)
            .where(CrawlRun.id.in_(newest))
        ).all()
        return {slug: run for slug, run in rows}


def status_report(store: Store, settings: Settings, now: datetime) -> StatusReport:
    """What ran, what runs next, what needs the operator (runs found dead are closed first)."""
    report = StatusReport()
    close_dead_runs(store, settings, now, ask_nodes=False)
    schedules = vendor_schedules(store, settings)
    jobs, broken = job_rows(store)
    runs = last_runs(store)
    with store.sessions() as session:
        scheduler_state = session.get(SchedulerState, "scheduler")
    scheduling_set_up = bool(jobs or broken) or scheduler_state is not None
    unscheduled = []
    for vendor, schedule in sorted(schedules.items()):
        job = jobs.get(vendor)
        run = runs.get(vendor)
        report.vendors.append(
            VendorStatus(
                vendor,
                schedule.describe(),
                job is not None,
                bool(job and job.paused),
                job.next_run if job else None,
                run,
            )
        )
        if job is None and scheduling_set_up:
            report.problems.append(
                f"vendor {vendor}: no scheduled job (run `tracker catalog sync`)"
            )
        elif job is None:
            unscheduled.append(vendor)
        if run is not None:
            problem = run_problem(run.id, run.status, run.error)
            if problem:
                report.problems.append(f"vendor {vendor}: {problem}")
    if unscheduled:
        report.notes.append(
            f"not scheduled: {', '.join(unscheduled)} (no scheduler was set up on this "
            "database; `tracker schedule run` crawls each vendor at its time)"
        )
    for ident, reason in sorted(broken.items()):
        report.problems.append(f"job {ident} cannot be loaded: {reason}")
    report.scheduler, scheduler_problem = _scheduler_state(scheduler_state, settings, now)
    if scheduler_problem:
        report.problems.append(scheduler_problem)
    site_max_age = timedelta(hours=settings.site.max_age_hours)
    with store.sessions() as session:
        listings = session.execute(
            select(Vendor.slug, Vendor.profile, Listing)
            .join(Vendor, Listing.vendor_id == Vendor.id)
            .where(Listing.active, Vendor.active)
            .order_by(Vendor.slug, Listing.position, Listing.id)
        ).all()
    with store.sessions() as session:
        failing = stored_alerts.failing_channels(session)
        link_rows = stored_links.results(session)
    for vendor, key, check in link_rows:
        if check.broken_since is not None:
            report.problems.append(
                f"listing {vendor}:{key}: affiliate link broken since "
                f"{time_text(check.broken_since)} UTC: {check.failure or 'no reason recorded'}"
            )
    for channel, count, since, error in failing:
        report.problems.append(
            f"alerts: {count} message(s) for channel {channel} pending since "
            f"{time_text(since)} UTC, the channel failed: {error or 'no reason recorded'} "
            "(`tracker alerts log`)"
        )
    for vendor, profile, listing in listings:
        for problem in listing_problems(
            consecutive_failures=listing.consecutive_failures,
            last_status=listing.last_status,
            last_error=listing.last_error,
            last_ok_at=listing.last_ok_at,
            unavailable_at=(
                listing.seen_availability_at if is_unavailable(listing.seen_availability) else None
            ),
            now=now,
            limit=max_age(site_max_age, profile.display.max_age_hours),
        ):
            report.problems.append(f"listing {vendor}:{listing.key}: {problem}")
    return report


def _scheduler_state(
    state: SchedulerState | None, settings: Settings, now: datetime
) -> tuple[str, str | None]:
    if state is None:
        return "not running", None
    silent = now - state.beat_at
    where = f"pid {state.pid} on {state.host}"
    if scheduler_silent(state.beat_at, now, settings.schedule.resync_seconds):
        return (
            f"silent since {time_text(state.beat_at)} UTC ({where})",
            f"scheduler ({where}) silent for {int(silent.total_seconds())} s: is it still running?",
        )
    return f"running ({where}, since {time_text(state.started_at)} UTC)", None
