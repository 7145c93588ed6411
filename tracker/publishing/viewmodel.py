"""Build the buy box's view model from listing states. Pure: ``now`` is passed in."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from babel.numbers import get_currency_precision

from tracker.claims import PriorPrice, prior_price
from tracker.domain import (
    Availability,
    BoxGroup,
    BuyBox,
    Conversion,
    ListingState,
    OfferGroup,
    OfferRow,
    RowState,
    SpanPoint,
    Sparkline,
)
from tracker.exchange import Rates
from tracker.pricing import comparable_price, orders_first, unit_prices
from tracker.publishing.sparkline import build_sparkline
from tracker.rules import amazon_disclaimer, buy_link, shown
from tracker.urls import link_allowed

ORDERS = ("price", "catalog")
STYLES = ("cards", "table")
BUYABLE = (Availability.IN_STOCK, Availability.LIMITED)


def _availability(value: str | None) -> Availability:
    try:
        return Availability(value) if value else Availability.UNKNOWN
    except ValueError:
        return Availability.UNKNOWN


def minor_digits(currency: str) -> int:
    """Decimal places of the currency's minor unit (2 for USD, 0 for JPY, 3 for KWD)."""
    return int(get_currency_precision(currency))


def amount_text(amount: Decimal, currency: str) -> str:
    """An amount for JSON: a string quantised to the currency's minor unit ("75.00")."""
    return str(amount.quantize(Decimal(1).scaleb(-minor_digits(currency)), ROUND_HALF_EVEN))


def unit_amount_text(amount: Decimal) -> str:
    """A unit price for JSON: a string to 4 places ("0.7500")."""
    return str(amount.quantize(Decimal("0.0001"), ROUND_HALF_EVEN))


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
    pasts: Mapping[int, Past] | None = None,
) -> OfferRow | None:
    """One row; the price only when confirmed and fresh.

    None when the page is gone (rules.page_gone), or when the link is unsafe or leads off the
    vendor's hosts (a row changed behind the catalog's back): that row is left out of the box.
    A caller that already holds what the row's history says (the read model keeps it per data
    version) passes it in ``pasts``; otherwise it is drawn from ``history``.
    """
    if not link_allowed(
        state.affiliate_url, state.vendor_homepage, state.vendor_affiliate_template
    ):
        return None
    target = buy_link(
        state.affiliate_url,
        state.link_broken,
        state.fallback_url,
        state.vendor_homepage,
        state.vendor_affiliate_template,
    )
    # No target: the row keeps its vendor and facts, without a button (the template says the
    # link is being fixed). The live server's /go/ follows the same rule.
    link = f"{link_base}/go/{state.listing_id}" if target and link_base else target
    row_state = shown(state, now, max_age).state
    if row_state is RowState.GONE:
        return None  # "no longer listed": no price, no stock, no button
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
    past = (pasts or {}).get(state.listing_id) or past_of(state, history)
    prior = past.prior
    return OfferRow(
        listing_id=state.listing_id,
        vendor=state.vendor_name,
        label=state.label,
        link=link,
        price=state.price,
        currency=state.currency,
        availability=_availability(state.availability),
        checked_at=checked_at,
        regular_price=prior.amount if prior else None,
        regular_source=prior.source if prior else None,
        unit_prices=unit_prices(
            state.price,
            state.currency,
            state.quantity,
            state.unit,
            state.strength_amount,
            state.strength_unit,
        ),
        state=RowState.PRICED,
        disclaimer=amazon_disclaimer(state.amazon_marketplace),
        checked_ago=relative_age(checked_at, now) if live and checked_at else None,
        # The window ends at the last check, not at `now`: a static render stays the same
        # bytes until the data changes.
        history=past.sparkline,
    )


@dataclass(frozen=True, slots=True)
class Past:
    """What a priced row's history says in its box: the sparkline and the prior price."""

    sparkline: Sparkline | None
    prior: PriorPrice | None


def past_of(state: ListingState, history: Sequence[SpanPoint]) -> Past:
    """The sparkline and prior price of a priced row, drawn from its spans."""
    if state.last_seen_at is None or state.price is None or state.currency is None:
        return Past(None, None)
    return Past(
        build_sparkline(history, state.currency, state.price, state.last_seen_at),
        prior_price(history, state.currency, state.price, state.regular_price),
    )


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
            return (_group(row), comparable_price(row.price, row.unit_prices))
        return (_group(row), Decimal(0))

    return key


def currency_groups(
    rows: Sequence[OfferRow], order: str, home_currency: str | None = None
) -> list[OfferGroup]:
    """The rows by currency, each group in ``order``; last, a group (currency None) of the
    rows without a price and those out of stock.

    Prices of different currencies are never ranked against each other: the site's home
    currency comes first, then the currency with more offers, then by code.
    """
    by_currency: dict[str | None, list[OfferRow]] = {}
    for row in rows:
        code = row.currency if row.price is not None and _group(row) < 3 else None
        by_currency.setdefault(code, []).append(row)
    codes = sorted(
        (c for c in by_currency if c is not None),
        key=lambda c: (c != home_currency, -len(by_currency[c]), c),
    )
    groups = [
        OfferGroup(code, tuple(_mark_best(sorted(by_currency[code], key=_sort_key(order)))))
        for code in codes
    ]
    if None in by_currency:
        groups.append(OfferGroup(None, tuple(sorted(by_currency[None], key=_sort_key(order)))))
    return groups


