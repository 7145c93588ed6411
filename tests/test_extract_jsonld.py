"""JSON-LD extraction: a table of page shapes and what each must yield."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tracker.domain import Availability, CheckStatus, ExtractHints
from tracker.extract import Claim, extract, read_claims
from tracker.extract.page import Page


def page(*blocks: str, shows: str = "$1.00") -> bytes:
    scripts = "".join(f'<script type="application/ld+json">{b}</script>' for b in blocks)
    return (
        f"<html><head>{scripts}</head><body><h1>Cortexin</h1>"
        f'<p class="price">{shows}</p></body></html>'
    ).encode()


def json_ld(body: bytes, url: str = "https://shop.example/p", currency: str | None = None) -> Claim:
    """What the JSON-LD step claims, before the page is looked at."""
    claims = read_claims(Page(body, url, ExtractHints(currency=currency)))
    return next(c for c in claims if c.source == "json-ld")


PRODUCT = '{"@context":"https://schema.org","@type":"Product","name":"Cortexin","offers":OFFERS}'
OFFER = '{"@type":"Offer","price":"75.00","priceCurrency":"USD","availability":"https://schema.org/InStock"}'

CASES = [
    ("single offer", page(PRODUCT.replace("OFFERS", OFFER)), [("75.00", "USD", "InStock")]),
    (
        "offer list",
        page(PRODUCT.replace("OFFERS", f"[{OFFER},{OFFER.replace('75.00', '45.00')}]")),
        [("75.00", "USD", "InStock"), ("45.00", "USD", "InStock")],
    ),
    (
        "graph",
        page(
            '{"@context":"https://schema.org","@graph":[{"@type":"WebPage"},'
            + PRODUCT.replace("OFFERS", OFFER)
            + "]}"
        ),
        [("75.00", "USD", "InStock")],
    ),
    (
        "top-level array",
        page("[" + PRODUCT.replace("OFFERS", OFFER) + "]"),
        [("75.00", "USD", "InStock")],
    ),
    (
        "numeric price",
        page(PRODUCT.replace("OFFERS", OFFER.replace('"75.00"', "75.5"))),
        [("75.5", "USD", "InStock")],
    ),
    (
        "bare availability, odd case",
        page(PRODUCT.replace("OFFERS", OFFER.replace("https://schema.org/InStock", "outofstock"))),
        [("75.00", "USD", "OutOfStock")],
    ),
    (
        "unknown availability",
        page(PRODUCT.replace("OFFERS", OFFER.replace("https://schema.org/InStock", "ask us"))),
        [("75.00", "USD", "unknown")],
    ),
    (
        "aggregate offer, one price",
        page(
            PRODUCT.replace(
                "OFFERS",
                '{"@type":"AggregateOffer","lowPrice":"30","highPrice":"30","priceCurrency":"EUR"}',
            )
        ),
        [("30", "EUR", "unknown")],
    ),
    (
        "price specification",
        page(
            PRODUCT.replace(
                "OFFERS",
                '{"@type":"Offer","priceSpecification":[{"@type":"UnitPriceSpecification",'
                '"price":"19.90","priceCurrency":"EUR"},{"@type":"UnitPriceSpecification",'
                '"priceType":"https://schema.org/StrikethroughPrice","price":"24.90","priceCurrency":"EUR"}]}',
            )
        ),
        [("19.90", "EUR", "unknown")],
    ),
    (
        "broken block beside a good one",
        page('{"@type":"Product",,,}', "<!-- " + PRODUCT.replace("OFFERS", OFFER) + " -->"),
        [("75.00", "USD", "InStock")],
    ),
    (
        "trailing comma and comment",
        page('{"@type":"Product", // name\n"name":"x","offers":' + OFFER[:-1] + ",},}"),
        [("75.00", "USD", "InStock")],
    ),
    (
        "properties written with capitals (Wix)",
        page(
            PRODUCT.replace('"offers"', '"Offers"').replace(
                "OFFERS", OFFER.replace('"availability"', '"Availability"')
            )
        ),
        [("75.00", "USD", "InStock")],
    ),
    (
        "offer given by @id in the graph",
        page(
            '{"@context":"https://schema.org","@graph":['
            + PRODUCT.replace("OFFERS", '[{"@id":"https://shop.example/p#offer"}]')
            + ","
            + OFFER.replace("{", '{"@id":"https://shop.example/p#offer",', 1)
            + "]}"
        ),
        [("75.00", "USD", "InStock")],
    ),
    (
        "currency from the vendor",
        page(PRODUCT.replace("OFFERS", '{"@type":"Offer","price":"12.00"}')),
        [("12.00", "USD", "unknown")],
    ),
]


@pytest.mark.parametrize(("body", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_json_ld_shapes(body: bytes, expected: list[tuple[str, str, str]]) -> None:
    claim = json_ld(body, currency="USD")
    got = [(o.price, o.currency, str(o.availability)) for o in claim.offers]
    assert got == [(Decimal(p), c, a) for p, c, a in expected]


def test_sale_keeps_the_regular_price() -> None:
    body = page(
        PRODUCT.replace(
            "OFFERS",
            '{"@type":"Offer","price":"19.90","priceCurrency":"EUR",'
            '"priceSpecification":{"priceType":"ListPrice","price":"24.90"}}',
        )
    )
    [offer] = json_ld(body).offers
    assert (offer.price, offer.regular_price) == (Decimal("19.90"), Decimal("24.90"))


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body><p>Price: $75.00</p></body></html>",
        page('{"@type":"Organization","name":"Shop"}'),
        page(PRODUCT.replace("OFFERS", '{"@type":"Offer","price":"call us"}')),
        b"",
        b"\xff\xfe garbage <script type='application/ld+json'>{{{</script>",
    ],
)
def test_no_price_is_said_plainly(body: bytes) -> None:
    result = extract(body, "https://shop.example/p")
    assert result.status is CheckStatus.NO_PRICE and result.offers == ()
    assert "json-ld" in result.tried and result.error


def test_a_range_with_a_sale_price_specification_is_no_price() -> None:
    """WooCommerce 9 puts the lowest variation's sale price beside a ranged AggregateOffer."""
    body = page(
        PRODUCT.replace(
            "OFFERS",
            '{"@type":"AggregateOffer","lowPrice":"29.95","highPrice":"64.00","offerCount":3,'
            '"priceCurrency":"AUD","priceSpecification":[{"@type":"UnitPriceSpecification",'
            '"priceType":"https://schema.org/SalePrice","price":"29.95","priceCurrency":"AUD"}]}',
        )
    )
    result = extract(body, "https://shop.example/p", ExtractHints(currency="AUD"))
    assert result.status is not CheckStatus.OK or result.source != "json-ld"


