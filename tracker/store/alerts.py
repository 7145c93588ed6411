"""The alerts' state machines and messages in the database. Each function takes a session;
the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from tracker.alerts.conditions import LinkFacts, SourceRun, VendorFacts
from tracker.alerts.machine import Phase, RuleState
from tracker.domain import RunStatus
from tracker.store.models import (
    AlertMessage,
    AlertState,
    CrawlRun,
    FeedState,
    LinkCheck,
    Listing,
    Vendor,
)

SOURCE_RUNNERS = ("feed", "amazon-api")  # runs that read a feed or Amazon's API

PENDING = "pending"
SENT = "sent"
FOLDED = "folded"  # waits for its channel's digest (daily cap reached, or digest = "day")
DIGESTED = "digested"  # went out inside a digest message
SUPPRESSED = "suppressed"  # a flap: true, then false before it held long enough
COUNTED = (PENDING, SENT)  # what counts against a channel's daily cap


def load_states(session: Session) -> dict[tuple[str, str], AlertState]:
    return {(row.rule, row.subject): row for row in session.scalars(select(AlertState))}


def as_rule_state(row: AlertState | None) -> RuleState:
    if row is None:
        return RuleState()
    return RuleState(
        phase=Phase(row.phase),
        since=row.since,
        streak=row.streak,
        checked_at=row.checked_at,
        fired_at=row.fired_at,
        fires=row.fires,
        reference=row.reference,
    )


def save_state(
    session: Session,
    rows: dict[tuple[str, str], AlertState],
    rule: str,
    subject: str,
    state: RuleState,
    detail: str | None,
    now: datetime,
) -> None:
    """Write a rule's state (a row is added the first time its rule has something to keep)."""
    row = rows.get((rule, subject))
    if row is None:
        if state == RuleState():
            return  # armed and nothing remembered: no row needed
        row = AlertState(rule=rule, subject=subject)
        session.add(row)
        rows[(rule, subject)] = row
    row.phase = state.phase.value
    row.since = state.since
    row.streak = state.streak
    row.checked_at = state.checked_at
    row.fired_at = state.fired_at
    row.fires = state.fires
    row.reference = state.reference
    row.detail = detail
    row.updated_at = now


def vendor_facts(session: Session, runs: int) -> list[VendorFacts]:
    """Each active vendor's newest runs and how many of its listings fail (one query each)."""
    failing = dict(
        session.execute(
            select(Listing.vendor_id, func.count())
            .where(Listing.active, Listing.consecutive_failures > 0)
            .group_by(Listing.vendor_id)
        ).all()
    )
    counts = dict(
        session.execute(
            select(Listing.vendor_id, func.count())
            .where(Listing.active)
            .group_by(Listing.vendor_id)
        ).all()
    )
    facts = []
    for vendor in session.scalars(select(Vendor).where(Vendor.active).order_by(Vendor.slug)):
        recent = session.execute(
            select(CrawlRun.id, CrawlRun.status, CrawlRun.error, CrawlRun.finished_at)
            .where(CrawlRun.vendor_id == vendor.id, CrawlRun.finished_at.is_not(None))
            .order_by(CrawlRun.id.desc())
            .limit(runs)
        ).all()
        facts.append(
            VendorFacts(
                vendor.slug,
                vendor.name,
                [tuple(row) for row in recent],  # type: ignore[misc]
                counts.get(vendor.id, 0),
                failing.get(vendor.id, 0),
                source_run(session, vendor.id),
            )
        )
    return facts


def source_run(session: Session, vendor_id: int) -> SourceRun | None:
    """The vendor's newest finished feed or Amazon API run; a feed run is held when its
    feed's newest reading was held (feed_states.status)."""
    run = session.scalars(
        select(CrawlRun)
        .where(
            CrawlRun.vendor_id == vendor_id,
            CrawlRun.runner.in_(SOURCE_RUNNERS),
            CrawlRun.finished_at.is_not(None),
        )
        .order_by(CrawlRun.id.desc())
        .limit(1)
    ).first()
    if run is None:
        return None
    held = False
    if run.runner == "feed" and run.job_id and run.status is RunStatus.FAILED:
        state = session.get(FeedState, run.job_id.removeprefix("feed:"))
        held = state is not None and state.status == "held"
    return SourceRun(
        run.id,
        run.runner,
        run.job_id,
        run.status,
        run.error,
        run.failures,
        run.finished_at,
        held,
    )


