"""Real crawls: Scrapy in a child process, over HTTP, against the loopback sample site."""

from __future__ import annotations

import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from tracker import services
from tracker.articles import find_blocks
from tracker.cli import main
from tracker.config import PROJECT_ROOT, Settings
from tracker.publishing.render import render_articles
from tracker.store.engine import open_store
from tracker.store.models import CrawlRun, Listing, ObservationSpan, Vendor

pytestmark = pytest.mark.slow  # real crawls over loopback


def sync_and_crawl(settings: Settings, vendor: str | None = None):
    store = open_store(settings.database_url)
    try:
        services.sync_catalog_file(store, settings.catalog)
        return services.crawl(settings, store, vendor)
    finally:
        store.close()


def outside_markers(text: str) -> list[str]:
    blocks = find_blocks(text, "x")
    pieces, cursor = [], 0
    for block in blocks:
        pieces.append(text[cursor : block.start])
        cursor = block.end
    pieces.append(text[cursor:])
    return pieces


def box_of(text: str, product: str) -> str:
    block = next(b for b in find_blocks(text, "x") if b.products == (product,))
    return text[block.start : block.end]


def spans_by_listing(settings: Settings) -> dict[str, list[ObservationSpan]]:
    store = open_store(settings.database_url)
    try:
        with store.sessions.begin() as session:
            rows = session.execute(
                select(Vendor.slug + ":" + Listing.key, ObservationSpan)
                .select_from(Listing)
                .join(ObservationSpan, ObservationSpan.listing_id == Listing.id)
                .join(Vendor, Vendor.id == Listing.vendor_id)
                .order_by(ObservationSpan.id)
            ).all()
    finally:
        store.close()
    out: dict[str, list[ObservationSpan]] = {}
    for key, span in rows:
        out.setdefault(key, []).append(span)
    return out


def listing(settings: Settings, key: str) -> Listing:
    store = open_store(settings.database_url)
    try:
        with store.sessions.begin() as session:
            return session.scalars(select(Listing).where(Listing.key == key)).one()
    finally:
        store.close()


def test_sync_crawl_render(project: Settings) -> None:
    run = sync_and_crawl(project)
    assert run.status == "ok", run.error
    assert (run.expected, run.checks, run.offers, run.failures, run.pages) == (8, 8, 8, 0, 6)

    store = open_store(project.database_url)
    try:
        report = render_articles(project, store)
    finally:
        store.close()
    assert report.errors == []
    written = {r.target.name for r in report.results}
    assert written == {"cortexin-review.html", "nootropics-compared.md"}  # about.md has no marker

    source = (project.content_dir / "cortexin-review.html").read_text(encoding="utf-8")
    rendered = (project.out_dir / "cortexin-review.html").read_text(encoding="utf-8")
    assert outside_markers(rendered) == outside_markers(source)
    box = box_of(rendered, "cortexin")
    assert "$75.00" in box and "$45.00" in box
    assert "$0.75 per mg" in box and "$0.90 per mg" in box
    assert 'rel="sponsored noopener"' in box and "?ref=tracker-demo" in box
    assert "<time datetime=" in box and "commission" in box
    assert "$79.00" not in rendered  # the related-products decoy is never read


def test_second_crawl_extends_spans_and_a_change_opens_one(
    project: Settings, site_dir: Path
) -> None:
    assert sync_and_crawl(project).status == "ok"
    first = spans_by_listing(project)
    assert sync_and_crawl(project).status == "ok"
    second = spans_by_listing(project)
    assert {k: len(v) for k, v in second.items()} == {k: 1 for k in first}
    key = "cosmicnootropic:cortexin/10-vials-x-10-mg"
    assert second[key][0].last_seen_at > first[key][0].last_seen_at
    assert second[key][0].first_seen_at == first[key][0].first_seen_at

    page = site_dir / "cosmicnootropic" / "cortexin.html"
    page.write_text(page.read_text().replace('"75.00"', '"79.00"'))
    assert sync_and_crawl(project, "cosmicnootropic").status == "ok"
    third = spans_by_listing(project)
    assert [s.price for s in third[key]] == [75, 79]
    assert len(third["cosmicnootropic:cortexin/10-vials-x-5-mg"]) == 1


