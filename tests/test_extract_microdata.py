"""The microdata reader: the HTML microdata rules, and agreement with extruct on real shapes."""

from __future__ import annotations

import importlib.util
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tracker.domain import Availability, ExtractHints, Offer
from tracker.extract import microdata
from tracker.extract.jsonld import main_offers, product_name
from tracker.extract.page import Page
from tracker.extract.scope import in_other_area

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "fixtures" / "pages"
URL = "https://shop.example/products/cortexin"
HINTS = ExtractHints(currency="USD")


def page_of(html: str) -> Page:
    return Page(html.encode("utf-8"), URL, HINTS)


def items(html: str) -> list[dict[str, Any]]:
    return microdata.read_items(page_of(html).tree, URL)


def product(body: str, itemtype: str = "https://schema.org/Product") -> str:
    return f'<html><body><div itemscope itemtype="{itemtype}">{body}</div></body></html>'


# ---- the reader ---------------------------------------------------------------------------


def test_nested_items_become_nested_nodes() -> None:
    found = items(
        product(
            '<h1 itemprop="name">Cortexin</h1>'
            '<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
            '<meta itemprop="priceCurrency" content="USD">'
            '<div itemprop="priceSpecification" itemscope '
            'itemtype="https://schema.org/UnitPriceSpecification">'
            '<span itemprop="price">75.00</span></div></div>'
            '<span itemprop="sku">CTX-10</span>'
        )
    )
    assert found == [
        {
            "@type": ["Product"],
            "name": "Cortexin",
            "offers": {
                "@type": ["Offer"],
                "priceCurrency": "USD",
                "priceSpecification": {"@type": ["UnitPriceSpecification"], "price": "75.00"},
            },
            "sku": "CTX-10",
        }
    ]


def test_a_nested_item_is_not_read_again_at_the_top() -> None:
    found = items(
        product('<div itemprop="offers" itemscope itemtype="https://schema.org/Offer"></div>')
    )
    assert len(found) == 1
    assert found[0]["offers"] == {"@type": ["Offer"], "@value": ""}


def test_an_item_inside_an_item_without_itemprop_stands_alone() -> None:
    found = items(
        product(
            '<span itemprop="name">Main</span>'
            '<div itemscope itemtype="https://schema.org/Product">'
            '<span itemprop="name">Other</span></div>'
        )
    )
    assert [node["name"] for node in found] == ["Main", "Other"]


def test_several_names_in_one_itemprop_and_repeated_names() -> None:
    found = items(
        product(
            '<h1 itemprop="name alternateName">Cortexin</h1>'
            '<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
            '<span itemprop="price">75</span></div>'
            '<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
            '<span itemprop="price">45</span></div>'
        )
    )
    node = found[0]
    assert node["name"] == node["alternateName"] == "Cortexin"
    assert [offer["price"] for offer in node["offers"]] == ["75", "45"]


def test_several_types_are_kept_short() -> None:
    found = items(product("", "https://schema.org/Product http://schema.org/IndividualProduct"))
    assert found[0]["@type"] == ["Product", "IndividualProduct"]


@pytest.mark.parametrize(
    ("element", "value"),
    [
        ('<meta itemprop="v" content="49.5">', "49.5"),
        ('<meta itemprop="v">', ""),
        ('<link itemprop="v" href="https://schema.org/InStock">', "https://schema.org/InStock"),
        (
            '<link itemprop="v" href=" http://schema.org/OutOfStock ">',
            "http://schema.org/OutOfStock",
        ),
        ('<a itemprop="v" href="/products/axo">Axo</a>', "https://shop.example/products/axo"),
        ('<area itemprop="v" href="axo">', "https://shop.example/products/axo"),
        ('<img itemprop="v" src=" /img/a.jpg ">', "https://shop.example/img/a.jpg"),
        ('<video itemprop="v" src="/v.mp4"></video>', "https://shop.example/v.mp4"),
        ('<iframe itemprop="v" src="/embed"></iframe>', "https://shop.example/embed"),
        ('<object itemprop="v" data="/o.bin"></object>', "https://shop.example/o.bin"),
        ('<a itemprop="v" href="//[::1">broken</a>', "//[::1"),  # urljoin raises: kept as written
        ('<time itemprop="v" datetime="2026-02-01">1 Feb</time>', "2026-02-01"),
        ('<data itemprop="v" value="75">seventy-five</data>', "75"),
        ('<meter itemprop="v" value="4.5">4.5 of 5</meter>', "4.5"),
        ('<span itemprop="v" content="33.00">$33.00</span>', "33.00"),
        ('<div itemprop="v" content="InStock">In stock</div>', "InStock"),
        ('<span itemprop="v" content="">12 in stock</span>', "12 in stock"),
        (
            '<span itemprop="v"> $ <b>33</b>.00\n'
            "<script>var x = 1;</script><style>b{}</style></span>",
            "$ 33.00",
        ),
        ("<span itemprop='v'><!-- hidden -->Axo <i>Focus</i></span>", "Axo Focus"),
        ('<span itemprop="v"></span>', ""),
    ],
)
def test_property_values_follow_the_microdata_rules(element: str, value: str) -> None:
    assert items(product(element))[0]["v"] == value


