"""What the visible-page reading knows of each element, read once per page (private)."""

from __future__ import annotations

import re
from typing import Any

from tracker.extract.heuristic_words import (
    STOCK_LABEL,
    names_price,
    names_stock,
    stock_class,
)
from tracker.extract.page import hidden_by_markup
from tracker.extract.scope import other_area_kind

SKIP_TAGS = frozenset(
    {"script", "style", "noscript", "template", "svg", "select", "option", "textarea", "iframe"}
)


# Attributes that name an element's role besides class and id ("data-testid": "price").
ROLE_ATTRIBUTES = (
    "itemprop",
    "property",
    "data-price-type",
    "data-testid",
    "data-test",
    "data-qa",
    "data-aut-id",
    "data-automation-id",
)


MARK_NAMES = frozenset(("class", "id", *ROLE_ATTRIBUTES))


CAROUSEL = re.compile(r"slider|carousel|swiper|splide|glide|slick|owl|flickity")


class Facts:
    """What is read of each element, once per page (an lxml attribute read costs ~1 µs)."""

    __slots__ = (
        "_cards",
        "_hidden",
        "_inside",
        "_marks",
        "_other",
        "amounts",
        "carts",
        "readings",
        "subtrees",
        "keep",
        "keep_chrome",
        "title",
    )

    def __init__(self) -> None:
        self._marks: dict[Any, str] = {}
        self._hidden: dict[Any, bool] = {}
        self._other: dict[Any, bool] = {}
        self._inside: dict[Any, bool] = {}
        self._cards: dict[Any, bool] = {}
        # Memos filled by _amounts.py: an element's amounts, subtree and candidate readings.
        self.amounts: dict[Any, Any] = {}
        self.carts: dict[Any, list[Any]] = {}  # the cart controls under an element
        self.subtrees: dict[tuple[Any, bool], Any] = {}
        self.readings: dict[tuple[Any, bool, Any], Any] = {}
        self.keep: frozenset[Any] = frozenset()  # the title and its ancestors: never "other"
        self.keep_chrome: frozenset[Any] = frozenset()  # the cart's: not chrome, at least
        self.title: Any | None = None

    def keep_around(self, title: Any | None, cart: Any | None) -> None:
        """Never count the title's ancestors as other areas, nor the cart's as site chrome."""
        self.title = title
        if title is not None:
            self.keep = frozenset((title, *title.iterancestors()))
        if cart is not None:
            self.keep_chrome = frozenset((cart, *cart.iterancestors()))
        self._other.clear()
        self._inside.clear()
        self.amounts.clear()
        self.subtrees.clear()
        self.readings.clear()

    def marks(self, element: Any) -> str:
        """Class, id, itemprop and test ids, lower-cased, in one string."""
        marks = self._marks.get(element)
        if marks is None:
            marks = self._marks[element] = " ".join(
                [value for name, value in element.items() if name in MARK_NAMES]
            ).lower()
        return marks

    def hidden(self, element: Any) -> bool:
        """Hidden by its own markup (`hidden`, an inline display:none)."""
        hidden = self._hidden.get(element)
        if hidden is None:
            hidden = self._hidden[element] = hidden_by_markup(element)
        return hidden

    @staticmethod
    def get(element: Any, attribute: str) -> str | None:
        value: str | None = element.get(attribute)
        return value

    def other(self, element: Any) -> bool:
        """Another product's area or site chrome, unless it holds the page's own anchors."""
        other = self._other.get(element)
        if other is None:
            other = self._other[element] = self._is_other(element)
        return other

    def _is_other(self, element: Any) -> bool:
        if element in self.keep:
            return False
        kind = other_area_kind(element)
        if kind is None:
            return False
        if kind == "chrome":
            return element not in self.keep_chrome
        # A price styled by its carousel ("slider-price") is a price, not a carousel.
        marks = self.marks(element)
        return not (names_price(marks) and CAROUSEL.search(marks))

    def card(self, element: Any) -> bool | None:
        return self._cards.get(element)

    def set_card(self, element: Any, answer: bool) -> bool:
        self._cards[element] = answer
        return answer

    def inside_other(self, element: Any) -> bool:
        path = []
        node = element
        answer = False
        while node is not None:
            known = self._inside.get(node)
            if known is not None:
                answer = known
                break
            path.append(node)
            if self.other(node):
                answer = True
                break
            node = node.getparent()
        for visited in path:
            self._inside[visited] = answer
        return answer


def lift(element: Any, levels: int, area: Any) -> Any:
    node = element
    for _ in range(levels):
        if node is area or node.getparent() is None:
            break
        node = node.getparent()
    return node


def may_state_stock(element: Any, facts: Facts) -> bool:
    """An element that may state the stock: itemprop, a stock class or name, a label."""
    if facts.get(element, "itemprop") == "availability":
        return True
    marks = facts.marks(element)
    if stock_class(marks) is not None or names_stock(marks):
        return True
    text = element.text
    return bool(text) and ":" in text and STOCK_LABEL.match(text) is not None
