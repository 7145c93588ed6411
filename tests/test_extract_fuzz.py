"""Random and mutated pages: extraction never raises, and what it publishes is always sound."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from babel.numbers import list_currencies
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.domain import CheckStatus, ExtractHints, ExtractResult, PageSelectors
from tracker.extract import extract

PAGES = sorted((Path(__file__).parent / "fixtures" / "pages").glob("*.htm*"))
BODIES = [p.read_bytes() for p in PAGES]
CURRENCIES = set(list_currencies())
FRAGMENTS = [
    b"<",
    b">",
    b"</div>",
    b'<div class="price">',
    b"<del>",
    b"<h1>",
    b"</script>",
    b'<script type="application/ld+json">',
    b'{"@type":"Product","offers":{"price":',
    b'"priceCurrency":"XX"',
    b"$0.00",
    b"-12,50 \xe2\x82\xac",
    b"1e999",
    b"NaN",
    b"\x00",
    b"\xff\xfe",
    b"&quot;",
    b"<!--",
    b"itemscope",
    b'itemprop="price"',
    b'data-product_variations="',
    b"\xe2\x82\xbd",
    b"Just a moment",
    b"{{ price }}",
    b"x" * 300,
    b"9" * 40,
]
HINTS = [
    ExtractHints(),
    ExtractHints(currency="USD"),
    ExtractHints(currency="EUR", decimal_separator=","),
    ExtractHints(currency="GBP", heuristic=False),
    ExtractHints(
        currency="USD",
        selectors=PageSelectors(price=".price", variant_rows="//tr", variant_price="td[2]"),
    ),
]


def assert_sound(result: ExtractResult) -> None:
    assert isinstance(result.status, CheckStatus)
    if result.status is CheckStatus.OK:
        assert result.offers and result.source
        for offer in result.offers:
            assert isinstance(offer.price, Decimal) and offer.price > 0
            assert offer.price.is_finite()
            assert offer.currency in CURRENCIES
    else:
        assert result.offers == ()


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    body = bytearray(draw(st.sampled_from(BODIES)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(body)))
        kind = draw(st.sampled_from(["cut", "insert", "copy", "bytes"]))
        if kind == "cut":
            del body[at : at + draw(st.integers(1, 400))]
        elif kind == "insert":
            body[at:at] = draw(st.sampled_from(FRAGMENTS))
        elif kind == "copy":
            start = draw(st.integers(0, len(body)))
            body[at:at] = body[start : start + draw(st.integers(1, 800))]
        else:
            body[at:at] = draw(st.binary(max_size=40))
    return bytes(body)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated(), st.sampled_from(HINTS))
def test_mutated_pages_never_raise(body: bytes, hints: ExtractHints) -> None:
    assert_sound(extract(body, "https://shop.example/products/cortexin", hints))


@settings(max_examples=150, deadline=None)
@given(
    st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=2000).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.lists(st.sampled_from(FRAGMENTS), max_size=30).map(b"".join),
    ),
    st.sampled_from(["https://shop.example/p", "https://shop.example/products/x.js", "not a url"]),
    st.sampled_from(HINTS),
)
def test_random_pages_never_raise(body: bytes, url: str, hints: ExtractHints) -> None:
    assert_sound(extract(body, url, hints))
