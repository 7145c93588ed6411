"""While a listing's affiliate link is broken: the Buy button leads to the vendor's fallback URL,
or there is no button (the row says the link is being fixed); the box, the JSON and /go/ agree."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select
from starlette.testclient import TestClient

from tests.conftest import NOW
from tests.seeding import SHOP, listing_id, seed_sample, sync_sample
from tests.test_viewmodel import TEN, box, html_of
from tracker.catalog import CatalogError, parse_catalog
from tracker.config import PROJECT_ROOT, ServeSettings, Settings, SiteSettings
from tracker.domain import RowState
from tracker.profile import VendorProfile
from tracker.rules import buy_link
from tracker.store import links, versions
from tracker.store.engine import Store
from tracker.store.models import Vendor
from tracker.web.server import create_app

HOME = "https://shop.example/"
LINK = "https://shop.example/c?ref=1"
FALLBACK = "https://shop.example/search?q=cortexin"


@pytest.mark.parametrize(
    ("broken", "fallback", "template", "expected"),
    [
        (False, None, None, LINK),
        (False, FALLBACK, None, LINK),  # a working link is always the button's target
        (True, FALLBACK, None, FALLBACK),
        (True, None, None, None),  # broken, no fallback: no button
        (True, "https://elsewhere.example/x", None, None),  # not the vendor's: no button
        (True, "https://other.example/", "https://net.example/?u={url_quoted}", None),
        (
            True,
            "https://net.example/?u=1",
            "https://net.example/?u={url_quoted}",
            "https://net.example/?u=1",
        ),
        (True, "javascript:alert(1)", None, None),
    ],
)
def test_where_the_buy_button_leads(
    broken: bool, fallback: str | None, template: str | None, expected: str | None
) -> None:
    assert buy_link(LINK, broken, fallback, HOME, template) == expected


def test_a_broken_link_shows_the_fallback_or_no_button() -> None:
    broken = replace(TEN, link_broken=True)
    [row] = box(broken).rows
    assert row.link is None and row.price is not None and row.state is RowState.PRICED
    html = html_of(broken)
    assert "Link to CosmicNootropic being fixed" in html and "href=" not in html
    assert "Buy at" not in html and "CosmicNootropic" in html and "$75.00" in html
    with_fallback = replace(broken, fallback_url=FALLBACK)
    assert box(with_fallback).rows[0].link == FALLBACK
    assert f'href="{FALLBACK.replace("&", "&amp;")}"' in html_of(with_fallback)
    # through the live server: the row keeps its /go/ link, which follows the same rule
    served = box(with_fallback, link_base="https://prices.example").rows[0]
    assert served.link == "https://prices.example/go/1"
    assert box(broken, link_base="https://prices.example").rows[0].link is None
    unpriced = replace(broken, price=None, fallback_url=None)
    assert "Link to CosmicNootropic being fixed" in html_of(unpriced)
    assert box(replace(TEN, fallback_url=FALLBACK)).rows[0].link == LINK  # link works


def _catalog(fallback: str) -> str:
    return f"""
products: [{{slug: pill, name: Pill}}]
vendors:
  - slug: shop
    name: Shop
    homepage: https://shop.example/
    currency: USD
    affiliate: "https://net.example/?u={{url_quoted}}"
    display: {{fallback_url: "{fallback}"}}
    listings: [{{product: pill, label: one, url: "https://shop.example/p"}}]
