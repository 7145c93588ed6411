"""`tracker schedule run`: the one long-running scheduler process.

APScheduler 3 ``BlockingScheduler``; vendor jobs live in the tracker's database
(``tracker.scheduling.jobstore``); a thread pool as large as ``schedule.max_running`` is the
global limit on crawls at once; each crawl is done by a runner (a child process or a Scrapyd job)
and followed by a re-render of the articles that show the vendor's products.

Jobs are referenced as ``"tracker.scheduling.scheduler:crawl_vendor"`` with the vendor's slug;
they reach the runner through the process's ``SchedulerContext``, set while the scheduler runs.
"""

from __future__ import annotations

import logging
import os
import random
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from threading import TIMEOUT_MAX
from types import FrameType
from typing import Any

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.base import STATE_STOPPED
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy import func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.exc import IntegrityError

from tracker.config import Settings
from tracker.rules import GOOD_RUNS, is_good_run, needs_catch_up, scheduler_silent
from tracker.scheduling.jobstore import (
    JOB_FUNCTION,
    JOB_PREFIX,
    STORE_ALIAS,
    JobStoreError,
    StrictJobStore,
    opened_jobs,
    sync_jobs,
    vendor_schedules,
)
from tracker.scheduling.recovery import close_dead_runs, pid_alive
from tracker.scheduling.runners import Runner, RunSnapshot
from tracker.scheduling.triggers import Schedule
from tracker.store.engine import Store
from tracker.store.models import CrawlRun, SchedulerState, Vendor

log = logging.getLogger(__name__)

STATE_NAME = "scheduler"
HEARTBEAT_JOB = "tracker:heartbeat"
CLAIM_ATTEMPTS = 5  # reads of the scheduler's row when other schedulers keep changing it

AfterCrawl = Callable[[str, RunSnapshot], None]
OnBeat = Callable[[datetime], None]


class SchedulerError(Exception):
    """The scheduler cannot start; the message says why and what to do."""


@dataclass
class SchedulerContext:
    """What the jobs of this process reach: settings, store, runner, the stop signal."""

    settings: Settings
    store: Store
    runner: Runner
    after_crawl: AfterCrawl | None = None
    catch_up: bool = True  # bring stale vendors forward at start (a benchmark sets due times)
    on_beat: OnBeat | None = None  # at every wake-up (the alerts' time-based rules, retries)
    stop: threading.Event = field(default_factory=threading.Event)
    running: set[str] = field(default_factory=set)
    lock: threading.Condition = field(default_factory=threading.Condition)

    def crawl(self, vendor: str, trigger: str) -> None:
        if self.stop.is_set():
            return
        with self.lock:
            if vendor in self.running:
                log.warning("vendor %s: crawl skipped, the previous one is still running", vendor)
                return
            self.running.add(vendor)
        try:
            log.info("vendor %s: crawl starts (%s, %s runner)", vendor, trigger, self.runner.name)
            snapshot = self.runner.crawl(vendor, trigger=trigger, stop=self.stop)
            if snapshot is not None:
                counts = (
                    f"{snapshot.checks}/{snapshot.expected} checked, {snapshot.offers} prices, "
                    f"{snapshot.failures} failures"
                )
                if is_good_run(snapshot.status):
                    log.info(
                        "vendor %s: run %s %s (%s)",
                        vendor,
                        snapshot.run_id,
                        snapshot.status,
                        counts,
                    )
                else:
                    log.warning(
                        "vendor %s: run %s %s: %s (%s)",
                        vendor,
                        snapshot.run_id,
                        snapshot.status,
                        snapshot.error or "no reason recorded",
                        counts,
                    )
                if self.after_crawl is not None:  # it decides what a run without prices needs
                    self.after_crawl(vendor, snapshot)
        except Exception as exc:
            log.warning(
                "vendor %s: crawl failed: %s", vendor, exc or type(exc).__name__, exc_info=True
            )
        finally:
            with self.lock:
                self.running.discard(vendor)
                self.lock.notify_all()

    def running_now(self) -> set[str]:
        """The vendors whose crawls are running now (a copy)."""
        with self.lock:
            return set(self.running)

    def wait_idle(self) -> None:
        with self.lock:
            self.lock.wait_for(lambda: not self.running)


_context: SchedulerContext | None = None


def crawl_vendor(vendor: str, schedule: str = "", trigger: str = "schedule") -> None:
    """The job of every vendor. ``schedule`` only marks which schedule created the job."""
    if _context is None:
        raise RuntimeError("crawl_vendor runs inside `tracker schedule run` only")
    _context.crawl(vendor, trigger)


def heartbeat() -> None:
    """Wake the scheduler (it then reads the store again), say that it is alive, and close
    the runs whose process is gone (a crawl of `tracker crawl` killed with its parent)."""
    if _context is not None:
        now = datetime.now(UTC)
        beat(_context.store, now)
        for line in close_dead_runs(_context.store, _context.settings, now, ask_nodes=False):
            log.warning("%s", line)
        if _context.on_beat is not None:
            _context.on_beat(now)


