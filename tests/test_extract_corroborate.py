"""Corroboration: a machine-readable price is published only when the page bears it out.

Each case is a small page (structured data, and what the shopper sees) with the decision it
must get. The real ways real pages disagree are here: prices without tax or in another currency
in the data, stale meta tags, a sale shown only on the page, "was" classes that are not struck,
auction and "from" prices, prices of other products and of quantity tiers.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from tracker.domain import Availability, CheckStatus, ExtractHints
from tracker.extract import extract

URL = "https://shop.example/products/cortexin"


def page(body: str, *, jsonld: dict[str, object] | None = None, meta: str = "") -> bytes:
    script = f'<script type="application/ld+json">{json.dumps(jsonld)}</script>' if jsonld else ""
    return (
        f"<html><head><title>Cortexin | Shop</title>{meta}{script}</head><body>"
        '<header class="site-header"><span class="cart-total price">$0.00</span></header>'
        f'<main><div class="product"><h1>Cortexin</h1>{body}</div></main>'
        '<section class="related"><div class="product-card"><a href="/p/other">Other</a>'
        '<span class="price">$9.00</span></div></section></body></html>'
    ).encode()


def offer(price: str, currency: str = "USD", **more: object) -> dict[str, object]:
    return {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": "Cortexin",
        "offers": {"@type": "Offer", "price": price, "priceCurrency": currency, **more},
    }


CART = '<form action="/cart/add"><button>Add to cart</button></form>'
OG = (
    '<meta property="product:price:amount" content="{}">'
    '<meta property="product:price:currency" content="USD">'
)

CASES = [
    # (name, page, status, published prices, source)
    (
        "the data's price is shown: published",
        page(f'<p class="price">$75.00</p>{CART}', jsonld=offer("75.00")),
        "ok",
        ["75.00"],
        "json-ld",
    ),
    (
        "a sale shown with the data's price struck: the sale price",
        page(
            f'<p class="price"><del>$75.00</del> <ins>$60.00</ins></p>{CART}', jsonld=offer("75.00")
        ),
        "ok",
        ["60.00"],
        "heuristic",
    ),
    (
        "the data without tax, the page with it: the page's price",
        page(f'<p class="price">$90.00</p>{CART}', jsonld=offer("75.00")),
        "ok",
        ["90.00"],
        "heuristic",
    ),
    (
        "data in another currency: the page's price",
        page(f'<p class="price">€69.00</p>{CART}', jsonld=offer("75.00")),
        "ok",
        ["69.00"],
        "heuristic",
    ),
    (
        "nothing shown, one source: not corroborated",
        page(f'<p class="price js-price"></p>{CART}', jsonld=offer("75.00")),
        "ambiguous",
        [],
        None,
    ),
    (
        "nothing shown, two sources agree: published",
        page(
            f'<p class="price js-price"></p>{CART}', jsonld=offer("75.00"), meta=OG.format("75.00")
        ),
        "ok",
        ["75.00"],
        "json-ld",
    ),
    (
        "nothing shown, two sources disagree: ambiguous",
        page(
            f'<p class="price js-price"></p>{CART}', jsonld=offer("75.00"), meta=OG.format("70.00")
        ),
        "ambiguous",
        [],
        None,
    ),
    (
        "a stale meta tag contradicted by the page and the data",
        page(f'<p class="price">$75.00</p>{CART}', jsonld=offer("75.00"), meta=OG.format("99.00")),
        "ok",
        ["75.00"],
        "json-ld",
    ),
    (
        "a 'was' class that is not struck and not labelled: two prices, ambiguous",
        page(f'<p><span class="price">$75.00</span> <span class="price">$60.00</span></p>{CART}'),
        "ambiguous",
        [],
        None,
    ),
    (
        "the data's price shown only as 'from': not a price",
        page(f'<p class="price">From $75.00</p>{CART}', jsonld=offer("75.00")),
        "ambiguous",
        [],
        None,
    ),
    (
        "the data's price shown only per unit: the page's one price wins",
        page(
            f'<p class="price">$75.00</p><p class="unit-price">$7.50 / vial</p>{CART}',
            jsonld=offer("7.50"),
        ),
        "ok",
        ["75.00"],
        "heuristic",
    ),
    (
        "an instalment price is not the price",
        page(f'<p class="price">$75.00</p><p class="price">or 4 x $18.75</p>{CART}'),
        "ok",
        ["75.00"],
        "heuristic",
    ),
    (
        "a converted price ('approximately') is not the price",
        page(f'<p class="price">£60.00</p><p class="price">approximately $75.00</p>{CART}'),
        "ok",
        ["60.00"],
        "heuristic",
    ),
    (
        "a range in the data: no one price",
        page(
            f'<p class="price">$60.00</p>{CART}',
            jsonld={
                "@type": "Product",
                "name": "Cortexin",
                "offers": {
                    "@type": "AggregateOffer",
                    "lowPrice": "45",
                    "highPrice": "75",
                    "priceCurrency": "USD",
                },
            },
        ),
        "ambiguous",
        [],
        None,
    ),
    (
        "a range on the page: no one price",
        page(f'<p class="price">$45.00 – $75.00</p>{CART}'),
        "ambiguous",
        [],
        None,
    ),
    (
        "quantity tiers on the page: no one price",
        page(f'<p class="price">1 + $48.27</p><p class="price">6 + $45.85</p>{CART}'),
        "ambiguous",
        [],
        None,
    ),
    (
        "a related product's price is never the product's",
        page(f"{CART}<p>In stock</p>", jsonld=offer("9.00")),
        "ambiguous",
        [],
        None,
    ),
    (
        "a members' price is not the price",
        page(
            f'<p class="price">$16.50</p><p>Members pay <span class="price">$13.20</span></p>{CART}'
        ),
        "ok",
        ["16.50"],
        "heuristic",
    ),
]


@pytest.mark.parametrize(
    ("body", "status", "prices", "source"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_a_price_is_published_only_when_the_page_bears_it_out(
    body: bytes, status: str, prices: list[str], source: str | None
) -> None:
    result = extract(body, URL, ExtractHints(currency="USD" if "€" not in body.decode() else None))
    assert result.status is CheckStatus(status), (result.error, result.readings)
    assert [o.price for o in result.offers] == [Decimal(p) for p in prices]
    assert result.source == source
    assert result.readings and result.readings[-1].source == "page"
    if result.status is CheckStatus.OK:
        assert "page" in result.agreed or len(result.agreed) >= 2
    else:
        assert result.error and not result.offers


def test_the_agreeing_sources_are_named() -> None:
    body = page(
        f'<p class="price">$75.00</p>{CART}', jsonld=offer("75.00"), meta=OG.format("75.00")
    )
    result = extract(body, URL, ExtractHints(currency="USD"))
    assert result.agreed == ("json-ld", "opengraph", "page")
    verdicts = {r.source: r.verdict for r in result.readings}
    assert verdicts["json-ld"].startswith("agrees") and verdicts["opengraph"].startswith("agrees")


def test_a_contradicted_reading_says_what_the_page_shows() -> None:
    body = page(f'<p class="price">$90.00</p>{CART}', jsonld=offer("75.00"))
    result = extract(body, URL, ExtractHints(currency="USD"))
    verdicts = {r.source: r.verdict for r in result.readings}
    assert verdicts["json-ld"] == "contradicted: the page shows 90.00 USD"


@pytest.mark.parametrize(
    ("body", "stock"),
    [
        (page(f'<p class="price">$75.00</p>{CART}'), Availability.IN_STOCK),
        (
            page('<p class="price">$75.00</p><button disabled>Sold out</button>'),
            Availability.OUT_OF_STOCK,
        ),
        (
            page(f'<p class="price">$75.00</p><p class="stock">Out of stock</p>{CART}'),
            Availability.OUT_OF_STOCK,
        ),
        (page('<p class="price">$75.00</p>'), Availability.UNKNOWN),
        (
            page(
                f'<p class="price">$75.00</p>{CART}',
                jsonld=offer("75.00", availability="https://schema.org/OutOfStock"),
            ),
            Availability.OUT_OF_STOCK,
        ),
        (
            page(
                f'<p class="price">$75.00</p><p class="availability">In stock</p>{CART}',
                jsonld=offer("75.00", availability="https://schema.org/OutOfStock"),
            ),
            Availability.IN_STOCK,
        ),
    ],
    ids=[
        "an enabled cart means in stock",
        "a sold-out button",
        "an explicit notice",
        "nothing said",
        "the data's state where the page shows none",
        "a visible state beats the data's",
    ],
)
def test_availability_as_the_shopper_sees_it(body: bytes, stock: Availability) -> None:
    result = extract(body, URL, ExtractHints(currency="USD"))
    assert result.offers[0].availability is stock
    assert result.availability is stock


def test_availability_is_read_without_a_price() -> None:
    body = page(
        '<p class="price js-price"></p><p class="stock">Sold out</p>', jsonld=offer("75.00")
    )
    result = extract(body, URL, ExtractHints(currency="USD"))
    assert result.status is CheckStatus.AMBIGUOUS
    assert result.availability is Availability.OUT_OF_STOCK
