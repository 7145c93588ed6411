"""The words the visible-page heuristic reads: what names a price, and what makes an amount lose.

Each losing pattern has named groups; the group's name is the reason recorded for the amount.
"""

from __future__ import annotations

import re
from functools import lru_cache

from tracker.domain import Availability


def _tokens(name: str, words: str) -> str:
    """Class or id words, whole between '-', '_' or spaces ('price--compare', 'old_price')."""
    return rf"(?P<{name}>(?:^|[-_\s])(?:{words})(?:$|[-_\s]))"


_PRICE_MARK = re.compile(
    r"price|preis|prix|precio|prezzo|preço|prijs|pris|цена|cena|cijena|hinta|kaina|fiyat|"
    r"amount|betrag|importe|(?:^|[-_\s])cost(?:$|[-_\s])",
    re.IGNORECASE,
)
_STOCK_MARK = re.compile(
    r"stock|availability|available|inventory|lager|disponib|verfügbar|наличи|dispo|status|"
    r"delivery|lieferzeit",
    re.IGNORECASE,
)
_LABEL_CHARS = 40  # a label before an amount is a few words
# A visible label before the stock state ("Availability: In Stock", "Наличие: нет").
STOCK_LABEL = re.compile(
    r"\s*(availability|stock|verfügbarkeit|lieferstatus|lagerbestand|disponibilité|"
    r"disponibilidad|disponibilità|disponibilidade|dostępność|dostupnost|beschikbaarheid|"
    r"tillgänglighet|stok durumu|наличие|наявність|статус)\s*:",
    re.IGNORECASE,
)
_STRUCK_CLASS = re.compile(
    _tokens(
        "struck",
        r"old|was|regular|compare|compare-?at|strike\w*|crossed|original|before|list-?price|listprice|"
        r"standard|"
        r"rrp|msrp|uvp|retail|oldprice|prev|previous|reference|instead|crossout|lthr|origin|"
        r"origin-?price|"
        r"line-?through|pricebefore|price-?before|price-?old|old-?price|was-?price",
    ),
    re.IGNORECASE,
)
_LOSING_CLASS = re.compile(
    "|".join(
        (
            _tokens(
                "unit",
                r"unit|unit-?price|unitprice|base-?price|baseprice|grundpreis|per-?unit|"
                r"price-?per|priceperunit|per|measure|ppu|kilo-?price",
            ),
            _tokens("shipping", r"shipping|delivery|versand|livraison|envio|spedizione|freight"),
            _tokens(
                "instalment",
                r"installments?|instalments?|klarna|afterpay|affirm|sezzle|monthly|"
                r"financ\w*|credit|payment|payments|paypal|pay-?later|bnpl|zip",
            ),
            _tokens(
                "ex_vat",
                r"excl\w*|ex-?vat|ex-?tax|without-?tax|netto|net|net-?price|tax-?excl\w*|"
                r"excluding|exclusive|exkl\w*|ht",
            ),
            _tokens("saving", r"save|saving|savings|you-?save|percent|percentage|off"),
            _tokens("converted", r"conv|converted|convprice|approx\w*|conversion"),
            _tokens(
                "other",
                r"subtotal|points|reward|rewards|bonus|cashback|threshold|vrg|vrb|fee|fees|"
                r"levy|ecotax|coupon|"
                r"free-?shipping|gift|deposit|pfand",
            ),
        )
    ),
    re.IGNORECASE,
)
STRUCK_WORDS = re.compile(
    r"(\bwas\b|\bstatt\b|\buvp\b|\brrp\b|\bmsrp\b|list price|regular price|retail price|"
    r"\breg\.|compare at|originally|au lieu de|prix barré|prix conseillé|prix de référence|"
    r"\bantes\b|precio anterior|precio original|invece di|prezzo consigliato|prezzo originale|"
    r"старая цена|вместо|\bбыло\b|ehemals|bisher|\bvorher\b|\bavant\b)\s*:?\s*$",
    re.IGNORECASE,
)
LOSES_BEFORE = re.compile(
    "|".join(
        (
            r"(?P<shipping>(shipping|delivery|postage|versand\w*|porto|livraison|envío|envio|"
            r"spedizione|доставка)\s*(costs?|kosten|fee|frais)?\s*[:\-]?\s*"
            r"(from|ab|de|dès|desde|da|от|only)?\s*$)",
            r"(?P<saving>(save|you save|saving|sparen|sie sparen|ersparnis|économisez|"
            r"économie|ahorra\w*|risparmi\w*|экономия|скидка)\s*[:\-]?\s*(up to|bis zu)?\s*$)",
            r"(?P<from>(\bfrom|\bab|à partir de|\bdès|\bdesde|a partir de|a partire da|\bda|"
            r"\bот|starting at|starts at|as low as|starting price|start price|lowest price|"
            r"最低價|最低价|最低|起價|起价)\s*[:：]?\s*$)",
            r"(?P<converted>(\bapprox\.?|approximately|\bcirca|\bca\.|\benviron|\baprox\.?|"
            r"aproximadamente|ungefähr|около|約|≈)\s*:?\s*$)",
            r"(?P<instalment>(\d\s*[x×]|payments? of|instal+ments? of|pay in \d+|klarna|"
            r"afterpay|affirm|sezzle|paypal|ab mtl\.?|monatlich|mensualités? de|"
            r"\d+\s*cuotas de|cuotas|\brate da|рассрочка)[^\d]{0,25}$)",
            r"(?P<total>(total|subtotal|summe|gesamt|итого)\s*:?\s*$)",
            r"(?P<tier>((^|\s)\d+\s*\+|\d+\s*(pcs|pieces|stück|stk\.?|units?|items?|шт\.?)\s*\+?|"
            r"\bbuy \d+( or more)?( for)?|\b\d+ for|\bab \d+ stück|\bà partir de \d+)\s*:?\s*$)",
            r"(?P<rebate>(after|net of|less|minus|nach|après)\s+([\w-]+\s+){0,2}(incentives?|"
            r"rebates?|tax credits?|savings|trade-?in|cash ?back|mail-?in|prämie|bonus)\s*:?\s*$)",
            r"(?P<coupon>(coupon|gutschein|promo ?code|쿠폰\w*|クーポン\w*|优惠券)[^\d]{0,20}$)",
            r"(?P<member>(members?( pay| price| only)?|member'?s price|club price|loyalty price|"
            r"for (card ?holders|members)|with (your )?(loyalty |store )?card|mit kundenkarte|"
            r"prix (adhérent|membre|fidélité)|precio (socio|miembro)|prezzo soci)\s*:?\s*$)",
            r"(?P<fee>(\bvrg|\bvrb|gebühr\w*|\bpfand|écopart\w*|éco-?participation|recycling\w*|"
            r"entsorgung\w*|eco-?tax|deposit)\b[^\d]{0,12}$)",
            r"(?P<ex_vat>(\bnetto|\bnet|excl\.?\s*(vat|tax|mwst)|ex\.?\s*(vat|tax)|without vat|"
            r"\bht|без ндс|без пдв|bez vat|bez dph|zonder btw|excl\.?\s*btw|exkl\.?\s*moms)"
            r"\s*:?\s*$)",
            r"(?P<threshold>(\bover|\babove|\bspend|orders? of|minimum|mindestens|ab einem|"
            r"einkaufswert von|à partir de|a partir de|superiores a|sopra i|от суммы)\s*$)",
            r"(?P<unit>(unit price|grundpreis|prix unitaire|prix au|precio unitario|"
            r"precio por|prezzo unitario|prezzo al|цена за)[^\d]{0,12}$)",
            r"(?P<secondary>\(\s*$)",
        )
    ),
    re.IGNORECASE,
)
LOSES_AFTER = re.compile(
    "|".join(
        (
            r"(?P<instalment>^\s*\)?\s*(/\s*(mo|mon|month|mes|mois|monat|mese|мес)|per month|"
            r"a month|monthly|x\s*\d+|par mois|al mes|al mese|im monat|pro monat|в месяц))",
            r"(?P<unit>^\s*\)?\s*(/\s*\d*\s*(?!each\b|ea\b|item\b)[a-zа-яµ\u4e00-\u9fff]|"
            r"per\s+(?!each\b|item\b)\w|pro\s+\d*\s*[a-z]|je\s+\d*\s*[a-z]|за\s+\d*\s*[a-zа-я]))",
            r"(?P<ex_vat>^\s*\)?\s*[(\[]?\s*(excl|exkl|ex\.?\s*(vat|tax|mwst|btw|iva|tva)|"
            r"\+\s*(vat|mwst|iva|tva)|plus vat|zzgl\.?\s*(mwst|ust)|netto|net\b|ht\b|h\.t\.|"
            r"hors tax|sin iva|senza iva|iva esclusa|без ндс|без пдв|bez vat|before tax|tax excl|"
            r"excluding))",
            r"(?P<saving>^\s*(off\b|discount|rabatt|de (réduction|remise)|de descuento|di sconto))",
            r"(?P<from>^\s*(元|円|원)?\s*(~|～|起|부터|以上|and up\b|or more\b|& up\b))",
            r"(?P<coupon>^\s*\)?\s*(with (the )?(code|coupon|promo)|using (the )?code|"
            r"mit (dem )?code|avec (le )?code|con (el )?(código|cupón)|con (il )?codice|"
            r"по промокоду|с промокодом))",
            r"(?P<shipping>^\s*(shipping|delivery|versand)\b)",
            r"(?P<secondary>^\s*\))",
        )
    ),
    re.IGNORECASE,
)