def beat(store: Store, now: datetime) -> None:
    with store.sessions.begin() as session:
        state = session.get(SchedulerState, STATE_NAME)
        if state is not None and state.pid == os.getpid():
            state.beat_at = now


def claim(
    store: Store,
    settings: Settings,
    now: datetime,
    *,
    host: str | None = None,
    pid: int | None = None,
) -> None:
    """Record this process as the scheduler; refuse when another one is alive.

    Atomic on every database: the row is read, judged, then taken by an UPDATE that matches
    only the row as it was read (or an INSERT that fails when another process inserted first).
    Two schedulers that start together both read the same row, but only one write succeeds;
    the other reads again and finds the winner alive.
    """
    host, pid = host or socket.gethostname(), pid or os.getpid()
    for _attempt in range(CLAIM_ATTEMPTS):
        with store.readers.begin() as session:
            state = session.get(SchedulerState, STATE_NAME)
            seen = None if state is None else (state.host, state.pid, state.beat_at)
        if seen is not None and (seen[0], seen[1]) != (host, pid):
            other_host, other_pid, beat_at = seen
            if other_host == host:
                alive = pid_alive(other_pid)
            else:
                alive = not scheduler_silent(beat_at, now, settings.schedule.resync_seconds)
            if alive:
                raise SchedulerError(
                    f"another scheduler is running (host {other_host}, pid {other_pid}); "
                    "run one scheduler per database"
                )
        mine = {"host": host, "pid": pid, "started_at": now, "beat_at": now}
        try:
            with store.sessions.begin() as session:
                if seen is None:
                    session.add(SchedulerState(name=STATE_NAME, **mine))
                    return
                taken: CursorResult[Any] = session.execute(  # type: ignore[assignment]
                    update(SchedulerState)
                    .where(
                        SchedulerState.name == STATE_NAME,
                        SchedulerState.host == seen[0],
                        SchedulerState.pid == seen[1],
                        SchedulerState.beat_at == seen[2],
                    )
                    .values(**mine)
                )
                if taken.rowcount == 1:
                    return
        except IntegrityError:
            pass  # another scheduler inserted the row first: judge it
    raise SchedulerError("the scheduler's row keeps changing under this one; try again")


def release(store: Store) -> None:
    with store.sessions.begin() as session:
        state = session.get(SchedulerState, STATE_NAME)
        if state is not None and state.pid == os.getpid() and state.host == socket.gethostname():
            session.delete(state)


def catch_up(
    scheduler: Any, store: Store, schedules: dict[str, Schedule], now: datetime
) -> list[str]:
    """Bring forward the vendors whose last good crawl is older than their interval.

    The catch-up is the vendor's run for its schedule: an interval starts again from it, and
    a vendor whose next regular run comes within half a period is left to that run
    (``rules.needs_catch_up``), so no regular run follows a catch-up seconds later.
    """
    with store.sessions() as session:
        last_good = dict(
            session.execute(
                select(Vendor.slug, func.max(CrawlRun.started_at))
                .join(CrawlRun, CrawlRun.vendor_id == Vendor.id)
                .where(CrawlRun.status.in_(GOOD_RUNS))
                .group_by(Vendor.slug)
            ).all()
        )
    soon = []
    for job in scheduler.get_jobs(jobstore=STORE_ALIAS):
        vendor = job.id.removeprefix(JOB_PREFIX)
        if not job.id.startswith(JOB_PREFIX) or job.next_run_time is None:
            continue
        schedule = schedules.get(vendor)
        if schedule is None:
            continue
        period = timedelta(seconds=schedule.period_seconds())
        if needs_catch_up(last_good.get(vendor), job.next_run_time, now, period):
            when = now + timedelta(seconds=random.uniform(0, schedule.jitter_seconds))
            changes: dict[str, Any] = {"next_run_time": when}
            if schedule.every_seconds is not None:  # the interval runs on from the catch-up
                changes["trigger"] = schedule.trigger(start=when)
            scheduler.modify_job(job.id, jobstore=STORE_ALIAS, **changes)
            soon.append(vendor)
    return soon


class StoppableScheduler(BlockingScheduler):
    """A ``BlockingScheduler`` whose loop ends when ``stop`` is set, between two rounds.

    A signal handler runs in the main thread wherever it was, possibly in the middle of a
    round of job processing: calling ``shutdown()`` there would let the round go on with
    closed executors. The handler only sets ``stop`` and wakes the loop; the caller shuts
    the scheduler down once the loop has returned.
    """

    def __init__(self, stop: threading.Event, **options: Any) -> None:
        super().__init__(**options)
        self._stop = stop

    def wakeup(self) -> None:
        if self._event is not None:  # None until started
            self._event.set()

    def _main_loop(self) -> None:
        wait_seconds: float | None = TIMEOUT_MAX
        while self.state != STATE_STOPPED and not self._stop.is_set():
            self._event.wait(wait_seconds)
            self._event.clear()
            if self._stop.is_set():
                break
            wait_seconds = self._process_jobs()


