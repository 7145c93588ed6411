"""A database that is missing, unreachable or cannot be written: one line naming it, exit 2.

Read-only commands never create a database, a file or a table; the live server starts anyway
and answers 503 until the database can be used.
"""

from __future__ import annotations

import os
import sqlite3
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command as alembic
from click.testing import CliRunner, Result
from sqlalchemy import Engine, create_engine, event, inspect, text
from starlette.testclient import TestClient

from tests.conftest import NOW, PROJECT_ROOT
from tests.seeding import seed_sample, serving
from tracker.cli import main
from tracker.config import Settings
from tracker.store.engine import _alembic_config, make_engine, open_store
from tracker.web.server import create_app

LOCAL = "http://localhost"  # a trusted host of the server without site.public_url

SAMPLE = PROJECT_ROOT / "examples" / "catalog.yaml"
# Commands that only read the database: none may create it or any table in it.
READERS = [
    ["prices"],
    ["prices", "--why", "1"],
    ["status"],
    ["catalog", "show"],
    ["schedule", "list"],
    ["schedule", "pause", "cosmicnootropic"],
    ["schedule", "resume", "cosmicnootropic"],
    ["schedule", "run-now", "cosmicnootropic"],
    ["render"],
    ["render", "--check"],
    [
        "extract",
        str(PROJECT_ROOT / "tests" / "fixtures" / "pages" / "shopify-product-json.html"),
        "--vendor",
        "v",
    ],
]
# Commands that write: they create or migrate the database, so they reach it first.
WRITERS = [["init"], ["catalog", "sync"], ["crawl"], ["schedule", "run"]]


def invoke(config: Path, command: list[str]) -> Result:
    return CliRunner().invoke(main, ["--config", str(config), *command])


def configure(folder: Path, database_url: str) -> Path:
    config = folder / "tracker.toml"
    config.write_text(
        f'database_url = "{database_url}"\ncatalog = "{SAMPLE}"\n'
        f'content_dir = "{PROJECT_ROOT / "examples" / "content"}"\n',
        encoding="utf-8",
    )
    return config


def one_line_exit_2(result: Result) -> str:
    assert result.exit_code == 2, result.output
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit
    ), result.exception
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.output
    assert "database" in lines[0] and "Traceback" not in result.output
    return lines[0]


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_read_only_commands_never_create_a_sqlite_database(
    tmp_path: Path, command: list[str]
) -> None:
    database = tmp_path / "typo" / "trackr.db"
    result = invoke(configure(tmp_path, f"sqlite:///{database}"), command)
    line = one_line_exit_2(result)
    assert line.endswith("does not exist: create it with `tracker init`"), line
    assert str(database) in line
    assert not database.parent.exists()


@pytest.mark.parametrize("command", READERS, ids=" ".join)
def test_read_only_commands_create_no_table(tmp_path: Path, command: list[str]) -> None:
    database = tmp_path / "other.db"
    sqlite3.connect(database).close()  # an empty file: somebody else's, or a mistake
    result = invoke(configure(tmp_path, f"sqlite:///{database}"), command)
    assert "has no tracker tables: create them with `tracker init`" in one_line_exit_2(result)
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)


def test_read_only_commands_create_no_table_on_postgresql(tmp_path: Path, pg_url: str) -> None:
    config = configure(tmp_path, pg_url)
    for command in (["prices"], ["status"], ["catalog", "show"], ["render", "--check"]):
        assert "has no tracker tables" in one_line_exit_2(invoke(config, command))
    engine = create_engine(pg_url)
    try:
        with engine.connect() as connection:
            assert inspect(connection).get_table_names() == []
    finally:
        engine.dispose()
    assert invoke(config, ["init"]).exit_code == 0
    assert invoke(config, ["catalog", "show"]).exit_code == 0


def test_an_older_schema_is_not_migrated_by_a_reader(tmp_path: Path) -> None:
    database = tmp_path / "tracker.db"
    engine = make_engine(f"sqlite:///{database}")
    config = _alembic_config()
    with engine.begin() as connection:  # the schema of an older version of the tracker
        config.attributes["connection"] = connection
        alembic.upgrade(config, "0003")
    engine.dispose()
    config = configure(tmp_path, f"sqlite:///{database}")
    line = one_line_exit_2(invoke(config, ["prices"]))
    assert "has schema 0003" in line and "migrate it with `tracker init`" in line
    assert invoke(config, ["init"]).exit_code == 0
    assert invoke(config, ["prices"]).exit_code == 0


@pytest.mark.parametrize("command", READERS + WRITERS, ids=" ".join)
def test_an_unreachable_database_is_one_line_without_the_password(
    tmp_path: Path, refused_url: str, command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SAMPLE_SITE", "http://127.0.0.1:9")
    port = refused_url.rstrip("/").rsplit(":", 1)[1]
    url = f"postgresql+psycopg://tracker:s3cret-pw@127.0.0.1:{port}/tracker"
    line = one_line_exit_2(invoke(configure(tmp_path, url), command))
    assert f"database postgresql+psycopg://tracker:***@127.0.0.1:{port}/tracker" in line, line
    assert "s3cret-pw" not in line


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("not a url", "the database URL is not one SQLAlchemy can read"),
        ("postgres+psycopg://u:pw@127.0.0.1/x", "database postgres+psycopg://u:***@127.0.0.1/x"),
        ("mysql://u:pw@127.0.0.1/x", "database mysql://u:***@127.0.0.1/x: No module named"),
    ],
)
def test_a_wrong_database_url_is_one_line(tmp_path: Path, url: str, message: str) -> None:
    for command in (["status"], ["init"]):
        line = one_line_exit_2(invoke(configure(tmp_path, url), command))
        assert message in line and ":pw@" not in line


