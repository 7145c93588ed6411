"""Render benchmark: render cost must not grow with history; live fragment throughput.

1. Two temporary SQLite stores with the sample catalog, one holding 10,000 observation spans and
   one 1,000,000 (Core bulk inserts; a price change every 6 hours per listing, so the longer
   history reaches further back, while the last 90 days hold the same number of spans).
   All sample articles are rendered against each; the ratio of the median times must stay
   at or below 1.25.
2. Buy-box renders per second (the read model's one query, the view model and Jinja) on the
   large store, at least 1,000; and the same with a new read model per box (history read too).
3. An unchanged re-render of all sample articles (skipped by the data version) against the
   first render: at most 0.1.
4. `tracker serve` on the large store, as a child process; a client in another process sends
   bounded runs of requests to /healthz and to /boxes/cortexin.html, in turn, over loopback
   (asyncio + httpx2): cached boxes per second at least 0.8 of /healthz's on the same server.

Run: .venv/bin/python bench/render_bench.py [--small 10000] [--large 1000000] [--requests 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, update

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from tests.seeding import serving  # noqa: E402
from tracker.catalog import load_catalog  # noqa: E402
from tracker.config import Settings  # noqa: E402
from tracker.publishing.publisher import Publisher  # noqa: E402
from tracker.publishing.readmodel import ReadModel  # noqa: E402
from tracker.publishing.render import render_articles  # noqa: E402
from tracker.publishing.renderstate import STATE_NAME  # noqa: E402
from tracker.store.engine import Store, open_store  # noqa: E402
from tracker.store.models import Listing, ObservationSpan  # noqa: E402
from tracker.store.repo import listing_states, sync_catalog  # noqa: E402

SPAN = timedelta(hours=6)  # a price change every 6 hours: 360 spans per listing in 90 days
CHUNK = 50_000
MAX_RATIO = 1.25
MIN_BOXES = 1000  # buy boxes per second, database to HTML
MAX_RERENDER = 0.1  # an unchanged re-render against the first render
MIN_SERVE = 0.8  # cached boxes per second against /healthz, on the same server


def build_store(folder: Path, spans: int, now: datetime) -> Settings:
    """A store with the sample catalog and ``spans`` spans spread over its listings."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = Settings(
        root=folder,
        database_url=f"sqlite:///{folder / 'tracker.db'}",
        catalog=PROJECT_ROOT / "examples" / "catalog.yaml",
        content_dir=PROJECT_ROOT / "examples" / "content",
        out_dir=folder / "out",
        var_dir=folder / "var",
    ).resolved()
    store = open_store(settings.database_url)
    try:
        catalog = load_catalog(settings.catalog, {"SAMPLE_SITE": "https://shop.example"})
        with store.sessions.begin() as session:
            sync_catalog(session, catalog)
            states = listing_states(session)
        per_listing = spans // len(states)
        rng = random.Random(7)
        table = ObservationSpan.__table__
        with store.engine.begin() as connection:
            for state in states:
                base = Decimal(rng.randrange(3000, 12000)) / 100
                rows = []
                for index in range(per_listing):
                    end = now - timedelta(hours=1) - index * SPAN
                    price = base * (1 + Decimal(rng.randrange(-50, 51)) / 1000)
                    rows.append(
                        {
                            "listing_id": state.listing_id,
                            "price": price.quantize(Decimal("0.01")),
                            "currency": "EUR" if state.vendor_slug == "peptide-corner" else "USD",
                            "availability": "InStock",
                            "regular_price": None,
                            "first_seen_at": end - SPAN + timedelta(minutes=1),
                            "last_seen_at": end,
                            "confirmed": True,
                            "source": "json-ld",
                            "raw_price": None,
                            "seen_count": 4,
                        }
                    )
                    if len(rows) == CHUNK:
                        connection.execute(insert(table), rows)
                        rows = []
                if rows:
                    connection.execute(insert(table), rows)
                latest = connection.execute(
                    table.select()
                    .with_only_columns(table.c.id)
                    .where(table.c.listing_id == state.listing_id)
                    .order_by(table.c.last_seen_at.desc())
                    .limit(1)
                ).scalar_one()
                connection.execute(
                    update(Listing)
                    .where(Listing.id == state.listing_id)
                    .values(
                        current_span_id=latest,
                        last_checked_at=now - timedelta(hours=1),
                        last_ok_at=now - timedelta(hours=1),
                        last_status="ok",
                    )
                )
            connection.exec_driver_sql("ANALYZE")
    finally:
        store.close()
    return settings


