"""The rules' conditions: is each one true now for a listing (or a vendor), from the facts the
publishing rules (`tracker.rules`) and the store give, and what to tell the operator.

Pure: every fact and time is passed in. A condition may keep a small memory between
evaluations (``reference``): the price a drop is measured from, or the stock last seen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation

from tracker.alerts.settings import RuleSettings
from tracker.domain import CheckStatus, ListingState, RunStatus, time_text
from tracker.rules import (
    FAILING_IN_A_ROW,
    current_availability,
    is_fresh,
    is_unavailable,
    max_age,
    page_gone,
)

# A listing that abstains: its page answered, but gave no price for the listing.
ABSTAINS = frozenset({CheckStatus.NO_PRICE, CheckStatus.AMBIGUOUS, CheckStatus.UNMATCHED_VARIANT})
FAILED_RUNS = frozenset({RunStatus.FAILED, RunStatus.KILLED})


@dataclass(frozen=True, slots=True)
class Condition:
    """Whether a rule's condition holds, its memory for the next time, and what to say."""

    true: bool
    reference: str | None = None
    what: str = ""  # old and new value, since when
    todo: str = ""  # what the operator can do, with the command that shows more


@dataclass(frozen=True, slots=True)
class SourceRun:
    """A vendor's newest run by a feed or Amazon's API (runner "feed" or "amazon-api")."""

    run_id: int
    runner: str
    job_id: str | None  # "feed:NAME" for a feed
    status: RunStatus
    error: str | None
    failures: int  # listings whose check failed
    finished_at: datetime | None
    held: bool = False  # a feed whose newest reading was held (rules.feed_dropped)


@dataclass(frozen=True, slots=True)
class VendorFacts:
    """What the vendor rules read of a vendor."""

    slug: str
    name: str
    runs: Sequence[tuple[int, RunStatus, str | None, datetime | None]]  # newest first
    listings: int  # active listings
    failing: int  # of them, those whose last check failed
    source: SourceRun | None = None


def _money(value: str | None) -> tuple[Decimal, str] | None:
    if not value or " " not in value:
        return None
    amount, currency = value.split(" ", 1)
    try:
        return Decimal(amount), currency
    except InvalidOperation:
        return None


def _published(state: ListingState) -> tuple[Decimal, str] | None:
    """The listing's published price (the gate let it through), if any."""
    if state.price is None or state.currency is None or not state.confirmed:
        return None
    return state.price, state.currency


def _share(old: Decimal, new: Decimal) -> str:
    return f"{(new - old) / old * 100:+.0f} %" if old else ""


def price_move(
    state: ListingState,
    rule: RuleSettings,
    reference: str | None,
    *,
    drop: bool,
    armed: bool,
    command: str,
) -> Condition:
    """price_drop (``drop``) or price_rise: by ``percent`` from the price the rule was armed
    at (followed up for a drop, down for a rise, while armed), or past ``below``/``above``."""
    current = _published(state)
    if current is None:
        return Condition(False, reference)
    price, currency = current
    ref = _money(reference)
    if ref is None or ref[1] != currency:
        ref = current
    base = ref[0]
    line_amount = rule.below if drop else rule.above
    crossed_line = line_amount is not None and (
        price < line_amount if drop else price > line_amount
    )
    moved = False
    if rule.percent is not None and base > 0:
        factor = Decimal(str(rule.percent)) / 100
        moved = price <= base * (1 - factor) if drop else price >= base * (1 + factor)
    true = moved or crossed_line
    if armed and not true:  # the line follows the price while nothing fired
        base = max(base, price) if drop else min(base, price)
    what = _move_text(price, currency, base, line_amount, crossed_line, drop)
    what += f", seen since {time_text(state.first_seen_at)} UTC"
    todo = f"The box shows the new price. More: `{command} prices --why {state.listing_id}`"
    return Condition(true, f"{base} {currency}", what, todo)


