"""What a rendered page must show readers about its affiliate links and prices.

Pure: a page's text and a `Context` (what the catalog says about links) in, findings out. The
rules, each checked over the whole page (the boxes and the hand-written text alike):

- every affiliate link carries ``rel="sponsored"`` (Google's and the FTC's ask);
- every price in a box shows the time it was read (``<time datetime>`` with its zone);
- a disclosure stands before the first affiliate link of the page;
- a price next to a link to Amazon came from Amazon's API (its programme forbids any other).

`tracker render --check` runs them on the output each article would get (tests/test_compliance.py
holds a table of cases).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import parse_qs, urlsplit

import lxml.html
from lxml import etree

from tracker.urls import host_key

DISCLOSURE_CLASSES = frozenset({"tracker-buy__disclosure", "tracker-disclosure"})
PRICE_CLASS = "tracker-offer__price"
ROW_CLASS = "tracker-offer"
BOX_CLASS = "tracker-buy"
# Amazon's storefronts and short links: amazon.com, amazon.co.uk, smile.amazon.de, amzn.to, a.co.
_AMAZON_HOST = re.compile(r"(?:^|\.)(?:amazon\.[a-z]{2,3}(?:\.[a-z]{2})?|amzn\.[a-z]{2,4}|a\.co)$")
# Markdown's own link syntax, which cannot carry rel: [text](url) and <url>.
_MARKDOWN_LINK = re.compile(r"\]\(\s*<?(https?://[^\s)>]+)|<(https?://[^\s>]+)>")


@dataclass(frozen=True)
class Outbound:
    """Where one rendered link leads, and whether its vendor is priced by Amazon's API."""

    destination: str
    amazon_api: bool = False


@dataclass(frozen=True)
class Context:
    """What the catalog says about links: its vendors' hosts and each listing's link."""

    # host_key()s of the vendors' sites, their affiliate templates and their listings' links.
    affiliate_hosts: frozenset[str] = frozenset()
    # Each listing's link as a box renders it (its affiliate URL, or PUBLIC_URL/go/ID).
    listings: Mapping[str, Outbound] = field(default_factory=dict)
    # The site's counted redirects: "https://example.org/go/" (and "/go/" on the page's host).
    go_prefixes: tuple[str, ...] = ("/go/",)
    # Texts that disclose the affiliate links (the site's disclosure line).
    disclosures: tuple[str, ...] = ()


@dataclass(frozen=True, order=True)
class Finding:
    line: int
    rule: str  # sponsored, as-of, disclosure, amazon
    message: str
    disclosure_line: int = 0  # where the late disclosure is (rule "disclosure")


def is_amazon_host(url: str) -> bool:
    host = host_key(url)
    return host is not None and bool(_AMAZON_HOST.search(host.split(":")[0]))


def is_affiliate_link(href: str, context: Context) -> bool:
    """A link that earns the site money: a listing's, a vendor's host, /go/, an Associates tag."""
    href = href.strip()
    if href in context.listings or any(href.startswith(p) for p in context.go_prefixes):
        return True
    if not href.lower().startswith(("http://", "https://", "//")):
        return False
    url = href if not href.startswith("//") else "https:" + href
    host = host_key(url)
    if host is None:
        return False
    if any(host == h or host.endswith("." + h) for h in context.affiliate_hosts):
        return True
    try:
        query = parse_qs(urlsplit(url).query)
    except ValueError:
        return False
    return is_amazon_host(url) and "tag" in query


def _classes(element: etree._Element) -> set[str]:
    return set((element.get("class") or "").split())


def _ancestor(element: etree._Element, name: str) -> etree._Element | None:
    for parent in element.iterancestors():
        if name in _classes(parent):
            return parent
    return None


