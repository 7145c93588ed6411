"""What the shopper sees: the product's main area and the amounts and stock state shown in it.

The page's own product is anchored by its title (the h1 that best names the product the page's
data and title describe) and its add-to-cart control nearest that title. The main area is the
smallest element holding both; without one of them, the area is found by climbing from the other
until amounts appear. Areas of other products and site chrome are left out unless they hold the
title: a theme's "header" or "sidebar" class on the product's own column is not another product.

Inside the area, elements whose marks (class, id, itemprop, test ids) name a price are read, or,
where none does, short elements that are little more than an amount. Each amount gets a role:
`current`, `struck` (a regular price shown struck or labelled "was"), or why it is not the price
(`unit`, `instalment`, `ex_vat`, `from`, `converted`, `range`, ...). The extraction's decision
(corroborate.py) compares these with what the page's data claims.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from functools import cached_property, lru_cache
from itertools import islice
from typing import Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from tracker.domain import Availability
from tracker.extract.availability import availability_from_text, normalize_availability
from tracker.extract.heuristic_words import (
    STOCK_LABEL,
    label_after,
    label_before,
    losing_mark,
    names_price,
    names_stock,
    names_struck,
    stock_class,
)
from tracker.extract.page import Page, hidden_by_markup, text_of
from tracker.extract.scope import fold, other_area_kind
from tracker.extract.values import Money, find_money

_SKIP_TAGS = frozenset(
    {"script", "style", "noscript", "template", "svg", "select", "option", "textarea", "iframe"}
)
_STRUCK_TAGS = frozenset({"del", "s", "strike"})
_CART_ATTRS = re.compile(
    r"add[-_ ]?to[-_ ]?(cart|bag|basket)|addtocart|addtobag|buy[-_ ]?now|buy[-_ ]?box|"
    r"(btn|button)[-_]cart|product-form__submit|single_add_to_cart|add-to-cart|tocart|"
    r"warenkorb|panier|carrito|carrello|korzin|koszyk|kosik|winkelwagen|varukorg|carrinho|sepet|"
    r"cart[-_]?btn|place[-_]?bid|bid[-_]?button|buy[-_]?it[-_]?now|buy[-_]?(btn|button)|"
    r"btn[-_]buy",
    re.IGNORECASE,
)
_CART_TEXT = re.compile(
    r"^\W*(add to (cart|bag|basket|shopping bag)|buy now|buy it now|buy|buy tickets?|"
    r"shop now|get (it|deal)|place bid|bid now|make (an )?offer|reply|contact (the )?seller|"
    r"show (phone|number)|chat with seller|kaufen|jetzt bestellen|bestellen|kontaktieren|"
    r"anbieter kontaktieren|verkäufer kontaktieren|contacter le vendeur|contactar|"
    r"comprar( ahora| entradas?)?|compra normal|acheter|купить|заказать|購買|購入|구매|馬上購買|"
    r"立即購買|馬上搶購|"
    r"in den (warenkorb|einkaufswagen)|jetzt kaufen|ajouter au panier|acheter|"
    r"añadir al carrito|agregar al carrito|comprar|aggiungi al carrello|acquista|"
    r"в корзину|купить|добавить в корзину|купити|в кошик|до кошика|dodaj do koszyka|"
    r"kup teraz|do košíku|koupit|kupi|u košaricu|dodaj u košaricu|pirkt|ielikt grozā|"
    r"in winkelwagen|toevoegen aan winkelwagen|lägg i varukorgen|legg i handlekurv|læg i kurv|"
    r"lisää ostoskoriin|adicionar ao carrinho|"
    r"sepete ekle|satın al|장바구니|구매하기|바로구매|カートに入れる|購入する|加入购物车|"
    r"立即购买|立即購買|加入購物車|tambah ke keranjang|beli sekarang|أضف إلى السلة|اشتر الآن)\b",
    re.IGNORECASE,
)
# A control that says the product cannot be bought now (its text, or a disabled state).
_CART_REFUSES = re.compile(
    r"^\W*(sold out|out of stock|unavailable|currently unavailable|notify me|email me when|"
    r"ausverkauft|nicht verfügbar|épuisé|indisponible|agotado|esaurito|нет в наличии|"
    r"品切れ|売り切れ|품절)",
    re.IGNORECASE,
)
_CART_FORM_ACTION = re.compile(
    r"cart|basket|warenkorb|panier|carrito|carrello|korzin|checkout|kupi|buy", re.IGNORECASE
)
_CART_CANDIDATES = etree.XPath(
    "descendant-or-self::form | descendant-or-self::button"
    " | descendant-or-self::input[@type='submit' or @type='button' or @type='image']"
    " | descendant-or-self::a[contains(@class, 'btn') or contains(@class, 'button')"
    " or contains(@class, 'cart') or contains(@class, 'buy') or contains(@id, 'cart')"
    " or contains(@id, 'buy') or contains(@class, 'cta') or contains(@class, 'reply')]"
)
# The XPath below scans the whole tree (about a parse's time): only when the bytes name a title.
_TITLE_CLASS_BYTES = re.compile(rb"product(?:[-_](?:title|name)|Title|Name)|postingtitle")
_TITLE_CANDIDATES = etree.XPath(
    "//*[contains(@class, 'product-title') or contains(@class, 'product_title')"
    " or contains(@class, 'product-name') or contains(@class, 'product_name')"
    " or contains(@class, 'productTitle') or contains(@class, 'productName')"
    " or contains(@class, 'postingtitle')]"
)
# Attributes that name an element's role besides class and id ("data-testid": "price").
_ROLE_ATTRIBUTES = (
    "itemprop",
    "property",
    "data-price-type",
    "data-testid",
    "data-test",
    "data-qa",
    "data-aut-id",
    "data-automation-id",
)
_MARK_NAMES = frozenset(("class", "id", *_ROLE_ATTRIBUTES))
_WITH_DECIMALS = re.compile(r"\d[.,]\d{2}(?!\d)")
_FIGURE_CHARS = 40  # the longest text read as one figure
_FIGURE_PARTS = re.compile(r"[\d.,'’\s\u00a0-]")
_SPACES = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")
_PRICE_WORD = re.compile(
    r"\b(price|preis|prix|precio|prezzo|preço|prijs|pris|цена|cena|cijena|fiyat)\b", re.I
)
_CAROUSEL = re.compile(r"slider|carousel|swiper|splide|glide|slick|owl|flickity")
_BARE_NUMBER = re.compile(r"\s*\d[\d'’ .,]*\s*$")
_BARE_RANGE = re.compile(r"\s*(?P<low>\d[\d'’ .,]*?)\s*(?:-|–|—|~|to)\s*\d[\d'’ .,]*\s*$")
_MAX_AMOUNTS = 4  # more in one element: a table of prices (sizes, quantities), not one
# The far end of a range written without its currency ("US $38.17 - 48.27").
_BARE_END = re.compile(r"\s*(?:-|–|—|~|to|bis|à|до)\s*\d")
MAX_CARTS = 3
MAX_CANDIDATE_TEXT = 160
MAX_PLAIN_TEXT = 40
_CLIMB = 5
_RIVAL_LEVELS = 3  # how far around the page's one price a second, unmarked price is looked for
_CART_LEVELS = 8  # how far up from the title the product's own cart control is looked for
_MAX_HEADINGS = 30  # h2 and h3 looked at for the product's name (reviews have h3s too)
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


@dataclass
class Evidence:
    """The page's visible evidence about its own product."""

    title: Any | None
    area: Any | None
    shown: list[Shown]
    splits: list[Split]
    availability: Availability  # an explicit state the area shows, or unknown
    buyable: bool  # an enabled add-to-cart control in the area, and no refusal on it
    refused: bool  # a cart control that says sold out / notify me, or is disabled
    page: Page | None = field(default=None, repr=False)
    facts: _Facts | None = field(default=None, repr=False)

    @cached_property
    def current(self) -> dict[tuple[Decimal, str], Shown]:
        """The distinct current amounts, first occurrence of each."""
        found: dict[tuple[Decimal, str], Shown] = {}
        for item in self.shown:
            if item.role == CURRENT:
                found.setdefault(item.key, item)
        return found

    @property
    def no_single_price(self) -> bool:
        """The area shows a price range, quantity tiers or a table of prices: no one price."""
        return any(s.role in ("range", "tier", "list", "from") for s in self.shown)

    def roles_of(self, amount: Decimal, currency: str | None) -> set[str]:
        """The roles in which the area shows this amount (in a currency it may be)."""
        roles = {
            s.role
            for s in self.shown
            if s.money.amount == amount and (currency is None or currency in s.money.currencies)
        }
        digits = cent_digits(amount)
        roles.update(
            s.role
            for s in self.splits
            if s.digits in digits
            and (currency is None or currency in s.currencies or not s.currencies)
        )
        return roles

    def unmarked_rivals(self, winner: Shown) -> list[Shown]:
        """Other amounts in the unmarked text around the winner that words call a price
        ("$144,700 cash price before incentives"): a second price the theme does not mark."""
        page, facts, area = self.page, self.facts, self.area
        if page is None or facts is None or area is None:
            return []
        marked = {s.element for s in self.shown}
        rivals: list[Shown] = []
        around = _lift(winner.element, _RIVAL_LEVELS, area)  # the winner's price block, widened
        for candidate in _candidates(around, facts, marked=False):
            element = candidate.element
            if element in marked or any(a in marked for a in element.iterancestors()):
                continue
            if _in_card(element, area, page, facts):
                continue
            found, _ = _amounts(candidate, area, page, facts)
            label = f"{_text_before(element, None, facts)} {_text_after(element, facts)}"
            if _PRICE_WORD.search(label):
                rivals.extend(s for s in found if s.role == CURRENT and s.key != winner.key)
        return rivals

    def shows_anywhere(self, amount: Decimal, currency: str) -> bool:
        """Whether the page shows the amount as a current price anywhere (outside the area)."""
        page, facts = self.page, self.facts
        if page is None or facts is None or page.tree is None:
            return False
        return _shown_elsewhere(page, facts, self.area, amount, currency)

    def elsewhere_current(self, claims: Iterable[Any]) -> bool:
        """Whether the page shows a claimed amount as a price outside the area (not struck,
        not in another product's card): then the area found may not be the product's."""
        page, facts = self.page, self.facts
        if page is None or facts is None or page.tree is None:
            return False
        for claim in claims:
            for amount, code in claim.values:
                if _shown_elsewhere(page, facts, self.area, amount, code):
                    return True
        return False

    def stock(self) -> Availability:
        """What the area says of stock: an explicit notice, else an enabled cart means in stock."""
        if self.availability is not Availability.UNKNOWN:
            return self.availability
        if self.refused and not self.buyable:
            return Availability.OUT_OF_STOCK
        return Availability.IN_STOCK if self.buyable else Availability.UNKNOWN


