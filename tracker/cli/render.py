"""`tracker render`: fill the buy boxes of the articles."""

from __future__ import annotations

from pathlib import Path

import click

from tracker import services
from tracker.cli.output import console, escaped, operator_errors, plain, settings_of
from tracker.publishing.render import render_articles


@click.command()
@click.argument("articles", nargs=-1, type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Write rendered articles here (default: the configured out_dir).",
)
@click.option("--in-place", is_flag=True, help="Rewrite the articles themselves.")
@click.option(
    "--check",
    is_flag=True,
    help="Write nothing; exit 1 when an article would change or breaks a compliance rule.",
)
@click.option(
    "--diff", "show_diff", is_flag=True, help="Show each change as a unified diff; write nothing."
)
@click.option("--write", "also_write", is_flag=True, help="With --diff: write the changes too.")
@click.option(
    "--force", is_flag=True, help="Render every article, even those whose data did not change."
)
@click.pass_context
@operator_errors
def render(
    ctx: click.Context,
    articles: tuple[Path, ...],
    out_dir: Path | None,
    in_place: bool,
    check: bool,
    show_diff: bool,
    also_write: bool,
    force: bool,
) -> None:
    """Fill the buy boxes of ARTICLES (default: every article with markers in content_dir)."""
    if in_place and out_dir:
        raise click.UsageError("give --out or --in-place, not both")
    if also_write and (check or not show_diff):
        raise click.UsageError("--write goes with --diff (and not with --check)")
    write = not check and (not show_diff or also_write)
    settings = settings_of(ctx)
    store = services.open_existing_store(settings)
    try:
        report = render_articles(
            settings,
            store,
            list(articles) or None,
            out_dir=out_dir,
            in_place=in_place,
            write=write,
            diff=show_diff,
            force=force,
            compliance=check,
        )
    finally:
        store.close()
    for result in report.results:
        if not write:
            state = "would change" if result.changed else "up to date"
        elif result.skipped:
            state = "unchanged: skipped, its data did not change"
        else:
            state = "written" if result.changed else "unchanged"
        console.print(f"{escaped(result.target)} ({result.boxes} boxes, {state})")
        if result.diff:
            click.echo("\n".join(plain(line) for line in result.diff.split("\n")), nl=False)
    if report.stylesheet is not None:
        sheet = report.stylesheet
        state = ("written" if write else "would change") if sheet.changed else "unchanged"
        console.print(f"{escaped(sheet.target)} (the boxes' stylesheet, {state})")
    for note in report.skipped:
        console.print(f"[yellow]skipped:[/yellow] {escaped(note)}", soft_wrap=True)
    findings = [line for result in report.results for line in result.findings]
    for finding in findings:
        console.print(f"[red]compliance:[/red] {escaped(finding)}", soft_wrap=True)
    for error in report.errors:
        console.print(f"[red]error:[/red] {escaped(error)}", soft_wrap=True)
    if report.errors or findings or (check and any(r.changed for r in report.results)):
        raise click.exceptions.Exit(1)