class HeartbeatAtDebug(logging.Filter):
    """APScheduler logs each run of a job at INFO: the heartbeat's ("Running job", "executed
    successfully", about 11,500 lines a day) go out at DEBUG instead, and only when DEBUG is on."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno > logging.INFO:
            return True
        record.levelno, record.levelname = logging.DEBUG, "DEBUG"
        return logging.getLogger().isEnabledFor(logging.DEBUG)


HEARTBEAT_LOGGER = "apscheduler.executors.internal"  # the heartbeat's executor, nothing else


def build_scheduler(context: SchedulerContext) -> StoppableScheduler:
    jobstore = StrictJobStore(engine=context.store.engine)
    beats = logging.getLogger(HEARTBEAT_LOGGER)
    if not any(isinstance(f, HeartbeatAtDebug) for f in beats.filters):
        beats.addFilter(HeartbeatAtDebug())
    scheduler = StoppableScheduler(
        context.stop,
        timezone=UTC,
        jobstores={STORE_ALIAS: jobstore, "internal": MemoryJobStore()},
        executors={
            "default": ThreadPoolExecutor(context.settings.schedule.max_running),
            "internal": ThreadPoolExecutor(1),
        },
    )
    scheduler.add_job(
        heartbeat,
        "interval",
        seconds=context.settings.schedule.resync_seconds,
        id=HEARTBEAT_JOB,
        jobstore="internal",
        executor="internal",
        coalesce=True,
        max_instances=1,
        misfire_grace_time=None,
    )
    scheduler.add_listener(_on_event, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED | EVENT_JOB_ERROR)
    return scheduler


def _on_event(event: JobEvent) -> None:
    if event.job_id == HEARTBEAT_JOB:
        return
    if event.code == EVENT_JOB_MAX_INSTANCES:
        log.warning("%s: run skipped, the previous crawl is still running", event.job_id)
    elif event.code == EVENT_JOB_MISSED:
        log.warning("%s: run missed its grace time (the crawl slots were busy)", event.job_id)


def prepare(context: SchedulerContext) -> None:
    """Before the loop: recover dead runs, sync the jobs, refuse broken ones, catch up."""
    now = datetime.now(UTC)
    for line in close_dead_runs(context.store, context.settings, now):
        log.warning("%s", line)
    schedules = vendor_schedules(context.store, context.settings)
    with opened_jobs(context.store) as (scheduler, jobstore):
        report = sync_jobs(scheduler, jobstore, schedules)
        log.info(
            "jobs: %d vendors, %d added, %d changed, %d removed",
            len(schedules),
            len(report.added),
            len(report.changed),
            len(report.removed),
        )
        jobs = scheduler.get_jobs(jobstore=STORE_ALIAS)  # loads every job: fills jobstore.broken
        for ident in jobstore.rewrite_renamed(jobs):
            log.info("job %s: rewritten under %s", ident, JOB_FUNCTION)
        if jobstore.broken:
            problems = "; ".join(f"{key}: {why}" for key, why in sorted(jobstore.broken.items()))
            raise JobStoreError(
                f"jobs in the job store cannot be loaded: {problems}. Fix the code they name "
                "or delete their rows from apscheduler_jobs, then start again"
            )
        soon = catch_up(scheduler, context.store, schedules, now) if context.catch_up else []
    if soon:
        log.info("crawled soon (last good crawl older than the interval): %s", ", ".join(soon))


def run_scheduler(context: SchedulerContext, *, handle_signals: bool = True) -> None:
    """Run until SIGINT or SIGTERM; then stop the running crawls, record them, and return."""
    global _context
    if _context is not None:
        raise SchedulerError("a scheduler is already running in this process")
    claim(context.store, context.settings, datetime.now(UTC))
    scheduler = build_scheduler(context)

    def stop(signum: int, _frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        log.info("%s: stopping; running crawls are stopped and recorded", name)
        context.stop.set()
        scheduler.wakeup()

    if handle_signals:
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
    _context = context
    try:
        prepare(context)
        log.info(
            "scheduler running: at most %d crawls at once, %s runner",
            context.settings.schedule.max_running,
            context.runner.name,
        )
        if not context.stop.is_set():
            scheduler.start()  # returns once stop is set
        context.stop.set()
        if scheduler.running:
            scheduler.shutdown(wait=False)
        context.wait_idle()
    finally:
        _context = None
        release(context.store)
    log.info("scheduler stopped")
