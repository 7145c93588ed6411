"""Span logic on a real database (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.exc import StatementError

from tracker.config import PROJECT_ROOT
from tracker.domain import Availability, Check, CheckStatus, Offer, RunStatus
from tracker.rules import GatePolicy
from tracker.services import sync_catalog_file
from tracker.store import repo
from tracker.store.engine import Store, current_revision, head_revision
from tracker.store.models import Base, CrawlRun, Listing, ObservationSpan
from tracker.store.repo import listing_states, record_checks

SAMPLE = PROJECT_ROOT / "examples" / "catalog.yaml"
VENDOR = "cosmicnootropic"


@pytest.fixture
def listing_id(store: Store) -> int:
    sync_catalog_file(store, SAMPLE, {"SAMPLE_SITE": "http://127.0.0.1:9"})
    with store.sessions.begin() as session:
        return session.scalars(
            select(Listing.id).where(Listing.key == "cortexin/10-vials-x-10-mg")
        ).one()


def offer(price: str, availability: Availability = Availability.IN_STOCK, **kw) -> Offer:
    return Offer(Decimal(price), kw.pop("currency", "USD"), availability, **kw)


def check(store: Store, listing_id: int, when, status=CheckStatus.OK, **kw) -> None:
    with store.sessions.begin() as session:
        record_checks(session, [Check(listing_id, status, when, **kw)], GatePolicy())


def spans(store: Store, listing_id: int) -> list[ObservationSpan]:
    with store.sessions.begin() as session:
        query = select(ObservationSpan).where(ObservationSpan.listing_id == listing_id)
        return list(session.scalars(query.order_by(ObservationSpan.id)))


def state(store: Store, listing_id: int):
    with store.sessions.begin() as session:
        return next(s for s in listing_states(session) if s.listing_id == listing_id)


def test_migrated_to_head(store: Store) -> None:
    assert current_revision(store.engine) == head_revision()


def not_the_job_table(obj, name, type_, reflected, compare_to) -> bool:
    return not (type_ == "table" and name == "apscheduler_jobs")


def test_the_models_match_the_migrations(store: Store) -> None:
    """Typed columns (statuses as enums) need no migration: autogenerate finds nothing."""
    with store.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_object": not_the_job_table}
        )
        assert compare_metadata(context, Base.metadata) == []


def test_statuses_are_enums_stored_as_their_values(store: Store, listing_id: int, now) -> None:
    check(store, listing_id, now, status=CheckStatus.NOT_FOUND, error="HTTP 404")
    with store.sessions.begin() as session:
        run = repo.start_run(session, vendor_slug=VENDOR, now=now, expected=1)
        repo.finish_run(session, run.id, now, RunStatus.PARTIAL)
        run_id = run.id
    with store.sessions.begin() as session:
        listing = session.get_one(Listing, listing_id)
        stored_run = session.get_one(CrawlRun, run_id)
        assert listing.last_status is CheckStatus.NOT_FOUND
        assert stored_run.status is RunStatus.PARTIAL
        raw = session.execute(
            text(
                "SELECT l.last_status, r.status FROM listings l, crawl_runs r "
                "WHERE l.id = :listing AND r.id = :run"
            ),
            {"listing": listing_id, "run": run_id},
        ).one()
    assert tuple(raw) == ("not_found", "partial")
    with pytest.raises(StatementError, match="'sold' is not a valid RunStatus"):
        with store.sessions.begin() as session:
            session.get_one(CrawlRun, run_id).status = "sold"  # type: ignore[assignment]


def test_unchanged_price_extends_the_span(store: Store, listing_id: int, now) -> None:
    check(store, listing_id, now, offer=offer("75.00"))
    check(store, listing_id, now + timedelta(hours=6), offer=offer("75.00"))
    [span] = spans(store, listing_id)
    assert span.first_seen_at == now
    assert span.last_seen_at == now + timedelta(hours=6)
    assert span.seen_count == 2
    assert span.price == Decimal("75.00")


def test_change_opens_a_new_span(store: Store, listing_id: int, now) -> None:
    check(store, listing_id, now, offer=offer("75.00"))
    check(store, listing_id, now + timedelta(hours=1), offer=offer("79.00"))
    check(
        store, listing_id, now + timedelta(hours=2), offer=offer("79.00", Availability.OUT_OF_STOCK)
    )
    assert [(s.price, s.availability) for s in spans(store, listing_id)] == [
        (Decimal("75.00"), "InStock"),
        (Decimal("79.00"), "InStock"),
        (Decimal("79.00"), "OutOfStock"),
    ]
    assert state(store, listing_id).availability == "OutOfStock"


def test_failure_keeps_the_last_good_price(store: Store, listing_id: int, now) -> None:
    check(store, listing_id, now, offer=offer("75.00"))
    check(
        store, listing_id, now + timedelta(hours=1), status=CheckStatus.NOT_FOUND, error="HTTP 404"
    )
    check(
        store, listing_id, now + timedelta(hours=2), status=CheckStatus.NO_PRICE, error="no price"
    )
    current = state(store, listing_id)
    assert current.price == Decimal("75.00")
    assert current.last_seen_at == now
    assert current.last_checked_at == now + timedelta(hours=2)
    assert current.last_status == "no_price"
    assert current.consecutive_failures == 2
    assert len(spans(store, listing_id)) == 1


def test_big_move_is_unconfirmed_until_seen_again(store: Store, listing_id: int, now) -> None:
    check(store, listing_id, now, offer=offer("75.00"))
    check(store, listing_id, now + timedelta(hours=1), offer=offer("7.50"))
    current = state(store, listing_id)
    assert (current.price, current.confirmed, current.last_status) == (
        Decimal("7.50"),
        False,
        "suspect",
    )
    check(store, listing_id, now + timedelta(hours=2), offer=offer("7.50"))
    current = state(store, listing_id)
    assert (current.confirmed, current.last_status) == (True, "ok")


def test_currency_change_is_suspect(store: Store, listing_id: int, now) -> None:
    check(store, listing_id, now, offer=offer("75.00"))
    check(store, listing_id, now + timedelta(hours=1), offer=offer("75.00", currency="EUR"))
    assert state(store, listing_id).confirmed is False


def test_decimal_precision_survives(store: Store, listing_id: int, now) -> None:
    check(store, listing_id, now, offer=offer("1234.5678"))
    assert state(store, listing_id).price == Decimal("1234.5678")
