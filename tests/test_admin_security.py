"""The dashboard escapes every OWASP vector that the buy box is tested with, on every page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from click.testing import CliRunner
from starlette.testclient import TestClient

from tests.admin_seeding import PASSWORD, login, operator
from tests.conftest import NOW, write_config
from tests.seeding import check_all, sync_sample
from tests.test_security import XSS_VECTORS, evil_catalog, parse
from tracker.cli import main
from tracker.config import Settings, SiteSettings
from tracker.store.engine import Store, open_store
from tracker.store.models import Operator
from tracker.urls import is_http_url
from tracker.web.admin import accounts
from tracker.web.admin.app import admin_mount
from tracker.web.server import create_app


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(accounts, "_HASHER", PasswordHasher(time_cost=1, memory_cost=1024))


@pytest.fixture
def evil(tmp_path: Path) -> Iterator[tuple[TestClient, Store]]:
    store = open_store(f"sqlite:///{tmp_path / 'evil.db'}")
    sync_sample(store, evil_catalog())
    prices = {(f"v{i}", e): ("75.00", "USD") for i, e in enumerate(XSS_VECTORS)}
    check_all(store, NOW - timedelta(days=2), prices)
    held = {key: ("750.00", "USD") for key in prices}  # every listing holds a price
    check_all(store, NOW - timedelta(hours=1), held)
    operator(store, NOW)
    app = create_app(
        Settings(site=SiteSettings(inline_css=False, jsonld=True)),
        store=store,
        clock=lambda: NOW,
        extensions=[admin_mount],
    )
    try:
        with TestClient(app, base_url="http://localhost") as client:
            yield client, store
    finally:
        store.close()


def assert_page_safe(html: str, evil: str) -> None:
    """No script but the box's JSON-LD, no handler, links local or http(s), the vector as text."""
    found = parse(html)
    for tag, name, value in found.attributes:
        assert not name.startswith("on"), (tag, name, evil)
        if name in ("href", "src", "action"):
            assert value is not None and (value.startswith(("/", "?")) or is_http_url(value)), value
        if tag == "script":
            assert (name, value) == ("type", "application/ld+json"), evil
    assert not {"img", "iframe", "xss", "style", "div style"} & set(found.tags), evil
    # Only the template's own: two metas in the head, one body, the logout form's token.
    assert (found.tags.count("meta"), found.tags.count("body"), found.tags.count("input")) == (
        2,
        1,
        1,
    ), evil
    assert evil.strip() in " ".join(found.text) or evil[:120].strip() in " ".join(found.text)
    for script in found.scripts:
        assert "</script" not in script.lower()


def test_every_page_escapes_every_vector(evil: tuple[TestClient, Store]) -> None:
    client, _store = evil
    login(client)
    overview = client.get("/admin/").text
    held = client.get("/admin/held").text
    for i, vector in enumerate(XSS_VECTORS):
        assert_page_safe(client.get(f"/admin/products/p{i}").text, vector)
        assert_page_safe(client.get(f"/admin/listings/{i + 1}").text, vector)
        assert vector[:120].strip() in " ".join(parse(overview).text)
        assert vector.strip() in " ".join(parse(held).text)
    for page in (overview, held, client.get("/admin/schedule").text):
        tags = parse(page).tags
        assert "script" not in tags and "img" not in tags and "iframe" not in tags


def test_create_user_from_the_command_line(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'tracker.db'}"
    config = str(write_config(tmp_path, url))
    runner = CliRunner()
    made = runner.invoke(main, ["--config", config, "admin", "create-user", "ops"], input=PASSWORD)
    assert made.exit_code == 0, made.output
    assert "operator ops created" in made.output and PASSWORD not in made.output
    store = open_store(url)
    try:
        with store.sessions.begin() as session:
            [row] = session.query(Operator).all()
            assert row.name == "ops" and row.password_hash.startswith("$argon2id$")
        assert accounts.verify(store, "ops", PASSWORD) == row.id
        assert accounts.verify(store, "ops", PASSWORD + "x") is None
        assert accounts.verify(store, "nobody", PASSWORD) is None
    finally:
        store.close()
    again = runner.invoke(main, ["--config", config, "admin", "create-user", "ops"], input=PASSWORD)
    assert again.exit_code == 1 and "an operator named 'ops' exists already" in again.output
    short = runner.invoke(main, ["--config", config, "admin", "create-user", "x"], input="short")
    assert short.exit_code == 1 and "at least 10 characters" in short.output
    bad = runner.invoke(main, ["--config", config, "admin", "create-user", "<b>"], input=PASSWORD)
    assert bad.exit_code == 1 and "a name is 1 to 64 letters" in bad.output
    changed = runner.invoke(
        main, ["--config", config, "admin", "set-password", "ops"], input="a new long password\n"
    )
    assert changed.exit_code == 0, changed.output
    store = open_store(url)
    try:
        assert accounts.verify(store, "ops", "a new long password") is not None
        assert accounts.verify(store, "ops", PASSWORD) is None
    finally:
        store.close()
