"""Test helpers: the sample catalog and known checks in a store; `tracker serve` as a child."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

from tracker.catalog import load_catalog, parse_catalog
from tracker.config import PROJECT_ROOT
from tracker.domain import Availability, Check, CheckStatus, Offer
from tracker.rules import GatePolicy
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
    ("vialstreet", "20 vials x 10 mg"): ("169.00", "USD"),
    ("vialstreet", "60 tablets x 10 mg"): ("33.50", "USD"),
    ("vialstreet", "5 ampoules x 10 ml"): ("58.00", "USD"),
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
        record_checks(session, checks, GatePolicy())


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


# What `tracker serve` prints once its socket listens, with the port that --port 0 got.
ANNOUNCED = re.compile(r"Serving live buy boxes at (http://\S+?)/ ")


@contextmanager
def serving(
    env: dict[str, str],
    cwd: Path | None = None,
    *,
    healthy: bool = True,
    lines: list[str] | None = None,
) -> Iterator[str]:
    """`tracker serve --port 0` as a child process: its URL once it listens; stopped after.

    The server binds port 0 and prints the address it got, so no free port is guessed; one
    request to /healthz, queued until the app has started, makes sure that it answers (with
    200, or with 503 when ``healthy`` is False). ``lines`` receives what the server prints.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "tracker", "serve", "--port", "0"],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output: list[str] = [] if lines is None else lines
    try:
        for line in process.stdout:
            output.append(line)
            if found := ANNOUNCED.search(line):
                break
        else:
            raise AssertionError(f"tracker serve exited before listening: {''.join(output)}")
        # Read the rest (the access log) so that the server never blocks on a full pipe.
        reader = threading.Thread(target=output.extend, args=(process.stdout,), daemon=True)
        reader.start()
        try:
            with urllib.request.urlopen(f"{found[1]}/healthz", timeout=60) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        expected = 200 if healthy else 503
        assert status == expected, f"/healthz said {status}: {''.join(output)}"
        yield found[1]
    finally:
        process.terminate()
        code = process.wait(timeout=30)
    reader.join(timeout=30)
    # uvicorn shuts down cleanly, then re-raises SIGTERM so the exit status tells why.
    assert code in (0, -signal.SIGTERM), f"tracker serve exited with {code}: {''.join(output)}"
