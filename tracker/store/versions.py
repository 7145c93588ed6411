"""The data version: a counter that every write a buy box shows advances.

The crawl (each batch of readings), the catalog sync (when it changes anything) and the
operator's review of a held price call ``bump``: it advances the one counter and marks the
products whose boxes the write touched with the new value. Readers compare numbers instead of
data: the live server reads ``current`` at most once a second to key its cache, and
``tracker render`` skips an article whose products' versions (``of_products``) are those it
last rendered.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from sqlalchemy import Table, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from tracker.store.models import DataVersion, Listing, Product

NAME = "data"


def lock(session: Session) -> None:
    """Take the version's row lock now (PostgreSQL; SQLite's write lock is already held).

    Every writer that bumps takes this lock first, before any row it changes: writers then
    queue in one order and never deadlock on each other's listings and products.
    """
    table = cast(Table, DataVersion.__table__)
    session.execute(select(table.c.version).where(table.c.name == NAME).with_for_update())


def advance(session: Session) -> int:
    """Advance the counter (taking its row lock) and return the new version."""
    table = cast(Table, DataVersion.__table__)
    found = session.execute(
        update(table)
        .where(table.c.name == NAME)
        .values(version=table.c.version + 1)
        .returning(table.c.version)
    ).scalar()
    if found is None:
        # A database created before the row existed: the first writer adds it.
        session.execute(table.insert().values(name=NAME, version=1))
    return int(found or 1)


def mark(
    session: Session,
    version: int,
    *,
    listing_ids: Iterable[int] = (),
    product_ids: Iterable[int] = (),
    every_product: bool = False,
) -> None:
    """Mark the products of the given listings (or the given products, or all) changed."""
    products = cast(Table, Product.__table__)
    if every_product:
        session.execute(update(products).values(data_version=version))
        return
    listings = sorted(set(listing_ids))
    if listings:
        of_listings = select(Listing.product_id).where(Listing.id.in_(listings))
        session.execute(
            update(products).where(products.c.id.in_(of_listings)).values(data_version=version)
        )
    ids = sorted(set(product_ids))
    if ids:
        session.execute(update(products).where(products.c.id.in_(ids)).values(data_version=version))


def bump(
    session: Session,
    *,
    listing_ids: Iterable[int] = (),
    product_ids: Iterable[int] = (),
    every_product: bool = False,
) -> int:
    """Advance the version and mark the products of the given listings (or all) with it."""
    version = advance(session)
    mark(
        session,
        version,
        listing_ids=listing_ids,
        product_ids=product_ids,
        every_product=every_product,
    )
    return version


def current(connection: Connection | Session) -> int:
    """The data version now (0 for a database that was never written)."""
    table = DataVersion.__table__
    found = connection.execute(select(table.c.version).where(table.c.name == NAME)).scalar()
    return int(found or 0)


def of_products(session: Session, slugs: Iterable[str]) -> dict[str, int]:
    """The version at which each product's data last changed, by slug (active or not)."""
    wanted = sorted(set(slugs))
    if not wanted:
        return {}
    table = Product.__table__
    query = select(table.c.slug, table.c.data_version).where(table.c.slug.in_(wanted))
    return {slug: int(version or 0) for slug, version in session.execute(query)}
