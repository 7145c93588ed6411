"""`tracker catalog`: sync the catalog file into the database, and show what is synced."""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import click
from rich.table import Table

from tracker import catalogfile, onboarding, services
from tracker.catalog import load_catalog
from tracker.cli.entry import echo_entry, entry_options, preview_arguments
from tracker.cli.output import console, escaped, moved_lines, operator_errors, settings_of
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
    for line in moved_lines(report):
        console.print(line)
    console.print(
        f"{escaped(path)}: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.deactivated)} deactivated, {report.unchanged} listings unchanged"
    )
    console.print(
        f"scheduler jobs: {len(jobs.added)} added, {len(jobs.changed)} changed, "
        f"{len(jobs.removed)} removed"
    )


@catalog.command("add")
@click.argument("source", metavar="URL_OR_FILE")
@click.option(
    "--file",
    "catalog_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The catalog file to append to (default: the configured one).",
)
@entry_options
@click.pass_context
@operator_errors
def catalog_add(
    ctx: click.Context, source: str, catalog_file: Path | None, **naming: str | None
) -> None:
    """Append a vendor's product page (URL) or an edited entry (FILE, - for stdin) to the catalog.

    A URL is read as `tracker extract URL --catalog-entry` reads it. The file keeps its
    comments and order; a vendor it has gets the new listings; the result is validated
    before it is written. Then run `tracker catalog sync`.
    """
    settings = settings_of(ctx)
    path = catalog_file or settings.catalog
    if urlsplit(source).scheme in ("http", "https"):
        preview = onboarding.preview_url(source, settings, **preview_arguments(naming))
        echo_entry(preview)
        text, origin = preview.yaml, source
    elif source == "-":
        text, origin = sys.stdin.read(), "stdin"
    else:
        text, origin = Path(source).read_text(encoding="utf-8"), source
    done = catalogfile.append_entry(path, text, origin)
    for line in done.added:
        console.print(f"added {escaped(line)}")
    for line in done.present:
        console.print(f"already there: {escaped(line)}")
    if done.added:
        console.print(f"{escaped(path)}: {len(done.added)} added; now run `tracker catalog sync`")
    else:
        console.print(f"{escaped(path)}: nothing to add")


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
