"""`tracker render` on real files: --check, --diff, the lock, comparison markers, vendor display."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import NOW
from tests.seeding import check_all, seed_sample, sync_sample
from tracker.cli import main
from tracker.config import PROJECT_ROOT, Settings, load_settings
from tracker.publishing.locking import LockBusy, exclusive_lock
from tracker.publishing.publisher import ArticleError, Publisher
from tracker.publishing.render import render_articles
from tracker.store.engine import Store, open_store

OPEN = '<!-- tracker:buy-box product="{}"{} -->'
CLOSE = "<!-- /tracker:buy-box -->"


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """A configured site on SQLite whose data was checked 2 hours before the real clock."""
    shutil.copytree(PROJECT_ROOT / "examples" / "content", tmp_path / "content")
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
        seed_sample(store, datetime.now(UTC))
    finally:
        store.close()
    return settings


def render(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["render", *args])
    return result.exit_code, result.output


def test_check_and_diff(site: Settings) -> None:
    code, output = render("--check")
    assert code == 1 and "would change" in output
    assert not (site.out_dir / "cortexin-review.html").exists()  # --check writes nothing

    code, output = render("--diff")  # like black --diff: shows, writes nothing
    assert code == 0 and "would change" in output and "written" not in output
    assert "+++ " in output and '+<div class="tracker-buy tracker-buy--cards">' in output
    assert not (site.out_dir / "cortexin-review.html").exists()
    assert not (site.out_dir / "tracker-buy.css").exists()

    code, output = render("--diff", "--write")
    assert code == 0 and "written" in output and "+++ " in output
    first = (site.out_dir / "cortexin-review.html").read_bytes()
    assert (site.out_dir / "tracker-buy.css").read_text().startswith("/* The buy boxes")

    code, output = render("--check", "--diff")
    assert code == 0 and "up to date" in output and "+++" not in output
    code, output = render()
    assert code == 0 and "unchanged" in output
    assert (site.out_dir / "cortexin-review.html").read_bytes() == first  # idempotent

    store = open_store(site.database_url)
    try:
        check_all(store, datetime.now(UTC), {k: ("70.00", c) for k, c in _prices()})
    finally:
        store.close()
    code, output = render("--check", "--diff")
    assert (
        code == 1
        and "would change" in output
        and '+<span class="tracker-offer__price">$70.00' in output
    )


def _prices() -> list[tuple[tuple[str, str], str]]:
    from tests.seeding import PRICES

    return [(key, currency) for key, (_price, currency) in PRICES.items()]


def test_a_render_waits_for_the_one_holding_the_lock(site: Settings) -> None:
    lock = site.var_dir / "render.lock"
    store = open_store(site.database_url)
    try:
        with exclusive_lock(lock, timeout=0):
            with pytest.raises(LockBusy, match="another render holds the lock"):
                render_articles(site, store, lock_timeout=0)
            waiting = ThreadPoolExecutor(1).submit(render_articles, site, store)
            # While we hold the lock, the other render has written nothing.
            assert not site.out_dir.exists() and not waiting.done()
        report = waiting.result(timeout=60)
        assert report.errors == [] and (site.out_dir / "cortexin-review.html").exists()
    finally:
        store.close()


def write_article(site: Settings, name: str, text: str) -> Path:
    path = site.content_dir / name
    path.write_text(text, encoding="utf-8")
    return path


def render_one(store: Store, site: Settings, path: Path, now: datetime) -> str:
    report = render_articles(site, store, [path], now=now, lock_timeout=0)
    assert report.errors == []
    return (site.out_dir / path.name).read_text(encoding="utf-8")


def test_comparison_markers_table_and_limit(tmp_path: Path) -> None:
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'db.sqlite'}",
        content_dir=tmp_path,
        out_dir=tmp_path / "out",
        var_dir=tmp_path / "var",
    )
    store = open_store(settings.database_url)
    try:
        seed_sample(store, NOW)
        table = OPEN.format("cortexin,cerebrolysin", ' style="table" limit="1"')
        cards = OPEN.format("cortexin,noocube", ' style="cards"')
        path = write_article(
            settings, "compare.md", f"# x\n\n{table}\n{CLOSE}\n\n{cards}\n{CLOSE}\n"
        )
        html = render_one(store, settings, path, NOW)
    finally:
        store.close()
    first, second = html.split(CLOSE)[:2]
    assert first.count("<table") == 1 and first.count('<tr class="tracker-offer') == 2  # limit 1
    assert "$0.75 per mg" in first and "Cerebrolysin" in first
    assert second.count('<section class="tracker-box"') == 2
    assert first.count('class="tracker-buy__disclosure"') == 1
    assert second.count('class="tracker-buy__disclosure"') == 1


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        (OPEN.format("cortexin", ' style="grid"'), "bad.md:2: style must be one of cards, table"),
        (OPEN.format("cortexin,ghost", ""), "bad.md:2: unknown product 'ghost'"),
    ],
)
def test_bad_marker_options_leave_the_file_alone(tmp_path: Path, marker: str, message: str) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", content_dir=tmp_path)
    store = open_store(settings.database_url)
    try:
        seed_sample(store, NOW)
        path = write_article(settings, "bad.md", f"#\n{marker}\nold\n{CLOSE}\n")
        before = path.read_bytes()
        report = render_articles(
            settings, store, [path], in_place=True, now=NOW, lock_timeout=0
        )
    finally:
        store.close()
    assert [message in e for e in report.errors] == [True]
    assert path.read_bytes() == before


DISPLAY_CATALOG = """
products: [{slug: cortexin, name: Cortexin}]
vendors:
  - slug: market
    name: Big Market
    homepage: https://market.example/
    currency: USD
    display: {link_only: true}
    listings: [{product: cortexin, label: 10 vials x 10 mg, url: https://market.example/c}]
  - slug: slow
    name: Slow Shop
    homepage: https://slow.example/
    currency: USD
    display: {max_age_hours: 72}
    listings: [{product: cortexin, label: 10 vials x 5 mg, url: https://slow.example/c}]
"""


def test_display_options_from_the_catalog(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", content_dir=tmp_path)
    store = open_store(settings.database_url)
    try:
        sync_sample(store, DISPLAY_CATALOG)
        prices = {
            ("market", "10 vials x 10 mg"): ("70.00", "USD"),
            ("slow", "10 vials x 5 mg"): ("44.00", "USD"),
        }
        check_all(store, NOW - timedelta(hours=48), prices)  # older than the site's 24 h
        path = write_article(settings, "a.md", f"{OPEN.format('cortexin', '')}\n{CLOSE}\n")
        html = render_one(store, settings, path, NOW)
        assert "$44.00" in html  # the slow shop's prices count for 72 h
        assert "$70.00" not in html and "See the offer at Big Market" in html
        later = render_one(store, settings, path, NOW + timedelta(hours=25))
        assert "$44.00" not in later and "Check the price at Slow Shop" in later
    finally:
        store.close()


author_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=80
).filter(lambda t: "tracker:" not in t and "<!--" not in t)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(before=author_text, between=author_text, after=author_text, crlf=st.booleans())
def test_rendering_keeps_the_author_bytes_and_is_idempotent(
    tmp_path: Path, before: str, between: str, after: str, crlf: bool
) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", content_dir=tmp_path)
    store = STORES.get(settings.database_url) or STORES.setdefault(
        settings.database_url, _seeded(settings.database_url)
    )
    eol = "\r\n" if crlf else "\n"
    one = OPEN.format("cortexin", "")
    two = OPEN.format("noocube,actovegin", ' style="table"')
    text = f"{before}{one}{eol}old{CLOSE}{between}{two}{CLOSE}{after}"
    with store.sessions.begin() as session:
        publisher = Publisher(settings, session, NOW)
        once, boxes = publisher.render_text(text, "a.md")
        twice, _ = publisher.render_text(once, "a.md")
    assert boxes == 2 and once == twice
    pieces = once.split(one, 1)
    assert pieces[0] == before
    middle, tail = pieces[1].split(CLOSE, 1)
    assert "$75.00" in middle and "\n\n" not in middle.replace("\r", "")
    between_out, rest = tail.split(two, 1)
    assert between_out == between
    assert rest.split(CLOSE, 1)[1] == after


STORES: dict[str, Store] = {}


def _seeded(url: str) -> Store:
    store = open_store(url)
    seed_sample(store, NOW)
    return store


@pytest.fixture(autouse=True, scope="module")
def _close_stores() -> Iterator[None]:
    yield
    for store in STORES.values():
        store.close()
    STORES.clear()


marker_bits = st.sampled_from(
    [
        OPEN.format("cortexin", ""),
        OPEN.format("ghost", ""),
        OPEN.format("cortexin", ' style="grid"'),
        OPEN.format("cortexin", ' limit="two"'),
        "<!-- tracker:buy-box -->",
        "<!-- tracker:price -->",
        CLOSE,
        "<!-- /tracker:buy-box x=1 -->",
    ]
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(pieces=st.lists(st.one_of(marker_bits, author_text), max_size=8))
def test_any_marker_soup_renders_or_fails_cleanly(tmp_path: Path, pieces: list[str]) -> None:
    """Well formed or not, an article either renders or raises ArticleError, untouched."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'db.sqlite'}", content_dir=tmp_path)
    store = STORES.get(settings.database_url) or STORES.setdefault(
        settings.database_url, _seeded(settings.database_url)
    )
    path = tmp_path / "soup.md"
    path.write_bytes("".join(pieces).encode("utf-8"))
    before = path.read_bytes()
    with store.sessions.begin() as session:
        publisher = Publisher(settings, session, NOW)
        try:
            result = publisher.render_file(path, path)
        except ArticleError as exc:
            assert str(exc).startswith(f"{path}:")
            assert path.read_bytes() == before
        else:
            assert result.boxes == "".join(pieces).count("<!-- tracker:buy-box")
