"""Scale benchmark: does each stage grow no faster than the site?

Builds the same synthetic site at two sizes (default 1,000 and 4,000 products, each sold by 5
vendors: 5,000 and 20,000 listings; one article per product), with the vendors' pages served
on loopback by a small page server this script starts, and measures each stage at both sizes:

- catalog sync: first (empty database) and unchanged (the same file again);
- crawl: `tracker crawl` of every vendor (a child process; its peak memory too);
- render: first (every article written) and unchanged (skipped by the data version);
- serve: `tracker serve` (a child process) answering random products' /boxes/<slug>.html,
  after one pass over every product, against /healthz on the same server (its peak memory).

It prints, per stage, the time ratio large/small (each at most 4.4 for 4x the work), the peak
memory ratio of the crawl and the server (at most 1.5), and the random-product throughput at
the large size against /healthz (at least 0.8). It takes several minutes; `--sizes 200,800`
gives a quick look (the targets are for the default sizes).

Run: .venv/bin/python bench/scale_bench.py [--sizes 1000,4000] [--vendors 5] [--requests 3000]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from tracker.config import load_settings  # noqa: E402
from tracker.publishing.render import render_articles  # noqa: E402
from tracker.services import sync_catalog_file  # noqa: E402
from tracker.store.engine import open_store  # noqa: E402

MAX_TIME_RATIO = 4.4
MAX_MEMORY_RATIO = 1.5
MIN_SERVE_SHARE = 0.8
ANNOUNCED = re.compile(r"Serving live buy boxes at (http://\S+?)/ ")
PAGE = """<!doctype html><html><head><title>{name}</title>
<script type="application/ld+json">{data}</script></head>
<body><h1>{name}</h1><p class="price">{price} USD</p></body></html>"""


# --- the vendors' pages --------------------------------------------------------------------


def price_of(vendor: int, product: int) -> str:
    return f"{10 + (product * 7 + vendor * 13) % 900}.{(product + vendor) % 100:02d}"


def page(path: str) -> bytes | None:
    """The page of /v<vendor>/p<product>.html: one product with one offer in JSON-LD."""
    found = re.fullmatch(r"/v(\d+)/p(\d+)\.html", path)
    if found is None:
        return None
    vendor, product = int(found[1]), int(found[2])
    name = f"Product {product}"
    data = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": name,
        "offers": {
            "@type": "Offer",
            "price": price_of(vendor, product),
            "priceCurrency": "USD",
            "availability": "https://schema.org/InStock",
        },
    }
    return PAGE.format(name=name, data=json.dumps(data), price=price_of(vendor, product)).encode()


async def _serve_pages(port_file: Path) -> None:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode("ascii", "replace").split("?")[0]
                body = page(path)
                status = "200 OK" if body is not None else "404 Not Found"
                body = body if body is not None else b"not found\n"
                writer.write(
                    f"HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode("ascii")
                    + body
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    port = server.sockets[0].getsockname()[1]
    port_file.write_text(str(port), encoding="utf-8")
    async with server:
        await server.serve_forever()


class PageServer:
    """The page server as a child process of this script."""

    def __init__(self, folder: Path) -> None:
        self.port_file = folder / "pages.port"
        self.process = subprocess.Popen(
            [sys.executable, __file__, "--serve-pages", str(self.port_file)]
        )
        deadline = time.monotonic() + 60
        while not self.port_file.exists() or not self.port_file.read_text():
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError("the page server did not start")
            time.sleep(0.05)
        self.base = f"http://127.0.0.1:{int(self.port_file.read_text())}"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


# --- the site --------------------------------------------------------------------------------


def write_site(folder: Path, products: int, vendors: int, base: str) -> Path:
    """Catalog, one article per product and a configuration; returns the configuration."""
    catalog = {
        "products": [{"slug": f"product-{i}", "name": f"Product {i}"} for i in range(products)],
        "vendors": [
            {
                "slug": f"vendor-{v}",
                "name": f"Vendor {v}",
                "homepage": f"{base}/v{v}/",
                "currency": "USD",
                "crawl": {"obey_robots": False},
                "listings": [
                    {"product": f"product-{i}", "label": "1 pack", "url": f"{base}/v{v}/p{i}.html"}
                    for i in range(products)
                ],
            }
            for v in range(vendors)
        ],
    }
    (folder / "catalog.yaml").write_text(yaml.safe_dump(catalog, sort_keys=False), "utf-8")
    content = folder / "content"
    content.mkdir()
    for i in range(products):
        (content / f"product-{i}.md").write_text(
            f"# Product {i}\n\nWhere to buy:\n\n"
            f'<!-- tracker:buy-box product="product-{i}" -->\n<!-- /tracker:buy-box -->\n\n'
            "The rest of the article.\n",
            encoding="utf-8",
        )
    config = folder / "tracker.toml"
    config.write_text(
        f'database_url = "sqlite:///{folder / "var" / "tracker.db"}"\n'
        'catalog = "catalog.yaml"\ncontent_dir = "content"\nout_dir = "out"\nvar_dir = "var"\n'
        "[crawl]\nobey_robots = false\nconcurrency_per_domain = 16\ndownload_delay = 0\n"
        "time_limit_seconds = 7200\n",
        encoding="utf-8",
    )
    return config


# --- measuring -------------------------------------------------------------------------------


def timed(work: Any, *args: Any, **kwargs: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = work(*args, **kwargs)
    return time.perf_counter() - started, result


def run_measured(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Run a command to its end: wall seconds and the peak memory (MB) of it and its children."""
    started = time.perf_counter()
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    output: list[bytes] = []
    reader = threading.Thread(target=lambda: output.append(process.stdout.read()))  # type: ignore[union-attr]
    reader.start()
    _pid, status, usage = os.wait4(process.pid, 0)
    reader.join()
    took = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{b''.join(output).decode()[-3000:]}")
    return took, usage.ru_maxrss / 1024


def peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


async def _client(urls: list[str], concurrency: int) -> dict[str, float]:
    import httpx2

    queue: asyncio.Queue[str] = asyncio.Queue()
    for url in urls:
        queue.put_nowait(url)
    errors = 0

    async def worker(client: httpx2.AsyncClient) -> None:
        nonlocal errors
        while not queue.empty():
            response = await client.get(queue.get_nowait())
            if response.status_code != 200:
                errors += 1

    async with httpx2.AsyncClient(
        limits=httpx2.Limits(max_connections=concurrency), timeout=60
    ) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        took = time.perf_counter() - started
    return {"seconds": took, "rps": len(urls) / took, "errors": float(errors)}


def client_run(urls: list[str], concurrency: int, folder: Path) -> dict[str, float]:
    """Send the URLs from a separate client process (it must not share the server's CPU slice
    with this script's interpreter)."""
    listing = folder / "urls.json"
    listing.write_text(json.dumps(urls), encoding="utf-8")
    done = subprocess.run(
        [sys.executable, __file__, "--client", str(listing), "--concurrency", str(concurrency)],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(done.stdout)
    return figures


@dataclass
class SizeFigures:
    products: int
    listings: int
    seconds: dict[str, float] = field(default_factory=dict)
    memory_mb: dict[str, float] = field(default_factory=dict)
    serve_rps: float = 0.0
    healthz_rps: float = 0.0


def measure(size: int, vendors: int, requests: int, concurrency: int, root: Path) -> SizeFigures:
    folder = root / f"site-{size}"
    folder.mkdir()
    pages = PageServer(folder)
    figures = SizeFigures(size, size * vendors)
    try:
        config = write_site(folder, size, vendors, pages.base)
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
        env["TRACKER_CONFIG"] = str(config)
        settings = load_settings(config)
        store = open_store(settings.database_url)
        try:
            figures.seconds["sync first"], report = timed(
                sync_catalog_file, store, settings.catalog, {}
            )
            figures.seconds["sync unchanged"], again = timed(
                sync_catalog_file, store, settings.catalog, {}
            )
            assert len(report.added) == size + vendors + size * vendors, len(report.added)
            assert not (again.added or again.updated or again.deactivated)
            print(f"  {size} products: synced", flush=True)

            tracker = [sys.executable, "-m", "tracker"]
            figures.seconds["crawl"], figures.memory_mb["crawl"] = run_measured(
                [*tracker, "crawl"], env, folder
            )
            print(f"  {size} products: crawled", flush=True)

            figures.seconds["render first"], first = timed(render_articles, settings, store)
            figures.seconds["render unchanged"], second = timed(render_articles, settings, store)
            assert not first.errors and sum(r.changed for r in first.results) == size
            assert all(r.skipped for r in second.results)
            print(f"  {size} products: rendered", flush=True)
        finally:
            store.close()

        server = subprocess.Popen(
            [*tracker, "serve", "--port", "0"],
            env=env,
            cwd=folder,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        try:
            assert server.stdout is not None
            url = ""
            for line in server.stdout:
                if found := ANNOUNCED.search(line):
                    url = found[1]
                    break
            if not url:
                raise RuntimeError("tracker serve did not start")
            drain = threading.Thread(target=server.stdout.read, daemon=True)
            drain.start()
            every = [f"{url}/boxes/product-{i}.html" for i in range(size)]
            client_run(every, concurrency, folder)  # every product once: the cache is warm
            rng = random.Random(size)
            boxes = [rng.choice(every) for _ in range(requests)]
            health = [f"{url}/healthz"] * requests
            served = client_run(boxes, concurrency, folder)
            healthy = client_run(health, concurrency, folder)
            served2 = client_run(boxes, concurrency, folder)
            healthy2 = client_run(health, concurrency, folder)
            figures.memory_mb["server"] = peak_mb(server.pid)
            figures.seconds["serve random products"] = served["seconds"] + served2["seconds"]
            figures.serve_rps = 2 * requests / figures.seconds["serve random products"]
            figures.healthz_rps = 2 * requests / (healthy["seconds"] + healthy2["seconds"])
            if served["errors"] or served2["errors"]:
                raise RuntimeError("the server answered errors")
        finally:
            server.terminate()
            server.wait(timeout=30)
        print(f"  {size} products: served", flush=True)
    finally:
        pages.stop()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,4000", help="products, small and large")
    parser.add_argument("--vendors", type=int, default=5)
    parser.add_argument("--requests", type=int, default=3000, help="per serve run")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--serve-pages", help=argparse.SUPPRESS)
    parser.add_argument("--client", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_pages:
        asyncio.run(_serve_pages(Path(args.serve_pages)))
        return
    if args.client:
        urls = json.loads(Path(args.client).read_text(encoding="utf-8"))
        print(json.dumps(asyncio.run(_client(urls, args.concurrency))))
        return

    small, large = (int(n) for n in args.sizes.split(","))
    with tempfile.TemporaryDirectory(prefix="scale-bench-") as temporary:
        results = {}
        for size in (small, large):
            print(f"{size} products x {args.vendors} vendors:", flush=True)
            results[size] = measure(
                size, args.vendors, args.requests, args.concurrency, Path(temporary)
            )
    a, b = results[small], results[large]
    work = b.products / a.products
    limit = MAX_TIME_RATIO * work / 4
    checks = []
    print(f"\nstage times, {b.products} against {a.products} products ({work:.0f}x the work):")
    allowed = limit
    for stage in a.seconds:
        ratio = b.seconds[stage] / a.seconds[stage]
        checks.append(ratio <= allowed)
        print(
            f"  {stage:<24} {a.seconds[stage]:8.2f} s {b.seconds[stage]:8.2f} s  "
            f"ratio {ratio:5.2f} (<= {allowed:.2f})"
        )
    print("peak memory:")
    for name in a.memory_mb:
        ratio = b.memory_mb[name] / a.memory_mb[name]
        checks.append(ratio <= MAX_MEMORY_RATIO)
        print(
            f"  {name:<24} {a.memory_mb[name]:8.1f} MB {b.memory_mb[name]:7.1f} MB  "
            f"ratio {ratio:5.2f} (<= {MAX_MEMORY_RATIO})"
        )
    share = b.serve_rps / b.healthz_rps
    checks.append(share >= MIN_SERVE_SHARE)
    print(
        f"random products at {b.products}: {b.serve_rps:.0f} requests/s, /healthz "
        f"{b.healthz_rps:.0f}: share {share:.2f} (>= {MIN_SERVE_SHARE})"
    )
    print(f"load average now: {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    verdict = "OK" if all(checks) else "FAIL"
    print(f"scale bench: {verdict}")
    if verdict != "OK":
        raise SystemExit(1)


if __name__ == "__main__":
    main()
