"""`tracker export`: JSON data files for Hugo, Jekyll and Eleventy, and the shipped templates."""

from __future__ import annotations

import difflib
import json
import re
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tests.conftest import NOW
from tests.seeding import seed_sample
from tracker.cli import main
from tracker.config import PROJECT_ROOT, Settings, load_settings
from tracker.domain import Availability, OfferRow, RowState
from tracker.publishing.buybox import BoxRenderer
from tracker.publishing.export import ExportError, export_products, offer_data
from tracker.publishing.render import render_articles
from tracker.store.engine import Store, open_store

OPEN = '<!-- tracker:buy-box product="cortexin" -->'
CLOSE = "<!-- /tracker:buy-box -->"
HUGO = shutil.which("hugo")
INCLUDE = PROJECT_ROOT / "examples" / "jekyll" / "_includes" / "tracker-offers.html"
SHORTCODE = PROJECT_ROOT / "examples" / "hugo" / "layouts" / "shortcodes" / "tracker-offers.html"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """The sample catalog on SQLite, checked 2 hours before NOW."""
    (tmp_path / "content").mkdir()
    config = tmp_path / "tracker.toml"
    config.write_text(
        f'database_url = "sqlite:///{tmp_path / "var" / "tracker.db"}"\n'
        'content_dir = "content"\nout_dir = "out"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("TRACKER_CONFIG", str(config))
    settings = load_settings()
    store = open_store(settings.database_url)
    try:
        seed_sample(store, NOW)
    finally:
        store.close()
    return settings


@pytest.fixture
def store(site: Settings) -> Any:
    opened = open_store(site.database_url)
    yield opened
    opened.close()


def offers(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [offer for group in data["groups"] for offer in group["offers"]]


def export_at(site: Settings, store: Store, out: Path, *slugs: str, hours: float = 0) -> Any:
    return export_products(site, store, out, list(slugs) or None, now=NOW + timedelta(hours=hours))


def test_one_file_per_product_with_the_box_as_it_would_show(
    site: Settings, store: Store, tmp_path: Path
) -> None:
    out = tmp_path / "data" / "tracker"
    results = export_at(site, store, out)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(f"{r.slug}.json" for r in results) and "cortexin.json" in names
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary left
    data = json.loads((out / "cortexin.json").read_text(encoding="utf-8"))
    assert data["product"] == "cortexin" and data["name"] == "Cortexin"
    assert data["exported_at"] == "2026-11-26T12:00:00Z"
    priced = [o for o in offers(data) if o["state"] == "priced"]
    assert priced, data
    for offer in priced:
        assert re.fullmatch(r"\d+\.\d{2}", offer["price"]) and offer["currency"]
        assert offer["checked_at"] == "2026-11-26T10:00:00Z"
        assert offer["checked_title"].endswith("UTC") and offer["age"] == "2 h ago"
        assert offer["age_seconds"] == 7200 and offer["link"].startswith("http")
        assert offer["availability"] == "InStock" and offer["availability_text"] == "In stock"
    # The view model's decisions, not new ones: the same order and best value as the box.
    box = _rendered_box(site, store, tmp_path)
    for offer in priced:
        assert offer["price_text"] in box
        for unit in offer["unit_prices"]:
            assert unit["text"] in box
    best = [o for o in priced if o["best_value"]]
    assert len(best) == box.count("tracker-offer__best")
    order = [o["vendor"] for o in offers(data)]
    shown = re.findall(r'class="tracker-offer__vendor">([^<]*)<', box)
    assert order == shown
    assert data["note"]["time"] == "2026-11-26T10:00:00Z" and data["note"]["time_text"] in box
    assert data["disclosure"] == site.site.disclosure


def test_stale_offers_are_links_only_and_unchanged_files_stay(
    site: Settings, store: Store, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    first = export_at(site, store, out, "cortexin")
    assert [r.changed for r in first] == [True]
    again = export_at(site, store, out, "cortexin")
    assert [r.changed for r in again] == [False]  # same data, same bytes: not rewritten
    later = export_at(site, store, out, "cortexin", hours=site.site.max_age_hours + 1)
    assert [r.changed for r in later] == [True]
    data = json.loads((out / "cortexin.json").read_text(encoding="utf-8"))
    assert offers(data) and all(o["state"] == "check" for o in offers(data))
    for offer in offers(data):
        assert "price" not in offer and "price_text" not in offer and "checked_at" not in offer
        assert offer["link"].startswith("http")
    assert data["note"] is None


def test_an_unknown_product_is_an_error_naming_it_and_nothing_is_written(
    site: Settings, store: Store, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    with pytest.raises(ExportError, match="unknown product 'nosuch'"):
        export_at(site, store, out, "cortexin", "nosuch")
    assert not out.exists()
    with pytest.raises(ExportError, match="not a product slug"):
        export_at(site, store, out, "../etc")
    result = CliRunner().invoke(main, ["export", "--out", str(out), "nosuch"])
    assert result.exit_code == 1 and "unknown product 'nosuch'" in result.output
    result = CliRunner().invoke(main, ["export", "--out", str(out), "cortexin"])
    assert result.exit_code == 0, result.output
    assert "cortexin.json (written)" in result.output.replace("\n", "")


def test_a_link_that_is_not_http_is_refused() -> None:
    renderer = BoxRenderer(load_settings().site)

    def row(link: str) -> OfferRow:
        return OfferRow(1, "Shop", "1 vial", link, None, None, Availability.UNKNOWN, None)

    with pytest.raises(ExportError, match=r"Shop \(1 vial\): link 'javascript:alert\(1\)'"):
        offer_data(row("javascript:alert(1)"), renderer, NOW)
    good = offer_data(row("https://shop.test/a"), renderer, NOW)
    assert good["state"] == RowState.CHECK and "price" not in good


def _rendered_box(site: Settings, store: Store, tmp_path: Path) -> str:
    article = site.content_dir / "box.html"
    article.write_text(f"{OPEN}\n{CLOSE}\n", encoding="utf-8")
    report = render_articles(site, store, [article], out_dir=tmp_path / "rendered", now=NOW)
    assert not report.errors, report.errors
    return (tmp_path / "rendered" / "box.html").read_text(encoding="utf-8")


def _boxes(html: str) -> list[str]:
    """Each buy box of a page, without what the data files do not carry (sparkline, JSON-LD)."""
    found = re.findall(
        r'<div class="tracker-buy tracker-buy--cards">.*?</section>\s*'
        r'(?:<p class="tracker-buy__note">.*?</p>\s*)?</div>',
        html,
        re.S,
    )
    out = []
    for box in found:
        box = re.sub(r'<div class="tracker-spark">.*?</div>', "", box, flags=re.S)
        box = re.sub(r">\s*<", ">\n<", box)  # white space between tags is not markup
        out.append("\n".join(line.strip() for line in box.splitlines() if line.strip()))
    return out


def _same(ours: list[str], rendered: list[str]) -> bool:
    """Equal boxes, or a failure that shows the lines that differ."""
    if ours != rendered:
        diff = difflib.unified_diff(
            "\n".join(rendered).splitlines(), "\n".join(ours).splitlines(), lineterm=""
        )
        raise AssertionError("\n".join(diff))
    return bool(ours)


def hostile(data: dict[str, Any]) -> dict[str, Any]:
    """The product's data with a vendor name that tries to close the markup."""
    changed: dict[str, Any] = json.loads(json.dumps(data))
    changed["product"] = "hostile"
    offers(changed)[0]["vendor"] = '<script>alert("x")</script>'
    return changed


def test_the_jekyll_include_renders_the_same_markup_escaped(
    site: Settings, store: Store, tmp_path: Path
) -> None:
    """python-liquid runs the include's body with Jekyll's variables (`site`, `include`).

    Jekyll's own `{% include file.html product=... %}` tag is not python-liquid's (Shopify's
    `include`), so the test binds `include.product` itself; the Liquid inside is the same.
    """
    from liquid import Environment

    out = tmp_path / "_data" / "tracker"
    export_at(site, store, out, "cortexin")
    data = json.loads((out / "cortexin.json").read_text(encoding="utf-8"))
    template = Environment().from_string(INCLUDE.read_text(encoding="utf-8"))
    tracker = {"cortexin": data, "hostile": hostile(data)}
    html = template.render(site={"data": {"tracker": tracker}}, include={"product": "cortexin"})
    assert _same(_boxes(html), _boxes(_rendered_box(site, store, tmp_path)))
    evil = template.render(site={"data": {"tracker": tracker}}, include={"product": "hostile"})
    assert "<script>" not in evil and "&lt;script&gt;alert(&quot;x&quot;)" in evil
    missing = template.render(site={"data": {"tracker": tracker}}, include={"product": "<b>"})
    assert "No price data for &lt;b&gt;" in missing


@pytest.mark.slow
@pytest.mark.skipif(HUGO is None, reason="hugo is absent (apt-get install hugo)")
def test_hugo_builds_a_page_with_the_data_shortcode_and_a_rendered_box(
    site: Settings, store: Store, tmp_path: Path
) -> None:
    """Real Hugo: the shortcode's box from data/tracker equals the box `tracker render` wrote."""
    config = Path(site.config_path or tmp_path / "tracker.toml")
    config.write_text(
        config.read_text(encoding="utf-8") + '[site]\nhugo_shortcode = "tracker-box"\n',
        encoding="utf-8",
    )
    site = load_settings()
    article = site.content_dir / "post.md"
    article.write_text(f"# Post\n\n{OPEN}\n{CLOSE}\n", encoding="utf-8")
    report = render_articles(site, store, [article], out_dir=tmp_path / "rendered", now=NOW)
    assert not report.errors, report.errors
    rendered = (tmp_path / "rendered" / "post.md").read_text(encoding="utf-8")

    hugo_site = tmp_path / "hugo"
    shutil.copytree(PROJECT_ROOT / "examples" / "hugo", hugo_site)
    assert (hugo_site / "layouts" / "shortcodes" / SHORTCODE.name).is_file()
    (hugo_site / "hugo.toml").write_text('baseURL = "https://example.org/"\n', encoding="utf-8")
    (hugo_site / "layouts" / "_default").mkdir(parents=True)
    (hugo_site / "layouts" / "_default" / "single.html").write_text(
        "<main>{{ .Content }}</main>\n", encoding="utf-8"
    )
    result = CliRunner().invoke(
        main, ["export", "--out", str(hugo_site / "data" / "tracker"), "cortexin"]
    )
    assert result.exit_code == 0, result.output
    export_at(site, store, hugo_site / "data" / "tracker", "cortexin")  # at NOW, like the render
    data = json.loads((hugo_site / "data" / "tracker" / "cortexin.json").read_text("utf-8"))
    (hugo_site / "data" / "tracker" / "hostile.json").write_text(
        json.dumps(hostile(data)), encoding="utf-8"
    )
    (hugo_site / "content").mkdir()
    (hugo_site / "content" / "both.md").write_text(
        '---\ntitle: "Both"\n---\n'
        f"{rendered}\n"
        '## From the data file\n\n{{< tracker-offers "cortexin" >}}\n\n'
        '{{< tracker-offers product="hostile" >}}\n',
        encoding="utf-8",
    )
    built = subprocess.run(
        [str(HUGO), "--source", str(hugo_site), "--quiet"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert built.returncode == 0, built.stderr
    page = (hugo_site / "public" / "both" / "index.html").read_text(encoding="utf-8")
    boxes = _boxes(page)
    assert len(boxes) == 3, page
    assert _same([boxes[1]], [boxes[0]])  # the rendered box and the shortcode's: the same markup
    assert "$75.00" in boxes[1] and 'rel="sponsored noopener"' in boxes[1]
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;x&#34;)" in boxes[2]


def test_a_converted_price_and_its_rates_note_read_as_in_the_box() -> None:
    from datetime import date
    from decimal import Decimal

    from tracker.domain import BuyBox, Conversion, OfferGroup
    from tracker.publishing.export import box_data

    renderer = BoxRenderer(load_settings().site)
    row = OfferRow(
        1,
        "Shop",
        "1 vial",
        "https://shop.test/a",
        Decimal("39.9"),
        "EUR",
        Availability.IN_STOCK,
        NOW,
        state=RowState.PRICED,
        converted=Conversion(Decimal("41.5"), "USD", date(2026, 11, 25)),
    )
    box = BuyBox("p", "P", (row,), "Disclosed.", NOW, groups=(OfferGroup("EUR", (row,)),))
    html = renderer.render_box(box)
    data = box_data(box, renderer, NOW)
    offer = offers(data)[0]
    assert offer["price"] == "39.90" and offer["converted"]["price"] == "41.50"
    assert f"≈ {offer['converted']['text']}</span>" in html
    assert data["rates_note"] and f">{data['rates_note']}</p>" in html.replace("&#39;", "'")
