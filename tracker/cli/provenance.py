"""`tracker prices --why`: a listing's price, where it came from, and its recent history."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from tracker.cli.output import shown, when
from tracker.store.provenance import ListingProvenance, SpanRecord


def print_provenance(console: Console, p: ListingProvenance) -> None:
    """Print the current span with its provenance, the check state and the last spans."""
    state = "" if p.active else " (inactive)"
    console.print(
        f"Listing {p.listing_id}{state}: {shown(p.product)} at {shown(p.vendor)}, {shown(p.label)}"
    )
    console.print(f"  url: {shown(p.url)}", soft_wrap=True)
    span = p.current
    if span is None:
        console.print("Current price: none read yet")
    else:
        confirmed = "confirmed" if span.confirmed else "UNCONFIRMED (not published)"
        console.print(
            f"Current price: {shown(_money(span))}, {shown(span.availability)}, {confirmed}"
        )
        console.print(f"  source: {shown(span.source or '-')}")
        raw = shown(repr(span.raw_price)) if span.raw_price else "-"
        console.print(f"  raw price text: {raw}")
        console.print(f"  page hash: {shown(span.page_hash or '-')}")
        console.print(
            f"  first seen: {when(span.first_seen_at)}, last seen: "
            f"{when(span.last_seen_at)}, seen {span.seen_count} time(s)"
        )
    console.print("Check state:")
    console.print(f"  last checked: {when(p.last_checked_at)}, last success: {when(p.last_ok_at)}")
    console.print(
        f"  last status: {shown(p.last_status or 'never checked')}, consecutive failures: "
        f"{p.consecutive_failures}"
    )
    console.print(f"  last error: {shown(p.last_error or '-')}", soft_wrap=True)
    if not p.history:
        return
    table = Table(
        "first seen",
        "last seen",
        "price",
        "stock",
        "confirmed",
        "source",
        "raw",
        "page",
        title="History (newest first)",
        title_justify="left",
    )
    for s in p.history:
        table.add_row(
            when(s.first_seen_at),
            when(s.last_seen_at),
            shown(_money(s)),
            shown(s.availability),
            "yes" if s.confirmed else "no",
            shown(s.source or "-"),
            shown(s.raw_price or "-"),
            shown(s.page_hash or "-"),
        )
    console.print(table)
    console.print("Times in UTC.")


def _money(span: SpanRecord) -> str:
    text = f"{span.price:.2f} {span.currency}"
    if span.regular_price is not None:
        text += f" (regular {span.regular_price:.2f})"
    return text
