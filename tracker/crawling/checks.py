"""Turn a page (or a failed request) into one check per listing. Pure functions."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from tracker.crawling.policy import is_vendor_url
from tracker.crawljob import CrawlTarget
from tracker.domain import Check, CheckStatus, ExtractHints, ExtractResult
from tracker.extract import extract
from tracker.matching import match_offer

PAGE_HASH_CHARS = 16


def page_hash(body: bytes) -> str:
    """A short fingerprint of the bytes a price was read from (provenance)."""
    return hashlib.sha256(body).hexdigest()[:PAGE_HASH_CHARS]


@dataclass(frozen=True)
class FollowUp:
    """A platform endpoint to fetch for some listings before they get a check.

    ``fallback`` holds their checks from the page itself, used when the endpoint fails.
    """

    url: str
    targets: list[CrawlTarget]
    fallback: list[Check] = field(default_factory=list)


@dataclass
class PageChecks:
    checks: list[Check] = field(default_factory=list)
    follow_ups: list[FollowUp] = field(default_factory=list)


def checks_from_page(
    body: bytes,
    url: str,
    targets: list[CrawlTarget],
    now: datetime,
    *,
    hosts: frozenset[str] | None = None,
) -> PageChecks:
    """Extract the page once per set of hints and let each listing pick its offer.

    With ``hosts`` given, a platform endpoint the extraction asks for (on one of those
    hosts) is returned as a follow-up instead of checks for the listings concerned.
    """
    digest = page_hash(body)
    groups: dict[ExtractHints, list[CrawlTarget]] = {}
    for target in targets:
        groups.setdefault(target.hints(), []).append(target)
    out = PageChecks()
    for hints, group in groups.items():
        result = extract(body, url, hints)
        checks = [check_of(result, t, url, now, digest) for t in group]
        follow = result.follow_up
        if hosts is not None and follow and follow != url and is_vendor_url(follow, hosts):
            fallback = checks if result.status is CheckStatus.OK else []
            out.follow_ups.append(FollowUp(follow, group, fallback))
        else:
            out.checks.extend(checks)
    return out


def checks_from_endpoint(
    body: bytes, endpoint: str, page_url: str, targets: list[CrawlTarget], now: datetime
) -> list[Check]:
    """Checks from a platform endpoint's answer (no further follow-up)."""
    digest = page_hash(body)
    checks = []
    for target in targets:
        result = extract(body, endpoint, target.hints())
        checks.append(check_of(result, target, page_url, now, digest))
    return checks


def check_of(
    result: ExtractResult, target: CrawlTarget, url: str, now: datetime, digest: str
) -> Check:
    """One listing's check from an extraction result: its offer, or why there is none."""
    if result.status is not CheckStatus.OK:
        return Check(
            target.listing_id,
            result.status,
            now,
            error=result.error,
            url=url,
            availability=result.availability,
        )
    match = match_offer(result.offers, target.variant())
    offer = match.offer
    if offer is not None and offer.currency != target.vendor_currency:
        return Check(
            target.listing_id,
            CheckStatus.NO_PRICE,
            now,
            url=url,
            error=f"page states {offer.currency}, the vendor is set to {target.vendor_currency}",
            availability=result.availability,
        )
    return Check(
        target.listing_id,
        match.status,
        now,
        offer=offer,
        error=match.error,
        url=url,
        page_hash=digest if offer is not None else None,
        agreed=result.agreed if offer is not None else (),
        availability=offer.availability if offer is not None else result.availability,
    )


def checks_from_failure(
    status: CheckStatus, error: str, url: str, targets: list[CrawlTarget], now: datetime
) -> list[Check]:
    return [Check(t.listing_id, status, now, error=error[:500], url=url) for t in targets]
