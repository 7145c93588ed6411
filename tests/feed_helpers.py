"""Feed test helpers: a catalog whose vendor a feed prices, settings, and one feed run."""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

from tracker.catalog import Catalog, parse_catalog
from tracker.config import CrawlSettings, Settings
from tracker.domain import ListingState
from tracker.feeds.run import FeedRunReport, run_feed
from tracker.store.engine import Store
from tracker.store.repo import listing_states, sync_catalog

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "feeds"

LISTINGS = """
      - product: cortexin
        label: 10 vials x 10 mg
        url: https://shop.example/p/cortexin
        feed: {gtin: "4600000000011", link: true}
      - product: cortexin
        label: 10 vials x 5 mg
        url: https://shop.example/p/cortexin
        feed: {mpn: CTX-10-5}
      - product: nicergoline
        label: 30 tablets x 10 mg
        url: https://shop.example/p/nicergoline
        feed: {sku: NCG-30}
"""


def catalog_text(
    source: str, fmt: str = "awin-csv", listings: str = LISTINGS, extra: str = ""
) -> str:
    """A catalog with one vendor priced by one feed (``source``: ``url: ...`` or ``path: ...``)."""
    return f"""
products:
  - {{slug: cortexin, name: Cortexin}}
  - {{slug: nicergoline, name: Nicergoline}}
vendors:
  - slug: peptide-shop
    name: Example Peptide Shop
    homepage: https://shop.example/
    currency: USD
    affiliate: "https://www.awin1.com/cread.php?awinmid=7001&awinaffid=999999&ued={{url_quoted}}"
    listings:{listings}
feeds:
  - name: shop
    format: {fmt}
    {source}
    vendors: [peptide-shop]
{extra}"""


def sync(store: Store, text: str) -> Catalog:
    catalog = parse_catalog(text, "catalog.yaml", {})
    with store.sessions.begin() as session:
        sync_catalog(session, catalog)
    return catalog


def settings_for(tmp_path: Path, store: Store) -> Settings:
    return Settings(
        root=tmp_path,
        database_url=str(store.engine.url),
        catalog=tmp_path / "catalog.yaml",
        var_dir=tmp_path / "var",
        crawl=CrawlSettings(download_delay=0, contact_url="http://127.0.0.1/tests"),
    ).resolved()


def place(
    tmp_path: Path, fixture: str, name: str | None = None, at: datetime | None = None
) -> Path:
    """Copy a fixture feed into tmp_path, with its modification time (the feed's date)."""
    target = tmp_path / (name or fixture)
    shutil.copyfile(FIXTURES / fixture, target)
    if at is not None:
        os.utime(target, (at.timestamp(), at.timestamp()))
    return target


def write(path: Path, data: bytes, at: datetime) -> Path:
    path.write_bytes(data)
    os.utime(path, (at.timestamp(), at.timestamp()))
    return path


def run(
    store: Store,
    settings: Settings,
    catalog: Catalog,
    now: datetime,
    env: dict[str, str] | None = None,
    accept_drop: bool = False,
) -> FeedRunReport:
    return run_feed(
        settings,
        store,
        catalog.feeds[0],
        base_dir=settings.root,
        env=env or {},
        now=now,
        accept_drop=accept_drop,
    )


def states(store: Store) -> dict[str, ListingState]:
    with store.sessions.begin() as session:
        return {s.label: s for s in listing_states(session)}
