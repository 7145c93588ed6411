"""`tracker prices`: current prices and check states, one listing explained, held prices judged."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from tracker import services
from tracker.cli.output import console, escaped, operator_errors, print_prices, settings_of
from tracker.cli.provenance import print_provenance


@click.command()
@click.argument("product", required=False)
@click.option(
    "--why",
    "listing_id",
    type=int,
    metavar="LISTING",
    help="Explain one listing (its id in this table): source, agreeing sources, raw price, "
    "page hash, history.",
)
@click.option(
    "--accept",
    "accept_id",
    type=int,
    metavar="LISTING",
    help="Publish the price the publish gate holds for LISTING now.",
)
@click.option(
    "--reject",
    "reject_id",
    type=int,
    metavar="LISTING",
    help="Mark the held price of LISTING as a bad reading: the last confirmed price stays.",
)
@click.pass_context
@operator_errors
def prices(
    ctx: click.Context,
    product: str | None,
    listing_id: int | None,
    accept_id: int | None,
    reject_id: int | None,
) -> None:
    """Show current prices, availability, last check and status (of one PRODUCT or all).

    Held prices (a suspicious move, waiting for a later run to confirm it) are listed with
    their reason; --accept or --reject decides for the publish gate.
    """
    if sum(option is not None for option in (listing_id, accept_id, reject_id)) > 1:
        raise click.UsageError("give one of --why, --accept, --reject")
    settings = settings_of(ctx)
    store = services.open_existing_store(settings)
    try:
        if listing_id is not None:
            print_provenance(console, services.listing_provenance(store, listing_id))
            return
        if accept_id is not None or reject_id is not None:
            accept = accept_id is not None
            ident = accept_id if accept_id is not None else reject_id
            assert ident is not None
            done = services.review_held(store, ident, accept=accept, now=datetime.now(UTC))
            reading = escaped(f"{done.price:.2f} {done.currency}")
            if done.accepted:
                console.print(f"listing {done.listing_id}: {reading} accepted and published")
            else:
                stays = (
                    escaped(f"{done.restored[0]:.2f} {done.restored[1]} stays")
                    if done.restored
                    else "no price is shown"
                )
                console.print(f"listing {done.listing_id}: {reading} rejected; {stays}")
            return
        states = services.current_prices(store, product)
    finally:
        store.close()
    if product and not states:
        raise click.ClickException(f"no active listings for product {product!r}")
    print_prices(states, settings, datetime.now(UTC))
