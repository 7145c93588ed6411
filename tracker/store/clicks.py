"""Counted clicks on affiliate links: one per visitor, listing and window; reports for operators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, String, cast, func, select
from sqlalchemy.orm import Session

from tracker.store.models import Click, Listing, Product, Vendor

UNKNOWN_ARTICLE = "(no referring page)"


def record_visit(
    session: Session,
    listing_id: int,
    now: datetime,
    *,
    visitor: str,
    article: str | None,
    window: timedelta,
) -> bool:
    """Count a click unless the same visitor clicked the same listing within ``window``.

    Reads through the (listing_id, clicked_at) index. Returns whether a row was written.
    """
    seen = session.scalar(
        select(Click.id)
        .where(
            Click.listing_id == listing_id,
            Click.clicked_at > now - window,
            Click.visitor == visitor,
        )
        .limit(1)
    )
    if seen is not None:
        return False
    session.add(Click(listing_id=listing_id, clicked_at=now, visitor=visitor, article=article))
    session.flush()
    return True


@dataclass(frozen=True)
class ClickRow:
    key: str  # what the row counts: a listing, a vendor or an article
    detail: str
    total: int
    unique: int
    listing_id: int | None = None


@dataclass(frozen=True)
class ClickReport:
    since: datetime
    until: datetime
    listings: list[ClickRow]
    vendors: list[ClickRow]
    articles: list[ClickRow]

    @property
    def total(self) -> int:
        return sum(r.total for r in self.vendors)


def _counts() -> tuple[ColumnElement[int], ColumnElement[int]]:
    # A click without a visitor key (recorded before keys existed) counts as its own visitor.
    unique = func.count(func.distinct(func.coalesce(Click.visitor, cast(Click.id, String))))
    return func.count(Click.id).label("total"), unique.label("unique")


def click_report(session: Session, since: datetime, until: datetime) -> ClickReport:
    """Total and unique clicks per listing, vendor and referring article in [since, until]."""
    total, unique = _counts()
    window = (Click.clicked_at >= since, Click.clicked_at <= until)
    by_listing = session.execute(
        select(Click.listing_id, Product.slug, Vendor.name, Listing.label, total, unique)
        .join(Listing, Listing.id == Click.listing_id)
        .join(Product, Product.id == Listing.product_id)
        .join(Vendor, Vendor.id == Listing.vendor_id)
        .where(*window)
        .group_by(Click.listing_id, Product.slug, Vendor.name, Listing.label)
        .order_by(total.desc(), Click.listing_id)
    ).all()
    by_vendor = session.execute(
        select(Vendor.name, total, unique)
        .join(Listing, Listing.vendor_id == Vendor.id)
        .join(Click, Click.listing_id == Listing.id)
        .where(*window)
        .group_by(Vendor.name)
        .order_by(total.desc(), Vendor.name)
    ).all()
    by_article = session.execute(
        select(Click.article, total, unique)
        .where(*window)
        .group_by(Click.article)
        .order_by(total.desc(), Click.article)
    ).all()
    return ClickReport(
        since,
        until,
        [
            ClickRow(f"{slug} / {vendor}", label, t, u, listing_id)
            for listing_id, slug, vendor, label, t, u in by_listing
        ],
        [ClickRow(name, "", t, u) for name, t, u in by_vendor],
        [ClickRow(article or UNKNOWN_ARTICLE, "", t, u) for article, t, u in by_article],
    )
