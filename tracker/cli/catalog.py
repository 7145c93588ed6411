"""`tracker catalog`: sync the catalog file into the database, and show what is synced."""

from __future__ import annotations

from pathlib import Path

import click
from rich.table import Table

from tracker import services
from tracker.catalog import load_catalog
from tracker.cli.output import console, escaped, operator_errors, settings_of
from tracker.scheduling.jobstore import sync_store_jobs


@click.group()
def catalog() -> None:
    """Products, vendors and listings from the catalog file."""


@catalog.command("sync")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--allow-removals",
    is_flag=True,
    help="Deactivate more than half of the active products or listings if the file says so.",
)
@click.pass_context
@operator_errors
def catalog_sync(ctx: click.Context, file: Path | None, allow_removals: bool) -> None:
    """Validate FILE (default: the configured catalog) and upsert it into the database.

    Listings that left the file are deactivated, never deleted; on any error nothing changes.
    A file that would deactivate more than half of the active products or listings (a cut
    file, the wrong file) is refused unless --allow-removals.
    """
    settings = settings_of(ctx)
    path = file or settings.catalog
    loaded = load_catalog(path)  # validate before touching the database
    store = services.open_settings_store(settings)
    try:
        report = services.sync_catalog_file(
            store, path, allow_removals=allow_removals, catalog=loaded
        )
        jobs = sync_store_jobs(store, settings)
    finally:
        store.close()
    for line in report.added:
        console.print(f"added {escaped(line)}")
    for line in report.updated:
        console.print(f"updated {escaped(line)}")
    for line in report.deactivated:
        console.print(f"deactivated {escaped(line)}")
    console.print(
        f"{escaped(path)}: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.deactivated)} deactivated, {report.unchanged} listings unchanged"
    )
    console.print(
        f"scheduler jobs: {len(jobs.added)} added, {len(jobs.changed)} changed, "
        f"{len(jobs.removed)} removed"
    )


@catalog.command("show")
@click.pass_context
@operator_errors
def catalog_show(ctx: click.Context) -> None:
    """List the synced products, vendors and listings."""
    store = services.open_existing_store(settings_of(ctx))
    try:
        states = services.current_prices(store)
    finally:
        store.close()
    table = Table("id", "product", "vendor", "listing", "url")
    for state in states:
        table.add_row(
            str(state.listing_id),
            *(escaped(text) for text in (state.product_slug, state.vendor_slug, state.label)),
            escaped(state.url),
        )
    console.print(table)
