"""Alerts sent through real Apprise to real receivers on 127.0.0.1: a JSON webhook and an
SMTP server. Facts come from checks recorded in a real store (SQLite, and PostgreSQL when
configured); every time is a fixed ``now``."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from tests.receivers import SmtpServer, Webhook
from tests.seeding import check_all, listing_id, sync_sample
from tracker.cli import main
from tracker.config import Settings
from tracker.domain import Availability, Check, CheckStatus, Offer, RunStatus
from tracker.notifying.service import alert_pass
from tracker.rules import GatePolicy
from tracker.store import repo
from tracker.store.engine import Store, open_store
from tracker.store.models import AlertMessage

pytestmark = pytest.mark.slow  # each test starts a receiver

PACK = ("cosmicnootropic", "10 vials x 10 mg")


@pytest.fixture
def hook() -> Iterator[Webhook]:
    with Webhook() as running:
        yield running


def settings_for(db_url: str, tmp_path: Path, **alerts: Any) -> Settings:
    return Settings(root=tmp_path, database_url=db_url, alerts=alerts).resolved()


def read(
    store: Store,
    at: datetime,
    ident: int,
    price: str | None,
    availability: Availability = Availability.IN_STOCK,
) -> None:
    offer = Offer(Decimal(price), "USD", availability) if price else None
    status = CheckStatus.OK if price else CheckStatus.NO_PRICE
    check = Check(ident, status, at, offer, availability=availability)
    with store.sessions.begin() as session:
        repo.record_checks(session, [check], GatePolicy())


def fail(store: Store, at: datetime, ident: int, status: CheckStatus, error: str) -> None:
    with store.sessions.begin() as session:
        repo.record_checks(session, [Check(ident, status, at, error=error)], GatePolicy())


def messages(store: Store) -> list[AlertMessage]:
    with store.sessions() as session:
        rows = list(session.scalars(select(AlertMessage).order_by(AlertMessage.id)))
        session.expunge_all()
        return rows


def test_a_price_drop_is_sent_once_rearms_and_fires_again(
    store: Store, db_url: str, hook: Webhook, tmp_path: Path, now: datetime
) -> None:
    sync_sample(store)
    ident = listing_id(store, *PACK)
    settings = settings_for(
        db_url,
        tmp_path,
        channels={"deals": hook.url()},
        default_channels=[],
        rules={"price_drop": {"percent": 10, "channels": ["deals"]}},
    )
    # no other rule of this listing may speak here: only price_drop routes to "deals"
    hours = [now + timedelta(hours=h) for h in range(6)]
    for at, price in zip(
        hours, ["75.00", "60.00", "60.00", "75.00", "75.00", "60.00"], strict=True
    ):
        read(store, at, ident, price)
        alert_pass(store, settings, at)
    drops = [p for p in hook.payloads if p["title"].startswith("Price drop")]
    assert len(drops) == 2  # the drop, then the next drop after it re-armed
    first = drops[0]
    assert first["title"] == "Price drop: Cortexin, 10 vials x 10 mg at CosmicNootropic"
    body = first["message"]
    assert "now 60.00 USD, was 75.00 USD (-20 %)" in body
    assert "Page: https://shop.example/cosmicnootropic/cortexin.html" in body
    assert f"tracker prices --why {ident}" in body
    assert all(t.startswith("Price drop") for t in hook.titles())


def test_a_flap_is_suppressed_and_logged(
    store: Store, db_url: str, hook: Webhook, tmp_path: Path, now: datetime
) -> None:
    sync_sample(store)
    ident = listing_id(store, *PACK)
    settings = settings_for(
        db_url,
        tmp_path,
        channels={"ops": hook.url()},
        rules={"out_of_stock": {"hold_checks": 2}, "back_in_stock": {"enabled": False}},
    )
    steps = ["in", "out", "in", "out", "out"]
    for i, stock in enumerate(steps):
        at = now + timedelta(hours=i)
        if stock == "in":
            read(store, at, ident, "75.00")
        else:
            read(store, at, ident, None, Availability.OUT_OF_STOCK)
        alert_pass(store, settings, at)
    assert [t for t in hook.titles() if "stock" in t] == [
        "Out of stock: Cortexin, 10 vials x 10 mg at CosmicNootropic"
    ]
    suppressed = [m for m in messages(store) if m.status == "suppressed"]
    assert [m.rule for m in suppressed] == ["out_of_stock"]
    assert "flap suppressed: true for 1 check(s)" in (suppressed[0].reason or "")
    assert "before it held 2 checks" in (suppressed[0].reason or "")


def test_a_channel_answering_500_keeps_the_alert_pending_and_retries_with_backoff(
    db_url: str, hook: Webhook, tmp_path: Path, now: datetime
) -> None:
    store = open_store(db_url)
    sync_sample(store)
    ident = listing_id(store, *PACK)
    settings = settings_for(
        db_url,
        tmp_path,
        channels={"ops": hook.url()},
        retry_first="1m",
        retry_max="10m",
    )
    check_all(store, now)
    alert_pass(store, settings, now)
    hook.status = 500
    fail(store, now + timedelta(hours=1), ident, CheckStatus.NOT_FOUND, "HTTP 404: gone")
    done = alert_pass(store, settings, now + timedelta(hours=1))  # never raises
    assert done.error is None and done.delivered is not None and done.delivered.failed
    (pending,) = [m for m in messages(store) if m.rule == "page_gone"]
    assert (pending.status, pending.attempts) == ("pending", 1)
    assert "500" in (pending.last_error or "")
    assert pending.next_attempt_at == now + timedelta(hours=1, minutes=1)
    store.close()  # a restart: the message waits in the database

    store = open_store(db_url)
    alert_pass(store, settings, now + timedelta(hours=1, seconds=30))  # not due yet
    assert hook.refused == 1
    alert_pass(store, settings, now + timedelta(hours=1, minutes=1))  # due: refused again
    (pending,) = [m for m in messages(store) if m.rule == "page_gone"]
    assert (pending.attempts, pending.next_attempt_at) == (2, now + timedelta(hours=1, minutes=3))
    hook.status = 200
    alert_pass(store, settings, now + timedelta(hours=1, minutes=3))
    (sent,) = [m for m in messages(store) if m.rule == "page_gone"]
    assert (sent.status, sent.attempts, hook.refused) == ("sent", 3, 2)
    assert hook.titles() == ["Product page gone: Cortexin, 10 vials x 10 mg at CosmicNootropic"]
    store.close()


def test_the_daily_cap_folds_the_rest_into_one_digest(
    store: Store, db_url: str, hook: Webhook, tmp_path: Path, now: datetime
) -> None:
    sync_sample(store)
    settings = settings_for(
        db_url,
        tmp_path,
        channels={"ops": hook.url()},
        daily_cap=3,
        rules={"price_held": {"enabled": False}},
    )
    check_all(store, now)
    alert_pass(store, settings, now)
    with store.sessions() as session:
        idents = [s.listing_id for s in repo.listing_states(session)]
    with store.sessions() as session:
        vendors = len({s.vendor_slug for s in repo.listing_states(session)})
    for ident in idents:  # every page gone at once: every vendor broken, a cap of 3
        fail(store, now + timedelta(hours=1), ident, CheckStatus.NOT_FOUND, "HTTP 404")
    alert_pass(store, settings, now + timedelta(hours=1))
    assert len(hook.payloads) == 3
    folded = [m for m in messages(store) if m.status == "folded"]
    assert len(folded) == len(idents) + vendors - 3
    assert "daily cap of 3 reached on ops" in (folded[0].reason or "")
    next_day = now.replace(hour=0, minute=5) + timedelta(days=1)
    alert_pass(store, settings, next_day)
    assert len(hook.payloads) == 4
    digest = hook.payloads[-1]
    assert digest["title"] == f"Tracker digest: {len(folded)} alerts (folded: cap or digest)"
    assert digest["message"].count("\n* ") == len(folded)
    assert digest["message"].count("* Vendor broken:") + len(hook.payloads[:3]) >= 3
    assert {m.status for m in messages(store) if m.id in {f.id for f in folded}} == {"digested"}


def test_digest_mode_run_sends_one_message_per_run(
    store: Store, db_url: str, hook: Webhook, tmp_path: Path, now: datetime
) -> None:
    sync_sample(store)
    settings = settings_for(db_url, tmp_path, channels={"ops": hook.url()}, digest="run")
    check_all(store, now)
    with store.sessions() as session:
        idents = [s.listing_id for s in repo.listing_states(session)][:3]
    for ident in idents:
        fail(store, now + timedelta(hours=1), ident, CheckStatus.NOT_FOUND, "HTTP 410")
    alert_pass(store, settings, now + timedelta(hours=1))
    assert hook.titles() == ["Tracker digest: 3 alerts (this run)"]


def test_vendor_broken_after_three_failed_runs_by_email(
    store: Store, db_url: str, tmp_path: Path, now: datetime
) -> None:
    sync_sample(store)
    with SmtpServer() as smtp:
        settings = settings_for(db_url, tmp_path, channels={"mail": smtp.url()})
        for i in range(3):
            at = now + timedelta(hours=i)
            with store.sessions.begin() as session:
                run = repo.start_run(session, vendor_slug="harbor-health", now=at)
                repo.finish_run(session, run.id, at, RunStatus.FAILED, "connection refused")
            alert_pass(store, settings, at)
        mails = [m for m in smtp.inbox.messages if "Vendor broken" in str(m["Subject"])]
    assert len(mails) == 1
    body = mails[0].get_payload(decode=True).decode()
    assert mails[0]["Subject"] == "Vendor broken: Harbor Health"
    assert "its last 3 runs failed" in body and "connection refused" in body
    assert "tracker status" in body


def test_the_alerts_commands(hook: Webhook, tmp_path: Path, now: datetime) -> None:
    db = tmp_path / "tracker.db"
    config = tmp_path / "tracker.toml"
    config.write_text(
        f'database_url = "sqlite:///{db}"\n[alerts.channels]\nops = "{hook.url()}"\n'
        f'down = "json://127.0.0.1:1/nothing"\n',
        encoding="utf-8",
    )
    runner = CliRunner()
    sent = runner.invoke(main, ["--config", str(config), "alerts", "test", "ops"])
    assert sent.exit_code == 0, sent.output
    assert "ops: sent" in sent.output and hook.titles() == ["Tracker test message"]
    failed = runner.invoke(main, ["--config", str(config), "alerts", "test"])
    assert failed.exit_code == 1 and "down: failed" in failed.output
    unknown = runner.invoke(main, ["--config", str(config), "alerts", "test", "pager"])
    assert unknown.exit_code != 0 and "no alert channel named 'pager'" in unknown.output
    listed = runner.invoke(main, ["--config", str(config), "alerts", "list"])
    assert (
        listed.exit_code == 0 and "price_drop" in listed.output and "channel ops" in listed.output
    )
    log = runner.invoke(main, ["--config", str(config), "alerts", "log"])
    assert log.exit_code == 0 and "sent" in log.output and "failed" in log.output
