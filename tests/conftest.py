"""Shared fixtures: databases (SQLite always, PostgreSQL when configured), settings, sites."""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

import pytest
from sqlalchemy import create_engine, text

from tracker.config import PROJECT_ROOT, Settings, load_settings
from tracker.store.engine import Store, open_store
from tracker.web.samplesite import SAMPLE_SITE_DIR, StaticSite

pytest_plugins = ["tests.slow_marker"]  # the slow marker, checked

PG_URL = os.environ.get("TRACKER_TEST_DATABASE_URL")
PG_SKIP = "TRACKER_TEST_DATABASE_URL is not set: PostgreSQL store tests skipped"
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Tests never see the developer's tracker settings."""
    for name in list(os.environ):
        if name.startswith("TRACKER_") and name != "TRACKER_TEST_DATABASE_URL":
            monkeypatch.delenv(name)
    monkeypatch.delenv("SAMPLE_SITE", raising=False)


@pytest.fixture
def now() -> datetime:
    return NOW


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for one test, dropped afterwards."""
    if not PG_URL:
        pytest.skip(PG_SKIP)
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(PG_URL)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    separator = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{separator}options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'tracker.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def refused_url() -> Iterator[str]:
    """An http URL on 127.0.0.1 that refuses connections: a port bound here, never listening.

    Nobody else can take the port while the test runs (no bind-then-close race).
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = open_store(db_url)
    yield opened
    opened.close()


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    """A private copy of the sample vendor site that a test may change."""
    target = tmp_path / "site"
    shutil.copytree(SAMPLE_SITE_DIR, target)
    return target


@pytest.fixture
def site(site_dir: Path) -> Iterator[StaticSite]:
    with StaticSite(site_dir) as running:
        yield running


def write_config(folder: Path, database_url: str, **extra: str) -> Path:
    """A tracker.toml pointing at the sample catalog and a private copy of the content."""
    content = folder / "content"
    if not content.exists():
        shutil.copytree(PROJECT_ROOT / "examples" / "content", content)
    lines = [
        f'database_url = "{database_url}"',
        f'catalog = "{PROJECT_ROOT / "examples" / "catalog.yaml"}"',
        'content_dir = "content"',
        'out_dir = "out"',
        *[f"{key} = {value}" for key, value in extra.items()],
        "[crawl]",
        "download_delay = 0",
        "time_limit_seconds = 120",
        'contact_url = "http://127.0.0.1/tests"',
    ]
    path = folder / "tracker.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, site: StaticSite) -> Settings:
    """A configured tracker on SQLite in tmp_path, with the sample site running."""
    config = write_config(tmp_path, f"sqlite:///{tmp_path / 'var' / 'tracker.db'}")
    monkeypatch.setenv("TRACKER_CONFIG", str(config))
    monkeypatch.setenv("SAMPLE_SITE", site.url)
    return load_settings()
