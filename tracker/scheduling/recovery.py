"""Close the crawl runs left `running` by a process that is gone (a crash, a `kill -9`).

A run whose time limit has long passed (``rules.run_overdue``) is over, wherever it ran. A
local run belongs to a process on one host (the run's host and pid): it is closed when that
host is this one and the process is no longer there; a run of a live process, or of another
host, is left alone. A Scrapyd run is judged by its job's state on its node: closed when the
node says the job is finished or does not know it, left alone while it is pending or running
or while the node cannot be reached (nodes are asked only when ``ask_nodes`` is set).

The scheduler closes them at its start and at every wake-up, `tracker crawl` before it
starts, and `tracker status` before it reports: a crawl that died with its parent is shown
as `killed`, not as running for ever.

What a killed crawl wrote stays consistent: the pipeline writes each batch of checks and the
run's counters in one transaction, so a run closed here counts exactly what it stored.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from tracker.config import Settings
from tracker.domain import RunStatus
from tracker.rules import run_overdue
from tracker.scheduling.scrapyd import ScrapydError, job_state, node_by_address
from tracker.store import repo
from tracker.store.engine import Store
from tracker.store.models import CrawlRun


def pid_alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (dead, not yet reaped)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # someone else's process: it exists
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc here: existing is all we know
    return stat.rpartition(")")[2].split()[0] != "Z"


def close_dead_runs(
    store: Store, settings: Settings, now: datetime, *, ask_nodes: bool = True
) -> list[str]:
    """Close as `killed` every running run whose process or job is gone; say which."""
    host = socket.gethostname()
    limit = timedelta(seconds=settings.crawl.time_limit_seconds)
    with store.readers() as session:
        runs = session.scalars(select(CrawlRun).where(CrawlRun.status == RunStatus.RUNNING)).all()
        candidates = [(r.id, r.runner, r.host, r.pid, r.node, r.job_id, r.started_at) for r in runs]
    closed = []
    for run_id, runner, run_host, pid, node, job, started_at in candidates:
        reason: str | None = None
        if run_overdue(started_at, now, limit):
            reason = (
                f"it was still running {int((now - started_at).total_seconds())} s after its "
                f"start, past its time limit of {settings.crawl.time_limit_seconds} s"
            )
        elif runner == "scrapyd" and node and job:
            reason = _scrapyd_reason(settings, node, job) if ask_nodes else None
        elif run_host == host and pid is not None and not pid_alive(pid):
            reason = f"its crawl process {pid} on {host} is gone"
        if reason is None:
            continue
        with store.sessions.begin() as session:
            run = session.get_one(CrawlRun, run_id)
            if run.status != RunStatus.RUNNING:
                continue  # it finished while we looked
            repo.finish_run(session, run_id, now, RunStatus.KILLED, reason)
        closed.append(f"run {run_id} closed as killed: {reason}")
    return closed


def _scrapyd_reason(settings: Settings, address: str, job: str) -> str | None:
    node = node_by_address(settings.schedule.scrapyd_nodes, address)
    try:
        state = job_state(node, settings.schedule.scrapyd_project, job)
    except ScrapydError:
        return None  # cannot tell: leave it
    if state in ("pending", "running"):
        return None
    return f"Scrapyd job {job} on {address} is {state or 'unknown to the node'}"
