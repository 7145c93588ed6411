"""Affiliate link checks in the database: what to check, and each listing's last result."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.rules import link_broken
from tracker.store import versions
from tracker.store.models import LinkCheck, Listing, Vendor


@dataclass(frozen=True, slots=True)
class LinkTarget:
    listing_id: int
    vendor: str
    key: str
    url: str  # the affiliate URL, after the vendor's template
    homepage: str
    template: str | None


def targets(session: Session, vendor: str | None = None) -> list[LinkTarget]:
    query = (
        select(Listing, Vendor)
        .join(Vendor, Listing.vendor_id == Vendor.id)
        .where(Listing.active, Vendor.active)
        .order_by(Vendor.slug, Listing.position, Listing.id)
    )
    if vendor is not None:
        query = query.where(Vendor.slug == vendor)
    return [
        LinkTarget(
            listing.id, v.slug, listing.key, listing.affiliate_url, v.homepage, v.affiliate_template
        )
        for listing, v in session.execute(query).all()
    ]


def record(
    session: Session,
    target: LinkTarget,
    now: datetime,
    *,
    status: int | None,
    final_url: str | None,
    final_host: str | None,
    failure: str | None,
) -> LinkCheck:
    """Keep the newest result; failures in a row count towards broken (rules.link_broken)."""
    row = session.get(LinkCheck, target.listing_id)
    if row is None:
        row = LinkCheck(listing_id=target.listing_id, consecutive_failures=0)
        session.add(row)
    row.checked_at = now
    row.url = target.url[:2000]
    row.http_status = status
    row.final_url = final_url[:2000] if final_url else None
    row.final_host = final_host[:300] if final_host else None
    row.failure = failure
    row.consecutive_failures = (row.consecutive_failures or 0) + 1 if failure else 0
    was_broken = row.broken_since is not None
    if not link_broken(row.consecutive_failures):
        row.broken_since = None
    elif row.broken_since is None:
        row.broken_since = now
    if was_broken != (row.broken_since is not None):  # the box's button changes: a new version
        versions.bump(session, listing_ids=[target.listing_id])
    session.flush()
    return row


def results(session: Session) -> list[tuple[str, str, LinkCheck]]:
    """Each active listing's last link check: (vendor slug, listing key, result)."""
    rows = session.execute(
        select(Vendor.slug, Listing.key, LinkCheck)
        .join(Listing, LinkCheck.listing_id == Listing.id)
        .join(Vendor, Listing.vendor_id == Vendor.id)
        .where(Listing.active)
        .order_by(Vendor.slug, Listing.position, Listing.id)
    ).all()
    return [(slug, key, check) for slug, key, check in rows]


def newest_check(session: Session) -> datetime | None:
    return session.scalar(select(func.max(LinkCheck.checked_at)))