NO_EVIDENCE = Evidence(None, None, [], [], Availability.UNKNOWN, False, False)
_TEXT_WITH = etree.XPath(
    "//text()[contains(., $figure) and not(ancestor::script or ancestor::style"
    " or ancestor::noscript or ancestor::template)]"
)


def _figures(amount: Decimal) -> set[str]:
    """How an amount's leading figures are written (the search only narrows: find_money checks)."""
    whole = int(amount)
    if whole >= 1000:
        return {
            f"{whole // 1000}{sep}{whole % 1000:03d}" for sep in (",", ".", " ", "\u00a0", "'")
        } | {str(whole)}
    return {str(whole)}


def _shown_elsewhere(
    page: Page, facts: _Facts, area: Any | None, amount: Decimal, code: str
) -> bool:
    """Whether a text outside the area shows the amount as a current price (its own context:
    not struck, not labelled a unit, instalment or other price, not in another product's card)."""
    inside = frozenset(area.iter()) if area is not None else frozenset()
    for figure in _figures(amount):
        for text in _TEXT_WITH(page.tree, figure=figure):
            element = text.getparent()
            if element is None or element in inside or facts.inside_other(element):
                continue
            if any(
                facts.hidden(e) or e.tag in _SKIP_TAGS for e in (element, *element.iterancestors())
            ):
                continue
            value = str(text)
            for index, money in enumerate(find_money(value, page.currency_context)):
                if money.amount != amount or code not in money.currencies:
                    continue
                before = value[max(0, money.start - 40) : money.start]
                if index == 0 and not value[: money.start].strip():
                    before = f"{_text_before(element, None, facts)} {before}"
                after = value[money.end : money.end + 30]
                top = _lift(element, 2, None)
                if not _struck(element, top, facts) and not _why_not(
                    element, top, before, after, money, facts
                ):
                    return True
    return False