_INSIDE_WORD = re.compile(r"(?<=[a-z])[a-z]")


@lru_cache(maxsize=8192)
def label_before(text: str) -> str | None:
    """Why the label ending `text` makes the amount after it lose (a LOSES_BEFORE group), or
    a struck word ("was"); None. The labels are anchored at the end, so a plain search tries
    every position with every alternative (over 100 µs on a short label): only positions that
    can start a label are tried (never inside a Latin word), left to right as search does.
    Cached: a shop's template puts the same label before every product's price."""
    text = text.lower()[-_LABEL_CHARS:]
    inside = {m.start() for m in _INSIDE_WORD.finditer(text)}
    for start in range(len(text)):
        if start in inside:
            continue
        match = LOSES_BEFORE.match(text, start)
        if match:
            return match.lastgroup
    for start in range(len(text)):
        if start not in inside and STRUCK_WORDS.match(text, start):
            return "struck"
    return None


@lru_cache(maxsize=8192)
def label_after(text: str) -> str | None:
    """Why the words after an amount make it lose (a LOSES_AFTER group), or None."""
    match = LOSES_AFTER.match(text.lower())
    return match.lastgroup if match else None


# The same class strings come back on every element of a page ("price", "menu-item"), and each
# pattern costs microseconds: the answers are kept per marks string.
@lru_cache(maxsize=8192)
def names_price(marks: str) -> bool:
    """True when an element's marks (class, id, itemprop) name a price."""
    return _PRICE_MARK.search(marks) is not None


