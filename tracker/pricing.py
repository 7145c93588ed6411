"""Pure price arithmetic: span values, unit prices and the order of offers (rules: rules.py)."""

from __future__ import annotations

from dataclasses import dataclass
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


def unit_price_places(amount: Decimal, minor_digits: int) -> int:
    """Decimal places a unit price is shown with: what the amount needs, no false precision.

    Below one unit of currency, two significant digits (0.75, 0.012, 0.9998 -> 1.00) and at
    least the currency's minor unit; from one up, the minor unit while that keeps at most
    four significant digits (12.35), else whole units (123, 1235).
    """
    if amount == 0:
        return minor_digits
    magnitude = abs(amount).adjusted()  # 0.75 -> -1, 12.3 -> 1
    if magnitude < 0:
        return max(minor_digits, 1 - magnitude)
    return minor_digits if magnitude + 1 + minor_digits <= 4 else 0


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
