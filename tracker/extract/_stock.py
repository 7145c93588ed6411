"""The stock state an area states explicitly (private)."""

from __future__ import annotations

import re
from typing import Any

from tracker.domain import Availability
from tracker.extract._amounts import subtree
from tracker.extract._facts import Facts
from tracker.extract.availability import availability_from_text, normalize_availability
from tracker.extract.heuristic_words import (
    STOCK_LABEL,
    names_stock,
    stock_class,
)
from tracker.extract.page import text_of


def stated_stock(area: Any, facts: Facts) -> Availability:
    """An explicit stock state in the area: itemprop, a stock-named element, a stock class."""
    elements = subtree(area, facts, True).stock
    for element in elements:
        if facts.get(element, "itemprop") == "availability":
            value = facts.get(element, "href") or facts.get(element, "content")
            found = normalize_availability(value) if value else one_state(text_of(element))
            if found is not Availability.UNKNOWN:
                return found
        marks = facts.marks(element)
        by_class = stock_class(marks)
        if by_class is not None and not one_of_options(element) and text_of(element).strip():
            return by_class  # a notice shows words; an empty one waits for a script
        labelled = element.text and STOCK_LABEL.match(element.text)
        if labelled or names_stock(marks):
            found = one_state(text_of(element))
            if found is not Availability.UNKNOWN:
                return found
    return Availability.UNKNOWN


def one_of_options(element: Any) -> bool:
    """One of a list of like siblings (size swatches): its state is a variant's."""
    parent = element.getparent()
    if parent is None:
        return False
    tag = element.tag
    return sum(1 for sibling in parent if sibling.tag == tag) > 1


def one_state(text: str) -> Availability:
    """The stock state of a short text; a text naming several states (a legend) says nothing."""
    text = " ".join(text.split())
    if not text or len(text) > 120:
        return Availability.UNKNOWN
    found = availability_from_text(text)
    if found is Availability.UNKNOWN:
        return found
    rest = text.lower()
    for part in re.split(r"[,;/|•·]|\s{2,}", rest):
        state = availability_from_text(part)
        if state not in (Availability.UNKNOWN, found):
            return Availability.UNKNOWN
    return found