def test_missing_page_and_missing_price_keep_the_last_price(
    project: Settings, site_dir: Path
) -> None:
    assert sync_and_crawl(project).status == "ok"
    (site_dir / "harbor-health" / "noocube.html").unlink()
    page = site_dir / "peptide-corner" / "nicergoline.html"
    text = page.read_text().replace("application/ld+json", "text/plain")
    page.write_text(text.replace("Price: €18.90", "Price: see the cart"))  # nor visible
    run = sync_and_crawl(project)
    assert run.status == "partial" and run.failures == 2

    gone = listing(project, "noocube/60-capsules")
    assert gone.last_status == "not_found" and "404" in (gone.last_error or "")
    assert gone.consecutive_failures == 1
    unpriced = listing(project, "nicergoline/30-tablets-x-10-mg")
    assert unpriced.last_status == "no_price"
    spans = spans_by_listing(project)
    assert [s.price for s in spans["harbor-health:noocube/60-capsules"]] == [Decimal("59.99")]
    assert len(spans["peptide-corner:nicergoline/30-tablets-x-10-mg"]) == 1


def test_commands_end_to_end(project: Settings) -> None:
    runner = CliRunner()
    result = runner.invoke(main, ["catalog", "sync"])
    assert result.exit_code == 0, result.output
    assert "8 listings unchanged" not in result.output and "added" in result.output
    result = runner.invoke(main, ["crawl", "--vendor", "cosmicnootropic"])
    assert result.exit_code == 0, result.output
    assert "ok" in result.output and "4/4" in result.output

    result = runner.invoke(main, ["prices", "cortexin"])
    assert result.exit_code == 0, result.output
    assert "75.00 USD" in result.output and "45.00 USD" in result.output

    result = runner.invoke(main, ["render"])
    assert result.exit_code == 0, result.output
    target = project.out_dir / "cortexin-review.html"
    first = target.read_bytes()
    result = runner.invoke(main, ["render"])
    assert "unchanged" in result.output and "written" not in result.output
    assert target.read_bytes() == first

    result = runner.invoke(main, ["crawl", "--vendor", "nobody"])
    assert result.exit_code == 1 and "unknown vendor 'nobody'" in result.output


def test_bad_article_is_reported_and_left_alone(project: Settings) -> None:
    assert sync_and_crawl(project, "harbor-health").status == "ok"
    bad = project.content_dir / "broken.md"
    bad.write_text(
        '# x\n\n<!-- tracker:buy-box product="unheard-of" -->\n<!-- /tracker:buy-box -->\n'
    )
    unclosed = project.content_dir / "unclosed.html"
    unclosed.write_text('<p>\n<!-- tracker:buy-box product="noocube" -->\n</p>\n')
    before = unclosed.read_bytes(), bad.read_bytes()
    result = CliRunner().invoke(main, ["render", "--in-place"])
    assert result.exit_code == 1
    assert "broken.md:3: unknown product 'unheard-of'" in result.output
    assert "unclosed.html:2: the buy-box marker is never closed" in result.output
    assert (unclosed.read_bytes(), bad.read_bytes()) == before
    assert "59.99" in (project.content_dir / "nootropics-compared.md").read_text()


def test_scrapy_crawl_from_the_project_root(project: Settings) -> None:
    store = open_store(project.database_url)
    try:
        services.sync_catalog_file(store, project.catalog)
    finally:
        store.close()
    env = {**os.environ, "TRACKER_CONFIG": str(project.config_path)}
    env.pop("SCRAPY_SETTINGS_MODULE", None)
    completed = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "listings",
            "-a",
            "vendor=peptide-corner",
            "-s",
            "LOG_LEVEL=WARNING",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert completed.returncode == 0, completed.stderr
    store = open_store(project.database_url)
    try:
        with store.sessions.begin() as session:
            run = session.scalars(select(CrawlRun)).one()
            assert (run.runner, run.status, run.checks, run.offers) == ("scrapy", "ok", 2, 2)
    finally:
        store.close()