def _mark_best(rows: list[OfferRow]) -> list[OfferRow]:
    """Mark the lowest unit price among priced, in-stock rows of one currency group."""
    candidates = [r for r in rows if r.price is not None and r.availability in BUYABLE]
    if len(candidates) < 2 or len({r.currency for r in candidates}) != 1:
        return rows
    if len({r.unit_prices[-1].per if r.unit_prices else "" for r in candidates}) != 1:
        return rows
    best = min(candidates, key=lambda r: comparable_price(r.price, r.unit_prices))  # type: ignore[arg-type]
    return [replace(r, is_best=True) if r is best else r for r in rows]


def keep_best(groups: Sequence[OfferGroup], limit: int | None) -> list[OfferGroup]:
    """At most ``limit`` rows: the best of each currency first, then the second best, …

    Rows without a price come after every priced row; the groups keep their order.
    """
    if limit is None or limit <= 0:
        return list(groups)
    ranked = sorted(
        (
            (g.currency is None, place, index, row)
            for index, g in enumerate(groups)
            for place, row in enumerate(g.rows)
        ),
        key=lambda item: item[:3],
    )
    kept = {id(item[3]) for item in ranked[:limit]}
    out = [OfferGroup(g.currency, tuple(r for r in g.rows if id(r) in kept)) for g in groups]
    return [g for g in out if g.rows]


def convert_rows(
    rows: Sequence[OfferRow], rates: Rates | None, compare_to: str | None, now: datetime
) -> list[OfferRow]:
    """Add a comparison price in ``compare_to`` to rows in other currencies (rates permitting)."""
    if rates is None or compare_to is None or not rates.usable(now.date()):
        return list(rows)
    out = []
    for row in rows:
        amount = (
            rates.convert(row.price, row.currency, compare_to)
            if row.price is not None and row.currency and row.currency != compare_to
            else None
        )
        out.append(
            replace(row, converted=Conversion(amount, compare_to, rates.day)) if amount else row
        )
    return out


def _offer_jsonld(row: OfferRow) -> dict[str, Any]:
    offer = {
        "@type": "Offer",
        "price": amount_text(row.price, row.currency),  # type: ignore[arg-type]
        "priceCurrency": row.currency,
        "availability": f"https://schema.org/{row.availability}"
        if row.availability is not Availability.UNKNOWN
        else None,
        "url": row.link,
        "name": row.label,
        "seller": {"@type": "Organization", "name": row.vendor},
    }
    return {k: v for k, v in offer.items() if v is not None}


def product_jsonld(product_name: str, rows: Sequence[OfferRow]) -> dict[str, Any] | None:
    """schema.org Product: an AggregateOffer per currency, each offer in its own currency."""
    priced = [r for r in rows if r.state is RowState.PRICED and r.price is not None]
    if not priced:
        return None
    aggregates = []
    for code in dict.fromkeys(r.currency for r in priced):
        same = [r for r in priced if r.currency == code]
        prices = [r.price for r in same if r.price is not None]
        aggregates.append(
            {
                "@type": "AggregateOffer",
                "lowPrice": amount_text(min(prices), code),  # type: ignore[arg-type]
                "highPrice": amount_text(max(prices), code),  # type: ignore[arg-type]
                "offerCount": len(same),
                "priceCurrency": code,
                "offers": [_offer_jsonld(r) for r in same],
            }
        )
    return {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": product_name,
        "offers": aggregates[0] if len(aggregates) == 1 else aggregates,
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
    home_currency: str | None = None,
    rates: Rates | None = None,
    compare_to: str | None = None,
    pasts: Mapping[int, Past] | None = None,
) -> BuyBox:
    """The box of one product. ``live`` adds relative check times ("3 h ago").

    The rows come grouped by currency (``BuyBox.groups``; ``rows`` is the same rows in the
    same order); ``limit`` keeps the best offers of each currency first.
    """
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
                pasts=pasts,
            )
            for s in states
        )
        if r is not None
    ]
    rows = convert_rows(rows, rates, compare_to, now)
    groups = currency_groups(rows, order, home_currency)
    kept = keep_best(groups, limit)
    shown = [row for group in kept for row in group.rows]
    return BuyBox(
        product_slug=product_slug,
        product_name=product_name,
        rows=tuple(shown),
        disclosure=disclosure,
        generated_at=now,
        jsonld=product_jsonld(product_name, shown) if jsonld else None,
        hidden_rows=len(rows) - len(shown),
        groups=tuple(kept),
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
