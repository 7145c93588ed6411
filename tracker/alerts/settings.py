"""The `[alerts]` section of tracker.toml: channels, rules, routing, caps and digests."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tracker.schedules import parse_duration

RuleName = Literal[
    "price_drop",
    "price_rise",
    "back_in_stock",
    "out_of_stock",
    "listing_stale",
    "vendor_broken",
    "extraction_broken",
    "price_held",
    "page_gone",
    "link_broken",
    "feed_held",
    "source_refused",
]
RULE_NAMES: tuple[str, ...] = get_args(RuleName)
# About a vendor; the others are about one listing.
VENDOR_RULES = frozenset({"vendor_broken", "feed_held", "source_refused"})


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleSettings(_Section):
    """One rule's options; a vendor's or product's table overrides only the keys it names."""

    enabled: bool = True
    channels: list[str] | None = None  # None: the [alerts] default channels
    percent: float | None = Field(None, gt=0, lt=1000)  # price_drop, price_rise
    below: Decimal | None = Field(None, gt=0)  # price_drop: a price under this amount
    above: Decimal | None = Field(None, gt=0)  # price_rise: a price over this amount
    checks: int | None = Field(None, ge=1)  # extraction_broken: checks; vendor_broken: runs
    hold_checks: int | None = Field(None, ge=1)  # flap suppression: true for N checks...
    hold_minutes: float | None = Field(None, ge=0)  # ...or for M minutes before it fires
    rearm_checks: int | None = Field(None, ge=1)  # hysteresis: false for N checks...
    rearm_minutes: float | None = Field(None, ge=0)  # ...or M minutes before it fires again


# What a rule does when the file says nothing about it.
DEFAULT_RULES: dict[str, RuleSettings] = {
    "price_drop": RuleSettings(percent=10),
    "price_rise": RuleSettings(percent=25),
    "extraction_broken": RuleSettings(checks=3),
    "vendor_broken": RuleSettings(checks=3),
}

Overrides = dict[RuleName, RuleSettings]


class AlertSettings(_Section):
    """Where alerts go and when they are sent."""

    channels: dict[str, str] = {}  # name -> Apprise URL
    default_channels: list[str] | None = None  # None: every channel
    daily_cap: int = Field(20, ge=1)  # messages per channel per UTC day, then a digest
    digest: Literal["off", "run", "day"] = "off"
    hold_checks: int | None = Field(None, ge=1)  # unset: 1 check (unless minutes are set)
    hold_minutes: float | None = Field(None, ge=0)
    rearm_checks: int | None = Field(None, ge=1)  # unset: 2 checks (unless minutes are set)
    rearm_minutes: float | None = Field(None, ge=0)
    retry_first: str = "1m"  # the first retry of a message a channel refused
    retry_max: str = "6h"  # retries back off up to this
    every: str = "5m"  # the scheduler evaluates time-based rules and retries this often
    command: str = "tracker"  # how messages name the command that shows more
    rules: Overrides = {}
    vendors: dict[str, Overrides] = {}
    products: dict[str, Overrides] = {}

    @model_validator(mode="after")
    def _check(self) -> AlertSettings:
        for value in (self.retry_first, self.retry_max, self.every):
            parse_duration(value)
        known = set(self.channels)
        named = list(self.default_channels or [])
        tables = [self.rules, *self.vendors.values(), *self.products.values()]
        for table in tables:
            for rule in table.values():
                named.extend(rule.channels or [])
        unknown = sorted(set(named) - known)
        if unknown:
            raise ValueError(
                f"unknown channel(s) {', '.join(unknown)}: define them under [alerts.channels]"
            )
        return self

    @property
    def enabled(self) -> bool:
        return bool(self.channels)

    def rule(
        self, name: str, vendor: str | None = None, product: str | None = None
    ) -> RuleSettings:
        """The rule's options for a listing (or a vendor): defaults, the site's, the vendor's,
        then the product's table, each overriding only the keys it names."""
        values = DEFAULT_RULES.get(name, RuleSettings()).model_dump(exclude_unset=True)
        layers = [
            self.rules,
            self.vendors.get(vendor or "", {}),
            self.products.get(product or "", {}),
        ]
        for layer in layers:
            found = layer.get(name)  # type: ignore[call-overload]
            if found is not None:
                values.update(found.model_dump(exclude_unset=True))
        return RuleSettings(**values)

    def channels_of(self, rule: RuleSettings) -> list[str]:
        if rule.channels is not None:
            return rule.channels
        return self.default_channels if self.default_channels is not None else list(self.channels)

    @property
    def retry_first_seconds(self) -> float:
        return parse_duration(self.retry_first)

    @property
    def retry_max_seconds(self) -> float:
        return parse_duration(self.retry_max)

    @property
    def every_seconds(self) -> float:
        return parse_duration(self.every)
