"""The live server's hosts and headers: links never follow the Host header, unexpected hosts get
400, `serve` refuses a public address without site.public_url, every route has its policy."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import ValidationError
from starlette.testclient import TestClient

from tests.admin_seeding import operator
from tests.conftest import NOW, write_config
from tests.seeding import listing_id, seed_sample
from tracker.cli import main
from tracker.config import ServeSettings, Settings, SiteSettings
from tracker.store.engine import Store
from tracker.store.history import affiliate_target
from tracker.web import headers, hosts
from tracker.web.admin.app import admin_mount
from tracker.web.server import create_app

PUBLIC = "https://boxes.example"
EVIL = {"Host": "evil.test"}


def client_of(store: Store, settings: Settings, base_url: str) -> TestClient:
    app = create_app(settings, store=store, clock=lambda: NOW, extensions=[admin_mount])
    return TestClient(app, base_url=base_url)


def affiliate_url(store: Store, listing: int) -> str:
    with store.readers.begin() as session:
        found = affiliate_target(session, listing)
    assert found is not None
    return found[0]


def test_links_come_from_the_public_url_and_other_hosts_are_refused(store: Store) -> None:
    seed_sample(store, NOW)
    first = listing_id(store, "cosmicnootropic", "10 vials x 10 mg")
    settings = Settings(site=SiteSettings(public_url=PUBLIC, inline_css=False))
    with client_of(store, settings, PUBLIC) as client:
        box = client.get("/boxes/cortexin.html")
        assert box.status_code == 200 and f'href="{PUBLIC}/go/{first}"' in box.text
        for path in ("/boxes/cortexin.html", "/api/products/cortexin/offers", f"/go/{first}", "/"):
            refused = client.get(path, headers=EVIL, follow_redirects=False)
            assert refused.status_code == 400, path
            assert "evil.test" not in refused.text
        # Loopback names stay trusted (a health check on the machine itself).
        assert client.get("http://127.0.0.1/healthz").status_code == 200
        assert client.get("http://localhost/healthz").status_code == 200


def test_without_a_public_url_links_are_the_vendors_own(store: Store) -> None:
    seed_sample(store, NOW)
    first = listing_id(store, "cosmicnootropic", "10 vials x 10 mg")
    target = affiliate_url(store, first)
    assert "/go/" not in target
    with client_of(store, Settings(site=SiteSettings(inline_css=False)), "http://localhost") as c:
        box = c.get("/boxes/cortexin.html")
        assert box.status_code == 200 and f'href="{target}"' in box.text
        assert "/go/" not in box.text and "localhost" not in box.text
        assert c.get("/boxes/cortexin.html", headers=EVIL).status_code == 400
    # Even with every host let in, the Host header never makes a link.
    anything = Settings(
        site=SiteSettings(inline_css=False), serve=ServeSettings(allowed_hosts=["*"])
    )
    with client_of(store, anything, "http://localhost") as c:
        box = c.get("/boxes/cortexin.html", headers=EVIL)
        offers = c.get("/api/products/cortexin/offers", headers=EVIL)
        assert box.status_code == offers.status_code == 200
        assert "evil.test" not in box.text and "evil.test" not in offers.text
        links = {row["listing_id"]: row["link"] for row in json.loads(offers.text)["offers"]}
        assert links[first] == target


def test_allowed_hosts_replace_the_default(store: Store) -> None:
    seed_sample(store, NOW)
    listed = ServeSettings(allowed_hosts=["*.shop.example"])
    settings = Settings(site=SiteSettings(public_url=PUBLIC), serve=listed)
    assert hosts.allowed_hosts(settings) == ["*.shop.example"]
    with client_of(store, settings, "http://boxes.shop.example") as client:
        assert client.get("/healthz").status_code == 200
        assert client.get(f"{PUBLIC}/healthz").status_code == 400
        assert client.get("http://localhost/healthz").status_code == 400


def test_default_hosts_and_loopback() -> None:
    assert hosts.allowed_hosts(Settings()) == ["localhost", "127.0.0.1", "::1"]
    public = Settings(site=SiteSettings(public_url="https://Boxes.Example:8443/live"))
    assert hosts.allowed_hosts(public)[0] == "boxes.example"
    for loop in ("127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST"):
        assert hosts.is_loopback(loop), loop
    for other in ("0.0.0.0", "::", "192.168.1.5", "example.com", "localhost.example.com"):
        assert not hosts.is_loopback(other), other
        assert hosts.public_bind_refusal(Settings(), other) is not None
        assert hosts.public_bind_refusal(public, other) is None


@pytest.mark.parametrize("bad", ["https://boxes.example", "boxes.example:80", "a.*.example", "a b"])
def test_allowed_hosts_must_be_host_names(bad: str) -> None:
    with pytest.raises(ValidationError, match="not a host name"):
        ServeSettings(allowed_hosts=[bad])


def test_serve_refuses_a_public_address_without_a_public_url(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'tracker.db'}")
    result = CliRunner().invoke(main, ["--config", str(config), "serve", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and "without site.public_url" in lines[0] and "0.0.0.0" in lines[0]


@pytest.mark.slow
def test_serve_process_refuses_a_public_address(tmp_path: Path) -> None:
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'tracker.db'}")
    command = [sys.executable, "-m", "tracker", "--config", str(config), "serve"]
    done = subprocess.run(
        [*command, "--host", "0.0.0.0", "--port", "0"], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip().count("\n") == 0 and "site.public_url" in done.stderr


def test_every_route_has_its_headers(store: Store) -> None:
    seed_sample(store, NOW)
    operator(store, NOW)  # the dashboard answers once it has an operator
    first = listing_id(store, "cosmicnootropic", "10 vials x 10 mg")
    settings = Settings(site=SiteSettings(public_url=PUBLIC, inline_css=False))
    expected = {
        "/": headers.PAGE,
        "/healthz": headers.STRICT,
        "/metrics": headers.STRICT,
        "/embed.js": headers.STRICT,
        "/tracker-buy.css": headers.STRICT,
        "/boxes/cortexin.html": headers.STRICT,
        "/boxes/nothing-here.html": headers.STRICT,
        "/api/products/cortexin/offers": headers.STRICT,
        f"/go/{first}": headers.STRICT,
        "/no/such/route": headers.STRICT,
        "/admin/": headers.ADMIN,
        "/admin/login": headers.ADMIN,
        "/admin/admin.css": headers.ADMIN,
    }
    with client_of(store, settings, PUBLIC) as client:
        for path, policy in expected.items():
            for response in (
                client.get(path, follow_redirects=False),
                client.get(path, headers=EVIL, follow_redirects=False),
            ):
                assert response.headers["x-content-type-options"] == "nosniff", path
                assert response.headers["content-security-policy"] == policy, path
        for asset in ("/embed.js", "/tracker-buy.css"):
            assert client.get(asset).headers["cross-origin-resource-policy"] == "cross-origin"
        login = client.get("/admin/login")
        assert login.status_code == 200 and login.headers["x-frame-options"] == "DENY"
        # The dashboard's pages run no script and take their styles from their own stylesheet.
        assert "<script" not in login.text and 'href="/admin/' in login.text
        assert client.get("/admin/admin.css").headers["content-type"].startswith("text/css")
        # The index page loads the embed script from itself: its policy lets exactly that run.
        index = client.get("/")
        assert '<script src="embed.js"' in index.text and "script-src 'self'" in headers.PAGE
        assert "<script>" not in index.text