def test_itemref_adds_properties_from_elsewhere() -> None:
    html = (
        "<html><body>"
        '<div itemscope itemtype="https://schema.org/Product" itemref="buy missing offer">'
        '<h1 itemprop="name">Cortexin</h1></div>'
        '<div id="buy"><span itemprop="sku">CTX</span>'
        '<div itemscope itemtype="https://schema.org/Brand"><span itemprop="name">Geropharm</span>'
        "</div></div>"
        '<div id="offer" itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
        '<meta itemprop="price" content="75"></div>'
        "</body></html>"
    )
    found = items(html)
    assert found[0] == {
        "@type": ["Product"],
        "name": "Cortexin",
        "sku": "CTX",
        "offers": {"@type": ["Offer"], "price": "75"},
    }
    # The brand item has no itemprop: it stands alone; the offer was read through the itemref.
    assert [node["@type"] for node in found] == [["Product"], ["Brand"]]


def test_itemref_cycles_end() -> None:
    html = (
        '<html><body><div id="a" itemscope itemtype="https://schema.org/Product" itemref="a b">'
        '<span itemprop="name">X</span></div>'
        '<div id="b" itemprop="isRelatedTo" itemscope itemref="a b"><span itemprop="name">Y</span>'
        "</div></body></html>"
    )
    found = items(html)
    assert found[0]["name"] == "X"
    assert found[0]["isRelatedTo"]["name"] == "Y"
    assert found[0]["isRelatedTo"]["isRelatedTo"] is None  # already read: not read again


def test_items_in_related_areas_are_skipped() -> None:
    html = (
        "<html><body><main>"
        + product(
            '<h1 itemprop="name">Cortexin</h1>'
            '<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
            '<span itemprop="price" content="75.00">$75.00</span>'
            '<meta itemprop="priceCurrency" content="USD">'
            '<link itemprop="availability" href="https://schema.org/InStock"></div>'
        )
        + '<section class="related-products">'
        + product(
            '<span itemprop="name">Axo Focus</span><span itemprop="offers" itemscope '
            'itemtype="https://schema.org/Offer"><meta itemprop="price" content="19.00">'
            '<meta itemprop="priceCurrency" content="USD"></span>'
        )
        + "</section></main></body></html>"
    )
    offers = microdata.microdata_offers(page_of(html))
    assert offers == [
        Offer(
            price=Decimal("75.00"),
            currency="USD",
            availability=Availability.IN_STOCK,
            name="Cortexin",
            raw_price="75.00",
        )
    ]


def test_a_page_whose_only_product_is_related_has_none() -> None:
    html = (
        '<html><body><aside><div itemscope itemtype="https://schema.org/Product">'
        '<span itemprop="name">Axo</span><meta itemprop="price" content="9">'
        '<meta itemprop="priceCurrency" content="USD"></div></aside></body></html>'
    )
    assert microdata.microdata_offers(page_of(html)) == []


def test_price_with_content_attribute_beats_the_text() -> None:
    html = product(
        '<span itemprop="name">Syn Core</span>'
        '<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">'
        '<span itemprop="price" content="1234.50">1.234,50 €</span>'
        '<span itemprop="priceCurrency" content="EUR">€</span></div>'
    )
    offers = microdata.microdata_offers(page_of(html))
    assert offers is not None and len(offers) == 1
    assert (offers[0].price, offers[0].currency) == (Decimal("1234.50"), "EUR")


