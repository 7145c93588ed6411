"""Helpers for the scheduler tests: a site with held pages, a scheduler process, waiting."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import yaml
from sqlalchemy import select

from tracker.config import PROJECT_ROOT
from tracker.store.engine import open_store
from tracker.store.models import CrawlRun, Vendor

T = TypeVar("T")
DEADLINE = 90.0  # seconds: generous on a busy machine; the tests wait on conditions


def wait_for(condition: Callable[[], T], what: str, timeout: float = DEADLINE) -> T:
    """Poll until ``condition()`` is truthy; fail with ``what`` after the deadline."""
    end = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for: {what}")
        time.sleep(0.1)


class HeldSite:
    """The sample site on loopback; requests for ``held`` paths wait until ``release()``."""

    def __init__(self, root: Path, held: set[str]) -> None:
        self.held = held
        self.gate = threading.Event()
        self.arrived: list[str] = []
        site = self

        class Handler(SimpleHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - stdlib name
                if self.path.split("?")[0] in site.held:
                    site.arrived.append(self.path)
                    site.gate.wait(DEADLINE)
                super().do_GET()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(root)))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def release(self) -> None:
        self.gate.set()

    def close(self) -> None:
        self.gate.set()
        self.server.shutdown()
        self.server.server_close()


def write_catalog(folder: Path, schedules: dict[str, dict[str, Any]]) -> Path:
    """The sample catalog with only the given vendors, each with its schedule."""
    data = yaml.safe_load((PROJECT_ROOT / "examples" / "catalog.yaml").read_text())
    data["vendors"] = [
        {**vendor, "schedule": schedules[vendor["slug"]]}
        for vendor in data["vendors"]
        if vendor["slug"] in schedules
    ]
    data["feeds"] = [f for f in data.get("feeds", []) if set(f["vendors"]) <= set(schedules)]
    path = folder / "catalog.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def write_settings(
    folder: Path, database_url: str, *, batch_size: int = 500, flush_seconds: float = 2.0
) -> Path:
    import shutil

    content = folder / "content"
    if not content.exists():
        shutil.copytree(PROJECT_ROOT / "examples" / "content", content)
    path = folder / "tracker.toml"
    path.write_text(
        "\n".join(
            [
                f'database_url = "{database_url}"',
                'catalog = "catalog.yaml"',
                'content_dir = "content"',
                'out_dir = "out"',
                "[crawl]",
                "download_delay = 0",
                "time_limit_seconds = 120",
                f"batch_size = {batch_size}",
                f"flush_seconds = {flush_seconds}",
                'contact_url = "http://127.0.0.1/tests"',
                "[schedule]",
                "resync_seconds = 1",
                'default_jitter = "0"',
            ]
        )
        + "\n",
        encoding="utf-8",
    )
    return path


class SchedulerProcess:
    """`tracker schedule run` as a real child process, its log in a file."""

    def __init__(self, config: Path, site_url: str, log: Path) -> None:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
        env.update({"TRACKER_CONFIG": str(config), "SAMPLE_SITE": site_url})
        self.log = log
        self.handle = log.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tracker", "schedule", "run"],
            cwd=config.parent,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self.handle,
            stderr=subprocess.STDOUT,
        )

    def text(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        try:
            return self.process.wait(timeout=DEADLINE)
        finally:
            self.handle.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.handle.close()


@contextmanager
def scheduler(config: Path, site_url: str, log: Path) -> Iterator[SchedulerProcess]:
    process = SchedulerProcess(config, site_url, log)
    try:
        yield process
    finally:
        if process.process.poll() is None:
            process.kill()


def runs_of(database_url: str, vendor: str | None = None) -> list[CrawlRun]:
    store = open_store(database_url)
    try:
        with store.sessions() as session:
            query = select(CrawlRun).order_by(CrawlRun.id)
            if vendor is not None:
                query = query.join(Vendor, Vendor.id == CrawlRun.vendor_id).where(
                    Vendor.slug == vendor
                )
            return list(session.scalars(query))
    finally:
        store.close()


def assert_no_overlap(runs: list[CrawlRun]) -> None:
    """One vendor's runs follow each other: each starts after the previous one finished."""
    for before, after in zip(runs, runs[1:], strict=False):
        assert before.finished_at is not None, f"run {before.id} still open at run {after.id}"
        assert after.started_at >= before.finished_at, (before.id, after.id)
