"""Evaluate every alert rule from the store's facts and queue what fired.

Runs after each crawl and at the scheduler's pace; each rule's state machine is read from the
store and written back in one transaction, so a restart loses nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy.orm import Session

from tracker.alerts import conditions as c
from tracker.alerts.machine import Event, Hold, Phase, RuleState, step
from tracker.alerts.messages import Message, Subject, alert_message, digest_message
from tracker.alerts.settings import RULE_NAMES, VENDOR_RULES, AlertSettings, RuleSettings
from tracker.config import Settings
from tracker.domain import ListingState
from tracker.rules import FAILING_IN_A_ROW
from tracker.store import alerts as stored
from tracker.store import repo
from tracker.store.engine import Store

LISTING_RULES = tuple(name for name in RULE_NAMES if name not in VENDOR_RULES)


@dataclass
class Fired:
    rule: str
    subject: str
    message: Message
    channels: list[str]


@dataclass
class EvaluateReport:
    fired: list[str] = field(default_factory=list)  # "rule subject"
    suppressed: list[str] = field(default_factory=list)
    rearmed: list[str] = field(default_factory=list)
    queued: int = 0
    folded: int = 0


def hold_of(
    rule_checks: int | None,
    rule_minutes: float | None,
    site_checks: int | None,
    site_minutes: float | None,
    default: int,
) -> Hold:
    """The rule's own N checks / M minutes, else the site's, else ``default`` checks."""
    checks = rule_checks if rule_checks is not None else site_checks
    minutes = rule_minutes if rule_minutes is not None else site_minutes
    if checks is None and minutes is None:
        checks = default
    return Hold(checks, minutes)


def _listing_condition(
    name: str,
    state: ListingState,
    rule: RuleSettings,
    now: datetime,
    site_max_age: timedelta,
    command: str,
    link: c.LinkFacts | None,
    before: RuleState,
) -> c.Condition:
    armed = before.phase is Phase.ARMED
    if name in ("price_drop", "price_rise"):
        return c.price_move(
            state, rule, before.reference, drop=name == "price_drop", armed=armed, command=command
        )
    if name in ("back_in_stock", "out_of_stock"):
        return c.stock_change(
            state, before.reference, back=name == "back_in_stock", command=command
        )
    if name == "listing_stale":
        return c.listing_stale(state, now, site_max_age, command=command)
    if name == "extraction_broken":
        return c.extraction_broken(state, rule, command=command)
    if name == "price_held":
        return c.price_held(state, command=command)
    if name == "page_gone":
        return c.page_gone_condition(state, command=command)
    if name == "link_broken":
        return c.link_broken_condition(state, link, command=command)
    raise ValueError(f"unknown rule {name}")


def _vendor_condition(
    name: str, facts: c.VendorFacts, rule: RuleSettings, command: str, _before: RuleState
) -> c.Condition:
    if name == "feed_held":
        return c.feed_held(facts, command=command)
    if name == "source_refused":
        return c.source_refused(facts, command=command)
    return c.vendor_broken(facts, rule, command=command)


def evaluate(store: Store, settings: Settings, now: datetime) -> EvaluateReport:
    """Step every enabled rule of every active listing and vendor; queue what fired."""
    alerts = settings.alerts
    site_max_age = timedelta(hours=settings.site.max_age_hours)
    report = EvaluateReport()
    fired: list[Fired] = []
    with store.sessions.begin() as session:
        rows = stored.load_states(session)

        def advance(
            name: str,
            subject: Subject,
            rule: RuleSettings,
            checked_at: datetime | None,
            condition: Callable[[RuleState], c.Condition],
        ) -> None:
            before = stored.as_rule_state(rows.get((name, subject.key)))
            found = condition(before)
            moved = step(
                before,
                found.true,
                checked_at=checked_at,
                now=now,
                hold=hold_of(
                    rule.hold_checks, rule.hold_minutes, alerts.hold_checks, alerts.hold_minutes, 1
                ),
                rearm=hold_of(
                    rule.rearm_checks,
                    rule.rearm_minutes,
                    alerts.rearm_checks,
                    alerts.rearm_minutes,
                    2,
                ),
            )
            after = replace(moved.state, reference=found.reference)
            detail = found.what if found.true else None  # what held, while it holds
            stored.save_state(session, rows, name, subject.key, after, detail, now)
            label = f"{name} {subject.key}"
            if moved.event is Event.FIRE:
                report.fired.append(label)
                message = alert_message(name, subject, found.what, found.todo, now)
                fired.append(Fired(name, subject.key, message, alerts.channels_of(rule)))
            elif moved.event is Event.SUPPRESS:
                report.suppressed.append(label)
                stored.add_message(
                    session,
                    now=now,
                    rule=name,
                    subject=subject.key,
                    channel="-",
                    title=alert_message(name, subject, found.what, "", now).title,
                    body="",
                    status=stored.SUPPRESSED,
                    reason=f"flap suppressed: {moved.why}",
                )
            elif moved.event is Event.REARM:
                report.rearmed.append(label)

        link_facts = stored.link_facts(session)
        for state in repo.listing_states(session):
            subject = Subject(
                f"listing:{state.listing_id}",
                product=state.product_name,
                vendor=state.vendor_name,
                pack=state.label,
                url=state.url,
            )
            for name in LISTING_RULES:
                rule = alerts.rule(name, state.vendor_slug, state.product_slug)
                if not rule.enabled:
                    continue
                link = link_facts.get(state.listing_id)
                advance(
                    name,
                    subject,
                    rule,
                    link.checked_at if name == "link_broken" and link else state.last_checked_at,
                    partial(
                        _listing_condition,
                        name,
                        state,
                        rule,
                        now,
                        site_max_age,
                        alerts.command,
                        link,
                    ),
                )
        runs_needed = max(
            alerts.rule("vendor_broken", vendor).checks or FAILING_IN_A_ROW
            for vendor in ["", *alerts.vendors]
        )
        for facts in stored.vendor_facts(session, runs_needed):
            for name in sorted(VENDOR_RULES):
                rule = alerts.rule(name, facts.slug)
                if not rule.enabled or (name != "vendor_broken" and facts.source is None):
                    continue
                if name == "vendor_broken":
                    last_run = facts.runs[0][3] if facts.runs else None
                else:  # counted by the source's own runs
                    last_run = facts.source.finished_at if facts.source else None
                advance(
                    name,
                    Subject(f"vendor:{facts.slug}", vendor=facts.name),
                    rule,
                    last_run,
                    partial(_vendor_condition, name, facts, rule, alerts.command),
                )
        queue(session, alerts, fired, now, report)
    return report


def day_start(now: datetime) -> datetime:
    return now.replace(hour=0, minute=0, second=0, microsecond=0)


def queue(
    session: Session,
    alerts: AlertSettings,
    fired: list[Fired],
    now: datetime,
    report: EvaluateReport,
) -> None:
    """One message per alert and channel, folded once the channel's daily cap is reached or
    in digest mode; digest mode "run" sends one message per channel for this evaluation."""
    by_channel: dict[str, list[Fired]] = {}
    for alert in fired:
        for channel in alert.channels:
            by_channel.setdefault(channel, []).append(alert)
    start = day_start(now)
    for channel, alerts_of_channel in by_channel.items():
        if alerts.digest == "day":
            for alert in alerts_of_channel:
                _add(session, alert, channel, now, stored.FOLDED, "digest mode: one message a day")
                report.folded += 1
            continue
        if alerts.digest == "run" and len(alerts_of_channel) > 1:
            if stored.counted_today(session, channel, start) >= alerts.daily_cap:
                for alert in alerts_of_channel:
                    _add(session, alert, channel, now, stored.FOLDED, _cap_reason(alerts, channel))
                    report.folded += 1
                continue
            parts = [(a.message.title, a.message.body) for a in alerts_of_channel]
            digest = digest_message(parts, "this run", now)
            row = stored.add_message(
                session,
                now=now,
                rule="run-digest",
                subject="run",
                channel=channel,
                title=digest.title,
                body=digest.body,
            )
            report.queued += 1
            for alert in alerts_of_channel:
                _add(session, alert, channel, now, stored.DIGESTED, f"in digest message {row.id}")
            continue
        for alert in alerts_of_channel:
            if stored.counted_today(session, channel, start) >= alerts.daily_cap:
                _add(session, alert, channel, now, stored.FOLDED, _cap_reason(alerts, channel))
                report.folded += 1
            else:
                _add(session, alert, channel, now, stored.PENDING, None)
                report.queued += 1


def _cap_reason(alerts: AlertSettings, channel: str) -> str:
    return (
        f"daily cap of {alerts.daily_cap} reached on {channel}: "
        "goes out in the day's digest after midnight UTC"
    )


def _add(
    session: Session, alert: Fired, channel: str, now: datetime, status: str, reason: str | None
) -> None:
    stored.add_message(
        session,
        now=now,
        rule=alert.rule,
        subject=alert.subject,
        channel=channel,
        title=alert.message.title,
        body=alert.message.body,
        status=status,
        reason=reason,
    )