def time_renders(stores: dict[str, Settings], now: datetime, rounds: int) -> dict[str, float]:
    """Best time to render every sample article, per store.

    The stores take turns round by round, so that load from other processes on a shared
    machine falls on both alike; the minimum is the least disturbed measurement.
    """
    opened = {label: open_store(s.database_url) for label, s in stores.items()}
    times: dict[str, list[float]] = {label: [] for label in stores}
    try:
        for label, store in opened.items():
            render_articles(stores[label], store, now=now, force=True)  # warm up
        for _ in range(rounds):
            for label, store in opened.items():
                started = time.perf_counter()
                report = render_articles(stores[label], store, now=now, force=True)
                times[label].append(time.perf_counter() - started)
                assert not report.errors, report.errors
    finally:
        for store in opened.values():
            store.close()
    return {label: min(values) for label, values in times.items()}


def box_rate(
    store: Store, settings: Settings, now: datetime, *, cold: bool, seconds: float = 2.0
) -> tuple[float, float]:
    """Buy boxes of one product rendered per second, from the database to HTML: per second of
    wall time, and per second of this process's CPU time (what other load cannot take away).

    ``cold``: a new read model for every box, so each one reads its history too (what a box
    costs the first time its data version is seen); otherwise the read model of a long-lived
    process, which reads one query per box.
    """
    count = 0
    with store.sessions.begin() as session:
        publisher = Publisher(settings, session, now)
        publisher.renderer.render(publisher.groups([(("cortexin",), "cards", None)])[0])
        started, cpu = time.perf_counter(), time.process_time()
        while time.perf_counter() - started < seconds:
            if cold:
                publisher.reads = ReadModel(settings)
            [group] = publisher.groups([(("cortexin",), "cards", None)])
            publisher.renderer.render(group)
            count += 1
        wall = time.perf_counter() - started
        return count / wall, count / max(time.process_time() - cpu, 1e-9)


def rerender_ratio(settings: Settings, now: datetime, rounds: int) -> tuple[float, float]:
    """Best first render and best unchanged re-render (skipped by the data version), seconds."""
    store = open_store(settings.database_url)
    state = settings.var_dir / STATE_NAME
    firsts, agains = [], []
    try:
        for _ in range(rounds):
            state.unlink(missing_ok=True)
            started = time.perf_counter()
            first = render_articles(settings, store, now=now)
            firsts.append(time.perf_counter() - started)
            started = time.perf_counter()
            again = render_articles(settings, store, now=now)
            agains.append(time.perf_counter() - started)
            assert not any(r.skipped for r in first.results)
            assert all(r.skipped for r in again.results)
    finally:
        store.close()
    return min(firsts), min(agains)


