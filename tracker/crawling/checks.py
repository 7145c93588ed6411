"""Turn a page (or a failed request) into one check per listing. Pure functions."""

from __future__ import annotations

from datetime import datetime

from tracker.crawling.context import hints_for, variant_of
from tracker.domain import Check, CheckStatus, CrawlTarget, ExtractHints, ExtractResult
from tracker.extract import extract
from tracker.matching import match_offer


def checks_from_page(
    body: bytes, url: str, targets: list[CrawlTarget], now: datetime
) -> list[Check]:
    """Extract the page once and let each listing at that URL pick its offer."""
    results: dict[ExtractHints, ExtractResult] = {}
    checks = []
    for target in targets:
        hints = hints_for(target)
        if hints not in results:
            results[hints] = extract(body, url, hints)
        result = results[hints]
        if result.status is not CheckStatus.OK:
            checks.append(Check(target.listing_id, result.status, now, error=result.error, url=url))
            continue
        match = match_offer(result.offers, variant_of(target))
        offer = match.offer
        if offer is not None and offer.currency != target.vendor_currency:
            checks.append(
                Check(
                    target.listing_id,
                    CheckStatus.NO_PRICE,
                    now,
                    url=url,
                    error=f"page states {offer.currency}, "
                    f"the vendor is set to {target.vendor_currency}",
                )
            )
            continue
        checks.append(
            Check(target.listing_id, match.status, now, offer=offer, error=match.error, url=url)
        )
    return checks


def checks_from_failure(
    status: CheckStatus, error: str, url: str, targets: list[CrawlTarget], now: datetime
) -> list[Check]:
    return [Check(t.listing_id, status, now, error=error[:500], url=url) for t in targets]
