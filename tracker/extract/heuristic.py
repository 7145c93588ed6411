"""A conservative look at the visible page: one amount must clearly win, or no answer.

The main product area is the smallest element holding both the title (h1) and the add-to-cart
form. Inside it, elements whose class, id or itemprop names a price are read; an amount loses when
it is struck through, per unit, shipping, an instalment, ex-VAT, a saving, a "from" or a range, or
sits in a related-products area. The answer stands only when exactly one amount is left.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from decimal import Decimal
from functools import lru_cache
from typing import Any

from lxml import etree

from tracker.domain import Availability, Offer
from tracker.extract.availability import availability_from_text, normalize_availability
from tracker.extract.heuristic_words import (
    LOSES_AFTER,
    LOSES_BEFORE,
    STOCK_LABEL,
    STRUCK_WORDS,
    losing_mark,
    names_price,
    names_stock,
    names_struck,
)
from tracker.extract.page import Page, hidden_by_markup, text_of
from tracker.extract.scope import is_other_area
from tracker.extract.values import Money, find_money

_SKIP_TAGS = frozenset(
    {
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "select",
        "option",
        "textarea",
        "iframe",
        "head",
    }
)
_STRUCK_TAGS = frozenset({"del", "s", "strike"})
_CART_ATTRS = re.compile(
    r"add[-_ ]?to[-_ ]?(cart|bag|basket)|addtocart|buy[-_ ]?now|(btn|button)[-_]cart|"
    r"product-form__submit|single_add_to_cart|add-to-cart|tocart|warenkorb|panier|carrito|"
    r"carrello|korzin|koszyk|kosik|winkelwagen|varukorg|carrinho|sepet|cart[-_]?btn",
    re.IGNORECASE,
)
_CART_TEXT = re.compile(
    r"^\W*(add to (cart|bag|basket)|buy now|buy it now|in den (warenkorb|einkaufswagen)|"
    r"jetzt kaufen|ajouter au panier|acheter|añadir al carrito|agregar al carrito|comprar|"
    r"aggiungi al carrello|acquista|в корзину|купить|добавить в корзину|купити|в кошик|"
    r"до кошика|dodaj do koszyka|kup teraz|do košíku|koupit|in winkelwagen|"
    r"toevoegen aan winkelwagen|lägg i varukorgen|adicionar ao carrinho|sepete ekle|satın al|"
    r"장바구니|구매하기|カートに入れる|購入する|加入购物车|立即购买|tambah ke keranjang|"
    r"beli sekarang|أضف إلى السلة|اشتر الآن|"
    r"sold out|out of stock|ausverkauft|épuisé|agotado|esaurito|нет в наличии|pre-?order|"
    r"vorbestellen|notify me)\b",
    re.IGNORECASE,
)
_CART_FORM_ACTION = re.compile(
    r"cart|basket|warenkorb|panier|carrito|carrello|korzin|checkout", re.IGNORECASE
)
# The XPath below scans the whole tree (about a parse's time): only when the bytes name a title.
_TITLE_CLASS_BYTES = re.compile(rb"product(?:[-_](?:title|name)|Title|Name)")
_TITLE_CANDIDATES = etree.XPath(
    "//*[contains(@class, 'product-title') or contains(@class, 'product_title')"
    " or contains(@class, 'product-name') or contains(@class, 'product_name')"
    " or contains(@class, 'productTitle') or contains(@class, 'productName')]"
)
_BARE_NUMBER = re.compile(r"\s*\d[\d'’ .,]*\s*$")
MAX_CARTS = 3
_IMPLAUSIBLE_SALE = 10  # a struck price ten times the winner's
MAX_CANDIDATE_TEXT = 160
MAX_PLAIN_TEXT = 40


@dataclass(frozen=True, slots=True)
class _Candidate:
    element: Any
    pieces: list[tuple[str, Any]]  # (text, the element it belongs to)
    marked: bool  # its class, id or itemprop names a price


@dataclass(frozen=True, slots=True)
class _Amount:
    money: Money
    loses: str | None  # why it cannot be the price
    struck: bool


class _Facts:
    """What the heuristic reads of each element, read once per element and call.

    Reading an lxml attribute costs about a microsecond, and the same elements are looked at by
    several passes (area, candidates, struck and losing marks, availability).
    """

    __slots__ = ("_inside", "_known", "_other")

    def __init__(self) -> None:
        self._known: dict[Any, tuple[str, bool, dict[str, str]]] = {}
        self._other: dict[Any, bool] = {}
        self._inside: dict[Any, bool] = {}

    def _of(self, element: Any) -> tuple[str, bool, dict[str, str]]:
        known = self._known.get(element)
        if known is None:
            attributes = dict(element.items())
            get = attributes.get
            known = (
                f"{get('class', '')} {get('id', '')} {get('itemprop', '')} "
                f"{get('data-price-type', '')}".lower(),
                hidden_by_markup(attributes),
                attributes,
            )
            self._known[element] = known
        return known

    def marks(self, element: Any) -> str:
        """Class, id, itemprop and data-price-type, lower-cased, in one string."""
        return self._of(element)[0]

    def hidden(self, element: Any) -> bool:
        """Hidden by its markup (not by a stylesheet, which a page read without CSS cannot know)."""
        return self._of(element)[1]

    def other(self, element: Any) -> bool:
        """Related products, navigation or site chrome (scope.is_other_area)."""
        other = self._other.get(element)
        if other is None:
            other = self._other[element] = is_other_area(element)
        return other

    def get(self, element: Any, attribute: str) -> str | None:
        return self._of(element)[2].get(attribute)

    def inside_other(self, element: Any) -> bool:
        """The element or an ancestor is another product's area or the site's chrome."""
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


def heuristic_offers(page: Page) -> list[Offer] | None:
    """The one winning amount of the main product area; [] for none, None when several compete."""
    tree = page.tree
    if tree is None:
        return []
    facts = _Facts()
    main = _main_area(tree, page, facts)
    if main is None:
        return []
    candidates = _candidates(main, facts) or _candidates(main, facts, marked=False)
    ranged = _ranged(candidates)
    amounts = [
        a if a.loses or c.element not in ranged else replace(a, loses="range")
        for c in candidates
        for a in _amounts(c, main, page, facts)
    ]
    winners = {(a.money.amount, a.money.currency): a for a in amounts if a.loses is None}
    if len(winners) > 1 and page.hints.currency:
        in_currency = {k: v for k, v in winners.items() if k[1] == page.hints.currency}
        if len(in_currency) == 1 and len({k[1] for k in winners}) == len(winners):
            winners = in_currency
    if len(winners) != 1:
        return None if winners else []
    (amount, currency), winner = next(iter(winners.items()))
    struck = {
        a.money.amount
        for a in amounts
        if a.struck and a.money.currency == currency and a.money.amount > amount
    }
    if any(was > amount * _IMPLAUSIBLE_SALE for was in struck):
        return None  # "was 1399, now 8": the winner is some fee or a unit price, not the price
    return [
        Offer(
            price=amount,
            currency=currency,
            availability=_availability(main, facts),
            name=page.h1 or None,
            regular_price=struck.pop() if len(struck) == 1 else None,
            source="heuristic",
            raw_price=winner.money.raw,
        )
    ]


def visible_availability(page: Page) -> Availability:
    """The stock state the main product area shows (for sources that state none)."""
    tree = page.tree
    if tree is None:
        return Availability.UNKNOWN
    facts = _Facts()
    main = _main_area(tree, page, facts)
    return _availability(main, facts) if main is not None else Availability.UNKNOWN


def _main_area(tree: Any, page: Page, facts: _Facts) -> Any | None:
    def _usable(element: Any) -> bool:
        return isinstance(element.tag, str) and not facts.inside_other(element)

    title = next((h for h in tree.iter("h1") if _usable(h)), None)
    if title is None and _TITLE_CLASS_BYTES.search(page.body):
        title = next((e for e in _TITLE_CANDIDATES(tree) if _usable(e)), None)
    carts = [e for e in _cart_elements(tree) if _usable(e)]
    if title is None and not carts:
        return None
    if title is None or not carts:
        start = title if title is not None else carts[0]
        return _climb_to_price(start, facts)
    # The elements themselves, not their id(): lxml makes a new proxy object per visit.
    cart_ancestors = {carts[0], *carts[0].iterancestors()}
    area = title
    while area is not None and area not in cart_ancestors:
        area = area.getparent()
    if area is None:
        return None
    if area.tag in ("html", "body"):
        # Title and cart share nothing smaller than the page: look near the cart only.
        return _climb_to_price(carts[0], facts)
    inside = sum(1 for c in carts if any(a is area for a in c.iterancestors()))
    return area if inside <= MAX_CARTS else None


def _climb_to_price(start: Any, facts: _Facts) -> Any | None:
    node = start
    for _ in range(4):
        node = node.getparent()
        if node is None or facts.other(node) or node.tag in ("body", "html"):
            return None
        if _candidates(node, facts):
            return node
    return None


# Forms, buttons and button-like links: the only elements that may be an add-to-cart control.
_CART_LINKS = etree.XPath(
    "//a[contains(@class, 'btn') or contains(@class, 'button') or contains(@class, 'cart')"
    " or contains(@class, 'buy') or contains(@id, 'cart') or contains(@id, 'buy')]"
)


def _cart_elements(tree: Any) -> list[Any]:
    """Add-to-cart forms and buttons; links styled as buttons only when there are none."""
    found = _cart_controls(tree.iter("form", "button", "input"))
    return found or _cart_controls(_CART_LINKS(tree))


def _cart_controls(elements: Any) -> list[Any]:
    found = []
    for element in elements:
        tag = element.tag
        if tag == "input" and (element.get("type") or "").lower() not in ("submit", "button"):
            continue
        attributes = dict(element.items())
        get = attributes.get
        marks = (
            f"{get('class', '')} {get('id', '')} {get('name', '')} "
            f"{get('data-action', '')} {get('action', '')}"
        )
        if tag == "form":
            if _names_cart(attributes.get("action") or "", _CART_FORM_ACTION) or _names_cart(
                marks, _CART_ATTRS
            ):
                found.append(element)
            continue
        if _names_cart(marks, _CART_ATTRS):
            found.append(element)
            continue
        text = attributes.get("value") if tag == "input" else text_of(element)
        if text and len(text) < 60 and _names_cart(" ".join(text.split()), _CART_TEXT):
            found.append(element)
        if len(found) > 20:
            break
    return found


@lru_cache(maxsize=4096)
def _names_cart(marks: str, pattern: re.Pattern[str]) -> bool:
    return pattern.search(marks) is not None


def _candidates(root: Any, facts: _Facts, marked: bool = True) -> list[_Candidate]:
    """Price-marked elements with figures of their own (inner candidates' text set apart).

    marked=False: short elements whose text is little more than an amount ("<h2>$75.00</h2>"),
    for themes that name no price element; used only when no element is marked.
    """
    found: list[_Candidate] = []
    limit = MAX_CANDIDATE_TEXT if marked else MAX_PLAIN_TEXT

    def walk(node: Any) -> list[Any]:
        inner: list[Any] = []
        for child in node:
            if (
                not isinstance(child.tag, str)
                or child.tag in _SKIP_TAGS
                or facts.hidden(child)
                or facts.other(child)
            ):
                continue
            inner.extend(walk(child))
        if node is not root and (not marked or names_price(facts.marks(node))):
            skip = frozenset(inner)
            pieces = _pieces(node, skip, facts)
            text = " ".join("".join(p[0] for p in pieces).split())
            if 0 < len(text) <= limit and any(c.isdigit() for c in text):
                found.append(_Candidate(node, pieces, marked))
                return [*inner, node]
        return inner

    walk(root)
    return found


def _pieces(element: Any, skip: frozenset[Any], facts: _Facts) -> list[tuple[str, Any]]:
    pieces: list[tuple[str, Any]] = []

    def walk(node: Any) -> None:
        if node.text:
            pieces.append((node.text, node))
        for child in node:
            if (
                isinstance(child.tag, str)
                and child.tag not in _SKIP_TAGS
                and not facts.hidden(child)
            ):
                if child in skip:
                    pieces.append((" ", node))
                else:
                    walk(child)
            if child.tail:
                pieces.append((child.tail, node))

    walk(element)
    return pieces


def _amounts(candidate: _Candidate, main: Any, page: Page, facts: _Facts) -> list[_Amount]:
    element, pieces = candidate.element, candidate.pieces
    texts = [p[0] for p in pieces if p[0].strip()]
    for left, right in zip(texts, texts[1:], strict=False):
        if left.rstrip()[-1:].isdigit() and right.lstrip()[:1].isdigit():
            return []  # digits split over elements ("75<sup>99</sup>"): unclear
    text = "".join(p[0] for p in pieces)
    starts, position = [], 0
    for piece, _ in pieces:
        starts.append(position)
        position += len(piece)
    money = find_money(text, page.hints.currency, page.hints.decimal_separator)
    bare = not money and candidate.marked and _BARE_NUMBER.match(text) is not None
    if not money and not bare:
        return []
    before_element = _text_before(element)
    after_element = " ".join((element.tail or "").split())[:40]
    if bare:
        money = _with_neighbour_currency(text, before_element, after_element, page)
    if not money or len(money) > 4:
        return []
    top = _lift(element, 2, main)
    result = []
    for index, item in enumerate(money):
        owner = next(
            (pieces[i][1] for i in range(len(pieces) - 1, -1, -1) if starts[i] <= item.start),
            element,
        )
        struck = _struck(owner, top, facts)
        previous_end = money[index - 1].end if index else 0
        before = text[max(previous_end, item.start - 40) : item.start]
        if index == 0:
            before = f"{before_element} {before}"
        after = text[item.end : item.end + 30]
        if index == len(money) - 1:
            after = f"{after} {after_element}"
        loses = "struck" if struck else _why_not(owner, top, before, after, item, facts)
        if loses is None and len(money) > 1 and _range(text, money):
            loses = "range"
        result.append(_Amount(item, loses, struck or _struck_words(before)))
    return result


def _visible(root: Any, facts: _Facts) -> Iterator[Any]:
    """The root and its elements in document order, without hidden subtrees or scripts."""
    stack = [root]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(
            child
            for child in reversed(node)
            if isinstance(child.tag, str)
            and child.tag not in _SKIP_TAGS
            and not facts.hidden(child)
        )


def _with_neighbour_currency(text: str, before: str, after: str, page: Page) -> list[Money]:
    """A bare amount ("1'234.50") read with the currency written just beside its element
    (<span>CHF</span> <span class="amount">1'234.50</span>); offsets stay those of `text`."""
    hint, separator = page.hints.currency, page.hints.decimal_separator
    number = text.strip()
    shift = text.index(number)
    for prefix, suffix in ((before[-6:], ""), ("", after[:6])):
        if not (prefix or suffix).strip():
            continue
        combined = f"{prefix} {number} {suffix}"
        found = find_money(combined, hint, separator)
        if len(found) == 1 and number in found[0].raw:
            item = found[0]
            return [replace(item, start=shift, end=shift + len(number))]
    return []


def _lift(element: Any, levels: int, main: Any) -> Any:
    node = element
    for _ in range(levels):
        if node is main or node.getparent() is None:
            break
        node = node.getparent()
    return node


def _text_before(element: Any) -> str:
    previous = element.getprevious()
    if previous is not None:
        text = (text_of(previous) if isinstance(previous.tag, str) else "") + (previous.tail or "")
    else:
        parent = element.getparent()
        text = (parent.text or "") if parent is not None else ""
    # Only what follows the last figure: "Was $90" before "$75" does not make $75 old.
    return " ".join(re.split(r"\d", text)[-1].split())[-40:]


def _struck(owner: Any, top: Any, facts: _Facts) -> bool:
    node = owner
    while node is not None:
        if node.tag in _STRUCK_TAGS or "line-through" in (facts.get(node, "style") or ""):
            return True
        if names_struck(facts.marks(node)):
            return True
        if node is top:
            break
        node = node.getparent()
    return False


def _struck_words(before: str) -> bool:
    return STRUCK_WORDS.search(before.lower()) is not None


def _why_not(
    owner: Any, top: Any, before: str, after: str, money: Money, facts: _Facts
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
    for pattern, text in ((LOSES_BEFORE, before.lower()), (LOSES_AFTER, after.lower())):
        match = pattern.search(text)
        if match:
            return match.lastgroup
    if _struck_words(before):
        return "struck"
    return None


_RANGE_WORDS = frozenset({"-", "–", "—", "to", "bis", "à", "a", "до", "~", "…", "..."})


def _range(text: str, money: list[Money]) -> bool:
    for left, right in zip(money, money[1:], strict=False):
        if text[left.end : right.start].strip().lower() in _RANGE_WORDS:
            return True
    return False


def _ranged(candidates: list[_Candidate]) -> set[Any]:
    """Candidates at the two ends of a range split over elements ("<b>89 €</b> – <b>189 €</b>")."""
    ends: set[Any] = set()
    for left, right in zip(candidates, candidates[1:], strict=False):
        between = _text_between(left.element, right.element)
        if between is not None and between.lower() in _RANGE_WORDS:
            ends.update((left.element, right.element))
    return ends


def _text_between(left: Any, right: Any) -> str | None:
    """The text between two siblings, or None when they are not siblings in that order."""
    parts = [left.tail or ""]
    node = left.getnext()
    while node is not None and node is not right:
        if isinstance(node.tag, str):
            parts.append(text_of(node))
        parts.append(node.tail or "")
        node = node.getnext()
    return " ".join("".join(parts).split()) if node is not None else None


def _availability(main: Any, facts: _Facts) -> Availability:
    for element in _visible(main, facts):
        if facts.get(element, "itemprop") == "availability":
            value = facts.get(element, "href") or facts.get(element, "content") or text_of(element)
            found = normalize_availability(value)
            if found is not Availability.UNKNOWN:
                return found
        labelled = element.text and STOCK_LABEL.match(element.text)
        if labelled or names_stock(facts.marks(element)):
            text = " ".join(text_of(element).split())
            if len(text) <= 120:
                found = availability_from_text(text)
                if found is not Availability.UNKNOWN:
                    return found
    return Availability.UNKNOWN
