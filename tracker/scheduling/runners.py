"""Run a crawl: the local runner starts a crawl child process and hands it one crawl job.

Every runner has one method, ``crawl(vendor, trigger=..., stop=...)``, which returns when the
crawl is over and its run is recorded; ``tracker.scheduling.scrapyd`` holds the Scrapyd
runner.

Every run belongs to one vendor. A crawl of all vendors (`tracker crawl`) is one child
process with one run per vendor, so that each vendor's last run tells its own story.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from sqlalchemy.orm import Session

from tracker.config import Settings
from tracker.crawljob import CrawlJob
from tracker.domain import RunStatus
from tracker.rules import crawl_outcome
from tracker.store import repo
from tracker.store.engine import Store
from tracker.store.models import CrawlRun

POLL_SECONDS = 0.25
KILL_GRACE_SECONDS = 10.0


@dataclass(frozen=True)
class RunSnapshot:
    run_id: int
    status: RunStatus
    expected: int
    checks: int
    offers: int
    failures: int
    pages: int
    started_at: datetime
    finished_at: datetime | None
    error: str | None
    log_file: Path | None = None
    vendor: str | None = None

    @classmethod
    def of(cls, run: CrawlRun, log_file: Path | None = None) -> RunSnapshot:
        return cls(
            run.id,
            run.status,
            run.expected,
            run.checks,
            run.offers,
            run.failures,
            run.pages,
            run.started_at,
            run.finished_at,
            run.error,
            log_file,
            run.vendor.slug if run.vendor is not None else None,
        )


@dataclass(frozen=True)
class CrawlOutcome:
    """The runs of one crawl process (one per vendor) and their totals."""

    runs: list[RunSnapshot]
    log_file: Path | None = None

    @property
    def status(self) -> RunStatus:
        """One status for the whole crawl: partial when some vendors read prices and some not."""
        return crawl_outcome((run.status for run in self.runs), self.offers)

    @property
    def expected(self) -> int:
        return sum(run.expected for run in self.runs)

    @property
    def checks(self) -> int:
        return sum(run.checks for run in self.runs)

    @property
    def offers(self) -> int:
        return sum(run.offers for run in self.runs)

    @property
    def failures(self) -> int:
        return sum(run.failures for run in self.runs)

    @property
    def pages(self) -> int:
        return sum(run.pages for run in self.runs)

    @property
    def started_at(self) -> datetime:
        return min(run.started_at for run in self.runs)

    @property
    def finished_at(self) -> datetime | None:
        ends = [run.finished_at for run in self.runs]
        return None if None in ends else max(e for e in ends if e is not None)

    @property
    def error(self) -> str | None:
        """The runs' errors, each distinct one once."""
        errors = dict.fromkeys(run.error for run in self.runs if run.error)
        return "; ".join(errors) or None


class Runner(Protocol):
    """Crawls one vendor and records the run; ``stop`` set means: end it now, record it."""

    name: str

    def crawl(self, vendor: str, *, trigger: str, stop: threading.Event) -> RunSnapshot | None: ...


class LocalRunner:
    """A `scrapy crawl` child process on this machine, in its own session.

    Its own session keeps a Ctrl-C of the terminal away from it: the scheduler stops its
    children itself, once, so that Scrapy shuts down cleanly and records the run.
    """

    name = "local"

    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings = settings
        self.store = store

    def crawl(self, vendor: str, *, trigger: str, stop: threading.Event) -> RunSnapshot:
        outcome = run_local_crawl(
            self.settings, self.store, vendor, trigger=trigger, stop=stop, new_session=True
        )
        (run,) = outcome.runs
        return run


CRAWL_COMMAND = [sys.executable, "-m", "tracker.crawling.child"]


def child_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment without the tracker's variables: the child reads its job."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("TRACKER_")}
    env.update(extra or {})
    return env


