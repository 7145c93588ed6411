"""Dashboard benchmark: the overview and a product page must not grow with the history.

Two temporary SQLite stores hold one product with 20 listings at two vendors, a price change
every 17.5 hours per listing, so that the last 365 days hold the same 500 spans per listing in
both: one store holds 10,000 spans in all, the other 1,000,000 (the longer history reaches
further back). The overview (`/admin/`) and the product page over 365 days
(`/admin/products/bench?days=365`) are requested through the app (Starlette's TestClient,
logged in) from each store in turn; the best time of each is kept. It prints, per page, the
ratio of the large store's time to the small one's (it must stay at or below 1.25) and the
page's cost as a multiple of one live buy box of the same product (built and rendered from the
database, uncached) on the large store.

Run: .venv/bin/python bench/admin_bench.py [--small 10000] [--large 1000000] [--rounds 15]
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, update

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

from starlette.testclient import TestClient  # noqa: E402

from tests.admin_seeding import PASSWORD, login  # noqa: E402
from tracker.catalog import parse_catalog  # noqa: E402
from tracker.config import Settings  # noqa: E402
from tracker.publishing.publisher import Publisher  # noqa: E402
from tracker.store.engine import Store, open_store  # noqa: E402
from tracker.store.models import Listing, ObservationSpan  # noqa: E402
from tracker.store.repo import listing_states, sync_catalog  # noqa: E402
from tracker.web.admin.accounts import create_user  # noqa: E402
from tracker.web.admin.app import admin_mount  # noqa: E402
from tracker.web.server import create_app  # noqa: E402

LISTINGS = 20
WINDOW_SPANS = 500  # spans per listing in the last 365 days
SPAN = timedelta(days=365) / WINDOW_SPANS
CHUNK = 50_000
MAX_RATIO = 1.25
PAGES = {"overview": "/admin/", "product": "/admin/products/bench?days=365"}


def catalog_text() -> str:
    vendors = []
    for v in range(2):
        vendors.append(
            {
                "slug": f"shop-{v}",
                "name": f"Shop {v}",
                "homepage": f"https://shop{v}.example/",
                "currency": "USD",
                "listings": [
                    {
                        "product": "bench",
                        "label": f"{n + 1} vials x 10 mg",
                        "url": f"https://shop{v}.example/p/{n}",
                        "quantity": n + 1,
                        "unit": "vial",
                        "strength": "10 mg",
                    }
                    for n in range(LISTINGS // 2)
                ],
            }
        )
    return json.dumps({"products": [{"slug": "bench", "name": "Bench"}], "vendors": vendors})


def build_store(folder: Path, spans: int, now: datetime) -> Store:
    """One product, 20 listings, ``spans`` spans spread over them (Core bulk inserts)."""
    folder.mkdir(parents=True, exist_ok=True)
    store = open_store(f"sqlite:///{folder / 'tracker.db'}")
    with store.sessions.begin() as session:
        sync_catalog(session, parse_catalog(catalog_text(), "bench.yaml", {}))
        states = listing_states(session)
    rng = random.Random(7)
    table = ObservationSpan.__table__
    with store.engine.begin() as connection:
        for state in states:
            base = Decimal(rng.randrange(3000, 12000)) / 100
            rows = []
            for index in range(spans // len(states)):
                end = now - timedelta(hours=1) - index * SPAN
                price = base * (1 + Decimal(rng.randrange(-50, 51)) / 1000)
                rows.append(
                    {
                        "listing_id": state.listing_id,
                        "price": price.quantize(Decimal("0.01")),
                        "currency": "USD",
                        "availability": "InStock",
                        "first_seen_at": end - SPAN + timedelta(minutes=1),
                        "last_seen_at": end,
                        "confirmed": True,
                        "source": "json-ld",
                        "seen_count": 3,
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
    create_user(store, "bench", PASSWORD, now)
    return store


def box_time(store: Store, settings: Settings, now: datetime) -> float:
    """One live buy box of the product, from the database to HTML (uncached)."""
    with store.readers.begin() as session:
        started = time.perf_counter()
        publisher = Publisher(settings, session, now)
        [group] = publisher.groups([(("bench",), "cards", None)], live=True, link_base="x")
        publisher.renderer.render(group)
        return time.perf_counter() - started


def measure(stores: dict[str, Store], now: datetime, rounds: int) -> dict[str, dict[str, float]]:
    """Best time of each page (and of one box) per store; the stores take turns each round."""
    settings = Settings()
    clients = {
        label: TestClient(
            create_app(settings, store=store, clock=lambda: now, extensions=[admin_mount])
        )
        for label, store in stores.items()
    }
    times: dict[str, dict[str, list[float]]] = {
        label: {name: [] for name in [*PAGES, "box"]} for label in stores
    }
    for client in clients.values():
        login(client, "bench")
        for path in PAGES.values():
            assert client.get(path).status_code == 200  # warm up
    for _ in range(rounds):
        for label, client in clients.items():
            for name, path in PAGES.items():
                started = time.perf_counter()
                response = client.get(path)
                times[label][name].append(time.perf_counter() - started)
                assert response.status_code == 200, (name, response.status_code)
            times[label]["box"].append(box_time(stores[label], settings, now))
    for client in clients.values():
        client.close()
    return {label: {k: min(v) for k, v in pages.items()} for label, pages in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    now = datetime.now(UTC).replace(microsecond=0)
    with tempfile.TemporaryDirectory() as tmp:
        stores = {}
        for label, spans in (("small", args.small), ("large", args.large)):
            started = time.perf_counter()
            stores[label] = build_store(Path(tmp) / label, spans, now)
            print(f"{spans:>9,} spans: store built in {time.perf_counter() - started:.1f} s")
        try:
            best = measure(stores, now, args.rounds)
        finally:
            for store in stores.values():
                store.close()
    box = best["large"]["box"]
    print(f"one live buy box (20 listings, 90 days of history): {box * 1000:.1f} ms")
    failed = False
    for name in PAGES:
        small, large = best["small"][name], best["large"][name]
        ratio = large / small
        failed |= ratio > MAX_RATIO
        print(
            f"{name}: {small * 1000:.1f} ms at {args.small:,} spans, {large * 1000:.1f} ms at "
            f"{args.large:,}: ratio {ratio:.2f} (max {MAX_RATIO}); {large / box:.1f} live boxes"
        )
    for name in PAGES:
        print(f"{name}_ratio={best['large'][name] / best['small'][name]:.2f}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
