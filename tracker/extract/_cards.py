"""Other products' cards that no class names: like siblings that show a price and link
elsewhere (private)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit

from tracker.extract._facts import Facts
from tracker.extract.page import Page, text_of
from tracker.extract.values import find_money

CARD_TAGS = frozenset({"li", "div", "article", "section", "td", "tr"})


CARD_SIZE = 80  # elements: a card is small; the product's own column is not


def in_card(element: Any, area: Any, page: Page, facts: Facts) -> bool:
    """Inside another product's card: one of several like siblings, small, with a link to
    another page of the shop (a "complete the look" or "more from" list no class names)."""
    node = element
    while node is not area:
        parent = node.getparent()
        if parent is None:
            return False
        if node.tag in CARD_TAGS and node not in facts.keep:
            known = facts.card(node)
            if known is None:
                known = facts.set_card(node, is_card(node, parent, page))
            if known:
                return True
        node = parent
    return False


def is_card(node: Any, parent: Any, page: Page) -> bool:
    """One of at least two like siblings that each show a price and link to another page."""
    tag = node.tag
    siblings = [s for s in parent if s.tag == tag]
    if len(siblings) < 2 or not card_like(node, page):
        return False
    return any(s is not node and card_like(s, page) for s in siblings[:30])


def card_like(node: Any, page: Page) -> bool:
    size = 0
    link = False
    for inner in node.iter():
        size += 1
        if size > CARD_SIZE:
            return False
        if inner.tag == "a" and not link:
            link = links_elsewhere(inner.get("href"), page.url)
    if not link:
        return False
    text = text_of(node)
    return len(text) < 1000 and bool(find_money(text, page.currency_context))


def links_elsewhere(href: str | None, url: str) -> bool:
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
        return False
    try:
        target = urlsplit(urljoin(url, href))
        own = urlsplit(url)
    except ValueError:
        return False
    path = target.path.rstrip("/")
    return target.hostname == own.hostname and bool(path) and path != own.path.rstrip("/")
