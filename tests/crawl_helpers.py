"""Set up a tracker over a scripted site, crawl it for real, and read back what was stored."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import select

from tracker import services
from tracker.config import Settings, load_settings
from tracker.scheduling.runners import CrawlOutcome
from tracker.store.engine import open_store
from tracker.store.models import Listing, ObservationSpan


def write_project(folder: Path, catalog: dict[str, Any], **crawl: object) -> Settings:
    """A tracker.toml on SQLite in ``folder`` with this catalog and crawl settings."""
    folder.mkdir(parents=True, exist_ok=True)
    catalog_file = folder / "catalog.yaml"
    catalog_file.write_text(yaml.safe_dump(catalog, sort_keys=False), encoding="utf-8")
    values: dict[str, object] = {
        "download_delay": 0,
        "time_limit_seconds": 120,
        "concurrency_per_domain": 8,
        "contact_url": '"http://127.0.0.1/tests"',
        **crawl,
    }
    lines = [
        f'database_url = "sqlite:///{folder / "tracker.db"}"',
        f'catalog = "{catalog_file}"',
        "[crawl]",
        *[f"{key} = {value}" for key, value in values.items()],
    ]
    config = folder / "tracker.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return load_settings(config)


def vendor(slug: str, homepage: str, listings: list[dict[str, Any]], **extra: Any) -> dict:
    return {
        "slug": slug,
        "name": slug.title(),
        "homepage": homepage,
        "currency": "USD",
        "listings": listings,
        **extra,
    }


def listing(key: str, url: str, **extra: Any) -> dict[str, Any]:
    return {"product": "pill", "label": key, "key": key, "url": url, **extra}


def catalog(*vendors: dict[str, Any]) -> dict[str, Any]:
    return {"products": [{"slug": "pill", "name": "Pill"}], "vendors": list(vendors)}


def sync_and_crawl(settings: Settings) -> CrawlOutcome:
    store = open_store(settings.database_url)
    try:
        services.sync_catalog_file(store, settings.catalog, env={})
        return services.crawl(settings, store)
    finally:
        store.close()


@dataclass(frozen=True)
class Stored:
    """One listing after a crawl: its check state and its spans, oldest first."""

    status: str | None
    error: str | None
    failures: int
    price: Any
    confirmed: bool | None
    spans: list[ObservationSpan]

    @property
    def prices(self) -> list[str]:
        return [f"{s.price:.2f}" for s in self.spans]


def stored(settings: Settings) -> dict[str, Stored]:
    store = open_store(settings.database_url)
    try:
        with store.sessions.begin() as session:
            spans: dict[int, list[ObservationSpan]] = {}
            for span in session.scalars(select(ObservationSpan).order_by(ObservationSpan.id)):
                spans.setdefault(span.listing_id, []).append(span)
            out = {}
            for row in session.scalars(select(Listing)):
                current = next(
                    (s for s in spans.get(row.id, []) if s.id == row.current_span_id), None
                )
                out[row.key] = Stored(
                    status=row.last_status,
                    error=row.last_error,
                    failures=row.consecutive_failures,
                    price=f"{current.price:.2f}" if current else None,
                    confirmed=current.confirmed if current else None,
                    spans=spans.get(row.id, []),
                )
            return out
    finally:
        store.close()
