"""The `tracker` command. Each command is a thin wrapper over a function in tracker.app."""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from tracker import app, pagecheck
from tracker.catalog import CatalogError, load_catalog
from tracker.config import ConfigError, Settings, load_settings
from tracker.domain import ExtractHints, ListingState
from tracker.locking import LockBusy
from tracker.pricing import is_fresh
from tracker.provenance_view import print_provenance
from tracker.publish import ArticleError
from tracker.runners import CrawlOutcome, RunSnapshot
from tracker.samplesite import SAMPLE_SITE_DIR, StaticSite
from tracker.schedule_cli import schedule, status, sync_jobs_after_catalog

F = TypeVar("F", bound=Callable[..., Any])
# Wide tables when piped (a log or CI), the terminal's width otherwise.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 160)


def operator_errors(func: F) -> F:
    """Turn the errors an operator can act on into a one-line message and exit code 1."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except (ConfigError, CatalogError, ArticleError, LookupError, FileNotFoundError) as exc:
            raise click.ClickException(str(exc)) from exc

    return wrapper  # type: ignore[return-value]


def settings_of(ctx: click.Context) -> Settings:
    settings: Settings = ctx.obj
    return settings


@click.group()
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    help="Configuration file (default: $TRACKER_CONFIG or ./tracker.toml).",
)
@click.version_option(package_name="affiliate-price-tracker")
@click.pass_context
def main(ctx: click.Context, config_file: str | None) -> None:
    """Keep the prices in your articles' buy sections true."""
    try:
        ctx.obj = load_settings(config_file)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command()
@click.pass_context
@operator_errors
def init(ctx: click.Context) -> None:
    """Create or migrate the database to the newest schema."""
    settings = settings_of(ctx)
    app.open_settings_store(settings).close()
    console.print(f"Database ready: {settings.database_url}")


@main.group()
def catalog() -> None:
    """Products, vendors and listings from the catalog file."""


@catalog.command("sync")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
@operator_errors
def catalog_sync(ctx: click.Context, file: Path | None) -> None:
    """Validate FILE (default: the configured catalog) and upsert it into the database.

    Listings that left the file are deactivated, never deleted; on any error nothing changes.
    """
    settings = settings_of(ctx)
    path = file or settings.catalog
    load_catalog(path)  # validate before touching the database
    store = app.open_settings_store(settings)
    try:
        report = app.sync_catalog_file(store, path)
        jobs = sync_jobs_after_catalog(settings, store)
    finally:
        store.close()
    for line in report.added:
        console.print(f"added {line}")
    for line in report.updated:
        console.print(f"updated {line}")
    for line in report.deactivated:
        console.print(f"deactivated {line}")
    console.print(
        f"{path}: {len(report.added)} added, {len(report.updated)} updated, "
        f"{len(report.deactivated)} deactivated, {report.unchanged} listings unchanged"
    )
    console.print(jobs)


@catalog.command("show")
@click.pass_context
@operator_errors
def catalog_show(ctx: click.Context) -> None:
    """List the synced products, vendors and listings."""
    store = app.open_settings_store(settings_of(ctx))
    try:
        states = app.current_prices(store)
    finally:
        store.close()
    table = Table("id", "product", "vendor", "listing", "url")
    for state in states:
        table.add_row(
            str(state.listing_id), state.product_slug, state.vendor_slug, state.label, state.url
        )
    console.print(table)


@main.command()
@click.option("--vendor", help="Crawl only this vendor (its slug).")
@click.pass_context
@operator_errors
def crawl(ctx: click.Context, vendor: str | None) -> None:
    """Check the active listings now (one vendor or all), in a Scrapy child process.

    A crawl of all vendors records one run per vendor, as the scheduler's crawls do.
    """
    settings = settings_of(ctx)
    store = app.open_settings_store(settings)
    try:
        outcome = crawl_with_progress(settings, store, vendor)
    finally:
        store.close()
    print_runs(outcome)
    if outcome.status not in ("ok", "partial"):
        raise click.exceptions.Exit(1)


def crawl_with_progress(
    settings: Settings, store: Any, vendor: str | None, extra_env: dict[str, str] | None = None
) -> CrawlOutcome:
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as progress:
        task = progress.add_task(f"crawling {vendor or 'all vendors'}", total=None)

        def show(outcome: CrawlOutcome) -> None:
            progress.update(task, completed=outcome.checks, total=outcome.expected or None)

        return app.crawl(settings, store, vendor, extra_env=extra_env, on_progress=show)


