"""The fixture corpus: pages shaped like real shops, each with its expected result in one table."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracker.domain import CheckStatus, ExtractHints, ExtractResult
from tracker.extract import extract, extract_page
from tracker.extract.page import Page
from tracker.profile import ExtractionEntry

PAGES = Path(__file__).parent / "fixtures" / "pages"
TABLE: list[dict[str, Any]] = yaml.safe_load((PAGES / "expected.yaml").read_text("utf-8"))
DEFAULT_URL = "https://shop.example/products/cortexin"


def run(case: dict[str, Any]) -> ExtractResult:
    hints = dict(case.get("hints") or {})
    currency = hints.pop("currency", None)
    body = (PAGES / case["page"]).read_bytes()
    url = case.get("url", DEFAULT_URL)
    return extract(body, url, ExtractionEntry.model_validate(hints).hints(currency))


@pytest.mark.parametrize(
    "case", TABLE, ids=[f"{n}-{c['page'].rsplit('.', 1)[0]}" for n, c in enumerate(TABLE)]
)
def test_page_yields_its_expected_result(case: dict[str, Any]) -> None:
    result = run(case)
    assert result.status == CheckStatus(case["status"]), result.error
    assert result.follow_up == case.get("follow_up")
    if result.status is not CheckStatus.OK:
        assert result.offers == ()
        assert result.error
        return
    assert result.source == case["source"]
    assert len(result.offers) == len(case["offers"])
    for offer, expected in zip(result.offers, case["offers"], strict=True):
        assert offer.price == Decimal(expected["price"])
        assert offer.currency == expected["currency"]
        assert str(offer.availability) == expected["availability"]
        regular = expected.get("regular_price")
        assert offer.regular_price == (Decimal(regular) if regular else None)
        for key in ("sku", "variant"):
            if key in expected:
                assert getattr(offer, key) == expected[key]
        assert offer.source == case["source"] and offer.raw_price


def test_the_corpus_is_large_and_every_page_is_in_the_table() -> None:
    pages = {p.name for p in PAGES.iterdir() if p.suffix in (".html", ".js")}
    assert len(pages) >= 40
    assert pages == {case["page"] for case in TABLE}


def test_the_pages_are_what_the_generator_writes() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("make_pages", PAGES / "make_pages.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for name, text in module.PAGES.items():
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        assert (PAGES / name).read_bytes() == data, name


@pytest.mark.parametrize(
    ("name", "source"),
    [
        ("jsonld-basic-usd.html", "json-ld"),
        ("jsonld-graph-variants.html", "json-ld"),
        ("shopify-product-json.html", "shopify"),
        ("opengraph-og-price-chf.html", "opengraph"),
        ("woo-variable.html", "woocommerce"),
        ("microdata-magento.html", "microdata"),
        ("woo-simple.html", "woocommerce"),
        ("heuristic-was-now.html", "heuristic"),
    ],
)
def test_the_page_is_parsed_once_for_every_source_and_the_evidence(name: str, source: str) -> None:
    """Corroboration reads the tree the chain already has: one parse per page, never two."""
    page = Page((PAGES / name).read_bytes(), DEFAULT_URL, ExtractHints(currency="USD"))
    assert extract_page(page).source == source
    assert page.dom_builds == 1
