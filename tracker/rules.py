"""The publishing rules, one home each: every caller asks here, none decides on its own.

- freshness: is a price current, with the vendor's own max age;
- what a listing shows: a price, "check the price", or the vendor's link only;
- the publish gate: is a new reading published at once or held back;
- a run's outcome, and which runs count as good;
- scheduler liveness: when a silent scheduler counts as gone;
- what needs the operator (`tracker status` exits 1 for it);
- affiliate link health, and where the Buy button leads while a link is broken.

Pure functions of their inputs; every time is passed in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlsplit

from tracker.domain import Availability, CheckStatus, ListingState, RowState, RunStatus, time_text
from tracker.urls import link_allowed

# --- freshness -------------------------------------------------------------------------------


# Amazon Associates' display rules: a price from the API is shown with its date and time and
# this notice, and never once it is older than 24 hours.
AMAZON_MAX_AGE = timedelta(hours=24)
AMAZON_DISCLAIMER = (
    "Product prices and availability are accurate as of the date/time indicated and are "
    "subject to change. Any price and availability information displayed on {site} at the "
    "time of purchase will apply to the purchase of this product."
)


def amazon_disclaimer(marketplace: str | None) -> str | None:
    """The notice Amazon requires beside a price of ``marketplace`` ("www.amazon.de" reads
    "Amazon.de"); None for a vendor that is not priced by Amazon's API."""
    if marketplace is None:
        return None
    site = marketplace.removeprefix("www.").removeprefix("amazon")
    return AMAZON_DISCLAIMER.format(site=f"Amazon{site}")


def max_age(site: timedelta, vendor_hours: float | None = None) -> timedelta:
    """How long a price counts as current: the vendor's own max age, else the site's."""
    return site if vendor_hours is None else timedelta(hours=vendor_hours)


def is_fresh(checked_at: datetime | None, now: datetime, limit: timedelta) -> bool:
    """A price is current only if its last successful check is within the max age."""
    return checked_at is not None and now - checked_at <= limit


# --- what a listing shows --------------------------------------------------------------------

_CURRENCY = re.compile(r"^[A-Z]{3}$")
UNAVAILABLE = frozenset({Availability.OUT_OF_STOCK, Availability.DISCONTINUED})


def is_unavailable(availability: str | None) -> bool:
    """The page says the product cannot be bought: out of stock or discontinued."""
    return availability in UNAVAILABLE


def unavailable_since(state: ListingState, now: datetime, limit: timedelta) -> datetime | None:
    """When a page last said "out of stock" (or discontinued) without a price, if that reading
    is newer than the price and still fresh: the listing shows out of stock, with no number."""
    seen = state.seen_availability_at
    if seen is None or not is_unavailable(state.seen_availability):
        return None
    if state.last_seen_at is not None and seen <= state.last_seen_at:
        return None  # the price reading is as new: its own availability says it
    return seen if is_fresh(seen, now, limit) else None


def current_availability(state: ListingState) -> str | None:
    """What the newest reading says of stock: the price span's, or a newer stock-only reading."""
    seen = state.seen_availability_at
    if seen is not None and (state.last_seen_at is None or seen > state.last_seen_at):
        return state.seen_availability
    return state.availability


def page_gone(state: ListingState) -> bool:
    """The last check found the listing's page gone (404 or 410 twice in one run, or a redirect
    to the shop's home page) and nothing was read since: the listing leaves the box at once."""
    if state.last_status is not CheckStatus.NOT_FOUND or state.last_checked_at is None:
        return False
    readings = [t for t in (state.last_seen_at, state.seen_availability_at) if t is not None]
    return not readings or state.last_checked_at > max(readings)


@dataclass(frozen=True, slots=True)
class Shown:
    """What the box shows of a listing, and why when it shows no price."""

    state: RowState
    why: str | None = None  # "held", "stale", "no price yet", "link only", "unavailable", "gone"


