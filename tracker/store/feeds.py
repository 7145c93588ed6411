"""What a feed run reads and writes besides the checks: its listings, its state, deep links."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from tracker.domain import VariantSpec
from tracker.store.models import FeedState, Listing, Vendor


@dataclass(frozen=True)
class FeedTarget:
    """One active listing a feed prices: how it finds its item, and its vendor's facts."""

    listing_id: int
    vendor_slug: str
    vendor_currency: str
    key: str  # gtin, mpn, id, sku, url, item_group
    value: str
    variant: VariantSpec
    link_wanted: bool
    vendor_homepage: str
    vendor_template: str | None


def feed_targets(session: Session, vendor_slugs: Iterable[str]) -> list[FeedTarget]:
    """The active listings of the vendors that name a feed item."""
    query = (
        select(Listing, Vendor)
        .join(Vendor, Listing.vendor_id == Vendor.id)
        .where(
            Listing.active,
            Vendor.active,
            Vendor.slug.in_(list(vendor_slugs)),
            Listing.feed_key.is_not(None),
        )
        .order_by(Vendor.slug, Listing.position, Listing.id)
    )
    return [
        FeedTarget(
            listing_id=listing.id,
            vendor_slug=vendor.slug,
            vendor_currency=vendor.currency,
            key=listing.feed_key or "",
            value=listing.feed_value or "",
            variant=VariantSpec(
                listing.variant_sku, listing.variant_text, listing.variant_position
            ),
            link_wanted=listing.feed_link_wanted,
            vendor_homepage=vendor.homepage,
            vendor_template=vendor.affiliate_template,
        )
        for listing, vendor in session.execute(query)
    ]


def feed_state(session: Session, name: str) -> FeedState | None:
    return session.get(FeedState, name)


def save_feed_state(session: Session, name: str, **values: Any) -> FeedState:
    """Create or update a feed's state with the given columns."""
    state = session.get(FeedState, name)
    if state is None:
        state = FeedState(name=name)
        session.add(state)
    for column, value in values.items():
        setattr(state, column, value)
    session.flush()
    return state


def feed_states(session: Session) -> list[FeedState]:
    return list(session.scalars(select(FeedState).order_by(FeedState.name)))


def set_feed_links(session: Session, links: Mapping[int, str]) -> None:
    """Keep each listing's feed item deep link (shown when the listing takes it)."""
    if links:
        session.execute(
            update(Listing), [{"id": lid, "feed_link": link} for lid, link in links.items()]
        )
