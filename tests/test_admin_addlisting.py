"""The dashboard's "Add a listing" page over HTTP (TestClient), on SQLite and PostgreSQL.

Pages are read from the sample vendor site served on loopback (so these tests turn
`crawl.allow_private_addresses` on, as the demo does); one test keeps it off and sees the
address refused. Every error leaves the catalog file byte for byte as it was.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from starlette.testclient import TestClient

from tests.admin_seeding import login, operator
from tests.conftest import NOW
from tests.seeding import seed_sample
from tests.test_onboarding import CATALOG, ENTRY
from tests.test_security import XSS_VECTORS, parse
from tests.test_web import Clock
from tracker.catalog import load_catalog
from tracker.config import CrawlSettings, Settings, SiteSettings
from tracker.scheduling.jobstore import job_rows, sync_store_jobs
from tracker.services import sync_catalog_file
from tracker.store.engine import Store
from tracker.store.repo import listing_states
from tracker.web.admin import accounts
from tracker.web.admin.app import admin_mount
from tracker.web.samplesite import SAMPLE_SITE_DIR, StaticSite
from tracker.web.server import create_app

# Offer names from the OWASP vectors (two that differ only in case would make one listing key).
HOSTILE = [XSS_VECTORS[i] for i in (0, 1, 2, 4)]
_ENTRY_AREA = re.compile(r'<textarea id="entry" name="entry"[^>]*>(.*?)</textarea>', re.DOTALL)


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG, encoding="utf-8")
    return path


def settings_for(catalog: Path, allow_private: bool) -> Settings:
    return Settings(
        site=SiteSettings(inline_css=False),
        catalog=catalog,
        crawl=CrawlSettings(
            contact_url="http://127.0.0.1/tests", allow_private_addresses=allow_private
        ),
    )


def client_for(store: Store, settings: Settings) -> TestClient:
    operator(store, NOW)
    app = create_app(
        settings, store=store, clock=Clock(NOW + timedelta(seconds=30)), extensions=[admin_mount]
    )
    return TestClient(app, base_url="http://localhost")


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[StaticSite]:
    """Two sample vendors, robots.txt keeping out of one, and a page with no price."""
    root = tmp_path / "shop"
    root.mkdir()
    for name in ("cosmicnootropic", "harbor-health"):
        (root / name).symlink_to(SAMPLE_SITE_DIR / name)
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /harbor-health/\n", "utf-8")
    (root / "about.html").write_text(
        "<!DOCTYPE html><html><head><title>About us</title></head>"
        "<body><h1>About us</h1><p>We sell things.</p></body></html>",
        encoding="utf-8",
    )
    offers = [
        {"@type": "Offer", "name": vector, "sku": f"X-{i}", "price": f"{10 + i}.00",
         "priceCurrency": "USD", "availability": "https://schema.org/InStock"}
        for i, vector in enumerate(HOSTILE)
    ]  # fmt: skip
    product = {"@context": "https://schema.org", "@type": "Product", "name": XSS_VECTORS[1],
               "offers": offers}  # fmt: skip
    (root / "hostile.html").write_text(
        "<!DOCTYPE html><html><head><title>Hostile</title>"
        '<script type="application/ld+json">'
        + json.dumps(product).replace("<", "\\u003c")
        + "</script></head><body><h1>Hostile</h1><ul>"
        + "".join(f"<li>Option {i}: ${10 + i}.00</li>" for i in range(4))
        + "</ul></body></html>",
        encoding="utf-8",
    )
    with StaticSite(root) as site:
        yield site


def entry_of(page: str) -> str:
    found = _ENTRY_AREA.search(page)
    assert found, "no catalog entry on the page"
    return html.unescape(found.group(1))


def listings_at(store: Store, url: str) -> list[tuple[str, str]]:
    with store.readers.begin() as session:
        return sorted((s.vendor_slug, s.label) for s in listing_states(session) if s.url == url)


@pytest.mark.slow
def test_a_page_previewed_appended_and_synced(
    store: Store, catalog: Path, shop: StaticSite
) -> None:
    page_url = f"{shop.url}/cosmicnootropic/cortexin.html"
    settings = settings_for(catalog, allow_private=True)
    sync_catalog_file(store, catalog)  # the database holds the file as it is
    sync_store_jobs(store, settings)
    with client_for(store, settings) as client:
        token = login(client)
        form = client.get("/admin/add")
        assert form.status_code == 200 and 'action="/admin/add/preview"' in form.text
        assert "Add a listing" in client.get("/admin/").text  # in the navigation

        one = client.post(
            "/admin/add/preview",
            data={"csrf": token, "url": page_url, "vendor": "cosmic", "variant": "10 x 5 mg"},
        )
        assert one.status_code == 200, one.text
        assert "Matched variant: 10 vials x 5 mg (sku CTX-10X5)" in one.text
        assert "CTX-10X10" in one.text  # every offer of the page is listed
        assert "<td>sku CTX-10X5</td>" in one.text
        assert "- product: cortexin" in entry_of(one.text)

        preview = client.post(
            "/admin/add/preview",
            data={
                "csrf": token,
                "url": page_url,
                "vendor": "cosmic",
                "vendor_name": "CosmicNootropic",
            },
        )
        assert preview.status_code == 200, preview.text
        text = preview.text
        assert "<td>75.00 USD</td>" in text and "<td>In stock</td>" in text
        assert "none picked (one listing per offer, below)" in text
        for sku in ("CTX-10X10", "CTX-10X5"):  # each listing matches its own offer
            assert f"<td>sku {sku}</td><td>" in text and f"(sku {sku}): " in text
        entry = entry_of(text)
        assert "variant: {sku: CTX-10X5}" in entry
        assert catalog.read_text(encoding="utf-8") == CATALOG  # a preview writes nothing

        done = client.post(
            "/admin/add/append", data={"csrf": token, "url": page_url, "entry": entry}
        )
        assert done.status_code == 200, done.text
        assert "added vendor cosmic" in done.text and "added product cortexin" in done.text
        assert "synced: 4 added, 0 updated, 0 deactivated, 1 listings unchanged" in done.text
        assert "scheduler jobs: 1 added" in done.text

        again = client.post(
            "/admin/add/append", data={"csrf": token, "url": page_url, "entry": entry}
        )
        assert "nothing to add" in again.text
    written = catalog.read_text(encoding="utf-8")
    for line in CATALOG.splitlines():
        assert line in written.splitlines(), line  # comments and order kept
    assert [v.slug for v in load_catalog(catalog).vendors] == ["leafshop", "cosmic"]
    assert listings_at(store, page_url) == [
        ("cosmic", "10 vials x 10 mg"),
        ("cosmic", "10 vials x 5 mg"),
    ]
    jobs, broken = job_rows(store)
    assert "cosmic" in jobs and not broken


@pytest.mark.slow
def test_pages_that_cannot_be_added_say_why_and_change_nothing(
    store: Store, catalog: Path, shop: StaticSite
) -> None:
    cases = {
        f"{shop.url}/harbor-health/noocube.html": "robots.txt disallows this page",
        f"{shop.url}/about.html": "no priced offer found",
        f"{shop.url}/cosmicnootropic/missing.html": "HTTP 404",
        "ftp://127.0.0.1/x": "not an http(s) address",
    }
    with client_for(store, settings_for(catalog, allow_private=True)) as client:
        token = login(client)
        for url, why in cases.items():
            response = client.post("/admin/add/preview", data={"csrf": token, "url": url})
            assert response.status_code == 422, url
            assert why in response.text and html.escape(url) in response.text, url
            assert "Append to the catalog" not in response.text, url
        page_url = f"{shop.url}/cosmicnootropic/cortexin.html"
        unknown = client.post(
            "/admin/add/preview", data={"csrf": token, "url": page_url, "variant": "50 vials"}
        )
        assert unknown.status_code == 422 and page_url in unknown.text
        forged = client.post("/admin/add/preview", data={"csrf": "x", "url": page_url})
        assert forged.status_code == 403
    assert catalog.read_text(encoding="utf-8") == CATALOG


@pytest.mark.slow
def test_a_hostile_page_is_shown_as_text(store: Store, catalog: Path, shop: StaticSite) -> None:
    with client_for(store, settings_for(catalog, allow_private=True)) as client:
        token = login(client)
        url = f"{shop.url}/hostile.html"
        response = client.post("/admin/add/preview", data={"csrf": token, "url": url})
    assert response.status_code == 200, response.text
    found = parse(response.text)
    assert "script" not in found.tags and "svg" not in found.tags and "img" not in found.tags
    assert not [name for _, name, _ in found.attributes if name.startswith("on")]
    text = "".join(found.text)
    for vector in HOSTILE:
        assert " ".join(vector.split()) in text  # shown, as text
    assert "</textarea></script>" in entry_of(response.text)  # the entry keeps it as text
    assert catalog.read_text(encoding="utf-8") == CATALOG


def test_a_private_address_is_refused_with_the_setting_off(
    store: Store, catalog: Path, refused_url: str
) -> None:
    page_url = f"{refused_url}product.html"
    with client_for(store, settings_for(catalog, allow_private=False)) as client:
        token = login(client)
        response = client.post("/admin/add/preview", data={"csrf": token, "url": page_url})
        assert response.status_code == 422
        assert f"{page_url}: 127.0.0.1 is a private address" in response.text
        assert "crawl.allow_private_addresses = true" in response.text

        # a listing already on such an address: its page is not fetched to explain it either
        host = refused_url.rstrip("/")
        entry = (
            "products:\n  - slug: mug\n    name: Mug\n"
            f"vendors:\n  - slug: local\n    name: Local\n    homepage: {refused_url}\n"
            f"    currency: USD\n    listings:\n      - product: mug\n        label: 1 piece\n"
            f"        url: {host}/mug\n"
        )
        done = client.post("/admin/add/append", data={"csrf": token, "entry": entry})
        assert done.status_code == 200 and "added vendor local" in done.text, done.text
        with store.readers.begin() as session:
            [listing] = [s.listing_id for s in listing_states(session) if s.vendor_slug == "local"]
        explained = client.get(f"/admin/listings/{listing}?explain=1")
        assert "127.0.0.1 is a private address" in explained.text


def test_an_entry_that_breaks_the_catalog_changes_nothing(store: Store, catalog: Path) -> None:
    with client_for(store, settings_for(catalog, allow_private=False)) as client:
        token = login(client)
        offsite = ENTRY.replace("url: https://cup.example/mug", "url: https://evil.example/mug")
        bad = client.post("/admin/add/append", data={"csrf": token, "entry": offsite})
        assert bad.status_code == 422
        assert "catalog.yaml: vendors[1]: listings[0].url: evil" in html.unescape(bad.text)
        assert "https://evil.example/mug" in entry_of(bad.text)  # kept to be fixed
        hostile = "<script>alert(1)</script>"
        shown = client.post("/admin/add/append", data={"csrf": token, "entry": hostile})
        assert shown.status_code == 422 and "not a catalog entry" in shown.text
        assert "<script>alert" not in shown.text and "&lt;script&gt;" in shown.text
        for data in ({"entry": ENTRY}, {"csrf": "x", "entry": ENTRY}):
            assert client.post("/admin/add/append", data=data).status_code == 403
        assert client.post("/admin/add/append", data={"csrf": token}).status_code == 422
    assert catalog.read_text(encoding="utf-8") == CATALOG
    assert listings_at(store, "https://cup.example/mug") == []


def test_a_sync_refused_after_the_append_puts_the_file_back(store: Store, catalog: Path) -> None:
    seed_sample(store, NOW)  # the database holds another catalog: this one would remove it
    with client_for(store, settings_for(catalog, allow_private=False)) as client:
        token = login(client)
        refused = client.post("/admin/add/append", data={"csrf": token, "entry": ENTRY})
        assert refused.status_code == 422
        assert "the catalog file is back as it was" in refused.text
        assert "added vendor" not in refused.text
    assert catalog.read_text(encoding="utf-8") == CATALOG
    assert listings_at(store, "https://cup.example/mug") == []