def cent_digits(amount: Decimal) -> tuple[str, ...]:
    """How the amount's figures read with separators and symbols taken out ("3157" for 31.57)."""
    whole = f"{amount:.2f}".replace(".", "")
    plain = format(amount.normalize(), "f").replace(".", "")
    return (whole, plain) if plain != whole else (whole,)


class _Facts:
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
        self.amounts: dict[Any, tuple[list[Shown], list[Split]]] = {}
        self.carts: dict[Any, list[Any]] = {}  # the cart controls under an element
        self.subtrees: dict[tuple[Any, bool], _Subtree] = {}
        self.readings: dict[tuple[Any, bool, Any], tuple[list[Shown], Split | None]] = {}
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
                [value for name, value in element.items() if name in _MARK_NAMES]
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
        return not (names_price(marks) and _CAROUSEL.search(marks))

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


def read_evidence(page: Page, names: Sequence[str] = ()) -> Evidence:
    """The main area's amounts and stock state; names: what the page's data calls its product."""
    tree = page.tree
    if tree is None:
        return NO_EVIDENCE
    facts = _Facts()
    title = _title(tree, page, names, facts)
    cart = _own_cart(tree, title, page, facts)
    facts.keep_around(title, cart)
    area = _area(title, cart, page, facts)
    if area is None:
        # No price near the title: what it says of stock still counts ("Sold out").
        stock = _stated_stock(_lift(title, 2, None), facts) if title is not None else None
        stock = stock or Availability.UNKNOWN
        return Evidence(title, None, [], [], stock, False, False, page, facts)
    shown, splits = _amounts_in(area, page, facts)
    own_carts = [c for c in _cart_elements(area, facts) if not facts.inside_other(c)]
    buyable = any(_enabled(c, facts) for c in own_carts)
    refused = not buyable and any(_refuses(c, facts) and not _one_of_options(c) for c in own_carts)
    stock = _stated_stock(area, facts)
    return Evidence(title, area, shown, splits, stock, buyable, refused, page, facts)


