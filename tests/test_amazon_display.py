"""Amazon's display rules in the buy box: an `amazon-api` vendor's price shows its date and
time and Amazon's notice, in cards, tables and the offers JSON, and is never shown older than
24 hours, whatever the vendor's or the site's max age."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from tests.conftest import NOW
from tests.test_viewmodel import TEN, box
from tracker.config import SiteSettings
from tracker.domain import BoxGroup, RowState
from tracker.publishing.buybox import BoxRenderer
from tracker.publishing.viewmodel import build_buy_box
from tracker.rules import amazon_disclaimer, shown
from tracker.web.server import _offers_json

AMAZON = replace(
    TEN,
    listing_id=7,
    vendor_slug="amazon-de",
    vendor_name="Amazon",
    url="https://www.amazon.de/dp/B0TEST0000",
    affiliate_url="https://www.amazon.de/dp/B0TEST0000?tag=site-21",
    vendor_homepage="https://www.amazon.de/",
    vendor_affiliate_template=None,
    price=TEN.price,
    last_seen_at=NOW - timedelta(hours=3),
    amazon_marketplace="www.amazon.de",
)
NOTICE = "at the time of purchase will apply to the purchase of this product"


def test_the_notice_names_the_marketplace() -> None:
    assert amazon_disclaimer(None) is None
    text = amazon_disclaimer("www.amazon.co.uk") or ""
    assert text.startswith("Product prices and availability are accurate as of the date/time")
    assert "displayed on Amazon.co.uk at the time of purchase" in text


def test_an_amazon_price_shows_its_time_and_the_notice_only_on_its_row() -> None:
    site = SiteSettings(inline_css=False, as_of_note=False)  # not through the site's note
    for style in ("cards", "table"):
        html = BoxRenderer(site).render_box(box(TEN, AMAZON), style=style)
        assert html.count(NOTICE) == 1, style
        notice = html[html.index('class="tracker-offer__disclaimer"') :]
        notice = notice[: notice.index("</p>")]
        assert "Amazon price as of" in notice and "Amazon.de" in notice
        assert '<time datetime="2026-11-26T09:00:00Z">Nov 26, 2026, 9:00:00' in notice
        assert "AM UTC</time>" in notice  # the date and time in full, with the zone
    crawled_only = BoxRenderer(site).render_box(box(TEN))
    assert "tracker-offer__disclaimer" not in crawled_only


def test_no_notice_without_a_price() -> None:
    refused = replace(AMAZON, last_seen_at=NOW - timedelta(hours=25))
    row = box(refused).rows[0]
    assert row.state is RowState.CHECK and row.disclaimer is None
    assert NOTICE not in BoxRenderer(SiteSettings(inline_css=False)).render_box(box(refused))


def test_never_shown_older_than_24_hours_whatever_the_max_age() -> None:
    lax = replace(AMAZON, max_age_hours=72.0)  # a profile edited behind the catalog's back
    assert shown(lax, NOW + timedelta(hours=20), timedelta(hours=72)).state is RowState.PRICED
    assert shown(lax, NOW + timedelta(hours=22), timedelta(hours=72)).why == "stale"
    crawled = replace(TEN, max_age_hours=72.0)
    assert shown(crawled, NOW + timedelta(hours=22), timedelta(hours=72)).state is RowState.PRICED


def test_the_offers_json_carries_the_notice() -> None:
    built = build_buy_box(
        "cortexin",
        "Cortexin",
        [TEN, AMAZON],
        disclosure="We earn.",
        now=NOW,
        max_age=timedelta(hours=72),
    )
    group = BoxGroup(
        boxes=(built,), style="cards", disclosure="We earn.", as_of=None, show_note=False
    )
    offers = {o["vendor"]: o for o in json.loads(_offers_json(group))["offers"]}
    assert NOTICE in offers["Amazon"]["disclaimer"]
    assert offers["Amazon"]["checked_at"] == AMAZON.last_seen_at.isoformat()  # type: ignore[union-attr]
    assert offers["CosmicNootropic"]["disclaimer"] is None
