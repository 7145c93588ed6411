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