# ---------------------------------------------------------------- anchors


def _title(tree: Any, page: Page, names: Sequence[str], facts: _Facts) -> Any | None:
    """The element that names the page's product: the h1 that best matches the names its data
    gives (og:title too), else an h2, h3 or product-title element that matches one, else a
    lone h1 that shares words with the page's <title>."""
    products = [fold(n) for n in (*names, page.meta_value("og:title")) if n]
    products = products or [fold(page.title)]
    headings = [h for h in tree.iter("h1") if not facts.hidden(h) and fold(text_of(h))]
    best, best_score = _best_named(headings, products)
    # With many headings (a page listing deals or menus), only a heading naming the product.
    if best is not None and best_score >= (0.5 if len(headings) <= 3 else 0.9):
        return best
    others = list(islice(tree.iter("h2", "h3"), _MAX_HEADINGS))
    if not headings and _TITLE_CLASS_BYTES.search(page.body):
        others.extend(_TITLE_CANDIDATES(tree)[:_MAX_HEADINGS])
    others = [h for h in others if not facts.hidden(h)]
    other, other_score = _best_named(others, products)
    if other is not None and other_score >= 0.8:
        return other
    lone = [h for h in headings if not facts.inside_other(h)]
    if len(lone) == 1 and (
        not page.title or _likeness(fold(text_of(lone[0])), fold(page.title)) > 0
    ):
        return lone[0]
    return None


def _best_named(elements: list[Any], names: list[str]) -> tuple[Any | None, float]:
    best, best_score = None, 0.0
    for element in elements[:200]:
        text = fold(text_of(element))
        if not text or len(text) > 400:
            continue
        score = max((_likeness(text, n) for n in names), default=0.0)
        if score > best_score:
            best, best_score = element, score
    return best, best_score


def _likeness(text: str, reference: str) -> float:
    """How well a heading names the product: the words they share, over the shorter of the
    two but at least half the reference (a one-word heading "Shoes" does not name a long
    title; a heading that adds the price and place to the name still names it)."""
    words, named = set(text.split()), set(reference.split())
    if not words or not named:
        return 0.0
    return len(words & named) / max(len(named) / 2, min(len(words), len(named)))


def _cart_elements(root: Any, facts: _Facts) -> list[Any]:
    """Add-to-cart forms, buttons and links styled as buttons under `root`, in page order; buy,
    bid and contact-the-seller controls count too (a classified ad is bought by replying)."""
    known = facts.carts.get(root)
    if known is None:
        known = facts.carts[root] = _cart_controls(_CART_CANDIDATES(root), facts)
    return known


def _cart_controls(elements: Iterable[Any], facts: _Facts) -> list[Any]:
    found = []
    for element in elements:
        tag = element.tag
        if tag == "input" and (facts.get(element, "type") or "").lower() not in (
            "submit",
            "button",
            "image",
        ):
            continue
        get = element.get
        marks = (
            f"{get('class', '')} {get('id', '')} {get('name', '')} "
            f"{get('data-action', '')} {get('action', '')}"
        )
        if tag == "form":
            if _names_cart(get("action") or "", _CART_FORM_ACTION) or _names_cart(
                marks, _CART_ATTRS
            ):
                found.append(element)
            continue
        if _names_cart(marks, _CART_ATTRS):
            found.append(element)
            continue
        text = get("value") or get("alt") if tag == "input" else text_of(element)
        if text and len(text) < 60:
            label = " ".join(text.split())
            if _names_cart(label, _CART_TEXT) or _names_cart(label, _CART_REFUSES):
                found.append(element)
        if len(found) > 40:
            break
    return found


