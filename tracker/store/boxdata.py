"""What a buy box reads, as plain Core rows: no ORM objects on the read path.

``product_rows`` is one query per product: the product (name, active, data version) with
its active listings and their current spans; ``history_rows`` is one query for the confirmed
spans of some listings since a time (bounded by the (listing_id, last_seen_at) index).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, and_, bindparam, select, type_coerce
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import Select

from tracker.domain import ListingState, SpanPoint
from tracker.profile import VendorProfile
from tracker.store.models import LinkCheck, Listing, ObservationSpan, Product, Vendor
from tracker.store.repo import chosen_link


@dataclass(frozen=True)
class ProductRows:
    """One product with its active listings' states, as a buy box needs them."""

    slug: str
    name: str
    active: bool
    data_version: int
    states: list[ListingState]


def _product_query() -> Select[Any]:
    span = aliased(ObservationSpan)
    listing = Listing.__table__
    link_check = LinkCheck.__table__
    vendor = Vendor.__table__
    product = Product.__table__
    listed = and_(listing.c.product_id == product.c.id, listing.c.active)
    return (
        select(
            product.c.slug,
            product.c.name,
            product.c.active,
            product.c.data_version,
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
            link_check.c.broken_since,
        )
        .select_from(product)
        # Listings of inactive vendors drop out with their vendor (an inner join inside).
        .outerjoin(
            listing.join(vendor, and_(listing.c.vendor_id == vendor.c.id, vendor.c.active)),
            listed,
        )
        .outerjoin(span, listing.c.current_span_id == span.id)
        .outerjoin(link_check, link_check.c.listing_id == listing.c.id)
        .where(product.c.slug == bindparam("slug"))
        .order_by(vendor.c.slug, listing.c.position, listing.c.id)
    )


_PRODUCT_QUERY = _product_query()


def product_rows(
    session: Session, slug: str, profile_of: Callable[[int, Any], VendorProfile]
) -> ProductRows | None:
    """The product and its listing states in one query; None for an unknown slug.

    ``profile_of(vendor_id, stored)`` turns a vendor's stored profile into the typed model
    (the read model keeps the parsed profiles, so a row costs no validation).
    """
    rows = session.connection().execute(_PRODUCT_QUERY, {"slug": slug}).all()
    if not rows:
        return None
    # Plain tuples, unpacked by position: a Row's attribute lookups cost more than the rest.
    first = tuple(rows[0])
    product_slug, product_name, product_active, data_version = first[:4]
    states = []
    for (
        _slug,
        _name,
        _active,
        _version,
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
    ) in map(tuple, rows):
        if listing_id is None:
            continue  # a product without active listings: one row with no listing
        profile = profile_of(vendor_id, stored_profile)
        display = profile.display
        states.append(
            ListingState(
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
                held_reason=held_reason if confirmed is not None and not confirmed else None,
                seen_availability=seen_availability,
                seen_availability_at=seen_availability_at,
                link_only=display.link_only,
                max_age_hours=display.max_age_hours,
                amazon_marketplace=profile.amazon.marketplace if profile.amazon else None,
                link_broken=link_broken_since is not None,
                fallback_url=display.fallback_url,
            )
        )
    return ProductRows(
        slug=product_slug,
        name=product_name,
        active=bool(product_active),
        data_version=int(data_version or 0),
        states=states,
    )


_SPANS = ObservationSpan.__table__
_HISTORY_QUERY = (
    select(
        _SPANS.c.listing_id,
        _SPANS.c.price,
        _SPANS.c.currency,
        _SPANS.c.first_seen_at,
        _SPANS.c.last_seen_at,
    )
    .where(
        _SPANS.c.listing_id.in_(bindparam("ids", expanding=True)),
        _SPANS.c.last_seen_at >= bindparam("since"),
        _SPANS.c.confirmed,
    )
    .order_by(_SPANS.c.listing_id, _SPANS.c.first_seen_at)
)


def history_rows(
    session: Session, listing_ids: Iterable[int], since: datetime
) -> dict[int, list[SpanPoint]]:
    """Confirmed spans seen since ``since`` of the given listings, in one query (Core rows)."""
    ids = sorted(set(listing_ids))
    out: dict[int, list[SpanPoint]] = {i: [] for i in ids}
    if not ids:
        return out
    for listing_id, price, currency, first, last in session.connection().execute(
        _HISTORY_QUERY, {"ids": ids, "since": since}
    ):
        out[listing_id].append(SpanPoint(listing_id, price, currency, first, last))
    return out
