"""Repository functions. Each takes a session; the caller owns the transaction."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased, joinedload

from tracker.crawljob import CrawlTarget
from tracker.domain import ListingState, RunStatus
from tracker.store import versions
from tracker.store.models import CrawlRun, LinkCheck, Listing, ObservationSpan, Product, Vendor
from tracker.store.recording import CheckCounts, record_checks
from tracker.store.states import build_state, chosen_link, profiles, state_columns

if TYPE_CHECKING:  # the catalog's models cost a crawl process ~90 ms to import, for nothing
    from tracker.catalog import Catalog

__all__ = ["CheckCounts", "record_checks"]  # re-exported: the pipeline writes through repo

TARGETS_CHUNK = 1000  # crawl targets fetched at a time


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    deactivated: list[str] = field(default_factory=list)
    unchanged: int = 0
    # Entries whose only change is the origin of their addresses (a site that moved, such as
    # the demo's sample site on another port): (old origin, new origin) -> entry names.
    moved: dict[tuple[str, str], list[str]] = field(default_factory=dict)

    def note(self, name: str, changes: Mapping[str, tuple[object, object]]) -> bool:
        """Count an entry whose values changed: as moved when only its addresses' origin did."""
        if not changes:
            return False
        origins = {_origin_move(old, new) for old, new in changes.values()}
        if len(origins) == 1 and None not in origins:
            [pair] = origins
            assert pair is not None
            self.moved.setdefault(pair, []).append(name)
        elif name not in self.updated:
            self.updated.append(name)
        return True

    def unmove(self, name: str) -> None:
        """An entry counted as moved changed otherwise too: count it as updated."""
        for names in self.moved.values():
            if name in names:
                names.remove(name)
                self.updated.append(name)
        self.moved = {pair: names for pair, names in self.moved.items() if names}


def _origin_move(old: object, new: object) -> tuple[str, str] | None:
    """(old origin, new origin) when two addresses differ by scheme, host or port alone."""
    if not (isinstance(old, str) and isinstance(new, str)):
        return None
    a, b = urlsplit(old), urlsplit(new)
    if not (a.netloc and b.netloc) or (a.scheme, a.netloc) == (b.scheme, b.netloc):
        return None
    if (a.path, a.query, a.fragment) != (b.path, b.query, b.fragment):
        return None
    return f"{a.scheme}://{a.netloc}", f"{b.scheme}://{b.netloc}"


def _assign(row: object, values: Mapping[str, object]) -> dict[str, tuple[object, object]]:
    """Set the values that differ; return them as name -> (old, new)."""
    changes: dict[str, tuple[object, object]] = {}
    for name, value in values.items():
        old = getattr(row, name)
        if old != value:
            setattr(row, name, value)
            changes[name] = (old, value)
    return changes


