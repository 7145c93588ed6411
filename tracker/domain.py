"""Value types shared by every layer: offers, extraction results, checks, buy-box rows."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any


class Availability(enum.StrEnum):
    """schema.org ItemAvailability, plus ``unknown`` for anything not stated."""

    IN_STOCK = "InStock"
    OUT_OF_STOCK = "OutOfStock"
    PRE_ORDER = "PreOrder"
    BACK_ORDER = "BackOrder"
    DISCONTINUED = "Discontinued"
    LIMITED = "LimitedAvailability"
    UNKNOWN = "unknown"


class CheckStatus(enum.StrEnum):
    """Outcome of one check of one listing."""

    OK = "ok"
    SUSPECT = "suspect"
    NOT_FOUND = "not_found"
    NO_PRICE = "no_price"
    BLOCKED = "blocked"
    HTTP_ERROR = "http_error"
    TIMEOUT = "timeout"
    UNMATCHED_VARIANT = "unmatched_variant"
    AMBIGUOUS = "ambiguous"
    OFFSITE_REDIRECT = "offsite_redirect"
    UNREACHABLE = "unreachable"  # refused connection, DNS failure, TLS error: not a bot check

    @property
    def is_success(self) -> bool:
        return self in (CheckStatus.OK, CheckStatus.SUSPECT)

    @property
    def meaning(self) -> str:
        """What the status says, as a sentence: the error of a check that gave none."""
        return _CHECK_MEANINGS[self]


_CHECK_MEANINGS = {
    CheckStatus.OK: "the price was read",
    CheckStatus.SUSPECT: "the price moved suspiciously far and is held",
    CheckStatus.NOT_FOUND: "the page or the product is gone",
    CheckStatus.NO_PRICE: "the page shows no price",
    CheckStatus.BLOCKED: "the shop refused the request",
    CheckStatus.HTTP_ERROR: "the request failed",
    CheckStatus.TIMEOUT: "the request timed out",
    CheckStatus.UNMATCHED_VARIANT: "the listing's variant is not on the page",
    CheckStatus.AMBIGUOUS: "the page offers several prices and none is clearly the listing's",
    CheckStatus.OFFSITE_REDIRECT: "the page redirects away from the vendor's site",
    CheckStatus.UNREACHABLE: "the shop could not be reached (refused, DNS or TLS failure)",
}


class RunStatus(enum.StrEnum):
    RUNNING = "running"
    OK = "ok"
    PARTIAL = "partial"
    FAILED = "failed"
    KILLED = "killed"


@dataclass(frozen=True, slots=True)
class Offer:
    """One purchasable thing a page states a price for."""

    price: Decimal | None
    currency: str | None
    availability: Availability = Availability.UNKNOWN
    name: str | None = None
    variant: str | None = None
    sku: str | None = None
    regular_price: Decimal | None = None
    url: str | None = None
    source: str = "json-ld"
    raw_price: str | None = None


@dataclass(frozen=True, slots=True)
class Reading:
    """What one source of a page said and what the decision made of it (--explain, provenance)."""

    source: str  # "json-ld", "microdata", "opengraph", "shopify", ..., "page" (the visible area)
    values: tuple[str, ...]  # the amounts it states ("75.00 USD")
    verdict: str  # "agrees with the page", "contradicted: the page shows 200 USD", ...


@dataclass(frozen=True, slots=True)
class ExtractResult:
    """What a page yields: offers, or a status saying why there are none."""

    status: CheckStatus
    offers: tuple[Offer, ...] = ()
    source: str | None = None
    tried: tuple[str, ...] = ()
    error: str | None = None
    # A same-host platform endpoint (e.g. Shopify's /products/<handle>.js) to fetch and pass
    # to `extract` when the page itself did not answer.
    follow_up: str | None = None
    # What the page shows of the product's stock, read with or without a price.
    availability: Availability = Availability.UNKNOWN
    readings: tuple[Reading, ...] = ()  # every source's reading, with its verdict
    agreed: tuple[str, ...] = ()  # the sources that agree with the published offers


@dataclass(frozen=True, slots=True)
class VariantSpec:
    """How a listing picks its offer on a page with several."""

    sku: str | None = None
    text: str | None = None
    position: int | None = None  # 1-based

    @property
    def is_empty(self) -> bool:
        return self.sku is None and self.text is None and self.position is None


@dataclass(frozen=True, slots=True)
class MatchResult:
    status: CheckStatus
    offer: Offer | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Check:
    """One check of one listing, as the spider reports it to the pipeline."""

    listing_id: int
    status: CheckStatus
    checked_at: datetime
    offer: Offer | None = None
    error: str | None = None
    url: str | None = None
    page_hash: str | None = None  # provenance: sha256 prefix of the body the offer came from
    agreed: tuple[str, ...] = ()  # provenance: the page's sources that agreed on the offer
    # What the page shows of stock, with or without a price ("out of stock" and no price).
    availability: Availability = Availability.UNKNOWN


@dataclass(frozen=True, slots=True)
class UnitPrice:
    amount: Decimal
    currency: str
    per: str  # "vial", "mg"


@dataclass(frozen=True, slots=True)
class SpanPoint:
    """One observation span as the price history needs it."""

    listing_id: int
    price: Decimal
    currency: str
    first_seen_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True, slots=True)
class Sparkline:
    """A listing's price history over the window, ready for an inline SVG."""

    points: str  # SVG polyline points, "x,y x,y ..."
    width: int
    height: int
    low: Decimal
    high: Decimal
    currency: str
    since: datetime  # where the history inside the window begins
    is_low: bool  # the current price is the window's lowest (and the price has moved)
    covered: bool = False  # the history covers the whole window: "in N days" may be said
    days: int = 90  # the window's length