def test_a_read_only_database_is_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "tracker.db"
    open_store(f"sqlite:///{database}").close()
    monkeypatch.setenv("SAMPLE_SITE", "http://127.0.0.1:9")
    config = configure(tmp_path, f"sqlite:///file:{database}?mode=ro&uri=true")
    line = one_line_exit_2(invoke(config, ["catalog", "sync"]))
    assert "attempt to write a readonly database" in line, line


@pytest.fixture
def full_disk() -> Iterator[None]:
    """Every new SQLite connection may not grow its file: SQLite says the disk is full."""

    def no_growth(dbapi_connection: Any, _record: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            pages = dbapi_connection.execute("PRAGMA page_count").fetchone()[0]
            dbapi_connection.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(Engine, "connect", no_growth)
    yield
    event.remove(Engine, "connect", no_growth)


def test_a_full_disk_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, full_disk: None
) -> None:
    database = tmp_path / "tracker.db"
    with sqlite3.connect(database) as connection:  # an empty database that cannot grow
        connection.execute("PRAGMA journal_mode=WAL")
    monkeypatch.setenv("SAMPLE_SITE", "http://127.0.0.1:9")
    line = one_line_exit_2(invoke(configure(tmp_path, f"sqlite:///{database}"), ["init"]))
    assert "database or disk is full" in line, line


def test_init_never_prints_the_password(tmp_path: Path, pg_url: str) -> None:
    url = pg_url.replace("://postgres@", "://postgres:s3cret-pw@")
    result = invoke(configure(tmp_path, url), ["init"])
    assert result.exit_code == 0, result.output
    assert "s3cret-pw" not in result.output and "postgres:***@" in result.output


def test_the_server_starts_without_its_database_and_answers_once_it_exists(tmp_path: Path) -> None:
    database = tmp_path / "var" / "tracker.db"
    settings = Settings(database_url=f"sqlite:///{database}")
    with TestClient(create_app(settings, clock=lambda: NOW), base_url=LOCAL) as client:
        health = client.get("/healthz")
        assert health.status_code == 503 and health.json()["status"] == "error"
        for path in ("/", "/boxes/cortexin.html", "/api/products/cortexin/offers", "/go/1"):
            response = client.get(path, follow_redirects=False)
            assert response.status_code == 503, path
            assert response.headers["cache-control"] == "no-store"
            assert response.headers["retry-after"] == "30"
        assert client.get("/embed.js").status_code == 200
        assert not database.parent.exists()  # the server created nothing
        store = open_store(settings.database_url)  # `tracker init` and a sync, elsewhere
        try:
            seed_sample(store, NOW)
        finally:
            store.close()
        assert client.get("/healthz").json() == {"status": "ok"}
        assert client.get("/boxes/cortexin.html").status_code == 200
        assert client.get("/go/1", follow_redirects=False).status_code == 302


def test_the_server_says_503_while_postgresql_is_down(refused_url: str) -> None:
    port = refused_url.rstrip("/").rsplit(":", 1)[1]
    settings = Settings(database_url=f"postgresql+psycopg://u:pw@127.0.0.1:{port}/tracker")
    with TestClient(create_app(settings, clock=lambda: NOW), base_url=LOCAL) as client:
        health = client.get("/healthz")
        assert health.status_code == 503 and "pw" not in health.text
        assert client.get("/boxes/cortexin.html").status_code == 503


def test_a_schema_without_tables_is_unhealthy(tmp_path: Path) -> None:
    database = tmp_path / "empty.db"
    sqlite3.connect(database).close()
    settings = Settings(database_url=f"sqlite:///{database}")
    with TestClient(create_app(settings, clock=lambda: NOW), base_url=LOCAL) as client:
        assert client.get("/healthz").status_code == 503
        assert client.get("/boxes/cortexin.html").status_code == 503
    with sqlite3.connect(database) as connection:
        assert connection.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)


def test_writers_still_create_the_database(tmp_path: Path) -> None:
    database = tmp_path / "new" / "tracker.db"
    result = invoke(configure(tmp_path, f"sqlite:///{database}"), ["init"])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(database) as connection:
        assert connection.execute(text("SELECT 1").text).fetchone() == (1,)
    assert "version_num" in {
        row[1] for row in sqlite3.connect(database).execute("PRAGMA table_info(alembic_version)")
    }


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.slow
def test_tracker_serve_starts_without_its_database(tmp_path: Path) -> None:
    """The process: it listens, warns in one line, says 503, and 200 once `tracker init` ran."""
    database = tmp_path / "var" / "tracker.db"
    env = {**os.environ, "TRACKER_DATABASE_URL": f"sqlite:///{database}"}
    lines: list[str] = []
    with serving(env, cwd=tmp_path, healthy=False, lines=lines) as url:
        assert status_of(f"{url}/boxes/cortexin.html") == 503
        assert not database.parent.exists()
        store = open_store(f"sqlite:///{database}")
        try:
            seed_sample(store, NOW)
        finally:
            store.close()
        assert status_of(f"{url}/healthz") == 200
        assert status_of(f"{url}/boxes/cortexin.html") == 200
    warning = next(line for line in lines if line.startswith("warning: "))
    assert "does not exist: create it with `tracker init`" in warning
    assert "Traceback" not in "".join(lines)
