"""A real browser: headless Chromium shows the rendered article and the live embed.

Uses Debian's /usr/bin/chromium through Python Playwright (no browser download). `.ci/run`
installs the package; without it the test is skipped and says why.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.seeding import seed_sample, serving
from tracker.config import load_settings
from tracker.publishing.render import render_articles
from tracker.store.engine import open_store
from tracker.web.samplesite import StaticSite

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SIZES = {"phone": (390, 844), "desktop": (1280, 900)}

if not CHROMIUM.exists():
    pytest.skip(
        "/usr/bin/chromium is absent (apt-get install chromium; .ci/run does it)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
pytestmark = pytest.mark.slow


@pytest.fixture
def host_page(tmp_path: Path) -> Iterator[StaticSite]:
    """Another origin: a page of 'the site' that embeds the live box."""
    folder = tmp_path / "host"
    folder.mkdir()
    with StaticSite(folder) as site:
        yield site


@pytest.fixture
def server(
    tmp_path: Path, host_page: StaticSite, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[str, Path]]:
    """`tracker serve` as a real process, on data checked two hours ago."""
    config = tmp_path / "tracker.toml"
    config.write_text(
        f'database_url = "sqlite:///{tmp_path / "var" / "tracker.db"}"\n'
        f'content_dir = "{Path(__file__).resolve().parent.parent / "examples" / "content"}"\n'
        'out_dir = "out"\n'
        f'[site]\norigins = ["{host_page.url}"]\njsonld = true\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("TRACKER_CONFIG", str(config))
    settings = load_settings()
    store = open_store(settings.database_url)
    try:
        seed_sample(store, datetime.now(UTC))
        assert render_articles(settings, store).errors == []
    finally:
        store.close()
    with serving({**os.environ, "TRACKER_CONFIG": str(config)}) as url:
        yield url, settings.out_dir


def test_article_and_live_embed_in_chromium(
    server: tuple[str, Path], host_page: StaticSite, tmp_path: Path
) -> None:
    url, out_dir = server
    page_file = tmp_path / "host" / "review.html"
    page_file.write_text(
        "<!DOCTYPE html><html><head><meta charset=utf-8>"
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head><body>'
        '<h1>Review</h1><div data-tracker-box="cortexin"><p>Prices as of the last render</p></div>'
        f'<script src="{url}/embed.js"></script></body></html>',
        encoding="utf-8",
    )
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for name, (width, height) in SIZES.items():
                page = browser.new_page(viewport={"width": width, "height": height})
                # The statically rendered article, from a file: no JavaScript involved.
                page.goto((out_dir / "cortexin-review.html").as_uri())
                box = page.locator('section.tracker-box[data-tracker-product="cortexin"]')
                box.scroll_into_view_if_needed()
                assert box.is_visible()
                text = box.inner_text()
                assert "$75.00" in text and "$45.00" in text and "$0.75 per mg" in text
                assert "Buy at CosmicNootropic" in text
                button = box.locator("a.tracker-offer__button").first
                assert button.get_attribute("rel") == "sponsored noopener"
                assert button.bounding_box()["width"] <= width  # type: ignore[index]
                box.screenshot(path=str(tmp_path / f"article-{name}.png"))

                # The same product, live, embedded in a page of another origin (CORS).
                page.goto(f"{host_page.url}/review.html")
                live = page.locator('[data-tracker-box="cortexin"][data-tracker-state="live"]')
                live.wait_for(state="visible", timeout=15_000)
                live_text = live.inner_text()
                assert "$75.00" in live_text and "h ago" in live_text
                assert "Prices as of the last render" not in live_text
                live.screenshot(path=str(tmp_path / f"embed-{name}.png"))
                page.close()

            page = browser.new_page()
            page.goto(f"{url}/")
            page.locator('[data-tracker-box="noocube"][data-tracker-state="live"]').wait_for()
            assert "$59.99" in page.inner_text("body")
            page.screenshot(path=str(tmp_path / "embed-page.png"), full_page=True)
        finally:
            browser.close()
    for name in SIZES:
        assert (tmp_path / f"article-{name}.png").stat().st_size > 1000
