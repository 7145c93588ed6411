"""The amounts an area shows: price-marked (or short) elements and their figures (private)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from tracker.extract._cards import in_card
from tracker.extract._facts import SKIP_TAGS, Facts, lift, may_state_stock
from tracker.extract._labels import (
    ends_range,
    is_struck,
    range_ends,
    text_after,
    text_before,
    why_not,
)
from tracker.extract.heuristic_words import (
    losing_mark,
    names_price,
)
from tracker.extract.page import Page
from tracker.extract.values import Money, find_money

WITH_DECIMALS = re.compile(r"\d[.,]\d{2}(?!\d)")


FIGURE_CHARS = 40  # the longest text read as one figure


FIGURE_PARTS = re.compile(r"[\d.,'’\s\u00a0-]")


SPACES = re.compile(r"\s+")


DIGIT = re.compile(r"\d")


BARE_NUMBER = re.compile(r"\s*\d[\d'’ .,]*\s*$")


BARE_RANGE = re.compile(r"\s*(?P<low>\d[\d'’ .,]*?)\s*(?:-|–|—|~|to)\s*\d[\d'’ .,]*\s*$")


MAX_AMOUNTS = 4  # more in one element: a table of prices (sizes, quantities), not one


# The far end of a range written without its currency ("US $38.17 - 48.27").
BARE_END = re.compile(r"\s*(?:-|–|—|~|to|bis|à|до)\s*\d")


MAX_CANDIDATE_TEXT = 160


MAX_PLAIN_TEXT = 40


CURRENT = "current"


STRUCK = "struck"


@dataclass(frozen=True, slots=True)
class Shown:
    """One amount the main area shows, and its role there."""

    money: Money
    role: str  # CURRENT, STRUCK, or why it is not the price ("unit", "from", "converted", ...)
    element: Any = field(compare=False, repr=False)

    @property
    def key(self) -> tuple[Decimal, str]:
        return self.money.amount, self.money.currency


@dataclass(frozen=True, slots=True)
class Split:
    """Figures split over elements ("$<b>31</b><sup>57</sup>"): kept as digits, for matching."""

    digits: str
    currencies: tuple[str, ...]
    role: str


def cent_digits(amount: Decimal) -> tuple[str, ...]:
    """How the amount's figures read with separators and symbols taken out ("3157" for 31.57)."""
    whole = f"{amount:.2f}".replace(".", "")
    plain = format(amount.normalize(), "f").replace(".", "")
    return (whole, plain) if plain != whole else (whole,)


@dataclass(frozen=True, slots=True)
class Candidate:
    element: Any
    pieces: list[tuple[str, Any]]  # (text, the element it belongs to)
    marked: bool  # its class, id or itemprop names a price
    joined: bool = False  # read whole from price-marked pieces


def amounts_in(area: Any, page: Page, facts: Facts) -> tuple[list[Shown], list[Split]]:
    """The amounts an element shows, read once per element (the climb asks, then the area)."""
    known = facts.amounts.get(area)
    if known is None:
        known = facts.amounts[area] = read_amounts(area, page, facts)
    return known


def read_amounts(area: Any, page: Page, facts: Facts) -> tuple[list[Shown], list[Split]]:
    candidates = find_candidates(area, facts) or find_candidates(area, facts, marked=False)
    candidates = [c for c in candidates if not in_card(c.element, area, page, facts)]
    ranged = range_ends([c.element for c in candidates])
    shown: list[Shown] = []
    splits: list[Split] = []
    for candidate in candidates:
        found, split = candidate_amounts(candidate, area, page, facts)
        if candidate.element in ranged:
            found = [s if s.role != CURRENT else replace(s, role="range") for s in found]
        shown.extend(found)
        if split is not None:
            splits.append(split)
    return shown, splits


def find_candidates(root: Any, facts: Facts, marked: bool = True) -> list[Candidate]:
    """Price-marked elements with figures of their own (inner candidates' text set apart).

    A marked element whose inner candidates are only pieces of a figure ("1.234", ",", "56":
    themes that mark every part of a price) is read whole instead. marked=False: short elements
    whose text is little more than an amount ("<h2>$75.00</h2>"), for themes that name no price
    element; used only when no element is marked. The root itself is never a candidate.
    """
    return subtree(root, facts, marked).below


