"""Feeds priced from local files: each network's format, matching, provenance, bad input.

Real files in each format (tests/fixtures/feeds, written after the networks' documented
column names), a real store, and a fixed `now`; the feed's date is its file's modification
time.
"""

from __future__ import annotations

import gzip
import io
import threading
import zipfile
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.feed_helpers import FIXTURES, catalog_text, place, run, settings_for, states, sync, write
from tracker.catalog import CatalogError, parse_catalog
from tracker.domain import CheckStatus, RowState
from tracker.rules import shown
from tracker.store.engine import Store
from tracker.store.models import CrawlRun, ObservationSpan

FORMATS = [
    ("awin-csv", "awin.csv"),
    ("google-merchant-xml", "google.xml"),
    ("google-merchant-tsv", "google.tsv"),
]


@pytest.mark.parametrize(("fmt", "fixture"), FORMATS)
def test_each_format_prices_the_listings(store: Store, tmp_path: Path, now, fmt, fixture) -> None:
    feed_date = now - timedelta(hours=6)
    place(tmp_path, fixture, at=feed_date)
    catalog = sync(store, catalog_text(f"path: {fixture}", fmt))
    report = run(store, settings_for(tmp_path, store), catalog, now)
    assert report.status == "applied", report
    assert report.matched == 3 and report.offers == 3
    found = states(store)
    big = found["10 vials x 10 mg"]
    assert (big.price, big.currency, big.confirmed) == (Decimal("75.00"), "USD", True)
    assert big.last_seen_at == feed_date  # the feed's own date, not the run's
    assert found["10 vials x 5 mg"].price == Decimal("45.00")
    assert found["30 tablets x 10 mg"].availability == "OutOfStock"
    if fmt != "awin-csv":
        assert big.regular_price == Decimal("80.00")  # g:price beside g:sale_price
    assert shown(big, now, timedelta(hours=24)).state is RowState.PRICED
    with store.sessions.begin() as session:
        span = session.scalars(
            select(ObservationSpan).where(ObservationSpan.listing_id == big.listing_id)
        ).one()
        assert span.source == "feed:shop"
        assert span.raw_price in ("75.00", "75.00 USD")
        runs = session.scalars(select(CrawlRun)).all()
        assert [(r.runner, r.status, r.job_id) for r in runs] == [("feed", "ok", "feed:shop")]


@pytest.mark.parametrize(
    ("fmt", "fixture", "listings", "links"),
    [
        (
            "cj-csv",
            "cj.csv",
            """
      - product: cortexin
        label: 10 vials x 10 mg
        url: https://shop.example/p/cortexin
        feed: {id: CTX-10X10}
      - product: cortexin
        label: 10 vials x 5 mg
        url: https://shop.example/p/cortexin
        feed: {gtin: "04600000000028"}
""",
            "anrdoezrs.net",
        ),
        (
            "impact-csv",
            "impact.csv",
            """
      - product: cortexin
        label: 10 vials x 10 mg
        url: https://shop.example/p/cortexin
        feed: {sku: ctx-10x10}
      - product: cortexin
        label: 10 vials x 5 mg
        url: https://shop.example/p/cortexin
        feed: {mpn: CTX-10-5}
""",
            "sjv.io",
        ),
    ],
)
def test_cj_and_impact(store: Store, tmp_path: Path, now, fmt, fixture, listings, links) -> None:
    place(tmp_path, fixture, at=now - timedelta(hours=1))
    catalog = sync(store, catalog_text(f"path: {fixture}", fmt, listings))
    report = run(store, settings_for(tmp_path, store), catalog, now)
    assert report.status == "applied" and report.offers == 2, report
    found = states(store)
    assert found["10 vials x 10 mg"].price == Decimal("75.00")
    assert found["10 vials x 5 mg"].price == Decimal("45.00")


def test_generic_xml_with_a_column_mapping(store: Store, tmp_path: Path, now) -> None:
    place(tmp_path, "generic.xml", at=now)
    source = (
        "path: generic.xml\n    item: product\n    columns: {sku: code, title: name, "
        "price: cost, currency: money, availability: stock, link: page}"
    )
    listings = """
      - product: cortexin
        label: 10 vials x 5 mg
        url: https://shop.example/p/cortexin
        feed: {sku: ctx-10x5}
"""
    catalog = sync(store, catalog_text(source, "xml", listings))
    report = run(store, settings_for(tmp_path, store), catalog, now)
    assert report.status == "applied", report
    state = states(store)["10 vials x 5 mg"]
    assert (state.price, state.availability) == (Decimal("45.00"), "OutOfStock")


