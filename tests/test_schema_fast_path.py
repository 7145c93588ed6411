"""Opening a database already at the newest schema does not load alembic (crawl memory)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tracker.store.engine import _declared_heads, head_revision, open_store


def test_the_declared_head_is_alembics_head() -> None:
    assert _declared_heads() == {head_revision()}


@pytest.mark.slow  # a fresh interpreter: a child process
def test_a_database_at_head_opens_without_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    open_store(url).close()  # creates and migrates
    script = (
        "import sys\n"
        "from tracker.store.engine import open_store\n"
        f"open_store({url!r}).close()\n"
        "import spiders.listings\n"
        "print('alembic' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_a_new_database_is_still_migrated(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        with store.engine.connect() as connection:
            version = connection.exec_driver_sql("SELECT version_num FROM alembic_version")
            assert {row[0] for row in version} == {head_revision()}
    finally:
        store.close()
