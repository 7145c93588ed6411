"""Where a listing's price came from: its current span, check state and recent history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from tracker.domain import CheckStatus
from tracker.store.models import Listing, ObservationSpan, Product, Vendor


@dataclass(frozen=True)
class SpanRecord:
    """One observation span with its provenance."""

    id: int
    price: Decimal
    currency: str
    availability: str
    regular_price: Decimal | None
    first_seen_at: datetime
    last_seen_at: datetime
    confirmed: bool
    seen_count: int
    source: str | None
    raw_price: str | None
    page_hash: str | None
    agreed: tuple[str, ...] = ()  # the page's sources that agreed on the price
    held_reason: str | None = None  # why the publish gate held it (and who decided)
    rejected: bool = False

    @classmethod
    def of(cls, span: ObservationSpan) -> SpanRecord:
        return cls(
            span.id,
            span.price,
            span.currency,
            span.availability,
            span.regular_price,
            span.first_seen_at,
            span.last_seen_at,
            bool(span.confirmed),
            span.seen_count or 1,
            span.source,
            span.raw_price,
            span.page_hash,
            tuple(s for s in (span.agreed or "").split(",") if s),
            span.held_reason,
            bool(span.rejected),
        )


@dataclass(frozen=True)
class ListingProvenance:
    listing_id: int
    product: str
    vendor: str
    label: str
    url: str
    active: bool
    last_checked_at: datetime | None
    last_ok_at: datetime | None
    last_status: CheckStatus | None
    last_error: str | None
    consecutive_failures: int
    current: SpanRecord | None
    history: list[SpanRecord]  # newest first, the current span included


def listing_provenance(
    session: Session, listing_id: int, history: int = 5
) -> ListingProvenance | None:
    """The listing's current span and its last ``history`` spans, or None if unknown."""
    row = session.execute(
        select(Listing, Vendor.name, Product.name)
        .join(Vendor, Listing.vendor_id == Vendor.id)
        .join(Product, Listing.product_id == Product.id)
        .where(Listing.id == listing_id)
    ).first()
    if row is None:
        return None
    listing, vendor_name, product_name = row
    spans = session.scalars(
        select(ObservationSpan)
        .where(ObservationSpan.listing_id == listing_id)
        .order_by(ObservationSpan.last_seen_at.desc(), ObservationSpan.id.desc())
        .limit(history)
    ).all()
    current = None
    if listing.current_span_id is not None:
        current = session.get(ObservationSpan, listing.current_span_id)
    return ListingProvenance(
        listing_id=listing.id,
        product=product_name,
        vendor=vendor_name,
        label=listing.label,
        url=listing.url,
        active=listing.active,
        last_checked_at=listing.last_checked_at,
        last_ok_at=listing.last_ok_at,
        last_status=listing.last_status,
        last_error=listing.last_error,
        consecutive_failures=listing.consecutive_failures or 0,
        current=SpanRecord.of(current) if current else None,
        history=[SpanRecord.of(s) for s in spans],
    )
