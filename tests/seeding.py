"""Test helpers: the sample catalog and known checks in a store; a server process to wait for."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request
from datetime import datetime, timedelta
from decimal import Decimal

from tracker.catalog import load_catalog, parse_catalog
from tracker.config import PROJECT_ROOT
from tracker.domain import Availability, Check, CheckStatus, Offer
from tracker.store.engine import Store
from tracker.store.repo import listing_states, record_checks, sync_catalog

SHOP = "https://shop.example"
# (vendor slug, pack label) -> price and currency of the sample shops' pages.
PRICES = {
    ("cosmicnootropic", "10 vials x 10 mg"): ("75.00", "USD"),
    ("cosmicnootropic", "10 vials x 5 mg"): ("45.00", "USD"),
    ("cosmicnootropic", "5 ampoules x 5 ml"): ("60.00", "USD"),
    ("cosmicnootropic", "10 ampoules x 5 ml"): ("110.00", "USD"),
    ("peptide-corner", "50 tablets x 200 mg"): ("39.90", "EUR"),
    ("peptide-corner", "30 tablets x 10 mg"): ("24.50", "EUR"),
    ("harbor-health", "60 capsules"): ("59.99", "USD"),
    ("harbor-health", "10 ampoules x 5 ml"): ("119.00", "USD"),
}


def sync_sample(store: Store, catalog_text: str | None = None) -> None:
    env = {"SAMPLE_SITE": SHOP}
    catalog = (
        parse_catalog(catalog_text, "catalog.yaml", env)
        if catalog_text is not None
        else load_catalog(PROJECT_ROOT / "examples" / "catalog.yaml", env)
    )
    with store.sessions.begin() as session:
        sync_catalog(session, catalog)


def check_all(
    store: Store, at: datetime, prices: dict[tuple[str, str], tuple[str, str]] | None = None
) -> None:
    """One successful check of every listing at ``at`` with the given (or sample) prices."""
    prices = prices or PRICES
    with store.sessions.begin() as session:
        checks = []
        for state in listing_states(session):
            price, currency = prices[(state.vendor_slug, state.label)]
            offer = Offer(Decimal(price), currency, Availability.IN_STOCK)
            checks.append(Check(state.listing_id, CheckStatus.OK, at, offer))
        record_checks(session, checks, 0.5)


def seed_sample(store: Store, now: datetime) -> None:
    """The sample catalog, a month of history (a higher price before), checked 2 h ago."""
    sync_sample(store)
    higher = {key: (str(Decimal(p) + 5), c) for key, (p, c) in PRICES.items()}
    check_all(store, now - timedelta(days=30), higher)
    check_all(store, now - timedelta(days=20), higher)
    check_all(store, now - timedelta(days=19), PRICES)
    check_all(store, now - timedelta(hours=2), PRICES)


def listing_id(store: Store, vendor: str, label: str) -> int:
    with store.sessions.begin() as session:
        return next(
            s.listing_id
            for s in listing_states(session)
            if (s.vendor_slug, s.label) == (vendor, label)
        )


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_healthy(url: str, process: subprocess.Popen[bytes], timeout: float = 30) -> None:
    """Poll /healthz until the server answers (or fail with its output)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"tracker serve exited: {process.stdout.read()!r}")  # type: ignore[union-attr]
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"tracker serve did not answer at {url} within {timeout} s")
