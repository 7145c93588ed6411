"""Crawl benchmark: how much slower is the tracker's full crawl than a bare Scrapy crawl?

Serves N generated product pages (40-80 KB each) from a separate process on 127.0.0.1,
crawls them (a) with a spider that parses nothing and (b) with the real ``listings`` spider,
its extraction and its database pipeline, both as child processes with the same Scrapy
settings, and prints pages per second and peak memory of each. The last line is
``crawl_ratio=<pages/s of b / pages/s of a>``. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import pstats
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from contextlib import closing
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pages import CURRENCY, SHOP_NAME, PageSpec, page_specs
from pageserver import FetchReport, PageServer, fetch_all
from sqlalchemy import select

from tracker.crawling import settings as tracker_scrapy_settings
from tracker.services import sync_catalog_file
from tracker.store import repo
from tracker.store.engine import open_store
from tracker.store.models import CrawlRun, Listing, ObservationSpan

BENCH_DIR = Path(__file__).resolve().parent
RESULTS_FILE = BENCH_DIR / "results" / "crawl.json"
PROFILE_FILE = BENCH_DIR / "results" / "crawl_full.prof"
SEED = 2026
VENDOR = "bench-shop"
# A crawl here is CPU-bound: more wall time than this per CPU second means it waited for a CPU.
BUSY_WALL_PER_CPU = 1.2


class BenchError(Exception):
    """The benchmark cannot give a trustworthy figure; the message says why."""


@dataclass(frozen=True)
class Measurement:
    """One crawl, measured from the outside (process) and the inside (Scrapy stats)."""

    kind: str
    pages: int
    wall_seconds: float
    cpu_seconds: float
    max_rss_mb: float
    startup_rss_mb: float
    scrapy_seconds: float
    server_cpu_seconds: float
    max_in_flight: int

    @property
    def pages_per_second(self) -> float:
        return self.pages / self.wall_seconds

    @property
    def scrapy_pages_per_second(self) -> float:
        return self.pages / self.scrapy_seconds

    @property
    def pages_per_cpu_second(self) -> float:
        return self.pages / self.cpu_seconds

    def as_json(self) -> dict[str, Any]:
        figures = {
            **asdict(self),
            "pages_per_second": self.pages_per_second,
            "scrapy_pages_per_second": self.scrapy_pages_per_second,
            "pages_per_cpu_second": self.pages_per_cpu_second,
        }
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in figures.items()}


@dataclass(frozen=True)
class Workspace:
    """Paths and addresses shared by every crawl of one benchmark run."""

    tmp: Path
    base_url: str
    urls_file: Path
    template_db: Path
    specs: list[PageSpec]
    concurrency: int


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000, help="pages to crawl (default 2000)")
    parser.add_argument(
        "--concurrency", type=int, default=16, help="concurrent requests (default 16)"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="crawl pairs to run, best of each kept (default 1)"
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help=f"afterwards, run the full crawl once more under cProfile into {PROFILE_FILE.name}",
    )
    args = parser.parse_args(argv)
    if args.pages < 1 or args.concurrency < 1 or args.repeat < 1:
        parser.error("--pages, --concurrency and --repeat must be positive")
    return args


def write_catalog(specs: Sequence[PageSpec], base_url: str, path: Path) -> None:
    """One vendor, one product and one listing per page; the SKU picks among several offers."""
    listings = []
    for spec in specs:
        offer = spec.wanted_offer
        listing: dict[str, Any] = {
            "product": spec.slug,
            "label": offer.label,
            "url": f"{base_url}{spec.path}",
            "quantity": offer.quantity,
            "unit": offer.unit,
        }
        if len(spec.offers) > 1:
            listing["variant"] = {"sku": offer.sku}
        listings.append(listing)
    catalog = {
        "products": [{"slug": s.slug, "name": s.name, "brand": s.brand} for s in specs],
        "vendors": [
            {
                "slug": VENDOR,
                "name": SHOP_NAME,
                "homepage": f"{base_url}/",
                "currency": CURRENCY,
                "listings": listings,
            }
        ],
    }
    path.write_text(yaml.safe_dump(catalog, sort_keys=False), encoding="utf-8")


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def sync_template_database(catalog: Path, database: Path) -> None:
    """Migrate a database and sync the catalog into it: the start state of every full crawl."""
    store = open_store(sqlite_url(database))
    try:
        sync_catalog_file(store, catalog, env={})
    finally:
        store.close()


def copy_database(source: Path, target: Path) -> None:
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def child_environment(database: Path | None) -> dict[str, str]:
    """The environment of a crawl: no tracker settings but the database, bench/ importable."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("TRACKER_")}
    env["SCRAPY_SETTINGS_MODULE"] = "tracker.crawling.settings"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BENCH_DIR), env.get("PYTHONPATH")]))
    if database is not None:
        env["TRACKER_DATABASE_URL"] = sqlite_url(database)
    return env