def load_test(settings: Settings, requests: int, concurrency: int) -> dict[str, dict[str, float]]:
    """Start `tracker serve`; from a client process, alternate runs against /healthz and
    /boxes/cortexin.html on the same server; return the figures of each (runs summed)."""
    config = Path(settings.root) / "tracker.toml"
    config.write_text(
        f'database_url = "{settings.database_url}"\n'
        f'catalog = "{settings.catalog}"\ncontent_dir = "{settings.content_dir}"\n',
        encoding="utf-8",
    )
    runs: dict[str, list[dict[str, float]]] = {"healthz": [], "boxes": []}
    with serving({**os.environ, "TRACKER_CONFIG": str(config)}) as url:
        for _round in range(2):
            for name, path in (("healthz", "/healthz"), ("boxes", "/boxes/cortexin.html")):
                client = subprocess.run(
                    [
                        sys.executable,
                        __file__,
                        "--client",
                        f"{url}{path}",
                        "--requests",
                        str(requests),
                        "--concurrency",
                        str(concurrency),
                    ],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                runs[name].append(json.loads(client.stdout))
    out = {}
    for name, figures in runs.items():
        took = sum(f["requests"] / f["rps"] for f in figures)
        out[name] = {
            "requests": sum(f["requests"] for f in figures),
            "errors": sum(f["errors"] for f in figures),
            "rps": sum(f["requests"] for f in figures) / took,
            "p50_ms": max(f["p50_ms"] for f in figures),
            "p99_ms": max(f["p99_ms"] for f in figures),
        }
    return out


async def _client(url: str, requests: int, concurrency: int) -> dict[str, float]:
    import httpx2

    latencies: list[float] = []
    errors = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(requests):
        queue.put_nowait(number)

    async def worker(client: httpx2.AsyncClient) -> None:
        nonlocal errors
        while not queue.empty():
            queue.get_nowait()
            started = time.perf_counter()
            response = await client.get(url)
            latencies.append(time.perf_counter() - started)
            wanted = b"tracker-box" if "/boxes/" in url else b'"ok"'
            if response.status_code != 200 or wanted not in response.content:
                errors += 1

    limits = httpx2.Limits(max_connections=concurrency)
    async with httpx2.AsyncClient(limits=limits, timeout=30) as client:
        await client.get(url)  # warm the server's cache once
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        took = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": float(len(latencies)),
        "errors": float(errors),
        "rps": len(latencies) / took,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.client:
        print(json.dumps(asyncio.run(_client(args.client, args.requests, args.concurrency))))
        return

    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory(prefix="render-bench-") as temporary:
        folder = Path(temporary)
        stores = {}
        for label, spans in (("small", args.small), ("large", args.large)):
            started = time.perf_counter()
            stores[label] = build_store(folder / label, spans, now)
            print(f"{spans:>9,} spans: store built in {time.perf_counter() - started:.1f} s")
        timings = time_renders(stores, now, args.rounds)
        for label, spans in (("small", args.small), ("large", args.large)):
            print(
                f"{spans:>9,} spans: all sample articles rendered in "
                f"{timings[label] * 1000:.1f} ms (best of {args.rounds})"
            )
        ratio = timings["large"] / timings["small"]
        print(
            f"render time ratio {args.large:,} / {args.small:,} spans: "
            f"{ratio:.2f} (limit {MAX_RATIO})"
        )

        settings = stores["large"]
        store = open_store(settings.database_url)
        try:
            warm_wall, warm = box_rate(store, settings, now, cold=False)
            cold_wall, cold = box_rate(store, settings, now, cold=True)
        finally:
            store.close()
        print(
            f"buy-box renders (database to HTML, cortexin): {warm:.0f} per CPU second "
            f"({warm_wall:.0f} per second of wall time)"
        )
        print(
            f"  with a new read model per box (history read each time): {cold:.0f} per CPU "
            f"second ({cold_wall:.0f} per second of wall time)"
        )

        first, again = rerender_ratio(settings, now, max(3, args.rounds // 4))
        rerender = again / first
        print(
            f"all sample articles: first render {first * 1000:.1f} ms, unchanged re-render "
            f"{again * 1000:.1f} ms: ratio {rerender:.3f} (limit {MAX_RERENDER})"
        )

        load = load_test(settings, args.requests, args.concurrency)
        for name in ("healthz", "boxes"):
            figures = load[name]
            print(
                f"{name}: {int(figures['requests'])} requests, {args.concurrency} at a time: "
                f"{figures['rps']:.0f} requests/s, p50 {figures['p50_ms']:.1f} ms, "
                f"p99 {figures['p99_ms']:.1f} ms, {int(figures['errors'])} errors"
            )
        serve_ratio = load["boxes"]["rps"] / load["healthz"]["rps"]
        print(f"cached /boxes/cortexin.html against /healthz: {serve_ratio:.2f} (>= {MIN_SERVE})")
    errors = load["boxes"]["errors"] + load["healthz"]["errors"]
    checks = [
        ratio <= MAX_RATIO,
        warm >= MIN_BOXES,
        rerender <= MAX_RERENDER,
        serve_ratio >= MIN_SERVE,
        errors == 0,
    ]
    verdict = "OK" if all(checks) else "FAIL"
    print(f"load average now: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    print(
        f"render bench: {verdict} span ratio {ratio:.2f} <= {MAX_RATIO}, {warm:.0f} boxes/CPU s "
        f">= {MIN_BOXES} ({cold:.0f} cold), re-render {rerender:.3f} <= {MAX_RERENDER}, "
        f"serve ratio {serve_ratio:.2f} >= {MIN_SERVE}"
    )
    if verdict != "OK":
        raise SystemExit(1)


if __name__ == "__main__":
    main()
