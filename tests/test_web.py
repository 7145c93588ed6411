"""HTTP tests of `tracker serve`'s app: every route, caching headers, 304s, 404s, CORS."""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import update
from starlette.testclient import TestClient

from tests.conftest import NOW
from tests.seeding import PRICES, check_all, listing_id, seed_sample, serving
from tracker.config import Settings, SiteSettings
from tracker.domain import RunStatus
from tracker.store import repo
from tracker.store.engine import Store, open_store
from tracker.store.history import click_counts
from tracker.store.models import Listing
from tracker.web.server import create_app

ORIGIN = "https://reviews.example"
LOCAL = "http://localhost"  # a trusted host without site.public_url


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def ticks(self) -> float:
        """The server's monotonic clock, moving with ``now``."""
        return (self.now - NOW).total_seconds()


@pytest.fixture
def seeded(store: Store) -> Store:
    seed_sample(store, NOW)
    return store


@pytest.fixture
def clock() -> Clock:
    return Clock(NOW + timedelta(seconds=30))


@pytest.fixture
def client(seeded: Store, clock: Clock) -> Iterator[TestClient]:
    # The public URL is the test client's host: links go through /go/ there, and it is trusted.
    site = SiteSettings(origins=[ORIGIN], inline_css=False, public_url="http://testserver")
    settings = Settings(site=site)
    app = create_app(settings, store=seeded, clock=clock, ticks=clock.ticks)
    with TestClient(app) as test_client:
        yield test_client