def scrapy_options(concurrency: int, probe_file: Path) -> list[str]:
    """The same ``-s`` options for both crawls; command-line priority beats the spider's.

    ``-s EXTENSIONS`` replaces the project's value, so the probe is added to it.
    """
    project_extensions = getattr(tracker_scrapy_settings, "EXTENSIONS", {})
    settings = {
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
        "LOG_LEVEL": "WARNING",
        "EXTENSIONS": json.dumps({**project_extensions, "crawl_probe.CrawlProbe": 1000}),
        "BENCH_PROBE_FILE": probe_file,
    }
    return [option for name, value in settings.items() for option in ("-s", f"{name}={value}")]


@dataclass(frozen=True)
class ChildRun:
    wall_seconds: float
    cpu_seconds: float


def run_child(command: list[str], env: dict[str, str], cwd: Path, log: Path) -> ChildRun:
    """Run a process to its end: wall time from start to exit and its own CPU time.

    Its peak memory comes from the probe: wait4's ``ru_maxrss`` includes this process's peak.
    """
    with log.open("wb") as out:
        start = time.perf_counter()
        child = subprocess.Popen(
            command, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=out
        )
        try:
            _, status, usage = os.wait4(child.pid, 0)
        except BaseException:
            child.kill()
            child.wait()
            raise
        wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise BenchError(f"{log.stem}: the crawl exited with code {child.returncode}:\n{tail}")
    return ChildRun(wall, usage.ru_utime + usage.ru_stime)


def check_probe(probe: dict[str, Any], kind: str, pages: int, concurrency: int) -> list[str]:
    """Problems with a crawl's own report: settings not applied, pages missed, errors."""
    problems = []
    expected = {
        "CONCURRENT_REQUESTS": concurrency,
        "CONCURRENT_REQUESTS_PER_DOMAIN": concurrency,
        "DOWNLOAD_DELAY": 0,
        "AUTOTHROTTLE_ENABLED": False,
    }
    settings = probe["settings"]
    for name, value in expected.items():
        got = settings[name]
        if got["value"] != value or got["from"] != "cmdline":
            problems.append(f"{name} is {got['value']!r} from {got['from']}, not {value!r}")
    if settings["ROBOTSTXT_OBEY"]["value"] is not True:
        problems.append("ROBOTSTXT_OBEY is not True")
    for key, slot in probe["slots"].items():
        if slot != {"concurrency": concurrency, "delay": 0}:
            problems.append(f"download slot {key}: {slot}")
    stats = probe["stats"]
    responses = stats.get("downloader/response_status_count/200", 0)
    if probe["reason"] != "finished" or responses != pages + 1:  # + robots.txt
        problems.append(f"finished {probe['reason']!r} with {responses} answers of 200")
    if stats.get("log_count/ERROR"):
        problems.append(f"{stats['log_count/ERROR']} errors logged")
    if kind == "full" and stats.get("item_scraped_count") != pages:
        problems.append(f"{stats.get('item_scraped_count')} items for {pages} pages")
    return [f"{kind} crawl: {p}" for p in problems]


