"""Write a batch of checks: extend or open spans, update check state. A few bulk statements.

One SELECT reads the state of every listing in the batch, the decisions are made in memory,
and the writes go out as one INSERT of the new spans and two executemany UPDATEs (spans,
listings), whatever the batch size: no per-check query, no per-check statement.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session, aliased

from tracker.domain import Availability, Check, CheckStatus
from tracker.pricing import SpanValues
from tracker.rules import Gate, GatePolicy, is_unavailable, publish_gate
from tracker.store import versions
from tracker.store.models import Listing, ObservationSpan


@dataclass
class CheckCounts:
    checks: int = 0
    offers: int = 0
    failures: int = 0
    new_spans: int = 0
    extended: int = 0
    unavailable: int = 0  # pages that say out of stock or discontinued and show no price


@dataclass
class _Span:
    """A span as the batch sees it: stored (``id`` set) or about to be inserted (``new``)."""

    values: SpanValues
    confirmed: bool
    first_seen_at: datetime
    id: int | None = None
    seen_count: int = 1
    held_reason: str | None = None
    new: dict[str, Any] | None = None  # the pending INSERT row


@dataclass
class _Listing:
    row: dict[str, Any]  # the listing's UPDATE row
    span: _Span | None
    confirmed: tuple[Decimal, str] | None  # last confirmed price and currency
    rejected: _Span | None = None  # the reading the operator rejected last


def record_checks(session: Session, checks: Sequence[Check], gate: GatePolicy) -> CheckCounts:
    """Write a batch of checks: extend or open spans; a failure only updates check state.

    The publish gate (``tracker.rules.publish_gate``) decides whether a new price is
    published; a held one opens an unconfirmed span, and the gate decides again each time
    the same values are read. A reading the operator rejected stays rejected when it is read
    again: it counts as a failure and the published price stays as it was.

    What a page shows of stock is kept on the listing, with or without a price: a page that
    says "out of stock" (or discontinued) and shows no price is a reading, not a failure; the
    last price stays in its span, and the box shows the listing out of stock.
    """
    counts = CheckCounts()
    # The data version first: its row lock orders this batch with every other writer.
    version = versions.advance(session) if checks else 0
    state = _load(session, {c.listing_id for c in checks})
    new_spans: list[tuple[int, _Span]] = []
    span_updates: dict[int, dict[str, Any]] = {}
    for check in checks:
        item = state.get(check.listing_id)
        if item is None:
            continue  # removed from the catalog while the crawl ran
        row = item.row
        counts.checks += 1
        row["last_checked_at"] = check.checked_at
        offer = check.offer
        if not check.status.is_success or offer is None or offer.price is None:
            _saw_stock(row, check.availability, check)
            if is_unavailable(check.availability):
                row["last_status"] = check.status
                row["last_error"] = _sentence(check.status, check.error)
                row["consecutive_failures"] = 0
                counts.unavailable += 1
                continue
            _failed(row, check.status, check.error)
            counts.failures += 1
            continue
        _saw_stock(row, offer.availability, check)
        values = SpanValues.of_offer(offer)
        span = item.span
        if span is not None and span.values.same_as(values):
            _seen_again(span, check, span_updates)
            if not span.confirmed:
                span.confirmed = _gate(item, values, check, gate, span.first_seen_at).publish
                _changed(span, span_updates, confirmed=span.confirmed)
            counts.extended += 1
        elif item.rejected is not None and item.rejected.values.same_as(values):
            _seen_again(item.rejected, check, span_updates)
            _failed(
                row,
                CheckStatus.SUSPECT,
                f"reads {values.price} {values.currency} again, the reading the operator "
                "rejected; the last confirmed price stays",
            )
            counts.failures += 1
            continue
        else:
            decision = _gate(item, values, check, gate, None)
            span = _Span(values, decision.publish, check.checked_at, held_reason=decision.reason)
            span.new = {
                "listing_id": check.listing_id,
                "price": values.price,
                "currency": values.currency,
                "availability": values.availability,
                "regular_price": values.regular_price,
                "first_seen_at": check.checked_at,
                "last_seen_at": check.checked_at,
                "confirmed": decision.publish,
                "source": offer.source,
                "raw_price": (offer.raw_price or "")[:200] or None,
                "page_hash": check.page_hash,
                "seen_count": 1,
                "agreed": ",".join(check.agreed)[:200] or None,
                "held_reason": decision.reason,
                "rejected": False,
            }
            new_spans.append((check.listing_id, span))
            item.span = span
            counts.new_spans += 1
        counts.offers += 1
        if span.confirmed:
            item.confirmed = (values.price, values.currency)
        row["last_error"] = None if span.confirmed else span.held_reason
        row["last_status"] = CheckStatus.OK if span.confirmed else CheckStatus.SUSPECT
        row["last_ok_at"] = check.checked_at
        row["consecutive_failures"] = 0
    _write(session, state, new_spans, span_updates)
    if state:
        versions.mark(session, version, listing_ids=state.keys())
    return counts


def _gate(
    item: _Listing, values: SpanValues, check: Check, gate: GatePolicy, held_since: datetime | None
) -> Gate:
    return publish_gate(
        item.confirmed,
        values.price,
        values.currency,
        gate,
        agreed=check.agreed,
        held_since=held_since,
        now=check.checked_at,
    )


def _saw_stock(row: dict[str, Any], availability: Availability, check: Check) -> None:
    """Keep what the page showed of stock (a failure that read no page shows nothing)."""
    if availability is not Availability.UNKNOWN or check.offer is not None:
        row["seen_availability"] = str(availability)
        row["seen_availability_at"] = check.checked_at


def _failed(row: dict[str, Any], status: CheckStatus, error: str | None) -> None:
    row["last_status"] = status
    row["last_error"] = _sentence(status, error)
    row["consecutive_failures"] += 1


def _sentence(status: CheckStatus, error: str | None) -> str:
    """The check's error as stored: never empty (the status says what happened)."""
    return (" ".join((error or "").split()) or status.meaning)[:2000]


