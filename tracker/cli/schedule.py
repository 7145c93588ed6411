"""The `tracker schedule` commands and `tracker status`: thin wrappers over the scheduler."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime

import click
from rich.table import Table

from tracker import services
from tracker.cli.output import (
    PlainFormatter,
    console,
    escaped,
    operator_errors,
    settings_of,
    when,
)
from tracker.config import Settings
from tracker.scheduling.jobstore import run_now, set_paused
from tracker.scheduling.status import StatusReport, VendorStatus
from tracker.store.engine import Store


@click.group()
def schedule() -> None:
    """The scheduler: crawls at each vendor's time, then re-renders the affected articles."""


@schedule.command("run")
@click.pass_context
@operator_errors
def schedule_run(ctx: click.Context) -> None:
    """Run the scheduler in the foreground until SIGINT or SIGTERM (one per database)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(PlainFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])
    settings = settings_of(ctx)
    services.start_scheduler(settings)


@schedule.command("list")
@click.pass_context
@operator_errors
def schedule_list(ctx: click.Context) -> None:
    """Per vendor: schedule, next run, last run and its status."""
    report = services.status_at(settings_of(ctx), datetime.now(UTC))
    table = Table("vendor", "schedule", "next run", "last run", "status", "finished")
    for row in report.vendors:
        run = row.last_run
        table.add_row(
            escaped(row.vendor),
            escaped(row.schedule),
            _next_run(row),
            escaped(f"{run.id} ({run.trigger})") if run else "-",
            escaped(run.status) if run else "never",
            when(run.finished_at) if run else "-",
        )
    console.print(table)
    _print_footer(report)


def _vendor_command(settings: Settings, action: Callable[[Store], str]) -> None:
    store = services.open_existing_store(settings)
    try:
        message = action(store)
    finally:
        store.close()
    console.print(escaped(message))


@schedule.command("pause")
@click.argument("vendor")
@click.pass_context
@operator_errors
def schedule_pause(ctx: click.Context, vendor: str) -> None:
    """Stop scheduling VENDOR until `tracker schedule resume` (kept across restarts and syncs)."""

    def pause(store: Store) -> str:
        set_paused(store, vendor, True)
        return f"paused {vendor}"

    _vendor_command(settings_of(ctx), pause)


@schedule.command("resume")
@click.argument("vendor")
@click.pass_context
@operator_errors
def schedule_resume(ctx: click.Context, vendor: str) -> None:
    """Schedule VENDOR again; prints its next run."""

    def resume(store: Store) -> str:
        return f"resumed {vendor}: next run {when(set_paused(store, vendor, False))} UTC"

    _vendor_command(settings_of(ctx), resume)


@schedule.command("run-now")
@click.argument("vendor")
@click.pass_context
@operator_errors
def schedule_run_now(ctx: click.Context, vendor: str) -> None:
    """Ask the running scheduler to crawl VENDOR at its next wake-up (within resync_seconds)."""
    settings = settings_of(ctx)

    def queue(store: Store) -> str:
        run_now(store, vendor, datetime.now(UTC))
        return (
            f"queued a crawl of {vendor}; the scheduler starts it within "
            f"{settings.schedule.resync_seconds:g} s"
        )

    _vendor_command(settings, queue)


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
@click.pass_context
@operator_errors
def status(ctx: click.Context, as_json: bool) -> None:
    """Last run per vendor, next run, failing and stale listings; exit 1 when action is needed."""
    report = services.status_at(settings_of(ctx), datetime.now(UTC))
    if as_json:
        click.echo(json.dumps(status_json(report), indent=2))
        if report.needs_operator:
            raise click.exceptions.Exit(1)
        return
    table = Table("vendor", "last run", "status", "pages", "offers", "failures", "next run")
    for row in report.vendors:
        run = row.last_run
        table.add_row(
            escaped(row.vendor),
            when(run.started_at) if run else "never",
            escaped(run.status) if run else "-",
            str(run.pages) if run else "-",
            str(run.offers) if run else "-",
            str(run.failures) if run else "-",
            _next_run(row),
        )
    console.print(table)
    _print_footer(report)
    for problem in report.problems:
        console.print(f"[red]needs attention:[/red] {escaped(problem)}", soft_wrap=True)
    if report.needs_operator:
        raise click.exceptions.Exit(1)
    console.print("All good.")


def status_json(report: StatusReport) -> dict[str, object]:
    """The report as plain JSON values (times in ISO 8601 UTC, null for none)."""

    def iso(moment: datetime | None) -> str | None:
        return moment.isoformat() if moment else None

    vendors = []
    for row in report.vendors:
        run = row.last_run
        vendors.append(
            {
                "vendor": row.vendor,
                "schedule": row.schedule,
                "scheduled": row.scheduled,
                "paused": row.paused,
                "next_run": iso(row.next_run),
                "last_run": None
                if run is None
                else {
                    "id": run.id,
                    "status": str(run.status),
                    "started_at": iso(run.started_at),
                    "finished_at": iso(run.finished_at),
                    "pages": run.pages,
                    "offers": run.offers,
                    "failures": run.failures,
                    "error": run.error,
                },
            }
        )
    return {
        "needs_operator": report.needs_operator,
        "scheduler": report.scheduler,
        "problems": report.problems,
        "notes": report.notes,
        "vendors": vendors,
    }


def _print_footer(report: StatusReport) -> None:
    console.print(f"Times in UTC. Scheduler: {escaped(report.scheduler)}.")
    for note in report.notes:
        console.print(f"note: {escaped(note)}", soft_wrap=True)


def _next_run(row: VendorStatus) -> str:
    if not row.scheduled:
        return "not scheduled"
    return "paused" if row.paused else when(row.next_run)
