"""schema.org products in microdata (read here) and RDFa (extruct), as JSON-LD-shaped nodes.

The microdata reader follows the HTML microdata model over the page's lxml tree. One XPath finds
the items (`itemscope`); one more per outermost item finds the properties inside it, and each
property belongs to its nearest enclosing item, found by climbing parents with a memo. So the
page is scanned about once however many items it has (extruct's reader re-scans per item and
deep-copies each property's subtree to take its text: it cost about as much as the parse).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin

from lxml import etree

from tracker.domain import Offer
from tracker.extract.jsonld import BOUND_MARK, main_offers
from tracker.extract.page import Page
from tracker.extract.scope import in_other_area

_PRODUCT_TYPES = {"product", "productgroup", "individualproduct", "productmodel", "vehicle"}
_MAX_DEPTH = 8
_MAX_REFS = 64  # itemref lookups per page; real pages use a handful

# Attribute steps without predicates: libxml2 runs them about four times faster than
# //*[@itemscope], and they give the element through getparent().
_ITEMSCOPES = etree.XPath("//*/@itemscope")
_ITEMPROPS_INSIDE = etree.XPath("descendant::*/@itemprop")
_ITEMPROPS_FROM = etree.XPath("descendant-or-self::*/@itemprop")
_IDS = etree.XPath("//*/@id")
_TEXT = etree.XPath(
    "descendant-or-self::*[not(self::script or self::style)]/text()", smart_strings=False
)
# The HTML microdata value rules: the attribute that holds an element's value.
_URL_ATTRIBUTE = {
    "a": "href",
    "area": "href",
    "link": "href",
    "audio": "src",
    "embed": "src",
    "iframe": "src",
    "img": "src",
    "source": "src",
    "track": "src",
    "video": "src",
    "object": "data",
}
_PLAIN_ATTRIBUTE = {"meta": "content", "time": "datetime", "data": "value", "meter": "value"}
_HTML_SPACE = " \t\n\r\f"
# An offer's visible text that opens with a "from" label states the cheapest variant's price.
# An offer's visible text that opens with a quantity: a row of a quantity price table ("ab 3").
_QUANTITY_TIER = re.compile(
    r"\W*((bis|ab|up to|from|to|à partir de|dès|desde|hasta|da|fino a|от|до|od|do|vanaf|tot|"
    r"fra|från|qty|anzahl|menge)\s*\d+\b(?![.,]\d)|\d+\s*\+)",
    re.IGNORECASE,
)
_LOWER_BOUND = re.compile(
    r"\W*(as low as|from|starting (at|from)|starts at|ab|à partir de|a partir de|desde|"
    r"a partire da|от|vanaf|od|fra|från|alkaen)\b\W{0,3}[^\d\W]{0,4}\W{0,3}\d",
    re.IGNORECASE,
)
_UNKNOWN = object()

Element = Any  # an lxml element


def _short_type(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(v).rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1] for v in values if v]


def _is_product(node: dict[str, Any]) -> bool:
    return any(t.casefold() in _PRODUCT_TYPES for t in _short_type(node.get("@type")))


def read_items(
    root: Element, base_url: str, skip: Callable[[Element], bool] | None = None
) -> list[dict[str, Any]]:
    """The page's top-level microdata items as JSON-LD-shaped nodes, in document order.

    A node has `@type` (short type names) and one key per property name, holding one value or a
    list; a nested item is a nested node; a nested item without properties has its text as
    `@value`. skip: top-level item elements to leave out, with the items inside them.
    """
    return _Reader(root, base_url).top_level(skip)


class _Reader:
    """Items and their properties over one tree; each item is read at most once."""

    def __init__(self, root: Element, base_url: str) -> None:
        self.root = root
        self.base_url = base_url
        # Item elements in document order (a dict as an ordered set), each with its enclosing item.
        self.scopes: dict[Element, Element | None] = dict.fromkeys(
            a.getparent() for a in _ITEMSCOPES(root)
        )
        self.owner_memo: dict[Element, Element | None] = {}
        self.properties: dict[Element | None, list[Element]] = {}
        for scope in self.scopes:
            owner = self.scopes[scope] = self._owner(scope)
            if owner is None:
                self._collect(scope)  # every property of the items inside it is in its subtree
        self.seen: set[Element] = set()
        self.ids: dict[str, Element] | None = None
        self.refs_left = _MAX_REFS
        self.lower_bounds = 0  # offers shown as "As low as …" / "From …"

    def _collect(self, outermost: Element) -> None:
        for attribute in _ITEMPROPS_INSIDE(outermost):
            element = attribute.getparent()
            owner = self._owner(element)
            self.properties.setdefault(owner, []).append(element)
            if element not in self.scopes:
                self.owner_memo[element] = owner  # its descendants stop climbing here

    def top_level(self, skip: Callable[[Element], bool] | None) -> list[dict[str, Any]]:
        items = []
        skipped: set[Element] = set()
        for element, owner in self.scopes.items():
            if element in self.seen:
                continue
            if owner in skipped or (skip is not None and skip(element)):
                skipped.add(element)
                continue
            item = self._item(element, 0, nested=False)
            if item is not None:
                items.append(item)
        return items

    def _owner(self, element: Element) -> Element | None:
        """The nearest item that encloses the element (not the element itself)."""
        climbed = []
        node = element.getparent()
        owner = None
        while node is not None:
            if node in self.scopes:
                owner = node
                break
            known = self.owner_memo.get(node, _UNKNOWN)
            if known is not _UNKNOWN:
                owner = known
                break
            climbed.append(node)
            node = node.getparent()
        for visited in climbed:
            self.owner_memo[visited] = owner
        return owner

    def _item(self, element: Element, depth: int, nested: bool) -> dict[str, Any] | None:
        if element in self.seen or depth > _MAX_DEPTH:
            return None
        self.seen.add(element)
        node: dict[str, Any] = {"@type": _short_type((element.get("itemtype") or "").split())}
        values: dict[str, list[Any]] = {}
        for prop in (*self.properties.get(element, ()), *self._referenced(element)):
            value = self._value(prop, depth)
            for name in prop.get("itemprop").split():
                values.setdefault(name, []).append(value)
        for name, found in values.items():
            node[name] = found[0] if len(found) == 1 else found
        if not values and nested:
            node["@value"] = _text(element)
        if "price" in values:
            shown = _leading_text(element)
            if _LOWER_BOUND.match(shown) or _QUANTITY_TIER.match(shown):
                self.lower_bounds += 1  # "As low as $29", or a row of a quantity price table
        return node

    def _referenced(self, element: Element) -> list[Element]:
        """Properties the item takes from the elements its `itemref` names."""
        refs = element.get("itemref")
        if not refs:
            return []
        found = []
        for ref in refs.split():
            target = self._by_id(ref)
            if target is None:
                continue
            if target in self.scopes:
                # An item is one property (when it has a name); its own properties stay its own.
                if target.get("itemprop") is not None:
                    found.append(target)
                continue
            owner = self._owner(target)
            for attribute in _ITEMPROPS_FROM(target):
                prop = attribute.getparent()
                if self._owner(prop) is owner:
                    found.append(prop)
        return found

    def _by_id(self, ident: str) -> Element | None:
        if self.refs_left <= 0:
            return None
        self.refs_left -= 1
        if self.ids is None:
            self.ids = {}
            for attribute in _IDS(self.root):
                self.ids.setdefault(str(attribute), attribute.getparent())
        return self.ids.get(ident)

    def _value(self, element: Element, depth: int) -> Any:
        if element in self.scopes:
            return self._item(element, depth + 1, nested=True)
        tag = element.tag
        content = element.get("content")
        if content and tag != "meta":
            return content  # not in the HTML rules, but schema.org pages put values there
        attribute = _PLAIN_ATTRIBUTE.get(tag)
        if attribute is not None:
            return element.get(attribute) or ""
        attribute = _URL_ATTRIBUTE.get(tag)
        if attribute is not None:
            return self._url(element.get(attribute) or "")
        return _text(element)

    def _url(self, value: str) -> str:
        value = value.strip(_HTML_SPACE)
        if value.startswith(("https://", "http://")):
            return value  # already absolute (schema.org availability links, mostly)
        try:
            return urljoin(self.base_url, value)
        except ValueError:  # a malformed address (e.g. a broken IPv6 host) stays as written
            return value


def _leading_text(element: Element, limit: int = 80) -> str:
    """The start of the element's text (scripts too: cheap, and they rarely lead an offer)."""
    parts, length = [], 0
    for piece in element.itertext():
        parts.append(piece)
        length += len(piece)
        if length >= limit:
            break
    return " ".join("".join(parts).split())[:limit]