MALFORMED = [
    "",
    "<html>",
    "<div itemscope>",
    '<div itemprop="">x</div>',
    '<div itemprop="   " itemscope itemtype="">',
    '<div itemscope itemtype="  https://schema.org/Product  " itemref="">',
    '<div itemscope itemref="nope nope nope"><span itemprop=name>x',
    '<span itemprop="price">' + "9" * 500,
    '<div itemscope itemtype="https://schema.org/Product"><a itemprop="url" href="http://[x">',
    '<div itemscope itemtype="https://schema.org/Product"><meta itemprop="offers">',
    "<table><div itemscope><tr itemprop=offers itemscope><td itemprop=price>1</td></tr></div>",
    '<div itemscope itemprop="x" itemtype="https://schema.org/Offer">' * 3000,
    '<div id="r" itemscope itemref="r"><div itemprop="a" itemscope itemref="r">' * 50,
    '<svg itemscope><g itemprop="name">x</g></svg><math itemprop="price">1</math>',
]


@pytest.mark.parametrize("html", MALFORMED)
def test_malformed_markup_never_raises(html: str) -> None:
    page = page_of(html)
    if page.tree is not None:
        assert isinstance(microdata.read_items(page.tree, URL), list)
    result = microdata.microdata_offers(page)
    assert result is None or isinstance(result, list)


_ATTRIBUTES = st.sampled_from(
    [
        "itemscope",
        'itemtype="https://schema.org/Product"',
        'itemtype="https://schema.org/Offer"',
        'itemprop="offers"',
        'itemprop="price"',
        'itemprop="name priceCurrency"',
        'itemref="a b"',
        'id="a"',
        'id="b"',
        'content="12.50"',
        'class="related"',
        'href="/x"',
    ]
)
_TAGS = st.sampled_from(["div", "span", "meta", "link", "a", "table", "td", "p", "script"])


@st.composite
def microdata_soup(draw: st.DrawFn) -> str:
    parts = []
    for _ in range(draw(st.integers(1, 30))):
        tag = draw(_TAGS)
        attributes = " ".join(draw(st.lists(_ATTRIBUTES, max_size=4)))
        parts.append(draw(st.sampled_from([f"<{tag} {attributes}>", f"</{tag}>", "USD 7,5"])))
    return "".join(parts)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(microdata_soup())
def test_random_microdata_never_raises(html: str) -> None:
    result = microdata.microdata_offers(page_of(html))
    assert result is None or isinstance(result, list)


# ---- agreement with extruct's reader --------------------------------------------------------


def _from_extruct(item: Any, depth: int = 0) -> Any:
    """extruct's item shape to JSON-LD-shaped nodes, as the extraction read it before."""
    if isinstance(item, list):
        return [_from_extruct(v, depth) for v in item]
    if not isinstance(item, dict) or depth > 8:
        return item
    node: dict[str, Any] = {"@type": microdata._short_type(item.get("type"))}
    for key, value in (item.get("properties") or {}).items():
        node[key] = _from_extruct(value, depth + 1)
    if "value" in item and not node.get("name"):
        node.setdefault("@value", item["value"])
    return node


def _extruct_products(page: Page) -> list[dict[str, Any]]:
    from extruct.w3cmicrodata import LxmlMicrodataExtractor

    found = LxmlMicrodataExtractor(add_html_node=True).extract_items(page.tree, page.url)
    products = []
    for item in found:
        if not in_other_area(item["htmlNode"]):
            products.extend(microdata._products_in(_from_extruct(item)))
    return products


def _our_products(page: Page) -> list[dict[str, Any]]:
    memo: dict[object, bool] = {}
    nodes = microdata.read_items(page.tree, page.url, skip=lambda e: in_other_area(e, memo))
    return [p for node in nodes for p in microdata._products_in(node)]


def _squash(text: str | None) -> str | None:
    # extruct's text puts spaces between inline elements ("$ 33"); ours is the text content.
    return None if text is None else "".join(text.split())


