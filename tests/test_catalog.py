from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tracker.catalog import CatalogError, load_catalog, parse_catalog
from tracker.config import PROJECT_ROOT
from tracker.domain import Availability, Check, CheckStatus, Offer
from tracker.rules import GatePolicy
from tracker.services import sync_catalog_file
from tracker.store.engine import Store
from tracker.store.models import Listing, ObservationSpan, Vendor
from tracker.store.repo import record_checks

SAMPLE = PROJECT_ROOT / "examples" / "catalog.yaml"
ENV = {"SAMPLE_SITE": "http://127.0.0.1:9"}

BASE = """
products:
  - {slug: cortexin, name: Cortexin}
vendors:
  - slug: shop
    name: Shop
    homepage: https://shop.example/
    currency: USD
    affiliate: "{url}?ref=1"
    listings:
      - {product: cortexin, label: 10 x 10 mg, url: "https://shop.example/c"}
      - LISTING
"""


@pytest.mark.parametrize(
    ("listing", "message"),
    [
        (
            '{product: cortexin, label: b, url: "javascript:alert(1)"}',
            "catalog.yaml: vendors[0].listings[1].url: not an http(s) URL",
        ),
        (
            '{product: cortexin, label: b, url: "JaVaScRiPt:alert(1)"}',
            "vendors[0].listings[1].url: not an http(s) URL",
        ),
        (
            '{product: cortexin, label: b, url: "java\\tscript:alert(1)"}',
            "vendors[0].listings[1].url: not an http(s) URL",
        ),
        (
            '{product: cortexin, label: b, url: "data:text/html,x"}',
            "vendors[0].listings[1].url: not an http(s) URL",
        ),
        (
            '{product: cortexin, label: b, url: "vbscript:msgbox(1)"}',
            "vendors[0].listings[1].url: not an http(s) URL",
        ),
        (
            '{product: cortexin, label: b, url: "/relative"}',
            "vendors[0].listings[1].url: not an http(s) URL",
        ),
        (
            '{product: nope, label: b, url: "https://shop.example/n"}',
            "vendors[0].listings[1].product: unknown product 'nope'",
        ),
        (
            '{product: cortexin, label: b, url: "https://s.example/", variant: {sku: a, text: b}}',
            "vendors[0].listings[1].variant: give exactly one of sku, text, position",
        ),
        (
            '{product: cortexin, label: b, url: "https://s.example/", strength: lots}',
            "vendors[0].listings[1].strength: write the amount per unit",
        ),
        (
            '{product: cortexin, label: b, url: "https://s.example/", colour: red}',
            "vendors[0].listings[1].colour: unknown key",
        ),
        (
            '{product: cortexin, label: 10 x 10 mg, url: "https://s.example/"}',
            "vendors[0]: listings[1]: duplicate listing key 'cortexin/10-x-10-mg'",
        ),
    ],
)
def test_catalog_errors_name_file_and_field(listing: str, message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(BASE.replace("LISTING", listing), "catalog.yaml", {})
    assert message in str(caught.value)


def test_missing_variable_names_line() -> None:
    with pytest.raises(
        CatalogError,
        match=r"catalog.yaml: vendors\[0\].homepage: environment variable SAMPLE_SITE is not set",
    ):
        parse_catalog(SAMPLE.read_text(), "catalog.yaml", {})


def test_yaml_error_and_wrong_shape() -> None:
    with pytest.raises(CatalogError, match="x.yaml: not valid YAML"):
        parse_catalog("products: [", "x.yaml", {})
    with pytest.raises(CatalogError, match="must be a mapping"):
        parse_catalog("- a\n- b\n", "x.yaml", {})


def test_affiliate_template_must_stay_http() -> None:
    text = BASE.replace("- LISTING", "").replace('"{url}?ref=1"', '"javascript:{url}"')
    with pytest.raises(CatalogError, match=r"vendors\[0\].affiliate: not an http\(s\) URL"):
        parse_catalog(text, "c.yaml", {})


def test_sample_catalog_is_valid() -> None:
    catalog = load_catalog(SAMPLE, ENV)
    slugs = {p.slug for p in catalog.products}
    assert {"cortexin", "cerebrolysin", "actovegin", "nicergoline", "noocube"} <= slugs
    cosmic = next(v for v in catalog.vendors if v.slug == "cosmicnootropic")
    cortexin = [entry for entry in cosmic.listings if entry.product == "cortexin"]
    assert {entry.label for entry in cortexin} == {"10 vials x 10 mg", "10 vials x 5 mg"}
    assert len({entry.url for entry in cortexin}) == 1  # one page, two variants


def test_sync_is_idempotent_and_deactivates_without_deleting(
    store: Store, tmp_path: Path, now
) -> None:
    first = sync_catalog_file(store, SAMPLE, ENV)
    assert first.added
    again = sync_catalog_file(store, SAMPLE, ENV)
    assert again.added == [] and again.updated == [] and again.deactivated == []

    with store.sessions.begin() as session:
        listing = session.scalars(
            select(Listing).where(Listing.key == "cortexin/10-vials-x-5-mg")
        ).one()
        offer = Offer(Decimal("45.00"), "USD", Availability.IN_STOCK)
        record_checks(session, [Check(listing.id, CheckStatus.OK, now, offer=offer)], GatePolicy())
        listing_id = listing.id

    trimmed = tmp_path / "catalog.yaml"
    text = SAMPLE.read_text()
    start = text.index("      - product: cortexin\n        label: 10 vials x 5 mg")
    end = text.index("      - product:", start + 10)
    trimmed.write_text(text[:start] + text[end:])
    report = sync_catalog_file(store, trimmed, ENV)
    assert report.deactivated == ["listing cortexin/10-vials-x-5-mg"]
    with store.sessions.begin() as session:
        listing = session.get_one(Listing, listing_id)
        assert listing.active is False
        spans = session.scalar(select(func.count()).where(ObservationSpan.listing_id == listing_id))
        assert spans == 1

    sync_catalog_file(store, SAMPLE, ENV)  # back in the file: active again, same row
    with store.sessions.begin() as session:
        assert session.get_one(Listing, listing_id).active is True


def test_failed_sync_changes_nothing(store: Store, tmp_path: Path) -> None:
    sync_catalog_file(store, SAMPLE, ENV)
    broken = tmp_path / "catalog.yaml"
    broken.write_text(SAMPLE.read_text().replace("currency: USD", "currency: dollars", 1))
    with pytest.raises(CatalogError, match=r"vendors\[0\].currency"):
        sync_catalog_file(store, broken, ENV)
    with store.sessions.begin() as session:
        assert (
            session.scalar(select(Vendor.currency).where(Vendor.slug == "cosmicnootropic")) == "USD"
        )