def _move_text(
    price: Decimal, currency: str, base: Decimal, line: Decimal | None, crossed: bool, drop: bool
) -> str:
    text = f"now {price:.2f} {currency}, was {base:.2f} {currency} ({_share(base, price)})"
    if crossed and line is not None:
        text += f"; {'under' if drop else 'over'} your line of {line} {currency}"
    return text


def stock_change(
    state: ListingState, reference: str | None, *, back: bool, command: str
) -> Condition:
    """back_in_stock (``back``) or out_of_stock: true once the stock changed the rule's way
    after the rule saw the other side (a listing first seen out of stock says nothing)."""
    availability = current_availability(state)
    if availability is None or availability == "unknown":
        return Condition(False, reference)
    out = is_unavailable(availability)
    side = "out" if out else "in"
    seen = state.seen_availability_at or state.last_seen_at
    since = f"read {time_text(seen)} UTC"
    more = f"More: `{command} prices --why {state.listing_id}`"
    if back:
        true = not out and reference in ("out", "was-out")
        memory = "was-out" if true else side
        what = f"{availability} again ({since})"
        todo = f"The box shows it in stock again. {more}"
    else:
        true = out and reference in ("in", "was-in")
        memory = "was-in" if true else side
        what = f"{availability} ({since}); the box shows no price for it"
        todo = f"Nothing to do unless it stays out: then drop the pack from the catalog. {more}"
    return Condition(true, memory, what, todo)


def listing_stale(
    state: ListingState, now: datetime, site_max_age: timedelta, *, command: str
) -> Condition:
    """No good reading (a price, or a page saying out of stock) within the listing's max age;
    a listing never checked is not stale yet (its first crawl is still to come)."""
    if state.last_checked_at is None and state.last_seen_at is None:
        return Condition(False)
    limit = max_age(site_max_age, state.max_age_hours)
    readings = [t for t in (state.last_seen_at, state.seen_availability_at) if t is not None]
    last = max(readings) if readings else None
    if is_fresh(last, now, limit):
        return Condition(False)
    hours = limit.total_seconds() / 3600
    what = (
        f"last good reading {time_text(last)} UTC, older than {hours:g} hours; last check "
        f"{time_text(state.last_checked_at)} UTC: {state.last_status or 'never'}"
        f"{': ' + state.last_error if state.last_error else ''}"
    )
    todo = (
        'The box shows "check the price" for it. Is the scheduler running and the vendor '
        f"reachable? `{command} status`, `{command} prices --why {state.listing_id}`"
    )
    return Condition(True, None, what, todo)


def extraction_broken(state: ListingState, rule: RuleSettings, *, command: str) -> Condition:
    """A listing that read fine before now abstains (no price, ambiguous, variant not found)
    ``checks`` times in a row."""
    needed = rule.checks or FAILING_IN_A_ROW
    true = (
        state.last_status in ABSTAINS
        and state.consecutive_failures >= needed
        and state.last_seen_at is not None
    )
    if not true:
        return Condition(False)
    what = (
        f"{state.consecutive_failures} checks in a row without a price ({state.last_status}: "
        f"{state.last_error or 'no reason recorded'}); last price read "
        f"{time_text(state.last_seen_at)} UTC"
    )
    todo = (
        f"The page changed: see what it yields with `{command} extract {state.url}` and fix "
        "the vendor's selectors or the listing's variant in the catalog"
    )
    return Condition(True, None, what, todo)


def price_held(state: ListingState, *, command: str) -> Condition:
    """The publish gate holds the listing's newest price back."""
    if state.price is None or state.confirmed:
        return Condition(False)
    what = f"{state.price:.2f} {state.currency} held: {state.held_reason or 'suspicious move'}"
    todo = (
        f"Look at the page, then `{command} prices --accept {state.listing_id}` or "
        f"`{command} prices --reject {state.listing_id}` (`--why {state.listing_id}` shows why)"
    )
    return Condition(True, None, what, todo)


