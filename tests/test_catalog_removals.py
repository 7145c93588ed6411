"""A catalog sync never deactivates most of the catalog by mistake: an empty, cut or wrong
file is refused, with the file and the counts named, unless the operator says --allow-removals."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select, text

from tests.conftest import PROJECT_ROOT
from tracker.catalog import CatalogError, check_removals, parse_catalog
from tracker.cli import main
from tracker.store.engine import open_store
from tracker.store.models import Listing, Product

SAMPLE = PROJECT_ROOT / "examples" / "catalog.yaml"
TWO = """
products: [{slug: a, name: A}, {slug: b, name: B}]
vendors:
  - slug: shop
    name: Shop
    homepage: https://shop.example/
    currency: USD
    listings:
      - {product: a, label: one, url: "https://shop.example/a"}
      - {product: b, label: two, url: "https://shop.example/b"}
"""


@pytest.mark.parametrize(
    ("products", "listings", "refused"),
    [
        ({"a", "b"}, {("shop", "a/one"), ("shop", "b/two")}, None),  # nothing removed
        ({"a", "b", "c"}, {("shop", "a/one")}, None),  # one product of three
        ({"a", "b", "c", "d"}, set(), None),  # exactly half: allowed
        ({"a", "b", "c", "d", "e"}, set(), "3 of the 5 active products (c, d, e)"),
        (
            {"a"},
            {("shop", "a/one"), ("old", "x/1"), ("old", "x/2"), ("old", "x/3")},
            "3 of the 4 active listings (old:x/1, old:x/2, old:x/3)",
        ),
        (set(), set(), None),  # a first sync removes nothing
    ],
)
def test_more_than_half_is_refused(
    products: set[str], listings: set[tuple[str, str]], refused: str | None
) -> None:
    catalog = parse_catalog(TWO, "catalog.yaml", {})
    if refused is None:
        check_removals(catalog, "catalog.yaml", products, listings)
        return
    with pytest.raises(CatalogError) as caught:
        check_removals(catalog, "catalog.yaml", products, listings)
    message = str(caught.value)
    assert message.startswith("catalog.yaml: this sync would deactivate ")
    assert refused in message and "--allow-removals" in message


def test_a_long_list_of_removals_is_cut_short() -> None:
    catalog = parse_catalog(TWO, "c.yaml", {})
    active = {f"p{i:02}" for i in range(20)} | {"a", "b"}
    with pytest.raises(CatalogError, match=r"\(p00, p01, p02, p03, p04 and 15 more\)"):
        check_removals(catalog, "c.yaml", active, set())


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "c.yaml: the catalog is empty (it needs products and vendors)"),
        ("# only a comment\n", "c.yaml: the catalog is empty (it needs products and vendors)"),
        ("products: []\nvendors: []\n", "c.yaml: the catalog has no products and no vendors"),
        (TWO[: TWO.index("vendors:")], "c.yaml: vendors: missing (is the file complete?)"),
    ],
)
def test_empty_and_cut_files_are_errors(text: str, message: str) -> None:
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, "c.yaml", {})
    assert str(caught.value) == message


def invoke(config: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["--config", str(config), "catalog", "sync", *args])


def counts(url: str) -> tuple[int, int, int]:
    store = open_store(url)
    try:
        with store.sessions.begin() as session:
            products = session.scalar(select(func.count()).where(Product.active)) or 0
            listings = session.scalar(select(func.count()).where(Listing.active)) or 0
            jobs = session.execute(text("SELECT count(*) FROM apscheduler_jobs")).scalar_one()
        return products, listings, jobs
    finally:
        store.close()


@pytest.mark.parametrize("cut", ["empty", "truncated"])
def test_a_cut_file_changes_nothing_and_keeps_the_jobs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str, cut: str
) -> None:
    monkeypatch.setenv("SAMPLE_SITE", "http://127.0.0.1:9")
    config = tmp_path / "tracker.toml"
    config.write_text(f'database_url = "{db_url}"\n', encoding="utf-8")
    assert invoke(config, str(SAMPLE)).exit_code == 0
    before = counts(db_url)
    assert before == (5, 11, 4)

    text = SAMPLE.read_text(encoding="utf-8")
    partial = tmp_path / "catalog.yaml"
    # The empty file of a failed copy, or one cut after the first vendor's first listing.
    end = text.index("      - product:", text.index("vendors:") + 1) + 1
    end = text.index("      - product:", end)
    partial.write_text("" if cut == "empty" else text[:end], encoding="utf-8")
    result = invoke(config, str(partial))
    assert result.exit_code == 1, result.output
    if cut == "empty":
        assert f"{partial}: the catalog is empty" in result.output
    else:
        deactivate = "this sync would deactivate 10 of the 11 active listings"
        assert f"{partial}: {deactivate}" in result.output
    assert counts(db_url) == before

    if cut == "truncated":
        result = invoke(config, str(partial), "--allow-removals")
        assert result.exit_code == 0, result.output
        assert counts(db_url) == (5, 1, 1)
