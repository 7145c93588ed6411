"""The words and marks around an amount that say what it is: struck, a unit, a "from", a
range (private)."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from tracker.extract._facts import SKIP_TAGS, Facts
from tracker.extract.heuristic_words import (
    label_after,
    label_before,
    losing_mark,
    names_struck,
)
from tracker.extract.page import text_of
from tracker.extract.values import Money

STRUCK_TAGS = frozenset({"del", "s", "strike"})


RANGE_WORDS = frozenset({"-", "–", "—", "to", "bis", "à", "a", "до", "~", "…", "..."})


def text_before(element: Any, top: Any | None, facts: Facts) -> str:
    """The words just before an element, up to its price block (`top`): the label that says
    what an amount is ("As low as", "Was", "Starting price"), even a level or two up."""
    parts: list[str] = []
    length = 0
    node = element
    while node is not None and length < 40:
        previous = node.getprevious()
        while previous is not None and length < 40:
            shown = (
                isinstance(previous.tag, str)
                and previous.tag not in SKIP_TAGS
                and not facts.hidden(previous)
            )
            text = (text_of(previous) if shown else "") + (previous.tail or "")
            parts.append(text)
            length += len(text.strip())
            if any(c.isdigit() for c in text):
                break  # a figure before: what precedes it labels that one
            previous = previous.getprevious()
        parent = node.getparent()
        if parent is None or node is top or length >= 40 or (parts and has_digit(parts[-1])):
            break
        parts.append(parent.text or "")
        length += len((parent.text or "").strip())
        node = parent
    text = "".join(reversed(parts))
    # Only what follows the last figure: "Was $90" before "$75" does not make $75 old.
    return " ".join(re.split(r"\d", text)[-1].split())[-40:]


def text_after(element: Any, facts: Facts) -> str:
    """The words just after an element: its tail, and the next sibling's text ("EUR", "/mo")."""
    text = element.tail or ""
    following = element.getnext()
    if (
        len(text.strip()) < 12
        and following is not None
        and isinstance(following.tag, str)
        and following.tag not in SKIP_TAGS
        and not facts.hidden(following)
    ):
        text += text_of(following)[:40] + (following.tail or "")
    return " ".join(text.split())[:40]


def has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)


def is_struck(owner: Any, top: Any, facts: Facts) -> bool:
    node = owner
    while node is not None:
        if node.tag in STRUCK_TAGS or "line-through" in (facts.get(node, "style") or ""):
            return True
        if names_struck(facts.marks(node)):
            return True
        if node is top:
            break
        node = node.getparent()
    return False


def why_not(
    owner: Any, top: Any, before: str, after: str, money: Money, facts: Facts
) -> str | None:
    if money.amount <= Decimal(0):
        return "zero"
    node = owner
    while node is not None:
        loses = losing_mark(facts.marks(node))
        if loses:
            return loses
        if node is top:
            break
        node = node.getparent()
    return label_before(before) or label_after(after)


def ends_range(text: str, money: list[Money], index: int) -> bool:
    """The amount is one end of a range ("$10 – $20"): a range word joins it to a neighbour."""
    for other in (index - 1, index + 1):
        if 0 <= other < len(money):
            left, right = sorted((money[index], money[other]), key=lambda m: m.start)
            if text[left.end : right.start].strip().lower() in RANGE_WORDS:
                return True
    return False


def range_ends(elements: list[Any]) -> set[Any]:
    """Elements at the two ends of a range split over elements ("<b>89 €</b> – <b>189 €</b>")."""
    ends: set[Any] = set()
    for left, right in zip(elements, elements[1:], strict=False):
        between = text_between(left, right)
        if between is not None and between.lower() in RANGE_WORDS:
            ends.update((left, right))
    return ends


def text_between(left: Any, right: Any) -> str | None:
    parts = [left.tail or ""]
    node = left.getnext()
    while node is not None and node is not right:
        if isinstance(node.tag, str):
            parts.append(text_of(node))
        parts.append(node.tail or "")
        node = node.getnext()
    return " ".join("".join(parts).split()) if node is not None else None
