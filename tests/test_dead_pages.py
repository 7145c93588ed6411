"""Real crawls of a scripted loopback shop: a page that dies leaves the box at once (after a
second request in the same run), comes back when the page does; a refused connection is
`unreachable`, not `blocked`; and the crawl's alerts reach a real webhook."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.crawl_helpers import catalog, listing, stored, sync_and_crawl, vendor, write_project
from tests.receivers import Webhook
from tests.servers import Reply, ScriptedSite, product_page
from tracker import services
from tracker.cli import main
from tracker.config import Settings, load_settings
from tracker.publishing.viewmodel import build_buy_box
from tracker.store.engine import open_store

pytestmark = pytest.mark.slow  # real crawls over loopback

GONE = Reply(404, "<h1>Not found</h1>")


def box_labels(settings: Settings) -> list[str]:
    store = open_store(settings.database_url)
    try:
        states = services.current_prices(store)
    finally:
        store.close()
    now = max(s.last_checked_at for s in states if s.last_checked_at)
    box = build_buy_box(
        "pill", "Pill", states, disclosure="d", now=now, max_age=timedelta(hours=24)
    )
    return [row.label for row in box.rows]


@dataclass
class Crawls:
    shop: ScriptedSite
    hook: Webhook
    settings: Settings
    after: list[dict[str, object]]  # per crawl: key -> (status, error)
    boxes: list[list[str]]
    hits: list[list[str]]  # per crawl: the paths the shop saw
    titles: list[list[str]]  # per crawl: the alerts the webhook received


@pytest.fixture(scope="module")
def crawls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Crawls]:
    folder = tmp_path_factory.mktemp("dead-pages")
    with ScriptedSite() as shop, Webhook() as hook:
        names = ["dies", "hiccup", "cheaper"]
        listings = [listing(name, f"{shop.url}/{name}") for name in names]
        settings = write_project(folder, catalog(vendor("shop", f"{shop.url}/", listings)))
        config = settings.config_path
        assert config is not None
        config.write_text(
            config.read_text() + f'[alerts.channels]\nops = "{hook.url()}"\n', encoding="utf-8"
        )
        settings = load_settings(config)
        shop.script("/robots.txt", "User-agent: *\nAllow: /\n")
        rounds = [
            {name: product_page("Pill", "75.00") for name in names},
            {
                "dies": GONE,
                "hiccup": [GONE, product_page("Pill", "75.00")],
                "cheaper": product_page("Pill", "60.00"),
            },
            {name: product_page("Pill", "75.00") for name in names},
        ]
        out = Crawls(shop, hook, settings, [], [], [], [])
        for replies in rounds:
            shop.forget()
            for name, reply in replies.items():
                shop.script(f"/{name}", *(reply if isinstance(reply, list) else [reply]))
            seen = len(hook.payloads)
            sync_and_crawl(settings)
            out.after.append({k: (s.status, s.error) for k, s in stored(settings).items()})
            out.boxes.append(box_labels(settings))
            out.hits.append(shop.paths())
            out.titles.append(hook.titles()[seen:])
        yield out


def test_a_404_is_asked_twice_then_the_listing_leaves_the_box(crawls: Crawls) -> None:
    assert crawls.hits[1].count("/dies") == 2  # confirmed by a second request in the run
    status, error = crawls.after[1]["dies"]  # type: ignore[misc]
    assert status == "not_found" and "confirmed by a second request" in error
    assert set(crawls.boxes[1]) == {"cheaper", "hiccup"}


def test_a_single_404_is_a_hiccup_not_a_dead_page(crawls: Crawls) -> None:
    assert crawls.hits[1].count("/hiccup") == 2
    assert crawls.after[1]["hiccup"] == ("ok", None)


def test_a_page_that_comes_back_restores_the_listing(crawls: Crawls) -> None:
    assert crawls.after[2]["dies"] == ("ok", None)
    assert set(crawls.boxes[2]) == {"dies", "hiccup", "cheaper"}


def test_the_crawl_sends_its_alerts(crawls: Crawls) -> None:
    assert crawls.titles[0] == []  # first readings: nothing to say
    assert sorted(crawls.titles[1]) == [
        "Price drop: Pill, cheaper at Shop",
        "Product page gone: Pill, dies at Shop",
    ]
    # 60.00 back to 75.00 is a rise of 25 % (price_rise's default); the page's return is quiet
    assert crawls.titles[2] == ["Price rise: Pill, cheaper at Shop"]
    config = str(crawls.settings.config_path)
    listed = CliRunner().invoke(main, ["--config", config, "alerts", "list"])
    assert listed.exit_code == 0, listed.output
    assert "page_gone" in listed.output and "clearing" in listed.output


def test_a_refused_connection_is_unreachable_not_blocked(tmp_path: Path, refused_url: str) -> None:
    shop = vendor("down", refused_url, [listing("pill", f"{refused_url}pill")])
    settings = write_project(tmp_path, catalog(shop), timeout_seconds=2)
    outcome = sync_and_crawl(settings)
    result = stored(settings)["pill"]
    assert result.status == "unreachable", result.error
    assert "connection refused" in (result.error or "")
    assert outcome.status == "failed"
    status = CliRunner().invoke(main, ["--config", str(settings.config_path), "status"])
    assert "unreachable" in status.output and "None" not in status.output