def sync_catalog(session: Session, catalog: Catalog) -> SyncReport:
    """Upsert products, vendors and listings; deactivate what left the file, delete nothing."""
    report = SyncReport()
    versions.lock(session)  # before any row it changes (see versions.lock)
    products = {p.slug: p for p in session.scalars(select(Product))}
    for entry in catalog.products:
        values = {
            "name": entry.name,
            "brand": entry.brand,
            "description": entry.description,
            "image": entry.image,
            "active": True,
        }
        product = products.get(entry.slug)
        if product is None:
            product = Product(slug=entry.slug, **values)
            session.add(product)
            products[entry.slug] = product
            report.added.append(f"product {entry.slug}")
        else:
            report.note(f"product {entry.slug}", _assign(product, values))
    in_catalog = {p.slug for p in catalog.products}
    for slug, product in products.items():
        if slug not in in_catalog and product.active:
            product.active = False
            report.deactivated.append(f"product {slug}")

    vendors = {v.slug: v for v in session.scalars(select(Vendor))}
    listings = {(row.vendor_id, row.key): row for row in session.scalars(select(Listing))}
    session.flush()
    seen_listings: set[tuple[int, str]] = set()
    for v_entry in catalog.vendors:
        values = {
            "name": v_entry.name,
            "homepage": v_entry.homepage,
            "currency": v_entry.currency,
            "affiliate_template": v_entry.affiliate,
            "active": True,
        }
        vendor = vendors.get(v_entry.slug)
        if vendor is None:
            vendor = Vendor(slug=v_entry.slug, profile=v_entry.profile(), **values)
            session.add(vendor)
            session.flush()
            vendors[v_entry.slug] = vendor
            report.added.append(f"vendor {v_entry.slug}")
        else:
            report.note(f"vendor {v_entry.slug}", _assign(vendor, values))
        profile = v_entry.profile()
        feed = catalog.feed_of(v_entry.slug)
        if feed is not None and feed.schedule is not None and profile.schedule is None:
            profile = profile.model_copy(update={"schedule": feed.schedule})  # its feed's
        if vendor.profile != profile:
            vendor.profile = profile
            if f"vendor {v_entry.slug}" not in report.added + report.updated:
                report.unmove(f"vendor {v_entry.slug}")
                if f"vendor {v_entry.slug}" not in report.updated:
                    report.updated.append(f"vendor {v_entry.slug}")
        for position, l_entry in enumerate(v_entry.listings):
            strength = l_entry.strength_parts()
            variant = l_entry.variant
            feed_key, feed_value = l_entry.feed.key() if l_entry.feed else (None, None)
            if l_entry.asin is not None:  # priced by Amazon's API, linked to its detail page
                feed_key, feed_value = "asin", l_entry.asin
            l_values = {
                "product_id": products[l_entry.product].id,
                "label": l_entry.label,
                "url": l_entry.url,
                "affiliate_url": v_entry.affiliate_link(l_entry),
                "variant_sku": variant.sku if variant else None,
                "variant_text": variant.text if variant else None,
                "variant_position": variant.position if variant else None,
                "quantity": l_entry.quantity,
                "unit": l_entry.unit,
                "strength_amount": strength[0] if strength else None,
                "strength_unit": strength[1] if strength else None,
                "position": position,
                "active": True,
                "feed_key": feed_key,
                "feed_value": feed_value,
                "feed_link_wanted": bool(l_entry.feed and l_entry.feed.link) or bool(l_entry.asin),
            }
            if not l_values["feed_link_wanted"]:
                l_values["feed_link"] = None
            key = l_entry.listing_key()
            listing = listings.get((vendor.id, key))
            name = f"listing {v_entry.slug}:{key}"
            if listing is None:
                listing = Listing(vendor_id=vendor.id, key=key, consecutive_failures=0, **l_values)
                session.add(listing)  # flushed once at the end: no id is needed before
                report.added.append(name)
            elif not report.note(name, _assign(listing, l_values)):
                report.unchanged += 1
            seen_listings.add((vendor.id, key))
    for (vendor_id, key), listing in listings.items():
        if (vendor_id, key) not in seen_listings and listing.active:
            listing.active = False
            report.deactivated.append(f"listing {key}")
    catalog_vendors = {v.slug for v in catalog.vendors}
    for slug, vendor in vendors.items():
        if slug not in catalog_vendors and vendor.active:
            vendor.active = False
            report.deactivated.append(f"vendor {slug}")
    session.flush()
    if report.added or report.updated or report.deactivated:
        versions.bump(session, every_product=True)
    return report


def active_catalog(session: Session) -> tuple[set[str], set[tuple[str, str]]]:
    """The slugs of the active products and the (vendor slug, key) of the active listings."""
    products = set(session.scalars(select(Product.slug).where(Product.active)))
    query = select(Vendor.slug, Listing.key).join(Vendor, Listing.vendor_id == Vendor.id)
    listings = {(vendor, key) for vendor, key in session.execute(query.where(Listing.active))}
    return products, listings


def crawl_targets(session: Session, vendor_slug: str | None = None) -> Iterator[CrawlTarget]:
    """The active listings to check, each with its vendor's profile, streamed in chunks (a
    feed prices the listings that name a feed item: they are not crawled).

    Plain rows of the columns a crawl needs (no ORM objects), fetched ``TARGETS_CHUNK`` at a
    time; each vendor's profile is read once.
    """
    vendors = select(Vendor.id, Vendor.slug, Vendor.currency, Vendor.homepage, Vendor.profile)
    vendors = vendors.where(Vendor.active)
    if vendor_slug is not None:
        vendors = vendors.where(Vendor.slug == vendor_slug)
    by_id = {row.id: row for row in session.execute(vendors)}
    if not by_id:
        return
    listing = Listing.__table__
    query = (
        select(
            listing.c.id,
            listing.c.url,
            listing.c.vendor_id,
            listing.c.variant_sku,
            listing.c.variant_text,
            listing.c.variant_position,
        )
        .join(Vendor, listing.c.vendor_id == Vendor.id)
        .where(
            listing.c.active,
            listing.c.feed_key.is_(None),
            listing.c.vendor_id.in_(sorted(by_id)),
        )
        .order_by(Vendor.slug, listing.c.position, listing.c.id)
        .execution_options(yield_per=TARGETS_CHUNK)
    )
    for row in session.execute(query):
        vendor = by_id[row.vendor_id]
        yield CrawlTarget(
            listing_id=row.id,
            url=row.url,
            vendor_slug=vendor.slug,
            vendor_currency=vendor.currency,
            vendor_profile=vendor.profile,
            variant_sku=row.variant_sku,
            variant_text=row.variant_text,
            variant_position=row.variant_position,
            vendor_homepage=vendor.homepage,
        )