def _comparable(offers: list[Offer] | None) -> list[tuple[Any, ...]] | None:
    if offers is None:
        return None
    return [
        (
            o.price,
            o.currency,
            o.availability,
            _squash(o.name),
            _squash(o.variant),
            o.sku,
            o.regular_price,
            o.url,
            _squash(o.raw_price),
        )
        for o in offers
    ]


def _bench_padding() -> Any:
    spec = importlib.util.spec_from_file_location("extract_bench", ROOT / "bench/extract_bench.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.padded


OFFER = (
    '<div itemprop="offers" itemscope itemtype="https://schema.org/Offer">{}'
    '<meta itemprop="priceCurrency" content="USD"></div>'
)
SHAPES = {
    "variants": product(
        '<h1 itemprop="name">Cortexin</h1>'
        + OFFER.format(
            '<span itemprop="name">10 x 10 mg</span><meta itemprop="price" content="75">'
            '<span itemprop="sku">A</span>'
        )
        + OFFER.format(
            '<span itemprop="name">10 x 5 mg</span><meta itemprop="price" content="45">'
            '<link itemprop="availability" href="http://schema.org/OutOfStock">'
        )
    ),
    "aggregate": product(
        '<span itemprop="name">Axo</span><div itemprop="offers" itemscope '
        'itemtype="https://schema.org/AggregateOffer"><span itemprop="lowPrice">19.90</span>'
        '<meta itemprop="priceCurrency" content="EUR"></div>'
    ),
    "price-specification": product(
        '<span itemprop="name">Axo</span>'
        + OFFER.format(
            '<div itemprop="priceSpecification" itemscope '
            'itemtype="https://schema.org/UnitPriceSpecification">'
            '<span itemprop="price">12.00</span></div>'
        )
    ),
    "itemref": (
        '<html><body><div itemscope itemtype="https://schema.org/Product" itemref="p">'
        '<h1 itemprop="name">Axo</h1></div><div id="p" itemprop="offers" itemscope '
        'itemtype="https://schema.org/Offer"><span itemprop="price">$ 12.00</span></div>'
        "</body></html>"
    ),
    "url-and-carousel": (
        "<html><body>"
        + product(
            '<a itemprop="url" href="/products/cortexin">Cortexin</a>'
            '<span itemprop="name">Cortexin</span>'
            + OFFER.format('<span itemprop="price">75</span>')
        )
        + '<div class="owl-carousel">'
        + product('<span itemprop="name">Other</span>' + OFFER.format('<b itemprop="price">5</b>'))
        + "</div></body></html>"
    ),
    "two-products": (
        "<html><body>"
        + product('<span itemprop="name">One</span>' + OFFER.format('<b itemprop="price">5</b>'))
        + product('<span itemprop="name">Two</span>' + OFFER.format('<b itemprop="price">6</b>'))
        + "</body></html>"
    ),
    "offer-at-top": (
        '<html><body><h1>Axo</h1><div itemscope itemtype="https://schema.org/Offer">'
        '<meta itemprop="price" content="8.00"><meta itemprop="priceCurrency" content="GBP">'
        '<link itemprop="availability" href="https://schema.org/PreOrder"></div></body></html>'
    ),
}


def _agreement_cases() -> list[Any]:
    padded = _bench_padding()
    cases = []
    for n, path in enumerate(sorted(PAGES.glob("*.htm*"))):
        body = path.read_bytes()
        if b"itemscope" in body:
            cases.append(pytest.param(body, id=path.name))
            cases.append(pytest.param(padded(body, n), id=f"{path.name}-padded"))
    for name, html in SHAPES.items():
        cases.append(pytest.param(html.encode("utf-8"), id=name))
    return cases


@pytest.mark.parametrize("body", _agreement_cases())
def test_the_reader_agrees_with_extruct(body: bytes) -> None:
    page = Page(body, URL, HINTS)
    ours, theirs = _our_products(page), _extruct_products(page)
    assert [_squash(product_name(p)) for p in ours] == [_squash(product_name(p)) for p in theirs]
    expected = _comparable(main_offers(theirs, page))
    assert _comparable(microdata.microdata_offers(page)) == expected
    assert expected != []  # every case here has a product with a price
