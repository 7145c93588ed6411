"""Page's cheap views: the microdata and RDFa markers mean what their plain regexes mean."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain import ExtractHints
from tracker.extract.page import Page

CORPORA = [Path(__file__).parent / "fixtures" / name for name in ("pages", "shops")]
BODIES = [p.read_bytes() for folder in CORPORA for p in sorted(folder.glob("*.htm*"))]
# The markers as single regexes over the whole page (too slow to run for real: a case-blind
# pattern tries every byte). Attribute names are matched as written (lower case) at a word start.
MICRODATA = re.compile(rb"(?<![\w])itemtype(?i:\s*=\s*[\"']?https?://(?:www\.)?schema\.org/)")
RDFA = re.compile(
    rb"""(?<![\w])(?:vocab(?i:\s*=\s*["']?https?://schema\.org)|"""
    rb"""typeof(?i:\s*=\s*["'][^"']*\b(?:schema:)?(?:Product|Offer)\b)|"""
    rb"""property(?i:\s*=\s*["'](?:schema:)?(?:price|offers)["']))"""
)
PIECES = [
    b"itemtype",
    b"typeof",
    b"vocab",
    b"property",
    b"=",
    b" = ",
    b'"',
    b"'",
    b"https://schema.org/",
    b"http://www.schema.org/",
    b"Product",
    b"schema:Offer",
    b"price",
    b"offers",
    b"data-",
    b"x",
    b" ",
    b"<div ",
    b">",
]


def page(body: bytes) -> Page:
    return Page(body, "https://shop.example/p", ExtractHints())


def test_the_markers_agree_with_the_reference_on_both_corpora() -> None:
    for body in BODIES:
        assert page(body).has_microdata == (MICRODATA.search(body) is not None)
        typed = b"typeof" in body
        assert page(body).declares_rdfa == (typed and RDFA.search(body) is not None)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=24))
def test_the_markers_agree_with_the_reference_on_random_markup(pieces: list[bytes]) -> None:
    body = b"".join(pieces)
    assert page(body).has_microdata == (MICRODATA.search(body) is not None)
    assert page(body).declares_rdfa == (b"typeof" in body and RDFA.search(body) is not None)


def test_script_typeof_is_no_rdfa() -> None:
    script = b"<script>if (typeof window.x === 'undefined') { x = 1 }</script>" * 200
    assert not page(script).declares_rdfa
    assert page(script + b'<div vocab="https://schema.org/" typeof="Product">').declares_rdfa


@pytest.mark.parametrize(
    ("html", "url", "hint", "first"),
    [
        ('<html lang="zh-Hant-TW"><body></body></html>', "https://www.gomaji.com/p", None, "TWD"),
        ('<html lang="en"><body></body></html>', "https://shop.example.ca/p", None, "CAD"),
        ("<html><body></body></html>", "https://www.shop.co.uk/p", None, "GBP"),
        ('<html lang="ja"><body></body></html>', "https://shop.example/p", None, "JPY"),
        (
            '<html><head><meta property="og:locale" content="es_CL"></head></html>',
            "https://www.puntoticket.com/evento",
            None,
            "CLP",
        ),
        (
            '<html lang="es"><script>var ga = {currency: "CLP"};</script></html>',
            "https://www.puntoticket.com/evento",
            None,
            "CLP",
        ),
        ('<html lang="en-AU"><body></body></html>', "https://shop.example.ca/p", "NZD", "NZD"),
    ],
    ids=[
        "language tag",
        "country domain",
        "a .co.uk",
        "a language alone",
        "og:locale",
        "a currency the page's script declares",
        "the vendor's currency first",
    ],
)
def test_the_currency_context_of_a_page(html: str, url: str, hint: str | None, first: str) -> None:
    page = Page(html.encode(), url, ExtractHints(currency=hint))
    assert next(iter(page.currency_context)) == first


def test_the_currency_context_is_computed_only_when_a_symbol_needs_it() -> None:
    page = Page(
        b'<html lang="en-CA"><p>$5</p></html>', "https://shop.example/p", ExtractHints("USD")
    )
    context = page.currency_context
    assert next(iter(context)) == "USD"
    assert context._rest is None  # the rest is read only past the vendor's own currency
    assert "CAD" in context and context._rest is not None


def test_meta_tags_and_json_ld_come_from_the_tree_not_from_script_text() -> None:
    body = (
        b'<html><head><meta property="og:title" content="Cortexin">'
        b'<script>var s = \'<meta property="og:title" content="Fake">\';</script>'
        b'<script type="application/ld+json">{"@type": "Product"}</script></head></html>'
    )
    page = Page(body, "https://shop.example/p", ExtractHints())
    assert page.meta["og:title"] == ["Cortexin"]
    assert page.json_ld_texts == ['{"@type": "Product"}']
