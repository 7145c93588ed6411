"""The Scrapyd runner: crawls dispatched to Scrapyd nodes through their HTTP API.

``daemonstatus.json`` picks the least busy node, ``schedule.json`` starts the `listings`
spider with its crawl job (``tracker.crawljob.CrawlJob``: the run, the database URL, the
crawl and publishing settings) as the Scrapy setting ``TRACKER_JOB`` (settings, unlike
arguments, are not shown by ``listjobs.json``), so the node crawls as this scheduler says,
whatever its own configuration;
``listjobs.json`` says when the job is over, and the outcome is read from the shared
database, where the crawl recorded it. ``cancel.json`` stops a job: a second cancel with
SIGKILL follows when the first (SIGINT, Scrapy's clean shutdown) is not enough within the
grace time.

A node is a URL; ``http://user:password@host:6800/`` sends those credentials as HTTP basic
auth (they never reach the database or the logs).
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tracker.config import Settings
from tracker.crawljob import JOB_SETTING, CrawlJob
from tracker.domain import RunStatus
from tracker.scheduling.runners import KILL_GRACE_SECONDS, RunSnapshot
from tracker.store import repo
from tracker.store.engine import Store
from tracker.store.models import CrawlRun

log = logging.getLogger(__name__)

POLL_SECONDS = 0.5
HTTP_TIMEOUT = 10.0


class ScrapydError(Exception):
    """A Scrapyd node did not answer as expected; the message names the node and call."""


@dataclass(frozen=True)
class Node:
    address: str  # the URL without credentials: safe to store and show
    authorization: str | None

    @classmethod
    def parse(cls, url: str) -> Node:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ScrapydError(f"{url!r}: a Scrapyd node is an http(s) URL")
        auth = None
        if parts.username is not None:
            user = urllib.parse.unquote(parts.username)
            password = urllib.parse.unquote(parts.password or "")
            auth = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        netloc = parts.hostname + (f":{parts.port}" if parts.port else "")
        path = parts.path if parts.path.endswith("/") else parts.path + "/"
        return cls(urllib.parse.urlunsplit((parts.scheme, netloc, path, "", "")), auth)

    def call(self, endpoint: str, params: dict[str, Any], *, post: bool = False) -> dict[str, Any]:
        pairs: list[tuple[str, str]] = []
        for key, value in params.items():
            for item in value if isinstance(value, list) else [value]:
                pairs.append((key, str(item)))
        query = urllib.parse.urlencode(pairs)
        url = self.address + endpoint
        data = None
        if post:
            data = query.encode()
        elif query:
            url += "?" + query
        request = urllib.request.Request(url, data=data)
        if self.authorization:
            request.add_header("Authorization", self.authorization)
        try:
            with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as response:
                body = json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise ScrapydError(f"{self.address}{endpoint}: {exc}") from exc
        if not isinstance(body, dict) or body.get("status") != "ok":
            message = body.get("message") if isinstance(body, dict) else body
            raise ScrapydError(f"{self.address}{endpoint}: {message}")
        return body


def node_by_address(urls: list[str], address: str) -> Node:
    """The configured node (with its credentials) that a stored address names."""
    for url in urls:
        node = Node.parse(url)
        if node.address == address:
            return node
    return Node.parse(address)


def least_busy(nodes: list[Node]) -> Node:
    """The reachable node with the fewest pending and running jobs."""
    loads = []
    for index, node in enumerate(nodes):
        try:
            status = node.call("daemonstatus.json", {})
        except ScrapydError as exc:
            log.warning("Scrapyd node skipped: %s", exc)
            continue
        loads.append((int(status.get("pending", 0)) + int(status.get("running", 0)), index, node))
    if not loads:
        raise ScrapydError("no Scrapyd node answered daemonstatus.json")
    return min(loads)[2]


def job_state(node: Node, project: str, job: str) -> str | None:
    """pending, running, finished, or None when the node does not know the job."""
    jobs = node.call("listjobs.json", {"project": project})
    for state in ("pending", "running", "finished"):
        if any(entry.get("id") == job for entry in jobs.get(state, [])):
            return state
    return None


def cancel(node: Node, project: str, job: str, *, kill: bool = False) -> None:
    params = {"project": project, "job": job}
    if kill:
        params["signal"] = "KILL"
    node.call("cancel.json", params, post=True)


class ScrapydRunner:
    """Schedules the crawl on the least busy node and waits for its job to end."""

    name = "scrapyd"

    def __init__(self, settings: Settings, store: Store, grace_seconds: float = KILL_GRACE_SECONDS):
        if not settings.schedule.scrapyd_nodes:
            raise ScrapydError("schedule.runner is scrapyd but schedule.scrapyd_nodes is empty")
        self.settings = settings
        self.store = store
        self.nodes = [Node.parse(url) for url in settings.schedule.scrapyd_nodes]
        self.project = settings.schedule.scrapyd_project
        self.grace_seconds = grace_seconds

    def crawl(self, vendor: str, *, trigger: str, stop: threading.Event) -> RunSnapshot:
        node = least_busy(self.nodes)
        with self.store.sessions.begin() as session:
            if repo.vendor_by_slug(session, vendor) is None:
                raise LookupError(f"unknown vendor {vendor!r} (not in the synced catalog)")
            run = repo.start_run(
                session,
                vendor_slug=vendor,
                now=datetime.now(UTC),
                runner="scrapyd",
                trigger=trigger,
            )
            run_id = run.id
            job = f"tracker-run-{run_id}"
            run.job_id, run.node, run.pid = job, node.address, None
        crawl_job = CrawlJob.of(
            self.settings,
            vendor=vendor,
            run_ids=(run_id,),
            trigger=trigger,
            runner="scrapyd",
            job_id=job,
        )
        try:
            node.call(
                "schedule.json",
                {
                    "project": self.project,
                    "spider": "listings",
                    "jobid": job,
                    "setting": f"{JOB_SETTING}={crawl_job.text()}",
                },
                post=True,
            )
        except ScrapydError as exc:
            self._close(run_id, RunStatus.FAILED, f"could not schedule on Scrapyd: {exc}")
            return self._snapshot(run_id)
        log.info("vendor %s: run %s is Scrapyd job %s on %s", vendor, run_id, job, node.address)
        self._wait(node, job, run_id, stop)
        return self._snapshot(run_id)

    def _wait(self, node: Node, job: str, run_id: int, stop: threading.Event) -> None:
        limit = time.monotonic() + self.settings.crawl.time_limit_seconds + self.grace_seconds
        cancelled_at: float | None = None
        killed = False
        while True:
            try:
                state = job_state(node, self.project, job)
            except ScrapydError as exc:
                log.warning("run %s: %s", run_id, exc)
                state = "unreachable"
            if state in ("finished", None):
                break
            now = time.monotonic()
            if state == "unreachable" and now > limit + 2 * self.grace_seconds:
                self._close(run_id, RunStatus.KILLED, f"Scrapyd node {node.address} unreachable")
                return
            if cancelled_at is None and (stop.is_set() or now > limit):
                why = "stopping" if stop.is_set() else "time limit reached"
                log.warning("run %s: cancelling Scrapyd job %s (%s)", run_id, job, why)
                self._try_cancel(node, job, kill=False)
                cancelled_at = now
            elif (
                cancelled_at is not None and not killed and now > cancelled_at + self.grace_seconds
            ):
                log.warning("run %s: job %s still there after cancel: killing it", run_id, job)
                self._try_cancel(node, job, kill=True)
                killed = True
            time.sleep(POLL_SECONDS)
        if cancelled_at is not None:
            reason = "killed after a cancel" if killed else "cancelled"
            self._close(run_id, RunStatus.KILLED, f"Scrapyd job {job} {reason}")
        else:
            log_url = f"{node.address}logs/{self.project}/listings/{job}.log"
            self._close(
                run_id,
                RunStatus.FAILED,
                f"Scrapyd job {job} ended without recording its outcome (log: {log_url})",
            )

    def _try_cancel(self, node: Node, job: str, *, kill: bool) -> None:
        try:
            cancel(node, self.project, job, kill=kill)
        except ScrapydError as exc:
            log.warning("cancel of %s failed: %s", job, exc)

    def _close(self, run_id: int, status: RunStatus, error: str) -> None:
        """Close the run unless the crawl itself recorded how it went."""
        with self.store.sessions.begin() as session:
            if session.get_one(CrawlRun, run_id).status == RunStatus.RUNNING:
                repo.finish_run(session, run_id, datetime.now(UTC), status, error)

    def _snapshot(self, run_id: int) -> RunSnapshot:
        with self.store.sessions() as session:
            return RunSnapshot.of(session.get_one(CrawlRun, run_id))
