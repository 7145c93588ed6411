"""What each dashboard page shows, read from the store through the same functions as the CLI.

Nothing here decides a rule: `tracker status`'s report (scheduling/status.py), `rules.shown`,
the provenance and review functions of the store and `tracker extract`'s page check do.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select

from tracker.config import Settings
from tracker.crawling import pagecheck
from tracker.domain import ListingState
from tracker.onboarding import require_public_address
from tracker.publishing.buybox import BoxRenderer
from tracker.publishing.publisher import Publisher
from tracker.rules import shown
from tracker.scheduling.status import StatusReport, VendorStatus, status_report
from tracker.store import provenance, repo
from tracker.store.clicks import ClickReport, click_report
from tracker.store.engine import Store
from tracker.store.history import price_history
from tracker.store.models import CrawlRun, Listing, ObservationSpan, Product, Vendor
from tracker.web.admin.chart import Chart, price_chart

PERIODS = (30, 90, 365)
NEVER_CHECKED = "never checked"


@dataclass(frozen=True)
class VendorRow:
    status: VendorStatus
    states: dict[str, int]  # last check's status (or held) -> listings


@dataclass(frozen=True)
class Overview:
    report: StatusReport
    vendors: list[VendorRow]
    products: list[tuple[str, str, int]]  # slug, name, active listings
    held: int


def overview(store: Store, settings: Settings, now: datetime) -> Overview:
    """`tracker status`'s report, with each vendor's listings counted by their last check."""
    report = status_report(store, settings, now)
    by_vendor: dict[str, Counter[str]] = {}
    held = 0
    with store.readers.begin() as session:
        states = repo.listing_states(session)
    for state in states:
        counts = by_vendor.setdefault(state.vendor_slug, Counter())
        if _why(state, settings, now) == "held":
            counts["held"] += 1
            held += 1
        else:
            counts[str(state.last_status) if state.last_status else NEVER_CHECKED] += 1
    products: Counter[tuple[str, str]] = Counter((s.product_slug, s.product_name) for s in states)
    return Overview(
        report,
        [
            VendorRow(v, dict(sorted(by_vendor.get(v.vendor, Counter()).items())))
            for v in report.vendors
        ],
        [(slug, name, count) for (slug, name), count in sorted(products.items())],
        held,
    )


def _why(state: ListingState, settings: Settings, now: datetime) -> str | None:
    return shown(state, now, timedelta(hours=settings.site.max_age_hours)).why


@dataclass(frozen=True)
class ListingRow:
    state: ListingState
    why: str | None  # rules.shown: None when the price is shown
    source: str | None
    age: timedelta | None  # since the price was last seen
    chart: Chart


@dataclass(frozen=True)
class ProductPage:
    slug: str
    name: str
    days: int
    rows: list[ListingRow]
    box_html: str


def product_page(
    store: Store,
    settings: Settings,
    renderer: BoxRenderer,
    slug: str,
    days: int,
    now: datetime,
    link_base: str,
) -> ProductPage:
    """The product's listings, their history over ``days`` and the live box as readers see it."""
    since = now - timedelta(days=days)
    with store.readers.begin() as session:
        states = repo.listing_states(session, [slug])
        if not states:
            raise LookupError(slug)
        ids = [s.listing_id for s in states]
        history = price_history(session, ids, since)
        sources = {
            listing_id: source
            for listing_id, source in session.execute(
                select(Listing.id, ObservationSpan.source)
                .join(ObservationSpan, ObservationSpan.id == Listing.current_span_id)
                .where(Listing.id.in_(ids))
            )
        }
        publisher = Publisher(settings, session, now.replace(second=0, microsecond=0), renderer)
        [group] = publisher.groups([((slug,), "cards", None)], live=True, link_base=link_base)
        box_html = publisher.renderer.render(group)
    rows = [
        ListingRow(
            s,
            _why(s, settings, now),
            sources.get(s.listing_id),
            now - s.last_seen_at if s.last_seen_at else None,
            price_chart(history.get(s.listing_id, []), since, now, days),
        )
        for s in states
    ]
    return ProductPage(slug, states[0].product_name, days, rows, box_html)


@dataclass(frozen=True)
class ListingPage:
    record: provenance.ListingProvenance
    vendor_slug: str
    product_slug: str
    runs: list[CrawlRun]
    explained: list[str] = field(default_factory=list)
    result: list[str] = field(default_factory=list)
    explain_error: str | None = None


def listing_page(store: Store, listing_id: int, history: int = 50) -> ListingPage:
    """Its spans with their provenance, its check state and its vendor's recent runs."""
    with store.readers.begin() as session:
        record = provenance.listing_provenance(session, listing_id, history)
        if record is None:
            raise LookupError(listing_id)
        vendor_id, vendor_slug, product_slug = session.execute(
            select(Listing.vendor_id, Vendor.slug, Product.slug)
            .join(Vendor, Vendor.id == Listing.vendor_id)
            .join(Product, Product.id == Listing.product_id)
            .where(Listing.id == listing_id)
        ).one()
        runs = list(
            session.scalars(
                select(CrawlRun)
                .where(CrawlRun.vendor_id == vendor_id)
                .order_by(CrawlRun.id.desc())
                .limit(20)
            )
        )
        session.expunge_all()
    return ListingPage(record, vendor_slug, product_slug, runs)


def explain(page: ListingPage, store: Store, settings: Settings) -> ListingPage:
    """Fetch the listing's page now and explain the extraction, as `tracker extract --explain`.

    Like "Add a listing", it refuses a private address (the page and every redirect) unless
    `crawl.allow_private_addresses`: the dashboard must not read the operator's network.
    """

    def guard(address: str) -> None:
        require_public_address(address, settings)

    try:
        hints = pagecheck.vendor_hints(store, page.vendor_slug)
        checked = pagecheck.check_page(page.record.url, None, hints, settings, guard)
    except (pagecheck.PageError, LookupError) as exc:
        return replace(page, explain_error=str(exc))
    result = checked.follow_up_result or checked.result
    lines = pagecheck.result_lines(result, hints.currency)
    return replace(page, explained=pagecheck.explain_lines(result), result=lines)


@dataclass(frozen=True)
class HeldRow:
    state: ListingState
    before: tuple[Decimal, str] | None  # the last confirmed price, which stays shown


def held_prices(store: Store, settings: Settings, now: datetime) -> list[HeldRow]:
    """The listings whose current reading the publish gate holds, with the price before it."""
    with store.readers.begin() as session:
        held = [s for s in repo.listing_states(session) if _why(s, settings, now) == "held"]
        rows = []
        for state in held:
            before = session.execute(
                select(ObservationSpan.price, ObservationSpan.currency)
                .where(ObservationSpan.listing_id == state.listing_id, ObservationSpan.confirmed)
                .order_by(ObservationSpan.last_seen_at.desc(), ObservationSpan.id.desc())
                .limit(1)
            ).first()
            rows.append(HeldRow(state, (before[0], before[1]) if before else None))
    return rows


def clicks(store: Store, now: datetime, days: int) -> ClickReport:
    with store.readers.begin() as session:
        return click_report(session, now - timedelta(days=days), now)
