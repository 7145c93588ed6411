"""Build extraction hints from a vendor's catalog settings (``Vendor.settings["extraction"]``)."""

from __future__ import annotations

from typing import Any

from tracker.domain import ExtractHints, PageSelectors

_SELECTOR_FIELDS = ("price", "currency", "availability", "regular_price")
_VARIANT_FIELDS = ("rows", "name", "sku", "price", "availability")


def hints_from_settings(currency: str | None, extraction: Any) -> ExtractHints:
    """Hints for one vendor; unknown or malformed settings are ignored (the catalog checks them)."""
    if not isinstance(extraction, dict):
        return ExtractHints(currency=currency)
    separator = extraction.get("decimal_separator")
    return ExtractHints(
        currency=currency,
        decimal_separator=separator if separator in (",", ".") else None,
        selectors=_selectors(extraction.get("selectors")),
        heuristic=extraction.get("heuristic", True) is not False,
    )


def _selectors(data: Any) -> PageSelectors | None:
    if not isinstance(data, dict):
        return None
    values: dict[str, str | None] = {k: _str(data.get(k)) for k in _SELECTOR_FIELDS}
    variants = data.get("variants")
    if isinstance(variants, dict):
        for key in _VARIANT_FIELDS:
            values[f"variant_{key}"] = _str(variants.get(key))
    if not any(values.values()):
        return None
    return PageSelectors(**values)


def _str(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
