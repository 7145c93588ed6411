"""The `tracker` command: the group, `tracker init`, and every command added to it."""

from __future__ import annotations

from pathlib import Path

import click

from tracker import onboarding, services
from tracker.cli.admin import admin
from tracker.cli.alerts import alerts
from tracker.cli.catalog import catalog
from tracker.cli.crawl import crawl, extract_page
from tracker.cli.export import export
from tracker.cli.feeds import feeds
from tracker.cli.links import links
from tracker.cli.output import console, escaped, operator_errors, settings_of
from tracker.cli.prices import prices
from tracker.cli.render import render
from tracker.cli.schedule import schedule, status
from tracker.cli.site import demo, sample_site, serve
from tracker.config import load_settings
from tracker.store.engine import database_name


@click.group()
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    help="Configuration file (default: $TRACKER_CONFIG or ./tracker.toml).",
)
@click.version_option(package_name="affiliate-price-tracker")
@click.pass_context
@operator_errors
def main(ctx: click.Context, config_file: str | None) -> None:
    """Keep the prices in your articles' buy sections true."""
    ctx.obj = load_settings(config_file)


@click.command()
@click.argument("folder", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.pass_context
@operator_errors
def init(ctx: click.Context, folder: Path | None) -> None:
    """Start a site in FOLDER, or create or migrate the configured database.

    With FOLDER: writes a commented tracker.toml, a catalog with one example product and
    vendor, and an article with a buy-box marker (an existing file is never overwritten),
    then creates that site's database. Without it: creates or migrates the database only.
    """
    if folder is None:
        settings = settings_of(ctx)
        services.open_settings_store(settings).close()
        console.print(f"Database ready: {escaped(database_name(settings.database_url))}")
        return
    try:
        report = onboarding.init_site(folder)
    except FileExistsError as exc:
        raise click.ClickException(str(exc)) from exc
    for path in report.written:
        console.print(f"wrote {escaped(path)}")
    for path in report.kept:
        console.print(f"kept  {escaped(path)} (it exists: left as it was)")
    console.print(f"Database ready: {escaped(report.database)}")
    console.print(f"Next, in {escaped(report.folder)} (cd there first):")
    console.print("  tracker catalog add URL --product SLUG   # your product's page at a vendor")
    console.print("  tracker catalog sync && tracker crawl    # read the catalog, check prices")
    console.print("  tracker render                           # fill the buy boxes into out/")


for command in (init, catalog, crawl, extract_page, render, serve, prices, sample_site, demo):
    main.add_command(command)
main.add_command(schedule)
main.add_command(status)
main.add_command(admin)
main.add_command(alerts)
main.add_command(links)
main.add_command(feeds)
main.add_command(export)
