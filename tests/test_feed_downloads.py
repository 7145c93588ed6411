"""Feeds downloaded from a loopback network server: gzip, zip, conditional requests, retries,
size limit, credentials from the environment, and `tracker feeds` itself."""

from __future__ import annotations

import base64
import gzip
import io
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from email.utils import format_datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.feed_helpers import FIXTURES, catalog_text, run, settings_for, states, sync
from tests.feedserver import FeedFile, FeedSite
from tracker.cli import main
from tracker.store.engine import Store

pytestmark = pytest.mark.slow


@pytest.fixture
def feeds() -> Iterator[FeedSite]:
    with FeedSite() as site:
        yield site


def _gzip(name: str) -> bytes:
    return gzip.compress((FIXTURES / name).read_bytes(), mtime=0)


def test_gzip_feed_with_etag_is_not_downloaded_twice(
    store: Store, tmp_path: Path, now, feeds: FeedSite
) -> None:
    modified = now - timedelta(hours=5)
    feeds.files["/datafeed/awin.csv.gz"] = FeedFile(
        _gzip("awin.csv"), etag='"v1"', last_modified=format_datetime(modified, usegmt=True)
    )
    catalog = sync(store, catalog_text(f"url: {feeds.url}/datafeed/awin.csv.gz"))
    settings = settings_for(tmp_path, store)
    first = run(store, settings, catalog, now)
    assert first.status == "applied" and first.offers == 3
    assert states(store)["10 vials x 10 mg"].last_seen_at == modified  # Last-Modified
    second = run(store, settings, catalog, now + timedelta(hours=1))
    assert second.status == "unchanged"
    sent = feeds.hits("/datafeed/awin.csv.gz")
    assert sent[1]["If-None-Match"] == '"v1"'
    assert "tests" in sent[0]["User-Agent"]
    assert list((tmp_path / "var" / "feeds").iterdir()) == []  # downloads are removed


def test_same_bytes_without_validators_are_not_read_again(
    store: Store, tmp_path: Path, now, feeds: FeedSite
) -> None:
    feeds.files["/feed.xml"] = FeedFile((FIXTURES / "google.xml").read_bytes())
    catalog = sync(store, catalog_text(f"url: {feeds.url}/feed.xml", "google-merchant-xml"))
    settings = settings_for(tmp_path, store)
    assert run(store, settings, catalog, now).status == "applied"
    assert run(store, settings, catalog, now).status == "unchanged"


def test_zipped_tsv_over_http(store: Store, tmp_path: Path, now, feeds: FeedSite) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(FIXTURES / "google.tsv", "products.tsv")
    feeds.files["/feed.zip"] = FeedFile(buffer.getvalue(), content_type="application/zip")
    catalog = sync(store, catalog_text(f"url: {feeds.url}/feed.zip", "google-merchant-tsv"))
    report = run(store, settings_for(tmp_path, store), catalog, now)
    assert report.status == "applied" and report.offers == 3
    assert states(store)["10 vials x 10 mg"].regular_price == Decimal("80.00")


def test_retries_after_server_errors(store: Store, tmp_path: Path, now, feeds: FeedSite) -> None:
    feeds.files["/feed.csv"] = FeedFile((FIXTURES / "awin.csv").read_bytes(), failures=[503, 429])
    catalog = sync(store, catalog_text(f"url: {feeds.url}/feed.csv"))
    assert run(store, settings_for(tmp_path, store), catalog, now).status == "applied"
    assert len(feeds.hits("/feed.csv")) == 3


def test_a_feed_past_its_size_limit_is_refused(
    store: Store, tmp_path: Path, now, feeds: FeedSite
) -> None:
    feeds.files["/feed.csv"] = FeedFile((FIXTURES / "awin.csv").read_bytes())
    extra = "    max_bytes: 1000\n"
    catalog = sync(store, catalog_text(f"url: {feeds.url}/feed.csv", extra=extra))
    report = run(store, settings_for(tmp_path, store), catalog, now)
    assert report.status == "failed" and "max_bytes (1,000)" in (report.error or "")


def test_credentials_come_from_the_environment(
    store: Store, tmp_path: Path, now, feeds: FeedSite
) -> None:
    token = "Basic " + base64.b64encode(b"publisher:s3cret").decode()
    feeds.files["/feed/KEY123.csv"] = FeedFile((FIXTURES / "awin.csv").read_bytes(), auth=token)
    extra = "    auth: {user_env: FEED_USER, password_env: FEED_PASSWORD}\n"
    text = catalog_text(f"url: {feeds.url}/feed/${{FEED_KEY}}.csv", extra=extra)
    catalog = sync(store, text)
    settings = settings_for(tmp_path, store)
    missing = run(store, settings, catalog, now, env={})
    assert missing.status == "failed" and "FEED_KEY is not set" in (missing.error or "")
    env = {"FEED_KEY": "KEY123", "FEED_USER": "publisher", "FEED_PASSWORD": "s3cret"}
    wrong = run(store, settings, catalog, now, env={**env, "FEED_PASSWORD": "nope"})
    assert wrong.status == "failed" and "HTTP 401" in (wrong.error or "")
    assert "KEY123" not in (wrong.error or "")  # the address is shown as written
    assert run(store, settings, catalog, now, env=env).status == "applied"


def test_tracker_feeds_run_and_status(
    tmp_path: Path, now, feeds: FeedSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    feeds.files["/awin.csv.gz"] = FeedFile(_gzip("awin.csv"), etag='"a"')
    (tmp_path / "catalog.yaml").write_text(catalog_text(f"url: {feeds.url}/awin.csv.gz"))
    (tmp_path / "tracker.toml").write_text(
        f'database_url = "sqlite:///{tmp_path / "t.db"}"\ncatalog = "catalog.yaml"\n'
        "[crawl]\ndownload_delay = 0\n"
    )
    monkeypatch.setenv("TRACKER_CONFIG", str(tmp_path / "tracker.toml"))
    runner = CliRunner()
    assert runner.invoke(main, ["catalog", "sync"]).exit_code == 0
    result = runner.invoke(main, ["feeds", "run"])
    assert result.exit_code == 0, result.output
    assert "feed shop: applied, 4 rows, 3 matching, 3 of 3 listings priced" in result.output
    again = runner.invoke(main, ["feeds", "run", "shop"])
    assert "feed shop: unchanged" in again.output
    missing = runner.invoke(main, ["feeds", "run", "nope"])
    assert missing.exit_code == 1 and "no feed 'nope'" in missing.output
    status = runner.invoke(main, ["feeds", "status"])
    assert "shop" in status.output and "unchanged" in status.output
    feeds.files["/awin.csv.gz"] = FeedFile(b"\x1f\x8b\x08broken", etag='"b"')
    broken = runner.invoke(main, ["feeds", "run"])
    assert broken.exit_code == 1 and "ends early after 0 rows" in broken.output
