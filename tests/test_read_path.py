"""The fast read path: the data version, the server's cache without a query per request, the
render that skips articles whose data did not change, and the re-render once per crawl cycle."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import event
from starlette.testclient import TestClient

from tests.conftest import NOW
from tests.seeding import PRICES, SHOP, check_all, listing_id, seed_sample, sync_sample
from tracker.catalog import load_catalog
from tracker.config import PROJECT_ROOT, ServeSettings, Settings
from tracker.domain import Availability, Check, CheckStatus, Offer, RunStatus
from tracker.publishing.render import render_articles
from tracker.rules import GatePolicy
from tracker.scheduling.runners import RunSnapshot
from tracker.services import RenderAfterCrawls
from tracker.store import versions
from tracker.store.engine import Store
from tracker.store.repo import listing_states, record_checks, sync_catalog
from tracker.store.review import reject
from tracker.web.server import create_app


@contextmanager
def statements(store: Store) -> Iterator[list[str]]:
    """Every query or write the store's engine runs inside the block (not BEGIN or COMMIT)."""
    seen: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if statement.split()[0].upper() in {"SELECT", "INSERT", "UPDATE", "DELETE", "WITH"}:
            seen.append(statement)

    event.listen(store.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(store.engine, "before_cursor_execute", count)


def product_versions(store: Store) -> dict[str, int]:
    with store.readers.begin() as session:
        slugs = {s.product_slug for s in listing_states(session)}
        return versions.of_products(session, slugs)


def check_vendor(store: Store, vendor: str, at: datetime, price: str | None = None) -> None:
    """One successful check of the vendor's listings (the sample's prices unless ``price``)."""
    with store.sessions.begin() as session:
        checks = [
            Check(
                s.listing_id,
                CheckStatus.OK,
                at,
                Offer(
                    Decimal(price or PRICES[(vendor, s.label)][0]),
                    PRICES[(vendor, s.label)][1],
                    Availability.IN_STOCK,
                ),
            )
            for s in listing_states(session)
            if s.vendor_slug == vendor
        ]
        record_checks(session, checks, GatePolicy())


# --- the data version ------------------------------------------------------------------------


def test_sync_bumps_the_version_and_an_unchanged_sync_changes_nothing(store: Store) -> None:
    with store.readers.begin() as session:
        assert versions.current(session) == 1  # the migration's row
    sync_sample(store)
    with store.readers.begin() as session:
        after_sync = versions.current(session)
    assert after_sync == 2 and set(product_versions(store).values()) == {2}

    catalog = load_catalog(PROJECT_ROOT / "examples" / "catalog.yaml", {"SAMPLE_SITE": SHOP})
    with store.sessions.begin() as session:  # the same file again: idempotent
        report = sync_catalog(session, catalog)
    assert (report.added, report.updated, report.deactivated) == ([], [], [])
    assert report.unchanged == len(PRICES)
    with store.readers.begin() as session:
        assert versions.current(session) == after_sync
    assert set(product_versions(store).values()) == {2}


def test_readings_bump_only_the_products_they_touch(store: Store) -> None:
    sync_sample(store)
    before = product_versions(store)
    check_vendor(store, "peptide-corner", NOW)
    after = product_versions(store)
    changed = {slug for slug in after if after[slug] != before[slug]}
    with store.readers.begin() as session:
        touched = {
            s.product_slug for s in listing_states(session) if s.vendor_slug == "peptide-corner"
        }
        assert versions.current(session) == max(after.values())
    assert changed == touched and changed


def test_the_operators_review_bumps_the_product(store: Store) -> None:
    seed_sample(store, NOW)
    lid = listing_id(store, "cosmicnootropic", "10 vials x 10 mg")
    with store.sessions.begin() as session:  # a jump the gate holds
        record_checks(
            session,
            [Check(lid, CheckStatus.OK, NOW, Offer(Decimal("7.50"), "USD", Availability.IN_STOCK))],
            GatePolicy(),
        )
    before = product_versions(store)["cortexin"]
    with store.sessions.begin() as session:
        reject(session, lid, NOW)
    assert product_versions(store)["cortexin"] > before


# --- the live server's cache -----------------------------------------------------------------


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def served(store: Store) -> Iterator[tuple[TestClient, Ticks]]:
    seed_sample(store, NOW)
    ticks = Ticks()
    settings = Settings(serve=ServeSettings(cache_entries=16))
    app = create_app(settings, store=store, clock=lambda: NOW + timedelta(seconds=5), ticks=ticks)
    with TestClient(app, base_url="http://localhost") as client:
        yield client, ticks


def test_a_cached_box_runs_no_query(store: Store, served: tuple[TestClient, Ticks]) -> None:
    client, ticks = served
    first = client.get("/boxes/cortexin.html")
    assert first.status_code == 200 and "$75.00" in first.text
    with statements(store) as seen:
        for _ in range(20):
            assert client.get("/boxes/cortexin.html").text == first.text
            assert client.get("/api/products/cortexin/offers").status_code == 200
        ticks.now += 0.5  # within the second: the version is not read again
        client.get("/boxes/cortexin.html")
    # The offers JSON was built once (its own queries); the HTML box ran none at all.
    json_once = len(seen)
    with statements(store) as seen:
        ticks.now += 1  # a second later: one read of the data version, then the cache
        assert client.get("/boxes/cortexin.html").text == first.text
    assert len(seen) == 1 and "data_versions" in seen[0]
    assert json_once == 1  # the product's one query (its sparklines are known)


def test_new_readings_show_within_the_second(
    store: Store, served: tuple[TestClient, Ticks]
) -> None:
    client, ticks = served
    assert "$75.00" in client.get("/boxes/cortexin.html").text
    changed = dict(PRICES)
    changed[("cosmicnootropic", "10 vials x 10 mg")] = ("70.00", "USD")
    check_all(store, NOW, changed)
    assert "$75.00" in client.get("/boxes/cortexin.html").text  # the same second: cached
    ticks.now += 1
    fresh = client.get("/boxes/cortexin.html").text
    assert "$70.00" in fresh and "$75.00" not in fresh.replace("<s>$75.00</s>", "")  # was $75


def test_the_cache_holds_more_boxes_than_the_old_256(store: Store) -> None:
    assert Settings().serve.cache_entries > 256
    with pytest.raises(ValueError):
        ServeSettings(cache_entries=0)


# --- render skips what did not change ---------------------------------------------------------


@pytest.fixture
def site(tmp_path: Path, store: Store) -> Settings:
    shutil.copytree(PROJECT_ROOT / "examples" / "content", tmp_path / "content")
    seed_sample(store, NOW)
    return Settings(
        root=tmp_path,
        database_url=str(store.engine.url),
        content_dir=tmp_path / "content",
        out_dir=tmp_path / "out",
        var_dir=tmp_path / "var",
    ).resolved()


def rendered(settings: Settings, store: Store, now: datetime, **options: bool) -> dict[str, str]:
    report = render_articles(settings, store, now=now, **options)
    assert report.errors == []
    return {
        r.source.name: "skipped" if r.skipped else "written" if r.changed else "unchanged"
        for r in report.results
    }


def test_an_unchanged_render_skips_every_article(site: Settings, store: Store) -> None:
    later = NOW + timedelta(minutes=5)
    names = {"cortexin-review.html": "written", "nootropics-compared.md": "written"}
    assert rendered(site, store, later) == names
    targets = sorted(site.out_dir.iterdir())
    stamps = [p.stat().st_mtime_ns for p in targets]
    with statements(store) as seen:
        assert set(rendered(site, store, later).values()) == {"skipped"}
    assert len(seen) == 1  # the data versions of all their products, in one query
    assert [p.stat().st_mtime_ns for p in targets] == stamps
    assert set(rendered(site, store, later, force=True).values()) == {"unchanged"}


def test_only_the_articles_whose_data_changed_are_rendered(site: Settings, store: Store) -> None:
    later = NOW + timedelta(minutes=5)
    rendered(site, store, later)
    check_vendor(store, "peptide-corner", later, price="20.00")  # nootropics-compared only
    assert rendered(site, store, later) == {
        "cortexin-review.html": "skipped",
        "nootropics-compared.md": "written",
    }
    # A reading of the same values still moves the check time the box shows.
    check_vendor(store, "cosmicnootropic", later + timedelta(minutes=1))
    assert rendered(site, store, later + timedelta(minutes=1))["cortexin-review.html"] == "written"


def test_the_clock_files_and_settings_end_a_skip(site: Settings, store: Store) -> None:
    rendered(site, store, NOW)
    # The prices were checked 2 h before NOW; past the 24 h max age they turn stale.
    stale = NOW + timedelta(hours=23)
    assert set(rendered(site, store, stale).values()) == {"written"}
    assert set(rendered(site, store, stale).values()) == {"skipped"}
    source = site.content_dir / "cortexin-review.html"
    source.write_text(source.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert rendered(site, store, stale)["cortexin-review.html"] == "written"
    (site.out_dir / "nootropics-compared.md").unlink()
    assert rendered(site, store, stale)["nootropics-compared.md"] == "written"
    other = site.model_copy(
        update={"site": site.site.model_copy(update={"disclosure": "Links pay us."})}
    )
    assert set(rendered(other, store, stale).values()) == {"written"}


def test_a_damaged_state_file_renders_everything(site: Settings, store: Store) -> None:
    rendered(site, store, NOW)
    (site.var_dir / "render-state.json").write_text("{not json", encoding="utf-8")
    assert set(rendered(site, store, NOW).values()) == {"unchanged"}
    assert set(rendered(site, store, NOW).values()) == {"skipped"}


# --- the re-render after crawls ---------------------------------------------------------------


def snapshot(offers: int) -> RunSnapshot:
    return RunSnapshot(
        run_id=1,
        status=RunStatus.OK,
        expected=offers,
        checks=offers,
        offers=offers,
        failures=0,
        pages=offers,
        started_at=NOW,
        finished_at=NOW,
        error=None,
    )


def test_vendors_finishing_together_make_one_render(site: Settings, store: Store) -> None:
    running = {"cosmicnootropic", "peptide-corner"}
    after = RenderAfterCrawls(site, store, lambda: set(running))
    check_vendor(store, "cosmicnootropic", NOW)
    after("cosmicnootropic", snapshot(4))
    assert after.renders == 0  # peptide-corner's crawl still runs: its cycle is not over
    check_vendor(store, "peptide-corner", NOW)
    after("peptide-corner", snapshot(2))  # both still listed as running: neither waits
    assert after.renders == 1
    running.clear()
    after("harbor-health", snapshot(0))  # no prices and nothing due: no render
    assert after.renders == 1
    state = site.var_dir / "render-state.json"
    assert state.is_file() and "nootropics-compared.md" in state.read_text(encoding="utf-8")


def test_a_fragment_stays_cached_until_its_relative_times_move(store: Store) -> None:
    seed_sample(store, NOW)  # checked 2 h before NOW
    clock = {"now": NOW + timedelta(seconds=5)}
    ticks = Ticks()
    app = create_app(Settings(), store=store, clock=lambda: clock["now"], ticks=ticks)
    with TestClient(app, base_url="http://localhost") as client:
        first = client.get("/boxes/cortexin.html").text
        assert ">2 h ago</time>" in first
        clock["now"] = NOW + timedelta(minutes=30)  # still "2 h ago": no rebuild
        with statements(store) as seen:
            assert client.get("/boxes/cortexin.html").text == first
        assert seen == []
        clock["now"] = NOW + timedelta(hours=1, minutes=1)  # now "3 h ago"
        later = client.get("/boxes/cortexin.html").text
        assert ">3 h ago</time>" in later and later != first
