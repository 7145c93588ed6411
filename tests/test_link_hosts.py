"""Links are checked again where they leave the site: a stored link whose host is not the
vendor's (its homepage's hosts, or its affiliate template's host) is left out of the box and
not redirected by /go/."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import update
from starlette.testclient import TestClient

from tests.conftest import NOW
from tests.seeding import listing_id, seed_sample
from tests.test_viewmodel import TEN
from tracker.config import Settings
from tracker.publishing.viewmodel import build_buy_box
from tracker.store.engine import Store
from tracker.store.models import Listing, Vendor
from tracker.urls import link_allowed
from tracker.web.server import create_app

NETWORK = "https://go.network.example/?u={url_quoted}"


@pytest.mark.parametrize(
    ("link", "template", "allowed"),
    [
        ("https://shop.example/c?ref=1", "{url}?ref=1", True),
        ("https://www.shop.example/c", None, True),
        ("https://cdn.shop.example/c", None, True),
        ("https://go.network.example/?u=x", NETWORK, True),
        ("https://go.network.example/?u=x", None, False),
        ("https://evil.test/c", "{url}?ref=1", False),
        ("https://evil.test/?u=x", NETWORK, False),
        ("https://shop.example.evil.test/c", None, False),
        ("https://shop.example@evil.test/c", None, False),
        ("https://evil.test\\@shop.example/c", None, False),
        ("https://shop.example:8443/c", None, False),
        ("javascript:alert(1)//shop.example/", None, False),
    ],
)
def test_link_hosts(link: str, template: str | None, allowed: bool) -> None:
    assert link_allowed(link, "https://shop.example/", template) is allowed


def test_the_box_leaves_out_a_link_to_another_host() -> None:
    evil = replace(TEN, listing_id=2, affiliate_url="https://evil.test/c")
    rows = build_buy_box(
        "cortexin", "Cortexin", [TEN, evil], disclosure="d", now=NOW, max_age=timedelta(days=1)
    ).rows
    assert [row.listing_id for row in rows] == [1]
    network = replace(
        evil, affiliate_url="https://go.network.example/?u=x", vendor_affiliate_template=NETWORK
    )
    rows = build_buy_box(
        "cortexin", "Cortexin", [network], disclosure="d", now=NOW, max_age=timedelta(days=1)
    ).rows
    assert [row.listing_id for row in rows] == [2]


def test_go_never_redirects_to_another_host(store: Store) -> None:
    seed_sample(store, NOW)
    target = listing_id(store, "cosmicnootropic", "10 vials x 10 mg")
    app = create_app(Settings(), store=store, clock=lambda: NOW)
    with TestClient(app, base_url="http://localhost") as client:
        assert client.get(f"/go/{target}", follow_redirects=False).status_code == 302
        with store.sessions.begin() as session:  # a row changed behind the catalog's back
            session.execute(
                update(Listing)
                .where(Listing.id == target)
                .values(affiliate_url="https://evil.test/?ref=tracker-demo")
            )
        assert client.get(f"/go/{target}", follow_redirects=False).status_code == 404
        assert "evil.test" not in client.get("/boxes/cortexin.html").text
        with store.sessions.begin() as session:  # unless the vendor's template names that host
            session.execute(
                update(Vendor)
                .where(Vendor.slug == "cosmicnootropic")
                .values(affiliate_template="https://evil.test/?u={url_quoted}")
            )
        response = client.get(f"/go/{target}", follow_redirects=False)
        assert response.status_code == 302
        assert response.headers["location"] == "https://evil.test/?ref=tracker-demo"
