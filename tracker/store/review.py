"""The operator's word on a reading the publish gate holds: accept it, or reject it.

`tracker prices --accept LISTING` publishes the held reading at once. `tracker prices --reject
LISTING` marks it bad: the listing goes back to its last confirmed price (shown while that is
fresh), and the same reading seen again stays rejected. A rejected reading can still be
accepted later (the shop did change its price).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.domain import CheckStatus, time_text
from tracker.store import versions
from tracker.store.models import Listing, ObservationSpan


class ReviewError(LookupError):
    """Nothing to accept or reject; the message says what the listing shows."""


@dataclass(frozen=True)
class Reviewed:
    listing_id: int
    price: Decimal
    currency: str
    accepted: bool
    restored: tuple[Decimal, str] | None = None  # after a reject: the price shown again


def _held(session: Session, listing: Listing, *, rejected_too: bool) -> ObservationSpan:
    span = session.get(ObservationSpan, listing.current_span_id or 0)
    if span is not None and not span.confirmed and not span.rejected:
        return span
    if rejected_too and listing.rejected_span_id is not None:
        bad = session.get(ObservationSpan, listing.rejected_span_id)
        if bad is not None and bad.rejected:
            return bad
    raise ReviewError(f"listing {listing.id} has no held price (see `tracker prices`)")


def _listing(session: Session, listing_id: int) -> Listing:
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise ReviewError(f"no listing with id {listing_id} (see the ids in `tracker prices`)")
    return listing


def accept(session: Session, listing_id: int, now: datetime) -> Reviewed:
    """Publish the listing's held (or rejected) reading now."""
    versions.lock(session)
    listing = _listing(session, listing_id)
    span = _held(session, listing, rejected_too=True)
    note = f"accepted by the operator at {time_text(now)} UTC"
    span.held_reason = f"{span.held_reason}; {note}" if span.held_reason else note
    span.confirmed, span.rejected = True, False
    listing.current_span_id = span.id
    listing.rejected_span_id = None
    listing.last_status, listing.last_error = CheckStatus.OK, None
    session.flush()
    versions.bump(session, product_ids=[listing.product_id])
    return Reviewed(listing.id, span.price, span.currency, accepted=True)


def reject(session: Session, listing_id: int, now: datetime) -> Reviewed:
    """Mark the listing's held reading bad and go back to its last confirmed price."""
    versions.lock(session)
    listing = _listing(session, listing_id)
    span = _held(session, listing, rejected_too=False)
    note = f"rejected by the operator at {time_text(now)} UTC"
    span.held_reason = f"{span.held_reason}; {note}" if span.held_reason else note
    span.rejected = True
    previous = session.scalars(
        select(ObservationSpan)
        .where(ObservationSpan.listing_id == listing.id, ObservationSpan.confirmed)
        .order_by(ObservationSpan.last_seen_at.desc(), ObservationSpan.id.desc())
        .limit(1)
    ).first()
    listing.current_span_id = previous.id if previous is not None else None
    listing.rejected_span_id = span.id
    listing.last_error = (
        f"the reading {span.price:.2f} {span.currency} was rejected by the operator; "
        "the last confirmed price stays"
    )
    session.flush()
    versions.bump(session, product_ids=[listing.product_id])
    restored = (previous.price, previous.currency) if previous is not None else None
    return Reviewed(listing.id, span.price, span.currency, accepted=False, restored=restored)