def run_local_crawl(
    settings: Settings,
    store: Store,
    vendor: str | None = None,
    *,
    trigger: str = "manual",
    extra_env: Mapping[str, str] | None = None,
    on_progress: Callable[[CrawlOutcome], None] | None = None,
    stop: threading.Event | None = None,
    new_session: bool = False,
) -> CrawlOutcome:
    """Crawl one vendor (or all) in a child process with a time limit.

    One run per vendor is recorded before the child starts; the child gets them with its
    crawl job (on its stdin), takes them over, and the run rows say how it went. When
    ``stop`` is set the child is asked to stop (SIGTERM: Scrapy closes the spider and
    records the runs), and killed if it is still there after a grace time.
    """
    with store.sessions.begin() as session:
        run_ids = _start_runs(session, vendor, trigger)
    log_dir = settings.var_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / f"crawl-{run_ids[0]}.log"
    # The child's own output (what it prints before Scrapy's logging starts, tracebacks)
    # goes to the same log file, never to a pipe that could fill up and stall it.
    job = CrawlJob.of(
        settings,
        vendor=vendor,
        run_ids=tuple(run_ids),
        trigger=trigger,
        runner="local",
        log_file=str(log_file),
    )
    with log_file.open("ab") as log_handle:
        child = subprocess.Popen(
            CRAWL_COMMAND,
            cwd=settings.root,
            env=child_environment(extra_env),
            stdin=subprocess.PIPE,
            stdout=log_handle,
            stderr=log_handle,
            start_new_session=new_session,
        )
    _hand_over(child, job)
    with store.sessions.begin() as session:
        for run_id in run_ids:
            session.get_one(CrawlRun, run_id).pid = child.pid
    deadline = time.monotonic() + settings.crawl.time_limit_seconds + KILL_GRACE_SECONDS
    timed_out = False
    kill_at: float | None = None
    while child.poll() is None:
        if time.monotonic() > deadline:
            timed_out = True
            _stop(child)
            break
        if stop is not None and stop.is_set():
            if kill_at is None:
                child.terminate()
                kill_at = time.monotonic() + KILL_GRACE_SECONDS
            elif time.monotonic() > kill_at:
                child.kill()
        if on_progress:
            on_progress(_outcome(store, run_ids, log_file))
        time.sleep(POLL_SECONDS)
    _close_open_runs(store, run_ids, child.returncode, timed_out, log_file)
    outcome = _outcome(store, run_ids, log_file)
    if on_progress:
        on_progress(outcome)
    return outcome


def _hand_over(child: subprocess.Popen[bytes], job: CrawlJob) -> None:
    """Write the job to the child's stdin (a child that died already has its exit code)."""
    assert child.stdin is not None
    try:
        child.stdin.write(job.text().encode("utf-8"))
        child.stdin.close()
    except BrokenPipeError:
        pass


def _start_runs(session: Session, vendor: str | None, trigger: str) -> list[int]:
    """One run for the vendor, or one for each vendor with active listings."""
    vendors = [vendor] if vendor is not None else repo.vendors_to_crawl(session)
    if not vendors:
        raise LookupError("no active listings to crawl (run `tracker catalog sync` first)")
    now = datetime.now(UTC)
    return [
        repo.start_run(session, vendor_slug=slug, now=now, runner="local", trigger=trigger).id
        for slug in vendors
    ]


def _close_open_runs(
    store: Store, run_ids: list[int], returncode: int, timed_out: bool, log_file: Path
) -> None:
    """Runs the child left open (it died or was stopped early) are closed with the reason."""
    killed = timed_out or returncode < 0
    if timed_out:
        reason = "the crawl reached its time limit (crawl.time_limit_seconds) and was stopped"
    elif returncode < 0:
        reason = f"the crawl process was killed by {signal.Signals(-returncode).name}"
    else:
        reason = f"the crawl process exited with code {returncode} before it recorded its runs"
    last = [f"its last log line: {line}" for line in _last_line(log_file)]
    error = "; ".join([reason, *last]) + f" (log: {log_file})"
    status = RunStatus.KILLED if killed else RunStatus.FAILED
    with store.sessions.begin() as session:
        for run_id in run_ids:
            if session.get_one(CrawlRun, run_id).status == RunStatus.RUNNING:
                repo.finish_run(session, run_id, datetime.now(UTC), status, error)


def _last_line(log_file: Path) -> list[str]:
    try:
        with log_file.open("rb") as handle:
            handle.seek(max(0, log_file.stat().st_size - 4096))
            lines = handle.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return []
    return lines[-1:]


def _outcome(store: Store, run_ids: list[int], log_file: Path) -> CrawlOutcome:
    with store.readers() as session:
        runs = repo.runs_by_id(session, run_ids)
        return CrawlOutcome([RunSnapshot.of(run, log_file) for run in runs], log_file)


def _stop(child: subprocess.Popen[bytes]) -> None:
    child.terminate()
    try:
        child.wait(timeout=KILL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
