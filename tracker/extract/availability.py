"""Availability: schema.org values (URL or bare, any case) and shop words in six languages."""

from __future__ import annotations

import re
import unicodedata

from tracker.domain import Availability

_SCHEMA_VALUES: dict[str, Availability] = {
    "instock": Availability.IN_STOCK,
    "onlineonly": Availability.IN_STOCK,
    "instoreonly": Availability.IN_STOCK,
    "outofstock": Availability.OUT_OF_STOCK,
    "oos": Availability.OUT_OF_STOCK,
    "soldout": Availability.OUT_OF_STOCK,
    "preorder": Availability.PRE_ORDER,
    "presale": Availability.PRE_ORDER,
    "backorder": Availability.BACK_ORDER,
    "discontinued": Availability.DISCONTINUED,
    "limitedavailability": Availability.LIMITED,
    "in_stock": Availability.IN_STOCK,
    "out_of_stock": Availability.OUT_OF_STOCK,
    "onbackorder": Availability.BACK_ORDER,
    "available_for_order": Availability.BACK_ORDER,
    "available for order": Availability.BACK_ORDER,
}

# Checked in this order: a negation ("not in stock") must win over the word it contains.
_PHRASES: tuple[tuple[Availability, tuple[str, ...]], ...] = (
    (
        Availability.OUT_OF_STOCK,
        (
            "out of stock",
            "out-of-stock",
            "sold out",
            "sold-out",
            "not in stock",
            "back in stock",
            "notify me",
            "email me when",
            "wieder verfügbar",
            "currently unavailable",
            "not available",
            "unavailable",
            "no stock",
            "ausverkauft",
            "nicht auf lager",
            "nicht verfügbar",
            "nicht lieferbar",
            "vergriffen",
            "derzeit nicht",
            "épuisé",
            "epuise",
            "rupture de stock",
            "en rupture",
            "indisponible",
            "non disponible",
            "plus disponible",
            "agotado",
            "sin stock",
            "fuera de stock",
            "no disponible",
            "sin existencias",
            "esaurito",
            "non disponibile",
            "non è disponibile",
            "exaurido",
            "нет в наличии",
            "нет на складе",
            "закончился",
            "распродан",
            "отсутствует",
            "недоступ",
            "товар закончился",
        ),
    ),
    (
        Availability.PRE_ORDER,
        (
            "pre-order",
            "preorder",
            "pre order",
            "vorbestell",
            "précommande",
            "pré-commande",
            "precommande",
            "preventa",
            "pre-venta",
            "reserva",
            "preordine",
            "pre-ordine",
            "предзаказ",
            "предварительный заказ",
        ),
    ),
    (
        Availability.BACK_ORDER,
        (
            "backorder",
            "back-order",
            "back order",
            "on order",
            "nachbestell",
            "bestellbar",
            "en réapprovisionnement",
            "sur commande",
            "bajo pedido",
            "por encargo",
            "su ordinazione",
            "su richiesta",
            "под заказ",
        ),
    ),
    (
        Availability.LIMITED,
        (
            "low stock",
            "only a few left",
            "few left",
            "nur noch wenige",
            "wenige verfügbar",
            "stock limité",
            "quelques exemplaires",
            "últimas unidades",
            "pochi pezzi",
            "ultimi pezzi",
            "осталось мало",
            "мало на складе",
        ),
    ),
    (
        Availability.IN_STOCK,
        (
            "in stock",
            "in-stock",
            "instock",
            "available now",
            "ready to ship",
            "auf lager",
            "sofort lieferbar",
            "lieferbar",
            "verfügbar",
            "vorrätig",
            "en stock",
            "disponible",
            "en existencia",
            "hay stock",
            "disponibile",
            "in magazzino",
            "в наличии",
            "есть в наличии",
            "available",
            "на складе",
        ),
    ),
)
_ONLY_N_LEFT = re.compile(
    r"\b(only|nur noch|plus que|solo quedan|solo|rimangono|осталось)\s+\d+\b", re.IGNORECASE
)


def _fold(value: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", value).casefold().split())


def normalize_availability(value: object) -> Availability:
    """Map schema.org values (URL or bare, any case) and common words; anything else: unknown."""
    if not isinstance(value, str):
        return Availability.UNKNOWN
    text = _fold(value)
    text = re.sub(r"^https?://(www\.)?schema\.org/", "", text).removeprefix("schema:")
    known = _SCHEMA_VALUES.get(text) or _SCHEMA_VALUES.get(text.replace(" ", ""))
    if known is not None:
        return known
    if len(text) > 200:
        return Availability.UNKNOWN
    return availability_from_text(text)


def availability_from_text(text: str) -> Availability:
    """Read availability from a short visible text ("Nur noch 2 auf Lager", "Épuisé")."""
    folded = _fold(text)[:300]
    if not folded:
        return Availability.UNKNOWN
    for availability, phrases in _PHRASES:
        for phrase in phrases:
            if phrase in folded and _has_phrase(folded, phrase):
                if availability is Availability.IN_STOCK and _ONLY_N_LEFT.search(folded):
                    return Availability.LIMITED
                return availability
    if _ONLY_N_LEFT.search(folded):
        return Availability.LIMITED
    return Availability.UNKNOWN


def _has_phrase(text: str, phrase: str) -> bool:
    """The phrase at a word start ("indisponible" does not contain "disponible")."""
    start = text.find(phrase)
    while start >= 0:
        if start == 0 or not text[start - 1].isalnum():
            return True
        start = text.find(phrase, start + 1)
    return False
