"""The `tracker` command: the group, `tracker init`, and every command added to it."""

from __future__ import annotations

import click

from tracker import services
from tracker.cli.catalog import catalog
from tracker.cli.crawl import crawl, extract_page
from tracker.cli.feeds import feeds
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
@click.pass_context
@operator_errors
def init(ctx: click.Context) -> None:
    """Create or migrate the database to the newest schema."""
    settings = settings_of(ctx)
    services.open_settings_store(settings).close()
    console.print(f"Database ready: {escaped(database_name(settings.database_url))}")


for command in (init, catalog, crawl, extract_page, render, serve, prices, sample_site, demo):
    main.add_command(command)
main.add_command(schedule)
main.add_command(status)
main.add_command(feeds)
