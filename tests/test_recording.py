"""Batched check writes: re-checks, provenance and check state (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event, select

from tests.conftest import NOW
from tracker.config import PROJECT_ROOT
from tracker.domain import Availability, Check, CheckStatus, Offer
from tracker.services import sync_catalog_file
from tracker.store.engine import Store
from tracker.store.models import Listing, ObservationSpan
from tracker.store.provenance import listing_provenance
from tracker.store.repo import CheckCounts, crawl_targets, record_checks

SAMPLE = PROJECT_ROOT / "examples" / "catalog.yaml"


@pytest.fixture
def ids(store: Store) -> list[int]:
    sync_catalog_file(store, SAMPLE, {"SAMPLE_SITE": "http://127.0.0.1:9"})
    with store.sessions.begin() as session:
        return list(session.scalars(select(Listing.id).order_by(Listing.id)))


def ok(listing_id: int, price: str, when: datetime, **kw: object) -> Check:
    offer = Offer(Decimal(price), "USD", Availability.IN_STOCK, raw_price=f"${price}")
    return Check(listing_id, CheckStatus.OK, when, offer=offer, page_hash=f"h{price}", **kw)


def write(store: Store, checks: list[Check]) -> CheckCounts:
    with store.sessions.begin() as session:
        return record_checks(session, checks, 0.5)


def spans(store: Store, listing_id: int) -> list[ObservationSpan]:
    with store.sessions.begin() as session:
        query = select(ObservationSpan).where(ObservationSpan.listing_id == listing_id)
        return list(session.scalars(query.order_by(ObservationSpan.id)))


def listing(store: Store, listing_id: int) -> Listing:
    with store.sessions.begin() as session:
        return session.get_one(Listing, listing_id)


def test_a_confirmed_recheck_in_the_same_batch(store: Store, ids: list[int]) -> None:
    lid = ids[0]
    write(store, [ok(lid, "75.00", NOW)])
    later = NOW + timedelta(hours=1)
    counts = write(store, [ok(lid, "30.00", later), ok(lid, "30.00", later, recheck=True)])
    assert (counts.checks, counts.offers, counts.new_spans, counts.extended) == (1, 1, 1, 1)
    current = spans(store, lid)[-1]
    assert (current.price, current.confirmed, current.seen_count) == (Decimal("30.00"), True, 2)
    assert (current.source, current.raw_price, current.page_hash) == ("json-ld", "$30.00", "h30.00")
    assert (listing(store, lid).last_status, listing(store, lid).last_error) == ("ok", None)


def test_a_recheck_that_disagrees_stays_unconfirmed_until_seen_again(
    store: Store, ids: list[int]
) -> None:
    lid = ids[0]
    write(store, [ok(lid, "75.00", NOW)])
    later = NOW + timedelta(hours=1)
    write(store, [ok(lid, "30.00", later), ok(lid, "31.00", later, recheck=True)])
    assert [(s.price, s.confirmed) for s in spans(store, lid)] == [
        (Decimal("75.00"), True),
        (Decimal("30.00"), False),
        (Decimal("31.00"), False),
    ]
    row = listing(store, lid)
    assert row.last_status == "suspect"
    assert row.last_error and row.last_error.startswith(
        "price moved -59 % from the confirmed 75.00"
    )
    with store.sessions.begin() as session:  # the spider still compares with 75.00
        target = next(t for t in crawl_targets(session) if t.listing_id == lid)
    assert (target.confirmed_price, target.confirmed_currency) == (Decimal("75.00"), "USD")

    write(store, [ok(lid, "31.00", later + timedelta(days=1))])  # the next run sees it again
    assert spans(store, lid)[-1].confirmed and listing(store, lid).last_status == "ok"


def test_failures_only_touch_the_check_state(store: Store, ids: list[int]) -> None:
    lid = ids[0]
    write(store, [ok(lid, "75.00", NOW)])
    for hours in (1, 2):
        failed = Check(lid, CheckStatus.TIMEOUT, NOW + timedelta(hours=hours), error="timed out")
        counts = write(store, [failed])
    assert (counts.checks, counts.failures) == (1, 1)
    row = listing(store, lid)
    assert (row.last_status, row.last_error, row.consecutive_failures) == (
        "timeout",
        "timed out",
        2,
    )
    assert row.last_ok_at == NOW
    assert [s.last_seen_at for s in spans(store, lid)] == [NOW]


def test_a_batch_is_a_few_statements_whatever_its_size(store: Store, ids: list[int]) -> None:
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        statements.append(statement.split()[0].upper())

    later = NOW + timedelta(hours=1)
    event.listen(store.engine, "before_cursor_execute", count)
    try:
        write(store, [ok(i, "10.00", NOW) for i in ids])  # new spans
        first = list(statements)
        statements.clear()
        write(store, [ok(i, "10.00", later) for i in ids])  # extended spans
        second = list(statements)
    finally:
        event.remove(store.engine, "before_cursor_execute", count)
    assert first.count("SELECT") == 1 and second.count("SELECT") == 1
    assert second.count("UPDATE") == 2 and "INSERT" not in second


def test_checks_of_unknown_listings_are_skipped(store: Store, ids: list[int]) -> None:
    assert write(store, [ok(999_999, "10.00", NOW)]).checks == 0


def test_provenance_lists_the_current_span_and_history(store: Store, ids: list[int]) -> None:
    lid = ids[0]
    for hours, price in enumerate(["75.00", "70.00", "72.00"]):
        write(store, [ok(lid, price, NOW + timedelta(hours=hours))])
    with store.sessions.begin() as session:
        found = listing_provenance(session, lid, history=2)
        assert listing_provenance(session, 999_999) is None
    assert found is not None and found.current is not None
    assert (found.current.price, found.current.page_hash) == (Decimal("72.00"), "h72.00")
    assert [s.price for s in found.history] == [Decimal("72.00"), Decimal("70.00")]
