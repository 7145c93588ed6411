"""Batched check writes: the publish gate, provenance and check state (SQLite and PostgreSQL).

Every time is the reading's own (`checked_at`): the gate's interval is measured between
readings, never against a clock."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import event, select

from tests.conftest import NOW, write_config
from tracker import rules
from tracker.cli import main
from tracker.config import PROJECT_ROOT
from tracker.domain import Availability, Check, CheckStatus, ListingState, Offer, RowState
from tracker.rules import GatePolicy
from tracker.services import sync_catalog_file
from tracker.store import review
from tracker.store.engine import Store
from tracker.store.models import Listing, ObservationSpan
from tracker.store.provenance import listing_provenance
from tracker.store.repo import CheckCounts, listing_states, record_checks

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
        return record_checks(session, checks, GatePolicy())


def spans(store: Store, listing_id: int) -> list[ObservationSpan]:
    with store.sessions.begin() as session:
        query = select(ObservationSpan).where(ObservationSpan.listing_id == listing_id)
        return list(session.scalars(query.order_by(ObservationSpan.id)))


def listing(store: Store, listing_id: int) -> Listing:
    with store.sessions.begin() as session:
        return session.get_one(Listing, listing_id)


HOUR = timedelta(hours=1)


def state_of(store: Store, listing_id: int) -> ListingState:
    with store.readers.begin() as session:
        return next(s for s in listing_states(session) if s.listing_id == listing_id)


def test_a_suspicious_move_is_held_until_a_run_an_interval_later_sees_it(
    store: Store, ids: list[int]
) -> None:
    lid = ids[0]
    write(store, [ok(lid, "49.00", NOW)])
    first = NOW + HOUR
    write(store, [ok(lid, "490.00", first)])  # the first reading: held
    held = state_of(store, lid)
    assert (held.price, held.confirmed, held.last_status) == (Decimal("490.00"), False, "suspect")
    assert held.held_reason and held.held_reason.startswith(
        "price moved +900 % from the confirmed 49.00 to 490.00 USD; held until a run at least "
        "1 h after this reading sees it again"
    )
    assert rules.shown(held, first, timedelta(hours=24)).state is RowState.CHECK  # no number

    write(store, [ok(lid, "490.00", first + 59 * timedelta(minutes=1))])  # within the hour
    still = state_of(store, lid)
    assert (still.confirmed, still.last_status) == (False, "suspect")
    assert spans(store, lid)[-1].seen_count == 2

    write(store, [ok(lid, "490.00", first + HOUR)])  # a run an hour after the first reading
    published = state_of(store, lid)
    assert (published.confirmed, published.last_status, published.held_reason) == (
        True,
        "ok",
        None,
    )
    assert len(spans(store, lid)) == 2 and spans(store, lid)[-1].held_reason  # why, kept


def test_the_interval_is_configurable(store: Store, ids: list[int]) -> None:
    lid = ids[0]
    write(store, [ok(lid, "49.00", NOW)])
    quick = GatePolicy(confirm_after=timedelta(minutes=5))
    with store.sessions.begin() as session:
        record_checks(session, [ok(lid, "490.00", NOW + HOUR)], quick)
    with store.sessions.begin() as session:
        record_checks(session, [ok(lid, "490.00", NOW + HOUR + timedelta(minutes=5))], quick)
    assert state_of(store, lid).confirmed


@pytest.mark.parametrize(
    ("agreed", "published"),
    [
        (("json-ld", "microdata", "page"), True),  # two sources besides the page
        (("json-ld", "opengraph"), True),
        (("json-ld", "page"), False),
        ((), False),
    ],
)
def test_agreeing_sources_publish_a_suspicious_move_at_once(
    store: Store, ids: list[int], agreed: tuple[str, ...], published: bool
) -> None:
    lid = ids[0]
    write(store, [ok(lid, "49.00", NOW)])
    write(store, [ok(lid, "490.00", NOW + HOUR, agreed=agreed)])
    assert state_of(store, lid).confirmed is published
    span = spans(store, lid)[-1]
    assert span.agreed == (",".join(agreed) or None)


def test_back_to_the_confirmed_price_while_held(store: Store, ids: list[int]) -> None:
    lid = ids[0]
    write(store, [ok(lid, "49.00", NOW)])
    write(store, [ok(lid, "490.00", NOW + HOUR)])
    write(store, [ok(lid, "49.00", NOW + 2 * HOUR)])
    back = state_of(store, lid)
    assert (back.price, back.confirmed, back.last_status) == (Decimal("49.00"), True, "ok")


def test_the_operator_accepts_a_held_price(store: Store, ids: list[int]) -> None:
    lid = ids[0]
    write(store, [ok(lid, "49.00", NOW)])
    write(store, [ok(lid, "490.00", NOW + HOUR)])
    with store.sessions.begin() as session:
        done = review.accept(session, lid, NOW + 2 * HOUR)
    assert (done.price, done.accepted) == (Decimal("490.00"), True)
    accepted = state_of(store, lid)
    assert (accepted.price, accepted.confirmed, accepted.last_status) == (
        Decimal("490.00"),
        True,
        "ok",
    )
    why = spans(store, lid)[-1].held_reason or ""
    assert "accepted by the operator at 2026-11-26 14:00 UTC" in why
    with store.sessions.begin() as session, pytest.raises(review.ReviewError, match="no held"):
        review.accept(session, lid, NOW + 2 * HOUR)


def test_the_operator_rejects_a_held_price_and_it_stays_rejected(
    store: Store, ids: list[int]
) -> None:
    lid = ids[0]
    write(store, [ok(lid, "49.00", NOW)])
    write(store, [ok(lid, "490.00", NOW + HOUR)])
    with store.sessions.begin() as session:
        done = review.reject(session, lid, NOW + 2 * HOUR)
    assert done.restored == (Decimal("49.00"), "USD")
    kept = state_of(store, lid)
    assert (kept.price, kept.confirmed) == (Decimal("49.00"), True)  # the old price stays
    bad = spans(store, lid)[-1]
    assert bad.rejected and not bad.confirmed

    counts = write(store, [ok(lid, "490.00", NOW + 3 * HOUR)])  # read again: still bad
    assert (counts.offers, counts.failures, counts.new_spans) == (0, 1, 0)
    again = state_of(store, lid)
    assert (again.price, again.last_status) == (Decimal("49.00"), "suspect")
    assert "the reading the operator rejected" in (again.last_error or "")
    assert [s.seen_count for s in spans(store, lid)] == [1, 2]

    with store.sessions.begin() as session:  # the shop did change its price after all
        review.accept(session, lid, NOW + 4 * HOUR)
    assert state_of(store, lid).price == Decimal("490.00")
    assert listing(store, lid).rejected_span_id is None


def test_prices_accept_and_reject_from_the_command_line(
    store: Store, ids: list[int], tmp_path: Path
) -> None:
    lid, other = ids[0], ids[1]
    for listing_id in (lid, other):
        write(store, [ok(listing_id, "49.00", NOW)])
        write(store, [ok(listing_id, "490.00", NOW + HOUR)])
    config = write_config(tmp_path, store.engine.url.render_as_string(hide_password=False))
    runner = CliRunner()
    listed = runner.invoke(main, ["--config", str(config), "prices"])
    assert listed.exit_code == 0, listed.output
    assert "490.00 USD (held)" in listed.output
    assert f"{lid}: held: price moved +900 % from the confirmed 49.00" in listed.output

    accepted = runner.invoke(main, ["--config", str(config), "prices", "--accept", str(lid)])
    assert accepted.exit_code == 0, accepted.output
    assert f"listing {lid}: 490.00 USD accepted and published" in accepted.output
    rejected = runner.invoke(main, ["--config", str(config), "prices", "--reject", str(other)])
    assert f"listing {other}: 490.00 USD rejected; 49.00 USD stays" in rejected.output
    again = runner.invoke(main, ["--config", str(config), "prices", "--reject", str(other)])
    assert again.exit_code == 1 and f"listing {other} has no held price" in again.output
    why = runner.invoke(main, ["--config", str(config), "prices", "--why", str(other)])
    assert "REJECTED (not published)" in why.output and "rejected by the operator" in why.output


def test_out_of_stock_without_a_price_is_a_reading(store: Store, ids: list[int]) -> None:
    lid = ids[0]
    write(store, [ok(lid, "49.00", NOW)])
    sold_out = Check(
        lid,
        CheckStatus.NO_PRICE,
        NOW + HOUR,
        error="no price found (tried: json-ld, opengraph, page)",
        availability=Availability.OUT_OF_STOCK,
    )
    counts = write(store, [sold_out])
    assert (counts.checks, counts.offers, counts.failures, counts.unavailable) == (1, 0, 0, 1)
    state = state_of(store, lid)
    assert (state.price, state.availability, state.last_seen_at) == (
        Decimal("49.00"),
        "InStock",
        NOW,
    )  # the last good price is never overwritten
    assert (state.seen_availability, state.seen_availability_at) == ("OutOfStock", NOW + HOUR)
    assert (state.last_status, state.consecutive_failures) == ("no_price", 0)
    assert rules.shown(state, NOW + HOUR, timedelta(hours=24)).state is RowState.UNAVAILABLE

    write(store, [Check(lid, CheckStatus.TIMEOUT, NOW + 2 * HOUR, error="timed out")])
    assert state_of(store, lid).seen_availability == "OutOfStock"  # a timeout shows nothing
    write(store, [ok(lid, "49.00", NOW + 3 * HOUR)])  # back in stock, priced
    back = state_of(store, lid)
    assert (back.seen_availability, back.seen_availability_at) == ("InStock", NOW + 3 * HOUR)
    assert rules.shown(back, NOW + 3 * HOUR, timedelta(hours=24)).state is RowState.PRICED


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


@pytest.mark.parametrize(
    ("error", "stored"),
    [
        (None, "the page offers several prices and none is clearly the listing's"),
        ("  ", "the page offers several prices and none is clearly the listing's"),
        ("two\n  packs", "two packs"),
    ],
)
def test_a_failure_is_stored_as_a_sentence(
    store: Store, ids: list[int], error: str | None, stored: str
) -> None:
    write(store, [Check(ids[0], CheckStatus.AMBIGUOUS, NOW, error=error)])
    assert listing(store, ids[0]).last_error == stored


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
    # Spans, listings, then the data version and the products it marks (store/versions.py).
    assert second.count("UPDATE") == 4 and "INSERT" not in second


def test_checks_of_unknown_listings_are_skipped(store: Store, ids: list[int]) -> None:
    assert write(store, [ok(999_999, "10.00", NOW)]).checks == 0


def test_provenance_lists_the_current_span_and_history(store: Store, ids: list[int]) -> None:
    lid = ids[0]
    for hours, price in enumerate(["75.00", "70.00", "72.00"]):
        write(store, [ok(lid, price, NOW + timedelta(hours=hours), agreed=("json-ld", "page"))])
    with store.sessions.begin() as session:
        found = listing_provenance(session, lid, history=2)
        assert listing_provenance(session, 999_999) is None
    assert found is not None and found.current is not None
    assert (found.current.price, found.current.page_hash) == (Decimal("72.00"), "h72.00")
    assert found.current.agreed == ("json-ld", "page")
    assert [s.price for s in found.history] == [Decimal("72.00"), Decimal("70.00")]