def print_runs(outcome: CrawlOutcome) -> None:
    """One row per vendor's run, and the totals when there are several."""
    table = Table(
        "run", "vendor", "status", "pages", "listings checked", "prices read", "failures", "time"
    )
    several = len(outcome.runs) > 1
    for run in outcome.runs:
        last = run is outcome.runs[-1]
        table.add_row(
            str(run.run_id), run.vendor or "-", *_run_cells(run), end_section=several and last
        )
    if several:
        table.add_row("all", "", *_run_cells(outcome))
    console.print(table)
    vendors_by_error: dict[str, list[str]] = {}
    for run in outcome.runs:
        if run.error:
            vendors_by_error.setdefault(run.error, []).append(run.vendor or "-")
    for error, vendors in vendors_by_error.items():
        console.print(f"[red]{', '.join(vendors)}: {error}[/red]", soft_wrap=True)
    if outcome.log_file:
        console.print(f"Scrapy log: {outcome.log_file}")


def _run_cells(run: RunSnapshot | CrawlOutcome) -> list[str]:
    took = ((run.finished_at or datetime.now(UTC)) - run.started_at).total_seconds()
    return [
        run.status,
        str(run.pages),
        f"{run.checks}/{run.expected}",
        str(run.offers),
        str(run.failures),
        f"{took:.1f} s",
    ]


@main.command()
@click.argument("articles", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write rendered articles here (default: the configured out_dir).",
)
@click.option("--in-place", is_flag=True, help="Rewrite the articles themselves.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when an article would change.")
@click.option("--diff", "show_diff", is_flag=True, help="Show each change as a unified diff.")
@click.pass_context
@operator_errors
def render(
    ctx: click.Context,
    articles: tuple[Path, ...],
    out_dir: Path | None,
    in_place: bool,
    check: bool,
    show_diff: bool,
) -> None:
    """Fill the buy boxes of ARTICLES (default: every article with markers in content_dir)."""
    if in_place and out_dir:
        raise click.UsageError("give --out or --in-place, not both")
    settings = settings_of(ctx)
    store = app.open_settings_store(settings)
    try:
        report = app.render_articles(
            settings,
            store,
            list(articles) or None,
            out_dir=out_dir,
            in_place=in_place,
            write=not check,
            diff=show_diff,
        )
    except LockBusy as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        store.close()
    for result in report.results:
        if check:
            state = "would change" if result.changed else "up to date"
        else:
            state = "written" if result.changed else "unchanged"
        console.print(f"{result.target} ({result.boxes} boxes, {state})")
        if result.diff:
            click.echo(result.diff, nl=False)
    for error in report.errors:
        console.print(f"[red]error:[/red] {error}", soft_wrap=True)
    if report.errors or (check and any(r.changed for r in report.results)):
        raise click.exceptions.Exit(1)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, help="Port to listen on.")