@lru_cache(maxsize=4096)
def _names_cart(marks: str, pattern: re.Pattern[str]) -> bool:
    return pattern.search(marks) is not None


def _own_cart(tree: Any, title: Any | None, page: Page, facts: _Facts) -> Any | None:
    """The product's own cart control: the nearest to the title, found by searching the title's
    ancestors outwards (a few levels: farther, it is not the product's), wherever a theme puts
    it (a "sidebar" column is still the product's), never one in another product's card; at one
    level, one outside site chrome first. Without a title: the first outside other areas."""
    if title is None:
        return next(
            (
                c
                for c in _cart_elements(tree, facts)
                if not facts.inside_other(c) and not _carded(c, None, page, facts)
            ),
            None,
        )
    for ancestor in islice(title.iterancestors(), _CART_LEVELS):
        if ancestor.tag in ("body", "html"):
            break
        mine = [c for c in _cart_elements(ancestor, facts) if not _carded(c, ancestor, page, facts)]
        if mine:
            return next((c for c in mine if not facts.inside_other(c)), mine[0])
    return None


def _carded(cart: Any, shared: Any | None, page: Page, facts: _Facts) -> bool:
    """Inside another product's area or card, below the element it shares with the title."""
    below = []
    for ancestor in (cart, *cart.iterancestors()):
        if ancestor is shared:
            break
        below.append(ancestor)
    if any(other_area_kind(a) == "products" for a in below):
        return True
    return any(_card(a, a.getparent(), page) for a in below[:8] if a.tag in _CARD_TAGS)


def _area(title: Any | None, cart: Any | None, page: Page, facts: _Facts) -> Any | None:
    if title is not None and cart is not None:
        cart_ancestors = {cart, *cart.iterancestors()}
        area = title
        while area is not None and area not in cart_ancestors:
            area = area.getparent()
        if area is not None and area.tag not in ("html", "body"):
            inside = [c for c in _cart_elements(area, facts) if not facts.inside_other(c)]
            if len(inside) <= MAX_CARTS:
                return area if _priced(area, page, facts) else _climb_to_price(area, page, facts)
    for start in (title, cart):
        if start is not None:
            found = _climb_to_price(start, page, facts)
            if found is not None:
                return found
    return None


def _climb_to_price(start: Any, page: Page, facts: _Facts) -> Any | None:
    node = start
    for _ in range(_CLIMB):
        node = node.getparent()
        if node is None or node.tag in ("body", "html") or facts.other(node):
            return None
        if _priced(node, page, facts):
            return node
    return None


def _priced(node: Any, page: Page, facts: _Facts) -> bool:
    """Whether the element shows an amount (a figure with a currency, or a marked price)."""
    shown, splits = _amounts_in(node, page, facts)
    return bool(shown or splits)


def _enabled(control: Any, facts: _Facts) -> bool:
    get = control.get
    if get("disabled") is not None or get("aria-disabled") == "true":
        return False
    if "disabled" in (get("class") or "").lower().split():
        return False
    return not _refuses(control, facts)


def _refuses(control: Any, facts: _Facts) -> bool:
    """The control says the product cannot be bought ("Sold out"); a control merely disabled
    until a size is chosen says nothing."""
    get = control.get
    text = (get("value") if control.tag == "input" else text_of(control)) or ""
    return 0 < len(text) < 80 and _names_cart(" ".join(text.split()), _CART_REFUSES)


# ---------------------------------------------------------------- amounts


@dataclass(frozen=True, slots=True)
class _Candidate:
    element: Any
    pieces: list[tuple[str, Any]]  # (text, the element it belongs to)
    marked: bool  # its class, id or itemprop names a price
    joined: bool = False  # read whole from price-marked pieces


def _amounts_in(area: Any, page: Page, facts: _Facts) -> tuple[list[Shown], list[Split]]:
    """The amounts an element shows, read once per element (the climb asks, then the area)."""
    known = facts.amounts.get(area)
    if known is None:
        known = facts.amounts[area] = _read_amounts(area, page, facts)
    return known


