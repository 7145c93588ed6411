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

The pieces live in private modules: `_anchors` (title, cart control, area), `_amounts` (the
candidates and their figures), `_labels` (the words and marks that give an amount its role),
`_cards` (other products' cards), `_stock` (stated stock) and `_facts` (what is read of each
element, once per page).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from typing import Any

from lxml import etree

from tracker.domain import Availability
from tracker.extract._amounts import (
    CURRENT,
    STRUCK,
    Shown,
    Split,
    amounts_in,
    candidate_amounts,
    cent_digits,
    find_candidates,
)
from tracker.extract._anchors import (
    cart_elements,
    find_area,
    find_title,
    is_enabled,
    own_cart,
    refuses,
)
from tracker.extract._cards import in_card
from tracker.extract._facts import SKIP_TAGS, Facts, lift
from tracker.extract._labels import is_struck, text_after, text_before, why_not
from tracker.extract._stock import one_of_options, stated_stock
from tracker.extract.page import Page
from tracker.extract.values import find_money

__all__ = ["CURRENT", "NO_EVIDENCE", "STRUCK", "Evidence", "Shown", "read_evidence"]

_PRICE_WORD = re.compile(
    r"\b(price|preis|prix|precio|prezzo|preço|prijs|pris|цена|cena|cijena|fiyat)\b", re.I
)
_RIVAL_LEVELS = 3  # how far around the page's one price a second, unmarked price is looked for


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
    facts: Facts | None = field(default=None, repr=False)

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
        around = lift(winner.element, _RIVAL_LEVELS, area)  # the winner's price block, widened
        for candidate in find_candidates(around, facts, marked=False):
            element = candidate.element
            if element in marked or any(a in marked for a in element.iterancestors()):
                continue
            if in_card(element, area, page, facts):
                continue
            found, _ = candidate_amounts(candidate, area, page, facts)
            label = f"{text_before(element, None, facts)} {text_after(element, facts)}"
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
    page: Page, facts: Facts, area: Any | None, amount: Decimal, code: str
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
                facts.hidden(e) or e.tag in SKIP_TAGS for e in (element, *element.iterancestors())
            ):
                continue
            value = str(text)
            for index, money in enumerate(find_money(value, page.currency_context)):
                if money.amount != amount or code not in money.currencies:
                    continue
                before = value[max(0, money.start - 40) : money.start]
                if index == 0 and not value[: money.start].strip():
                    before = f"{text_before(element, None, facts)} {before}"
                after = value[money.end : money.end + 30]
                top = lift(element, 2, None)
                if not is_struck(element, top, facts) and not why_not(
                    element, top, before, after, money, facts
                ):
                    return True
    return False


def read_evidence(page: Page, names: Sequence[str] = ()) -> Evidence:
    """The main area's amounts and stock state; names: what the page's data calls its product."""
    tree = page.tree
    if tree is None:
        return NO_EVIDENCE
    facts = Facts()
    title = find_title(tree, page, names, facts)
    cart = own_cart(tree, title, page, facts)
    facts.keep_around(title, cart)
    area = find_area(title, cart, page, facts)
    if area is None:
        # No price near the title: what it says of stock still counts ("Sold out").
        stock = stated_stock(lift(title, 2, None), facts) if title is not None else None
        stock = stock or Availability.UNKNOWN
        return Evidence(title, None, [], [], stock, False, False, page, facts)
    shown, splits = amounts_in(area, page, facts)
    own_carts = [c for c in cart_elements(area, facts) if not facts.inside_other(c)]
    buyable = any(is_enabled(c, facts) for c in own_carts)
    refused = not buyable and any(refuses(c, facts) and not one_of_options(c) for c in own_carts)
    stock = stated_stock(area, facts)
    return Evidence(title, area, shown, splits, stock, buyable, refused, page, facts)
