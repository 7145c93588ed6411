"""Page's cheap views: the microdata and RDFa markers mean what their plain regexes mean."""

from __future__ import annotations

import re
from pathlib import Path

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
