"""The catalog checked against the real world before anything is stored: unknown keys, codes,
units, lengths, link hosts and where ``${VAR}`` may be used."""

from __future__ import annotations

import pytest

from tracker.catalog import CatalogError, parse_catalog

CATALOG = """
products:
  - {slug: cortexin, name: Cortexin, brand: Geropharm}
vendors:
  - slug: shop
    name: Shop
    homepage: https://shop.example/
    currency: USD
    affiliate: "{url}?ref=1"
    listings:
      - {product: cortexin, label: 10 x 10 mg, url: "https://shop.example/c"}
"""


def errors_of(text: str, env: dict[str, str] | None = None) -> str:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, "catalog.yaml", env or {})
    return str(caught.value)


def test_the_base_catalog_is_valid() -> None:
    assert parse_catalog(CATALOG, "catalog.yaml", {}).vendors[0].listings


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("products:", "product:", "catalog.yaml: product: unknown key (did you mean products?)"),
        (
            "    affiliate:",
            "    afiliate:",
            "catalog.yaml: vendors[0].afiliate: unknown key (did you mean affiliate?)",
        ),
        (
            'url: "https://shop.example/c"}',
            'url: "https://shop.example/c", quantitiy: 10}',
            "catalog.yaml: vendors[0].listings[0].quantitiy: unknown key (did you mean quantity?)",
        ),
        (
            "    currency: USD\n",
            "    currency: USD\n    display: {max_age_hour: 3}\n",
            "catalog.yaml: vendors[0].display.max_age_hour: unknown key "
            "(did you mean max_age_hours?)",
        ),
        (
            "    currency: USD\n",
            "    currency: USD\n    colour: red\n",
            "catalog.yaml: vendors[0].colour: unknown key",
        ),
    ],
)
def test_unknown_keys_name_the_key_and_its_likely_spelling(
    old: str, new: str, message: str
) -> None:
    assert message in errors_of(CATALOG.replace(old, new)).splitlines()


VARIABLES = """
products:
  - {slug: home, name: "${HOME}", brand: "${HOME}", description: "${HOME}", image: "${SITE}/i.png"}
vendors:
  - slug: shop
    name: "${HOME}"
    homepage: ${SITE}/
    currency: USD
    affiliate: "{url}?ref=${REF:-none}"
    listings:
      - product: home
        label: "${HOME} ${SITE}"
        url: ${SITE}/p
        affiliate_url: "${SITE}/p?ref=${REF}"
        variant: {text: "${HOME}"}
      - {product: home, label: two, url: "${SITE}/q"}
"""
ENV = {"HOME": "/root", "SITE": "https://shop.example", "REF": "me"}


def test_variables_are_expanded_in_addresses_and_the_affiliate_template_only() -> None:
    catalog = parse_catalog(VARIABLES, "catalog.yaml", ENV)
    product, vendor = catalog.products[0], catalog.vendors[0]
    first, second = vendor.listings
    assert (product.name, product.brand, product.description) == ("${HOME}",) * 3
    assert product.image == "https://shop.example/i.png"
    assert vendor.name == "${HOME}" and vendor.homepage == "https://shop.example/"
    assert vendor.affiliate == "{url}?ref=me"
    assert first.label == "${HOME} ${SITE}" and first.variant and first.variant.text == "${HOME}"
    assert (first.url, first.affiliate_url) == (
        "https://shop.example/p",
        "https://shop.example/p?ref=me",
    )
    assert vendor.affiliate_link(second) == "https://shop.example/q?ref=me"


def test_a_missing_variable_names_its_field() -> None:
    message = errors_of(VARIABLES, {"HOME": "/root", "REF": "me"})
    assert message == "catalog.yaml: products[0].image: environment variable SITE is not set"


def test_a_variable_cannot_add_yaml() -> None:
    env = {**ENV, "SITE": "https://shop.example/\n    display: {link_only: true}"}
    message = errors_of(VARIABLES, env)
    assert "vendors[0].homepage: not an http(s) URL" in message

