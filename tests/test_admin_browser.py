"""The dashboard in a real browser: headless Chromium logs in, reads, acts, and axe-core checks it.

Screenshots of the overview and of a product page are kept in var/test-artifacts/ (the
project's own ignored folder) as well as the test's temporary folder.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.admin_seeding import PASSWORD, hold_one, operator
from tests.seeding import seed_sample, serving
from tests.test_browser import ARGS, CHROMIUM
from tracker.config import PROJECT_ROOT, load_settings
from tracker.scheduling.jobstore import job_rows, sync_store_jobs
from tracker.store.engine import open_store

if not CHROMIUM.exists():
    pytest.skip(
        "/usr/bin/chromium is absent (apt-get install chromium; .ci/run does it)",
        allow_module_level=True,
    )
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
axe_api = pytest.importorskip("axe_playwright_python.sync_playwright", reason="no axe-core")
pytestmark = pytest.mark.slow
ARTIFACTS = PROJECT_ROOT / "var" / "test-artifacts"
SERIOUS = {"serious", "critical"}
# A reader's browser: headless Chromium's own user agent says "HeadlessChrome", not counted.
READER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0"


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """`tracker serve` as a process on a database with a held price, jobs and an operator."""
    config = tmp_path / "tracker.toml"
    database_url = f"sqlite:///{tmp_path / 'var' / 'tracker.db'}"
    config.write_text(
        f'database_url = "{database_url}"\n'
        f'content_dir = "{PROJECT_ROOT / "examples" / "content"}"\nout_dir = "out"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("TRACKER_CONFIG", str(config))
    settings = load_settings()
    store = open_store(settings.database_url)
    now = datetime.now(UTC)
    try:
        seed_sample(store, now)
        hold_one(store, now)
        sync_store_jobs(store, settings)
        operator(store, now)
    finally:
        store.close()
    with serving({**os.environ, "TRACKER_CONFIG": str(config)}) as url:
        yield url, database_url


def serious(page: object) -> list[str]:
    results = axe_api.Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v.get("impact") in SERIOUS
    ]


def leave_for_the_shop(route: object) -> None:
    response = route.fetch(max_redirects=0)  # type: ignore[attr-defined]
    assert response.status == 302
    body = "to the shop: " + response.headers["location"]
    route.fulfill(status=200, body=body, content_type="text/plain")  # type: ignore[attr-defined]


def keep(path: Path) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(path, ARTIFACTS / path.name)


def test_operator_runs_the_site_from_the_browser(server: tuple[str, str], tmp_path: Path) -> None:
    url, database_url = server
    violations: dict[str, list[str]] = {}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            context = browser.new_context(
                accept_downloads=True, viewport={"width": 1280, "height": 900}, user_agent=READER
            )
            page = context.new_page()
            page.goto(f"{url}/admin/products/cortexin")
            assert "/admin/login" in page.url  # no session: the login form
            violations["login"] = serious(page)
            page.fill("#name", "ops")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url("**/admin/products/cortexin")
            page.goto(f"{url}/admin/")
            assert "Waiting for you" in page.inner_text("main")
            assert "cosmicnootropic" in page.inner_text("table")
            page.screenshot(path=str(tmp_path / "admin-overview.png"), full_page=True)
            violations["overview"] = serious(page)

            # A product, its charts and the box as readers see it: the held price is not shown.
            page.click("text=Cortexin")
            page.wait_for_url("**/admin/products/cortexin")
            assert page.locator("article.chart svg polyline").count() == 3  # 2 crawled packs, 1 fed
            box = page.locator(".box-preview")
            assert "$750.00" not in box.inner_text() and "$45.00" in box.inner_text()
            page.screenshot(path=str(tmp_path / "admin-product.png"), full_page=True)
            violations["product"] = serious(page)

            # Accept the held price; the box now shows it.
            page.click("nav >> text=Held prices")
            assert "750.00 USD" in page.inner_text("main")
            violations["held"] = serious(page)
            page.click("button:has-text('Accept')")
            page.wait_for_url("**/admin/held?done=*")
            assert "accepted and published" in page.inner_text(".flash")
            page.goto(f"{url}/admin/products/cortexin")
            assert "$750.00" in page.locator(".box-preview").inner_text()

            # The listing page: provenance and runs.
            page.click("table >> text=1")
            violations["listing"] = serious(page)

            # Run a vendor now through the job store.
            page.goto(f"{url}/admin/schedule")
            violations["schedule"] = serious(page)
            page.click("button[aria-label='Run cosmicnootropic now']")
            assert "queued a crawl of cosmicnootropic" in page.inner_text(".flash")

            # Clicks: a reader's click, counted, then the CSV export.
            # (The redirect is fetched for the browser and not followed: the shop is not here.)
            reader = context.new_page()
            reader.route("**/go/*", leave_for_the_shop)
            reader.goto(f"{url}/go/1")
            assert "to the shop: https://shop.example/" in reader.inner_text("body")
            reader.close()
            page.goto(f"{url}/admin/clicks")
            assert "1 click " in page.inner_text("main")
            violations["clicks"] = serious(page)
            with page.expect_download() as download:
                page.click("text=Export CSV")
            exported = tmp_path / "clicks.csv"
            download.value.save_as(exported)
            assert exported.read_text(encoding="utf-8").startswith("by,what,detail,listing_id")
        finally:
            browser.close()
    for name in ("admin-overview.png", "admin-product.png"):
        assert (tmp_path / name).stat().st_size > 5000
        keep(tmp_path / name)
    assert {page: found for page, found in violations.items() if found} == {}
    store = open_store(database_url)
    try:
        assert job_rows(store)[0]["cosmicnootropic"].run_now
    finally:
        store.close()
