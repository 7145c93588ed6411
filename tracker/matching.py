"""Pick a listing's offer among the offers of its page: by SKU, variant text or position."""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from decimal import Decimal

from tracker.domain import CheckStatus, MatchResult, Offer, VariantSpec

# Units and the base unit each counts in: "1 g" is "1000 mg", "500 mcg" is "0.5 mg".
_UNITS: dict[str, tuple[str, Decimal]] = {
    "mcg": ("mg", Decimal("0.001")),
    "μg": ("mg", Decimal("0.001")),
    "ug": ("mg", Decimal("0.001")),
    "мкг": ("mg", Decimal("0.001")),
    "mg": ("mg", Decimal(1)),
    "мг": ("mg", Decimal(1)),
    "g": ("mg", Decimal(1000)),
    "gr": ("mg", Decimal(1000)),
    "г": ("mg", Decimal(1000)),
    "kg": ("mg", Decimal(1000000)),
    "кг": ("mg", Decimal(1000000)),
    "ml": ("ml", Decimal(1)),
    "мл": ("ml", Decimal(1)),
    "l": ("ml", Decimal(1000)),
    "л": ("ml", Decimal(1000)),
    "iu": ("iu", Decimal(1)),
    "ме": ("iu", Decimal(1)),
    "oz": ("oz", Decimal(1)),
    "lb": ("lb", Decimal(1)),
    "%": ("%", Decimal(1)),
}
_UNIT_ALT = "|".join(sorted(map(re.escape, _UNITS), key=len, reverse=True))
_TOKEN = re.compile(
    rf"(?<![\w.,])(\d+(?:[.,]\d+)?)(?!\d)(?:\s*({_UNIT_ALT})(?![^\W\d_]))?", re.IGNORECASE
)
_TIMES = re.compile(r"(?<=\d)\s*[x×*]\s*|(?<![^\W\d_])[x×*]\s*(?=\d)")


def variant_tokens(text: str) -> Counter[str]:
    """Numbers with their units, order-free: '10 vials x 10 mg' == '10mg x 10 vials'."""
    folded = unicodedata.normalize("NFKC", text).casefold().replace("-", " ").replace("_", " ")
    folded = _TIMES.sub(" x ", folded)
    tokens: Counter[str] = Counter()
    for number, unit in _TOKEN.findall(folded):
        value = Decimal(number.replace(",", "."))
        base = ""
        if unit:
            base, factor = _UNITS[unit.lower()]
            value *= factor
        tokens[f"{format(value.normalize(), 'f')}{base}"] += 1
    return tokens


def _normalized_words(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(re.findall(r"\w+", folded))


def _describe(offer: Offer) -> str:
    return offer.variant or offer.name or offer.sku or "?"


def _offer_texts(offer: Offer) -> set[str]:
    texts = {part for part in (offer.variant, offer.name) if part}
    if offer.name and offer.variant and offer.variant not in offer.name:
        texts.add(f"{offer.name} {offer.variant}")
    return texts


def match_offer(offers: tuple[Offer, ...], spec: VariantSpec) -> MatchResult:
    """Return the one offer the spec names; fail closed when none or several fit."""
    priced = tuple(o for o in offers if o.price is not None)
    if not priced:
        return MatchResult(CheckStatus.NO_PRICE, error="the page states no price")
    if spec.is_empty:
        if len(priced) == 1:
            return MatchResult(CheckStatus.OK, priced[0])
        return MatchResult(
            CheckStatus.AMBIGUOUS,
            error=f"{len(priced)} offers on the page and the listing names no variant: "
            + ", ".join(_describe(o) for o in priced),
        )
    if spec.sku is not None:
        wanted = spec.sku.strip().casefold()
        found = [o for o in priced if o.sku and o.sku.strip().casefold() == wanted]
    elif spec.text is not None:
        found = _by_text(priced, spec.text)
    else:
        position = spec.position or 0
        found = [priced[position - 1]] if 0 < position <= len(priced) else []
    if len(found) == 1:
        return MatchResult(CheckStatus.OK, found[0])
    candidates = ", ".join(_describe(o) for o in priced)
    if not found:
        return MatchResult(
            CheckStatus.UNMATCHED_VARIANT,
            error=f"no offer matches {_spec_text(spec)}; candidates: {candidates}",
        )
    return MatchResult(
        CheckStatus.AMBIGUOUS,
        error=f"{len(found)} offers match {_spec_text(spec)}; candidates: {candidates}",
    )


def _by_text(offers: tuple[Offer, ...], text: str) -> list[Offer]:
    words = _normalized_words(text)
    exact = [o for o in offers if any(_normalized_words(t) == words for t in _offer_texts(o))]
    if exact:
        return exact
    wanted = variant_tokens(text)
    if not wanted:
        return []
    return [o for o in offers if any(variant_tokens(t) == wanted for t in _offer_texts(o))]


def _spec_text(spec: VariantSpec) -> str:
    if spec.sku is not None:
        return f"SKU {spec.sku!r}"
    if spec.text is not None:
        return f"variant {spec.text!r}"
    return f"position {spec.position}"
