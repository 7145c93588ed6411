"""`tracker crawl` and `tracker extract`: check listings now, or see what one page yields."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import click

from tracker import onboarding, services
from tracker.cli.entry import echo_entry, entry_options, preview_arguments
from tracker.cli.output import (
    crawl_with_progress,
    operator_errors,
    plain,
    print_runs,
    settings_of,
)
from tracker.crawling import pagecheck
from tracker.domain import ExtractHints


@click.command()
@click.option("--vendor", help="Crawl only this vendor (its slug).")
@click.pass_context
@operator_errors
def crawl(ctx: click.Context, vendor: str | None) -> None:
    """Check the active listings now (one vendor or all), in a Scrapy child process.

    A crawl of all vendors records one run per vendor, as the scheduler's crawls do.
    """
    settings = settings_of(ctx)
    store = services.open_settings_store(settings)
    try:
        outcome = crawl_with_progress(settings, store, vendor)
    finally:
        store.close()
    print_runs(outcome)
    if outcome.status not in ("ok", "partial"):
        raise click.exceptions.Exit(1)


@click.command("extract")
@click.argument("source", metavar="FILE_OR_URL")
@click.option("--url", help="The saved page's address (for relative links and platform endpoints).")
@click.option("--vendor", "vendor_slug", help="Use this synced vendor's currency and hints.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option(
    "--explain", is_flag=True, help="Show each source's reading, what agreed, and the decision."
)
@click.option(
    "--catalog-entry",
    is_flag=True,
    help="Print the catalog YAML (vendor, one listing per variant) that would track this URL.",
)
@entry_options
@click.pass_context
@operator_errors
def extract_page(
    ctx: click.Context,
    source: str,
    url: str | None,
    vendor_slug: str | None,
    as_json: bool,
    explain: bool,
    catalog_entry: bool,
    **naming: str | None,
) -> None:
    """Show what a product page yields before you add its vendor: offers, source, what was tried.

    FILE_OR_URL is a saved page or an http(s) URL to fetch. The same extraction chain as the
    crawl runs on it. --explain shows why a page abstains: each source's claim, whether the
    page shows it, and the decision. --catalog-entry (a URL only) reads the page as the crawl
    would (robots.txt, public addresses, size limit) and prints the catalog entry to paste,
    or to append with `tracker catalog add`.
    """
    settings = settings_of(ctx)
    if catalog_entry:
        if urlsplit(source).scheme not in ("http", "https"):
            raise click.UsageError("--catalog-entry reads an http(s) URL, not a saved file")
        preview = onboarding.preview_url(source, settings, **preview_arguments(naming))
        if as_json:
            data = {"entry": preview.entry, "yaml": preview.yaml, "notes": list(preview.notes)}
            click.echo(json.dumps(data, ensure_ascii=True, indent=2))
        else:
            echo_entry(preview)
        return
    hints = ExtractHints()
    if vendor_slug:
        store = services.open_existing_store(settings)
        try:
            hints = pagecheck.vendor_hints(store, vendor_slug)
        finally:
            store.close()
    checked = pagecheck.check_page(source, url, hints, settings)
    results = [checked.result]
    if checked.follow_up_result is not None:
        results.append(checked.follow_up_result)
    if as_json:
        data = pagecheck.result_json(checked.result)
        if checked.follow_up_result is not None:
            data["follow_up_result"] = pagecheck.result_json(checked.follow_up_result)
        # ASCII only: a page's control characters reach the terminal as \u escapes.
        click.echo(json.dumps(data, ensure_ascii=True, indent=2))
        return
    for index, result in enumerate(results):
        if index:
            click.echo(plain(f"follow-up {checked.result.follow_up}:"))
        for line in pagecheck.result_lines(result, hints.currency):
            click.echo(plain(line))
        if explain:
            for line in pagecheck.explain_lines(result):
                click.echo(plain(line))