def _read_amounts(area: Any, page: Page, facts: _Facts) -> tuple[list[Shown], list[Split]]:
    candidates = _candidates(area, facts) or _candidates(area, facts, marked=False)
    candidates = [c for c in candidates if not _in_card(c.element, area, page, facts)]
    ranged = _ranged(candidates)
    shown: list[Shown] = []
    splits: list[Split] = []
    for candidate in candidates:
        found, split = _amounts(candidate, area, page, facts)
        if candidate.element in ranged:
            found = [s if s.role != CURRENT else replace(s, role="range") for s in found]
        shown.extend(found)
        if split is not None:
            splits.append(split)
    return shown, splits


def _candidates(root: Any, facts: _Facts, marked: bool = True) -> list[_Candidate]:
    """Price-marked elements with figures of their own (inner candidates' text set apart).

    A marked element whose inner candidates are only pieces of a figure ("1.234", ",", "56":
    themes that mark every part of a price) is read whole instead. marked=False: short elements
    whose text is little more than an amount ("<h2>$75.00</h2>"), for themes that name no price
    element; used only when no element is marked. The root itself is never a candidate.
    """
    return _subtree(root, facts, marked).below


@dataclass(frozen=True, slots=True)
class _Subtree:
    """What an element's subtree holds, read once per page (the climb reads nested areas)."""

    found: list[_Candidate]  # the candidates in it, the element itself included when it is one
    below: list[_Candidate]  # the candidates of its children only
    stock: list[Any]  # elements that may state the stock, in page order
    length: int  # its visible text's length, spaces collapsed (about)
    rest: int  # the same without the candidates' subtrees: what a candidate here would read


def _subtree(node: Any, facts: _Facts, marked: bool) -> _Subtree:
    key = (node, marked)
    known = facts.subtrees.get(key)
    if known is not None:
        return known
    below: list[_Candidate] = []
    stock: list[Any] = [node] if _names_stock(node, facts) else []
    length = rest = _compact(node.text)
    for child in node:
        tail = _compact(child.tail)
        length += tail
        rest += tail
        if (
            not isinstance(child.tag, str)
            or child.tag in _SKIP_TAGS
            or facts.hidden(child)
            or facts.other(child)
        ):
            continue
        inner = _subtree(child, facts, marked)
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
            and length <= _FIGURE_CHARS
            and not any(_complete(c) for c in below)
            and _one_figure(node, facts)
        )
        skip = frozenset() if whole else frozenset(c.element for c in below)
        pieces = _pieces(node, skip, facts)
        text = " ".join("".join(p[0] for p in pieces).split())
        if 0 < len(text) <= limit and _DIGIT.search(text):
            found = [*(() if whole else below), _Candidate(node, pieces, marked, whole)]
            rest = len(text)
    known = facts.subtrees[key] = _Subtree(found, below, stock, length, rest)
    return known


def _compact(text: str | None) -> int:
    """A text's length with its runs of white space counted as one."""
    if not text:
        return 0
    return len(text) if len(text) < 8 else len(" ".join(text.split())) + 1


_CARD_TAGS = frozenset({"li", "div", "article", "section", "td", "tr"})
_CARD_SIZE = 80  # elements: a card is small; the product's own column is not


def _in_card(element: Any, area: Any, page: Page, facts: _Facts) -> bool:
    """Inside another product's card: one of several like siblings, small, with a link to
    another page of the shop (a "complete the look" or "more from" list no class names)."""
    node = element
    while node is not area:
        parent = node.getparent()
        if parent is None:
            return False
        if node.tag in _CARD_TAGS and node not in facts.keep:
            known = facts.card(node)
            if known is None:
                known = facts.set_card(node, _card(node, parent, page))
            if known:
                return True
        node = parent
    return False


def _card(node: Any, parent: Any, page: Page) -> bool:
    """One of at least two like siblings that each show a price and link to another page."""
    tag = node.tag
    siblings = [s for s in parent if s.tag == tag]
    if len(siblings) < 2 or not _card_like(node, page):
        return False
    return any(s is not node and _card_like(s, page) for s in siblings[:30])


def _card_like(node: Any, page: Page) -> bool:
    size = 0
    link = False
    for inner in node.iter():
        size += 1
        if size > _CARD_SIZE:
            return False
        if inner.tag == "a" and not link:
            link = _links_elsewhere(inner.get("href"), page.url)
    if not link:
        return False
    text = text_of(node)
    return len(text) < 1000 and bool(find_money(text, page.currency_context))


