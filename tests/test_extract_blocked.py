"""The bot-check and scripted-price checks: fast scans that mean what their plain regexes mean."""

from __future__ import annotations

import re
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tracker.domain import ExtractHints
from tracker.extract.blocked import scripted_price
from tracker.extract.page import Page

PAGES = sorted((Path(__file__).parent / "fixtures" / "pages").glob("*.htm*"))
# What scripted_price() means, as one regex over the lower-cased page (too slow to run for real).
REFERENCE = re.compile(
    rb"\{\{[^}]{0,60}price|(?:data-bind|v-text|ng-bind|x-text)=[\"'][^\"']{0,80}price|"
    rb"class=[\"'][^\"'>]{0,80}price[^\"'>]{0,80}[\"'][^<>]{0,200}>\s*</"
)
PIECES = [
    b"price",
    b"Price",
    b'class="',
    b"class='",
    b'"',
    b"'",
    b">",
    b"<",
    b"</span>",
    b"  ",
    b"{{",
    b"}",
    b"data-bind=",
    b"v-text=",
    b"x-text=",
    b"ng-bind=",
    b"amount ",
    b"x" * 70,
]


def scripted(body: bytes) -> bool:
    return scripted_price(Page(body, "https://shop.example/p", ExtractHints()))


def test_the_scan_agrees_with_the_reference_on_the_corpus() -> None:
    for path in PAGES:
        body = path.read_bytes()
        assert scripted(body) == (REFERENCE.search(body.lower()) is not None), path.name


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=30))
def test_the_scan_agrees_with_the_reference_on_random_markup(pieces: list[bytes]) -> None:
    body = b"".join(pieces)
    assert scripted(body) == (REFERENCE.search(body.lower()) is not None)


def test_examples() -> None:
    assert scripted(b'<span class="product-price"></span>')
    assert scripted(b'<span class="Price js-price" data-x="1">  </span>')
    assert scripted(b"<p>{{ product.price | money }}</p>")
    assert scripted(b'<b x-text="item.price"></b>')
    assert not scripted(b'<span class="price">$75.00</span>')
    assert not scripted(b"<p>The price is right</p>")
