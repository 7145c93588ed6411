"""Price an `amazon-api` vendor's listings through Amazon's Creators API (OffersV2).

Amazon forbids showing a price that did not come from its API. The listings are asked for in
batches of 10 ASINs (GetItems' limit) through `python-amazon-paapi`'s ``amazon_creatorsapi``
client, throttled to the vendor's rate; each answer becomes a check like a crawled one (the
same spans and publish gate), timed when the API answered, and the item's detail-page URL
(with the partner tag) becomes the listing's link. Credentials come from the environment
only and are never stored, logged or printed. When the API refuses (credentials revoked,
throttled past the retries, an ASIN gone), the listings get failed checks: their last price
stays at most the vendor's max age (24 hours), then the box shows the link alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from amazon_creatorsapi import AmazonCreatorsApi
from amazon_creatorsapi.errors import (
    AccessDeniedError,
    AmazonCreatorsApiError,
    AssociateValidationError,
    AuthenticationError,
    ItemsNotFoundError,
    RequestError,
    TooManyRequestsError,
)

from tracker.config import Settings
from tracker.crawljob import CrawlJob
from tracker.domain import Availability, Check, CheckStatus, Offer
from tracker.feeds.run import FeedRunReport
from tracker.profile import AmazonSettings
from tracker.rules import run_outcome
from tracker.store import feeds as feed_store
from tracker.store import repo
from tracker.store.engine import Store
from tracker.store.feeds import FeedTarget
from tracker.urls import link_allowed

BATCH = 10  # GetItems takes up to 10 ASINs
SOURCE = "amazon-api"
_AVAILABILITY = {
    "IN_STOCK": Availability.IN_STOCK,
    "OUT_OF_STOCK": Availability.OUT_OF_STOCK,
    "PREORDER": Availability.PRE_ORDER,
    "BACKORDER": Availability.BACK_ORDER,
    "LEADTIME": Availability.BACK_ORDER,
    "AVAILABLE_DATE": Availability.PRE_ORDER,
    "LIMITED": Availability.LIMITED,
}


class AmazonSetupError(Exception):
    """The vendor cannot be asked (a credential variable is not set)."""


def client_for(amazon: AmazonSettings, env: Mapping[str, str]) -> AmazonCreatorsApi:
    """The API client, with the credentials from the environment."""

    def variable(name: str) -> str:
        value = env.get(name)
        if not value:
            raise AmazonSetupError(f"environment variable {name} is not set")
        return value

    options: dict[str, Any] = {}
    if amazon.host_env:
        options["host"] = variable(amazon.host_env)
    if amazon.auth_endpoint_env:
        options["auth_endpoint"] = variable(amazon.auth_endpoint_env)
    return AmazonCreatorsApi(
        credential_id=variable(amazon.credential_id_env),
        credential_secret=variable(amazon.credential_secret_env),
        version=amazon.version,
        tag=variable(amazon.partner_tag_env),
        marketplace=amazon.marketplace,
        throttling=amazon.throttling,
        retries=2,
        **options,
    )


def run_amazon(
    settings: Settings,
    store: Store,
    vendor: str,
    *,
    env: Mapping[str, str],
    now: datetime,
    trigger: str = "manual",
) -> FeedRunReport:
    """Ask the API for every listing of one `amazon-api` vendor; record what it says."""
    with store.sessions.begin() as session:
        found = repo.vendor_by_slug(session, vendor)
        if found is None or found.profile.amazon is None:
            raise LookupError(f"no vendor {vendor!r} of kind amazon-api in the synced catalog")
        amazon = found.profile.amazon
        targets = [t for t in feed_store.feed_targets(session, [vendor]) if t.key == "asin"]
    report = FeedRunReport(vendor, "failed", listings=len(targets))
    checks: list[Check] = []
    links: dict[int, str] = {}
    try:
        client = client_for(amazon, env)
    except (AmazonSetupError, AmazonCreatorsApiError) as exc:
        report.error = f"amazon vendor {vendor}: {exc}"
        checks = [_failed(t, CheckStatus.BLOCKED, report.error, now) for t in targets]
    else:
        with client:
            for start in range(0, len(targets), BATCH):
                batch = targets[start : start + BATCH]
                checks.extend(_ask(client, batch, now, links, report))
    _record(settings, store, vendor, checks, links, report, now, trigger)
    return report


def _ask(
    client: AmazonCreatorsApi,
    batch: Sequence[FeedTarget],
    now: datetime,
    links: dict[int, str],
    report: FeedRunReport,
) -> list[Check]:
    """One GetItems request for up to 10 listings."""
    try:
        items = client.get_items([t.value for t in batch], include_unavailable=True)
    except (AuthenticationError, AccessDeniedError, AssociateValidationError) as exc:
        reason = f"Amazon refused the request: {exc}"
        report.error = reason
        return [_failed(t, CheckStatus.BLOCKED, reason, now) for t in batch]
    except TooManyRequestsError as exc:
        reason = f"Amazon throttled the requests past the retries: {exc}"
        report.error = reason
        return [_failed(t, CheckStatus.BLOCKED, reason, now) for t in batch]
    except ItemsNotFoundError as exc:
        return [_failed(t, CheckStatus.NOT_FOUND, f"Amazon: {exc}", now) for t in batch]
    except (RequestError, AmazonCreatorsApiError) as exc:
        report.error = f"Amazon: {exc}"
        return [_failed(t, CheckStatus.HTTP_ERROR, report.error, now) for t in batch]
    errors: dict[str | None, str] = {}
    for error in getattr(items, "errors", None) or []:
        errors.setdefault(_asin_in(error.message, batch), f"{error.code}: {error.message}")
    by_asin = {item.asin: item for item in items if item.asin}
    checks = []
    for target in batch:
        item = by_asin.get(target.value)
        check = _check_of(target, item, now, errors.get(target.value))
        checks.append(check)
        url = getattr(item, "detail_page_url", None)
        if url and link_allowed(url, target.vendor_homepage, target.vendor_template):
            links[target.listing_id] = url[:2000]
    return checks


def _asin_in(message: str, batch: Sequence[FeedTarget]) -> str | None:
    return next((t.value for t in batch if t.value in message), None)


def _check_of(target: FeedTarget, item: Any, now: datetime, error: str | None) -> Check:
    listings = getattr(getattr(item, "offers_v2", None), "listings", None) or []
    if item is None or not listings:
        status = CheckStatus.NOT_FOUND if error or item is None else CheckStatus.NO_PRICE
        return _failed(target, status, f"Amazon: {error or 'no offer for this ASIN'}", now)
    listing = next((o for o in listings if o.is_buy_box_winner), listings[0])
    money = getattr(getattr(listing, "price", None), "money", None)
    amount = _decimal(getattr(money, "amount", None))
    currency = getattr(money, "currency", None)
    if amount is None or not currency:
        return _failed(target, CheckStatus.NO_PRICE, "Amazon: the offer states no price", now)
    if currency != target.vendor_currency:
        reason = f"Amazon states {currency}, the vendor is set to {target.vendor_currency}"
        return _failed(target, CheckStatus.NO_PRICE, reason, now)
    basis = getattr(getattr(listing.price, "saving_basis", None), "money", None)
    regular = _decimal(getattr(basis, "amount", None))
    kind = getattr(getattr(listing, "availability", None), "type", None) or ""
    availability = _AVAILABILITY.get(str(kind).upper(), Availability.UNKNOWN)
    offer = Offer(
        price=amount,
        currency=currency,
        availability=availability,
        regular_price=regular if regular is not None and regular > amount else None,
        url=getattr(item, "detail_page_url", None),
        source=SOURCE,
        raw_price=(getattr(money, "display_amount", None) or f"{amount} {currency}")[:200],
    )
    return Check(
        target.listing_id,
        CheckStatus.OK,
        now,
        offer=offer,
        agreed=(SOURCE,),
        availability=availability,
    )


def _decimal(value: object) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    return amount if amount.is_finite() and amount >= 0 else None


def _failed(target: FeedTarget, status: CheckStatus, reason: str, now: datetime) -> Check:
    return Check(target.listing_id, status, now, error=reason[:500])


def _record(
    settings: Settings,
    store: Store,
    vendor: str,
    checks: list[Check],
    links: dict[int, str],
    report: FeedRunReport,
    now: datetime,
    trigger: str,
) -> None:
    with store.sessions.begin() as session:
        run = repo.start_run(
            session,
            vendor_slug=vendor,
            now=now,
            runner=SOURCE,
            trigger=trigger,
            job_id=SOURCE,
            expected=len(checks),
        )
        counts = repo.record_checks(session, checks, CrawlJob.of(settings).gate())
        repo.add_to_run(session, run.id, counts, pages=(len(checks) + BATCH - 1) // BATCH)
        status = run_outcome(
            checks=counts.checks,
            offers=counts.offers,
            failures=counts.failures,
            expected=len(checks),
            finish_reason="finished",
        )
        repo.finish_run(session, run.id, now, status, report.error)
        feed_store.set_feed_links(session, links)
    report.offers, report.failures = counts.offers, counts.failures
    report.run_ids.append(run.id)
    report.status = "applied" if counts.offers else "failed"