def _seen_again(span: _Span, check: Check, span_updates: dict[int, dict[str, Any]]) -> None:
    span.seen_count += 1
    # Every UPDATE row has the same keys: one executemany for the batch.
    _changed(
        span,
        span_updates,
        last_seen_at=check.checked_at,
        seen_count=span.seen_count,
        confirmed=span.confirmed,
    )


def _changed(span: _Span, span_updates: dict[int, dict[str, Any]], **changes: Any) -> None:
    """Change a span: its pending INSERT row, or an UPDATE row for the stored one."""
    if span.new is not None:
        span.new.update(changes)
    else:
        assert span.id is not None
        span_updates.setdefault(span.id, {"id": span.id}).update(changes)


def _load(session: Session, ids: set[int]) -> dict[int, _Listing]:
    if not ids:
        return {}
    rejected = aliased(ObservationSpan)
    rows = session.execute(
        select(
            Listing.id,
            Listing.current_span_id,
            Listing.last_checked_at,
            Listing.last_ok_at,
            Listing.last_status,
            Listing.last_error,
            Listing.consecutive_failures,
            Listing.seen_availability,
            Listing.seen_availability_at,
            ObservationSpan.price,
            ObservationSpan.currency,
            ObservationSpan.availability,
            ObservationSpan.regular_price,
            ObservationSpan.confirmed,
            ObservationSpan.seen_count,
            ObservationSpan.first_seen_at,
            ObservationSpan.held_reason,
            Listing.rejected_span_id,
            rejected.price.label("rejected_price"),
            rejected.currency.label("rejected_currency"),
            rejected.availability.label("rejected_availability"),
            rejected.regular_price.label("rejected_regular_price"),
            rejected.first_seen_at.label("rejected_first_seen_at"),
            rejected.seen_count.label("rejected_seen_count"),
        )
        .outerjoin(ObservationSpan, Listing.current_span_id == ObservationSpan.id)
        .outerjoin(rejected, Listing.rejected_span_id == rejected.id)
        .where(Listing.id.in_(ids))
    ).all()
    state: dict[int, _Listing] = {}
    unconfirmed = []
    for r in rows:
        span = None
        if r.current_span_id is not None:
            values = SpanValues(r.price, r.currency, r.availability, r.regular_price)
            span = _Span(
                values,
                bool(r.confirmed),
                r.first_seen_at,
                r.current_span_id,
                r.seen_count or 1,
                r.held_reason,
            )
            if not r.confirmed:
                unconfirmed.append(r.id)
        bad = None
        if r.rejected_span_id is not None and r.rejected_price is not None:
            bad = _Span(
                SpanValues(
                    r.rejected_price,
                    r.rejected_currency,
                    r.rejected_availability,
                    r.rejected_regular_price,
                ),
                False,
                r.rejected_first_seen_at,
                r.rejected_span_id,
                r.rejected_seen_count or 1,
            )
        state[r.id] = _Listing(
            row={
                "id": r.id,
                "current_span_id": r.current_span_id,
                "last_checked_at": r.last_checked_at,
                "last_ok_at": r.last_ok_at,
                "last_status": r.last_status,
                "last_error": r.last_error,
                "consecutive_failures": r.consecutive_failures or 0,
                "seen_availability": r.seen_availability,
                "seen_availability_at": r.seen_availability_at,
            },
            span=span,
            confirmed=(r.price, r.currency) if r.confirmed else None,
            rejected=bad,
        )
    for listing_id, confirmed in last_confirmed(session, unconfirmed).items():
        state[listing_id].confirmed = confirmed
    return state


def last_confirmed(session: Session, listing_ids: Sequence[int]) -> dict[int, tuple[Decimal, str]]:
    """The latest confirmed span's price and currency of each listing that has one."""
    if not listing_ids:
        return {}
    latest = (
        select(ObservationSpan.listing_id, func.max(ObservationSpan.last_seen_at).label("seen"))
        .where(ObservationSpan.listing_id.in_(listing_ids), ObservationSpan.confirmed)
        .group_by(ObservationSpan.listing_id)
        .subquery()
    )
    rows = session.execute(
        select(ObservationSpan.listing_id, ObservationSpan.price, ObservationSpan.currency)
        .join(
            latest,
            (ObservationSpan.listing_id == latest.c.listing_id)
            & (ObservationSpan.last_seen_at == latest.c.seen),
        )
        .where(ObservationSpan.confirmed)
    )
    return {listing_id: (price, currency) for listing_id, price, currency in rows}


def _write(
    session: Session,
    state: dict[int, _Listing],
    new_spans: list[tuple[int, _Span]],
    span_updates: dict[int, dict[str, Any]],
) -> None:
    if new_spans:
        ids = session.scalars(
            insert(ObservationSpan).returning(ObservationSpan.id, sort_by_parameter_order=True),
            [span.new for _, span in new_spans if span.new is not None],
        ).all()
        for (listing_id, span), span_id in zip(new_spans, ids, strict=True):
            span.id = span_id
            if state[listing_id].span is span:
                state[listing_id].row["current_span_id"] = span_id
    if span_updates:
        session.execute(update(ObservationSpan), list(span_updates.values()))
    if state:
        session.execute(update(Listing), [item.row for item in state.values()])
    # Objects a caller loaded in this session must not show the old values.
    for obj in list(session.identity_map.values()):
        if isinstance(obj, Listing | ObservationSpan):
            session.expire(obj)