def test_deep_link_becomes_the_outbound_link_when_the_listing_says_so(
    store: Store, tmp_path: Path, now
) -> None:
    place(tmp_path, "awin.csv", at=now)
    catalog = sync(store, catalog_text("path: awin.csv"))
    run(store, settings_for(tmp_path, store), catalog, now)
    found = states(store)
    assert found["10 vials x 10 mg"].affiliate_url.startswith(
        "https://www.awin1.com/pclick.php?p=31000001"
    )
    assert found["10 vials x 5 mg"].affiliate_url.startswith("https://www.awin1.com/cread.php")


def test_item_group_and_variant_pick_the_pack(store: Store, tmp_path: Path, now) -> None:
    place(tmp_path, "google.xml", at=now)
    listings = """
      - product: cortexin
        label: 10 vials x 5 mg
        url: https://shop.example/p/cortexin
        feed: {item_group: CTX}
        variant: {text: 10 vials x 5 mg}
      - product: cortexin
        label: any pack
        url: https://shop.example/p/cortexin
        feed: {item_group: CTX}
"""
    catalog = sync(store, catalog_text("path: google.xml", "google-merchant-xml", listings))
    report = run(store, settings_for(tmp_path, store), catalog, now)
    found = states(store)
    assert found["10 vials x 5 mg"].price == Decimal("45.00")
    assert found["any pack"].price is None
    assert found["any pack"].last_status is CheckStatus.AMBIGUOUS
    assert report.failures == 1


def test_an_unchanged_feed_is_not_read_again(store: Store, tmp_path: Path, now) -> None:
    place(tmp_path, "awin.csv", at=now - timedelta(hours=2))
    catalog = sync(store, catalog_text("path: awin.csv"))
    settings = settings_for(tmp_path, store)
    assert run(store, settings, catalog, now).status == "applied"
    again = run(store, settings, catalog, now + timedelta(hours=1))
    assert again.status == "unchanged" and again.rows == 0
    with store.sessions.begin() as session:
        assert len(session.scalars(select(CrawlRun)).all()) == 1


def test_stale_feed_date_is_not_shown_as_current(store: Store, tmp_path: Path, now) -> None:
    place(tmp_path, "awin.csv", at=now - timedelta(hours=30))
    catalog = sync(store, catalog_text("path: awin.csv"))
    run(store, settings_for(tmp_path, store), catalog, now)
    state = states(store)["10 vials x 10 mg"]
    assert state.price == Decimal("75.00")
    assert shown(state, now, timedelta(hours=24)).why == "stale"


def _awin_rows() -> list[str]:
    return (FIXTURES / "awin.csv").read_text(encoding="utf-8").splitlines()


def test_a_bad_price_row_is_reported_and_the_last_good_price_kept(
    store: Store, tmp_path: Path, now
) -> None:
    path = place(tmp_path, "awin.csv", at=now - timedelta(hours=2))
    catalog = sync(store, catalog_text("path: awin.csv"))
    settings = settings_for(tmp_path, store)
    run(store, settings, catalog, now - timedelta(hours=1))
    lines = _awin_rows()
    lines[1] = lines[1].replace(",75.00,Example", ",call us,Example")
    write(path, ("\n".join(lines) + "\n").encode(), now)
    report = run(store, settings, catalog, now)
    assert report.status == "applied"
    assert any("bad price 'call us'" in p for p in report.problems), report.problems
    state = states(store)["10 vials x 10 mg"]
    assert state.price == Decimal("75.00") and state.last_status is CheckStatus.NO_PRICE
    assert "bad price" in (state.last_error or "")


def test_a_row_in_another_encoding_is_skipped_with_why(store: Store, tmp_path: Path, now) -> None:
    lines = [line.encode() for line in _awin_rows()]
    lines[3] = lines[3].replace(b"Coated tablets", b"Comprim\xe9s")  # Latin-1 in a UTF-8 feed
    write(tmp_path / "awin.csv", b"\n".join(lines) + b"\n", now)
    catalog = sync(store, catalog_text("path: awin.csv"))
    report = run(store, settings_for(tmp_path, store), catalog, now)
    assert report.status == "applied"
    assert "1 row skipped: not valid utf-8" in report.problems[0], report.problems
    found = states(store)
    assert found["10 vials x 10 mg"].price == Decimal("75.00")
    assert found["30 tablets x 10 mg"].last_status is CheckStatus.NOT_FOUND


