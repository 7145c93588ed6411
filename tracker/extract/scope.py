"""Which of several products on a page is the page's own (related products never count)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import TypeVar
from urllib.parse import urljoin, urlsplit

from tracker.extract.page import Page

T = TypeVar("T")

# Class or id words of page areas that show other products (never the page's own product).
_PRODUCT_AREA_WORD = re.compile(
    r"(?:^|[-_\s])(related|upsells?|up-sells?|cross-?sells?|crosssells?|recommend\w*|"
    r"also-?bought|also-?viewed|also-?like|you-may|may-also|recently(?:-?viewed)?|similar|"
    r"carousel|slider|swiper|accessories|bundle|complementary|trending|bestsellers?|"
    r"frequently|bought-together|fbt|quick-?view|"
    r"product-card|card-product|product-item(?!-detail)|grid-product|product-tile|product-miniature|"
    r"item-product|products-grid|product-grid|product-list|productlist|product-thumb|"
    r"product-layout|wishlist|splide|glide|tier-?prices?|prices-tier|price-?tiers?|"
    r"block-?prices|staffelpreise?|quantity-?discounts?|volume-?discounts?|"
    r"flickity|owl-carousel|slick-slider|slick-track)(?:$|[-_\s])",
    re.IGNORECASE,
)
# Words of the site's chrome: a theme may also put them on the product's own column.
_CHROME_WORD = re.compile(
    r"(?:^|[-_\s])(breadcrumbs?|mini-?cart|cart-?drawer|newsletter|masthead|site-header|"
    r"site-footer|page-footer|announcement|megamenu|mega-menu)(?:$|[-_\s])",
    re.IGNORECASE,
)
_OTHER_TOKEN = re.compile(
    r"(?:^|\s)(?:footer|header|nav|navbar|navigation|menu|sidebar)(?:$|\s)", re.IGNORECASE
)
_OTHER_TAGS = frozenset({"nav", "aside"})
_CHROME_TAGS = frozenset({"header", "footer"})
_CONTENT_TAGS = frozenset({"main", "article", "form"})


def fold(text: str | None) -> str:
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    return " ".join(re.findall(r"\w+", folded))


def is_other_area(element: object) -> bool:
    """True for an element that holds related products, navigation or site chrome."""
    return other_area_kind(element) is not None


def other_area_kind(element: object) -> str | None:
    """ "products" for an area of other products, "chrome" for navigation and the site's frame."""
    tag = getattr(element, "tag", None)
    if not isinstance(tag, str):
        return None
    tag = tag.lower()
    if tag in _OTHER_TAGS:
        return "chrome"
    if tag in _CHROME_TAGS and not _inside_content(element):
        return "chrome"
    get = element.get  # type: ignore[attr-defined]
    classes, ident = get("class"), get("id")
    if not classes and not ident:
        return None
    return _area_kind(f"{classes or ''} {ident or ''}")


@lru_cache(maxsize=8192)
def _area_kind(marks: str) -> str | None:
    # Cached: a page repeats the same class strings, and the patterns cost microseconds.
    if _PRODUCT_AREA_WORD.search(marks) is not None:
        return "products"
    if _CHROME_WORD.search(marks) is not None or _OTHER_TOKEN.search(marks) is not None:
        return "chrome"
    return None


def _inside_content(element: object) -> bool:
    node = element.getparent()  # type: ignore[attr-defined]
    while node is not None:
        if isinstance(node.tag, str) and node.tag.lower() in _CONTENT_TAGS:
            return True
        node = node.getparent()
    return False


def in_other_area(element: object, memo: dict[object, bool] | None = None) -> bool:
    """True when the element or an ancestor is another product's or the site's chrome.

    memo: answers already known for elements of the same page (saves climbing again).
    """
    memo = {} if memo is None else memo
    path = []
    node = element
    answer = False
    while node is not None:
        known = memo.get(node)
        if known is not None:
            answer = known
            break
        path.append(node)
        if is_other_area(node):
            answer = True
            break
        node = node.getparent()  # type: ignore[attr-defined]
    for visited in path:
        memo[visited] = answer
    return answer


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
    named = [
        key
        for key in groups
        if key and any(f" {key} " in f" {h} " for h in (*headings, title) if h)
    ]
    if len(named) == 1:
        return groups[named[0]]
    return None
