"""An `amazon-api` vendor priced through the real `amazon_creatorsapi` client, against a
loopback fake of the Creators API (token endpoint and GetItems in the documented shapes)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from tests.amazonfake import TOKEN_PATH, AmazonFake, Product
from tests.feed_helpers import settings_for, states, sync
from tracker.catalog import CatalogError, parse_catalog
from tracker.domain import CheckStatus, RowState
from tracker.feeds.amazon import run_amazon
from tracker.rules import shown
from tracker.store.engine import Store

ASINS = [f"B0TEST{n:04d}" for n in range(12)]
AMAZON_LINES = (
    "    kind: amazon-api\n"
    "    amazon: {throttling: 0, host_env: AMAZON_HOST, auth_endpoint_env: AMAZON_AUTH}\n"
)


def catalog(asins: list[str], display: str = "") -> str:
    listings = "".join(
        f"      - {{product: cortexin, label: 'pack {n}', "
        f"url: 'https://www.amazon.com/dp/{asin}', asin: {asin}}}\n"
        for n, asin in enumerate(asins)
    )
    return f"""
products:
  - {{slug: cortexin, name: Cortexin}}
vendors:
  - slug: amazon-us
    name: Amazon
    homepage: https://www.amazon.com/
    currency: USD
{AMAZON_LINES}{display}    listings:
{listings}"""


@pytest.fixture
def fake() -> Iterator[AmazonFake]:
    with AmazonFake() as running:
        for n, asin in enumerate(ASINS):
            running.state.products[asin] = Product(f"{20 + n}.99", saving_basis=f"{30 + n}.00")
        yield running


def env_of(fake: AmazonFake, **changes: str) -> dict[str, str]:
    env = {
        "AMAZON_HOST": fake.url,
        "AMAZON_AUTH": fake.url + TOKEN_PATH,
        "AMAZON_CREDENTIAL_ID": "id-1",
        "AMAZON_CREDENTIAL_SECRET": "secret-1",
        "AMAZON_PARTNER_TAG": "site-20",
    }
    return {**env, **changes}


@pytest.mark.slow
def test_prices_in_batches_of_ten_with_the_detail_page_link(
    store: Store, tmp_path: Path, now, fake: AmazonFake
) -> None:
    sync(store, catalog(ASINS))
    report = run_amazon(
        settings_for(tmp_path, store), store, "amazon-us", env=env_of(fake), now=now
    )
    assert report.status == "applied" and report.offers == 12, report
    assert [len(batch) for batch in fake.state.batches] == [10, 2]
    first = states(store)["pack 0"]
    assert (first.price, first.regular_price, first.currency) == (
        Decimal("20.99"),
        Decimal("30.00"),
        "USD",
    )
    assert first.affiliate_url == "https://www.amazon.com/dp/B0TEST0000?tag=site-20"
    assert first.max_age_hours == 24  # the programme's rule, whatever the site's max age
    assert shown(first, now + timedelta(hours=23), timedelta(hours=72)).state is RowState.PRICED
    assert shown(first, now + timedelta(hours=25), timedelta(hours=72)).why == "stale"


@pytest.mark.slow
def test_throttling_is_retried(store: Store, tmp_path: Path, now, fake: AmazonFake) -> None:
    fake.state.throttle = 2
    sync(store, catalog(ASINS[:3]))
    report = run_amazon(
        settings_for(tmp_path, store), store, "amazon-us", env=env_of(fake), now=now
    )
    assert report.offers == 3 and fake.state.throttle == 0


@pytest.mark.slow
def test_throttled_past_the_retries_keeps_the_last_price(
    store: Store, tmp_path: Path, now, fake: AmazonFake
) -> None:
    sync(store, catalog(ASINS[:3]))
    settings = settings_for(tmp_path, store)
    run_amazon(settings, store, "amazon-us", env=env_of(fake), now=now)
    fake.state.throttle = 10
    later = now + timedelta(hours=2)
    report = run_amazon(settings, store, "amazon-us", env=env_of(fake), now=later)
    assert report.status == "failed" and "throttled" in (report.error or "")
    state = states(store)["pack 0"]
    assert state.price == Decimal("20.99") and state.last_status is CheckStatus.BLOCKED


@pytest.mark.slow
def test_a_refused_account_falls_back_to_the_link(
    store: Store, tmp_path: Path, now, fake: AmazonFake
) -> None:
    sync(store, catalog(ASINS[:2]))
    settings = settings_for(tmp_path, store)
    run_amazon(settings, store, "amazon-us", env=env_of(fake), now=now)
    fake.state.refuse = True
    later = now + timedelta(hours=25)
    report = run_amazon(settings, store, "amazon-us", env=env_of(fake), now=later)
    assert "AssociateNotEligible" in (report.error or "") or "eligibility" in (report.error or "")
    state = states(store)["pack 0"]
    assert state.last_status is CheckStatus.BLOCKED
    assert shown(state, later, timedelta(hours=24)).state is RowState.CHECK  # link, no price
    assert state.affiliate_url.startswith("https://www.amazon.com/dp/B0TEST0000")


@pytest.mark.slow
def test_wrong_credentials_and_gone_asins(
    store: Store, tmp_path: Path, now, fake: AmazonFake
) -> None:
    sync(store, catalog([ASINS[0], "B0GONE0000"]))
    settings = settings_for(tmp_path, store)
    wrong = run_amazon(
        settings, store, "amazon-us", env=env_of(fake, AMAZON_CREDENTIAL_SECRET="nope"), now=now
    )
    assert wrong.status == "failed" and "secret" not in (wrong.error or "").replace(
        "AMAZON_CREDENTIAL_SECRET", ""
    )
    assert "nope" not in (wrong.error or "")
    place = {"AMAZON_HOST": fake.url, "AMAZON_AUTH": fake.url + TOKEN_PATH}
    unset = run_amazon(settings, store, "amazon-us", env=place, now=now)
    assert "AMAZON_CREDENTIAL_ID is not set" in (unset.error or "")
    report = run_amazon(settings, store, "amazon-us", env=env_of(fake), now=now)
    found = states(store)
    assert report.offers == 1 and found["pack 0"].price == Decimal("20.99")
    assert found["pack 1"].last_status is CheckStatus.NOT_FOUND
    assert "InvalidParameterValue" in (found["pack 1"].last_error or "")


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ((AMAZON_LINES, ""), "asin: only for a vendor of kind amazon-api"),
        (("asin: B0TEST0000", "variant: {sku: x}"), "asin: an amazon-api vendor's listing needs"),
        (("    listings:", "    display: {max_age_hours: 48}\n    listings:"), "24.0 hours"),
    ],
)
def test_amazon_vendors_are_checked(change: tuple[str, str], error: str) -> None:
    text = catalog(ASINS[:1]).replace(*change)
    with pytest.raises(CatalogError, match=error):
        parse_catalog(text, "catalog.yaml", {})


class _NoCrawl:
    name = "local"

    def crawl(self, vendor: str, *, trigger: str, stop: threading.Event) -> None:
        raise AssertionError(f"vendor {vendor} crawled")


@pytest.mark.slow
def test_the_scheduler_asks_the_api_for_an_amazon_vendor(
    store: Store, tmp_path: Path, now, fake: AmazonFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tracker.services import FeedRunner

    for name, value in env_of(fake).items():
        monkeypatch.setenv(name, value)
    text = catalog(ASINS[:2])
    (tmp_path / "catalog.yaml").write_text(text, encoding="utf-8")
    sync(store, text)
    runner = FeedRunner(settings_for(tmp_path, store), store, _NoCrawl())
    snapshot = runner.crawl("amazon-us", trigger="schedule", stop=threading.Event())
    assert snapshot is not None and snapshot.status == "ok" and snapshot.offers == 2
