"""WooCommerce simple products: the summary's price HTML, and agreement with the XPath reading."""

from __future__ import annotations

import importlib.util
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tracker.domain import Availability, ExtractHints, Offer
from tracker.extract import woocommerce
from tracker.extract.availability import availability_from_text
from tracker.extract.page import Page, text_of
from tracker.extract.scope import in_other_area

ROOT = Path(__file__).resolve().parent.parent
PAGES = ROOT / "tests" / "fixtures" / "pages"
URL = "https://shop.example/products/neuro-calm"
HINTS = ExtractHints(currency="USD")


def amount(value: str) -> str:
    return (
        '<span class="woocommerce-Price-amount amount"><bdi>'
        f'<span class="woocommerce-Price-currencySymbol">&#36;</span>{value}</bdi></span>'
    )


def page_html(summary: str, around: str = "", summary_class: str = "summary entry-summary") -> str:
    return (
        '<html><head><link rel="stylesheet" href="/woocommerce.css"></head><body><main>'
        '<div class="product type-product"><h1>Neuro Calm</h1>'
        f'<div class="{summary_class}">{summary}</div>{around}</div></main></body></html>'
    )


SALE = f'<p class="price"><del>{amount("45.00")}</del> <ins>{amount("36.00")}</ins></p>'
RELATED = (
    '<section class="related products"><div class="summary">'
    f'<p class="price">{amount("9.00")}</p></div></section>'
)
SHAPES = {
    "simple": page_html(f'<p class="price">{amount("36.00")}</p><p class="stock in-stock">12</p>'),
    "sale": page_html(SALE),
    "sale-without-ins": page_html(
        f'<p class="price"><del>{amount("45.00")}</del> {amount("36.00")}</p>'
    ),
    "range": page_html(f'<p class="price">{amount("10.00")} – {amount("20.00")}</p>'),
    "no-amount": page_html('<p class="price">Call us</p>'),
    "out-of-stock-text": page_html(
        f'<p class="price">{amount("36.00")}</p><p class="stock">Sold out</p>'
    ),
    "backorder-class": page_html(
        f'<p class="price">{amount("36.00")}</p><p class="stock available-on-backorder">x</p>'
    ),
    "tabbed-class": page_html(
        f'<p class="price">{amount("36.00")}</p>', summary_class="summary\tentry-summary"
    ),
    "only-related": page_html("", around=RELATED, summary_class="gallery"),
    "related-first": page_html(SALE).replace("<main>", f"<main>{RELATED}"),
    "nested-price": page_html(
        f'<div class="price-wrap price"><span class="price">{amount("36.00")}</span></div>'
    ),
    "block-theme": (
        '<html><body><main><div class="wp-block-group"><h1>Neuro Calm</h1>'
        f'<div class="wp-block-woocommerce-product-price"><div class="price">{amount("36.00")}'
        "</div></div></div></main></body></html>"
    ),
    "block-theme-and-summary-inside": (
        # The block's parent comes first in document order, before the summary inside it.
        '<html><body><main><div class="wp-block-group"><div class="summary">'
        '<p class="stock out-of-stock">Out of stock</p></div>'
        f'<div class="wp-block-woocommerce-product-price"><div class="price">{amount("36.00")}'
        "</div></div></div></main></body></html>"
    ),
    "summary-token-only-in-word": page_html(
        f'<p class="price">{amount("36.00")}</p>', summary_class="order-summary-box"
    ),
    "all-struck": page_html(f'<del><p class="price">{amount("36.00")}</p></del>'),
}


