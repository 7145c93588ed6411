"""Build the buy box's view model from listing states. Pure: ``now`` is passed in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from tracker.domain import (
    Availability,
    BoxGroup,
    BuyBox,
    ListingState,
    OfferRow,
    RowState,
    SpanPoint,
    Sparkline,
)
from tracker.pricing import comparable_price, orders_first, unit_prices
from tracker.publishing.sparkline import build_sparkline
from tracker.rules import shown
from tracker.urls import link_allowed

ORDERS = ("price", "catalog")
STYLES = ("cards", "table")
BUYABLE = (Availability.IN_STOCK, Availability.LIMITED)


def _availability(value: str | None) -> Availability:
    try:
        return Availability(value) if value else Availability.UNKNOWN
    except ValueError:
        return Availability.UNKNOWN


def amount_text(amount: Decimal) -> str:
    """A plain decimal for JSON: two places when that loses nothing ("75.00"), else all."""
    cents = amount.quantize(Decimal("0.01"))
    return str(cents) if cents == amount else str(amount.normalize())


def relative_age(then: datetime, now: datetime) -> str:
    """Short, coarse text for how long ago ``then`` was: "just now", "5 min ago", "3 h ago"."""
    seconds = max(0, int((now - then).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 48 * 3600:
        return f"{seconds // 3600} h ago"
    return f"{seconds // 86400} d ago"


def offer_row(
    state: ListingState,
    now: datetime,
    max_age: timedelta,
    *,
    history: Sequence[SpanPoint] = (),
    live: bool = False,
    link_base: str | None = None,
    sparklines: Mapping[int, Sparkline | None] | None = None,
) -> OfferRow | None:
    """One row; the price only when confirmed and fresh.

    None when the link is unsafe or leads off the vendor's hosts (a row changed behind the
    catalog's back): that row is left out of the box. A caller that already holds the row's
    sparkline (the read model keeps them per data version) passes it in ``sparklines``.
    """
    if not link_allowed(
        state.affiliate_url, state.vendor_homepage, state.vendor_affiliate_template
    ):
        return None
    link = f"{link_base}/go/{state.listing_id}" if link_base else state.affiliate_url
    row_state = shown(state, now, max_age).state
    if row_state is not RowState.PRICED or state.price is None or state.currency is None:
        # No number. A page that said "out of stock" without a price says so, with its time.
        unavailable = row_state is RowState.UNAVAILABLE
        seen = state.seen_availability_at if unavailable else None
        return OfferRow(
            listing_id=state.listing_id,
            vendor=state.vendor_name,
            label=state.label,
            link=link,
            price=None,
            currency=None,
            availability=(
                _availability(state.seen_availability) if unavailable else Availability.UNKNOWN
            ),
            checked_at=seen,
            state=row_state,
            checked_ago=relative_age(seen, now) if live and seen else None,
        )
    checked_at = state.last_seen_at
    return OfferRow(
        listing_id=state.listing_id,
        vendor=state.vendor_name,
        label=state.label,
        link=link,
        price=state.price,
        currency=state.currency,
        availability=_availability(state.availability),
        checked_at=checked_at,
        regular_price=(
            state.regular_price
            if state.regular_price is not None and state.regular_price > state.price
            else None
        ),
        unit_prices=unit_prices(
            state.price,
            state.currency,
            state.quantity,
            state.unit,
            state.strength_amount,
            state.strength_unit,
        ),
        state=RowState.PRICED,
        checked_ago=relative_age(checked_at, now) if live and checked_at else None,
        # The window ends at the last check, not at `now`: a static render stays the same
        # bytes until the data changes.
        history=_sparkline(state, history, sparklines),
    )


def _sparkline(
    state: ListingState,
    history: Sequence[SpanPoint],
    known: Mapping[int, Sparkline | None] | None,
) -> Sparkline | None:
    if state.last_seen_at is None or state.price is None or state.currency is None:
        return None
    if known is not None and state.listing_id in known:
        return known[state.listing_id]
    return build_sparkline(history, state.currency, state.price, state.last_seen_at)


def _group(row: OfferRow) -> int:
    """Priced and buyable first, then priced with unclear stock, then unpriced; gone last."""
    if row.state is RowState.UNAVAILABLE:
        return 3
    if row.price is None:
        return 2
    return {0: 0, 1: 1}.get(orders_first(row.availability), 3)


def _sort_key(order: str) -> Any:
    def key(row: OfferRow) -> tuple[Any, ...]:
        if order == "price" and row.price is not None:
            return (_group(row), row.currency or "", comparable_price(row.price, row.unit_prices))
        return (_group(row), "", Decimal(0))

    return key


def _mark_best(rows: list[OfferRow]) -> list[OfferRow]:
    """Mark the lowest unit price among priced, in-stock rows of one currency."""
    candidates = [r for r in rows if r.price is not None and r.availability in BUYABLE]
    if len(candidates) < 2 or len({r.currency for r in candidates}) != 1:
        return rows
    if len({r.unit_prices[-1].per if r.unit_prices else "" for r in candidates}) != 1:
        return rows
    best = min(candidates, key=lambda r: comparable_price(r.price, r.unit_prices))  # type: ignore[arg-type]
    return [replace(r, is_best=True) if r is best else r for r in rows]


def product_jsonld(product_name: str, rows: Sequence[OfferRow]) -> dict[str, Any] | None:
    """schema.org Product with an AggregateOffer of the fresh prices (one currency)."""
    priced = [r for r in rows if r.state is RowState.PRICED and r.price is not None]
    if not priced:
        return None
    currency = priced[0].currency
    same = [r for r in priced if r.currency == currency]
    prices = [r.price for r in same if r.price is not None]
    offers = [
        {
            "@type": "Offer",
            "price": amount_text(r.price),  # type: ignore[arg-type]
            "priceCurrency": r.currency,
            "availability": f"https://schema.org/{r.availability}"
            if r.availability is not Availability.UNKNOWN
            else None,
            "url": r.link,
            "name": r.label,
            "seller": {"@type": "Organization", "name": r.vendor},
        }
        for r in same
    ]
    return {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product_name,
        "offers": {
            "@type": "AggregateOffer",
            "lowPrice": amount_text(min(prices)),
            "highPrice": amount_text(max(prices)),
            "offerCount": len(same),
            "priceCurrency": currency,
            "offers": [{k: v for k, v in offer.items() if v is not None} for offer in offers],
        },
    }


def build_buy_box(
    product_slug: str,
    product_name: str,
    states: Sequence[ListingState],
    *,
    disclosure: str,
    now: datetime,
    max_age: timedelta,
    history: Mapping[int, Sequence[SpanPoint]] | None = None,
    order: str = "price",
    limit: int | None = None,
    live: bool = False,
    link_base: str | None = None,
    jsonld: bool = False,
    sparklines: Mapping[int, Sparkline | None] | None = None,
) -> BuyBox:
    """The box of one product. ``live`` adds relative check times ("3 h ago")."""
    history = history or {}
    rows = [
        r
        for r in (
            offer_row(
                s,
                now,
                max_age,
                history=history.get(s.listing_id, ()),
                live=live,
                link_base=link_base,
                sparklines=sparklines,
            )
            for s in states
        )
        if r is not None
    ]
    rows.sort(key=_sort_key(order))
    rows = _mark_best(rows)
    shown = rows[:limit] if limit is not None and limit > 0 else rows
    return BuyBox(
        product_slug=product_slug,
        product_name=product_name,
        rows=tuple(shown),
        disclosure=disclosure,
        generated_at=now,
        jsonld=product_jsonld(product_name, shown) if jsonld else None,
        hidden_rows=len(rows) - len(shown),
    )


def build_group(
    boxes: Sequence[BuyBox], *, style: str, disclosure: str, show_note: bool
) -> BoxGroup:
    """The boxes of one marker under one disclosure line and one "as of" note."""
    if style not in STYLES:
        raise ValueError(f"style must be one of {', '.join(STYLES)}, not {style!r}")
    times = [r.checked_at for b in boxes for r in b.rows if r.checked_at is not None]
    return BoxGroup(
        boxes=tuple(boxes),
        style=style,
        disclosure=disclosure,
        as_of=max(times) if times else None,
        show_note=show_note,
    )