def _links_elsewhere(href: str | None, url: str) -> bool:
    if not href or href.startswith(("#", "javascript:", "mailto:", "tel:")):
        return False
    try:
        target = urlsplit(urljoin(url, href))
        own = urlsplit(url)
    except ValueError:
        return False
    path = target.path.rstrip("/")
    return target.hostname == own.hostname and bool(path) and path != own.path.rstrip("/")


def _complete(candidate: _Candidate) -> bool:
    """A figure of its own: already joined, or a number with its decimals or a currency."""
    if candidate.joined:
        return True
    text = "".join(p[0] for p in candidate.pieces).strip()
    return _WITH_DECIMALS.search(text) is not None or bool(find_money(text))


def _one_figure(node: Any, facts: _Facts) -> bool:
    """The element's whole text is one figure and at most a symbol ("R$ 1.234,56" marked in
    pieces, "42<sup>99</sup>"): its inner price-marked parts are read as one."""
    text = "".join(p[0] for p in _pieces(node, frozenset(), facts))
    if len(text) > _FIGURE_CHARS or not any(c.isdigit() for c in text):
        return False
    return len(_FIGURE_PARTS.sub("", text)) <= 4


def _pieces(element: Any, skip: frozenset[Any], facts: _Facts) -> list[tuple[str, Any]]:
    pieces: list[tuple[str, Any]] = []

    def walk(node: Any) -> None:
        if node.text:
            pieces.append((_SPACES.sub(" ", node.text), node))
        for child in node:
            if (
                isinstance(child.tag, str)
                and child.tag not in _SKIP_TAGS
                and not facts.hidden(child)
                and not facts.other(child)
            ):
                if child in skip:
                    pieces.append((" ", node))
                else:
                    walk(child)
            if child.tail:
                pieces.append((_SPACES.sub(" ", child.tail), node))

    walk(element)
    return pieces


def _amounts(
    candidate: _Candidate, area: Any, page: Page, facts: _Facts
) -> tuple[list[Shown], Split | None]:
    """The amounts a candidate shows with their roles (read once per candidate and block)."""
    top = _lift(candidate.element, 2, area)
    key = (candidate.element, candidate.joined, top)
    known = facts.readings.get(key)
    if known is None:
        known = facts.readings[key] = _read_candidate(candidate, top, page, facts)
    return known


def _read_candidate(
    candidate: _Candidate, top: Any, page: Page, facts: _Facts
) -> tuple[list[Shown], Split | None]:
    element, pieces = candidate.element, candidate.pieces
    texts = [p[0] for p in pieces if p[0].strip()]
    text = "".join(p[0] for p in pieces)
    for left, right in zip(texts, texts[1:], strict=False):
        if left.rstrip()[-1:].isdigit() and right.lstrip()[:1].isdigit():
            return [], _split(text, element, top, page, facts)
    starts, position = [], 0
    for piece, _ in pieces:
        starts.append(position)
        position += len(piece)
    money = find_money(text, page.currency_context, page.hints.decimal_separator)
    bare = not money and candidate.marked and _BARE_NUMBER.match(text) is not None
    bare_range = not money and candidate.marked and _BARE_RANGE.match(text)
    if not money and not bare and not bare_range:
        return [], None
    before_element = _text_before(element, top, facts)
    after_element = _text_after(element, facts)
    if bare_range:
        low = text[: bare_range.end("low")]
        found = _with_neighbour_currency(low, before_element, after_element, page)
        return [Shown(m, "range", element) for m in found], None
    if bare:
        money = _with_neighbour_currency(text, before_element, after_element, page)
    if not money:
        return [], None
    if len(money) > _MAX_AMOUNTS:
        return [Shown(m, "list", element) for m in money], None  # a table of prices
    owners = [
        next(
            (pieces[i][1] for i in range(len(pieces) - 1, -1, -1) if starts[i] <= item.start),
            element,
        )
        for item in money
    ]
    struck = [_struck(owner, top, facts) for owner in owners]
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
        elif _range(text, live, live.index(item)) or _BARE_END.match(after):
            role = "range"  # before the marks: a range under a "unit-price" class is a range
        else:
            role = _why_not(owners[index], top, before, after, item, facts)
        result.append(Shown(item, role or CURRENT, owners[index]))
    return result, None


