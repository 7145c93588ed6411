"""What `GET /metrics` counts, read from the store in a few grouped queries."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.rules import GOOD_RUNS, shown
from tracker.store.models import AlertMessage, CrawlRun, LinkCheck, Listing, Vendor
from tracker.store.repo import listing_states


@dataclass
class MetricFacts:
    runs: dict[str, int] = field(default_factory=dict)  # run status -> runs
    checks: dict[str, int] = field(default_factory=dict)  # listings by their last check status
    shown: dict[str, int] = field(default_factory=dict)  # listings by what the box shows
    alerts: dict[str, int] = field(default_factory=dict)  # alert messages by status
    last_good_run_age: dict[str, float] = field(default_factory=dict)  # vendor -> seconds
    links: dict[str, int] = field(default_factory=dict)  # "ok", "failing", "broken"


def metric_facts(session: Session, now: datetime, site_max_age: timedelta) -> MetricFacts:
    facts = MetricFacts()
    facts.runs = {
        str(status): count
        for status, count in session.execute(
            select(CrawlRun.status, func.count()).group_by(CrawlRun.status)
        )
    }
    facts.checks = {
        str(status or "never"): count
        for status, count in session.execute(
            select(Listing.last_status, func.count())
            .where(Listing.active)
            .group_by(Listing.last_status)
        )
    }
    reasons: Counter[str] = Counter()
    for state in listing_states(session):
        seen = shown(state, now, site_max_age)
        reasons[seen.why or "price"] += 1
    facts.shown = dict(reasons)
    facts.alerts = {
        status: count
        for status, count in session.execute(
            select(AlertMessage.status, func.count())
            .where(AlertMessage.rule != "test")
            .group_by(AlertMessage.status)
        )
    }
    good = session.execute(
        select(Vendor.slug, func.max(CrawlRun.finished_at))
        .join(CrawlRun, CrawlRun.vendor_id == Vendor.id)
        .where(CrawlRun.status.in_(GOOD_RUNS))
        .group_by(Vendor.slug)
    )
    links: Counter[str] = Counter()
    for check in session.scalars(select(LinkCheck)):
        if check.broken_since is not None:
            links["broken"] += 1
        else:
            links["failing" if check.failure else "ok"] += 1
    facts.links = dict(links)
    facts.last_good_run_age = {
        slug: (now - finished).total_seconds() for slug, finished in good if finished is not None
    }
    return facts
