"""Availability: schema.org values (URL or bare, any case) and the stock words shops write.

English, German, French, Spanish, Italian and Russian first; Ukrainian, Polish, Czech, Dutch,
Swedish, Portuguese, Turkish and Japanese too, since the shops a tracker reads are everywhere.
"""

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
    "madetoorder": Availability.BACK_ORDER,
    "made_to_order": Availability.BACK_ORDER,
}

# Checked in this order: a negation ("not in stock") must win over the word it contains.
# A phrase matches at a word start and may go on ("vorbestell" in "vorbestellbar"); those in
# _WHOLE_WORDS must end there too ("on order" is not "on orders shipped by ...").
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
            "nicht an lager",
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
            "немає в наявності",
            "закінчився",
            "недоступно",
            "brak w magazynie",
            "brak towaru",
            "niedostępny",
            "wyprzedany",
            "wyprzedane",
            "není skladem",
            "vyprodáno",
            "nedostupné",
            "uitverkocht",
            "niet op voorraad",
            "niet leverbaar",
            "niet beschikbaar",
            "slut i lager",
            "tillfälligt slut",
            "slutsåld",
            "ej i lager",
            "ikke på lager",
            "ikke på lager",
            "utsolgt",
            "udsolgt",
            "ei varastossa",
            "loppu varastosta",
            "loppuunmyyty",
            "esgotado",
            "indisponível",
            "sem estoque",
            "fora de estoque",
            "tükendi",
            "stokta yok",
            "在庫切れ",
            "在庫なし",
            "売り切れ",
            "品切れ",
            "完売",
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
            "передзамовлення",
            "przedsprzedaż",
            "předprodej",
            "voorbestellen",
            "förbeställ",
            "pré-venda",
            "pré-encomenda",
            "ön sipariş",
            "予約受付中",
            "予約商品",
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
            "під замовлення",
            "na zamówienie",
            "na objednávku",
            "op bestelling",
            "beställningsvara",
            "sob encomenda",
            "取り寄せ",
            "お取り寄せ",
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
            "залишилось мало",
            "ostatnie sztuki",
            "poslední kusy",
            "nog maar enkele",
            "få kvar",
            "últimas unidades",
            "残りわずか",
            "在庫僅少",
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
            "an lager",
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
            "в наявності",
            "є в наявності",
            "dostępny",
            "w magazynie",
            "skladem",
            "na skladě",
            "op voorraad",
            "direct leverbaar",
            "i lager",
            "finns i lager",
            "på lager",
            "varastossa",
            "em estoque",
            "disponível",
            "stokta",
            "在庫あり",
            "在庫有り",
            "即納",
        ),
    ),
)
_WHOLE_WORDS = frozenset({"on order"})
_ONLY_N_LEFT = re.compile(
    r"\b(only|nur noch|plus que|solo quedan|solo|rimangono|осталось|залишилось|zostało|"
    r"zbývá|nog maar|endast)\s+\d+\b",
    re.IGNORECASE,
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
    """The phrase at a word start ("indisponible" does not contain "disponible").

    Japanese writes no spaces between words: its phrases count anywhere.
    """
    whole = phrase in _WHOLE_WORDS
    start = text.find(phrase)
    if start >= 0 and phrase[0] >= "\u3040":
        return True
    while start >= 0:
        end = start + len(phrase)
        if (start == 0 or not text[start - 1].isalnum()) and not (
            whole and end < len(text) and text[end].isalnum()
        ):
            return True
        start = text.find(phrase, start + 1)
    return False