@lru_cache(maxsize=8192)
def names_stock(marks: str) -> bool:
    return _STOCK_MARK.search(marks) is not None


@lru_cache(maxsize=8192)
def names_struck(marks: str) -> bool:
    """True when the marks say the amount is an old or reference price."""
    return _STRUCK_CLASS.search(marks) is not None


_STOCK_CLASS = re.compile(
    r"(?:^|[-_\s])(?P<prefix>[a-z]*?)(?P<state>in-?stock|out-?of-?stock|sold-?out|"
    r"on-?backorder|pre-?order)(?:$|[-_\s])",
    re.IGNORECASE,
)
_STOCK_STATES = {
    "instock": Availability.IN_STOCK,
    "outofstock": Availability.OUT_OF_STOCK,
    "soldout": Availability.OUT_OF_STOCK,
    "onbackorder": Availability.BACK_ORDER,
    "preorder": Availability.PRE_ORDER,
}


@lru_cache(maxsize=8192)
def stock_class(marks: str) -> Availability | None:
    """The stock state a class names ("in-stock", "soldout"), or None."""
    match = _STOCK_CLASS.search(marks)
    if match is None or re.search(r"not|no$|un$", match.group("prefix")):
        return None
    return _STOCK_STATES.get(match.group("state").lower().replace("-", ""))


@lru_cache(maxsize=8192)
def losing_mark(marks: str) -> str | None:
    """Why an amount under these marks cannot be the price (unit, shipping, ...), or None."""
    match = _LOSING_CLASS.search(marks)
    return match.lastgroup if match else None
