"""A held feed and a refusing Amazon API alert the operator through the alerts (rules
feed_held and source_refused), sent by real Apprise to a JSON webhook on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.amazonfake import AmazonFake, Product
from tests.feed_helpers import catalog_text, run, settings_for, sync, write
from tests.receivers import Webhook
from tests.test_amazon import ASINS, catalog, env_of
from tests.test_feeds import _awin_rows
from tracker.feeds.amazon import run_amazon
from tracker.notifying.service import alert_pass
from tracker.services import run_feeds
from tracker.store.engine import Store

pytestmark = pytest.mark.slow  # each test starts a receiver


@pytest.fixture
def hook() -> Iterator[Webhook]:
    with Webhook() as running:
        yield running


def with_alerts(tmp_path: Path, store: Store, hook: Webhook, **alerts: object):
    settings = settings_for(tmp_path, store)
    return settings.model_copy(
        update={
            "alerts": settings.alerts.model_validate({"channels": {"ops": hook.url()}, **alerts})
        }
    )


def test_a_held_feed_is_sent_once_and_rearms_when_applied(
    store: Store, tmp_path: Path, now, hook: Webhook
) -> None:
    lines = _awin_rows()
    filler = [
        lines[4].replace("31000004", f"4{n:07d}").replace("4600000000042", f"99{n:011d}")
        for n in range(40)
    ]
    path = write(tmp_path / "awin.csv", ("\n".join([*lines, *filler]) + "\n").encode(), now)
    text = catalog_text("path: awin.csv")
    (tmp_path / "catalog.yaml").write_text(text, encoding="utf-8")
    catalog = sync(store, text)
    settings = with_alerts(tmp_path, store, hook)
    first = now + timedelta(hours=1)
    assert run(store, settings, catalog, first).status == "applied"
    alert_pass(store, settings, first)
    assert not [t for t in hook.titles() if t.startswith("Feed held")]
    cut = now + timedelta(hours=2)
    write(path, ("\n".join(lines[:2]) + "\n").encode(), cut)
    for hours in (2, 3):  # held twice: one alert, sent by the feed run itself
        at = now + timedelta(hours=hours)
        assert [r.status for r in run_feeds(settings, store, "shop", now=at, env={})] == ["held"]
    held = [p for p in hook.payloads if p["title"].startswith("Feed held")]
    assert [p["title"] for p in held] == ["Feed held: Example Peptide Shop"]
    body = held[0]["message"]
    assert "feed shop held" in body and "1 rows" in body
    assert "tracker feeds run shop --accept-drop" in body
    assert "(rule feed_held, vendor:peptide-shop)" in body
    later = now + timedelta(hours=4)
    assert run(store, settings, catalog, later, accept_drop=True).status == "applied"
    alert_pass(store, settings, later)
    assert len([t for t in hook.titles() if t.startswith("Feed held")]) == 1


def test_a_refusing_amazon_api_is_sent_with_its_reason(
    store: Store, tmp_path: Path, now, hook: Webhook
) -> None:
    sync(store, catalog(ASINS[:2]))
    settings = with_alerts(tmp_path, store, hook, rules={"source_refused": {"channels": ["ops"]}})
    with AmazonFake() as fake:
        for asin in ASINS[:2]:
            fake.state.products[asin] = Product("20.99")
        assert run_amazon(settings, store, "amazon-us", env=env_of(fake), now=now).offers == 2
        alert_pass(store, settings, now)
        assert not [t for t in hook.titles() if t.startswith("Price source")]
        fake.state.refuse = True
        later = now + timedelta(hours=1)
        run_amazon(settings, store, "amazon-us", env=env_of(fake), now=later)
        alert_pass(store, settings, later)
    sent = [p for p in hook.payloads if p["title"].startswith("Price source refused")]
    assert [p["title"] for p in sent] == ["Price source refused: Amazon"]
    body = sent[0]["message"]
    assert "Amazon refused the request" in body
    assert "tracker feeds amazon amazon-us" in body
    assert "(rule source_refused, vendor:amazon-us)" in body
