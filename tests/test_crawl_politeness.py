"""Real crawls: a vendor's own concurrency and delay, and a platform endpoint follow-up."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.crawl_helpers import catalog, listing, stored, sync_and_crawl, vendor, write_project
from tests.servers import Reply, ScriptedSite, product_page
from tracker.extract import extract

pytestmark = pytest.mark.slow  # real crawls over loopback

PAGES = [f"/p{n}" for n in range(5)]


def shop_of(site: ScriptedSite, slug: str, pause: float, **crawl: float) -> dict:
    for path in PAGES:
        site.script(path, Reply(body=product_page("Pill", "75.00"), pause=pause))
    listings = [listing(f"{slug}{path}", f"{site.url}{path}") for path in PAGES]
    return vendor(slug, f"{site.url}/", listings, **({"crawl": crawl} if crawl else {}))


def test_a_vendors_own_concurrency_and_delay_hold(tmp_path: Path) -> None:
    # Scrapy's download slots are per host name: each shop listens on its own address.
    with (
        ScriptedSite("127.0.0.1") as single,
        ScriptedSite("127.0.0.2") as parallel,
        ScriptedSite("127.0.0.3") as spaced,
        ScriptedSite("127.0.0.4") as asking,
    ):
        asking.script("/robots.txt", "User-agent: *\nCrawl-delay: 0.4\n")
        settings = write_project(
            tmp_path,
            catalog(
                shop_of(single, "single", 0.2, concurrency=1),
                shop_of(parallel, "parallel", 0.2),
                shop_of(spaced, "spaced", 0.02, delay=0.4),
                shop_of(asking, "asking", 0.02),  # its robots.txt asks for 0.4 s
            ),
        )
        run = sync_and_crawl(settings)
        assert run.status == "ok", run.error
        assert single.max_in_flight == 1
        assert parallel.max_in_flight > 1  # the site-wide concurrency_per_domain of 8
        for site in (spaced, asking):
            starts = sorted(t for path in PAGES for t in site.times(path))
            gaps = [b - a for a, b in zip(starts, starts[1:], strict=False)]
            # Scrapy varies a delay by +-50 % (so 0.2 s at least; 0.15 leaves room for loopback
            # latency). Without the floor AutoThrottle would shrink the delay toward the
            # 20 ms latency, below 0.1 s by the fourth request.
            assert len(gaps) == len(PAGES) - 1 and min(gaps) >= 0.15


SHOPIFY_PAGE = """<!doctype html><html><head><title>Pill</title>
<link rel="canonical" href="/products/pill">
<script>window.Shopify = window.Shopify || {}; Shopify.shop = "pills.myshopify.com";</script>
</head><body><h1>Pill</h1><div id="price-placeholder"></div>
<form action="/cart/add" method="post"><button>Add to cart</button></form></body></html>"""

SHOPIFY_JSON = json.dumps(
    {
        "id": 1,
        "title": "Pill",
        "handle": "pill",
        "variants": [
            {"id": 11, "title": "10 tablets", "sku": "P-10", "price": 2000, "available": True},
            {"id": 12, "title": "30 tablets", "sku": "P-30", "price": 5000, "available": False},
        ],
    }
)


def test_a_platform_endpoint_the_extraction_asks_for_is_fetched(tmp_path: Path) -> None:
    with ScriptedSite() as shop:
        page_url = f"{shop.url}/products/pill"
        if extract(SHOPIFY_PAGE.encode(), page_url).follow_up != f"{page_url}.js":
            pytest.skip("the extraction chain does not ask for Shopify's product endpoint yet")
        shop.script("/products/pill", SHOPIFY_PAGE)
        shop.script(
            "/products/pill.js",
            Reply(body=SHOPIFY_JSON, headers={"Content-Type": "application/json"}),
        )
        settings = write_project(
            tmp_path,
            catalog(
                vendor(
                    "shop",
                    f"{shop.url}/",
                    [
                        listing("ten", page_url, variant={"sku": "P-10"}),
                        listing("thirty", page_url, variant={"sku": "P-30"}),
                    ],
                )
            ),
        )
        sync_and_crawl(settings)
        result = stored(settings)
        assert (result["ten"].status, result["ten"].price) == ("ok", "20.00")
        assert result["thirty"].spans[0].availability == "OutOfStock"
        assert shop.paths().count("/products/pill.js") == 1
