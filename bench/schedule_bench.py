"""Scheduler benchmark, two parts (see bench/README.md, "Scheduler benchmark").

Part 1, the scheduler alone: 500 vendor jobs fall due within a window (default 120 s) and go
to a runner that only records each dispatch. Prints the delay from due time to dispatch
(median, worst) and the scheduler's resident memory at the first dispatch, half-way and at
the end.

Part 2, end to end: 20 vendors of the loopback sample site, each due twice within two
minutes (interval 60 s), real crawls in child processes, at most 2 at once (the default).
Prints: runs recorded, overlaps per vendor, delay from due time to crawl start, articles
re-rendered after each crawl.

    python bench/schedule_bench.py                 # both parts, default sizes (about 5 min)
    python bench/schedule_bench.py --part 1 --window 30
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from tracker.config import PROJECT_ROOT, load_settings
from tracker.profile import ScheduleEntry
from tracker.publishing.render import render_vendor_articles
from tracker.scheduling.jobstore import JOB_FUNCTION, STORE_ALIAS, job_id, opened_jobs
from tracker.scheduling.runners import LocalRunner, RunSnapshot
from tracker.scheduling.scheduler import SchedulerContext, run_scheduler
from tracker.scheduling.triggers import Schedule
from tracker.services import sync_catalog_file
from tracker.store.engine import Store, open_store
from tracker.store.models import CrawlRun, Vendor
from tracker.web.samplesite import SAMPLE_SITE_DIR, StaticSite

LEAD_SECONDS = 5.0  # the first job falls due this long after the jobs are stored


def rss_kib() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def write_config(folder: Path, database_url: str) -> Path:
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
                'contact_url = "http://127.0.0.1/bench"',
                "[schedule]",
                "resync_seconds = 15",
            ]
        )
        + "\n"
    )
    return path


def add_jobs(store: Store, schedule: Schedule, due: dict[str, datetime], end: timedelta) -> None:
    """Store one job per vendor whose first run falls at its due time, as sync would keep it."""
    with opened_jobs(store) as (scheduler, _jobstore):
        for vendor, first in due.items():
            scheduler.add_job(
                JOB_FUNCTION,
                trigger=IntervalTrigger(
                    seconds=schedule.every_seconds or 1,
                    start_date=first,
                    end_date=first + end,
                    timezone=UTC,
                ),
                id=job_id(vendor),
                name=f"crawl {vendor}",
                args=[vendor],
                kwargs={"schedule": schedule.fingerprint()},
                max_instances=1,
                coalesce=True,
                misfire_grace_time=schedule.misfire_grace_seconds(),
                replace_existing=True,
                jobstore=STORE_ALIAS,
            )


def stop_when(done: threading.Event) -> None:
    def watch() -> None:
        done.wait()
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, daemon=True).start()


@dataclass
class RecordingRunner:
    """Records when each vendor was handed over; crawls nothing."""

    expected: int
    name: str = "recording"
    dispatched: dict[str, datetime] = field(default_factory=dict)
    rss: list[tuple[int, int]] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def crawl(self, vendor: str, *, trigger: str, stop: threading.Event) -> RunSnapshot | None:
        now = datetime.now(UTC)
        with self.lock:
            self.dispatched[vendor] = now
            count = len(self.dispatched)
            if count in (1, self.expected // 2, self.expected):
                self.rss.append((count, rss_kib()))
            if count >= self.expected:
                self.done.set()
        return None


def part1(folder: Path, vendors: int, window: float) -> str:
    url = f"sqlite:///{folder / 'part1.db'}"
    catalog = {
        "products": [{"slug": "thing", "name": "Thing"}],
        "vendors": [
            {
                "slug": f"v{n:04d}",
                "name": f"Vendor {n}",
                "homepage": "http://127.0.0.1:9/",
                "currency": "USD",
                "schedule": {"every": "6h", "jitter": 0},
                "listings": [{"product": "thing", "label": "one", "url": "http://127.0.0.1:9/p"}],
            }
            for n in range(vendors)
        ],
    }
    (folder / "catalog.yaml").write_text(yaml.safe_dump(catalog))
    settings = load_settings(write_config(folder, url))
    store = open_store(url)
    sync_catalog_file(store, settings.catalog, {})
    start = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
    due = {f"v{n:04d}": start + timedelta(seconds=window * n / vendors) for n in range(vendors)}
    schedule = Schedule.of(ScheduleEntry(every="6h", jitter=0), "6h", "0")
    add_jobs(store, schedule, due, timedelta(hours=1))
    runner = RecordingRunner(vendors)
    context = SchedulerContext(settings, store, runner, catch_up=False)
    stop_when(runner.done)
    print(f"part 1: {vendors} jobs due within {window:g} s, recording runner", flush=True)
    run_scheduler(context)
    store.close()
    delays = sorted((runner.dispatched[v] - due[v]).total_seconds() for v in due)
    print(f"  dispatched       {len(runner.dispatched)}/{vendors}")
    print(f"  delay median     {statistics.median(delays) * 1000:.1f} ms")
    print(f"  delay worst      {delays[-1] * 1000:.1f} ms")
    for count, kib in runner.rss:
        print(f"  RSS after {count:>4} {kib / 1024:.1f} MiB")
    first, last = runner.rss[0][1], runner.rss[-1][1]
    return (
        f"part 1: {len(runner.dispatched)}/{vendors} dispatched in {window:g} s; delay median "
        f"{statistics.median(delays) * 1000:.0f} ms, worst {delays[-1] * 1000:.0f} ms; RSS "
        f"{first / 1024:.1f} -> {last / 1024:.1f} MiB ({(last - first) / 1024:+.1f})"
    )


@dataclass
class Renders:
    after: list[tuple[str, int, int]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def part2(folder: Path, vendors: int, interval: float) -> str:
    url = f"sqlite:///{folder / 'part2.db'}"
    shutil.copytree(PROJECT_ROOT / "examples" / "content", folder / "content")
    sample = yaml.safe_load((PROJECT_ROOT / "examples" / "catalog.yaml").read_text())
    template = next(v for v in sample["vendors"] if v["slug"] == "harbor-health")
    catalog = {
        "products": sample["products"],
        "vendors": [
            {
                **template,
                "slug": f"shop-{n:02d}",
                "name": f"Shop {n}",
                "schedule": {"every": f"{interval:g}s", "jitter": 0},
                "listings": [
                    {**listing, "url": f"{listing['url']}?shop={n}"}
                    for listing in template["listings"]
                ],
            }
            for n in range(vendors)
        ],
    }
    (folder / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False))
    config = write_config(folder, url)
    with StaticSite(SAMPLE_SITE_DIR) as site:
        os.environ["SAMPLE_SITE"] = site.url
        os.environ["TRACKER_CONFIG"] = str(config)
        settings = load_settings(config)
        store = open_store(url)
        sync_catalog_file(store, settings.catalog)
        spread = interval * 0.9
        start = datetime.now(UTC) + timedelta(seconds=LEAD_SECONDS)
        due = {
            f"shop-{n:02d}": start + timedelta(seconds=spread * n / vendors) for n in range(vendors)
        }
        schedule = Schedule.of(ScheduleEntry(every=f"{interval:g}s", jitter=0), "6h", "0")
        # Two runs each: the trigger ends just after the second due time.
        add_jobs(store, schedule, due, timedelta(seconds=interval + 1))
        renders = Renders()
        expected = 2 * vendors
        finished = threading.Event()

        def after(vendor: str, snapshot: RunSnapshot) -> None:
            report = render_vendor_articles(settings, store, vendor)
            with renders.lock:
                renders.after.append(
                    (vendor, len(report.results), sum(r.changed for r in report.results))
                )
                if len(renders.after) >= expected:
                    finished.set()

        context = SchedulerContext(
            settings, store, LocalRunner(settings, store), after, catch_up=False
        )
        stop_when(finished)
        print(
            f"part 2: {vendors} vendors, each due twice (every {interval:g} s), real crawls, "
            f"{settings.schedule.max_running} at once",
            flush=True,
        )
        run_scheduler(context)
        with store.sessions() as session:
            rows = session.execute(
                select(Vendor.slug, CrawlRun).join(CrawlRun, CrawlRun.vendor_id == Vendor.id)
            ).all()
        store.close()
    runs: dict[str, list[CrawlRun]] = {}
    for slug, run in rows:
        runs.setdefault(slug, []).append(run)
    overlaps = 0
    delays = []
    for slug, vendor_runs in runs.items():
        vendor_runs.sort(key=lambda r: r.started_at)
        for before, after_run in zip(vendor_runs, vendor_runs[1:], strict=False):
            if before.finished_at is None or after_run.started_at < before.finished_at:
                overlaps += 1
        for index, run in enumerate(vendor_runs):
            delays.append(
                (run.started_at - (due[slug] + timedelta(seconds=interval * index))).total_seconds()
            )
    total = sum(len(v) for v in runs.values())
    good = sum(r.status == "ok" for v in runs.values() for r in v)
    delays.sort()
    rendered = [count for _vendor, count, _written in renders.after]
    written = sum(w for _vendor, _count, w in renders.after)
    print(f"  runs recorded    {total}/{expected} ({good} ok)")
    print(f"  overlapping      {overlaps} (runs of one vendor that overlap)")
    print(f"  start delay      median {statistics.median(delays):.2f} s, worst {delays[-1]:.2f} s")
    print(
        f"  re-renders       {len(renders.after)} after {total} crawls, "
        f"{min(rendered)}-{max(rendered)} articles each, {written} files written"
    )
    return (
        f"part 2: {total}/{expected} runs recorded ({good} ok), {overlaps} overlapping; start "
        f"delay median {statistics.median(delays):.2f} s, worst {delays[-1]:.2f} s; "
        f"{len(renders.after)} re-renders"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--part", choices=["1", "2", "all"], default="all")
    parser.add_argument("--jobs", type=int, default=500, help="part 1: vendor jobs")
    parser.add_argument("--window", type=float, default=120.0, help="part 1: seconds")
    parser.add_argument("--vendors", type=int, default=20, help="part 2: vendors")
    parser.add_argument("--interval", type=float, default=60.0, help="part 2: seconds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    summary = []
    with tempfile.TemporaryDirectory(prefix="schedule-bench-") as temporary:
        folder = Path(temporary)
        if args.part in ("1", "all"):
            (folder / "p1").mkdir()
            summary.append(part1(folder / "p1", args.jobs, args.window))
        if args.part in ("2", "all"):
            (folder / "p2").mkdir()
            summary.append(part2(folder / "p2", args.vendors, args.interval))
    for line in summary:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
