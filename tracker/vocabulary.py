"""The real world the catalog is checked against: ISO 4217 currencies and units.

Each check returns the one spelling the tracker keeps (``"MG"`` and ``"mg"`` are ``"mg"``,
``"vials"`` is ``"vial"``) or raises ValueError naming the likely spelling.
"""

from __future__ import annotations

from babel.numbers import list_currencies

from tracker.spelling import hint

# ISO 4217 codes as CLDR knows them (babel): the codes a page's price is accepted in, too.
CURRENCIES = frozenset(list_currencies())

# Units of the amount per unit of a pack (a listing's `strength`: "10 mg", "5 ml", "400 IU").
AMOUNT_UNITS = (
    "mg", "g", "kg", "mcg", "µg", "ug", "ng",
    "ml", "cl", "dl", "L",
    "IU", "mmol", "mEq", "kcal", "oz", "lb",
)  # fmt: skip
# What one unit of a pack is called (a listing's `unit`: "vial" makes "per vial").
PACK_UNITS = (
    "vial", "ampoule", "ampule", "capsule", "softgel", "tablet", "caplet", "pill", "lozenge",
    "gummy", "sachet", "stick", "packet", "pouch", "bag", "bottle", "jar", "tube", "box",
    "pack", "carton", "blister", "piece", "item", "unit", "pen", "cartridge", "syringe",
    "patch", "strip", "dose", "serving", "spray", "drop", "can", "kit", "bar", "suppository",
    "inhaler", "canister",
)  # fmt: skip


def _plural(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return f"{word}es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return f"{word[:-1]}ies"
    return f"{word}s"


_AMOUNTS = {unit.casefold(): unit for unit in AMOUNT_UNITS}
_PACKS = {form: unit for unit in PACK_UNITS for form in (unit, _plural(unit))}


def currency_code(value: str) -> str:
    """An ISO 4217 code, as written; ``GPB`` is an error naming ``GBP``."""
    if value not in CURRENCIES:
        raise ValueError(f"{value!r} is not an ISO 4217 currency code{hint(value, CURRENCIES)}")
    return value


def amount_unit(value: str) -> str:
    """The kept spelling of a unit of amount (``MG`` is ``mg``); ``mgs`` is an error."""
    found = _AMOUNTS.get(value.casefold())
    if found is None:
        raise ValueError(f"unknown unit {value!r}{hint(value, AMOUNT_UNITS)}")
    return found


def pack_unit(value: str) -> str:
    """The kept (singular) name of what a pack holds (``Vials`` is ``vial``)."""
    found = _PACKS.get(value.casefold())
    if found is None:
        raise ValueError(f"unknown pack unit {value!r}{hint(value, list(_PACKS))}")
    return found
