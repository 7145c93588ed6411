"""`tracker export`: the products' current offers as JSON data files for site generators."""

from __future__ import annotations

from pathlib import Path

import click

from tracker import services
from tracker.cli.output import console, escaped, operator_errors, plain, settings_of
from tracker.publishing.export import ExportError, export_products

DEFAULT_OUT = Path("data") / "tracker"


@click.command()
@click.argument("products", nargs=-1)
@click.option(
    "--out",
    "out_dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=DEFAULT_OUT,
    show_default=True,
    help="Folder for the data files (Hugo: data/tracker; Jekyll, Eleventy: _data/tracker).",
)
@click.pass_context
@operator_errors
def export(ctx: click.Context, products: tuple[str, ...], out_dir: Path) -> None:
    """Write OUT/SLUG.json for PRODUCTS (default: every active product): the box's offers."""
    settings = settings_of(ctx)
    store = services.open_existing_store(settings)
    try:
        results = export_products(settings, store, out_dir, list(products) or None)
    except ExportError as exc:
        raise click.ClickException(plain(str(exc))) from exc
    finally:
        store.close()
    for result in results:
        state = "written" if result.changed else "unchanged"
        console.print(f"{escaped(result.target)} ({state})")
