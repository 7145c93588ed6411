"""From feed items to checks: the same offers, variant matching and currency check as a page.

Pure functions: a listing's candidate items become offers (price, sale price, stock, size as
the variant, the deep link), ``matching.match_offer`` picks the listing's one, and the check
carries the feed's date as its time (freshness counts from the feed's own timestamp).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal

from tracker.domain import Availability, Check, CheckStatus, Offer
from tracker.extract.availability import normalize_availability
from tracker.extract.values import parse_currency, parse_price
from tracker.feeds.reader import FeedItem
from tracker.matching import match_offer
from tracker.store.feeds import FeedTarget
from tracker.urls import is_http_url, link_allowed

_CODE = re.compile(r"\b([A-Z]{3})\b")
_YES = frozenset({"1", "y", "yes", "true", "available"})
_NO = frozenset({"0", "n", "no", "false", "sold out", "unavailable"})


class BadRow(ValueError):
    """A matching row that cannot be a price; the message says why (it is reported)."""


def item_offer(item: FeedItem, source: str, default_currency: str) -> Offer:
    """The offer a feed row states, or BadRow."""
    fields = item.fields
    price_text = fields.get("price", "")
    sale_text = fields.get("sale_price", "")
    price, _ = parse_price(price_text) if price_text else (None, "")
    sale, _ = parse_price(sale_text) if sale_text else (None, "")
    if price is None and sale is None:
        raise BadRow(f"row {item.row}: bad price {price_text[:40]!r}")
    current, raw = (sale, sale_text) if sale is not None else (price, price_text)
    assert current is not None
    regular = price if sale is not None else _amount(fields.get("regular_price"))
    currency = _currency(fields.get("currency"), raw, default_currency)
    if currency is None:
        raise BadRow(f"row {item.row}: unknown currency {fields.get('currency', raw)[:40]!r}")
    link = fields.get("link")
    return Offer(
        price=current,
        currency=currency,
        availability=_availability(fields.get("availability")),
        name=fields.get("title"),
        variant=fields.get("size"),
        sku=fields.get("sku") or fields.get("id"),
        regular_price=regular if regular is not None and regular > current else None,
        url=link if link and is_http_url(link) else None,
        source=source,
        raw_price=raw[:200],
    )


def _amount(text: str | None) -> Decimal | None:
    return parse_price(text)[0] if text else None


def _currency(column: str | None, price_text: str, default: str) -> str | None:
    if column:
        return parse_currency(column)
    code = _CODE.search(price_text)
    if code:
        return parse_currency(code.group(1))
    return default


def _availability(text: str | None) -> Availability:
    if not text:
        return Availability.UNKNOWN
    folded = text.strip().casefold()
    if folded in _YES:
        return Availability.IN_STOCK
    if folded in _NO:
        return Availability.OUT_OF_STOCK
    return normalize_availability(folded.replace("_", " "))


def feed_check(
    target: FeedTarget,
    items: Sequence[FeedItem],
    *,
    source: str,
    feed_label: str,
    feed_date: datetime,
    digest: str | None,
    bad: list[str],
) -> Check:
    """One listing's check from the feed rows that carry its identifier.

    Rows that cannot be read are appended to ``bad`` (reported with the run); a listing
    whose item is gone, unreadable or in another currency gets a failed check, which keeps
    its last good price and only ages it.
    """
    if not items:
        return Check(
            target.listing_id,
            CheckStatus.NOT_FOUND,
            feed_date,
            error=f"{target.key} {target.value} is not in {feed_label}",
            url=None,
        )
    offers = []
    dates: dict[int, str] = {}  # id(offer) -> its row's own date text
    for item in items:
        try:
            read = item_offer(item, source, target.vendor_currency)
        except BadRow as exc:
            bad.append(str(exc))
            continue
        offers.append(read)
        dates[id(read)] = item.fields.get("updated", "")
    if not offers:
        return Check(
            target.listing_id,
            CheckStatus.NO_PRICE,
            feed_date,
            error=f"{feed_label}: {bad[-1]}",
        )
    match = match_offer(tuple(offers), target.variant)
    offer = match.offer
    if offer is None:
        return Check(target.listing_id, match.status, feed_date, error=match.error)
    if offer.currency != target.vendor_currency:
        return Check(
            target.listing_id,
            CheckStatus.NO_PRICE,
            feed_date,
            error=f"{feed_label} states {offer.currency}, the vendor is set to "
            f"{target.vendor_currency}",
        )
    return Check(
        target.listing_id,
        CheckStatus.OK,
        row_date(dates.get(id(offer), ""), feed_date),
        offer=offer,
        page_hash=digest[:16] if digest else None,
        agreed=(source,),
        availability=offer.availability,
    )


def row_date(text: str, feed_date: datetime) -> datetime:
    """A row's observation time: its own date ("2026-12-01 06:00:00", UTC unless it names a
    zone) when it is older than the feed's, else the feed's date; an unreadable date is none."""
    try:
        moment = datetime.fromisoformat(text.strip()) if text.strip() else None
    except ValueError:
        moment = None
    if moment is None:
        return feed_date
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment if moment < feed_date else feed_date


def deep_link(target: FeedTarget, offer: Offer | None) -> str | None:
    """The item's deep link for a listing that takes it, when it may lead there."""
    if not target.link_wanted or offer is None or not offer.url or len(offer.url) > 2000:
        return None
    if not link_allowed(offer.url, target.vendor_homepage, target.vendor_template):
        return None
    return offer.url
