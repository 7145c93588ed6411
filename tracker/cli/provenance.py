"""`tracker prices --why`: a listing's price, where it came from, and its recent history."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from tracker.cli.output import escaped, when
from tracker.store.provenance import ListingProvenance, SpanRecord


def print_provenance(console: Console, p: ListingProvenance) -> None:
    """Print the current span with its provenance, the check state and the last spans."""
    state = "" if p.active else " (inactive)"
    console.print(
        f"Listing {p.listing_id}{state}: {escaped(p.product)} at {escaped(p.vendor)}, "
        f"{escaped(p.label)}"
    )
    console.print(f"  url: {escaped(p.url)}", soft_wrap=True)
    span = p.current
    if span is None:
        console.print("Current price: none read yet")
    else:
        money, stock = escaped(_money(span)), escaped(span.availability)
        console.print(f"Current price: {money}, {stock}, {_verdict(span)}")
        console.print(f"  source: {escaped(span.source or '-')}")
        console.print(f"  sources that agreed: {escaped(', '.join(span.agreed) or '-')}")
        if span.held_reason:
            console.print(f"  held: {escaped(span.held_reason)}", soft_wrap=True)
        raw = escaped(repr(span.raw_price)) if span.raw_price else "-"
        console.print(f"  raw price text: {raw}")
        console.print(f"  page hash: {escaped(span.page_hash or '-')}")
        console.print(
            f"  first seen: {when(span.first_seen_at)}, last seen: "
            f"{when(span.last_seen_at)}, seen {span.seen_count} time(s)"
        )
    console.print("Check state:")
    console.print(f"  last checked: {when(p.last_checked_at)}, last success: {when(p.last_ok_at)}")
    console.print(
        f"  last status: {escaped(p.last_status or 'never checked')}, consecutive failures: "
        f"{p.consecutive_failures}"
    )
    console.print(f"  last error: {escaped(p.last_error or '-')}", soft_wrap=True)
    if not p.history:
        return
    table = Table(
        "first seen",
        "last seen",
        "price",
        "stock",
        "published",
        "source",
        "agreed",
        "raw",
        "page",
        title="History (newest first)",
        title_justify="left",
    )
    for s in p.history:
        table.add_row(
            when(s.first_seen_at),
            when(s.last_seen_at),
            escaped(_money(s)),
            escaped(s.availability),
            _verdict(s),
            escaped(s.source or "-"),
            escaped(", ".join(s.agreed) or "-"),
            escaped(s.raw_price or "-"),
            escaped(s.page_hash or "-"),
        )
    console.print(table)
    console.print("Times in UTC.")


def _verdict(span: SpanRecord) -> str:
    if span.rejected:
        return "REJECTED (not published)"
    return "confirmed" if span.confirmed else "HELD (not published)"


def _money(span: SpanRecord) -> str:
    text = f"{span.price:.2f} {span.currency}"
    if span.regular_price is not None:
        text += f" (regular {span.regular_price:.2f})"
    return text
