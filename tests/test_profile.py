"""The vendor profile: validated once at sync, stored as JSON, read back typed (both databases)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import JSON, column, select, table, update

from tracker.catalog import parse_catalog
from tracker.domain import ExtractHints, PageSelectors
from tracker.profile import (
    ExtractionEntry,
    ScheduleEntry,
    SelectorsEntry,
    VendorCrawl,
    VendorDisplay,
    VendorProfile,
)
from tracker.store.engine import Store
from tracker.store.models import Vendor
from tracker.store.repo import listing_states, sync_catalog

CATALOG = """
products: [{slug: pill, name: Pill}]
vendors:
  - slug: shop
    name: Shop
    homepage: https://shop.example/
    currency: EUR
    listings: [{product: pill, label: one, url: "https://shop.example/one"}]
"""

# What earlier versions wrote into vendors.settings, key by key.
STORED_BEFORE: list[tuple[dict[str, Any] | None, VendorProfile]] = [
    (None, VendorProfile()),
    ({}, VendorProfile()),
    ({"display": {"link_only": False, "max_age_hours": None}, "crawl": {}}, VendorProfile()),
    (
        {
            "display": {"link_only": True, "max_age_hours": 48.0},
            "crawl": {"obey_robots": False, "delay": 2.5},
            "extraction": {"decimal_separator": ",", "heuristic": False},
            "schedule": {"every": "6h", "jitter": "10m"},
        },
        VendorProfile(
            crawl=VendorCrawl(obey_robots=False, delay=2.5),
            display=VendorDisplay(link_only=True, max_age_hours=48),
            extraction=ExtractionEntry(decimal_separator=",", heuristic=False),
            schedule=ScheduleEntry(every="6h", jitter="10m"),
        ),
    ),
    (
        {"extraction": {"heuristic": True, "selectors": {"price": ".now"}}, "crawl": {}},
        VendorProfile(extraction=ExtractionEntry(selectors=SelectorsEntry(price=".now"))),
    ),
    (
        {"schedule": {"cron": "0 */6 * * *"}},
        VendorProfile(schedule=ScheduleEntry(cron="0 */6 * * *")),
    ),
]


RAW = table("vendors", column("settings", JSON))  # the column as earlier versions saw it


@pytest.fixture
def synced(store: Store) -> Store:
    with store.sessions.begin() as session:
        sync_catalog(session, parse_catalog(CATALOG, "catalog.yaml"))
    return store


@pytest.mark.parametrize(("stored", "profile"), STORED_BEFORE)
def test_what_earlier_versions_stored_reads_back_typed(
    synced: Store, stored: dict[str, Any] | None, profile: VendorProfile
) -> None:
    with synced.sessions.begin() as session:
        session.execute(update(RAW).values(settings=stored))
    with synced.sessions.begin() as session:
        vendor = session.scalars(select(Vendor)).one()
        assert vendor.profile == profile
        (state,) = listing_states(session)
    assert (state.link_only, state.max_age_hours) == (
        profile.display.link_only,
        profile.display.max_age_hours,
    )
    with synced.sessions.begin() as session:  # the same catalog again: nothing to update
        report = sync_catalog(session, parse_catalog(CATALOG, "catalog.yaml"))
    assert report.updated == ([] if profile == VendorProfile() else ["vendor shop"])


def test_the_profile_is_stored_without_its_unset_options(synced: Store) -> None:
    text = CATALOG.replace("currency: EUR", "currency: EUR\n    display: {max_age_hours: 48}")
    with synced.sessions.begin() as session:
        assert sync_catalog(session, parse_catalog(text, "catalog.yaml")).updated == ["vendor shop"]
    with synced.engine.connect() as connection:
        raw = connection.execute(select(RAW.c.settings)).scalar_one()
    assert raw == {"crawl": {}, "display": {"link_only": False, "max_age_hours": 48.0}}


def test_extraction_hints_come_from_the_profile() -> None:
    profile = VendorProfile(
        extraction=ExtractionEntry(
            decimal_separator=",", selectors=SelectorsEntry(price=" td.now ", currency="td.cur")
        )
    )
    assert profile.extract_hints("EUR") == ExtractHints(
        currency="EUR",
        decimal_separator=",",
        selectors=PageSelectors(price="td.now", currency="td.cur"),
    )
    assert VendorProfile().extract_hints("USD") == ExtractHints(currency="USD")