def crawl(
    ws: Workspace, server: PageServer, kind: str, label: str, profile: Path | None = None
) -> Measurement:
    """Run one crawl (``bare`` or ``full``) as a child process and measure it."""
    probe_file = ws.tmp / f"{label}.probe.json"
    if kind == "bare":
        spider = ["runspider", str(BENCH_DIR / "bare_spider.py"), "-a", f"urls_file={ws.urls_file}"]
        env = child_environment(None)
    else:
        database = ws.tmp / f"{label}.db"
        copy_database(ws.template_db, database)
        spider = ["crawl", "listings"]
        env = child_environment(database)
    python = [sys.executable, "-m", "cProfile", "-o", str(profile)] if profile else [sys.executable]
    command = [*python, "-m", "scrapy", *spider, *scrapy_options(ws.concurrency, probe_file)]
    server_cpu = server.cpu_seconds()
    child = run_child(command, env, ws.tmp, ws.tmp / f"{label}.log")
    server_cpu = server.cpu_seconds() - server_cpu
    probe = json.loads(probe_file.read_text(encoding="utf-8"))
    problems = check_probe(probe, kind, len(ws.specs), ws.concurrency)
    if kind == "full":
        problems += verify_database(ws.tmp / f"{label}.db", ws.specs, ws.base_url)
    if problems:
        raise BenchError("\n".join(problems))
    return Measurement(
        kind=kind,
        pages=len(ws.specs),
        wall_seconds=child.wall_seconds,
        cpu_seconds=child.cpu_seconds,
        max_rss_mb=probe["peak_rss_kb"] / 1024,
        startup_rss_mb=probe["startup_peak_rss_kb"] / 1024,
        scrapy_seconds=float(probe["stats"]["elapsed_time_seconds"]),
        server_cpu_seconds=server_cpu,
        max_in_flight=probe["max_in_flight"],
    )


def verify_database(database: Path, specs: Sequence[PageSpec], base_url: str) -> list[str]:
    """Problems with what the full crawl stored: one ok run, N checks, N spans, right prices."""
    store = open_store(sqlite_url(database), upgrade=False)
    try:
        with store.readers.begin() as session:
            runs = session.scalars(select(CrawlRun)).all()
            spans = repo.count_spans(session)
            prices = session.execute(
                select(Listing.url, ObservationSpan.price).join(
                    ObservationSpan, Listing.current_span_id == ObservationSpan.id
                )
            ).all()
    finally:
        store.close()
    n = len(specs)
    if len(runs) != 1:
        return [f"full crawl: {len(runs)} crawl_runs rows, expected 1"]
    run = runs[0]
    problems = []
    if (run.status, run.checks, run.offers, run.failures) != ("ok", n, n, 0):
        problems.append(
            f"crawl run: status {run.status}, {run.checks} checks, {run.offers} offers, "
            f"{run.failures} failures; expected ok, {n}, {n}, 0 ({run.error or 'no error'})"
        )
    if spans != n:
        problems.append(f"{spans} observation spans, expected {n}")
    wanted = {f"{base_url}{s.path}": s.wanted_offer.price for s in specs}
    wrong = sum(1 for url, price in prices if Decimal(price) != wanted.get(url))
    if wrong or len(prices) != n:
        problems.append(f"{wrong} of {len(prices)} current prices differ from the pages'")
    return [f"full crawl: {p}" for p in problems]


def best(measurements: Sequence[Measurement], kind: str) -> Measurement:
    return max((m for m in measurements if m.kind == kind), key=lambda m: m.pages_per_second)


def print_server_check(check: FetchReport) -> None:
    sizes = check.sizes
    print(
        f"page server: {check.pages_per_second:,.0f} pages/s to a raw keep-alive client "
        f"(pages {min(sizes) / 1000:.1f}-{max(sizes) / 1000:.1f} KB, "
        f"mean {sum(sizes) / len(sizes) / 1000:.1f} KB)"
    )


def print_table(bare: Measurement, full: Measurement) -> None:
    rows = [
        ("pages/s (process start to exit)", "pages_per_second", "{:.1f}", True),
        ("pages/s (Scrapy elapsed time)", "scrapy_pages_per_second", "{:.1f}", True),
        ("pages per CPU second", "pages_per_cpu_second", "{:.1f}", True),
        ("wall time s", "wall_seconds", "{:.2f}", False),
        ("crawler CPU s", "cpu_seconds", "{:.2f}", False),
        ("peak RSS MB", "max_rss_mb", "{:.1f}", True),
        ("peak RSS before crawling MB", "startup_rss_mb", "{:.1f}", True),
        ("page server CPU s", "server_cpu_seconds", "{:.2f}", False),
        ("max requests in flight", "max_in_flight", "{}", False),
    ]
    print(f"\n{'':34}{'bare (a)':>10}{'full (b)':>10}{'b/a':>8}")
    for title, name, fmt, with_ratio in rows:
        a, b = getattr(bare, name), getattr(full, name)
        ratio = f"{b / a:.2f}" if with_ratio else ""
        print(f"{title:34}{fmt.format(a):>10}{fmt.format(b):>10}{ratio:>8}")


