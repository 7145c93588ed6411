"""What `tracker alerts` shows and does by hand: a test message, the rules' states, the log."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tracker.alerts.messages import Message
from tracker.alerts.settings import RULE_NAMES, AlertSettings
from tracker.domain import time_text
from tracker.notifying.channels import Sender, describe, send
from tracker.store import alerts as stored
from tracker.store.engine import Store
from tracker.store.models import AlertMessage, AlertState

TEST_FAILED = "failed"  # a test message is not retried: the operator sees the error at once


@dataclass(frozen=True)
class TestResult:
    channel: str
    where: str  # the URL with its secrets hidden
    error: str | None


def send_test(
    store: Store,
    alerts: AlertSettings,
    channel: str | None,
    now: datetime,
    sender: Sender = send,
) -> list[TestResult]:
    """Send a test message to one channel (or every one) now, and log it."""
    if not alerts.channels:
        raise LookupError("no alert channel is configured: add [alerts.channels] to tracker.toml")
    if channel is not None and channel not in alerts.channels:
        known = ", ".join(sorted(alerts.channels))
        raise LookupError(f"no alert channel named {channel!r} (configured: {known})")
    names = [channel] if channel else sorted(alerts.channels)
    message = Message(
        "Tracker test message",
        f"A test of this alert channel, sent {time_text(now)} UTC by `{alerts.command} alerts "
        "test`. Alerts about prices, stock and broken vendors will arrive here.",
    )
    results = []
    for name in names:
        url = alerts.channels[name]
        error = sender(url, message.title, message.body)
        with store.sessions.begin() as session:
            row = stored.add_message(
                session,
                now=now,
                rule="test",
                subject="-",
                channel=name,
                title=message.title,
                body=message.body,
                status=stored.SENT if error is None else TEST_FAILED,
            )
            row.next_attempt_at = None
            row.attempts = 1
            row.sent_at = now if error is None else None
            row.last_error = error
        results.append(TestResult(name, describe(url), error))
    return results


@dataclass(frozen=True)
class Overview:
    channels: list[tuple[str, str]]  # name, URL with secrets hidden
    rules: list[tuple[str, bool, list[str]]]  # site-wide: name, enabled, channels
    states: list[AlertState]
    names: dict[str, str]  # subject key -> human name


def overview(store: Store, alerts: AlertSettings) -> Overview:
    with store.sessions() as session:
        states = stored.states(session)
        names = stored.subject_names(session)
    rules = []
    for name in RULE_NAMES:
        rule = alerts.rule(name)
        rules.append((name, rule.enabled, alerts.channels_of(rule)))
    channels = [(name, describe(url)) for name, url in sorted(alerts.channels.items())]
    return Overview(channels, rules, states, names)


def log_rows(store: Store, limit: int) -> tuple[list[AlertMessage], dict[str, str]]:
    with store.sessions() as session:
        rows = stored.recent(session, limit)
        names = stored.subject_names(session)
        session.expunge_all()
    return rows, names