@dataclass(frozen=True, slots=True)
class Subtree:
    """What an element's subtree holds, read once per page (the climb reads nested areas)."""

    found: list[Candidate]  # the candidates in it, the element itself included when it is one
    below: list[Candidate]  # the candidates of its children only
    stock: list[Any]  # elements that may state the stock, in page order
    length: int  # its visible text's length, spaces collapsed (about)
    rest: int  # the same without the candidates' subtrees: what a candidate here would read


def subtree(node: Any, facts: Facts, marked: bool) -> Subtree:
    key = (node, marked)
    known = facts.subtrees.get(key)
    if known is not None:
        return known
    below: list[Candidate] = []
    stock: list[Any] = [node] if may_state_stock(node, facts) else []
    length = rest = compact_length(node.text)
    for child in node:
        tail = compact_length(child.tail)
        length += tail
        rest += tail
        if (
            not isinstance(child.tag, str)
            or child.tag in SKIP_TAGS
            or facts.hidden(child)
            or facts.other(child)
        ):
            continue
        inner = subtree(child, facts, marked)
        below.extend(inner.found)
        stock.extend(inner.stock)
        length += inner.length
        rest += 1 if inner.found and inner.found[-1].element is child else inner.rest
    found = below
    accepts = names_price(facts.marks(node)) if marked else node is not facts.title
    limit = MAX_CANDIDATE_TEXT if marked else MAX_PLAIN_TEXT
    if accepts and min(rest, length) <= limit:
        whole = (
            bool(below)
            and length <= FIGURE_CHARS
            and not any(is_complete(c) for c in below)
            and one_figure(node, facts)
        )
        skip = frozenset() if whole else frozenset(c.element for c in below)
        pieces = pieces_of(node, skip, facts)
        text = " ".join("".join(p[0] for p in pieces).split())
        if 0 < len(text) <= limit and DIGIT.search(text):
            found = [*(() if whole else below), Candidate(node, pieces, marked, whole)]
            rest = len(text)
    known = facts.subtrees[key] = Subtree(found, below, stock, length, rest)
    return known


def compact_length(text: str | None) -> int:
    """A text's length with its runs of white space counted as one."""
    if not text:
        return 0
    return len(text) if len(text) < 8 else len(" ".join(text.split())) + 1


def is_complete(candidate: Candidate) -> bool:
    """A figure of its own: already joined, or a number with its decimals or a currency."""
    if candidate.joined:
        return True
    text = "".join(p[0] for p in candidate.pieces).strip()
    return WITH_DECIMALS.search(text) is not None or bool(find_money(text))


def one_figure(node: Any, facts: Facts) -> bool:
    """The element's whole text is one figure and at most a symbol ("R$ 1.234,56" marked in
    pieces, "42<sup>99</sup>"): its inner price-marked parts are read as one."""
    text = "".join(p[0] for p in pieces_of(node, frozenset(), facts))
    if len(text) > FIGURE_CHARS or not any(c.isdigit() for c in text):
        return False
    return len(FIGURE_PARTS.sub("", text)) <= 4


def pieces_of(element: Any, skip: frozenset[Any], facts: Facts) -> list[tuple[str, Any]]:
    pieces: list[tuple[str, Any]] = []

    def walk(node: Any) -> None:
        if node.text:
            pieces.append((SPACES.sub(" ", node.text), node))
        for child in node:
            if (
                isinstance(child.tag, str)
                and child.tag not in SKIP_TAGS
                and not facts.hidden(child)
                and not facts.other(child)
            ):
                if child in skip:
                    pieces.append((" ", node))
                else:
                    walk(child)
            if child.tail:
                pieces.append((SPACES.sub(" ", child.tail), node))

    walk(element)
    return pieces