def _good_then(store: Store, tmp_path: Path, now, data: bytes, name: str = "awin.csv"):
    """Apply the good Awin feed, then replace it with ``data`` and run again."""
    place(tmp_path, "awin.csv", at=now - timedelta(hours=2))
    catalog = sync(store, catalog_text(f"path: {name}"))
    settings = settings_for(tmp_path, store)
    if name != "awin.csv":
        write(tmp_path / name, (FIXTURES / "awin.csv").read_bytes(), now - timedelta(hours=2))
    assert run(store, settings, catalog, now - timedelta(hours=1)).status == "applied"
    write(tmp_path / name, data, now)
    return run(store, settings, catalog, now)


def _kept(store: Store) -> None:
    state = states(store)["10 vials x 10 mg"]
    assert state.price == Decimal("75.00") and state.last_status is CheckStatus.OK


def test_a_truncated_gzip_changes_nothing(store: Store, tmp_path: Path, now) -> None:
    whole = gzip.compress((FIXTURES / "awin.csv").read_bytes() * 3)
    report = _good_then(store, tmp_path, now, whole[: len(whole) // 2], "awin.csv.gz")
    assert report.status == "failed"
    assert "ends early" in (report.error or "") or "damaged" in (report.error or "")
    _kept(store)
    with store.sessions.begin() as session:
        last = session.scalars(select(CrawlRun).order_by(CrawlRun.id.desc())).first()
        assert last is not None and last.status == "failed" and "feed shop" in (last.error or "")


def test_a_missing_column_is_named(store: Store, tmp_path: Path, now) -> None:
    data = (FIXTURES / "awin.csv").read_text(encoding="utf-8").replace("search_price", "price_x")
    report = _good_then(store, tmp_path, now, data.encode())
    assert report.status == "failed"
    assert "missing column (price: search_price)" in (report.error or ""), report.error
    _kept(store)


def test_an_xml_bomb_is_refused(store: Store, tmp_path: Path, now) -> None:
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE rss [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
]>
<rss xmlns:g="http://base.google.com/ns/1.0"><channel><item><g:id>CTX-10X10</g:id>
<g:title>&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;</g:title><g:price>1.00 USD</g:price>
<g:gtin>4600000000011</g:gtin></item></channel></rss>"""
    write(tmp_path / "google.xml", bomb, now)
    catalog = sync(store, catalog_text("path: google.xml", "google-merchant-xml"))
    report = run(store, settings_for(tmp_path, store), catalog, now)
    assert report.status == "failed"
    assert "declares entities" in (report.error or "")
    assert states(store)["10 vials x 10 mg"].price is None


def test_broken_xml_changes_nothing(store: Store, tmp_path: Path, now) -> None:
    text = (FIXTURES / "google.xml").read_bytes()
    place(tmp_path, "google.xml", at=now - timedelta(hours=2))
    catalog = sync(store, catalog_text("path: google.xml", "google-merchant-xml"))
    settings = settings_for(tmp_path, store)
    run(store, settings, catalog, now - timedelta(hours=1))
    write(tmp_path / "google.xml", text[: len(text) * 2 // 3], now)
    report = run(store, settings, catalog, now)
    assert report.status == "failed" and "not well-formed XML" in (report.error or "")
    _kept(store)


def test_a_feed_that_drops_most_rows_is_held(store: Store, tmp_path: Path, now) -> None:
    lines = _awin_rows()
    filler = [
        lines[4].replace("31000004", f"4{n:07d}").replace("4600000000042", f"99{n:011d}")
        for n in range(40)
    ]
    big = "\n".join([*lines, *filler]) + "\n"
    path = write(tmp_path / "awin.csv", big.encode(), now - timedelta(hours=2))
    catalog = sync(store, catalog_text("path: awin.csv"))
    settings = settings_for(tmp_path, store)
    assert run(store, settings, catalog, now - timedelta(hours=1)).rows == 44
    cut = "\n".join(lines[:2]).replace(",75.00,Example", ",7.50,Example") + "\n"
    write(path, cut.encode(), now)
    held = run(store, settings, catalog, now)
    assert held.status == "held" and "1 rows" in (held.error or ""), held.error
    _kept(store)
    accepted = run(store, settings, catalog, now, accept_drop=True)
    assert accepted.status == "applied"
    state = states(store)["10 vials x 10 mg"]
    assert state.price == Decimal("7.50") and not state.confirmed  # the publish gate holds it


def test_currency_mismatch_is_no_price(store: Store, tmp_path: Path, now) -> None:
    data = (FIXTURES / "awin.csv").read_text(encoding="utf-8").replace(",USD,75.00", ",EUR,75.00")
    write(tmp_path / "awin.csv", data.encode(), now)
    catalog = sync(store, catalog_text("path: awin.csv"))
    run(store, settings_for(tmp_path, store), catalog, now)
    state = states(store)["10 vials x 10 mg"]
    assert state.price is None and "states EUR" in (state.last_error or "")


def test_zip_and_gzip_files_are_read(store: Store, tmp_path: Path, now) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("datafeed_7001.csv", (FIXTURES / "awin.csv").read_bytes())
    write(tmp_path / "feed.zip", buffer.getvalue(), now)
    catalog = sync(store, catalog_text("path: feed.zip"))
    assert run(store, settings_for(tmp_path, store), catalog, now).offers == 3


@pytest.mark.parametrize(
    ("feeds", "error"),
    [
        (
            "  - {name: a, format: awin-csv, path: a.csv, vendors: [nobody]}",
            "unknown vendor 'nobody'",
        ),
        (
            "  - {name: a, format: csv, path: a.csv, vendors: [peptide-shop]}",
            "needs columns for: price",
        ),
        (
            "  - {name: a, format: awin-csv, vendors: [peptide-shop]}",
            "give exactly one of url, path",
        ),
        (
            "  - {name: a, format: awin-csv, url: 'ftp://x/feed', vendors: [peptide-shop]}",
            "not an http(s) URL",
        ),
        (
            "  - {name: a, format: awin-csv, path: a, vendors: [peptide-shop], "
            "columns: {prize: x}}",
            "unknown field 'prize'",
        ),
    ],
)
def test_feed_entries_are_checked(feeds: str, error: str) -> None:
    text = catalog_text("path: x.csv").split("feeds:")[0] + "feeds:\n" + feeds + "\n"
    with pytest.raises(CatalogError, match=error.replace("(", r"\(").replace(")", r"\)")):
        parse_catalog(text, "catalog.yaml", {})


def test_a_listing_feed_key_needs_a_feed() -> None:
    text = catalog_text("path: x.csv").split("feeds:")[0]
    with pytest.raises(CatalogError, match="no feed in `feeds:` prices vendor 'peptide-shop'"):
        parse_catalog(text, "catalog.yaml", {})


def test_feed_listings_are_not_crawled(store: Store) -> None:
    from tracker.store.repo import crawl_targets, vendors_to_crawl

    sync(store, catalog_text("path: x.csv"))
    with store.sessions.begin() as session:
        assert list(crawl_targets(session)) == [] and vendors_to_crawl(session) == []


class _NoCrawl:
    """The runner behind the feeds: a vendor priced by its feed alone is never crawled."""

    name = "local"

    def crawl(self, vendor: str, *, trigger: str, stop: threading.Event) -> None:
        raise AssertionError(f"vendor {vendor} crawled")


def test_the_scheduler_runs_a_fed_vendors_feed_on_the_feeds_schedule(
    store: Store, tmp_path: Path, now
) -> None:
    from tracker.services import FeedRunner
    from tracker.store.repo import vendor_by_slug

    place(tmp_path, "awin.csv", at=now)
    text = catalog_text("path: awin.csv", extra="    schedule: {every: 2h}\n")
    (tmp_path / "catalog.yaml").write_text(text, encoding="utf-8")
    sync(store, text)
    with store.sessions.begin() as session:
        vendor = vendor_by_slug(session, "peptide-shop")
        assert vendor is not None and vendor.profile.schedule is not None
        assert vendor.profile.schedule.every == "2h"
    runner = FeedRunner(settings_for(tmp_path, store), store, _NoCrawl())
    snapshot = runner.crawl("peptide-shop", trigger="schedule", stop=threading.Event())
    assert snapshot is not None and snapshot.status == "ok" and snapshot.offers == 3


def test_a_rows_own_date_is_its_age_when_older_than_the_feed(
    store: Store, tmp_path: Path, now
) -> None:
    rows = _awin_rows()
    rows[1] = rows[1].replace("2026-12-01 06:00:00", "2026-11-24 08:30:00")  # older: its age
    rows[2] = rows[2].replace("2026-12-01 06:00:00", "not a date")  # unreadable: the feed's
    write(tmp_path / "awin.csv", ("\n".join(rows) + "\n").encode(), now - timedelta(hours=1))
    catalog = sync(store, catalog_text("path: awin.csv"))
    run(store, settings_for(tmp_path, store), catalog, now)
    found = states(store)
    old = found["10 vials x 10 mg"]
    assert old.last_seen_at == datetime(2026, 11, 24, 8, 30, tzinfo=UTC)
    assert shown(old, now, timedelta(hours=24)).why == "stale"  # older than the max age
    assert found["10 vials x 5 mg"].last_seen_at == now - timedelta(hours=1)
    # rows dated after the feed (this fixture's 2026-12-01) take the feed's date
    assert found["30 tablets x 10 mg"].last_seen_at == now - timedelta(hours=1)
