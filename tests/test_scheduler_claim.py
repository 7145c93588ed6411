"""One scheduler per database, even when two start at the same instant.

Two threads claim the scheduler's row together; a barrier after each one's read of the row makes
both see the same row before either writes, which is the race: without an atomic claim both would
win. Run on SQLite and PostgreSQL, several times over.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, event, select

from tracker.config import Settings
from tracker.scheduling.scheduler import STATE_NAME, SchedulerError, claim
from tracker.store.engine import Store
from tracker.store.models import SchedulerState

ROUNDS = 5
WAIT = 20  # seconds at most at the barrier: only a claim that holds a lock while reading waits


@pytest.fixture
def both_read_first(store: Store) -> Iterator[threading.Barrier]:
    """A barrier that each claiming thread passes right after reading the scheduler's row."""
    barrier = threading.Barrier(2, timeout=WAIT)
    waited: set[int] = set()  # the threads past their first read (a re-read does not wait)

    def after(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        thread = threading.current_thread()
        if thread is threading.main_thread() or thread.ident in waited:
            return
        if statement.lstrip().upper().startswith("SELECT") and "scheduler_state" in statement:
            waited.add(thread.ident or 0)
            try:
                barrier.wait()
            except threading.BrokenBarrierError:
                pass  # the other thread waits for a lock this one holds: go on alone

    event.listen(store.engine, "after_cursor_execute", after)
    yield barrier
    event.remove(store.engine, "after_cursor_execute", after)


def race(store: Store, now: datetime, barrier: threading.Barrier) -> dict[str, str]:
    """Two schedulers (on two hosts) claim at once; what each one got."""
    settings = Settings(database_url="unused")
    outcome: dict[str, str] = {}

    def start(host: str, pid: int) -> None:
        try:
            claim(store, settings, now, host=host, pid=pid)
            outcome[host] = "claimed"
        except SchedulerError:
            outcome[host] = "refused"
        except Exception as exc:  # noqa: BLE001 - reported by the assertion below
            outcome[host] = f"{type(exc).__name__}: {exc}"

    barrier.reset()
    threads = [threading.Thread(target=start, args=(f"host-{n}", 100 + n)) for n in (1, 2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=2 * WAIT)
    return outcome


@pytest.mark.parametrize("left_behind", [True, False], ids=["dead-row", "no-row"])
def test_two_schedulers_started_together_one_runs(
    store: Store, now: datetime, both_read_first: threading.Barrier, left_behind: bool
) -> None:
    for round_ in range(ROUNDS):
        with store.sessions.begin() as session:
            session.execute(delete(SchedulerState))
            if left_behind:  # a scheduler on another host that died a day ago
                long_ago = now - timedelta(days=1)
                session.add(
                    SchedulerState(
                        name=STATE_NAME, host="gone", pid=7, started_at=long_ago, beat_at=long_ago
                    )
                )
        outcome = race(store, now + timedelta(minutes=round_), both_read_first)
        assert not both_read_first.broken  # both read the row before either wrote: the race ran
        assert sorted(outcome.values()) == ["claimed", "refused"], (round_, outcome)
        with store.sessions.begin() as session:
            holder = session.scalars(select(SchedulerState)).one()
        winner = next(host for host, got in outcome.items() if got == "claimed")
        assert (holder.host, holder.pid) == (winner, 100 + int(winner[-1]))
