"""Build the buy box's view model from listing states. Pure: ``now`` is passed in."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from tracker.domain import Availability, BuyBox, ListingState, OfferRow
from tracker.pricing import comparable_price, is_fresh, orders_first, unit_prices
from tracker.urls import is_http_url


def _availability(value: str | None) -> Availability:
    try:
        return Availability(value) if value else Availability.UNKNOWN
    except ValueError:
        return Availability.UNKNOWN


def offer_row(state: ListingState, now: datetime, max_age: timedelta) -> OfferRow | None:
    """One row; the price only when confirmed and fresh. None when the link is unsafe."""
    link = state.affiliate_url if is_http_url(state.affiliate_url) else None
    if link is None:
        return None
    shown = (
        state.price is not None
        and state.currency is not None
        and state.confirmed
        and is_fresh(state.last_seen_at, now, max_age)
    )
    if not shown or state.price is None or state.currency is None:
        return OfferRow(
            listing_id=state.listing_id,
            vendor=state.vendor_name,
            label=state.label,
            link=link,
            price=None,
            currency=None,
            availability=Availability.UNKNOWN,
            checked_at=None,
        )
    return OfferRow(
        listing_id=state.listing_id,
        vendor=state.vendor_name,
        label=state.label,
        link=link,
        price=state.price,
        currency=state.currency,
        availability=_availability(state.availability),
        checked_at=state.last_seen_at,
        regular_price=state.regular_price,
        unit_prices=unit_prices(
            state.price,
            state.currency,
            state.quantity,
            state.unit,
            state.strength_amount,
            state.strength_unit,
        ),
    )


def _mark_best(rows: list[OfferRow]) -> list[OfferRow]:
    """Mark the lowest unit price among priced, buyable rows of one currency."""
    candidates = [r for r in rows if r.price is not None and orders_first(r.availability) == 0]
    if len(candidates) < 2 or len({r.currency for r in candidates}) != 1:
        return rows
    if len({r.unit_prices[-1].per if r.unit_prices else "" for r in candidates}) != 1:
        return rows
    best = min(candidates, key=lambda r: comparable_price(r.price, r.unit_prices))  # type: ignore[arg-type]
    return [replace(r, is_best=True) if r is best else r for r in rows]


def build_buy_box(
    product_slug: str,
    product_name: str,
    states: Sequence[ListingState],
    *,
    disclosure: str,
    now: datetime,
    max_age: timedelta,
) -> BuyBox:
    rows = [r for r in (offer_row(s, now, max_age) for s in states) if r is not None]
    rows.sort(key=lambda r: (r.price is None, orders_first(r.availability)))
    return BuyBox(
        product_slug=product_slug,
        product_name=product_name,
        rows=tuple(_mark_best(rows)),
        disclosure=disclosure,
        generated_at=now,
    )
