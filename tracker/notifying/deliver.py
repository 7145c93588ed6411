"""Send the pending alert messages; fold the day's overflow into one digest per channel.

A channel that fails (SMTP down, a webhook answering 500) leaves its messages pending, retried
with a backoff that doubles up to ``alerts.retry_max``; nothing is dropped, and a restart picks
them up from the store. Never raises for a channel's failure.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from tracker.alerts.messages import digest_message
from tracker.alerts.settings import AlertSettings
from tracker.notifying.channels import Sender, send
from tracker.notifying.evaluate import day_start
from tracker.store import alerts as stored
from tracker.store.engine import Store
from tracker.store.models import AlertMessage

log = logging.getLogger("tracker.alerts")

LEASE = timedelta(minutes=10)  # a sender that died mid-attempt: retried after this


@dataclass
class DeliverReport:
    sent: list[int] = field(default_factory=list)
    failed: dict[int, str] = field(default_factory=dict)  # message id -> why
    digests: list[int] = field(default_factory=list)


def backoff(alerts: AlertSettings, attempts: int) -> timedelta:
    """The wait before attempt ``attempts + 1``: doubling from retry_first up to retry_max."""
    seconds = alerts.retry_first_seconds * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, alerts.retry_max_seconds))


def fold_digests(session: Session, alerts: AlertSettings, now: datetime) -> list[int]:
    """Folded messages of past UTC days become one pending digest per channel."""
    groups: dict[str, list[AlertMessage]] = {}
    for row in stored.folded(session, before=day_start(now)):
        groups.setdefault(row.channel, []).append(row)
    made = []
    for channel, rows in groups.items():
        digest = digest_message([(r.title, r.body) for r in rows], "folded: cap or digest", now)
        message = stored.add_message(
            session,
            now=now,
            rule="digest",
            subject="day",
            channel=channel,
            title=digest.title,
            body=digest.body,
        )
        for row in rows:
            row.status = stored.DIGESTED
            row.reason = f"{row.reason}; sent in digest message {message.id}"
        made.append(message.id)
    return made


def deliver(
    store: Store, alerts: AlertSettings, now: datetime, sender: Sender = send
) -> DeliverReport:
    """Fold yesterday's overflow, then try every due pending message once."""
    report = DeliverReport()
    with store.sessions.begin() as session:
        report.digests = fold_digests(session, alerts, now)
        due = [
            (row.id, row.attempts, row.channel, row.title, row.body)
            for row in stored.due(session, now)
        ]
    refused: dict[str, str] = {}
    for ident, attempts, channel, title, body in due:
        url = alerts.channels.get(channel)
        with store.sessions.begin() as session:
            if not stored.claim(session, ident, attempts, now + LEASE):
                continue  # another sender took it
        if url is None:
            error: str | None = f"channel {channel} is not configured in [alerts.channels]"
        elif channel in refused:
            error = f"not tried: {channel} failed a moment ago ({refused[channel]})"
        else:
            error = sender(url, title, body)
        with store.sessions.begin() as session:
            row = session.get(AlertMessage, ident)
            assert row is not None
            if error is None:
                row.status = stored.SENT
                row.sent_at = now
                row.next_attempt_at = None
                row.last_error = None
                report.sent.append(ident)
                continue
            row.last_error = error
            row.next_attempt_at = now + backoff(alerts, row.attempts)
            report.failed[ident] = error
        if url is not None and channel not in refused:
            refused[channel] = error
            log.warning(
                "alert channel %s failed (%s): message %d stays pending, retried at %s",
                channel,
                error,
                ident,
                (now + backoff(alerts, attempts + 1)).isoformat(),
            )
    return report
