"""One engine and one sessionmaker per process.

Commands that write open the store with ``open_store``, which creates the database and migrates
it to the newest schema. Commands that only read use ``open_existing`` (or the server's
``connect``): they never create a database, a file or a table, and say how to create one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, inspect, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session, sessionmaker

if TYPE_CHECKING:  # alembic is imported only when a migration may be needed (12 MB, 0.1 s)
    from alembic.config import Config

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
READ_ONLY = "tracker_read_only"


@dataclass
class Store:
    """The engine and the session factories of one process.

    ``sessions`` is for work that writes; ``readers`` for work that only reads (on SQLite it
    does not take the write lock, so polling and rendering never hold up a crawl's writes).
    """

    engine: Engine
    sessions: sessionmaker[Session]
    readers: sessionmaker[Session]

    def close(self) -> None:
        self.engine.dispose()


class StoreUnavailable(Exception):
    """The database cannot be used (unreachable, not writable, no such database).

    The message names the database without its password and says what is wrong.
    """


class StoreMissing(StoreUnavailable):
    """The database or its tables do not exist, or its schema is not this version's."""


def database_name(url: str | URL) -> str:
    """The database URL as an operator may see it: never with its password."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(not a database URL)"


def failure_text(url: str, exc: BaseException) -> str:
    """``database NAME: reason``: the driver's first line, never the URL's password."""
    reason = str(getattr(exc, "orig", None) or exc).strip().split("\n")[0]
    try:
        password = make_url(url).password if url else None
    except ArgumentError:
        password = None
    if password:
        reason = reason.replace(str(password), "***")
    return (
        f"database {database_name(url) if url else '(not configured)'}: {' '.join(reason.split())}"
    )


def _sqlite_file(parsed: URL) -> Path | None:
    """The file of a SQLite URL (None for other databases, memory and URI forms)."""
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in ("", ":memory:"):
        return None
    if parsed.query.get("uri") or database.startswith("file:"):
        return None
    return Path(database)


def make_engine(url: str, *, create: bool = True) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and write-locking transactions.

    With ``create=False`` a SQLite file is opened read-write but never created: a mistyped
    path is an error, not a new empty database. No connection is made here.
    """
    try:
        parsed = make_url(url)
        backend = parsed.get_backend_name()
    except ArgumentError as exc:
        raise StoreUnavailable(
            "the database URL is not one SQLAlchemy can read "
            "(e.g. sqlite:///var/tracker.db or postgresql+psycopg://user@host:5432/db)"
        ) from exc
    if backend != "sqlite":
        try:
            return create_engine(url, pool_pre_ping=True)
        except (ArgumentError, ImportError) as exc:  # an unknown dialect, a driver not installed
            raise StoreUnavailable(f"database {database_name(parsed)}: {exc}") from exc
    path = _sqlite_file(parsed)
    if path is not None and create:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreUnavailable(
                f"database {database_name(parsed)}: cannot create its folder: {exc.strerror}"
            ) from exc
    elif path is not None:
        # SQLite's URI form with mode=rw opens an existing file and never creates one.
        target = path.resolve()
        parsed = parsed.set(
            database=f"file:{quote(str(target))}",
            query={**parsed.query, "mode": "rw", "uri": "true"},
        )
    engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (the sqlite3 module would defer it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Writers take the write lock at the start: a read lock upgraded later can fail with
        # "database is locked" at once, whatever the busy timeout.
        if connection.get_execution_options().get(READ_ONLY):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.*)$", re.MULTILINE)
_QUOTED = re.compile(r"[\"']([^\"']+)[\"']")


def _declared_heads() -> set[str]:
    """The newest revisions, read from the migration files without importing alembic.

    Only a fast path: anything unexpected gives an empty set and alembic decides.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text("utf-8")
        found = {m.group(1): m.group(2) for m in _REVISION_LINE.finditer(source)}
        ids = _QUOTED.findall(found.get("revision", ""))
        if len(ids) != 1:
            return set()
        revisions.add(ids[0])
        parents.update(_QUOTED.findall(found.get("down_revision", "")))
    return revisions - parents


def _stored_revisions(engine: Engine) -> set[str]:
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT version_num FROM alembic_version"))
            return {row[0] for row in rows}
    except DBAPIError:
        return set()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (does nothing when it is there)."""
    heads = _declared_heads()
    if heads and _stored_revisions(engine) == heads:
        return  # at head: no need to load alembic (a crawl child saves its memory)
    if current_revision(engine) == head_revision():
        return
    from alembic import command

    config = _alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def newest_schema() -> set[str]:
    """The revisions a database at this version's newest schema holds in alembic_version."""
    return _declared_heads() or {head_revision() or ""}


def stored_schema(connection: Connection) -> set[str]:
    """The revisions the database holds (an error when it has no alembic_version table)."""
    return {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}


def check_schema(engine: Engine, url: str) -> None:
    """Raise StoreMissing unless the database holds the tracker's tables at the newest schema.

    Reads only: never creates a table. Connection errors propagate as they are.
    """
    name = database_name(url)
    heads = newest_schema()
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            raise StoreMissing(
                f"database {name} has no tracker tables: create them with `tracker init`"
            )
        stored = stored_schema(connection)
    if stored != heads:
        raise StoreMissing(
            f"database {name} has schema {', '.join(sorted(stored)) or 'none'}, this version "
            f"needs {', '.join(sorted(heads))}: migrate it with `tracker init`"
        )


def _store(engine: Engine) -> Store:
    return Store(
        engine=engine,
        sessions=sessionmaker(engine, expire_on_commit=False),
        readers=sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False),
    )


def open_store(url: str, *, upgrade: bool = True) -> Store:
    """Open the database for writing: create it (and its SQLite folder) and migrate it."""
    engine = make_engine(url)
    if upgrade:
        migrate(engine)
    return _store(engine)


def open_existing(url: str) -> Store:
    """Open a database that exists at the newest schema; never create or migrate anything."""
    store = connect(url)
    try:
        path = _sqlite_file(make_url(url))
        if path is not None and not path.is_file():
            raise StoreMissing(
                f"database {database_name(url)} does not exist: create it with `tracker init`"
            )
        check_schema(store.engine, url)
    except BaseException:
        store.close()
        raise
    return store


def connect(url: str) -> Store:
    """A store that never creates the database and has not connected yet (for the server)."""
    return _store(make_engine(url, create=False))
