"""The publishing rules, each with its table of cases. No database, no clock: `now` is given."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from tests.conftest import NOW
from tests.test_viewmodel import TEN
from tracker import rules
from tracker.domain import CheckStatus, ListingState, RowState, RunStatus

H = timedelta(hours=1)
DAY = timedelta(hours=24)


def state(**values: object) -> ListingState:
    """The view-model tests' listing (75.00 USD, seen 2 h ago), with some values changed."""
    return replace(TEN, **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("site", "vendor_hours", "limit"),
    [(DAY, None, DAY), (DAY, 48.0, 48 * H), (DAY, 0.5, H / 2)],
)
def test_max_age_is_the_vendors_when_it_has_one(
    site: timedelta, vendor_hours: float | None, limit: timedelta
) -> None:
    assert rules.max_age(site, vendor_hours) == limit


@pytest.mark.parametrize(
    ("checked", "fresh"),
    [(None, False), (NOW, True), (NOW - DAY, True), (NOW - DAY - timedelta(seconds=1), False)],
)
def test_is_fresh(checked: datetime | None, fresh: bool) -> None:
    assert rules.is_fresh(checked, NOW, DAY) is fresh


SOLD_OUT = {"seen_availability": "OutOfStock", "seen_availability_at": NOW - H / 2}


@pytest.mark.parametrize(
    ("values", "row", "why"),
    [
        ({}, RowState.PRICED, None),
        ({"link_only": True}, RowState.LINK_ONLY, "link only"),
        ({"price": None, "currency": None}, RowState.CHECK, "no price yet"),
        ({"currency": "usd"}, RowState.CHECK, "no price yet"),  # not an ISO code
        ({"confirmed": False}, RowState.CHECK, "held"),
        ({"last_seen_at": NOW - 30 * H}, RowState.CHECK, "stale"),
        ({"last_seen_at": NOW - 30 * H, "max_age_hours": 48.0}, RowState.PRICED, None),
        ({"last_seen_at": NOW - 2 * H, "max_age_hours": 1.0}, RowState.CHECK, "stale"),
        # a page that said "out of stock" or "discontinued" without a price, after the price
        (SOLD_OUT, RowState.UNAVAILABLE, "unavailable"),
        ({**SOLD_OUT, "seen_availability": "Discontinued"}, RowState.UNAVAILABLE, "unavailable"),
        ({**SOLD_OUT, "confirmed": False}, RowState.UNAVAILABLE, "unavailable"),
        ({**SOLD_OUT, "seen_availability": "InStock"}, RowState.PRICED, None),
        ({**SOLD_OUT, "seen_availability_at": TEN.last_seen_at}, RowState.PRICED, None),  # as old
        ({**SOLD_OUT, "seen_availability_at": NOW - 3 * H}, RowState.PRICED, None),  # older
        (
            {**SOLD_OUT, "last_seen_at": NOW - 40 * H, "seen_availability_at": NOW - 30 * H},
            RowState.CHECK,
            "stale",
        ),
        ({**SOLD_OUT, "link_only": True}, RowState.LINK_ONLY, "link only"),
    ],
)
def test_what_a_listing_shows(values: dict[str, object], row: RowState, why: str | None) -> None:
    assert rules.shown(state(**values), NOW, DAY) == rules.Shown(row, why)


CONFIRMED = (Decimal("75.00"), "USD")
FIRST = NOW - 30 * timedelta(minutes=1)  # a held reading's first time


@pytest.mark.parametrize(
    ("confirmed", "reading", "agreed", "held_since", "publish"),
    [
        (CONFIRMED, ("74.00", "USD"), (), None, True),
        (CONFIRMED, ("37.00", "USD"), (), None, False),  # -51 %
        (CONFIRMED, ("112.50", "USD"), (), None, True),  # +50 % exactly is allowed
        (CONFIRMED, ("113.00", "USD"), (), None, False),
        (CONFIRMED, ("75.00", "EUR"), (), None, False),  # a currency change
        (None, ("1.00", "USD"), (), None, True),  # nothing confirmed yet: nothing to compare
        ((Decimal("0"), "USD"), ("1.00", "USD"), (), None, False),
        # seen again by a later run: published once an hour has passed since the first reading
        (CONFIRMED, ("750.00", "USD"), (), FIRST, False),
        (CONFIRMED, ("750.00", "USD"), (), NOW - H + timedelta(seconds=1), False),
        (CONFIRMED, ("750.00", "USD"), (), NOW - H, True),
        (CONFIRMED, ("750.00", "USD"), (), NOW - 5 * H, True),
        # independent sources besides the visible page
        (CONFIRMED, ("750.00", "USD"), ("json-ld", "microdata", "page"), None, True),
        (CONFIRMED, ("750.00", "USD"), ("json-ld", "opengraph"), None, True),
        (CONFIRMED, ("750.00", "USD"), ("json-ld", "page"), None, False),
        (CONFIRMED, ("750.00", "USD"), ("selectors",), None, False),
    ],
)
def test_publish_gate(
    confirmed: tuple[Decimal, str] | None,
    reading: tuple[str, str],
    agreed: tuple[str, ...],
    held_since: datetime | None,
    publish: bool,
) -> None:
    gate = rules.publish_gate(
        confirmed,
        Decimal(reading[0]),
        reading[1],
        rules.GatePolicy(max_share=0.5, confirm_after=H),
        agreed=agreed,
        held_since=held_since,
        now=NOW,
    )
    assert gate.publish is publish
    assert (gate.reason is None) is publish