def warn_if_busy(measurements: Sequence[Measurement]) -> None:
    """Name the crawls that spent much of their wall time off the CPU: a busy machine."""
    for m in measurements:
        if m.wall_seconds > BUSY_WALL_PER_CPU * m.cpu_seconds:
            print(
                f"note: a {m.kind} crawl took {m.wall_seconds:.1f} s for {m.cpu_seconds:.1f} s "
                "of CPU: the machine was busy; compare pages per CPU second or use --repeat"
            )


def print_profile(path: Path) -> None:
    print(f"\nfull crawl under cProfile ({path}), top functions by own time:")
    pstats.Stats(str(path)).sort_stats("tottime").print_stats(15)
    print("by cumulative time:")
    pstats.Stats(str(path)).sort_stats("cumulative").print_stats(25)


def prepare(tmp: Path, base_url: str, args: argparse.Namespace) -> Workspace:
    """URL list, catalog and synced template database of the pages the server holds."""
    specs = page_specs(SEED, args.pages)
    urls_file = tmp / "urls.txt"
    urls_file.write_text("".join(f"{base_url}{s.path}\n" for s in specs), encoding="utf-8")
    catalog = tmp / "catalog.yaml"
    write_catalog(specs, base_url, catalog)
    template_db = tmp / "template.db"
    sync_template_database(catalog, template_db)
    return Workspace(tmp, base_url, urls_file, template_db, specs, args.concurrency)


def measure(ws: Workspace, server: PageServer, repeat: int) -> list[Measurement]:
    """Bare and full crawls, alternating, so that noise on the machine hits both alike."""
    measurements = []
    for round_ in range(1, repeat + 1):
        for kind in ("bare", "full"):
            measurement = crawl(ws, server, kind, f"{kind}-{round_}")
            print(
                f"  {kind} #{round_}: {measurement.pages_per_second:.1f} pages/s, "
                f"peak RSS {measurement.max_rss_mb:.1f} MB",
                flush=True,
            )
            measurements.append(measurement)
    return measurements


def run(args: argparse.Namespace) -> float:
    """The whole benchmark; returns the crawl ratio."""
    print(
        f"crawl benchmark: {args.pages} pages, concurrency {args.concurrency}, "
        f"{args.repeat} repeat(s), python {sys.version.split()[0]}",
        flush=True,
    )
    with (
        tempfile.TemporaryDirectory(prefix="crawl-bench-") as tmp,
        PageServer(args.pages, SEED) as server,
    ):
        base_url = server.start()
        ws = prepare(Path(tmp), base_url, args)
        check = fetch_all(base_url, [s.path for s in ws.specs], args.concurrency)
        print_server_check(check)
        measurements = measure(ws, server, args.repeat)
        bare, full = best(measurements, "bare"), best(measurements, "full")
        print_table(bare, full)
        warn_if_busy([bare, full])
        write_results(args, measurements, bare, full, check)
        if args.profile:
            crawl(ws, server, "full", "profile", profile=PROFILE_FILE)
            print_profile(PROFILE_FILE)
    return full.pages_per_second / bare.pages_per_second


def write_results(
    args: argparse.Namespace,
    measurements: Sequence[Measurement],
    bare: Measurement,
    full: Measurement,
    check: FetchReport,
) -> None:
    sizes = check.sizes
    ratio = full.pages_per_second / bare.pages_per_second
    results = {
        "pages": args.pages,
        "concurrency": args.concurrency,
        "repeat": args.repeat,
        "seed": SEED,
        "page_bytes": {"min": min(sizes), "max": max(sizes), "mean": sum(sizes) // len(sizes)},
        "server_pages_per_second": round(check.pages_per_second),
        "bare": bare.as_json(),
        "full": full.as_json(),
        "ratio_pages_per_second": round(ratio, 3),
        "ratio_peak_rss": round(full.max_rss_mb / bare.max_rss_mb, 3),
        "crawl_ratio": round(ratio, 2),
        "runs": [m.as_json() for m in measurements],
    }
    RESULTS_FILE.parent.mkdir(parents=True, exist_ok=True)
    RESULTS_FILE.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"\nresults: {RESULTS_FILE}")


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        ratio = run(args)
    except BenchError as exc:
        print(f"crawl benchmark failed:\n{exc}", file=sys.stderr)
        return 1
    print(f"crawl_ratio={ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
