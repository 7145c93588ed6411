"""The compliance rules of tracker/compliance.py (a table of cases) and `render --check`."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.seeding import SHOP as SAMPLE_SHOP
from tests.seeding import seed_sample
from tracker.cli import main
from tracker.compliance import Context, Outbound, check_page, is_amazon_host, line_mapper
from tracker.config import PROJECT_ROOT, Settings, load_settings
from tracker.publishing.render import render_articles
from tracker.store.engine import open_store

SHOP = "https://shop.example/p/1?aff=9"
AMAZON = "https://www.amazon.com/dp/B0EXAMPLE1?tag=site-20"
CONTEXT = Context(
    affiliate_hosts=frozenset({"shop.example", "track.network.example"}),
    listings={
        SHOP: Outbound(SHOP),
        AMAZON: Outbound(AMAZON, amazon_api=True),
        "https://site.example/go/7": Outbound("https://amazon.co.uk/dp/B1"),
        "https://site.example/go/8": Outbound("https://amazon.co.uk/dp/B2", amazon_api=True),
    },
    go_prefixes=("/go/", "https://site.example/go/"),
    disclosures=("We may earn a commission.",),
)
DISCLOSE = '<p class="tracker-buy__disclosure">We may earn a commission.</p>'
TIME = '<time datetime="2026-12-03T10:00:00+00:00">Dec 3</time>'


def row(href: str, *, price: bool = True, time: str = TIME, rel: str = "sponsored noopener") -> str:
    shown = f'<span class="tracker-offer__price">$75.00</span> checked {time}' if price else ""
    return (
        f'<li class="tracker-offer">{shown}'
        f'<a class="tracker-offer__button" href="{href}" rel="{rel}">Buy</a></li>'
    )


def box(*rows: str, disclosure: str = DISCLOSE) -> str:
    return f'<div class="tracker-buy">{disclosure}<ul>{"".join(rows)}</ul></div>'


def page(*body: str) -> str:
    return "<!DOCTYPE html>\n<html><body>\n" + "\n".join(body) + "\n</body></html>\n"


CASES = [
    # (what, page, expected (line, rule) findings)
    ("a box as rendered", page(box(row(SHOP))), []),
    ("no link at all", page("<p>Nothing to buy.</p>"), []),
    ("only comments", "<!-- tracker:buy-box -->\n<!-- /tracker:buy-box -->\n", []),
    (
        "XHTML that declares its encoding",
        '<?xml version="1.0" encoding="utf-8"?>\n<html><body>\n'
        '<a href="/go/1">x</a>\n</body></html>',
        [(3, "disclosure"), (3, "sponsored")],
    ),
    ("a link to a site that is no vendor's", page('<a href="https://wiki.example/x">w</a>'), []),
    (
        "the box's button without sponsored",
        page(box(row(SHOP, rel="noopener"))),
        [(3, "sponsored")],
    ),
    (
        "a hand-written vendor link, rel sponsored, after the box",
        page(box(row(SHOP)), '<p><a href="https://shop.example/" rel="sponsored">shop</a></p>'),
        [],
    ),
    (
        "a hand-written vendor link without rel",
        page(box(row(SHOP)), '<p><a href="https://www.shop.example/x">shop</a></p>'),
        [(4, "sponsored")],
    ),
    (
        "a link through the affiliate network's host",
        page(DISCLOSE, '<a href="https://track.network.example/c?u=1">deal</a>'),
        [(4, "sponsored")],
    ),
    (
        "a counted redirect written by hand",
        page(DISCLOSE, '<a href="/go/3">deal</a>'),
        [(4, "sponsored")],
    ),
    (
        "an Amazon link with an Associates tag",
        page(DISCLOSE, '<a href="https://amzn.to/x?tag=s-20" rel="nofollow">x</a>'),
        [(4, "sponsored")],
    ),
    (
        "a vendor link above the box's disclosure",
        page('<p><a href="https://shop.example/" rel="sponsored">shop</a></p>', box(row(SHOP))),
        [(3, "disclosure")],
    ),
    (
        "a disclosure of the site's wording by hand, above the link",
        page(
            "<p>We may earn  a commission.</p>",
            '<a href="https://shop.example/" rel="sponsored">s</a>',
        ),
        [],
    ),
    (
        "no disclosure at all",
        page(box(row(SHOP), disclosure="")),
        [(3, "disclosure")],
    ),
    (
        "a disclosure element that says nothing",
        page(box(row(SHOP), disclosure='<p class="tracker-disclosure"> </p>')),
        [(3, "disclosure")],
    ),
    ("a price without its time", page(box(row(SHOP, time=""))), [(3, "as-of")]),
    (
        "a price whose time has no zone",
        page(box(row(SHOP, time='<time datetime="2026-12-03T10:00">Dec 3</time>'))),
        [(3, "as-of")],
    ),
    ("a row without a price needs no time", page(box(row(SHOP, price=False, time=""))), []),
    ("an Amazon price from the API", page(box(row(AMAZON))), []),
    (
        "an Amazon link with a crawled price",
        page(box(row("https://www.amazon.de/dp/B0X"))),
        [(3, "amazon")],
    ),
    (
        "a /go/ link to Amazon of a crawled listing",
        page(box(row("https://site.example/go/7"))),
        [(3, "amazon")],
    ),
    ("a /go/ link to Amazon priced by the API", page(box(row("https://site.example/go/8"))), []),
    (
        "an Amazon link without a price",
        page(box(row("https://www.amazon.de/dp/B0X", price=False))),
        [],
    ),
]


@pytest.mark.parametrize(("what", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_rules(what: str, text: str, expected: list[tuple[int, str]]) -> None:
    assert [(f.line, f.rule) for f in check_page(text, CONTEXT)] == expected, what


def test_markdown_links_cannot_carry_rel() -> None:
    text = (
        "---\ntitle: x\n---\n\nWe may earn a commission.\n\n"
        "Buy it [here](https://shop.example/p) or at <https://shop.example/q>.\n"
        "See [the wiki](https://wiki.example/).\n"
    )
    found = check_page(text, CONTEXT, markdown=True)
    assert [(f.line, f.rule) for f in found] == [(7, "sponsored"), (7, "sponsored")]
    assert "Markdown" in found[0].message
    assert check_page(text.replace("We may", "They"), CONTEXT, markdown=True)[0].rule == (
        "disclosure"
    )


@pytest.mark.parametrize(
    ("url", "amazon"),
    [
        ("https://www.amazon.com/dp/B0", True),
        ("https://amazon.co.uk/dp/B0", True),
        ("https://smile.amazon.de/dp/B0", True),
        ("https://amzn.to/3xYz", True),
        ("https://a.co/d/1", True),
        ("https://notamazon.com/dp/B0", False),
        ("https://amazon.com.evil.example/", False),
        ("https://shop.example/amazon.com", False),
    ],
)
def test_amazon_hosts(url: str, amazon: bool) -> None:
    assert is_amazon_host(url) is amazon


def test_lines_map_back_to_the_article_as_written() -> None:
    source = "a\n<!-- open -->\n<!-- close -->\nb\nc\n"
    rendered = "a\n<!-- open -->\nx\ny\nz\n<!-- close -->\nb\nc\n"
    to_source = line_mapper(source, rendered)
    assert [to_source(n) for n in range(1, 9)] == [1, 2, 2, 2, 2, 3, 4, 5]


def _site(tmp_path: Path, content: Path) -> Settings:
    config = tmp_path / "tracker.toml"
    config.write_text(
        f'database_url = "sqlite:///{tmp_path / "tracker.db"}"\n'
        f'content_dir = "{content}"\nout_dir = "{tmp_path / "out"}"\n',
        encoding="utf-8",
    )
    return load_settings(config)


def test_the_sample_site_passes_render_check(tmp_path: Path) -> None:
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    settings = _site(tmp_path, PROJECT_ROOT / "examples" / "content")
    store = open_store(settings.database_url)
    try:
        seed_sample(store, now)
        assert render_articles(settings, store, now=now).errors == []
        report = render_articles(settings, store, now=now, write=False, compliance=True)
    finally:
        store.close()
    assert report.errors == []
    assert len(report.results) == 2
    assert [f for r in report.results for f in r.findings] == []
    assert not any(r.changed for r in report.results)


def test_render_check_names_the_file_and_line_of_each_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = tmp_path / "content"
    shutil.copytree(PROJECT_ROOT / "examples" / "content", content)
    review = content / "cortexin-review.html"
    text = review.read_text(encoding="utf-8")
    href = f"{SAMPLE_SHOP}/cosmicnootropic/"
    shop = f'<p>Or straight at <a href="{href}">the shop</a>.</p>\n'
    text = text.replace("<article>\n", "<article>\n" + shop, 1)
    review.write_text(text, encoding="utf-8")
    lines = text.splitlines()
    link_line = lines.index(shop.strip()) + 1
    marker_line = lines.index('<!-- tracker:buy-box product="cortexin" -->') + 1
    settings = _site(tmp_path, content)
    monkeypatch.setenv("TRACKER_CONFIG", str(tmp_path / "tracker.toml"))
    store = open_store(settings.database_url)
    try:
        seed_sample(store, datetime.now(UTC))
    finally:
        store.close()
    assert CliRunner().invoke(main, ["render"]).exit_code == 0
    result = CliRunner().invoke(main, ["render", "--check"])
    assert result.exit_code == 1
    findings = [line for line in result.output.splitlines() if line.startswith("compliance:")]
    assert findings == [
        f"compliance: {review}:{link_line}: the disclosure comes after the first affiliate "
        f"link: {href} (the disclosure is on line {marker_line})",
        f'compliance: {review}:{link_line}: affiliate link without rel="sponsored": {href}',
    ], result.output
