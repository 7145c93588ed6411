"""The `tracker schedule` commands and `tracker status`: thin wrappers over the scheduler."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from datetime import UTC, datetime

import click
from rich.table import Table

from tracker import app
from tracker.catalog import CatalogError
from tracker.config import Settings
from tracker.publishing.render import render_vendor_articles
from tracker.scheduling.jobstore import JobStoreError, run_now, set_paused, sync_store_jobs
from tracker.scheduling.runners import LocalRunner, Runner, RunSnapshot
from tracker.scheduling.scheduler import SchedulerContext, SchedulerError, run_scheduler
from tracker.scheduling.scrapyd import ScrapydError, ScrapydRunner
from tracker.scheduling.status import StatusReport, VendorStatus, status_report
from tracker.store.engine import Store

log = logging.getLogger("tracker.schedule")


def make_runner(settings: Settings, store: Store) -> Runner:
    if settings.schedule.runner == "scrapyd":
        return ScrapydRunner(settings, store)
    return LocalRunner(settings, store)


def render_after(settings: Settings, store: Store) -> Callable[[str, RunSnapshot], None]:
    def after(vendor: str, _snapshot: RunSnapshot) -> None:
        report = render_vendor_articles(settings, store, vendor)
        written = [str(r.target) for r in report.results if r.changed]
        log.info(
            "vendor %s: %d articles rendered, %d written%s",
            vendor,
            len(report.results),
            len(written),
            f" ({', '.join(written)})" if written else "",
        )
        for error in report.errors:
            log.error("render: %s", error)

    return after


def start_scheduler(settings: Settings) -> None:
    """Sync the catalog, then run the scheduler until SIGINT or SIGTERM."""
    store = app.open_settings_store(settings)
    try:
        if settings.catalog.is_file():
            report = app.sync_catalog_file(store, settings.catalog)
            log.info(
                "catalog %s: %d added, %d updated, %d deactivated",
                settings.catalog,
                len(report.added),
                len(report.updated),
                len(report.deactivated),
            )
        context = SchedulerContext(
            settings,
            store,
            make_runner(settings, store),
            render_after(settings, store) if settings.schedule.render_after_crawl else None,
        )
        run_scheduler(context)
    finally:
        store.close()


def _settings(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


def _fail_on_scheduler_errors(func: Callable[[], None]) -> None:
    try:
        func()
    except (SchedulerError, JobStoreError, ScrapydError, LookupError, CatalogError) as exc:
        raise click.ClickException(str(exc)) from exc


@click.group()
def schedule() -> None:
    """The scheduler: crawls at each vendor's time, then re-renders the affected articles."""


@schedule.command("run")
@click.pass_context
def schedule_run(ctx: click.Context) -> None:
    """Run the scheduler in the foreground until SIGINT or SIGTERM (one per database)."""
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    settings = _settings(ctx)
    _fail_on_scheduler_errors(lambda: start_scheduler(settings))


def _status_now(settings: Settings) -> StatusReport:
    store = app.open_settings_store(settings)
    try:
        return status_report(store, settings, datetime.now(UTC))
    finally:
        store.close()


@schedule.command("list")
@click.pass_context
def schedule_list(ctx: click.Context) -> None:
    """Per vendor: schedule, next run, last run and its status."""
    from tracker.cli import console  # the CLI's console: one output style

    report = _status_now(_settings(ctx))
    table = Table("vendor", "schedule", "next run", "last run", "status", "finished")
    for row in report.vendors:
        run = row.last_run
        table.add_row(
            row.vendor,
            row.schedule,
            _next_run(row),
            f"{run.id} ({run.trigger})" if run else "-",
            run.status if run else "never",
            _when(run.finished_at) if run else "-",
        )
    console.print(table)
    _print_footer(report)


def _vendor_command(settings: Settings, action: Callable[[Store], str]) -> None:
    from tracker.cli import console

    store = app.open_settings_store(settings)
    try:
        message = action(store)
    except LookupError as exc:
        raise click.ClickException(str(exc).strip("'\"")) from exc
    finally:
        store.close()
    console.print(message)


@schedule.command("pause")
@click.argument("vendor")
@click.pass_context
def schedule_pause(ctx: click.Context, vendor: str) -> None:
    """Stop scheduling VENDOR until `tracker schedule resume` (kept across restarts and syncs)."""

    def pause(store: Store) -> str:
        set_paused(store, vendor, True)
        return f"paused {vendor}"

    _vendor_command(_settings(ctx), pause)


@schedule.command("resume")
@click.argument("vendor")
@click.pass_context
def schedule_resume(ctx: click.Context, vendor: str) -> None:
    """Schedule VENDOR again; prints its next run."""

    def resume(store: Store) -> str:
        return f"resumed {vendor}: next run {_when(set_paused(store, vendor, False))} UTC"

    _vendor_command(_settings(ctx), resume)


@schedule.command("run-now")
@click.argument("vendor")
@click.pass_context
def schedule_run_now(ctx: click.Context, vendor: str) -> None:
    """Ask the running scheduler to crawl VENDOR at its next wake-up (within resync_seconds)."""
    settings = _settings(ctx)

    def queue(store: Store) -> str:
        run_now(store, vendor, datetime.now(UTC))
        return (
            f"queued a crawl of {vendor}; the scheduler starts it within "
            f"{settings.schedule.resync_seconds:g} s"
        )

    _vendor_command(settings, queue)


@click.command("status")
@click.pass_context
def status(ctx: click.Context) -> None:
    """Last run per vendor, next run, failing and stale listings; exit 1 when action is needed."""
    from tracker.cli import console

    report = _status_now(_settings(ctx))
    table = Table("vendor", "last run", "status", "pages", "offers", "failures", "next run")
    for row in report.vendors:
        run = row.last_run
        table.add_row(
            row.vendor,
            _when(run.started_at) if run else "never",
            run.status if run else "-",
            str(run.pages) if run else "-",
            str(run.offers) if run else "-",
            str(run.failures) if run else "-",
            _next_run(row),
        )
    console.print(table)
    _print_footer(report)
    for problem in report.problems:
        console.print(f"[red]needs attention:[/red] {problem}", soft_wrap=True)
    if report.needs_operator:
        raise click.exceptions.Exit(1)
    console.print("All good.")


def sync_jobs_after_catalog(settings: Settings, store: Store) -> str:
    """Called by `tracker catalog sync`: the scheduler's jobs follow the vendors."""
    report = sync_store_jobs(store, settings)
    return (
        f"scheduler jobs: {len(report.added)} added, {len(report.changed)} changed, "
        f"{len(report.removed)} removed"
    )


def _print_footer(report: StatusReport) -> None:
    from tracker.cli import console

    console.print(f"Times in UTC. Scheduler: {report.scheduler}.")
    for note in report.notes:
        console.print(f"note: {note}", soft_wrap=True)


def _next_run(row: VendorStatus) -> str:
    if not row.scheduled:
        return "not scheduled"
    return "paused" if row.paused else _when(row.next_run)


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S") if moment else "-"
