"""Plain functions behind the commands: each takes settings and does one job."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from tracker.catalog import load_catalog
from tracker.config import Settings
from tracker.domain import ListingState
from tracker.scheduling.runners import CrawlOutcome, run_local_crawl
from tracker.store import provenance, repo
from tracker.store.engine import Store, open_store
from tracker.store.provenance import ListingProvenance


def open_settings_store(settings: Settings) -> Store:
    """Open the database, migrated to the newest schema."""
    return open_store(settings.database_url)


def sync_catalog_file(
    store: Store, path: Path, env: Mapping[str, str] | None = None
) -> repo.SyncReport:
    """Validate the catalog file, then upsert it in one transaction (all or nothing)."""
    catalog = load_catalog(path, env)
    with store.sessions.begin() as session:
        return repo.sync_catalog(session, catalog)


def crawl(
    settings: Settings,
    store: Store,
    vendor: str | None = None,
    *,
    extra_env: Mapping[str, str] | None = None,
    on_progress: Callable[[CrawlOutcome], None] | None = None,
) -> CrawlOutcome:
    """Crawl one vendor, or every vendor with active listings, now (one run per vendor)."""
    return run_local_crawl(settings, store, vendor, extra_env=extra_env, on_progress=on_progress)


def listing_provenance(store: Store, listing_id: int) -> ListingProvenance:
    """The listing's current price with where it came from, its check state and history."""
    with store.sessions.begin() as session:
        found = provenance.listing_provenance(session, listing_id)
    if found is None:
        raise LookupError(f"no listing with id {listing_id} (see the ids in `tracker prices`)")
    return found


def current_prices(store: Store, product: str | None = None) -> list[ListingState]:
    with store.readers.begin() as session:
        return repo.listing_states(session, [product] if product else None)