@click.pass_context
@operator_errors
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve live buy boxes, offers JSON, the embed script and counted affiliate redirects."""
    from tracker.web import serve as run_server  # Starlette and uvicorn load only here

    settings = settings_of(ctx)
    console.print(f"Serving live buy boxes at http://{host}:{port}/ (Ctrl-C stops it)")
    run_server(settings, host=host, port=port)


@main.command()
@click.argument("product", required=False)
@click.option(
    "--why",
    "listing_id",
    type=int,
    metavar="LISTING",
    help="Explain one listing (its id in this table): source, raw price, page hash, history.",
)
@click.pass_context
@operator_errors
def prices(ctx: click.Context, product: str | None, listing_id: int | None) -> None:
    """Show current prices, availability, last check and status (of one PRODUCT or all).

    Unconfirmed prices (held back by the sanity guard) are listed with their reason.
    """
    settings = settings_of(ctx)
    store = app.open_settings_store(settings)
    try:
        if listing_id is not None:
            print_provenance(console, app.listing_provenance(store, listing_id))
            return
        states = app.current_prices(store, product)
    finally:
        store.close()
    if product and not states:
        raise click.ClickException(f"no active listings for product {product!r}")
    print_prices(states, settings, datetime.now(UTC))


def print_prices(states: list[ListingState], settings: Settings, now: datetime) -> None:
    max_age = timedelta(hours=settings.site.max_age_hours)
    table = Table(
        "id", "product", "vendor", "listing", "price", "stock", "seen", "checked", "status"
    )
    problems = []
    for s in states:
        price = f"{s.price:.2f} {s.currency}" if s.price is not None else "-"
        if s.price is not None and not s.confirmed:
            price += " (unconfirmed)"
        elif s.price is not None and not is_fresh(s.last_seen_at, now, max_age):
            price += " (stale)"
        if s.price is not None and not s.confirmed:
            problems.append(f"{s.listing_id}: unconfirmed: {s.last_error or 'not seen again yet'}")
        elif s.last_error:
            problems.append(f"{s.listing_id}: {s.last_status}: {s.last_error}")
        table.add_row(
            str(s.listing_id),
            s.product_slug,
            s.vendor_name,
            s.label,
            price,
            s.availability or "-",
            _when(s.last_seen_at),
            _when(s.last_checked_at),
            s.last_status or "never checked",
        )
    console.print(table)
    console.print("Times in UTC.")
    for line in problems:
        console.print(line, soft_wrap=True)


def _when(moment: datetime | None) -> str:
    return moment.strftime("%m-%d %H:%M") if moment else "-"


@main.command("extract")
@click.argument("source", metavar="FILE_OR_URL")
@click.option("--url", help="The saved page's address (for relative links and platform endpoints).")
@click.option("--vendor", "vendor_slug", help="Use this synced vendor's currency and hints.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--explain", is_flag=True, help="Show each source's reading, what agreed, and the decision."
)
@click.pass_context
@operator_errors
def extract_page(
    ctx: click.Context,
    source: str,
    url: str | None,
    vendor_slug: str | None,
    as_json: bool,
    explain: bool,
) -> None:
    """Show what a product page yields before you add its vendor: offers, source, what was tried.

    FILE_OR_URL is a saved page or an http(s) URL to fetch. The same extraction chain as the
    crawl runs on it. --explain shows why a page abstains: each source's claim, whether the
    page shows it, and the decision.
    """
    settings = settings_of(ctx)
    hints = ExtractHints()
    if vendor_slug:
        store = app.open_settings_store(settings)
        try:
            hints = pagecheck.vendor_hints(store, vendor_slug)
        finally:
            store.close()
    try:
        checked = pagecheck.check_page(source, url, hints, settings)
    except pagecheck.PageError as exc:
        raise click.ClickException(str(exc)) from exc
    results = [checked.result]
    if checked.follow_up_result is not None:
        results.append(checked.follow_up_result)
    if as_json:
        data = pagecheck.result_json(checked.result)
        if checked.follow_up_result is not None:
            data["follow_up_result"] = pagecheck.result_json(checked.follow_up_result)
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    for index, result in enumerate(results):
        if index:
            click.echo(f"follow-up {checked.result.follow_up}:")
        for line in pagecheck.result_lines(result, hints.currency):
            click.echo(line)
        if explain:
            for line in pagecheck.explain_lines(result):
                click.echo(line)


@main.command("sample-site")
@click.option("--port", default=8700, show_default=True, help="Port on 127.0.0.1.")
def sample_site(port: int) -> None:
    """Serve the offline sample vendor site until interrupted (set SAMPLE_SITE to its URL)."""
    site = StaticSite(SAMPLE_SITE_DIR, port=port).start()
    console.print(f"Sample vendor site at {site.url} (Ctrl-C stops it)")
    console.print(f"  export SAMPLE_SITE={site.url}")
    try:
        site.thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()


@main.command()
@click.pass_context
@operator_errors
def demo(ctx: click.Context) -> None:
    """Run the whole job on the offline sample site: sync, crawl, render, show prices."""
    settings = settings_of(ctx)
    with StaticSite(SAMPLE_SITE_DIR) as site:
        console.print(f"Sample vendor site started at {site.url}")
        env = {**os.environ, "SAMPLE_SITE": site.url}
        store = app.open_settings_store(settings)
        try:
            report = app.sync_catalog_file(store, settings.catalog, env)
            console.print(
                f"Catalog {settings.catalog}: {len(report.added)} added, "
                f"{len(report.updated)} updated"
            )
            # Our own loopback site: no need for the politeness delay of a real shop.
            outcome = crawl_with_progress(
                settings,
                store,
                None,
                {"SAMPLE_SITE": site.url, "TRACKER_CRAWL__DOWNLOAD_DELAY": "0"},
            )
            print_runs(outcome)
            rendered = app.render_articles(settings, store)
            states = app.current_prices(store)
        finally:
            store.close()
    console.print("Sample vendor site stopped.")
    console.print("Rendered articles:")
    for result in rendered.results:
        console.print(f"  {result.target}")
    for error in rendered.errors:
        console.print(f"[red]error:[/red] {error}")
    print_prices(states, settings, datetime.now(UTC))
    if rendered.errors or outcome.status not in ("ok", "partial"):
        raise click.exceptions.Exit(1)


main.add_command(schedule)
main.add_command(status)
