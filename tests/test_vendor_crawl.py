"""Per-vendor crawl options: validated in the catalog, stored at sync, turned into slots."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tracker.catalog import CatalogError, parse_catalog
from tracker.crawling.context import CrawlContext, VendorPolicy
from tracker.crawljob import CrawlJob
from tracker.profile import VendorCrawl
from tracker.store.engine import Store
from tracker.store.models import Vendor
from tracker.store.repo import crawl_targets, sync_catalog

CATALOG = """
products:
  - {slug: pill, name: Pill}
vendors:
  - slug: shop
    name: Shop
    homepage: https://www.shop.example/
    currency: USD
    CRAWL
    listings:
      - {product: pill, label: one, url: "https://shop.example/one"}
      - {product: pill, label: two, url: "https://cdn.shop.example/two"}
"""


def catalog_with(crawl: str) -> str:
    return CATALOG.replace("CRAWL", crawl)


@pytest.mark.parametrize(
    ("crawl", "message"),
    [
        ("crawl: {concurrency: 0}", "vendors[0].crawl.concurrency"),
        ("crawl: {delay: -1}", "vendors[0].crawl.delay"),
        ("crawl: {obey_robot: false}", "vendors[0].crawl.obey_robot"),
    ],
)
def test_bad_crawl_options_name_the_field(crawl: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message.replace(".", r"\.").replace("[", r"\[")):
        parse_catalog(catalog_with(crawl), "catalog.yaml")


def test_sync_stores_the_crawl_options_and_the_spider_reads_them(store: Store) -> None:
    text = catalog_with("crawl: {obey_robots: false, concurrency: 1, delay: 2.5}")
    with store.sessions.begin() as session:
        report = sync_catalog(session, parse_catalog(text, "c.yaml"))
    assert "vendor shop" in report.added
    with store.sessions.begin() as session:
        vendor = session.scalars(select(Vendor)).one()
        assert vendor.profile.crawl == VendorCrawl(obey_robots=False, concurrency=1, delay=2.5)
        targets = list(crawl_targets(session))
    policy = VendorPolicy.of(targets)
    assert policy.hosts == {"shop.example", "cdn.shop.example"}
    assert (policy.obey_robots, policy.concurrency, policy.delay) == (False, 1, 2.5)

    with store.sessions.begin() as session:  # options removed from the file: back to defaults
        report = sync_catalog(session, parse_catalog(catalog_with(""), "c.yaml"))
        assert report.updated == ["vendor shop"]
        assert session.scalars(select(Vendor)).one().profile.crawl == VendorCrawl()


def test_download_slots_cover_every_host_of_a_vendor_with_options(store: Store) -> None:
    with store.sessions.begin() as session:
        sync_catalog(session, parse_catalog(catalog_with("crawl: {concurrency: 1}"), "c.yaml"))
        targets = list(crawl_targets(session))
    context = CrawlContext(
        job=CrawlJob(database_url="sqlite://"),
        targets=targets,
        vendors={"shop": VendorPolicy.of(targets)},
    )
    assert context.download_slots() == {
        "shop.example": {"concurrency": 1},
        "www.shop.example": {"concurrency": 1},
        "cdn.shop.example": {"concurrency": 1},
        "www.cdn.shop.example": {"concurrency": 1},
    }
    context.vendors = {"shop": VendorPolicy("shop", "", frozenset({"shop.example"}))}
    assert context.download_slots() == {}  # no options: Scrapy's defaults apply
