"""What a buy box reads, as plain Core rows: no ORM objects on the read path.

``product_rows`` is one query per product: the product (name, active, data version) with
its active listings and their current spans; ``history_rows`` is one query for the confirmed
spans of some listings since a time (bounded by the (listing_id, last_seen_at) index).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql import Select

from tracker.domain import ListingState, SpanPoint
from tracker.store.models import LinkCheck, Listing, ObservationSpan, Product, Vendor
from tracker.store.states import ProfileOf, build_state, state_columns


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
    vendor = Vendor.__table__
    product = Product.__table__
    listed = and_(listing.c.product_id == product.c.id, listing.c.active)
    return (
        select(
            product.c.slug,
            product.c.name,
            product.c.active,
            product.c.data_version,
            *state_columns(span),
        )
        .select_from(product)
        # Listings of inactive vendors drop out with their vendor (an inner join inside).
        .outerjoin(
            listing.join(vendor, and_(listing.c.vendor_id == vendor.c.id, vendor.c.active)),
            listed,
        )
        .outerjoin(span, listing.c.current_span_id == span.id)
        .outerjoin(LinkCheck.__table__, LinkCheck.__table__.c.listing_id == listing.c.id)
        .where(product.c.slug == bindparam("slug"))
        .order_by(vendor.c.slug, listing.c.position, listing.c.id)
    )


_PRODUCT_QUERY = _product_query()


def product_rows(session: Session, slug: str, profile_of: ProfileOf) -> ProductRows | None:
    """The product and its listing states in one query; None for an unknown slug.

    ``profile_of(vendor_id, stored)`` turns a vendor's stored profile into the typed model
    (the read model keeps the parsed profiles, so a row costs no validation).
    """
    rows = session.connection().execute(_PRODUCT_QUERY, {"slug": slug}).all()
    if not rows:
        return None
    first = tuple(rows[0])
    product_slug, product_name, product_active, data_version = first[:4]
    states = [
        build_state(row[4:], product_slug, product_name, profile_of)
        for row in map(tuple, rows)
        if row[4] is not None  # a product without active listings: one row with no listing
    ]
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