def _has_zone(value: str) -> bool:
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def check_page(text: str, context: Context, *, markdown: bool = False) -> list[Finding]:
    """The findings of one page as it would be written (HTML, or Markdown with HTML in it)."""
    if not text.strip():
        return []
    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, encoding="utf-8")
    try:  # bytes: an XHTML page may declare its encoding, which lxml refuses in a str
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except etree.ParserError:
        return []  # nothing but comments: no link, no price
    findings: list[Finding] = []
    links: list[tuple[tuple[int, int], str]] = []  # (line, order), href of affiliate links
    disclosures: list[tuple[int, int]] = []
    wanted = [_normal(d) for d in context.disclosures if d.strip()]
    for order, element in enumerate(root.iter()):
        if not isinstance(element.tag, str) or element.tag in {"script", "style"}:
            continue
        line = element.sourceline or 1
        own = _normal(element.text or "")
        tail = _normal(element.tail or "")
        if (_classes(element) & DISCLOSURE_CLASSES and _normal(element.text_content())) or (
            own and any(d in own for d in wanted)
        ):
            disclosures.append((line, order))
        if tail and any(d in tail for d in wanted):
            disclosures.append((line, order + 1))
        if element.tag == "a" and element.get("href"):
            href = element.get("href", "")
            in_box = _ancestor(element, BOX_CLASS) is not None
            if in_box or is_affiliate_link(href, context):
                links.append(((line, order), href))
                rel = (element.get("rel") or "").lower().split()
                if "sponsored" not in rel:
                    findings.append(
                        Finding(
                            line,
                            "sponsored",
                            f'affiliate link without rel="sponsored": {href[:120]}',
                        )
                    )
        if PRICE_CLASS in _classes(element):
            findings.extend(_price_findings(element, line, context))
    if markdown:
        for match in _MARKDOWN_LINK.finditer(text):
            href = match.group(1) or match.group(2)
            if is_affiliate_link(href, context):
                line = text.count("\n", 0, match.start()) + 1
                links.append(((line, -1), href))
                findings.append(
                    Finding(
                        line,
                        "sponsored",
                        "affiliate link in Markdown syntax, which cannot carry "
                        f'rel="sponsored" (write it as <a rel="sponsored">): {href[:120]}',
                    )
                )
    if links:
        first_at, first = min(links)
        if not disclosures:
            findings.append(
                Finding(first_at[0], "disclosure", "affiliate links without a disclosure")
            )
        elif min(disclosures) > first_at:
            findings.append(
                Finding(
                    first_at[0],
                    "disclosure",
                    f"the disclosure comes after the first affiliate link: {first[:120]}",
                    min(disclosures)[0],
                )
            )
    return sorted(findings)


def _price_findings(price: etree._Element, line: int, context: Context) -> list[Finding]:
    """A shown price needs its as-of time; next to an Amazon link, it must be Amazon's own."""
    row = _ancestor(price, ROW_CLASS)
    scope = row if row is not None else price.getparent()
    found = []
    times = [] if scope is None else [t.get("datetime", "") for t in scope.iter("time")]
    if not any(_has_zone(value) for value in times):
        shown = _normal(price.text_content())[:40]
        found.append(
            Finding(
                line, "as-of", f"price {shown} without its as-of time (<time datetime> with zone)"
            )
        )
    hrefs = [] if scope is None else [a.get("href", "") for a in scope.iter("a")]
    for href in hrefs:
        outbound = context.listings.get(href.strip(), Outbound(href.strip()))
        if is_amazon_host(outbound.destination) and not outbound.amazon_api:
            found.append(
                Finding(
                    line,
                    "amazon",
                    "a price beside a link to Amazon that did not come from Amazon's API "
                    "(make the vendor kind: amazon-api, or display: {link_only: true})",
                )
            )
            break
    return found


def line_mapper(source: str, rendered: str) -> Callable[[int], int]:
    """Map a line of the rendered page to the line of the article as written.

    Lines the render kept map to their own line; the lines of a filled box map to the line
    of its opening marker.
    """
    before, after = source.splitlines(), rendered.splitlines()
    table: dict[int, int] = {}
    matcher = difflib.SequenceMatcher(None, before, after, autojunk=False)
    for tag, i1, _i2, j1, j2 in matcher.get_opcodes():
        for offset, j in enumerate(range(j1, j2)):
            table[j + 1] = (i1 + offset + 1) if tag == "equal" else max(i1, 1)
    return lambda line: table.get(line, line)
