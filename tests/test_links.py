"""Affiliate link health against real loopback shops: HEAD (GET when refused), redirects
followed by hand, broken after two failed checks, alerts and status; private addresses refused
unless allowed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.crawl_helpers import catalog, listing, vendor, write_project
from tests.receivers import Webhook
from tests.servers import Reply, ScriptedSite, product_page, redirect
from tracker import services
from tracker.cli import main
from tracker.config import load_settings
from tracker.linking.check import check_link
from tracker.linking.run import LinkChecksEvery
from tracker.rules import link_failure

HOME = "https://shop.example/"


@pytest.mark.parametrize(
    ("status", "final", "failure"),
    [
        (200, "https://shop.example/pill", None),
        (404, "https://shop.example/pill", "HTTP 404"),
        (410, None, "HTTP 410"),
        (200, "https://shop.example/", "redirects to the shop's home page: https://shop.example/"),
        (200, "https://elsewhere.example/x", "redirects to another host"),
        (403, "https://shop.example/pill", None),  # a bot check says nothing about the link
        (None, None, "no answer"),
    ],
)
def test_what_a_failed_link_is(status: int | None, final: str | None, failure: str | None) -> None:
    found = link_failure(status, final, HOME, None)
    assert (found or "")[: len(failure or "")] == (failure or "") and (found is None) == (
        failure is None
    )


@pytest.mark.slow  # loopback shops
def test_links_check_list_status_and_alerts(tmp_path: Path) -> None:
    with ScriptedSite() as shop, ScriptedSite() as elsewhere, Webhook() as hook:
        page = product_page("Pill", "75.00")
        names = ["fine", "also-fine", "dead", "home-bound", "away"]
        # the shop answers HEAD with 501: every link is asked again with GET
        listings = [
            listing(name, f"{shop.url}/p/{name}", affiliate_url=f"{shop.url}/{name}")
            for name in names
        ]
        settings = write_project(tmp_path, catalog(vendor("shop", f"{shop.url}/", listings)))
        assert settings.config_path is not None
        settings.config_path.write_text(
            settings.config_path.read_text()
            + f'[links]\nallow_private = true\n[alerts.channels]\nops = "{hook.url()}"\n'
            + "[alerts.rules.listing_stale]\nenabled = false\n",
            encoding="utf-8",
        )
        settings = load_settings(settings.config_path)
        shop.script("/fine", page)
        shop.script("/also-fine", page)
        shop.script("/dead", Reply(404, "gone"))
        shop.script("/home-bound", redirect("/"))
        shop.script("/", page)
        shop.script("/away", redirect(f"{elsewhere.url}/pill"))
        elsewhere.script("/pill", page)
        store = services.open_settings_store(settings)
        try:
            services.sync_catalog_file(store, settings.catalog, env={})
        finally:
            store.close()
        config = str(settings.config_path)
        runner = CliRunner()
        first = runner.invoke(main, ["--config", config, "links", "check"])
        assert first.exit_code == 0, first.output  # failed once: not broken yet
        assert "5 links checked, 3 failed, 0 broken" in first.output
        assert hook.payloads == []
        second = runner.invoke(main, ["--config", config, "links", "check"])
        assert second.exit_code == 1 and "3 broken" in second.output
        assert sorted(hook.titles()) == [
            "Affiliate link broken: Pill, away at Shop",
            "Affiliate link broken: Pill, dead at Shop",
            "Affiliate link broken: Pill, home-bound at Shop",
        ]
        listed = runner.invoke(main, ["--config", config, "links", "list"])
        assert "redirects to another host" in listed.output and "HTTP 404" in listed.output
        status = runner.invoke(main, ["--config", config, "status"])
        assert "listing shop:dead: affiliate link broken since" in status.output
        assert elsewhere.paths() == ["/pill", "/pill"]  # followed, once per check
        shop.script("/dead", page)  # the link is fixed: no longer broken, no new alert
        third = runner.invoke(main, ["--config", config, "links", "check"])
        assert "2 failed, 2 broken" in third.output and len(hook.payloads) == 3


@pytest.mark.slow
def test_private_addresses_are_not_requested_unless_allowed() -> None:
    with ScriptedSite() as shop:
        shop.script("/pill", product_page("Pill", "75.00"))
        refused = check_link(f"{shop.url}/pill")
        assert refused.status is None and "non-public address" in (refused.error or "")
        assert shop.paths() == []
        allowed = check_link(f"{shop.url}/pill", allow_private=True)
        assert allowed.status == 200 and shop.paths() == ["/pill"]


@pytest.mark.slow
def test_the_scheduler_checks_the_links_every_links_every(tmp_path: Path) -> None:
    with ScriptedSite() as shop:
        shop.script("/pill", product_page("Pill", "75.00"))
        shop_vendor = vendor("shop", f"{shop.url}/", [listing("pill", f"{shop.url}/pill")])
        settings = write_project(tmp_path, catalog(shop_vendor))
        assert settings.config_path is not None
        settings.config_path.write_text(
            settings.config_path.read_text() + '[links]\nallow_private = true\nevery = "1d"\n',
            encoding="utf-8",
        )
        settings = load_settings(settings.config_path)
        store = services.open_settings_store(settings)
        try:
            services.sync_catalog_file(store, settings.catalog, env={})
            passes: list[datetime] = []
            due = LinkChecksEvery(store, settings, passes.append)
            due(datetime.now(UTC))  # never checked: a check starts in its own thread
            assert due.thread is not None
            due.thread.join(timeout=60)
            assert shop.paths() == ["/pill"] and len(passes) == 1  # then the alerts' pass
            first = due.thread
            due(datetime.now(UTC) + timedelta(hours=23))  # checked within links.every
            assert due.thread is first and shop.paths() == ["/pill"]
            due(datetime.now(UTC) + timedelta(hours=25))
            assert due.thread is not first
            due.thread.join(timeout=60)
            assert shop.paths() == ["/pill", "/pill"]
        finally:
            store.close()
