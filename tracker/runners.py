"""Run a crawl: the local runner starts `scrapy crawl listings` as a child process.

Every runner has one method, ``crawl(vendor, trigger=..., stop=...)``, which returns when the
crawl is over and its run is recorded; ``tracker.scrapyd`` holds the Scrapyd runner.
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

from tracker.config import Settings
from tracker.domain import RunStatus
from tracker.store import repo
from tracker.store.engine import Store
from tracker.store.models import CrawlRun

POLL_SECONDS = 0.25
KILL_GRACE_SECONDS = 10.0


@dataclass(frozen=True)
class RunSnapshot:
    run_id: int
    status: str
    expected: int
    checks: int
    offers: int
    failures: int
    pages: int
    started_at: datetime
    finished_at: datetime | None
    error: str | None
    log_file: Path | None = None

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
        )


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
        return run_local_crawl(
            self.settings, self.store, vendor, trigger=trigger, stop=stop, new_session=True
        )


def crawl_command(run_id: int, vendor: str | None, log_file: Path) -> list[str]:
    command = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "listings",
        "-a",
        f"run_id={run_id}",
        "-s",
        f"LOG_FILE={log_file}",
    ]
    if vendor:
        command += ["-a", f"vendor={vendor}"]
    return command


def child_environment(settings: Settings, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The child reads the same configuration: same file, same database."""
    env = dict(os.environ)
    env["SCRAPY_SETTINGS_MODULE"] = "tracker.crawling.settings"
    env["TRACKER_DATABASE_URL"] = settings.database_url
    if settings.config_path:
        env["TRACKER_CONFIG"] = str(settings.config_path)
    else:
        env.pop("TRACKER_CONFIG", None)
    env.update(extra or {})
    return env


def run_local_crawl(
    settings: Settings,
    store: Store,
    vendor: str | None = None,
    *,
    trigger: str = "manual",
    extra_env: Mapping[str, str] | None = None,
    on_progress: Callable[[RunSnapshot], None] | None = None,
    stop: threading.Event | None = None,
    new_session: bool = False,
) -> RunSnapshot:
    """Crawl in a child process with a time limit; the run row says how it went.

    When ``stop`` is set the child is asked to stop (SIGTERM: Scrapy closes the spider and
    records the run), and killed if it is still there after a grace time.
    """
    with store.sessions.begin() as session:
        if vendor is not None and repo.vendor_by_slug(session, vendor) is None:
            raise LookupError(f"unknown vendor {vendor!r} (not in the synced catalog)")
        run = repo.start_run(
            session, vendor_slug=vendor, now=datetime.now(UTC), runner="local", trigger=trigger
        )
        run_id = run.id
    log_dir = settings.var_dir / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / f"crawl-{run_id}.log"
    # The child's own output (what it prints before Scrapy's logging starts, tracebacks)
    # goes to the same log file, never to a pipe that could fill up and stall it.
    with log_file.open("ab") as log_handle:
        child = subprocess.Popen(
            crawl_command(run_id, vendor, log_file),
            cwd=settings.root,
            env=child_environment(settings, extra_env),
            stdin=subprocess.DEVNULL,
            stdout=log_handle,
            stderr=log_handle,
            start_new_session=new_session,
        )
    with store.sessions.begin() as session:
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
            on_progress(_snapshot(store, run_id, log_file))
        time.sleep(POLL_SECONDS)
    with store.sessions.begin() as session:
        run = session.get_one(CrawlRun, run_id)
        if run.status == RunStatus.RUNNING:
            killed = timed_out or child.returncode < 0
            if timed_out:
                reason = "time limit reached"
            elif child.returncode < 0:
                reason = f"crawl process killed by {signal.Signals(-child.returncode).name}"
            else:
                reason = f"crawl process exited with code {child.returncode}"
            detail = _last_line(log_file)
            repo.finish_run(
                session,
                run_id,
                datetime.now(UTC),
                RunStatus.KILLED if killed else RunStatus.FAILED,
                "; ".join([reason, *detail]) + f" (log: {log_file})",
            )
        snapshot = RunSnapshot.of(run, log_file)
    if on_progress:
        on_progress(snapshot)
    return snapshot


def _last_line(log_file: Path) -> list[str]:
    try:
        with log_file.open("rb") as handle:
            handle.seek(max(0, log_file.stat().st_size - 4096))
            lines = handle.read().decode("utf-8", "replace").strip().splitlines()
    except OSError:
        return []
    return lines[-1:]


def _snapshot(store: Store, run_id: int, log_file: Path) -> RunSnapshot:
    with store.readers() as session:
        return RunSnapshot.of(session.get_one(CrawlRun, run_id), log_file)


def _stop(child: subprocess.Popen[bytes]) -> None:
    child.terminate()
    try:
        child.wait(timeout=KILL_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
