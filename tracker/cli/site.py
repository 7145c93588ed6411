"""`tracker serve`, `tracker sample-site` and `tracker demo`: the servers and the offline demo."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import click

from tracker import services
from tracker.cli.feeds import print_report
from tracker.cli.output import (
    DATABASE_ERRORS,
    console,
    crawl_with_progress,
    database_message,
    escaped,
    moved_lines,
    operator_errors,
    plain,
    print_prices,
    print_runs,
    settings_of,
)
from tracker.publishing.render import render_articles
from tracker.web.hosts import public_bind_refusal
from tracker.web.samplesite import StaticSite, demo_site, sample_site_dir


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, help="Port to listen on (0: any free port)."
)
@click.pass_context
@operator_errors
def serve(ctx: click.Context, host: str, port: int) -> None:
    """Serve live buy boxes, offers JSON, the embed script and counted affiliate redirects."""
    from tracker.web import server as web  # Starlette and uvicorn load only here

    settings = settings_of(ctx)
    refusal = public_bind_refusal(settings, host)
    if refusal:
        click.echo(f"Error: {refusal}", err=True)
        ctx.exit(2)
    try:
        sock = web.listen(host, port)
    except OSError as exc:
        reason = os.strerror(exc.errno) if exc.errno else str(exc)
        raise click.ClickException(f"cannot listen on {host}:{port}: {reason}") from exc
    port = sock.getsockname()[1]  # what port 0 got: this line is how a caller learns it
    console.print(f"Serving live buy boxes at http://{host}:{port}/ (Ctrl-C stops it)")
    try:
        services.open_existing_store(settings).close()
    except DATABASE_ERRORS as exc:
        message = plain(database_message(exc))
        click.echo(f"warning: {message}; /healthz answers 503 until it can be used", err=True)
    from tracker.web.admin.app import admin_mount

    web.serve(settings, sock, extensions=[admin_mount])


@click.command("sample-site")
@click.option("--port", default=8700, show_default=True, help="Port on 127.0.0.1.")
@click.pass_context
@operator_errors
def sample_site(ctx: click.Context, port: int) -> None:
    """Serve the offline sample vendor site until interrupted (set SAMPLE_SITE to its URL)."""
    site = StaticSite(sample_site_dir(settings_of(ctx)), port=port).start()
    console.print(f"Sample vendor site at {site.url} (Ctrl-C stops it)")
    console.print(f"  export SAMPLE_SITE={site.url}")
    try:
        site.thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        site.stop()


@click.command()
@click.pass_context
@operator_errors
def demo(ctx: click.Context) -> None:
    """Run the whole job on the offline sample site: sync, crawl, render, show prices."""
    settings = settings_of(ctx)
    with demo_site(sample_site_dir(settings)) as site:
        console.print(f"Sample vendor site started at {site.url}")
        env = {**os.environ, "SAMPLE_SITE": site.url}
        store = services.open_settings_store(settings)
        try:
            report = services.sync_catalog_file(store, settings.catalog, env)
            console.print(
                f"Catalog {escaped(settings.catalog)}: {len(report.added)} added, "
                f"{len(report.updated)} updated"
            )
            for line in moved_lines(report):
                console.print(line)
            # Our own loopback site: no need for the politeness delay of a real shop.
            outcome = crawl_with_progress(
                settings,
                store,
                None,
                {"SAMPLE_SITE": site.url, "TRACKER_CRAWL__DOWNLOAD_DELAY": "0"},
            )
            print_runs(outcome)
            feed_reports = services.run_feeds(settings, store, now=datetime.now(UTC), env=env)
            for feed_report in feed_reports:
                print_report(feed_report)
            rendered = render_articles(settings, store)
            states = services.current_prices(store)
        finally:
            store.close()
    console.print("Sample vendor site stopped.")
    console.print("Rendered articles:")
    for result in rendered.results:
        console.print(f"  {escaped(result.target)}")
    for error in rendered.errors:
        console.print(f"[red]error:[/red] {escaped(error)}")
    print_prices(states, settings, datetime.now(UTC))
    feeds_failed = any(not r.ok for r in feed_reports)
    if rendered.errors or outcome.status not in ("ok", "partial") or feeds_failed:
        raise click.exceptions.Exit(1)