def shown(state: ListingState, now: datetime, site_max_age: timedelta) -> Shown:
    """A price only when the gate let it through, it is fresh (by the vendor's max age) and the
    vendor allows prices; nothing at all when the page is gone."""
    if page_gone(state):
        return Shown(RowState.GONE, "gone")
    if state.link_only:
        return Shown(RowState.LINK_ONLY, "link only")
    limit = max_age(site_max_age, state.max_age_hours)
    if state.amazon_marketplace is not None:
        limit = min(limit, AMAZON_MAX_AGE)
    if unavailable_since(state, now, limit) is not None:
        return Shown(RowState.UNAVAILABLE, "unavailable")
    if state.price is None or state.currency is None or not _CURRENCY.match(state.currency):
        return Shown(RowState.CHECK, "no price yet")
    if not state.confirmed:
        return Shown(RowState.CHECK, "held")
    if not is_fresh(state.last_seen_at, now, limit):
        return Shown(RowState.CHECK, "stale")
    return Shown(RowState.PRICED)


def shown_until(state: ListingState, now: datetime, site_max_age: timedelta) -> datetime | None:
    """The moment after which the clock alone may change what ``shown`` says of the listing
    (its price or its "out of stock" reading turning stale); None when time changes nothing.

    A static render stays right until then, unless the data changes.
    """
    limit = max_age(site_max_age, state.max_age_hours)
    moments = [t + limit for t in (state.last_seen_at, state.seen_availability_at) if t]
    later = [moment for moment in moments if moment >= now]
    return min(later) if later else None


# --- the publish gate ------------------------------------------------------------------------


def is_suspect(
    confirmed: tuple[Decimal, str] | None, price: Decimal, currency: str, max_share: float
) -> bool:
    """A new price moves too far from the last confirmed one (or changes currency)."""
    if confirmed is None:
        return False
    old_price, old_currency = confirmed
    if currency != old_currency or old_price <= 0:
        return True
    return abs(price - old_price) / old_price > Decimal(str(max_share))


def suspect_reason(confirmed: tuple[Decimal, str] | None, price: Decimal, currency: str) -> str:
    """What moved, for the operator: the share of the move or the currency change."""
    if confirmed is None:
        return f"price {price} {currency}"
    old_price, old_currency = confirmed
    if currency != old_currency:
        return f"currency changed from {old_currency} to {currency} ({price} {currency})"
    if old_price <= 0:
        return f"price moved from {old_price} to {price} {currency}"
    change = (price - old_price) / old_price * 100
    return (
        f"price moved {change:+.0f} % from the confirmed {old_price:.2f} to {price:.2f} {currency}"
    )


PAGE = "page"  # the visible product area, in a reading's agreeing sources
AGREEING_SOURCES = 2  # sources besides the page that confirm a suspicious reading at once


@dataclass(frozen=True, slots=True)
class GatePolicy:
    """The publish gate's settings: the share of a move that is suspicious, and how long after
    the first reading a later one confirms it."""

    max_share: float = 0.5
    confirm_after: timedelta = timedelta(hours=1)


@dataclass(frozen=True, slots=True)
class Gate:
    """The publish gate's decision on one reading: published now, or held with a reason."""

    publish: bool
    reason: str | None = None


def publish_gate(
    confirmed: tuple[Decimal, str] | None,
    price: Decimal,
    currency: str,
    policy: GatePolicy,
    *,
    agreed: Sequence[str] = (),
    held_since: datetime | None = None,
    now: datetime,
) -> Gate:
    """Decide whether a reading is published, or held while it is suspicious.

    ``confirmed`` is the listing's last published price. A reading that moves more than the
    policy's share from it (or changes currency) is held until a later reading of the same
    values at least ``confirm_after`` after the first (``held_since``), or until two sources
    besides the page agree on it (``agreed``): a second look seconds later at the same page
    would only repeat a systematic misreading. The operator may accept or reject it too.
    """
    if not is_suspect(confirmed, price, currency, policy.max_share):
        return Gate(publish=True)
    if len([source for source in agreed if source != PAGE]) >= AGREEING_SOURCES:
        return Gate(publish=True)
    if held_since is not None and now - held_since >= policy.confirm_after:
        return Gate(publish=True)
    wait = duration_text(policy.confirm_after)
    return Gate(
        publish=False,
        reason=(
            f"{suspect_reason(confirmed, price, currency)}; held until a run at least {wait} "
            "after this reading sees it again (or `tracker prices --accept`)"
        ),
    )