def _text(element: Element) -> str:
    """The element's text content, scripts and styles left out, whitespace collapsed."""
    return " ".join("".join(_TEXT(element)).split())


def microdata_offers(page: Page) -> list[Offer] | None:
    """Offers of the main microdata product; [] when there is none; None when ambiguous."""
    tree = page.tree
    if tree is None:
        return []
    memo: dict[object, bool] = {}
    reader = _Reader(tree, page.url)
    items = reader.top_level(lambda element: in_other_area(element, memo))
    if reader.lower_bounds:
        # Only "from" prices: the variant's own price is not in the markup.
        return [Offer(price=None, currency=None, raw_price=f"{BOUND_MARK}a lowest price")]
    candidates: list[dict[str, Any]] = []
    for node in items:
        candidates.extend(_products_in(node))
    return _offers_of_main(candidates, page)


def _products_in(node: dict[str, Any]) -> list[dict[str, Any]]:
    if _is_product(node):
        return [node]
    types = {t.casefold() for t in _short_type(node.get("@type"))}
    if types & {"offer", "aggregateoffer"}:
        return [{"@type": ["Product"], "offers": node}]
    found = []
    for key in ("mainEntity", "mainEntityOfPage", "about", "itemReviewed"):
        inner = node.get(key)
        if isinstance(inner, dict) and _is_product(inner):
            found.append(inner)
    return found


