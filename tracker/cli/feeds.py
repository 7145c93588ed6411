"""`tracker feeds`: fetch and apply the catalog's product feeds, and see their state."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from rich.table import Table

from tracker import services
from tracker.cli.output import console, escaped, operator_errors, settings_of, when
from tracker.feeds.run import FeedRunReport
from tracker.store.feeds import feed_states


@click.group()
def feeds() -> None:
    """Product feeds (Awin, CJ, Impact, Google Merchant, CSV/XML) that price listings."""


@feeds.command("run")
@click.argument("name", required=False)
@click.option(
    "--accept-drop",
    is_flag=True,
    help="Apply a feed that lost most of its rows since its last reading (it is held otherwise).",
)
@click.pass_context
@operator_errors
def run(ctx: click.Context, name: str | None, accept_drop: bool) -> None:
    """Fetch and apply one feed (by name) or all: matching rows become prices.

    An unchanged feed is not read again; a feed that cannot be read, or that lost most of its
    rows, changes no price and says why. Exits 1 when a feed failed or is held.
    """
    settings = settings_of(ctx)
    store = services.open_settings_store(settings)
    try:
        reports = services.run_feeds(
            settings, store, name, now=datetime.now(UTC), accept_drop=accept_drop
        )
    finally:
        store.close()
    for report in reports:
        print_report(report)
    if any(not r.ok for r in reports):
        raise click.exceptions.Exit(1)


def print_report(report: FeedRunReport) -> None:
    """One feed run, as lines an operator reads."""
    head = f"feed {report.feed}: {report.status}"
    if report.status == "unchanged":
        head += f" since {when(report.feed_date)} UTC, not read again"
    elif report.rows:
        head += (
            f", {report.rows:,} rows, {report.matched:,} matching, "
            f"{report.offers} of {report.listings} listings priced"
            f" (feed date {when(report.feed_date)} UTC)"
        )
    console.print(escaped(head))
    if report.error:
        console.print(escaped(f"  {report.error}"))
    for problem in report.problems:
        console.print(escaped(f"  {problem}"))


@feeds.command("amazon")
@click.argument("vendor", required=False)
@click.pass_context
@operator_errors
def amazon(ctx: click.Context, vendor: str | None) -> None:
    """Price the listings of one `amazon-api` vendor (or all) through Amazon's Creators API.

    Credentials come from the environment only. Exits 1 when the API refused or priced nothing.
    """
    settings = settings_of(ctx)
    store = services.open_settings_store(settings)
    try:
        reports = services.price_amazon(settings, store, vendor, now=datetime.now(UTC))
    finally:
        store.close()
    for report in reports:
        line = f"amazon vendor {report.feed}: {report.status}, {report.offers} of "
        console.print(escaped(line + f"{report.listings} listings priced"))
        if report.error:
            console.print(escaped(f"  {report.error}"))
    if any(not r.ok for r in reports):
        raise click.exceptions.Exit(1)


@feeds.command("status")
@click.pass_context
@operator_errors
def status(ctx: click.Context) -> None:
    """Each feed's last fetch, its own date, its rows and what went wrong."""
    settings = settings_of(ctx)
    store = services.open_existing_store(settings)
    try:
        with store.readers.begin() as session:
            rows = [
                (s.name, s.status, s.fetched_at, s.feed_date, s.rows, s.error)
                for s in feed_states(session)
            ]
    finally:
        store.close()
    table = Table("feed", "status", "fetched", "feed date", "rows", "problem")
    table.title = "Times in UTC."
    for feed_name, state, fetched, date, count, error in rows:
        table.add_row(
            escaped(feed_name),
            escaped(state or "-"),
            when(fetched),
            when(date),
            f"{count:,}" if count is not None else "-",
            escaped(error or ""),
        )
    console.print(table)