def page_gone_condition(state: ListingState, *, command: str) -> Condition:
    """The listing's page is gone: it left the box."""
    if not page_gone(state):
        return Condition(False)
    what = (
        f"{state.last_error or 'the page is gone'} (checked {time_text(state.last_checked_at)} "
        "UTC); the listing left the buy box"
    )
    todo = (
        "Find the product's new page and fix the listing's url in the catalog, or remove the "
        f"listing; it comes back by itself if the page does. `{command} prices --why "
        f"{state.listing_id}`"
    )
    return Condition(True, None, what, todo)


def vendor_broken(facts: VendorFacts, rule: RuleSettings, *, command: str) -> Condition:
    """The vendor's last ``checks`` runs failed, or every one of its listings failed."""
    needed = rule.checks or FAILING_IN_A_ROW
    recent = list(facts.runs[:needed])
    runs_failed = len(recent) >= needed and all(status in FAILED_RUNS for _, status, _, _ in recent)
    all_failing = facts.listings > 0 and facts.failing == facts.listings
    if not (runs_failed or all_failing):
        return Condition(False)
    last = facts.runs[0] if facts.runs else None
    reason = (last[2] or "no reason recorded") if last else "no run"
    if runs_failed:
        what = f"its last {needed} runs failed; last run {last[0] if last else '-'}: {reason}"
    else:
        what = f"all {facts.listings} of its listings failed their last check"
    todo = f"Look at `{command} status` and the run's Scrapy log; is the shop up?"
    return Condition(True, None, what, todo)


@dataclass(frozen=True, slots=True)
class LinkFacts:
    """A listing's last affiliate link check (`tracker links check`)."""

    url: str
    failure: str | None
    failures: int  # in a row
    broken_since: datetime | None
    checked_at: datetime


def link_broken_condition(
    state: ListingState, link: LinkFacts | None, *, command: str
) -> Condition:
    """The listing's affiliate link failed its check twice in a row (rules.link_broken)."""
    if link is None or link.broken_since is None:
        return Condition(False)
    what = (
        f"{link.url} failed {link.failures} checks in a row, last "
        f"{time_text(link.checked_at)} UTC: {link.failure or 'no reason recorded'}; broken since "
        f"{time_text(link.broken_since)} UTC"
    )
    todo = (
        "Readers clicking Buy land on an error or elsewhere: fix the listing's affiliate_url "
        f"or the vendor's affiliate template. `{command} links list`"
    )
    return Condition(True, None, what, todo)


def feed_held(facts: VendorFacts, *, command: str) -> Condition:
    """The vendor's feed dropped most of its rows and was held: its last good prices stay."""
    run = facts.source
    if run is None or run.runner != "feed" or not run.held:
        return Condition(False)
    name = (run.job_id or "").removeprefix("feed:")
    what = (
        f"feed {name} held at {time_text(run.finished_at)} UTC (run {run.run_id}): "
        f"{run.error or 'most rows dropped'}; the box keeps the last good prices until they age"
    )
    todo = (
        f"Look at the feed (`{command} feeds status`); if the drop is real, apply it with "
        f"`{command} feeds run {name} --accept-drop`"
    )
    return Condition(True, None, what, todo)


def source_refused(facts: VendorFacts, *, command: str) -> Condition:
    """Amazon's API refused the vendor's newest run (credentials, throttling) or some of its
    ASINs: those listings fall back to a link without a price within 24 hours."""
    run = facts.source
    if run is None or run.runner != "amazon-api":
        return Condition(False)
    if run.status not in FAILED_RUNS and run.error is None and run.failures == 0:
        return Condition(False)
    what = (
        f"run {run.run_id} at {time_text(run.finished_at)} UTC: "
        f"{run.error or f'{run.failures} listing(s) refused (ASIN unknown or gone?)'}"
    )
    todo = (
        f"Check the credentials and the Associates account, then `{command} feeds amazon "
        f"{facts.slug}`; `{command} status` and `{command} prices --why ID` show each listing"
    )
    return Condition(True, None, what, todo)
