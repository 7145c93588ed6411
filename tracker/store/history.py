"""Reads of price history for the buy box, and the click counter of /go links."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from tracker.domain import SpanPoint
from tracker.store.models import Click, LinkCheck, Listing, ObservationSpan, Vendor


def price_history(
    session: Session, listing_ids: Iterable[int], since: datetime
) -> dict[int, list[SpanPoint]]:
    """Confirmed spans seen since ``since`` for the given listings, in ONE indexed query.

    The (listing_id, last_seen_at) index bounds the read to the window, so the cost follows
    the number of price changes in the window, not the length of the whole history.
    """
    ids = sorted(set(listing_ids))
    out: dict[int, list[SpanPoint]] = {i: [] for i in ids}
    if not ids:
        return out
    query = (
        select(
            ObservationSpan.listing_id,
            ObservationSpan.price,
            ObservationSpan.currency,
            ObservationSpan.first_seen_at,
            ObservationSpan.last_seen_at,
        )
        .where(
            ObservationSpan.listing_id.in_(ids),
            ObservationSpan.last_seen_at >= since,
            ObservationSpan.confirmed,
        )
        .order_by(ObservationSpan.listing_id, ObservationSpan.first_seen_at)
    )
    for listing_id, price, currency, first_seen_at, last_seen_at in session.execute(query):
        out[listing_id].append(SpanPoint(listing_id, price, currency, first_seen_at, last_seen_at))
    return out


def affiliate_target(session: Session, listing_id: int) -> tuple[str, str, str | None] | None:
    """An active listing's stored affiliate URL (its feed item's deep link when it takes it),
    its vendor's homepage and template, or None."""
    link = case(
        (Listing.feed_link_wanted & Listing.feed_link.is_not(None), Listing.feed_link),
        else_=Listing.affiliate_url,
    )
    query = (
        select(link, Vendor.homepage, Vendor.affiliate_template)
        .join(Vendor, Listing.vendor_id == Vendor.id)
        .where(Listing.id == listing_id, Listing.active)
    )
    row = session.execute(query).one_or_none()
    return None if row is None else (row[0], row[1], row[2])


def link_health(session: Session, listing_id: int) -> tuple[bool, str | None]:
    """Whether a listing's affiliate link is broken (its last checks failed, rules.link_broken)
    and its vendor's fallback URL: what rules.buy_link needs besides affiliate_target."""
    broken = session.scalar(
        select(LinkCheck.broken_since).where(LinkCheck.listing_id == listing_id)
    )
    profile = session.scalar(
        select(Vendor.profile)
        .join(Listing, Listing.vendor_id == Vendor.id)
        .where(Listing.id == listing_id)
    )
    return broken is not None, profile.display.fallback_url if profile is not None else None


def record_click(session: Session, listing_id: int, now: datetime) -> None:
    session.add(Click(listing_id=listing_id, clicked_at=now))
    session.flush()


def click_counts(session: Session) -> dict[int, int]:
    """Clicks per listing id."""
    query = select(Click.listing_id, func.count()).group_by(Click.listing_id)
    return {listing_id: count for listing_id, count in session.execute(query)}
