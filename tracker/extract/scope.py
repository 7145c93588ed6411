"""Which of several products on a page is the page's own (related products never count)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from typing import TypeVar
from urllib.parse import urljoin, urlsplit

from tracker.extract.page import Page

T = TypeVar("T")

# Class or id words of page areas that show other products or site chrome.
_OTHER_WORD = re.compile(
    r"(?:^|[-_\s])(related|upsells?|up-sells?|cross-?sells?|crosssells?|recommend\w*|"
    r"also-?bought|also-?viewed|also-?like|you-may|may-also|recently(?:-?viewed)?|similar|"
    r"carousel|slider|swiper|accessories|bundle|complementary|trending|bestsellers?|"
    r"breadcrumbs?|mini-?cart|cart-?drawer|newsletter|masthead|site-header|site-footer|"
    r"page-footer|announcement|megamenu|mega-menu)(?:$|[-_\s])",
    re.IGNORECASE,
)
_OTHER_TOKEN = frozenset({"footer", "header", "nav", "navbar", "navigation", "menu", "sidebar"})
_OTHER_TAGS = frozenset({"nav", "aside"})
_CHROME_TAGS = frozenset({"header", "footer"})
_CONTENT_TAGS = frozenset({"main", "article", "form"})


def fold(text: str | None) -> str:
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(re.findall(r"\w+", folded))


def is_other_area(element: object) -> bool:
    """True for an element that holds related products, navigation or site chrome."""
    tag = getattr(element, "tag", None)
    if not isinstance(tag, str):
        return False
    tag = tag.lower()
    if tag in _OTHER_TAGS:
        return True
    if tag in _CHROME_TAGS and not _inside_content(element):
        return True
    get = element.get  # type: ignore[attr-defined]
    marks = f"{get('class') or ''} {get('id') or ''}".strip()
    if not marks:
        return False
    if _OTHER_WORD.search(marks):
        return True
    return any(token.lower() in _OTHER_TOKEN for token in marks.split())


def _inside_content(element: object) -> bool:
    node = element.getparent()  # type: ignore[attr-defined]
    while node is not None:
        if isinstance(node.tag, str) and node.tag.lower() in _CONTENT_TAGS:
            return True
        node = node.getparent()
    return False


def in_other_area(element: object, stop: object = None) -> bool:
    node = element
    while node is not None and node is not stop:
        if is_other_area(node):
            return True
        node = node.getparent()  # type: ignore[attr-defined]
    return False


def _path(url: str | None, base: str) -> str:
    if not url:
        return ""
    try:
        parts = urlsplit(urljoin(base, url))
    except ValueError:
        return ""
    return f"{parts.hostname or ''}{parts.path.rstrip('/')}"


def pick_main(
    items: Sequence[T],
    name_of: Callable[[T], str | None],
    url_of: Callable[[T], str | None],
    page: Page,
) -> list[T] | None:
    """The items of the page's main product; None when several products stay in the running.

    Items with the same name are one product (variants, or the same product told twice).
    """
    groups: dict[str, list[T]] = {}
    for item in items:
        groups.setdefault(fold(name_of(item)) or _path(url_of(item), page.url), []).append(item)
    if len(groups) <= 1:
        return list(items)
    own = {_path(page.url, page.url), _path(page.canonical, page.url)} - {""}
    by_url = [
        key
        for key, group in groups.items()
        if any(_path(url_of(item), page.url) in own for item in group)
    ]
    if len(by_url) == 1:
        return groups[by_url[0]]
    headings = [fold(t) for t in (page.h1, *page.meta.get("og:title", [])[:1]) if t]
    exact = [key for key in groups if key and key in headings]
    if len(exact) == 1:
        return groups[exact[0]]
    title = fold(page.title)
    named = [key for key in groups if key and any(key in h for h in (*headings, title) if h)]
    if len(named) == 1:
        return groups[named[0]]
    return None