"""


@pytest.mark.parametrize(
    ("fallback", "message"),
    [
        ("https://elsewhere.example/", "display.fallback_url: elsewhere.example is not the vendor"),
        ("ftp://shop.example/", "fallback_url"),
        ("https://user@shop.example/", "fallback_url"),
        ("https://shop.example/" + "x" * 2000, "fallback_url"),
    ],
)
def test_the_catalog_checks_the_fallback_url(fallback: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        parse_catalog(_catalog(fallback), "catalog.yaml")


def test_the_catalog_accepts_a_fallback_on_the_vendor_or_its_network() -> None:
    for fallback in ("https://shop.example/search", "https://www.net.example/?u=x"):
        vendor = parse_catalog(_catalog(fallback), "catalog.yaml").vendors[0]
        assert vendor.profile().display.fallback_url == fallback


def _break(store: Store, target: int, times: int = 2, failure: str | None = "HTTP 404") -> None:
    with store.sessions.begin() as session:
        [found] = [t for t in links.targets(session) if t.listing_id == target]
        for n in range(times):
            links.record(
                session,
                found,
                NOW + timedelta(minutes=n),
                status=404 if failure else 200,
                final_url=found.url,
                final_host=None,
                failure=failure,
            )


def _set_fallback(store: Store, fallback: str | None) -> None:
    with store.sessions.begin() as session:
        vendor = session.scalars(select(Vendor).where(Vendor.slug == "cosmicnootropic")).one()
        stored = vendor.profile.stored()
        stored["display"] = {**stored.get("display", {}), "fallback_url": fallback}
        vendor.profile = VendorProfile.from_stored(stored)  # validated, as a sync would
        versions.bump(session, every_product=True)  # and a new data version, as a sync gives


def test_the_box_and_go_follow_the_link_health(store: Store) -> None:
    seed_sample(store, NOW)
    target = listing_id(store, "cosmicnootropic", "10 vials x 10 mg")
    with TestClient(
        create_app(
            Settings(
                site=SiteSettings(public_url="http://localhost"),
                serve=ServeSettings(version_check_seconds=0),  # each link check shows at once
            ),
            store=store,
            clock=lambda: NOW,
        ),
        base_url="http://localhost",
    ) as client:
        first = client.get(f"/go/{target}", follow_redirects=False)
        assert first.status_code == 302 and "ref=tracker-demo" in first.headers["location"]
        _break(store, target, times=1)  # one failed check may be a hiccup: nothing changes
        assert client.get(f"/go/{target}", follow_redirects=False).status_code == 302
        _break(store, target)  # broken, and the vendor has no fallback: no button, no redirect
        gone = client.get(f"/go/{target}", follow_redirects=False)
        assert gone.status_code == 404 and "being fixed" in gone.text
        assert gone.headers["cache-control"] == "no-store"
        fragment = client.get("/boxes/cortexin.html").text
        assert f"/go/{target}" not in fragment
        assert "Link to CosmicNootropic being fixed" in fragment
        offers = client.get("/api/products/cortexin/offers").json()
        [row] = [r for r in offers["offers"] if r["listing_id"] == target]
        assert row["link"] is None and row["vendor"] == "CosmicNootropic"
        fallback = f"{SHOP}/cosmicnootropic/search?q=cortexin"
        _set_fallback(store, fallback)  # the catalog gives one: the button leads there
        moved = client.get(f"/go/{target}", follow_redirects=False)
        assert moved.status_code == 302 and moved.headers["location"] == fallback
        assert f"/go/{target}" in client.get("/boxes/cortexin.html").text
        _break(store, target, times=1, failure=None)  # the link works again
        back = client.get(f"/go/{target}", follow_redirects=False)
        assert back.status_code == 302 and "ref=tracker-demo" in back.headers["location"]


def test_catalog_sync_stores_the_fallback(store: Store) -> None:
    sync_sample(store)
    with store.sessions.begin() as session:
        vendor = session.scalars(select(Vendor).where(Vendor.slug == "cosmicnootropic")).one()
        assert vendor.profile.display.fallback_url is None
    text = (PROJECT_ROOT / "examples" / "catalog.yaml").read_text(encoding="utf-8")
    text = text.replace(
        '    affiliate: "{url}?ref=tracker-demo"\n',
        '    affiliate: "{url}?ref=tracker-demo"\n'
        '    display: {fallback_url: "${SAMPLE_SITE}/cosmicnootropic/"}\n',
        1,
    )
    sync_sample(store, text)
    with store.sessions.begin() as session:
        vendor = session.scalars(select(Vendor).where(Vendor.slug == "cosmicnootropic")).one()
        assert vendor.profile.display.fallback_url == f"{SHOP}/cosmicnootropic/"
