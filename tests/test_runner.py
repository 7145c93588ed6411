"""The local runner records what happened to its child, even when the child dies early."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tracker import services
from tracker.config import Settings
from tracker.store.engine import open_store
from tracker.store.models import Product


@pytest.mark.slow
def test_a_child_that_dies_leaves_a_failed_run_with_the_reason(
    project: Settings, refused_url: str
) -> None:
    store = open_store(project.database_url)
    try:
        services.sync_catalog_file(store, project.catalog)
        # The job names a database the child cannot reach: it dies before it crawls.
        port = refused_url.rstrip("/").rsplit(":", 1)[1]
        unreachable = f"postgresql+psycopg://nobody@127.0.0.1:{port}/none?connect_timeout=2"
        broken = project.model_copy(update={"database_url": unreachable})
        snapshot = services.crawl(broken, store, "harbor-health")
    finally:
        store.close()
    assert snapshot.status == "failed"
    assert "crawl process exited with code" in (snapshot.error or "")
    assert snapshot.log_file is not None and snapshot.log_file.exists()


def test_readers_do_not_wait_for_a_writer(tmp_path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'db.sqlite'}")
    try:
        with store.sessions.begin() as writer:
            writer.add(Product(slug="x", name="X", active=True))
            writer.flush()
            # A writer holds the lock; a reader still answers at once (WAL, deferred BEGIN).
            with store.readers.begin() as reader:
                assert reader.scalars(select(Product)).all() == []
    finally:
        store.close()
