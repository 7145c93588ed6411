"""A listing's state, built in one place from one row shape (Core columns, no ORM objects).

`repo.listing_states` (the commands, the scheduler, the dashboard) and `boxdata.product_rows`
(the buy boxes) select ``state_columns`` after their own leading columns and hand the rest of
each row to ``build_state``: what a listing shows is read the same way everywhere.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import JSON, type_coerce

from tracker.domain import ListingState
from tracker.profile import VendorProfile
from tracker.store.models import LinkCheck, Listing, Vendor

ProfileOf = Callable[[int, Any], VendorProfile]  # (vendor id, stored profile) -> typed profile


def state_columns(span: Any) -> list[Any]:
    """The columns ``build_state`` reads, in its order; ``span`` is the current span's alias
    (outer-joined on ``listings.current_span_id``), and ``link_checks`` is outer-joined too."""
    listing = Listing.__table__
    vendor = Vendor.__table__
    return [
        listing.c.id,
        listing.c.label,
        listing.c.url,
        listing.c.affiliate_url,
        listing.c.feed_link_wanted,
        listing.c.feed_link,
        listing.c.quantity,
        listing.c.unit,
        listing.c.strength_amount,
        listing.c.strength_unit,
        listing.c.position,
        listing.c.last_checked_at,
        listing.c.last_status,
        listing.c.last_error,
        listing.c.consecutive_failures,
        listing.c.seen_availability,
        listing.c.seen_availability_at,
        vendor.c.id.label("vendor_id"),
        vendor.c.slug.label("vendor_slug"),
        vendor.c.name.label("vendor_name"),
        vendor.c.homepage,
        vendor.c.affiliate_template,
        type_coerce(Vendor.profile, JSON).label("profile"),
        span.price,
        span.currency,
        span.availability,
        span.regular_price,
        span.confirmed,
        span.first_seen_at,
        span.last_seen_at,
        span.held_reason,
        LinkCheck.__table__.c.broken_since,
    ]


def build_state(
    values: Sequence[Any], product_slug: str, product_name: str, profile_of: ProfileOf
) -> ListingState:
    """The state of one listing from the values of ``state_columns`` (a plain tuple: a Row's
    attribute lookups cost more than the rest on the box's read path)."""
    (
        listing_id,
        label,
        url,
        affiliate_url,
        feed_link_wanted,
        feed_link,
        quantity,
        unit,
        strength_amount,
        strength_unit,
        position,
        last_checked_at,
        last_status,
        last_error,
        consecutive_failures,
        seen_availability,
        seen_availability_at,
        vendor_id,
        vendor_slug,
        vendor_name,
        homepage,
        affiliate_template,
        stored_profile,
        price,
        currency,
        availability,
        regular_price,
        confirmed,
        first_seen_at,
        last_seen_at,
        held_reason,
        link_broken_since,
    ) = values
    profile = profile_of(vendor_id, stored_profile)
    display = profile.display
    return ListingState(
        listing_id=listing_id,
        product_slug=product_slug,
        product_name=product_name,
        vendor_slug=vendor_slug,
        vendor_name=vendor_name,
        label=label,
        url=url,
        affiliate_url=chosen_link(affiliate_url, feed_link_wanted, feed_link),
        quantity=quantity,
        unit=unit,
        strength_amount=strength_amount,
        strength_unit=strength_unit,
        position=position,
        price=price,
        currency=currency,
        availability=availability,
        regular_price=regular_price,
        confirmed=bool(confirmed),
        first_seen_at=first_seen_at,
        last_seen_at=last_seen_at,
        last_checked_at=last_checked_at,
        last_status=last_status,
        last_error=last_error,
        consecutive_failures=consecutive_failures,
        vendor_homepage=homepage,
        vendor_affiliate_template=affiliate_template,
        # A held reason belongs to a held span only (a current span that is not confirmed).
        held_reason=held_reason if confirmed is not None and not confirmed else None,
        seen_availability=seen_availability,
        seen_availability_at=seen_availability_at,
        link_only=display.link_only,
        max_age_hours=display.max_age_hours,
        amazon_marketplace=profile.amazon.marketplace if profile.amazon else None,
        link_broken=link_broken_since is not None,
        fallback_url=display.fallback_url,
    )


def chosen_link(affiliate_url: str, feed_link_wanted: bool | None, feed_link: str | None) -> str:
    """A listing's outbound link: its feed item's deep link when it asks for it and has one."""
    return feed_link if feed_link_wanted and feed_link else affiliate_url


def profiles() -> ProfileOf:
    """A ``profile_of`` that parses each vendor's stored profile once (for one read)."""
    known: dict[int, tuple[Any, VendorProfile]] = {}

    def profile_of(vendor_id: int, stored: Any) -> VendorProfile:
        hit = known.get(vendor_id)
        if hit is not None and hit[0] == stored:
            return hit[1]
        parsed = VendorProfile.from_stored(stored)
        known[vendor_id] = (stored, parsed)
        return parsed

    return profile_of
