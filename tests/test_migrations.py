"""Data written by earlier schema versions survives the newer migrations (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

from alembic import command
from sqlalchemy import MetaData, create_engine, select

from tests.conftest import NOW
from tracker.profile import VendorDisplay, VendorProfile
from tracker.store.engine import _alembic_config, open_store
from tracker.store.models import Listing, ObservationSpan, Vendor
from tracker.store.repo import listing_states


def migrate_to(url: str, revision: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            config = _alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def naive_for(url: str, moment: datetime) -> datetime:
    """How the store writes a time: naive UTC in SQLite, aware in PostgreSQL."""
    return moment.replace(tzinfo=None) if url.startswith("sqlite") else moment


def test_data_from_revision_0004_reads_back_at_head(db_url: str) -> None:
    migrate_to(db_url, "0004")
    engine = create_engine(db_url)
    try:
        tables = MetaData()
        tables.reflect(engine, only=["products", "vendors", "listings", "observation_spans"])
        products, vendors, listings, spans = (
            tables.tables[name] for name in ("products", "vendors", "listings", "observation_spans")
        )
        when = naive_for(db_url, NOW)
        with engine.begin() as connection:
            connection.execute(
                products.insert().values(id=1, slug="pill", name="Pill", active=True)
            )
            connection.execute(
                vendors.insert().values(
                    id=1,
                    slug="shop",
                    name="Shop",
                    homepage="https://shop.example/",
                    currency="USD",
                    settings={"display": {"link_only": False, "max_age_hours": 48}, "crawl": {}},
                    active=True,
                )
            )
            connection.execute(
                listings.insert().values(
                    id=1,
                    vendor_id=1,
                    product_id=1,
                    key="pill/one",
                    label="one",
                    url="https://shop.example/one",
                    affiliate_url="https://shop.example/one",
                    position=0,
                    active=True,
                    consecutive_failures=0,
                    last_checked_at=when,
                    last_ok_at=when,
                    last_status="ok",
                )
            )
            connection.execute(
                spans.insert().values(
                    id=1,
                    listing_id=1,
                    price=49,
                    currency="USD",
                    availability="InStock",
                    first_seen_at=when,
                    last_seen_at=when,
                    confirmed=True,
                    seen_count=1,
                    page_hash="abc",
                )
            )
            connection.execute(listings.update().values(current_span_id=1))
    finally:
        engine.dispose()

    store = open_store(db_url)  # migrates to head
    try:
        with store.sessions.begin() as session:
            vendor = session.get_one(Vendor, 1)
            assert vendor.profile == VendorProfile(display=VendorDisplay(max_age_hours=48))
            span = session.get_one(ObservationSpan, 1)
            assert (span.agreed, span.held_reason, span.rejected) == (None, None, False)
            listing = session.get_one(Listing, 1)
            assert (listing.rejected_span_id, listing.seen_availability) == (None, None)
            (state,) = listing_states(session)
            assert (state.price, state.confirmed, state.max_age_hours) == (49, True, 48)
            assert session.scalars(select(ObservationSpan.page_hash)).one() == "abc"
    finally:
        store.close()