def test_a_held_reading_says_why_and_what_confirms_it() -> None:
    gate = rules.publish_gate(
        CONFIRMED, Decimal("750.00"), "USD", rules.GatePolicy(confirm_after=90 * H / 60), now=NOW
    )
    assert gate.reason == (
        "price moved +900 % from the confirmed 75.00 to 750.00 USD; held until a run at least "
        "1 h 30 min after this reading sees it again (or `tracker prices --accept`)"
    )


@pytest.mark.parametrize(
    ("span", "text"),
    [(H, "1 h"), (30 * H / 60, "30 min"), (timedelta(seconds=45), "45 s"), (timedelta(0), "0 s")],
)
def test_duration_text(span: timedelta, text: str) -> None:
    assert rules.duration_text(span) == text


@pytest.mark.parametrize(
    ("confirmed", "price", "currency", "text"),
    [
        (
            ("75.00", "USD"),
            "30.00",
            "USD",
            "price moved -60 % from the confirmed 75.00 to 30.00 USD",
        ),
        (("10.00", "USD"), "100.00", "USD", "price moved +900 % from the confirmed 10.00"),
        (("75.00", "USD"), "75.00", "EUR", "currency changed from USD to EUR (75.00 EUR)"),
    ],
)
def test_suspect_reason(confirmed: tuple[str, str], price: str, currency: str, text: str) -> None:
    reason = rules.suspect_reason((Decimal(confirmed[0]), confirmed[1]), Decimal(price), currency)
    assert reason.startswith(text)


@pytest.mark.parametrize(
    ("counts", "reason", "status"),
    [
        ((3, 3, 0, 3), "finished", RunStatus.OK),
        ((3, 2, 1, 3), "finished", RunStatus.PARTIAL),
        ((3, 0, 3, 3), "finished", RunStatus.FAILED),
        ((2, 2, 0, 3), "finished", RunStatus.PARTIAL),  # a listing was never checked
        ((0, 0, 0, 0), "finished", RunStatus.OK),  # nothing to check
        ((1, 1, 0, 3), "shutdown", RunStatus.PARTIAL),
        ((1, 0, 1, 3), "closespider_timeout", RunStatus.FAILED),
    ],
)
def test_run_outcome(counts: tuple[int, int, int, int], reason: str, status: RunStatus) -> None:
    checks, offers, failures, expected = counts
    outcome = rules.run_outcome(
        checks=checks, offers=offers, failures=failures, expected=expected, finish_reason=reason
    )
    assert outcome is status


OK, PARTIAL, FAILED, KILLED, RUNNING = (
    RunStatus.OK,
    RunStatus.PARTIAL,
    RunStatus.FAILED,
    RunStatus.KILLED,
    RunStatus.RUNNING,
)


@pytest.mark.parametrize(
    ("statuses", "offers", "status"),
    [
        ([OK, OK], 4, OK),
        ([FAILED, FAILED], 0, FAILED),
        ([OK, FAILED], 2, PARTIAL),
        ([OK, RUNNING], 2, RUNNING),
        ([FAILED, KILLED], 0, KILLED),
    ],
)
def test_crawl_outcome(statuses: list[RunStatus], offers: int, status: RunStatus) -> None:
    assert rules.crawl_outcome(statuses, offers) is status


@pytest.mark.parametrize(
    ("status", "good"), [(OK, True), (PARTIAL, True), (FAILED, False), (KILLED, False)]
)
def test_good_runs(status: RunStatus, good: bool) -> None:
    assert rules.is_good_run(status) is good


@pytest.mark.parametrize(
    ("silent_for", "silent"),
    [(timedelta(seconds=59), False), (timedelta(seconds=60), False), (timedelta(seconds=61), True)],
)
def test_scheduler_liveness(silent_for: timedelta, silent: bool) -> None:
    assert rules.scheduler_silent(NOW - silent_for, NOW, resync_seconds=15) is silent


@pytest.mark.parametrize(
    ("status", "error", "problem"),
    [
        (OK, None, None),
        (PARTIAL, None, None),
        (FAILED, "boom", "last run 7 failed: boom"),
        (KILLED, None, "last run 7 killed: no reason recorded"),
        (RUNNING, None, None),
    ],
)
def test_run_problem(status: RunStatus, error: str | None, problem: str | None) -> None:
    assert rules.run_problem(7, status, error) == problem