class RowState(enum.StrEnum):
    """Why a row shows a price or not."""

    PRICED = "priced"  # fresh and confirmed
    CHECK = "check"  # stale, held or never checked: a "check the price" link
    UNAVAILABLE = "unavailable"  # the page says out of stock or discontinued, and no price
    LINK_ONLY = "link_only"  # the vendor's terms forbid showing prices
    GONE = "gone"  # the page answers 404/410 (confirmed): the row leaves the box


@dataclass(frozen=True, slots=True)
class Conversion:
    """A price converted for comparison only, at a dated reference rate."""

    amount: Decimal
    currency: str
    rate_date: date


@dataclass(frozen=True, slots=True)
class OfferRow:
    """One listing as the buy box shows it; prices only when fresh and confirmed."""

    listing_id: int
    vendor: str
    label: str
    link: str | None  # None: no Buy button (the affiliate link is broken, no fallback)
    price: Decimal | None
    currency: str | None
    availability: Availability
    checked_at: datetime | None
    regular_price: Decimal | None = None
    unit_prices: tuple[UnitPrice, ...] = ()
    is_best: bool = False
    state: RowState = RowState.CHECK
    checked_ago: str | None = None  # relative text, live fragments only
    history: Sparkline | None = None
    # Whose claim the struck price is: "history" (the 30-day low before the cut) or "shop".
    regular_source: str | None = None
    converted: Conversion | None = None  # for comparison, in the site's compare currency
    # The notice the price's source requires beside it (Amazon's), shown with its date and time.
    disclaimer: str | None = None


@dataclass(frozen=True, slots=True)
class OfferGroup:
    """The rows of one currency (``None``: the rows without a price), best first."""

    currency: str | None
    rows: tuple[OfferRow, ...]


@dataclass(frozen=True, slots=True)
class BuyBox:
    """The view model of one buy box."""

    product_slug: str
    product_name: str
    rows: tuple[OfferRow, ...]
    disclosure: str
    generated_at: datetime
    extra: dict[str, str] = field(default_factory=dict)
    jsonld: dict[str, Any] | None = None
    hidden_rows: int = 0  # rows left out by the marker's limit
    groups: tuple[OfferGroup, ...] = ()  # the rows by currency, in the order shown

    @property
    def mixed_currencies(self) -> bool:
        return len([g for g in self.groups if g.currency is not None]) > 1


@dataclass(frozen=True, slots=True)
class BoxGroup:
    """What one marker shows: one or more product boxes under one disclosure line."""

    boxes: tuple[BuyBox, ...]
    style: str  # "cards" or "table"
    disclosure: str
    as_of: datetime | None  # the latest check among the shown prices, for the note
    show_note: bool


@dataclass(frozen=True, slots=True)
class PageSelectors:
    """A vendor's CSS or XPath selectors (XPath when it starts with '/' or '(')."""

    price: str | None = None
    currency: str | None = None
    availability: str | None = None
    regular_price: str | None = None
    # One offer per row; the row's fields are read relative to the row.
    variant_rows: str | None = None
    variant_name: str | None = None
    variant_sku: str | None = None
    variant_price: str | None = None
    variant_availability: str | None = None


@dataclass(frozen=True, slots=True)
class ExtractHints:
    """What the catalog tells extraction about a vendor."""

    currency: str | None = None
    decimal_separator: str | None = None
    selectors: PageSelectors | None = None
    heuristic: bool = True


@dataclass(frozen=True, slots=True)
class ListingState:
    """A listing with its current span, as the buy box and the price table need it."""

    listing_id: int
    product_slug: str
    product_name: str
    vendor_slug: str
    vendor_name: str
    label: str
    url: str
    affiliate_url: str
    quantity: int | None
    unit: str | None
    strength_amount: Decimal | None
    strength_unit: str | None
    position: int
    price: Decimal | None
    currency: str | None
    availability: str | None
    regular_price: Decimal | None
    confirmed: bool
    first_seen_at: datetime | None
    last_seen_at: datetime | None
    last_checked_at: datetime | None
    last_status: CheckStatus | None
    last_error: str | None
    consecutive_failures: int
    # Where the vendor's links may lead (checked again at render): its site and template's host.
    vendor_homepage: str
    vendor_affiliate_template: str | None
    held_reason: str | None = None  # why the publish gate holds the current price back
    # What the last page read showed of stock, with or without a price, and when.
    seen_availability: str | None = None
    seen_availability_at: datetime | None = None
    # The vendor's display options (its profile's `display`).
    link_only: bool = False
    max_age_hours: float | None = None
    # Priced by Amazon's API on this marketplace ("www.amazon.com"): Amazon's display rules.
    amazon_marketplace: str | None = None
    # Link health: the affiliate link failed its last checks (rules.link_broken), and where the
    # Buy button leads meanwhile (the vendor's `display.fallback_url`; None: no button).
    link_broken: bool = False
    fallback_url: str | None = None


def time_text(moment: datetime | None) -> str:
    """Format a time for an operator: UTC to the minute, or ``-`` for none."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if moment else "-"