def candidate_amounts(
    candidate: Candidate, area: Any, page: Page, facts: Facts
) -> tuple[list[Shown], Split | None]:
    """The amounts a candidate shows with their roles (read once per candidate and block)."""
    top = lift(candidate.element, 2, area)
    key = (candidate.element, candidate.joined, top)
    known = facts.readings.get(key)
    if known is None:
        known = facts.readings[key] = read_candidate(candidate, top, page, facts)
    return known


def read_candidate(
    candidate: Candidate, top: Any, page: Page, facts: Facts
) -> tuple[list[Shown], Split | None]:
    element, pieces = candidate.element, candidate.pieces
    texts = [p[0] for p in pieces if p[0].strip()]
    text = "".join(p[0] for p in pieces)
    for left, right in zip(texts, texts[1:], strict=False):
        if left.rstrip()[-1:].isdigit() and right.lstrip()[:1].isdigit():
            return [], split_reading(text, element, top, page, facts)
    starts, position = [], 0
    for piece, _ in pieces:
        starts.append(position)
        position += len(piece)
    money = find_money(text, page.currency_context, page.hints.decimal_separator)
    bare = not money and candidate.marked and BARE_NUMBER.match(text) is not None
    bare_range = not money and candidate.marked and BARE_RANGE.match(text)
    if not money and not bare and not bare_range:
        return [], None
    before_element = text_before(element, top, facts)
    after_element = text_after(element, facts)
    if bare_range:
        low = text[: bare_range.end("low")]
        found = with_neighbour_currency(low, before_element, after_element, page)
        return [Shown(m, "range", element) for m in found], None
    if bare:
        money = with_neighbour_currency(text, before_element, after_element, page)
    if not money:
        return [], None
    if len(money) > MAX_AMOUNTS:
        return [Shown(m, "list", element) for m in money], None  # a table of prices
    owners = [
        next(
            (pieces[i][1] for i in range(len(pieces) - 1, -1, -1) if starts[i] <= item.start),
            element,
        )
        for item in money
    ]
    struck = [is_struck(owner, top, facts) for owner in owners]
    live = [m for m, s in zip(money, struck, strict=True) if not s]
    result = []
    for index, item in enumerate(money):
        previous_end = money[index - 1].end if index else 0
        before = text[max(previous_end, item.start - 40) : item.start]
        if index == 0:
            before = f"{before_element} {before}"
        after = text[item.end : item.end + 30]
        if index == len(money) - 1:
            after = f"{after} {after_element}"
        if struck[index]:
            role: str | None = STRUCK
        elif ends_range(text, live, live.index(item)) or BARE_END.match(after):
            role = "range"  # before the marks: a range under a "unit-price" class is a range
        else:
            role = why_not(owners[index], top, before, after, item, facts)
        result.append(Shown(item, role or CURRENT, owners[index]))
    return result, None


def split_reading(text: str, element: Any, top: Any, page: Page, facts: Facts) -> Split | None:
    """Digits split over elements, with the currency their text names (for matching only)."""
    digits = re.sub(r"\D", "", text)
    if not 2 <= len(digits) <= 9:
        return None
    money = find_money(re.sub(r"(?<=\d)\s+(?=\d)", "", text), page.currency_context)
    currencies = money[0].currencies if money else ()
    role = (
        STRUCK if is_struck(element, top, facts) else (losing_mark(facts.marks(element)) or CURRENT)
    )
    return Split(digits, currencies, role)


def with_neighbour_currency(text: str, before: str, after: str, page: Page) -> list[Money]:
    """A bare amount ("1'234.50") read with the currency written just beside its element
    (<span>CHF</span> <span class="amount">1'234.50</span>); offsets stay those of `text`."""
    hint, separator = page.currency_context, page.hints.decimal_separator
    number = text.strip()
    shift = text.index(number)
    for prefix, suffix in ((before[-6:], ""), ("", after[:6])):
        if not (prefix or suffix).strip():
            continue
        combined = f"{prefix} {number} {suffix}"
        found = find_money(combined, hint, separator)
        if len(found) == 1 and number in found[0].raw:
            return [replace(found[0], start=shift, end=shift + len(number))]
    return []
