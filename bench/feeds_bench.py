"""Feed benchmark: a feed run reads rows at least half as fast as doing nothing with them, in
flat memory.

1. Generated under a temporary folder (never committed): a gzipped Awin-style CSV and a
   gzipped Google Merchant XML, each of 1,000,000 rows and of 100,000 rows.
2. Speed: a whole feed run (``tracker.feeds.run.run_feed`` on a SQLite store with 100
   listings matched by GTIN: decompress, parse, match, record) against the plain ``csv``
   module / ``lxml.etree.iterparse`` reading the same file and doing nothing with the rows.
   The ratio of rows per second must be at least 0.5.
3. Memory: each run in its own child process, which reports its peak resident memory; the
   peak for 1,000,000 rows must be within 20 % of the peak for 100,000.

Run: .venv/bin/python bench/feeds_bench.py [--rows 1000000] [--small 100000]
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from tracker.catalog import parse_catalog  # noqa: E402
from tracker.config import CrawlSettings, Settings  # noqa: E402
from tracker.feeds.run import run_feed  # noqa: E402
from tracker.store.engine import open_store  # noqa: E402
from tracker.store.repo import sync_catalog  # noqa: E402

MIN_RATIO = 0.5
MAX_MEMORY_GROWTH = 0.20
LISTINGS = 100
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
AWIN_HEADER = (
    "aw_deep_link,product_name,aw_product_id,merchant_product_id,merchant_image_url,"
    "description,merchant_category,search_price,merchant_name,merchant_id,category_name,"
    "category_id,aw_image_url,currency,store_price,delivery_cost,merchant_deep_link,language,"
    "last_updated,display_price,data_feed_id,brand_name,rrp_price,in_stock,stock_status,ean,"
    "mpn,product_GTIN,parent_product_id\n"
)


def gtin(n: int) -> str:
    return f"46{n:011d}"


def write_awin(path: Path, rows: int) -> None:
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1, newline="") as out:
        out.write(AWIN_HEADER)
        chunk = []
        for n in range(rows):
            price = f"{10 + n % 900}.{n % 100:02d}"
            chunk.append(
                f"https://www.awin1.com/pclick.php?p={n}&a=1&m=7001,"
                f'"Product {n}, pack of {1 + n % 12}",{n},SKU-{n},'
                f"https://shop.example/img/{n}.jpg,\"A short description of item {n}\","
                f"Health,{price},Example Shop,7001,Health,421,"
                f"https://images.example/{n}.jpg,USD,{price},0.00,"
                f"https://shop.example/p/{n},en,2026-12-01 06:00:00,USD{price},55001,"
                f"Brand {n % 50},,1,in stock,{gtin(n)},MPN-{n},{gtin(n)},G{n // 4}\n"
            )
            if len(chunk) == 10_000:
                out.write("".join(chunk))
                chunk = []
        out.write("".join(chunk))


def write_google(path: Path, rows: int) -> None:
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as out:
        out.write(
            '<?xml version="1.0" encoding="UTF-8"?>\n'
            '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>\n'
            "<title>Example Shop</title><link>https://shop.example/</link>\n"
        )
        chunk = []
        for n in range(rows):
            price = f"{10 + n % 900}.{n % 100:02d}"
            chunk.append(
                f"<item><g:id>SKU-{n}</g:id><g:title>Product {n}</g:title>"
                f"<g:description>A short description of item {n}</g:description>"
                f"<g:link>https://shop.example/p/{n}</g:link>"
                f"<g:image_link>https://shop.example/img/{n}.jpg</g:image_link>"
                f"<g:availability>in_stock</g:availability><g:price>{price} USD</g:price>"
                f"<g:brand>Brand {n % 50}</g:brand><g:gtin>{gtin(n)}</g:gtin>"
                f"<g:mpn>MPN-{n}</g:mpn><g:condition>new</g:condition></item>\n"
            )
            if len(chunk) == 10_000:
                out.write("".join(chunk))
                chunk = []
        out.write("".join(chunk))
        out.write("</channel></rss>\n")


def baseline_csv(path: Path) -> int:
    count = 0
    with gzip.open(path, "rb") as raw:
        for _row in csv.reader(io.TextIOWrapper(raw, encoding="utf-8", newline="")):
            count += 1
    return count - 1


def baseline_xml(path: Path) -> int:
    count = 0
    with gzip.open(path, "rb") as raw:
        for _, elem in etree.iterparse(raw, events=("end",), tag="{*}item"):
            count += 1
            elem.clear(keep_tail=False)
            parent = elem.getparent()
            while elem.getprevious() is not None:
                del parent[0]
    return count


def catalog_text(feed: Path, fmt: str, rows: int) -> str:
    step = max(rows // LISTINGS, 1)
    listings = "".join(
        f"      - {{product: p, label: 'pack {i}', url: 'https://shop.example/p/{i * step}', "
        f"feed: {{gtin: '{gtin(i * step)}'}}}}\n"
        for i in range(LISTINGS)
    )
    return (
        "products:\n  - {slug: p, name: Product}\n"
        "vendors:\n  - slug: shop\n    name: Shop\n    homepage: https://shop.example/\n"
        f"    currency: USD\n    listings:\n{listings}"
        f"feeds:\n  - {{name: bench, format: {fmt}, path: '{feed}', vendors: [shop]}}\n"
    )


def feed_run(feed: Path, fmt: str, rows: int) -> tuple[int, float]:
    """One whole feed run on a fresh SQLite store: (rows read, seconds)."""
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{folder}/bench.db"
        store = open_store(url)
        try:
            catalog = parse_catalog(catalog_text(feed, fmt, rows), "bench", {})
            with store.sessions.begin() as session:
                sync_catalog(session, catalog)
            settings = Settings(
                root=Path(folder),
                database_url=url,
                var_dir=Path(folder),
                crawl=CrawlSettings(download_delay=0),
            ).resolved()
            started = time.perf_counter()
            report = run_feed(
                settings, store, catalog.feeds[0], base_dir=Path(folder), env={}, now=NOW
            )
            seconds = time.perf_counter() - started
        finally:
            store.close()
    if report.status != "applied" or report.offers != LISTINGS:
        raise SystemExit(f"the feed run did not price every listing: {report}")
    return report.rows, seconds


def child_peak(feed: Path, fmt: str, rows: int) -> int:
    """Peak resident memory (KiB) of a child process doing one feed run."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(feed), fmt, str(rows)],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(out.stdout.split()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--small", type=int, default=100_000)
    parser.add_argument("--child", nargs=3, metavar=("FILE", "FORMAT", "ROWS"))
    args = parser.parse_args()
    if args.child:
        feed_run(Path(args.child[0]), args.child[1], int(args.child[2]))
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
        return 0
    failed = False
    with tempfile.TemporaryDirectory() as folder:
        for fmt, writer, baseline, name in (
            ("awin-csv", write_awin, baseline_csv, "Awin CSV (gzip)"),
            ("google-merchant-xml", write_google, baseline_xml, "Google Merchant XML (gzip)"),
        ):
            big, small = Path(folder) / f"{fmt}-big.gz", Path(folder) / f"{fmt}-small.gz"
            started = time.perf_counter()
            writer(big, args.rows)
            writer(small, args.small)
            made = time.perf_counter() - started
            size = big.stat().st_size / 1e6
            print(f"{name}: {args.rows:,} rows, {size:.1f} MB gzipped (made in {made:.1f} s)")
            started = time.perf_counter()
            plain_rows = baseline(big)
            plain = time.perf_counter() - started
            read_rows, ours = feed_run(big, fmt, args.rows)
            assert plain_rows == read_rows == args.rows, (plain_rows, read_rows)
            ratio = (read_rows / ours) / (plain_rows / plain)
            print(
                f"  plain reader {plain_rows / plain:,.0f} rows/s, feed run "
                f"{read_rows / ours:,.0f} rows/s: ratio {ratio:.2f} (need >= {MIN_RATIO})"
            )
            peak_small = child_peak(small, fmt, args.small)
            peak_big = child_peak(big, fmt, args.rows)
            growth = peak_big / peak_small - 1
            print(
                f"  peak memory {peak_small / 1024:.1f} MiB at {args.small:,} rows, "
                f"{peak_big / 1024:.1f} MiB at {args.rows:,}: {growth:+.1%} "
                f"(need within ±{MAX_MEMORY_GROWTH:.0%})"
            )
            failed |= ratio < MIN_RATIO or abs(growth) > MAX_MEMORY_GROWTH
    print("FAILED" if failed else "OK")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
