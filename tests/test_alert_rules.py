"""The alert rules' pure parts: the state machine, the conditions, the settings."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from pydantic import ValidationError

from tracker.alerts import conditions as c
from tracker.alerts.machine import Event, Hold, Phase, RuleState, step
from tracker.alerts.messages import Subject, alert_message, clean
from tracker.alerts.settings import AlertSettings, RuleSettings
from tracker.domain import CheckStatus, ListingState, RunStatus

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
ONE = Hold(1)
TWO = Hold(2)


def run(
    values: list[bool], hold: Hold = ONE, rearm: Hold = TWO, minutes: int = 60
) -> list[tuple[Phase, Event | None]]:
    """Step a rule through conditions, one new check each ``minutes``."""
    state, out = RuleState(), []
    for i, value in enumerate(values):
        at = T0 + timedelta(minutes=minutes * i)
        moved = step(state, value, checked_at=at, now=at, hold=hold, rearm=rearm)
        state = moved.state
        out.append((state.phase, moved.event))
    return out


A, P, F, C = Phase.ARMED, Phase.PENDING, Phase.FIRED, Phase.CLEARING
FIRE, SUP, RE = Event.FIRE, Event.SUPPRESS, Event.REARM


@pytest.mark.parametrize(
    ("values", "hold", "rearm", "expected"),
    [
        # fires once when it becomes true, never again while true
        ([False, True, True, True], ONE, TWO, [(A, None), (F, FIRE), (F, None), (F, None)]),
        # re-arms after two false checks (hysteresis), then fires again
        (
            [True, False, False, True],
            ONE,
            TWO,
            [(F, FIRE), (C, None), (A, RE), (F, FIRE)],
        ),
        # one false check between two true ones is the same episode: no second message
        ([True, False, True, True], ONE, TWO, [(F, FIRE), (C, None), (F, None), (F, None)]),
        # flap suppression: true for one check, false again before it held two checks
        ([True, False, True, True], TWO, TWO, [(P, None), (A, SUP), (P, None), (F, FIRE)]),
        # or M minutes: 90 minutes held fires on the second hourly check (60 min) not yet
        (
            [True, True, True],
            Hold(None, 90),
            TWO,
            [(P, None), (P, None), (F, FIRE)],
        ),
    ],
    ids=["once", "rearm", "same-episode", "flap", "minutes"],
)
def test_the_state_machine(
    values: list[bool], hold: Hold, rearm: Hold, expected: list[tuple[Phase, Event | None]]
) -> None:
    assert run(values, hold, rearm) == expected


def test_an_evaluation_without_a_new_check_does_not_count_as_one() -> None:
    state = RuleState()
    first = step(state, True, checked_at=T0, now=T0, hold=TWO, rearm=TWO)
    again = step(first.state, True, checked_at=T0, now=T0 + timedelta(hours=1), hold=TWO, rearm=TWO)
    assert (again.state.phase, again.event, again.state.streak) == (P, None, 1)
    later = T0 + timedelta(hours=2)
    third = step(again.state, True, checked_at=later, now=later, hold=TWO, rearm=TWO)
    assert third.event is FIRE


def state_of(price: str | None, **extra: object) -> ListingState:
    values: dict[str, object] = dict(
        listing_id=7,
        product_slug="cortexin",
        product_name="Cortexin",
        vendor_slug="cosmic",
        vendor_name="CosmicNootropic",
        label="10 vials x 10 mg",
        url="https://shop.example/cortexin",
        affiliate_url="https://shop.example/cortexin?ref=1",
        quantity=10,
        unit="vial",
        strength_amount=None,
        strength_unit=None,
        position=0,
        price=Decimal(price) if price else None,
        currency="USD" if price else None,
        availability="InStock",
        regular_price=None,
        confirmed=True,
        first_seen_at=T0,
        last_seen_at=T0,
        last_checked_at=T0,
        last_status=CheckStatus.OK,
        last_error=None,
        consecutive_failures=0,
        vendor_homepage="https://shop.example/",
        vendor_affiliate_template=None,
    )
    values.update(extra)
    return ListingState(**values)  # type: ignore[arg-type]


def drops(prices: list[str], rule: RuleSettings) -> list[bool]:
    """price_drop through a series of published prices, the machine included."""
    state, fired = RuleState(), []
    for i, price in enumerate(prices):
        at = T0 + timedelta(hours=i)
        found = c.price_move(
            state_of(price),
            rule,
            state.reference,
            drop=True,
            armed=state.phase is Phase.ARMED,
            command="tracker",
        )
        moved = step(state, found.true, checked_at=at, now=at, hold=ONE, rearm=TWO)
        state = replace(moved.state, reference=found.reference)
        fired.append(moved.event is FIRE)
    return fired


@pytest.mark.parametrize(
    ("prices", "rule", "fired"),
    [
        # 10 % from the price it was armed at; not again while low
        (["75", "60", "60", "59"], RuleSettings(percent=10), [False, True, False, False]),
        # the line follows a rise while armed: 80 -> 71 is a drop of 11 %
        (["75", "80", "71"], RuleSettings(percent=10), [False, False, True]),
        # slow drops add up from the high since arming
        (["75", "71", "67"], RuleSettings(percent=10), [False, False, True]),
        # re-arms when the price has been back above its line for two checks
        (
            ["75", "60", "75", "75", "60"],
            RuleSettings(percent=10),
            [False, True, False, False, True],
        ),
        # below an amount: fires under it, re-arms above it
        (
            ["75", "49", "48", "55", "55", "45"],
            RuleSettings(below=Decimal("50")),
            [False, True, False, False, False, True],
        ),
    ],
    ids=["percent", "follows-rise", "adds-up", "rearm", "below"],
)
def test_price_drop_with_hysteresis(
    prices: list[str], rule: RuleSettings, fired: list[bool]
) -> None:
    assert drops(prices, rule) == fired


def test_a_held_price_is_no_drop_and_says_how_to_decide() -> None:
    held = state_of("30", confirmed=False, held_reason="price moved -60 %")
    assert not c.price_move(
        held, RuleSettings(percent=10), "75 USD", drop=True, armed=True, command="tracker"
    ).true
    found = c.price_held(held, command="tracker")
    assert found.true and "tracker prices --accept 7" in found.todo


def test_stock_changes_need_the_other_side_first() -> None:
    out = state_of("75", availability="OutOfStock")
    assert not c.stock_change(out, None, back=False, command="t").true  # first sight: a baseline
    assert c.stock_change(out, "in", back=False, command="t").true
    assert c.stock_change(state_of("75"), "out", back=True, command="t").true
    assert not c.stock_change(state_of("75"), "in", back=True, command="t").true


def test_page_gone_stale_and_extraction_broken() -> None:
    gone = state_of(
        "75",
        last_status=CheckStatus.NOT_FOUND,
        last_checked_at=T0 + timedelta(hours=1),
        last_error="HTTP 404: the page is gone (confirmed by a second request)",
    )
    found = c.page_gone_condition(gone, command="tracker")
    assert found.true and "404" in found.what and "left the buy box" in found.what
    assert c.listing_stale(
        state_of("75"), T0 + timedelta(hours=25), timedelta(hours=24), command="t"
    ).true
    assert not c.listing_stale(
        state_of("75"), T0 + timedelta(hours=23), timedelta(hours=24), command="t"
    ).true
    abstains = state_of(
        "75", last_status=CheckStatus.NO_PRICE, consecutive_failures=3, last_error="no price"
    )
    assert c.extraction_broken(abstains, RuleSettings(checks=3), command="t").true
    assert not c.extraction_broken(abstains, RuleSettings(checks=4), command="t").true


def test_vendor_broken_by_runs_or_by_listings() -> None:
    failed = [(i, RunStatus.FAILED, "connection refused", T0) for i in (3, 2, 1)]
    facts = c.VendorFacts("cosmic", "Cosmic", failed, listings=4, failing=1)
    assert c.vendor_broken(facts, RuleSettings(checks=3), command="t").true
    assert not c.vendor_broken(facts, RuleSettings(checks=4), command="t").true
    ok = [(1, RunStatus.OK, None, T0)]
    assert c.vendor_broken(c.VendorFacts("v", "V", ok, 2, 2), RuleSettings(), command="t").true
    assert not c.vendor_broken(c.VendorFacts("v", "V", ok, 2, 1), RuleSettings(), command="t").true


def test_settings_merge_site_vendor_and_product_and_check_channels() -> None:
    alerts = AlertSettings(
        channels={"ops": "json://127.0.0.1/x", "deals": "json://127.0.0.1/y"},
        default_channels=["ops"],
        rules={"price_drop": RuleSettings(percent=15, channels=["deals"])},
        vendors={"cosmic": {"price_drop": RuleSettings(below=Decimal("50"))}},
        products={"cortexin": {"price_drop": RuleSettings(percent=5)}},
    )
    rule = alerts.rule("price_drop", "cosmic", "cortexin")
    assert (rule.percent, rule.below, rule.channels) == (5, Decimal("50"), ["deals"])
    assert alerts.rule("price_drop", "other", "other").percent == 15
    assert alerts.channels_of(alerts.rule("page_gone")) == ["ops"]
    with pytest.raises(ValidationError, match="unknown channel"):
        AlertSettings(channels={"ops": "json://x"}, rules={"page_gone": {"channels": ["pager"]}})
    with pytest.raises(ValidationError):
        AlertSettings(rules={"price_dorp": {}})


def test_messages_say_what_where_and_what_to_do_in_plain_text() -> None:
    subject = Subject("listing:7", "Cortexin\x1b[31m", "Cosmic\u202e", "10 x 10 mg", "https://x/")
    message = alert_message("price_drop", subject, "now 60.00 USD", "Do this", T0)
    assert message.title == "Price drop: Cortexin [31m, 10 x 10 mg at Cosmic"
    assert "Page: https://x/" in message.body and "Do: Do this" in message.body
    assert "\x1b" not in message.body + message.title and len(clean("x" * 5000)) == 400