def _split(text: str, element: Any, top: Any, page: Page, facts: _Facts) -> Split | None:
    """Digits split over elements, with the currency their text names (for matching only)."""
    digits = re.sub(r"\D", "", text)
    if not 2 <= len(digits) <= 9:
        return None
    money = find_money(re.sub(r"(?<=\d)\s+(?=\d)", "", text), page.currency_context)
    currencies = money[0].currencies if money else ()
    role = (
        STRUCK if _struck(element, top, facts) else (losing_mark(facts.marks(element)) or CURRENT)
    )
    return Split(digits, currencies, role)


def _with_neighbour_currency(text: str, before: str, after: str, page: Page) -> list[Money]:
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


def _lift(element: Any, levels: int, area: Any) -> Any:
    node = element
    for _ in range(levels):
        if node is area or node.getparent() is None:
            break
        node = node.getparent()
    return node


def _text_before(element: Any, top: Any | None, facts: _Facts) -> str:
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
                and previous.tag not in _SKIP_TAGS
                and not facts.hidden(previous)
            )
            text = (text_of(previous) if shown else "") + (previous.tail or "")
            parts.append(text)
            length += len(text.strip())
            if any(c.isdigit() for c in text):
                break  # a figure before: what precedes it labels that one
            previous = previous.getprevious()
        parent = node.getparent()
        if parent is None or node is top or length >= 40 or (parts and _has_digit(parts[-1])):
            break
        parts.append(parent.text or "")
        length += len((parent.text or "").strip())
        node = parent
    text = "".join(reversed(parts))
    # Only what follows the last figure: "Was $90" before "$75" does not make $75 old.
    return " ".join(re.split(r"\d", text)[-1].split())[-40:]


def _text_after(element: Any, facts: _Facts) -> str:
    """The words just after an element: its tail, and the next sibling's text ("EUR", "/mo")."""
    text = element.tail or ""
    following = element.getnext()
    if (
        len(text.strip()) < 12
        and following is not None
        and isinstance(following.tag, str)
        and following.tag not in _SKIP_TAGS
        and not facts.hidden(following)
    ):
        text += text_of(following)[:40] + (following.tail or "")
    return " ".join(text.split())[:40]


def _has_digit(text: str) -> bool:
    return any(c.isdigit() for c in text)


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
    return label_before(before) or label_after(after)


_RANGE_WORDS = frozenset({"-", "–", "—", "to", "bis", "à", "a", "до", "~", "…", "..."})


def _range(text: str, money: list[Money], index: int) -> bool:
    """The amount is one end of a range ("$10 – $20"): a range word joins it to a neighbour."""
    for other in (index - 1, index + 1):
        if 0 <= other < len(money):
            left, right = sorted((money[index], money[other]), key=lambda m: m.start)
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
    parts = [left.tail or ""]
    node = left.getnext()
    while node is not None and node is not right:
        if isinstance(node.tag, str):
            parts.append(text_of(node))
        parts.append(node.tail or "")
        node = node.getnext()
    return " ".join("".join(parts).split()) if node is not None else None


# ---------------------------------------------------------------- stock


def _names_stock(element: Any, facts: _Facts) -> bool:
    """An element that may state the stock: itemprop, a stock class or name, a label."""
    if facts.get(element, "itemprop") == "availability":
        return True
    marks = facts.marks(element)
    if stock_class(marks) is not None or names_stock(marks):
        return True
    text = element.text
    return bool(text) and ":" in text and STOCK_LABEL.match(text) is not None


def _stated_stock(area: Any, facts: _Facts) -> Availability:
    """An explicit stock state in the area: itemprop, a stock-named element, a stock class."""
    elements = _subtree(area, facts, True).stock
    for element in elements:
        if facts.get(element, "itemprop") == "availability":
            value = facts.get(element, "href") or facts.get(element, "content")
            found = normalize_availability(value) if value else _one_state(text_of(element))
            if found is not Availability.UNKNOWN:
                return found
        marks = facts.marks(element)
        by_class = stock_class(marks)
        if by_class is not None and not _one_of_options(element) and text_of(element).strip():
            return by_class  # a notice shows words; an empty one waits for a script
        labelled = element.text and STOCK_LABEL.match(element.text)
        if labelled or names_stock(marks):
            found = _one_state(text_of(element))
            if found is not Availability.UNKNOWN:
                return found
    return Availability.UNKNOWN


def _one_of_options(element: Any) -> bool:
    """One of a list of like siblings (size swatches): its state is a variant's."""
    parent = element.getparent()
    if parent is None:
        return False
    tag = element.tag
    return sum(1 for sibling in parent if sibling.tag == tag) > 1


def _one_state(text: str) -> Availability:
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
