"""The product's anchors on its page: its title, its own cart control, its main area
(private)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from itertools import islice
from typing import Any

from lxml import etree

from tracker.extract._amounts import amounts_in
from tracker.extract._cards import CARD_TAGS, is_card
from tracker.extract._facts import Facts
from tracker.extract.page import Page, text_of
from tracker.extract.scope import fold, other_area_kind

CART_ATTRS = re.compile(
    r"add[-_ ]?to[-_ ]?(cart|bag|basket)|addtocart|addtobag|buy[-_ ]?now|buy[-_ ]?box|"
    r"(btn|button)[-_]cart|product-form__submit|single_add_to_cart|add-to-cart|tocart|"
    r"warenkorb|panier|carrito|carrello|korzin|koszyk|kosik|winkelwagen|varukorg|carrinho|sepet|"
    r"cart[-_]?btn|place[-_]?bid|bid[-_]?button|buy[-_]?it[-_]?now|buy[-_]?(btn|button)|"
    r"btn[-_]buy",
    re.IGNORECASE,
)


CART_TEXT = re.compile(
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
CART_REFUSES = re.compile(
    r"^\W*(sold out|out of stock|unavailable|currently unavailable|notify me|email me when|"
    r"ausverkauft|nicht verfügbar|épuisé|indisponible|agotado|esaurito|нет в наличии|"
    r"品切れ|売り切れ|품절)",
    re.IGNORECASE,
)


CART_FORM_ACTION = re.compile(
    r"cart|basket|warenkorb|panier|carrito|carrello|korzin|checkout|kupi|buy", re.IGNORECASE
)


CART_CANDIDATES = etree.XPath(
    "descendant-or-self::form | descendant-or-self::button"
    " | descendant-or-self::input[@type='submit' or @type='button' or @type='image']"
    " | descendant-or-self::a[contains(@class, 'btn') or contains(@class, 'button')"
    " or contains(@class, 'cart') or contains(@class, 'buy') or contains(@id, 'cart')"
    " or contains(@id, 'buy') or contains(@class, 'cta') or contains(@class, 'reply')]"
)


# The XPath below scans the whole tree (about a parse's time): only when the bytes name a title.
TITLE_CLASS_BYTES = re.compile(rb"product(?:[-_](?:title|name)|Title|Name)|postingtitle")


TITLE_CANDIDATES = etree.XPath(
    "//*[contains(@class, 'product-title') or contains(@class, 'product_title')"
    " or contains(@class, 'product-name') or contains(@class, 'product_name')"
    " or contains(@class, 'productTitle') or contains(@class, 'productName')"
    " or contains(@class, 'postingtitle')]"
)


MAX_CARTS = 3


CLIMB = 5


CART_LEVELS = 8  # how far up from the title the product's own cart control is looked for


MAX_HEADINGS = 30  # h2 and h3 looked at for the product's name (reviews have h3s too)


def find_title(tree: Any, page: Page, names: Sequence[str], facts: Facts) -> Any | None:
    """The element that names the page's product: the h1 that best matches the names its data
    gives (og:title too), else an h2, h3 or product-title element that matches one, else a
    lone h1 that shares words with the page's <title>."""
    products = [fold(n) for n in (*names, page.meta_value("og:title")) if n]
    products = products or [fold(page.title)]
    headings = [h for h in tree.iter("h1") if not facts.hidden(h) and fold(text_of(h))]
    best, best_score = best_named(headings, products)
    # With many headings (a page listing deals or menus), only a heading naming the product.
    if best is not None and best_score >= (0.5 if len(headings) <= 3 else 0.9):
        return best
    others = list(islice(tree.iter("h2", "h3"), MAX_HEADINGS))
    if not headings and TITLE_CLASS_BYTES.search(page.body):
        others.extend(TITLE_CANDIDATES(tree)[:MAX_HEADINGS])
    others = [h for h in others if not facts.hidden(h)]
    other, other_score = best_named(others, products)
    if other is not None and other_score >= 0.8:
        return other
    lone = [h for h in headings if not facts.inside_other(h)]
    if len(lone) == 1 and (
        not page.title or likeness(fold(text_of(lone[0])), fold(page.title)) > 0
    ):
        return lone[0]
    return None


def best_named(elements: list[Any], names: list[str]) -> tuple[Any | None, float]:
    best, best_score = None, 0.0
    for element in elements[:200]:
        text = fold(text_of(element))
        if not text or len(text) > 400:
            continue
        score = max((likeness(text, n) for n in names), default=0.0)
        if score > best_score:
            best, best_score = element, score
    return best, best_score


