"""Each rule of each listing (or vendor) is a small state machine, kept in the database.

    armed ──true──▶ pending ──held N checks or M minutes──▶ fired (one message)
      ▲               │ false (a flap: suppressed, logged)      │ false
      └───────────────┘                                         ▼
      ◀──────────── false for N checks or M minutes ────── clearing ──true──▶ fired (no message)

A rule fires once when its condition becomes true, never again while it stays true, and re-arms
only after the condition has been false for a while (hysteresis). Pure: ``now`` is passed in.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


class Phase(enum.StrEnum):
    ARMED = "armed"
    PENDING = "pending"  # true, waiting to have held long enough (flap suppression)
    FIRED = "fired"
    CLEARING = "clearing"  # false after firing, waiting to re-arm (hysteresis)


class Event(enum.StrEnum):
    FIRE = "fire"
    SUPPRESS = "suppress"  # true, then false again before it held long enough
    REARM = "rearm"


@dataclass(frozen=True, slots=True)
class Hold:
    """How long a condition must hold before it counts: N checks, or M minutes (None: unused)."""

    checks: int | None = 1
    minutes: float | None = None

    def satisfied(self, streak: int, since: datetime | None, now: datetime) -> bool:
        if self.checks is not None and streak >= self.checks:
            return True
        if self.minutes is not None and since is not None:
            return now - since >= timedelta(minutes=self.minutes)
        return False

    def text(self) -> str:
        parts = []
        if self.checks is not None:
            parts.append(f"{self.checks} check{'s' if self.checks != 1 else ''}")
        if self.minutes is not None:
            parts.append(f"{self.minutes:g} min")
        return " or ".join(parts) or "-"


@dataclass(frozen=True, slots=True)
class RuleState:
    """What the store keeps of one rule for one subject."""

    phase: Phase = Phase.ARMED
    since: datetime | None = None  # when the current phase's condition value began
    streak: int = 0  # checks seen with that value
    checked_at: datetime | None = None  # the last check counted (a newer one adds to the streak)
    fired_at: datetime | None = None
    fires: int = 0
    reference: str | None = None  # the rule's memory: a price line, "in" or "out"


@dataclass(frozen=True, slots=True)
class Step:
    state: RuleState
    event: Event | None = None
    why: str | None = None


def step(
    state: RuleState,
    true: bool,
    *,
    checked_at: datetime | None,
    now: datetime,
    hold: Hold,
    rearm: Hold,
) -> Step:
    """The next state of a rule given whether its condition holds now."""
    new_check = checked_at is not None and (
        state.checked_at is None or checked_at > state.checked_at
    )
    seen = checked_at if new_check else state.checked_at
    counted = int(new_check)
    phase = state.phase
    if true:
        if phase is Phase.ARMED:
            state = replace(state, phase=Phase.PENDING, since=now, streak=1, checked_at=seen)
            return _maybe_fire(state, now, hold)
        if phase is Phase.PENDING:
            state = replace(state, streak=state.streak + counted, checked_at=seen)
            return _maybe_fire(state, now, hold)
        if phase is Phase.CLEARING:  # true again before it re-armed: still the same episode
            return Step(replace(state, phase=Phase.FIRED, streak=0, checked_at=seen))
        return Step(replace(state, checked_at=seen))
    if phase is Phase.PENDING:
        why = (
            f"true for {state.streak} check(s) since {state.since:%Y-%m-%d %H:%M} UTC, then "
            f"false before it held {hold.text()}"
            if state.since
            else "flapped"
        )
        return Step(
            replace(state, phase=Phase.ARMED, since=now, streak=0, checked_at=seen),
            Event.SUPPRESS,
            why,
        )
    if phase is Phase.FIRED:
        state = replace(state, phase=Phase.CLEARING, since=now, streak=1, checked_at=seen)
        return _maybe_rearm(state, now, rearm)
    if phase is Phase.CLEARING:
        state = replace(state, streak=state.streak + counted, checked_at=seen)
        return _maybe_rearm(state, now, rearm)
    return Step(replace(state, checked_at=seen))


def _maybe_fire(state: RuleState, now: datetime, hold: Hold) -> Step:
    if not hold.satisfied(state.streak, state.since, now):
        return Step(state)
    fired = replace(state, phase=Phase.FIRED, fired_at=now, fires=state.fires + 1)
    return Step(fired, Event.FIRE)


def _maybe_rearm(state: RuleState, now: datetime, rearm: Hold) -> Step:
    if not rearm.satisfied(state.streak, state.since, now):
        return Step(state)
    return Step(replace(state, phase=Phase.ARMED, since=now, streak=0), Event.REARM)
