"""What the scheduler's log says: a failed run at WARNING with its reason, a good one at INFO,
and the heartbeat's job lines only at DEBUG."""

from __future__ import annotations

import logging
import threading
from datetime import datetime

import pytest

from tracker.config import Settings
from tracker.domain import RunStatus
from tracker.scheduling.runners import RunSnapshot
from tracker.scheduling.scheduler import HEARTBEAT_LOGGER, HeartbeatAtDebug, SchedulerContext
from tracker.store.engine import Store


class RecordedRun:
    """A runner that hands back a run as the store recorded it (the scheduler only logs it)."""

    name = "recorded"

    def __init__(self, snapshot: RunSnapshot) -> None:
        self.snapshot = snapshot

    def crawl(self, vendor: str, *, trigger: str, stop: threading.Event) -> RunSnapshot | None:
        return self.snapshot


def snapshot(status: RunStatus, error: str | None, now: datetime) -> RunSnapshot:
    return RunSnapshot(7, status, 2, 2, 0, 2, 1, now, now, error, vendor="cosmic")


@pytest.mark.parametrize(
    ("status", "error", "level", "text"),
    [
        (
            RunStatus.FAILED,
            "checks failed: 2 unreachable (connection refused)",
            logging.WARNING,
            "vendor cosmic: run 7 failed: checks failed: 2 unreachable (connection refused)",
        ),
        (RunStatus.FAILED, None, logging.WARNING, "run 7 failed: no reason recorded"),
        (RunStatus.OK, None, logging.INFO, "vendor cosmic: run 7 ok (2/2 checked"),
    ],
)
def test_a_failed_scheduled_run_is_a_warning_with_its_reason(
    caplog: pytest.LogCaptureFixture,
    tmp_path: object,
    now: datetime,
    status: RunStatus,
    error: str | None,
    level: int,
    text: str,
) -> None:
    after: list[str] = []
    context = SchedulerContext(
        Settings(),
        Store.__new__(Store),  # the crawl path never opens it
        RecordedRun(snapshot(status, error, now)),
        lambda vendor, _snapshot: after.append(vendor),
    )
    with caplog.at_level(logging.INFO, logger="tracker.scheduling.scheduler"):
        context.crawl("cosmic", "schedule")
    (record,) = [r for r in caplog.records if "run 7" in r.getMessage()]
    assert record.levelno == level and text in record.getMessage()
    assert "None" not in record.getMessage()
    assert after == ["cosmic"]  # the alerts run after failed runs too


def test_heartbeat_job_lines_go_out_at_debug_only(caplog: pytest.LogCaptureFixture) -> None:
    beats = logging.getLogger(HEARTBEAT_LOGGER)
    beats.addFilter(HeartbeatAtDebug())
    try:
        with caplog.at_level(logging.INFO):
            beats.info('Running job "heartbeat" (scheduled at ...)')
            beats.error('Job "heartbeat" raised an exception')
        assert [r.levelname for r in caplog.records] == ["ERROR"]
        caplog.clear()
        with caplog.at_level(logging.DEBUG):
            beats.info('Job "heartbeat" executed successfully')
        assert [r.levelname for r in caplog.records] == ["DEBUG"]
    finally:
        for found in [f for f in beats.filters if isinstance(f, HeartbeatAtDebug)]:
            beats.removeFilter(found)
