"""`tracker export`: one JSON data file per product for static site generators.

Hugo reads ``data/``, Jekyll and Eleventy ``_data/``; all three read JSON. A file holds the box
of one product as the view model built it (tracker/publishing/viewmodel.py decides freshness,
order and best value; nothing here decides again), with the texts the rendered box shows, so
that the shipped Hugo shortcode and Jekyll include only lay them out.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tracker.config import Settings
from tracker.domain import BuyBox, OfferRow, RowState
from tracker.publishing.buybox import AVAILABILITY_TEXT, BoxRenderer, isotime
from tracker.publishing.publisher import Publisher, atomic_write
from tracker.publishing.viewmodel import amount_text, relative_age, unit_amount_text
from tracker.store import repo
from tracker.store.engine import Store
from tracker.urls import url_problem

FORMAT = 1  # the data file's layout version, bumped when a field changes meaning
# A slug becomes a file name: nothing that could leave the folder or hide a dot file.
_SAFE_SLUG = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class ExportError(Exception):
    """An export that cannot be written; nothing of it is written."""


@dataclass(frozen=True)
class ExportResult:
    slug: str
    target: Path
    changed: bool


def _checked(row: OfferRow, renderer: BoxRenderer, now: datetime) -> dict[str, Any]:
    if row.checked_at is None:
        return {}
    return {
        "checked_at": isotime(row.checked_at),
        "checked_text": renderer.shorttime(row.checked_at),  # what a static box shows
        "checked_title": renderer.sitetime(row.checked_at),  # the full time, with its zone
        "age": relative_age(row.checked_at, now),  # at the time of the export
        "age_seconds": max(0, int((now - row.checked_at).total_seconds())),
    }


def _availability(row: OfferRow) -> dict[str, Any]:
    return {
        "availability": str(row.availability),
        "availability_class": str(row.availability).lower(),
        "availability_text": AVAILABILITY_TEXT.get(row.availability, "Availability unknown"),
    }


def offer_data(row: OfferRow, renderer: BoxRenderer, now: datetime) -> dict[str, Any]:
    """One offer: a price only in a priced row (the view model's decision); its link, or null
    while a broken affiliate link has no fallback (the box then shows no button either)."""
    problem = url_problem(row.link) if row.link is not None else None
    if problem is not None:
        raise ExportError(f"{row.vendor} ({row.label}): link {row.link!r}: {problem}")
    data: dict[str, Any] = {
        "vendor": row.vendor,
        "pack": row.label,
        "state": str(row.state),
        "link": row.link,
        "best_value": row.is_best,
    }
    if row.state is RowState.PRICED and row.price is not None and row.currency:
        data.update(
            price=amount_text(row.price, row.currency),
            currency=row.currency,
            price_text=renderer.money(row.price, row.currency),
            unit_prices=[
                {
                    "amount": unit_amount_text(u.amount),
                    "currency": u.currency,
                    "per": u.per,
                    "text": f"{renderer.unit_money(u.amount, u.currency)} per {u.per}",
                }
                for u in row.unit_prices
            ],
            **_availability(row),
            **_checked(row, renderer, now),
        )
        if row.regular_price is not None:
            data["regular"] = {
                "price": amount_text(row.regular_price, row.currency),
                "text": renderer.money(row.regular_price, row.currency),
                "source": row.regular_source,
            }
        if row.converted is not None:
            data["converted"] = {
                "price": amount_text(row.converted.amount, row.converted.currency),
                "currency": row.converted.currency,
                "text": renderer.money(row.converted.amount, row.converted.currency),
                "rate_date": row.converted.rate_date.isoformat(),
            }
    elif row.state is RowState.UNAVAILABLE:
        data.update(**_availability(row), **_checked(row, renderer, now))
    return data


def box_data(box: BuyBox, renderer: BoxRenderer, now: datetime) -> dict[str, Any]:
    """One product's data file: its box's groups and offers, the disclosure and the note."""
    site = renderer.site
    times = [r.checked_at for r in box.rows if r.checked_at is not None]
    as_of = max(times) if times else None
    converted = next((r.converted for r in box.rows if r.converted), None)
    data: dict[str, Any] = {
        "format": FORMAT,
        "product": box.product_slug,
        "name": box.product_name,
        "exported_at": isotime(now),
        "disclosure": box.disclosure,
        "mixed_currencies": box.mixed_currencies,
        "groups": [
            {
                "currency": group.currency,
                "heading": (
                    f"Prices in {renderer.currency_name(group.currency)}"
                    if group.currency
                    else "Other offers"
                ),
                "offers": [offer_data(row, renderer, now) for row in group.rows],
            }
            for group in box.groups
        ],
        "note": None,
        "rates_note": None,
    }
    if site.as_of_note and as_of is not None:
        before, after = site.as_of_text.split("{time}")
        data["note"] = {
            "before": before,
            "after": after,
            "time": isotime(as_of),
            "time_text": renderer.sitetime(as_of),
        }
    if converted is not None:
        data["rates_note"] = (
            "≈ converted for comparison only, at the European Central Bank's reference rate "
            f"of {renderer.sitedate(converted.rate_date)}; "  # type: ignore[arg-type]  # a date, as the template passes
            "the shop charges its own price."
        )
    return data


def _encode(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n").encode()


def export_products(
    settings: Settings,
    store: Store,
    out_dir: Path,
    slugs: list[str] | None = None,
    *,
    now: datetime | None = None,
) -> list[ExportResult]:
    """Write ``out_dir/SLUG.json`` for the products (default: every active product).

    Every file is built before any is written; an unknown or inactive product, or a link that
    is not http(s), is an ExportError and nothing is written. Unchanged files are not rewritten.
    """
    now = now or datetime.now(UTC)
    with store.readers.begin() as session:
        wanted = list(dict.fromkeys(slugs)) if slugs else sorted(repo.active_catalog(session)[0])
        for slug in wanted:
            if not _SAFE_SLUG.match(slug):
                raise ExportError(f"{slug!r}: not a product slug")
        publisher = Publisher(settings, session, now)
        try:
            groups = publisher.groups([((slug,), "cards", None) for slug in wanted])
        except LookupError as exc:
            raise ExportError(
                f"unknown product {exc.args[0]!r} (not in the catalog, or inactive)"
            ) from exc
        files = {
            box.product_slug: _encode(box_data(box, publisher.renderer, now))
            for group in groups
            for box in group.boxes
        }
    results = []
    for slug, data in files.items():
        target = out_dir / f"{slug}.json"
        changed = not target.is_file() or target.read_bytes() != data
        if changed:
            atomic_write(target, data)
        results.append(ExportResult(slug, target, changed))
    return results