@pytest.mark.parametrize(
    ("age", "overdue"), [(H, False), (2 * H, False), (2 * H + timedelta(seconds=1), True)]
)
def test_a_run_is_overdue_after_twice_its_time_limit(age: timedelta, overdue: bool) -> None:
    assert rules.run_overdue(NOW - age, NOW, H) is overdue


SIX_HOURS = 6 * H


@pytest.mark.parametrize(
    ("last_good", "next_run", "catch_up"),
    [
        (None, NOW + 5 * H, True),  # never crawled
        (NOW - 7 * H, NOW + 5 * H, True),  # older than its period
        (NOW - 5 * H, NOW + 5 * H, False),  # crawled within its period
        (NOW - 7 * H, NOW + 3 * H, False),  # the regular run comes within half a period
        (NOW - 7 * H, NOW + timedelta(seconds=17), False),  # ... 17 s later: that is the run
        (None, NOW + 3 * H + timedelta(seconds=1), True),
    ],
)
def test_needs_catch_up(last_good: datetime | None, next_run: datetime, catch_up: bool) -> None:
    assert rules.needs_catch_up(last_good, next_run, NOW, SIX_HOURS) is catch_up


@pytest.mark.parametrize(
    ("failures", "last_ok", "limit", "problems"),
    [
        (0, NOW - H, DAY, []),
        (2, NOW - H, DAY, []),
        (3, NOW - H, DAY, ["failed 3 times in a row (timeout: timed out)"]),
        (0, None, DAY, ["no good price yet"]),
        (0, NOW - 30 * H, DAY, ["last good price from 2026-11-25 06:00 UTC, older than 24 hours"]),
        (0, NOW - 30 * H, 48 * H, []),  # the vendor's own max age
    ],
)
def test_listing_problems(
    failures: int, last_ok: datetime | None, limit: timedelta, problems: list[str]
) -> None:
    found = rules.listing_problems(
        consecutive_failures=failures,
        last_status=CheckStatus.TIMEOUT,
        last_error="timed out",
        last_ok_at=last_ok,
        now=NOW,
        limit=limit,
    )
    assert found == problems


@pytest.mark.parametrize(
    ("last_ok", "unavailable", "problems"),
    [
        (NOW - 30 * H, NOW - H, []),  # the page says out of stock: a current reading
        (None, NOW - H, []),
        (NOW - 40 * H, NOW - 30 * H, ["last reading (out of stock) from 2026-11-25 06:00 UTC"]),
        (NOW - H, NOW - 30 * H, []),  # a price read since
    ],
)
def test_an_out_of_stock_reading_is_no_problem_while_current(
    last_ok: datetime | None, unavailable: datetime, problems: list[str]
) -> None:
    found = rules.listing_problems(
        consecutive_failures=0,
        last_status=CheckStatus.NO_PRICE,
        last_error="no price found",
        last_ok_at=last_ok,
        unavailable_at=unavailable,
        now=NOW,
        limit=DAY,
    )
    assert [p[: len(e)] for p, e in zip(found, problems, strict=True)] == problems


def test_a_failing_listing_without_an_error_text_never_says_none() -> None:
    found = rules.listing_problems(
        consecutive_failures=3,
        last_status=CheckStatus.UNREACHABLE,
        last_error=None,
        last_ok_at=NOW - H,
        now=NOW,
        limit=DAY,
    )
    assert found == [
        "failed 3 times in a row (unreachable: the shop could not be reached (refused, DNS or "
        "TLS failure))"
    ]


def test_a_page_gone_leaves_the_box_until_a_reading_comes_back() -> None:
    base = dict(
        listing_id=1,
        product_slug="p",
        product_name="P",
        vendor_slug="v",
        vendor_name="V",
        label="l",
        url="https://v.example/p",
        affiliate_url="https://v.example/p",
        quantity=None,
        unit=None,
        strength_amount=None,
        strength_unit=None,
        position=0,
        price=Decimal("75"),
        currency="USD",
        availability="InStock",
        regular_price=None,
        confirmed=True,
        first_seen_at=NOW - DAY,
        last_seen_at=NOW - H,
        last_status=CheckStatus.NOT_FOUND,
        last_error="HTTP 404",
        consecutive_failures=1,
        vendor_homepage="https://v.example/",
        vendor_affiliate_template=None,
    )
    gone = ListingState(**base, last_checked_at=NOW)  # type: ignore[arg-type]
    assert rules.page_gone(gone) and rules.shown(gone, NOW, DAY).state is RowState.GONE
    back = ListingState(
        **{**base, "last_status": CheckStatus.OK, "last_seen_at": NOW},  # type: ignore[arg-type]
        last_checked_at=NOW,
    )
    assert not rules.page_gone(back) and rules.shown(back, NOW, DAY).state is RowState.PRICED