def test_healthz(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_box_fragment_is_live_and_cached_with_etag(client: TestClient) -> None:
    response = client.get("/boxes/cortexin.html")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["cache-control"] == "public, max-age=60"
    body = response.text
    assert "$75.00" in body and "$45.00" in body and "$0.75 per mg" in body
    assert ">2 h ago</time>" in body  # live fragments say how long ago
    first = listing_id(client.app.state.live.store, "cosmicnootropic", "10 vials x 10 mg")
    assert f'href="http://testserver/go/{first}"' in body and 'rel="sponsored noopener"' in body
    etag = response.headers["etag"]

    again = client.get("/boxes/cortexin.html", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    assert again.headers["etag"] == etag
    assert (
        client.get("/boxes/cortexin.html", headers={"If-None-Match": '"other"'}).status_code == 200
    )
    assert client.app.state.live.cache.hits >= 2  # rendered once, served from memory after


def test_fragment_changes_when_the_data_does(
    client: TestClient, seeded: Store, clock: Clock
) -> None:
    before = client.get("/boxes/cortexin.html")
    changed = dict(PRICES)
    changed[("cosmicnootropic", "10 vials x 10 mg")] = ("70.00", "USD")
    check_all(seeded, NOW, changed)
    clock.now += timedelta(seconds=1)  # the server looks at the data version once a second
    after = client.get("/boxes/cortexin.html", headers={"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200 and after.headers["etag"] != before.headers["etag"]
    assert '<span class="tracker-offer__price">$70.00</span>' in after.text
    assert '<span class="tracker-offer__price">$75.00</span>' not in after.text
    assert "just now" in after.text


def test_fragment_follows_the_clock_to_stale(client: TestClient, clock: Clock) -> None:
    assert "$75.00" in client.get("/boxes/cortexin.html").text
    clock.now = NOW + timedelta(hours=23)  # last check 25 h ago: past the 24 h max age
    late = client.get("/boxes/cortexin.html").text
    assert "$75.00" not in late and "Check the price at CosmicNootropic" in late


def test_fragment_options_and_errors(client: TestClient) -> None:
    table = client.get("/boxes/cerebrolysin.html?style=table&limit=1")
    assert table.status_code == 200 and "<table" in table.text
    assert table.text.count('<tr class="tracker-offer') == 1
    assert client.get("/boxes/cortexin.html?style=grid").status_code == 400
    assert client.get("/boxes/cortexin.html?limit=x").status_code == 400
    assert client.get("/boxes/unknown.html").status_code == 404
    assert client.get("/boxes/Bad%20Slug.html").status_code == 404
    assert client.get("/boxes/cortexin").status_code == 404


def test_offers_json(client: TestClient) -> None:
    response = client.get("/api/products/cortexin/offers")
    assert response.status_code == 200 and response.headers["etag"]
    assert response.headers["content-type"] == "application/json"
    data = response.json()
    assert data["product"] == "cortexin" and data["name"] == "Cortexin"
    offers = {o["label"]: o for o in data["offers"]}
    ten = offers["10 vials x 10 mg"]
    assert (ten["price"], ten["currency"], ten["state"], ten["best"]) == (
        "75.00",
        "USD",
        "priced",
        True,
    )
    assert ten["availability"] == "InStock" and ten["link"].startswith("http://testserver/go/")
    # Amounts are strings: prices to the currency's minor unit, unit prices to 4 places.
    assert ten["unit_prices"][-1] == {"amount": "0.7500", "currency": "USD", "per": "mg"}
    etag = response.headers["etag"]
    assert (
        client.get("/api/products/cortexin/offers", headers={"If-None-Match": etag}).status_code
        == 304
    )
    assert client.get("/api/products/nothing/offers").status_code == 404


def test_embed_script(client: TestClient) -> None:
    response = client.get("/embed.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/javascript")
    assert "data-tracker-box" in response.text and response.headers["etag"]
    cached = client.get("/embed.js", headers={"If-None-Match": response.headers["etag"]})
    assert cached.status_code == 304


def test_one_stylesheet_for_live_boxes(client: TestClient) -> None:
    sheet = client.get("/tracker-buy.css")
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/css")
    assert ".tracker-offer__stock--instock," in sheet.text and sheet.headers["etag"]
    assert '"tracker-buy.css"' in client.get("/embed.js").text  # linked once by the script
    assert "<style" not in client.get("/boxes/cortexin.html").text


def test_embed_page_lists_the_products(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert '<div data-tracker-box="cortexin">' in page.text and 'src="embed.js"' in page.text


def test_go_redirects_to_the_listing_only_and_counts(client: TestClient, seeded: Store) -> None:
    first = listing_id(seeded, "cosmicnootropic", "10 vials x 10 mg")
    response = client.get(f"/go/{first}", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == (
        "https://shop.example/cosmicnootropic/cortexin.html?ref=tracker-demo"
    )
    assert response.headers["cache-control"] == "no-store"
    client.get(f"/go/{first}?to=https://evil.example/", follow_redirects=False)
    assert client.head(f"/go/{first}", follow_redirects=False).status_code == 302
    with seeded.sessions.begin() as session:
        # HEAD is not a click; the same visitor's second click within the window counts once.
        assert click_counts(session) == {first: 1}
    assert client.get("/go/999999", follow_redirects=False).status_code == 404
    assert client.get("/go/abc", follow_redirects=False).status_code == 404
    assert client.get(f"/go/{2**40}", follow_redirects=False).status_code == 404
    assert client.get("/go/" + "9" * 5000, follow_redirects=False).status_code == 404


def test_go_refuses_a_stored_url_that_is_not_http(client: TestClient, seeded: Store) -> None:
    first = listing_id(seeded, "cosmicnootropic", "10 vials x 10 mg")
    with seeded.sessions.begin() as session:
        session.execute(
            update(Listing).where(Listing.id == first).values(affiliate_url="javascript:alert(1)")
        )
    assert client.get(f"/go/{first}", follow_redirects=False).status_code == 404
    with seeded.sessions.begin() as session:
        assert click_counts(session) == {}
    assert "javascript:" not in client.get("/boxes/cortexin.html").text


def test_public_routes_are_read_only(client: TestClient) -> None:
    for path in ("/boxes/cortexin.html", "/api/products/cortexin/offers", "/go/1", "/healthz"):
        assert client.post(path).status_code == 405
        assert client.delete(path).status_code == 405


def test_cors_for_the_configured_origins_only(client: TestClient) -> None:
    allowed = client.get("/boxes/cortexin.html", headers={"Origin": ORIGIN})
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    assert "etag" in allowed.headers["access-control-expose-headers"].lower()
    other = client.get("/boxes/cortexin.html", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers
    preflight = client.options(
        "/api/products/cortexin/offers",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "GET"},
    )
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    refused = client.options(
        "/api/products/cortexin/offers",
        headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
    )
    assert refused.status_code == 400


def test_json_ld_in_the_live_fragment_parses(seeded: Store, clock: Clock) -> None:
    settings = Settings(site=SiteSettings(jsonld=True))
    with TestClient(create_app(settings, store=seeded, clock=clock), base_url=LOCAL) as client:
        body = client.get("/boxes/cortexin.html").text
    start = body.index('<script type="application/ld+json">') + len(
        '<script type="application/ld+json">'
    )
    data = json.loads(body[start : body.index("</script>", start)])
    assert data["offers"]["lowPrice"] == "45.00" and data["offers"]["offerCount"] == 3


@pytest.mark.slow
def test_tracker_serve_runs_uvicorn(tmp_path: Path) -> None:
    """The command itself: a real process on port 0 says its port, answers over HTTP, stops."""
    database = tmp_path / "tracker.db"
    store = open_store(f"sqlite:///{database}")
    try:
        seed_sample(store, datetime.now(UTC))
    finally:
        store.close()
    env = {**os.environ, "TRACKER_DATABASE_URL": f"sqlite:///{database}"}
    with serving(env, cwd=tmp_path) as url:
        with urllib.request.urlopen(f"{url}/boxes/cortexin.html", timeout=30) as response:
            body = response.read().decode("utf-8")
            assert response.headers["ETag"] and "$75.00" in body


def test_metrics_in_the_prometheus_text_format(
    seeded: Store, client: TestClient, clock: Clock
) -> None:
    with seeded.sessions.begin() as session:
        run = repo.start_run(session, vendor_slug="harbor-health", now=NOW - timedelta(hours=3))
        repo.finish_run(session, run.id, NOW - timedelta(hours=2), RunStatus.OK)
    clock.now = NOW + timedelta(hours=30)  # the sample's prices were read 2 h before NOW
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.text)}
    values = {
        (f.name, tuple(s.labels.values())): s.value for f in families.values() for s in f.samples
    }
    assert values[("tracker_crawl_runs", ("ok",))] == 1
    assert values[("tracker_listings_by_check_status", ("ok",))] == 11
    assert values[("tracker_listings_shown", ("stale",))] == 11
    assert values[("tracker_last_good_run_age_seconds", ("harbor-health",))] == 32 * 3600
