"""`tracker links`: check the outbound affiliate links, and list the results."""

from __future__ import annotations

from datetime import UTC, datetime

import click
from rich.table import Table

from tracker import services
from tracker.cli.output import console, escaped, operator_errors, settings_of, when


@click.group()
def links() -> None:
    """Affiliate link health: is each listing's outbound link still a page of the vendor's?"""


@links.command("check")
@click.option("--vendor", default=None, help="Only this vendor's listings.")
@click.pass_context
@operator_errors
def links_check(ctx: click.Context, vendor: str | None) -> None:
    """Request each active listing's affiliate link (HEAD, else GET), record where it lands;
    exit 1 when a link is broken (two failed checks in a row)."""
    report = services.check_links(settings_of(ctx), vendor, lambda: datetime.now(UTC))
    console.print(
        f"{report.checked} links checked, {len(report.failed)} failed, "
        f"{len(report.broken)} broken, {report.excluded} excluded"
    )
    for line in report.failed:
        console.print(escaped(line), soft_wrap=True)
    if report.broken:
        raise click.exceptions.Exit(1)


@links.command("list")
@click.pass_context
@operator_errors
def links_list(ctx: click.Context) -> None:
    """Each listing's last link check: status, final host, failures in a row, broken since."""
    rows = services.link_results(settings_of(ctx))
    table = Table("listing", "checked", "status", "lands on", "failures", "broken since", "why")
    for vendor, key, check in rows:
        table.add_row(
            escaped(f"{vendor}:{key}"),
            when(check.checked_at),
            str(check.http_status or "-"),
            escaped(check.final_host or "-"),
            str(check.consecutive_failures),
            when(check.broken_since),
            escaped(check.failure or "-"),
        )
    console.print(table)
    console.print("Times in UTC.")