def test_a_price_in_cents_beside_the_price_tag_is_not_read() -> None:
    """A theme printing Shopify's cents into JSON-LD: 2495 beside og:price:amount 24.95."""
    body = page(
        PRODUCT.replace("OFFERS", OFFER.replace('"75.00"', "7500")), shows="$75.00"
    ).replace(b"<head>", b'<head><meta property="og:price:amount" content="75.00">')
    result = extract(body, "https://shop.example/p", ExtractHints(currency="USD"))
    assert [(o.price, result.source) for o in result.offers] == [(Decimal("75.00"), "opengraph")]


def test_a_warranty_plan_offered_beside_the_product_is_not_a_product() -> None:
    plan = (
        '{"@type":"Offer","price":"14.99","priceCurrency":"USD",'
        '"itemOffered":{"@type":"Service","name":"3 Year Protection"}}'
    )
    result = extract(page(plan), "https://shop.example/p", ExtractHints(currency="USD"))
    assert result.status is CheckStatus.NO_PRICE


def test_a_lone_product_of_another_page_is_not_the_pages() -> None:
    """A widget's product (its own URL, another name) on a page whose product has no JSON-LD."""
    widget = PRODUCT.replace("OFFERS", OFFER).replace(
        '"name":"Cortexin"', '"name":"Pineal Drops","url":"https://shop.example/products/pineal"'
    )
    shown = page(widget, shows="$75.00")
    body = shown.replace(b"<h1>Cortexin</h1>", b"<h1>Semax 0.1% nasal spray</h1>")
    result = extract(body, "https://shop.example/products/semax", ExtractHints(currency="USD"))
    assert result.source != "json-ld"
    own = shown.replace(b"<h1>Cortexin</h1>", b"<h1>Pineal Drops</h1>")
    result = extract(own, "https://shop.example/products/semax", ExtractHints(currency="USD"))
    assert result.source == "json-ld"


def test_related_products_nested_in_the_main_one_are_not_offers() -> None:
    related = '{"@type":"Product","name":"Other","offers":' + OFFER.replace("75.00", "9.00") + "}"
    body = page(
        PRODUCT.replace("OFFERS", OFFER)[:-1] + ',"isRelatedTo":' + related + "}", shows="$75.00"
    )
    assert [o.price for o in extract(body, "https://shop.example/p").offers] == [Decimal("75.00")]
    assert Availability.IN_STOCK == extract(body, "https://s.example/").offers[0].availability