def likeness(text: str, reference: str) -> float:
    """How well a heading names the product: the words they share, over the shorter of the
    two but at least half the reference (a one-word heading "Shoes" does not name a long
    title; a heading that adds the price and place to the name still names it)."""
    words, named = set(text.split()), set(reference.split())
    if not words or not named:
        return 0.0
    return len(words & named) / max(len(named) / 2, min(len(words), len(named)))


def cart_elements(root: Any, facts: Facts) -> list[Any]:
    """Add-to-cart forms, buttons and links styled as buttons under `root`, in page order; buy,
    bid and contact-the-seller controls count too (a classified ad is bought by replying)."""
    known = facts.carts.get(root)
    if known is None:
        known = facts.carts[root] = cart_controls(CART_CANDIDATES(root), facts)
    return known


def cart_controls(elements: Iterable[Any], facts: Facts) -> list[Any]:
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
            if names_cart(get("action") or "", CART_FORM_ACTION) or names_cart(marks, CART_ATTRS):
                found.append(element)
            continue
        if names_cart(marks, CART_ATTRS):
            found.append(element)
            continue
        text = get("value") or get("alt") if tag == "input" else text_of(element)
        if text and len(text) < 60:
            label = " ".join(text.split())
            if names_cart(label, CART_TEXT) or names_cart(label, CART_REFUSES):
                found.append(element)
        if len(found) > 40:
            break
    return found


@lru_cache(maxsize=4096)
def names_cart(marks: str, pattern: re.Pattern[str]) -> bool:
    return pattern.search(marks) is not None


def own_cart(tree: Any, title: Any | None, page: Page, facts: Facts) -> Any | None:
    """The product's own cart control: the nearest to the title, found by searching the title's
    ancestors outwards (a few levels: farther, it is not the product's), wherever a theme puts
    it (a "sidebar" column is still the product's), never one in another product's card; at one
    level, one outside site chrome first. Without a title: the first outside other areas."""
    if title is None:
        return next(
            (
                c
                for c in cart_elements(tree, facts)
                if not facts.inside_other(c) and not carded(c, None, page, facts)
            ),
            None,
        )
    for ancestor in islice(title.iterancestors(), CART_LEVELS):
        if ancestor.tag in ("body", "html"):
            break
        mine = [c for c in cart_elements(ancestor, facts) if not carded(c, ancestor, page, facts)]
        if mine:
            return next((c for c in mine if not facts.inside_other(c)), mine[0])
    return None


def carded(cart: Any, shared: Any | None, page: Page, facts: Facts) -> bool:
    """Inside another product's area or card, below the element it shares with the title."""
    below = []
    for ancestor in (cart, *cart.iterancestors()):
        if ancestor is shared:
            break
        below.append(ancestor)
    if any(other_area_kind(a) == "products" for a in below):
        return True
    return any(is_card(a, a.getparent(), page) for a in below[:8] if a.tag in CARD_TAGS)


def find_area(title: Any | None, cart: Any | None, page: Page, facts: Facts) -> Any | None:
    if title is not None and cart is not None:
        cart_ancestors = {cart, *cart.iterancestors()}
        area = title
        while area is not None and area not in cart_ancestors:
            area = area.getparent()
        if area is not None and area.tag not in ("html", "body"):
            inside = [c for c in cart_elements(area, facts) if not facts.inside_other(c)]
            if len(inside) <= MAX_CARTS:
                return area if is_priced(area, page, facts) else climb_to_price(area, page, facts)
    for start in (title, cart):
        if start is not None:
            found = climb_to_price(start, page, facts)
            if found is not None:
                return found
    return None


def climb_to_price(start: Any, page: Page, facts: Facts) -> Any | None:
    node = start
    for _ in range(CLIMB):
        node = node.getparent()
        if node is None or node.tag in ("body", "html") or facts.other(node):
            return None
        if is_priced(node, page, facts):
            return node
    return None


def is_priced(node: Any, page: Page, facts: Facts) -> bool:
    """Whether the element shows an amount (a figure with a currency, or a marked price)."""
    shown, splits = amounts_in(node, page, facts)
    return bool(shown or splits)


def is_enabled(control: Any, facts: Facts) -> bool:
    get = control.get
    if get("disabled") is not None or get("aria-disabled") == "true":
        return False
    if "disabled" in (get("class") or "").lower().split():
        return False
    return not refuses(control, facts)


def refuses(control: Any, facts: Facts) -> bool:
    """The control says the product cannot be bought ("Sold out"); a control merely disabled
    until a size is chosen says nothing."""
    get = control.get
    text = (get("value") if control.tag == "input" else text_of(control)) or ""
    return 0 < len(text) < 80 and names_cart(" ".join(text.split()), CART_REFUSES)
