"""One pass of the alerts: evaluate the rules, then send what is due. A failure here is
logged and never reaches the crawl that called it."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime

from tracker.config import Settings
from tracker.notifying.channels import Sender, send
from tracker.notifying.deliver import DeliverReport, deliver
from tracker.notifying.evaluate import EvaluateReport, evaluate
from tracker.store.engine import Store

log = logging.getLogger("tracker.alerts")
_ONE_AT_A_TIME = threading.Lock()  # the scheduler's crawl threads finish at the same time


@dataclass
class AlertPass:
    evaluated: EvaluateReport | None
    delivered: DeliverReport | None
    error: str | None = None


def alert_pass(store: Store, settings: Settings, now: datetime, sender: Sender = send) -> AlertPass:
    """Evaluate and send; nothing when no channel is configured; never raises."""
    if not settings.alerts.enabled:
        return AlertPass(None, None)
    try:
        with _ONE_AT_A_TIME:
            evaluated = evaluate(store, settings, now)
            delivered = deliver(store, settings.alerts, now, sender)
    except Exception as exc:  # an alert problem must never break a crawl or the scheduler
        log.exception("alerts: evaluation or delivery failed")
        return AlertPass(None, None, f"{type(exc).__name__}: {exc}")
    if evaluated.fired or evaluated.suppressed or delivered.sent or delivered.failed:
        log.info(
            "alerts: %d fired, %d suppressed, %d rearmed, %d queued, %d folded; %d sent, %d failed",
            len(evaluated.fired),
            len(evaluated.suppressed),
            len(evaluated.rearmed),
            evaluated.queued,
            evaluated.folded,
            len(delivered.sent),
            len(delivered.failed),
        )
    return AlertPass(evaluated, delivered)
