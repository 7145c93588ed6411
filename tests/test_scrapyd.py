"""A real Scrapyd on loopback: deploy with scrapyd-client, crawl through the Scrapyd runner."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.scheduling import HeldSite, wait_for
from tracker import services
from tracker.config import PROJECT_ROOT, Settings
from tracker.scheduling.runners import RunSnapshot
from tracker.scheduling.scrapyd import Node, ScrapydError, ScrapydRunner, job_state, least_busy
from tracker.store.engine import open_store
from tracker.store.models import CrawlRun, Listing, ObservationSpan, Vendor

# The deploy alone is allowed 300 s (its own timeout): more than the suite's timeout here.
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]
BIN = Path(sys.executable).parent
USER, PASSWORD = "tracker", "s3cret"
HELD_PAGE = "/cosmicnootropic/cortexin.html"


@pytest.fixture
def scrapyd(tmp_path: Path) -> Iterator[str]:
    """A Scrapyd with its own configuration and folders; its URL, with credentials.

    It serves on a socket bound here on port 0 and handed down (see tests/scrapyd_node.py).
    """
    home = tmp_path / "scrapyd"
    home.mkdir()
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    (home / "scrapyd.conf").write_text(
        "\n".join(
            [
                "[scrapyd]",
                "application = scrapyd_node.application",
                f"listen_fd = {listener.fileno()}",
                "bind_address = 127.0.0.1",
                f"http_port = {port}",
                f"eggs_dir = {home / 'eggs'}",
                f"logs_dir = {home / 'logs'}",
                f"dbs_dir = {home / 'dbs'}",
                "items_dir =",
                "poll_interval = 0.2",
                "max_proc = 2",
                f"username = {USER}",
                f"password = {PASSWORD}",
            ]
        )
        + "\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    # The node's own configuration is never read: the crawl job says everything (reading this
    # missing file would be an error).
    env["TRACKER_CONFIG"] = str(home / "no-such-tracker.toml")
    log = (home / "scrapyd.log").open("wb")
    with listener:  # Scrapyd holds its own copy: connections now wait for it, or fail if it dies
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("scrapyd_node.py"))],
            cwd=home,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            pass_fds=[listener.fileno()],
        )
    url = f"http://{USER}:{PASSWORD}@127.0.0.1:{port}/"
    node = Node.parse(url)

    def answers() -> bool:
        assert process.poll() is None, (home / "scrapyd.log").read_text()
        try:
            node.call("daemonstatus.json", {})
        except ScrapydError:
            return False
        return True

    try:
        wait_for(answers, "scrapyd answers")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def deploy(url: str, tmp_path: Path) -> None:
    """`scrapyd-deploy` from the project folder; the target comes from a user scrapy.cfg."""
    config_home = tmp_path / "xdg"
    config_home.mkdir()
    port = url.rsplit(":", 1)[1].strip("/")
    (config_home / "scrapy.cfg").write_text(
        f"[deploy:test]\nurl = http://127.0.0.1:{port}/\nproject = tracker\n"
        f"username = {USER}\npassword = {PASSWORD}\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRACKER_")}
    env["XDG_CONFIG_HOME"] = str(config_home)
    result = subprocess.run(
        [str(BIN / "scrapyd-deploy"), "test", "-v", "1"],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert '"status": "ok"' in result.stdout and '"spiders": 1' in result.stdout, result.stdout


@pytest.fixture
def database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """PostgreSQL when TRACKER_TEST_DATABASE_URL is set, a SQLite file otherwise."""
    if os.environ.get("TRACKER_TEST_DATABASE_URL"):
        url: str = request.getfixturevalue("pg_url")
        return url
    return f"sqlite:///{tmp_path / 'shared.db'}"


def test_crawl_through_scrapyd(
    scrapyd: str, database: str, tmp_path: Path, site_dir: Path, refused_url: str
) -> None:
    before = sorted(p.name for p in PROJECT_ROOT.iterdir())
    deploy(scrapyd, tmp_path)
    assert sorted(p.name for p in PROJECT_ROOT.iterdir()) == before  # no build files left

    site = HeldSite(site_dir, {HELD_PAGE})
    try:
        nobody = refused_url  # a node that is down
        settings = Settings(
            root=tmp_path,
            database_url=database,
            schedule={"runner": "scrapyd", "scrapyd_nodes": [nobody, scrapyd]},
        ).resolved()
        store = open_store(database)
        try:
            services.sync_catalog_file(
                store, PROJECT_ROOT / "examples" / "catalog.yaml", {"SAMPLE_SITE": site.url}
            )
            runner = ScrapydRunner(settings, store, grace_seconds=2)
            # The unreachable first node is skipped; the live one takes the job.
            assert least_busy(runner.nodes).address == Node.parse(scrapyd).address

            run = runner.crawl("harbor-health", trigger="test", stop=threading.Event())
            assert run.status == "ok", run.error
            assert (run.checks, run.offers, run.failures) == (2, 2, 0)
            with store.sessions() as session:
                stored = session.get_one(CrawlRun, run.run_id)
                assert (stored.runner, stored.job_id) == ("scrapyd", f"tracker-run-{run.run_id}")
                assert stored.node == Node.parse(scrapyd).address  # no credentials stored
                spans = session.scalar(
                    select(func.count())
                    .select_from(ObservationSpan)
                    .join(Listing, Listing.id == ObservationSpan.listing_id)
                    .join(Vendor, Vendor.id == Listing.vendor_id)
                    .where(Vendor.slug == "harbor-health")
                )
                assert spans == 2

            # A job held on a page ignores the first cancel (Scrapy waits for the page): the
            # runner cancels again with SIGKILL after its grace time.
            stop = threading.Event()
            outcome: list[RunSnapshot] = []
            worker = threading.Thread(
                target=lambda: outcome.append(
                    runner.crawl("cosmicnootropic", trigger="test", stop=stop)
                )
            )
            worker.start()
            wait_for(lambda: site.arrived, "the held page was requested through Scrapyd")
            stop.set()
            worker.join(timeout=120)
            assert not worker.is_alive()
            (held,) = outcome
            assert held.status in ("killed", "failed", "partial") and held.finished_at
            node = Node.parse(scrapyd)
            assert job_state(node, "tracker", f"tracker-run-{held.run_id}") == "finished"
        finally:
            store.close()
    finally:
        site.close()
