"""schema.org products in microdata and RDFa (extruct), read as JSON-LD-shaped nodes."""

from __future__ import annotations

from typing import Any

from tracker.domain import Offer
from tracker.extract.jsonld import main_offers
from tracker.extract.page import Page
from tracker.extract.scope import in_other_area

_PRODUCT_TYPES = {"product", "productgroup", "individualproduct", "productmodel", "vehicle"}
_MAX_DEPTH = 8


class Ambiguous(Exception):
    """Several different products compete for the page."""


def _short_type(value: Any) -> list[str]:
    values = value if isinstance(value, list) else [value]
    return [str(v).rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1] for v in values if v]


def _is_product(node: dict[str, Any]) -> bool:
    return any(t.casefold() in _PRODUCT_TYPES for t in _short_type(node.get("@type")))


def _from_microdata(item: Any, depth: int = 0) -> Any:
    if isinstance(item, list):
        return [_from_microdata(v, depth) for v in item]
    if not isinstance(item, dict) or depth > _MAX_DEPTH:
        return item
    node: dict[str, Any] = {"@type": _short_type(item.get("type"))}
    for key, value in (item.get("properties") or {}).items():
        node[key] = _from_microdata(value, depth + 1)
    if "value" in item and not node.get("name"):
        node.setdefault("@value", item["value"])
    return node


def microdata_offers(page: Page) -> list[Offer] | None:
    """Offers of the main microdata product; [] when there is none; None when ambiguous."""
    tree = page.tree
    if tree is None:
        return []
    # extruct loads rdflib and friends (~150 ms, ~9 MB): only pages with microdata pay for it.
    from extruct.w3cmicrodata import LxmlMicrodataExtractor

    try:
        items = LxmlMicrodataExtractor(add_html_node=True).extract_items(tree, page.url)
    except Exception:  # noqa: BLE001 - a third-party parser on untrusted markup: no answer
        return []
    candidates: list[dict[str, Any]] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        if in_other_area(item.get("htmlNode")):
            continue
        node = _from_microdata(item)
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
