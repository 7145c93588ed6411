"""One page as the extraction steps see it: bytes, cheap regex views, a DOM built at most once."""

from __future__ import annotations

import codecs
import html
import re
from collections.abc import Callable, Iterator
from functools import cached_property, lru_cache
from typing import Any
from urllib.parse import urlsplit

from babel.core import UnknownLocaleError, get_global
from babel.numbers import get_territory_currencies, list_currencies
from lxml import etree

from tracker.domain import ExtractHints

MAX_PAGE_BYTES = 8 * 1024 * 1024
# In the name of every product price meta tag ("product:price:amount", "og:price:amount").
PRICE_TAG_MARK = b":amount"
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_TITLE = re.compile(rb"<title\b[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)
_H1 = re.compile(rb"<h1\b[^>]*>(.*?)</h1\s*>", re.IGNORECASE | re.DOTALL)
_META = re.compile(rb"<meta\b[^>]*>", re.IGNORECASE)
_JSON_LD_SCRIPT = re.compile(
    rb"<script\b[^>]*\btype\s*=\s*[\"']?application/ld\+json[\"']?[^>]*>(.*?)</script\s*>",
    re.IGNORECASE | re.DOTALL,
)
_ATTR = re.compile(
    r"""([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""", re.DOTALL
)
_TAGS = re.compile(r"<[^>]*>")
HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_LINK_CANONICAL = re.compile(rb"""<link\b[^>]*rel\s*=\s*["']?canonical["']?[^>]*>""", re.IGNORECASE)
# Attribute patterns, each tried only where its attribute's name occurs: a case-blind regex
# over the whole page tries every byte (0.5 ms on 60 KB), and scripts say "typeof" everywhere.
_MICRODATA = re.compile(rb"itemtype\s*=\s*[\"']?https?://(?:www\.)?schema\.org/", re.IGNORECASE)
_RDFA = (
    (b"vocab", re.compile(rb"""vocab\s*=\s*["']?https?://schema\.org""", re.IGNORECASE)),
    (
        b"typeof",
        re.compile(rb"""typeof\s*=\s*["'][^"']*\b(?:schema:)?(?:Product|Offer)\b""", re.IGNORECASE),
    ),
    (
        b"property",
        re.compile(rb"""property\s*=\s*["'](?:schema:)?(?:price|offers)["']""", re.IGNORECASE),
    ),
)
_WORD_BYTES = frozenset(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_")
_PARSERS: dict[str, etree.HTMLParser] = {}
_WIDE_BOMS = (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_LANG = re.compile(
    rb"""<html\b[^>]*?\blang\s*=\s*["']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]+)*)""", re.I
)
# A currency a page's own code names: "priceCurrency": "TWD", currency: 'CLP', og:price:currency.
_DECLARED_CURRENCY = re.compile(
    rb"""urrency(?:[_-]?code|iso)?["']?\s*(?:[:=]|content\s*=)\s*["']?([A-Z]{3})\b""", re.I
)
_GENERIC_TLDS = frozenset("com net org info biz shop store online site eu io co app".split())


def _wide_codec(body: bytes) -> str:
    return "utf-32" if body.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)) else "utf-16"


_KNOWN_CODES = frozenset(list_currencies())


@lru_cache(maxsize=256)
def _territory_currencies(country: str) -> tuple[str, ...]:
    try:
        return tuple(get_territory_currencies(country, tender=True))
    except (UnknownLocaleError, ValueError, KeyError):
        return ()


@lru_cache(maxsize=256)
def _likely_region(tag: str) -> str | None:
    """The country a language tag most likely means ("ja": JP, "zh_Hant": TW), from CLDR."""
    parts = tag.split("_")
    parts = [parts[0].lower(), *(p.title() if len(p) == 4 else p for p in parts[1:])]
    subtags = get_global("likely_subtags")
    likely = subtags.get("_".join(parts)) or subtags.get(parts[0])
    if not likely:
        return None
    region = likely.split("_")[-1]
    return region if len(region) == 2 and region.isalpha() else None


def _parser(encoding: str) -> etree.HTMLParser:
    # Plain lxml elements: walking them costs a fifth of lxml.html's element classes.
    if encoding not in _PARSERS:
        _PARSERS[encoding] = etree.HTMLParser(encoding=encoding)
    return _PARSERS[encoding]


def text_of(element: Any) -> str:
    """An element's text content (scripts included, comments not), like lxml.html's."""
    return "".join(element.itertext())


def hidden_by_markup(element: Any) -> bool:
    """Hidden by its own attributes (a page read without its stylesheets cannot know more)."""
    get = element.get
    style = get("style")
    return get("hidden") is not None or (
        style is not None and HIDDEN_STYLE.search(style) is not None
    )


def tag_attributes(tag: str) -> dict[str, str]:
    """Attributes of one start tag, names lower-cased, entities decoded."""
    return {
        m.group(1).lower(): html.unescape(m.group(2) or m.group(3) or m.group(4) or "")
        for m in _ATTR.finditer(tag)
    }


def clean_text(fragment: str) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", fragment)).split())


class CurrencyContext:
    """Codes in order, the first ones given, the rest computed only when asked for."""

    __slots__ = ("_first", "_more", "_rest")

    def __init__(self, first: tuple[str, ...], more: Callable[[], tuple[str, ...]]) -> None:
        self._first = first
        self._more = more
        self._rest: tuple[str, ...] | None = None

    def __iter__(self) -> Iterator[str]:
        yield from self._first
        if self._rest is None:
            self._rest = self._more()
        yield from self._rest

    def __contains__(self, code: object) -> bool:
        return any(code == c for c in self)

    def __len__(self) -> int:
        return len(tuple(iter(self)))

    def __getitem__(self, index: int) -> str:
        return tuple(iter(self))[index]


class Page:
    """A page and its lazily computed views; every step shares one instance."""

    def __init__(self, body: bytes, url: str, hints: ExtractHints) -> None:
        body = body[:MAX_PAGE_BYTES]
        self.transcoded = body.startswith(_WIDE_BOMS)
        if self.transcoded:
            # UTF-16 or UTF-32 (with its BOM): every step reads ASCII patterns in the bytes.
            body = body.decode(_wide_codec(body), errors="replace").encode("utf-8")
        self.body = body
        self.url = url
        self.hints = hints
        self.dom_builds = 0
        self._found: dict[bytes, bool] = {}

    @cached_property
    def encoding(self) -> str:
        if self.transcoded or self.body.startswith(codecs.BOM_UTF8):
            return "utf-8"
        match = _CHARSET.search(self.body[:4096])
        if match:
            name = match.group(1).decode("ascii", "replace").lower()
            try:
                return codecs.lookup(name).name
            except LookupError:
                pass
        return "utf-8"

    @cached_property
    def assets(self) -> str:
        """The addresses of the page's scripts and stylesheets, its inline scripts and its body's
        class, in one string: where a shop platform names itself ("cdn.shopify.com",
        "woocommerce"). Read from the tree; a walk of the bytes costs more."""
        tree = self.tree
        if tree is None:
            return self.decode(self.body)
        parts = [" ".join(e.get("class") or "" for e in tree.iter("body"))]
        for element in tree.iter("script", "link"):
            parts.append(element.get("src") or element.get("href") or "")
            if element.text:
                parts.append(element.text)
        return "\n".join(parts)

    def contains(self, marker: bytes) -> bool:
        """Whether the page's bytes hold `marker`; remembered, as each search reads the page."""
        found = self._found.get(marker)
        if found is None:
            found = self._found[marker] = marker in self.body
        return found

    def decode(self, data: bytes) -> str:
        return data.decode(self.encoding, errors="replace")

    @cached_property
    def lower(self) -> bytes:
        """The page's bytes lower-cased (ASCII), for case-blind marker searches."""
        return self.body.lower()

    @cached_property
    def title(self) -> str:
        match = _TITLE.search(self.body)
        return clean_text(self.decode(match.group(1)))[:300] if match else ""

    @cached_property
    def h1(self) -> str:
        """The first h1's text (from the tree: a regex over a page without one reads it all)."""
        tree = self.tree
        if tree is not None:
            first = next(tree.iter("h1"), None)
            return " ".join(text_of(first).split())[:300] if first is not None else ""
        match = _H1.search(self.body)
        return clean_text(self.decode(match.group(1)))[:300] if match else ""

    @property
    def has_price_tags(self) -> bool:
        """Whether a product price meta tag is there ("product:price:amount", "og:price:amount")."""
        if "meta" not in self.__dict__ and self.tree is None:
            return self.contains(PRICE_TAG_MARK)
        return any(key.endswith(":amount") for key in self.meta)

    @cached_property
    def meta(self) -> dict[str, list[str]]:
        """<meta> values by property or name (lower-cased), from the page's tree (a C-level
        walk: cheaper than a regex over the bytes), or from its bytes when it has no tree."""
        found: dict[str, list[str]] = {}
        tree = self.tree
        if tree is None:
            tags = (tag_attributes(self.decode(m.group(0))) for m in _META.finditer(self.body))
        else:
            tags = (dict(e.items()) for e in tree.iter("meta"))
        for attrs in tags:
            key = attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
            if key and "content" in attrs:
                found.setdefault(key.strip().lower(), []).append(attrs["content"].strip())
        return found

    @cached_property
    def json_ld_texts(self) -> list[str]:
        """The text of each JSON-LD script block, from the tree (or the bytes without one)."""
        tree = self.tree
        if tree is None:
            return [self.decode(m.group(1)) for m in _JSON_LD_SCRIPT.finditer(self.body)]
        scripts = (
            s
            for s in tree.iter("script")
            if (s.get("type") or "").strip().lower().startswith("application/ld+json")
        )
        return [text for text in (s.text for s in scripts) if text]

    def meta_value(self, key: str) -> str | None:
        """One <meta>'s content by property or name."""
        if "meta" in self.__dict__ or "tree" in self.__dict__:
            values = self.meta.get(key)
            return values[0] if values else None
        body, needle = self.body, key.encode()
        at = body.find(needle)
        while at >= 0:
            start = body.rfind(b"<meta", max(0, at - 300), at)
            end = body.find(b">", at)
            if start >= 0 and end > 0:
                attrs = tag_attributes(self.decode(body[start : end + 1]))
                name = attrs.get("property") or attrs.get("name") or attrs.get("itemprop")
                if name and name.strip().lower() == key and "content" in attrs:
                    return attrs["content"].strip()
            at = body.find(needle, at + len(needle))
        return None

    @cached_property
    def canonical(self) -> str | None:
        for key in ("og:url",):
            values = self.meta.get(key)
            if values:
                return values[0]
        match = _LINK_CANONICAL.search(self.body)
        if match:
            return tag_attributes(self.decode(match.group(0))).get("href")
        return None

    @cached_property
    def currency_context(self) -> CurrencyContext:
        """Currencies an ambiguous symbol ("$", "kr") may be read as, most telling first.

        The vendor's own currency; then the codes the page's data and scripts declare; then the
        country of the host's domain, of the page's language tag and of og:locale. Read lazily:
        a symbol that is the vendor's currency needs none of the rest.
        """
        first = (self.hints.currency,) if self.hints.currency else ()
        return CurrencyContext(first, self._context_codes)

    def _context_codes(self) -> tuple[str, ...]:
        codes: list[str] = list(self._declared_currencies())
        for country in self._countries():
            codes.extend(_territory_currencies(country))
        return tuple(dict.fromkeys(codes))

    def _declared_currencies(self) -> list[str]:
        counts: dict[str, int] = {}
        body = self.body
        at = body.find(b"urrency")
        while at >= 0 and len(counts) < 8:
            match = _DECLARED_CURRENCY.match(body, at)
            if match:
                code = match.group(1).decode("ascii").upper()
                if code in _KNOWN_CODES:
                    counts[code] = counts.get(code, 0) + 1
            at = body.find(b"urrency", at + 7)
        return sorted(counts, key=lambda c: -counts[c])

    def _countries(self) -> list[str]:
        countries = []
        host = urlsplit(self.url).hostname or ""
        tld = host.rsplit(".", 1)[-1].lower() if "." in host else ""
        if len(tld) == 2 and tld not in _GENERIC_TLDS:
            countries.append("GB" if tld == "uk" else tld.upper())
        tree = self.tree
        if tree is not None:
            tags = [tree.get("lang")] if tree.get("lang") else []
        else:
            lang = _LANG.search(self.body[:16384])
            tags = [lang.group(1).decode("ascii")] if lang else []
        locale = self.meta_value("og:locale")
        tags.extend([locale] if locale else [])
        for tag in tags:
            parts = tag.replace("_", "-").split("-")
            region = next((p for p in parts[1:] if len(p) == 2 and p.isalpha()), None)
            region = region or _likely_region(tag.replace("-", "_"))
            if region:
                countries.append(region.upper())
        return countries

    @cached_property
    def has_microdata(self) -> bool:
        return self._attribute_matches(b"itemtype", _MICRODATA)

    @cached_property
    def declares_rdfa(self) -> bool:
        if not self.contains(b"typeof"):  # an RDFa product is a typed node
            return False
        return any(self._attribute_matches(name, pattern) for name, pattern in _RDFA)

    def _attribute_matches(self, name: bytes, pattern: re.Pattern[bytes]) -> bool:
        """Whether `pattern` matches where the attribute `name` starts a word in the page."""
        body = self.body
        at = body.find(name)
        while at >= 0:
            if (at == 0 or body[at - 1] not in _WORD_BYTES) and pattern.match(body, at):
                return True
            at = body.find(name, at + len(name))
        return False

    @cached_property
    def tree(self) -> Any:
        """The page's DOM (lxml), parsed once, or None for a page lxml cannot read."""
        self.dom_builds += 1
        body = self.body
        if body[:512].lstrip().startswith(b"<?xml"):  # a slice: lstrip copies
            body = re.sub(rb"^\s*<\?xml[^>]*\?>", b"", body)
        try:
            root = etree.fromstring(body, parser=_parser(self.encoding))
        except LookupError:
            # A charset Python knows and libxml2 does not (Python's "euc_jp"): decode here.
            root = self._parse_decoded(body)
        except (etree.ParserError, etree.XMLSyntaxError, ValueError):
            return None
        if root is None or not isinstance(root.tag, str):
            return None
        return root

    def _parse_decoded(self, body: bytes) -> Any:
        text = body.decode(self.encoding, errors="replace").encode("utf-8")
        try:
            return etree.fromstring(text, parser=_parser("utf-8"))
        except (etree.ParserError, etree.XMLSyntaxError, ValueError):
            return None