def duration_text(span: timedelta) -> str:
    """A duration as an operator writes it: "1 h", "30 min", "1 h 30 min", "45 s"."""
    seconds = int(span.total_seconds())
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else ""]
    parts.append(f"{secs} s" if secs or not any(parts) else "")
    return " ".join(p for p in parts if p)


# --- feeds ---------------------------------------------------------------------------------


def feed_dropped(rows: int, last_good_rows: int | None, max_drop_share: float) -> bool:
    """A feed that lost more than the share of its rows since its last applied reading is
    held, as a suspicious price is: a cut export must not take the offers down."""
    if not last_good_rows:
        return False
    return rows < last_good_rows * (1 - max_drop_share)


def feed_drop_reason(rows: int, last_good_rows: int) -> str:
    """What the operator reads about a held feed."""
    return (
        f"held: the feed has {rows:,} rows, the last applied reading had {last_good_rows:,}; "
        "its prices are kept as they were (run it with --accept-drop if the feed is right)"
    )


# --- runs ------------------------------------------------------------------------------------

GOOD_RUNS = frozenset({RunStatus.OK, RunStatus.PARTIAL})


def run_outcome(
    *, checks: int, offers: int, failures: int, expected: int, finish_reason: str
) -> RunStatus:
    """One vendor's run: ok when every check succeeded, partial when some did, else failed."""
    if finish_reason != "finished":
        return RunStatus.FAILED if offers == 0 else RunStatus.PARTIAL
    if failures == 0 and checks >= expected:
        return RunStatus.OK
    return RunStatus.PARTIAL if offers else RunStatus.FAILED


def crawl_outcome(statuses: Iterable[RunStatus], offers: int) -> RunStatus:
    """One status for the runs of one crawl: partial when some vendors read prices, some not."""
    found = set(statuses)
    if len(found) == 1:
        return found.pop()
    if RunStatus.RUNNING in found:
        return RunStatus.RUNNING
    if offers:
        return RunStatus.PARTIAL
    return RunStatus.KILLED if RunStatus.KILLED in found else RunStatus.FAILED


def is_good_run(status: RunStatus) -> bool:
    """A run that read prices: it counts as the vendor's crawl for its schedule."""
    return status in GOOD_RUNS


OVERDUE_FACTOR = 2  # a crawl stops itself at its time limit; its runner kills it soon after


def run_overdue(started_at: datetime, now: datetime, time_limit: timedelta) -> bool:
    """A run still `running` this long after its start is over, whatever its process says."""
    return now - started_at > OVERDUE_FACTOR * time_limit


def needs_catch_up(
    last_good: datetime | None, next_run: datetime, now: datetime, period: timedelta
) -> bool:
    """At the scheduler's start: crawl a vendor now when its last good crawl is older than its
    period, unless its next regular run comes within half a period (that run catches up)."""
    stale = last_good is None or now - last_good > period
    return stale and next_run - now > period / 2


# --- scheduler liveness ----------------------------------------------------------------------

SILENT_BEATS = 4  # a scheduler silent for this many resync periods is gone


def scheduler_silent(beat_at: datetime, now: datetime, resync_seconds: float) -> bool:
    """The scheduler has not recorded a beat for too long: it is gone (or hung)."""
    return now - beat_at > timedelta(seconds=resync_seconds * SILENT_BEATS)


