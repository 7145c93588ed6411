"""Vendor `extraction` options: validated with the catalog, stored at sync, read by the crawl."""

from __future__ import annotations

from pathlib import Path

import pytest

from tracker.catalog import CatalogError, parse_catalog
from tracker.domain import ExtractHints, PageSelectors
from tracker.services import sync_catalog_file
from tracker.store.engine import Store
from tracker.store.repo import crawl_targets

VENDOR = """
products:
  - {slug: cerebro, name: Cerebro Pro}
vendors:
  - slug: plainshop
    name: Plain Shop
    homepage: https://plain.example/
    currency: EUR
    listings:
      - {product: cerebro, label: one, url: "https://plain.example/cerebro"}
EXTRACTION
"""


def catalog_text(extraction: str) -> str:
    return VENDOR.replace("EXTRACTION", extraction)


@pytest.mark.parametrize(
    ("extraction", "message"),
    [
        (
            "    extraction: {selectors: {price: 'div..price'}}",
            "catalog.yaml: vendors[0].extraction.selectors.price: not a valid CSS selector",
        ),
        (
            "    extraction: {selectors: {price: '.p', currency: '//span[@x'}}",
            "catalog.yaml: vendors[0].extraction.selectors.currency: not a valid XPath",
        ),
        (
            "    extraction: {selectors: {variants: {rows: '(//tr', price: td}}}",
            "catalog.yaml: vendors[0].extraction.selectors.variants.rows: not a valid XPath",
        ),
        (
            "    extraction: {selectors: {currency: '.cur'}}",
            "catalog.yaml: vendors[0].extraction.selectors: give a price selector",
        ),
        (
            "    extraction: {decimal_separator: ';'}",
            "catalog.yaml: vendors[0].extraction.decimal_separator:",
        ),
        (
            "    extraction: {heuristics: false}",
            "vendors[0].extraction.heuristics: unknown key (did you mean heuristic?)",
        ),
    ],
)
def test_bad_extraction_options_name_their_field(extraction: str, message: str) -> None:
    with pytest.raises(CatalogError) as error:
        parse_catalog(catalog_text(extraction), "catalog.yaml")
    assert message in str(error.value)


GOOD = """    extraction:
      decimal_separator: ","
      heuristic: false
      selectors:
        price: td.cost-now
        regular_price: "//td[@class='cost-before']"
        variants: {rows: "table#packs tr", name: "td.pack::text", price: td.amt}
"""


def test_sync_stores_the_options_and_the_crawl_reads_them(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(catalog_text(GOOD), encoding="utf-8")
    report = sync_catalog_file(store, path)
    assert "vendor plainshop" in report.added and report.updated == []
    with store.sessions.begin() as session:
        (target,) = crawl_targets(session, "plainshop")
    assert target.hints() == ExtractHints(
        currency="EUR",
        decimal_separator=",",
        heuristic=False,
        selectors=PageSelectors(
            price="td.cost-now",
            regular_price="//td[@class='cost-before']",
            variant_rows="table#packs tr",
            variant_name="td.pack::text",
            variant_price="td.amt",
        ),
    )
    assert sync_catalog_file(store, path).updated == []

    path.write_text(catalog_text(""), encoding="utf-8")
    assert sync_catalog_file(store, path).updated == ["vendor plainshop"]
    with store.sessions.begin() as session:
        (target,) = crawl_targets(session, "plainshop")
    assert target.vendor_profile.extraction is None
    assert target.hints() == ExtractHints(currency="EUR")