def link_facts(session: Session) -> dict[int, LinkFacts]:
    """Each listing's last affiliate link check."""
    return {
        row.listing_id: LinkFacts(
            row.url, row.failure, row.consecutive_failures, row.broken_since, row.checked_at
        )
        for row in session.scalars(select(LinkCheck))
    }


def add_message(
    session: Session,
    *,
    now: datetime,
    rule: str,
    subject: str,
    channel: str,
    title: str,
    body: str,
    status: str = PENDING,
    reason: str | None = None,
) -> AlertMessage:
    row = AlertMessage(
        created_at=now,
        rule=rule,
        subject=subject,
        channel=channel,
        title=title[:300],
        body=body,
        status=status,
        reason=reason,
        attempts=0,
        next_attempt_at=now if status == PENDING else None,
    )
    session.add(row)
    session.flush()
    return row


def counted_today(session: Session, channel: str, day_start: datetime) -> int:
    """Messages for the channel since the start of the UTC day that count against its cap."""
    return (
        session.scalar(
            select(func.count())
            .select_from(AlertMessage)
            .where(
                AlertMessage.channel == channel,
                AlertMessage.created_at >= day_start,
                AlertMessage.status.in_(COUNTED),
                AlertMessage.rule != "digest",
            )
        )
        or 0
    )


def due(session: Session, now: datetime) -> list[AlertMessage]:
    """Pending messages whose next attempt is due, oldest first."""
    return list(
        session.scalars(
            select(AlertMessage)
            .where(AlertMessage.status == PENDING, AlertMessage.next_attempt_at <= now)
            .order_by(AlertMessage.id)
        )
    )


def claim(session: Session, message_id: int, attempts: int, lease_until: datetime) -> bool:
    """Take a pending message for one attempt (an UPDATE that loses to another sender)."""
    result = session.execute(
        update(AlertMessage)
        .where(
            AlertMessage.id == message_id,
            AlertMessage.status == PENDING,
            AlertMessage.attempts == attempts,
        )
        .values(attempts=attempts + 1, next_attempt_at=lease_until)
    )
    return getattr(result, "rowcount", 0) == 1


def folded(session: Session, before: datetime | None = None) -> list[AlertMessage]:
    """Folded messages (created before ``before``, when given), oldest first."""
    query = select(AlertMessage).where(AlertMessage.status == FOLDED)
    if before is not None:
        query = query.where(AlertMessage.created_at < before)
    return list(session.scalars(query.order_by(AlertMessage.id)))


def failing_channels(session: Session) -> list[tuple[str, int, datetime, str | None]]:
    """Channels with pending messages that failed at least once: how many, since when, the
    newest error."""
    rows = session.scalars(
        select(AlertMessage)
        .where(AlertMessage.status == PENDING, AlertMessage.attempts > 0)
        .order_by(AlertMessage.id)
    )
    found: dict[str, tuple[int, datetime, str | None]] = {}
    for row in rows:
        count, since, _ = found.get(row.channel, (0, row.created_at, None))
        found[row.channel] = (count + 1, since, row.last_error)
    return [(channel, *values) for channel, values in sorted(found.items())]


def recent(session: Session, limit: int) -> list[AlertMessage]:
    return list(session.scalars(select(AlertMessage).order_by(AlertMessage.id.desc()).limit(limit)))


def states(session: Session, rows: Iterable[str] | None = None) -> list[AlertState]:
    query = select(AlertState).order_by(AlertState.rule, AlertState.subject)
    if rows is not None:
        query = query.where(AlertState.rule.in_(list(rows)))
    return list(session.scalars(query))


def subject_names(session: Session) -> dict[str, str]:
    """Human names of the subjects ("listing:12" -> "cortexin 10 x 10 mg at Cosmic")."""
    names = {
        f"vendor:{slug}": name for slug, name in session.execute(select(Vendor.slug, Vendor.name))
    }
    for listing in session.scalars(select(Listing)):
        names[f"listing:{listing.id}"] = (
            f"{listing.product.slug} {listing.label} at {listing.vendor.name}"
        )
    return names
