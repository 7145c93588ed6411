"""`tracker prices`: current prices and check states, or one listing explained."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from tracker import services
from tracker.cli.output import console, operator_errors, print_prices, settings_of
from tracker.cli.provenance import print_provenance


@click.command()
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
    store = services.open_existing_store(settings)
    try:
        if listing_id is not None:
            print_provenance(console, services.listing_provenance(store, listing_id))
            return
        states = services.current_prices(store, product)
    finally:
        store.close()
    if product and not states:
        raise click.ClickException(f"no active listings for product {product!r}")
    print_prices(states, settings, datetime.now(UTC))