def vendor_by_slug(session: Session, slug: str) -> Vendor | None:
    return session.scalar(select(Vendor).where(Vendor.slug == slug))


def vendors_to_crawl(session: Session) -> list[str]:
    """The active vendors with at least one active listing to crawl (not priced by a feed):
    what a crawl of all vendors checks."""
    query = (
        select(Vendor.slug)
        .join(Listing, Listing.vendor_id == Vendor.id)
        .where(Listing.active, Vendor.active, Listing.feed_key.is_(None))
        .group_by(Vendor.slug)
        .order_by(Vendor.slug)
    )
    return list(session.scalars(query))


def start_run(
    session: Session,
    *,
    vendor_slug: str,
    now: datetime,
    runner: str = "local",
    trigger: str = "manual",
    job_id: str | None = None,
    expected: int = 0,
) -> CrawlRun:
    """Record the start of one vendor's crawl (a crawl of several vendors has a run for each)."""
    vendor = vendor_by_slug(session, vendor_slug)
    if vendor is None:
        raise LookupError(f"unknown vendor {vendor_slug!r} (not in the synced catalog)")
    run = CrawlRun(
        vendor_id=vendor.id,
        runner=runner,
        trigger=trigger,
        job_id=job_id,
        host=socket.gethostname(),
        pid=os.getpid(),
        started_at=now,
        status=RunStatus.RUNNING,
        expected=expected,
        pages=0,
        checks=0,
        offers=0,
        failures=0,
    )
    session.add(run)
    session.flush()
    return run


def runs_by_id(session: Session, run_ids: Iterable[int]) -> list[CrawlRun]:
    """The runs with their vendors loaded, oldest first."""
    return list(
        session.scalars(
            select(CrawlRun)
            .options(joinedload(CrawlRun.vendor))
            .where(CrawlRun.id.in_(list(run_ids)))
            .order_by(CrawlRun.id)
        )
    )


def add_to_run(session: Session, run_id: int, counts: CheckCounts, pages: int) -> None:
    session.execute(
        update(CrawlRun)
        .where(CrawlRun.id == run_id)
        .values(
            pages=CrawlRun.pages + pages,
            checks=CrawlRun.checks + counts.checks,
            offers=CrawlRun.offers + counts.offers,
            failures=CrawlRun.failures + counts.failures,
        )
    )


def finish_run(
    session: Session, run_id: int, now: datetime, status: RunStatus, error: str | None = None
) -> CrawlRun:
    run = session.get_one(CrawlRun, run_id)
    run.finished_at = now
    run.status = status
    run.error = error
    session.flush()
    return run


def listing_states(
    session: Session, product_slugs: Iterable[str] | None = None
) -> list[ListingState]:
    """Active listings with their current span: one indexed query, whatever the history."""
    span = aliased(ObservationSpan)
    listing = Listing.__table__
    query = (
        select(Product.slug, Product.name, *state_columns(span))
        .join(Vendor, listing.c.vendor_id == Vendor.id)
        .join(Product, listing.c.product_id == Product.id)
        .outerjoin(span, listing.c.current_span_id == span.id)
        .outerjoin(LinkCheck, LinkCheck.listing_id == listing.c.id)
        .where(listing.c.active, Vendor.active)
        .order_by(Product.slug, Vendor.slug, listing.c.position, listing.c.id)
    )
    if product_slugs is not None:
        query = query.where(Product.slug.in_(list(product_slugs)))
    profile_of = profiles()
    return [
        build_state(row[2:], row[0], row[1], profile_of)
        for row in map(tuple, session.execute(query))
    ]


def outbound_link(listing: Listing) -> str:
    """The listing's link: its feed item's deep link when it asks for it and has one."""
    return chosen_link(listing.affiliate_url, listing.feed_link_wanted, listing.feed_link)


def products_by_slug(session: Session, slugs: Iterable[str]) -> dict[str, Product]:
    return {
        p.slug: p for p in session.scalars(select(Product).where(Product.slug.in_(list(slugs))))
    }


def product_slugs_of_vendor(session: Session, vendor_slug: str) -> set[str]:
    query = (
        select(Product.slug)
        .join(Listing, Listing.product_id == Product.id)
        .join(Vendor, Listing.vendor_id == Vendor.id)
        .where(Vendor.slug == vendor_slug, Listing.active)
    )
    return set(session.scalars(query))


def count_spans(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ObservationSpan)) or 0