def _offers_of_main(products: list[dict[str, Any]], page: Page) -> list[Offer] | None:
    return main_offers(products, page)


def rdfa_offers(page: Page) -> list[Offer] | None:
    """Offers of the main RDFa product (slow: run only when the page declares RDFa)."""
    from extruct.rdfa import RDFaExtractor

    try:
        nodes = RDFaExtractor().extract(page.body, base_url=page.url, encoding=page.encoding)
    except Exception:  # noqa: BLE001 - pyRdfa raises anything on odd markup
        return []
    if not isinstance(nodes, list):
        return []
    by_id = {n.get("@id"): n for n in nodes if isinstance(n, dict) and n.get("@id")}
    products = []
    for raw in nodes:
        if isinstance(raw, dict):
            node = _from_rdfa(raw, by_id, 0)
            if isinstance(node, dict) and _is_product(node):
                products.append(node)
    return _offers_of_main(products, page)


def _from_rdfa(value: Any, by_id: dict[Any, Any], depth: int) -> Any:
    if isinstance(value, list):
        converted = [_from_rdfa(v, by_id, depth) for v in value]
        return converted[0] if len(converted) == 1 else converted
    if not isinstance(value, dict) or depth > _MAX_DEPTH:
        return value
    if "@value" in value:
        return value["@value"]
    if set(value) == {"@id"}:
        target = by_id.get(value["@id"])
        return _from_rdfa(target, by_id, depth + 1) if target else value["@id"]
    node: dict[str, Any] = {"@type": _short_type(value.get("@type"))}
    for key, inner in value.items():
        if key.startswith("@"):
            continue
        short = key.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1]
        node[short] = _from_rdfa(inner, by_id, depth + 1)
    return node