@pytest.mark.parametrize(
    ("shape", "price", "regular", "availability"),
    [
        ("simple", "36.00", None, Availability.IN_STOCK),
        ("sale", "36.00", "45.00", Availability.UNKNOWN),
        ("sale-without-ins", "36.00", "45.00", Availability.UNKNOWN),
        ("out-of-stock-text", "36.00", None, Availability.OUT_OF_STOCK),
        ("backorder-class", "36.00", None, Availability.BACK_ORDER),
        ("tabbed-class", "36.00", None, Availability.UNKNOWN),
        ("related-first", "36.00", "45.00", Availability.UNKNOWN),
        ("nested-price", "36.00", None, Availability.UNKNOWN),
        ("block-theme", "36.00", None, Availability.UNKNOWN),
        ("block-theme-and-summary-inside", "36.00", None, Availability.OUT_OF_STOCK),
    ],
)
def test_simple_offers_read_the_summary(
    shape: str, price: str, regular: str | None, availability: Availability
) -> None:
    offers = woocommerce.simple_offers(Page(SHAPES[shape].encode(), URL, HINTS))
    assert offers is not None and len(offers) == 1
    offer = offers[0]
    assert (offer.price, offer.currency, offer.availability) == (
        Decimal(price),
        "USD",
        availability,
    )
    assert offer.regular_price == (Decimal(regular) if regular else None)


@pytest.mark.parametrize(
    "shape", ["range", "no-amount", "only-related", "summary-token-only-in-word", "all-struck"]
)
def test_simple_offers_without_one_clear_amount_say_nothing(shape: str) -> None:
    assert woocommerce.simple_offers(Page(SHAPES[shape].encode(), URL, HINTS)) == []


# ---- agreement with the XPath reading this replaced ------------------------------------------

_CLASS = "contains(concat(' ', normalize-space(@class), ' '), ' {} ')"
_AMOUNT = "//*[contains(@class, 'woocommerce-Price-amount')]"


def _xpath_simple_offers(page: Page) -> list[Offer]:
    """The previous implementation, kept as the reference for the single-pass one."""
    tree = page.tree
    summaries = [
        s
        for s in tree.xpath(
            f"//div[{_CLASS.format('summary')}]"
            "|//div[contains(@class, 'entry-summary')]"
            "|//div[contains(@class, 'wp-block-woocommerce-product-price')]/.."
        )
        if not in_other_area(s)
    ]
    if not summaries:
        return []
    summary = summaries[0]
    prices = [p for p in summary.xpath(f".//*[{_CLASS.format('price')}]") if p.xpath(f".{_AMOUNT}")]
    if not prices:
        return []
    block = prices[0]
    hint, sep = page.hints.currency, page.hints.decimal_separator
    current = [woocommerce._amount(a, hint, sep) for a in block.xpath(f".//ins{_AMOUNT}")]
    struck = [woocommerce._amount(a, hint, sep) for a in block.xpath(f".//del{_AMOUNT}")]
    if not current:
        current = [
            woocommerce._amount(a, hint, sep)
            for a in block.xpath(f".{_AMOUNT}")
            if not a.xpath("ancestor::del")
        ]
    if len(current) != 1 or current[0] is None:
        return []
    price, currency, raw = current[0]
    regular = None
    if len(struck) == 1 and struck[0] is not None and struck[0][0] > price:
        regular = struck[0][0]
    availability = Availability.UNKNOWN
    for element in summary.xpath(f".//*[{_CLASS.format('stock')}]"):
        classes = set((element.get("class") or "").split())
        known = [a for css, a in woocommerce._STOCK_CLASSES.items() if css in classes]
        found = known[0] if known else availability_from_text(text_of(element))
        if found is not Availability.UNKNOWN:
            availability = found
            break
    return [
        Offer(
            price=price,
            currency=currency,
            availability=availability,
            name=page.h1 or None,
            regular_price=regular,
            source="woocommerce",
            raw_price=raw,
        )
    ]


def _agreement_cases() -> list[Any]:
    spec = importlib.util.spec_from_file_location("extract_bench", ROOT / "bench/extract_bench.py")
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    cases = []
    for n, path in enumerate(sorted(PAGES.glob("*.htm*"))):
        body = path.read_bytes()
        if b"woocommerce" in body:
            cases.append(pytest.param(body, id=path.name))
            cases.append(pytest.param(bench.padded(body, n), id=f"{path.name}-padded"))
    for name, html in SHAPES.items():
        cases.append(pytest.param(html.encode(), id=name))
    return cases


@pytest.mark.parametrize("body", _agreement_cases())
def test_the_single_pass_agrees_with_the_xpath_reading(body: bytes) -> None:
    page = Page(body, URL, HINTS)
    assert woocommerce.simple_offers(page) == _xpath_simple_offers(page)
