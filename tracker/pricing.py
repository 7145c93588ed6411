"""Pure price decisions: the sanity guard, freshness, unit prices and the best offer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from tracker.domain import Availability, Offer, UnitPrice

SPAN_FIELDS = ("price", "currency", "availability", "regular_price")


@dataclass(frozen=True, slots=True)
class SpanValues:
    """The values that decide whether an observation extends a span or opens a new one."""

    price: Decimal
    currency: str
    availability: str
    regular_price: Decimal | None

    @classmethod
    def of_offer(cls, offer: Offer) -> SpanValues:
        if offer.price is None or offer.currency is None:
            raise ValueError("an offer without price or currency has no span values")
        return cls(
            price=offer.price,
            currency=offer.currency,
            availability=str(offer.availability),
            regular_price=offer.regular_price,
        )

    def same_as(self, other: SpanValues) -> bool:
        return (
            self.price == other.price
            and self.currency == other.currency
            and self.availability == other.availability
            and self.regular_price == other.regular_price
        )


def is_suspect(
    confirmed_price: Decimal | None,
    confirmed_currency: str | None,
    price: Decimal,
    currency: str,
    max_share: float,
) -> bool:
    """Return True when a new price moves too far from the last confirmed one to trust at once."""
    if confirmed_price is None or confirmed_currency is None:
        return False
    if currency != confirmed_currency:
        return True
    if confirmed_price <= 0:
        return True
    change = abs(price - confirmed_price) / confirmed_price
    return change > Decimal(str(max_share))


def suspect_reason(confirmed: tuple[Decimal, str] | None, price: Decimal, currency: str) -> str:
    """Why a price is held back, for the operator: the move or the currency change."""
    held = "; shown after it is seen again"
    if confirmed is None:
        return f"price {price} {currency} held back{held}"
    old_price, old_currency = confirmed
    if currency != old_currency:
        return f"currency changed from {old_currency} to {currency} ({price} {currency}){held}"
    if old_price <= 0:
        return f"price moved from {old_price} to {price} {currency}{held}"
    change = (price - old_price) / old_price * 100
    return (
        f"price moved {change:+.0f} % from the confirmed {old_price:.2f} to "
        f"{price:.2f} {currency}{held}"
    )


def is_fresh(last_seen_at: datetime | None, now: datetime, max_age: timedelta) -> bool:
    """A price is current only if its last successful check is within the max age."""
    return last_seen_at is not None and now - last_seen_at <= max_age


def unit_prices(
    price: Decimal,
    currency: str,
    quantity: int | None,
    unit: str | None,
    strength_amount: Decimal | None,
    strength_unit: str | None,
) -> tuple[UnitPrice, ...]:
    """Price per unit (per vial) and per amount (per mg), where the pack says so."""
    out: list[UnitPrice] = []
    if quantity and quantity > 1 and unit:
        out.append(UnitPrice(amount=price / quantity, currency=currency, per=unit))
    if quantity and strength_amount and strength_unit:
        total = strength_amount * quantity
        out.append(UnitPrice(amount=price / total, currency=currency, per=strength_unit))
    return tuple(out)


def comparable_price(price: Decimal, units: tuple[UnitPrice, ...]) -> Decimal:
    """The number the best offer is chosen by: the finest unit price, else the price."""
    return units[-1].amount if units else price


def orders_first(availability: str) -> int:
    """Sort key: buyable first, out of stock and discontinued last."""
    if availability in (Availability.OUT_OF_STOCK, Availability.DISCONTINUED):
        return 2
    if availability == Availability.UNKNOWN:
        return 1
    return 0