# --- what needs the operator -----------------------------------------------------------------

FAILING_IN_A_ROW = 3


def run_problem(run_id: int, status: RunStatus, error: str | None) -> str | None:
    """What is wrong with a vendor's last run, if anything (a run whose process is gone or
    that is overdue was closed as killed before: see ``run_overdue``)."""
    if status in (RunStatus.FAILED, RunStatus.KILLED):
        return f"last run {run_id} {status}: {error or 'no reason recorded'}"
    return None


def listing_problems(
    *,
    consecutive_failures: int,
    last_status: CheckStatus | None,
    last_error: str | None,
    last_ok_at: datetime | None,
    unavailable_at: datetime | None = None,
    now: datetime,
    limit: timedelta,
) -> list[str]:
    """What is wrong with a listing: failing again and again, or no current reading (a price,
    or a page saying it is out of stock: ``unavailable_at``)."""
    problems = []
    if consecutive_failures >= FAILING_IN_A_ROW:
        why = last_error or (last_status.meaning if last_status else "no reason recorded")
        problems.append(f"failed {consecutive_failures} times in a row ({last_status}: {why})")
    if unavailable_at is not None and (last_ok_at is None or unavailable_at > last_ok_at):
        if not is_fresh(unavailable_at, now, limit):
            hours = limit.total_seconds() / 3600
            problems.append(
                f"last reading (out of stock) from {time_text(unavailable_at)} UTC, "
                f"older than {hours:g} hours"
            )
    elif last_ok_at is None:
        problems.append("no good price yet")
    elif not is_fresh(last_ok_at, now, limit):
        hours = limit.total_seconds() / 3600
        problems.append(
            f"last good price from {time_text(last_ok_at)} UTC, older than {hours:g} hours"
        )
    return problems


# --- affiliate link health -------------------------------------------------------------------

LINK_BROKEN_AFTER = 2  # consecutive failed link checks before a link counts as broken
LINK_GONE = frozenset({404, 410})


def link_failure(
    status: int | None, final_url: str | None, homepage: str, template: str | None
) -> str | None:
    """Why an affiliate link's check failed, or None when it leads to a page of the vendor's.

    A failure: the request could not be made (``status`` None: DNS, refused, a private
    address), a 404 or 410, or redirects that land on another host than the vendor's (or its
    affiliate template's) or on the shop's home page. Other answers (a 403 bot check, a 5xx)
    say nothing about the link itself.
    """
    if status is None:
        return "no answer"
    if status in LINK_GONE:
        return f"HTTP {status}"
    if final_url is None:
        return None
    if not link_allowed(final_url, homepage, template):
        return f"redirects to another host: {final_url[:200]}"
    if _is_home(final_url, homepage):
        return f"redirects to the shop's home page: {final_url[:200]}"
    return None


def _is_home(url: str, homepage: str) -> bool:
    path = urlsplit(url).path.rstrip("/")
    return path == "" or path == urlsplit(homepage).path.rstrip("/")


def link_broken(consecutive_failures: int) -> bool:
    """A link is broken after LINK_BROKEN_AFTER failed checks in a row (one may be a hiccup)."""
    return consecutive_failures >= LINK_BROKEN_AFTER


def buy_link(
    affiliate_url: str,
    broken: bool,
    fallback_url: str | None,
    homepage: str,
    template: str | None,
) -> str | None:
    """Where a listing's Buy button leads, or None for no button.

    Its affiliate link while that works; while it is broken (``link_broken``), the vendor's
    fallback URL; no button when there is no fallback (a reader is never sent to a dead page).
    Whatever it is, the URL must still be the vendor's (``link_allowed``), else no button.
    The box and the live server's ``/go/`` redirect both ask here.
    """
    url = fallback_url if broken else affiliate_url
    if url is None or not link_allowed(url, homepage, template):
        return None
    return url
