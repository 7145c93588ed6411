"""The catalog checked against the real world before anything is stored: unknown keys, codes,
units, lengths, link hosts and where ``${VAR}`` may be used."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from tracker.catalog import (
    KEY_LENGTH,
    CatalogError,
    ListingEntry,
    ProductEntry,
    VariantEntry,
    VendorEntry,
    parse_catalog,
)
from tracker.store.engine import Store
from tracker.store.models import Listing, Product, Vendor
from tracker.store.repo import sync_catalog


def vendor_catalog(
    listing: str = "{product: cortexin, label: 10 x 10 mg, url: 'https://shop.example/c'}",
    *,
    currency: str = "USD",
    affiliate: str = "{url}?ref=1",
    brand: str = "Geropharm",
) -> str:
    return f"""
products:
  - {{slug: cortexin, name: Cortexin, brand: "{brand}"}}
vendors:
  - slug: shop
    name: Shop
    homepage: https://shop.example/
    currency: {currency}
    affiliate: "{affiliate}"
    listings:
      - {listing}
"""


CATALOG = vendor_catalog()


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
            "url: 'https://shop.example/c'}",
            "url: 'https://shop.example/c', quantitiy: 10}",
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


@pytest.mark.parametrize(
    ("currency", "message"),
    [
        ("GPB", "vendors[0].currency: 'GPB' is not an ISO 4217 currency code (did you mean GBP?)"),
        ("usd", "vendors[0].currency: 'usd' is not an ISO 4217 currency code (did you mean USD?)"),
        ("QQQ", "vendors[0].currency: 'QQQ' is not an ISO 4217 currency code"),
        (
            "EURO",
            "vendors[0].currency: 'EURO' is not an ISO 4217 currency code (did you mean EUR?)",
        ),
    ],
)
def test_currencies_are_iso_4217(currency: str, message: str) -> None:
    assert f"catalog.yaml: {message}" in errors_of(vendor_catalog(currency=currency)).splitlines()


@pytest.mark.parametrize("currency", ["USD", "EUR", "GBP", "RUB", "JPY", "CHF", "INR", "TRY"])
def test_real_currencies_pass(currency: str) -> None:
    assert parse_catalog(vendor_catalog(currency=currency), "c.yaml", {}).vendors[0].currency


LISTING = "{product: cortexin, label: a, url: 'https://shop.example/c', FIELD}"


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("strength: 400mgs", "strength: unknown unit 'mgs' (did you mean mg?)"),
        ("strength: 5 mls", "strength: unknown unit 'mls' (did you mean ml?)"),
        ("strength: 10 lots", "strength: unknown unit 'lots'"),
        ("unit: vail", "unit: unknown pack unit 'vail' (did you mean vial?)"),
        ("unit: '10 vials'", "unit: unknown pack unit '10 vials'"),
    ],
)
def test_units_come_from_a_list(field: str, message: str) -> None:
    lines = errors_of(vendor_catalog(LISTING.replace("FIELD", field))).splitlines()
    prefix = f"catalog.yaml: vendors[0].listings[0].{message}"
    assert any(line.startswith(prefix) for line in lines), lines


@pytest.mark.parametrize(
    ("field", "unit", "strength"),
    [
        ("unit: vial, strength: 10 mg", "vial", ("10", "mg")),
        ("unit: vials, strength: 10 MG", "vial", ("10", "mg")),
        ("unit: Ampoules, strength: 5 ml", "ampoule", ("5", "ml")),
        ("unit: capsule, strength: 400 IU", "capsule", ("400", "IU")),
        ("unit: tablet, strength: 250 mcg", "tablet", ("250", "mcg")),
        ("unit: sachet, strength: 1 g", "sachet", ("1", "g")),
    ],
)
def test_units_are_kept_in_one_spelling(field: str, unit: str, strength: tuple[str, str]) -> None:
    catalog = parse_catalog(vendor_catalog(LISTING.replace("FIELD", field)), "c.yaml", {})
    entry = catalog.vendors[0].listings[0]
    parts = entry.strength_parts()
    assert entry.unit == unit and parts is not None
    assert (str(parts[0]), parts[1]) == strength


@pytest.mark.parametrize(
    ("listing", "message"),
    [
        (
            "{product: cortexin, label: a, url: 'https://shop.example@evil.test/'}",
            "vendors[0].listings[0].url: a user name or password before '@' is not allowed "
            "(the link would lead to the host after it)",
        ),
        (
            "{product: cortexin, label: a, url: 'https://evil.test\\\\@shop.example/'}",
            "vendors[0].listings[0].url: a backslash is not allowed in a URL",
        ),
        (
            "{product: cortexin, label: a, url: 'https://evil.test/cortexin'}",
            "vendors[0]: listings[0].url: evil.test is not the vendor's host "
            "(its homepage's, shop.example, or a subdomain of it)",
        ),
        (
            "{product: cortexin, label: a, url: 'https://shop.example.evil.test/'}",
            "vendors[0]: listings[0].url: shop.example.evil.test is not the vendor's host",
        ),
        (
            "{product: cortexin, label: a, url: 'https://shop.example/c', "
            "affiliate_url: 'https://evil.test/?to=shop.example'}",
            "vendors[0]: listings[0].affiliate_url: evil.test is not the vendor's host",
        ),
        (
            "{product: cortexin, label: a, url: 'https://shop.example/c', "
            "affiliate_url: 'https://u:p@shop.example/c'}",
            "vendors[0].listings[0].affiliate_url: a user name or password before '@'",
        ),
    ],
)
def test_links_that_lead_elsewhere_are_refused(listing: str, message: str) -> None:
    errors = errors_of(vendor_catalog(listing))
    assert f"catalog.yaml: {message}" in errors, errors


@pytest.mark.parametrize(
    "affiliate",
    [
        "https://evil.test/?u={url_quoted}",
        "https://shop.example@evil.test/?u={url_quoted}",
        "https://evil.test\\\\@shop.example/{url}",
    ],
)
def test_a_template_may_name_another_host_but_never_hide_one(affiliate: str) -> None:
    if affiliate.startswith("https://evil.test/"):  # an affiliate network: declared, allowed
        catalog = parse_catalog(vendor_catalog(affiliate=affiliate), "c.yaml", {})
        vendor = catalog.vendors[0]
        assert vendor.affiliate_link(vendor.listings[0]).startswith("https://evil.test/?u=")
    else:
        assert "catalog.yaml: vendors[0].affiliate: " in errors_of(
            vendor_catalog(affiliate=affiliate)
        )


@pytest.mark.parametrize(
    "url",
    [
        "https://shop.example/c",
        "https://www.shop.example/c",
        "https://cdn.shop.example/c",
        "https://SHOP.example:443/c",
    ],
)
def test_the_vendors_own_hosts_pass(url: str) -> None:
    listing = f"{{product: cortexin, label: a, url: '{url}'}}"
    assert parse_catalog(vendor_catalog(listing), "c.yaml", {}).vendors[0].listings[0].url == url


def test_a_network_template_allows_its_host_for_explicit_links() -> None:
    listing = (
        "{product: cortexin, label: a, url: 'https://shop.example/c', "
        "affiliate_url: 'https://go.network.example/?id=7'}"
    )
    text = vendor_catalog(listing, affiliate="https://go.network.example/?u={url_quoted}")
    vendor = parse_catalog(text, "c.yaml", {}).vendors[0]
    assert vendor.affiliate_link(vendor.listings[0]) == "https://go.network.example/?id=7"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (vendor_catalog(brand="b" * 201), "products[0].brand: String should have at most 200"),
        (
            vendor_catalog(
                f"{{product: cortexin, label: a, url: 'https://shop.example/{'p' * 1980}'}}"
            ),
            "vendors[0].listings[0].url: String should have at most 2000",
        ),
        (
            vendor_catalog(
                f"{{product: cortexin, label: a, url: 'https://shop.example/{'p' * 1975}'}}"
            ),
            "vendors[0]: listings[0]: the affiliate link is longer than 2000 characters",
        ),
        (
            vendor_catalog(
                "{product: cortexin, label: a, url: 'https://shop.example/', "
                f"variant: {{sku: {'s' * 201}}}}}"
            ),
            "vendors[0].listings[0].variant.sku: String should have at most 200",
        ),
        (
            vendor_catalog(
                f"{{product: cortexin, label: '{'l' * 160}', url: 'https://shop.example/'}}"
            ),
            "vendors[0].listings[0]: the key made of product and label is longer than 160",
        ),
    ],
)
def test_lengths_are_those_of_the_columns(text: str, message: str) -> None:
    """The catalog says what is too long, naming the field, before the database does."""
    assert f"catalog.yaml: {message}" in errors_of(text)


@pytest.mark.parametrize(
    ("entry", "field", "column"),
    [
        (ProductEntry, "name", Product.name),
        (ProductEntry, "brand", Product.brand),
        (ProductEntry, "image", Product.image),
        (VendorEntry, "name", Vendor.name),
        (VendorEntry, "homepage", Vendor.homepage),
        (VendorEntry, "affiliate", Vendor.affiliate_template),
        (ListingEntry, "label", Listing.label),
        (ListingEntry, "url", Listing.url),
        (ListingEntry, "affiliate_url", Listing.affiliate_url),
        (ListingEntry, "unit", Listing.unit),
        (VariantEntry, "sku", Listing.variant_sku),
        (VariantEntry, "text", Listing.variant_text),
    ],
)
def test_catalog_limits_are_the_column_lengths(entry: Any, field: str, column: Any) -> None:
    limits = [m.max_length for m in entry.model_fields[field].metadata if hasattr(m, "max_length")]
    assert limits == [column.type.length]


def test_the_key_limit_is_the_columns() -> None:
    assert KEY_LENGTH == Listing.key.type.length


def test_the_longest_values_sync(store: Store) -> None:
    """A catalog that passes validation never fails at the database (PostgreSQL checks lengths)."""
    long_url = f"https://shop.example/{'p' * 1979}"
    listing = (
        f"{{product: cortexin, label: '{'l' * 200}', key: '{'k' * 121}', url: '{long_url}', "
        f"variant: {{text: '{'t' * 200}'}}, unit: ampoule, strength: 5 ml}}"
    )
    text = vendor_catalog(listing, brand="b" * 200, affiliate="{url}")
    catalog = parse_catalog(text, "c.yaml", {})
    assert len(catalog.vendors[0].listings[0].url) == 2000
    with store.sessions.begin() as session:
        sync_catalog(session, catalog)
    with store.sessions.begin() as session:
        assert session.scalar(select(Listing.url)) == long_url
