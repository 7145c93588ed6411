"""From nothing to a site: `tracker init DIR`, a catalog entry from a URL, `tracker catalog add`,
a sync that says when only the sample site's address moved, and the prices table's words."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from ruamel.yaml import YAML

from tests.seeding import seed_sample
from tracker import onboarding
from tracker.catalog import CatalogError, load_catalog, parse_catalog
from tracker.catalogfile import append_entry
from tracker.cli import main
from tracker.cli.output import masked_url, moved_lines
from tracker.config import PROJECT_ROOT, load_settings
from tracker.crawling.pagecheck import PageError
from tracker.store.engine import open_existing, open_store
from tracker.store.repo import sync_catalog
from tracker.web.samplesite import SAMPLE_SITE_DIR, StaticSite


def invoke(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args), catch_exceptions=False)
    return result.exit_code, result.output


# --- tracker init DIR ---------------------------------------------------------------------


def test_init_scaffolds_a_valid_site_with_its_database(tmp_path: Path) -> None:
    folder = tmp_path / "mysite"
    code, out = invoke("init", str(folder))
    assert code == 0, out
    for name in ("tracker.toml", "catalog.yaml", "content/example-review.html"):
        assert f"wrote {folder / name}" in out
    settings = load_settings(folder / "tracker.toml")
    catalog = load_catalog(settings.catalog)  # valid as written, comments and all
    assert [p.slug for p in catalog.products] == ["example-product"]
    assert [v.slug for v in catalog.vendors] == ["example-shop"]
    assert "#" in settings.catalog.read_text(encoding="utf-8")
    article = (folder / "content" / "example-review.html").read_text(encoding="utf-8")
    assert '<!-- tracker:buy-box product="example-product" -->' in article
    open_existing(settings.database_url).close()  # created and at the newest schema
    assert f"Database ready: sqlite:///{folder / 'var' / 'tracker.db'}" in out
    commands = [line.strip() for line in out.splitlines() if line.startswith("  tracker ")]
    assert len(commands) == 3, out
    assert commands[0].startswith("tracker catalog add URL")


def test_init_into_a_folder_with_files_leaves_every_file_as_it_was(tmp_path: Path) -> None:
    mine = {
        "tracker.toml": 'catalog = "my-catalog.yaml"\n# mine\n',
        "catalog.yaml": "not even YAML: [\n",
        "content/example-review.html": "<p>my own article</p>\n",
        "notes.txt": "keep me\n",
    }
    for name, text in mine.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    code, out = invoke("init", str(tmp_path))
    assert code == 0, out
    for name, text in mine.items():
        assert (tmp_path / name).read_text(encoding="utf-8") == text
    assert out.count("kept ") == 3 and "wrote" not in out
    assert (tmp_path / "var" / "tracker.db").is_file()


def test_init_prints_no_database_password(tmp_path: Path, refused_url: str) -> None:
    port = refused_url.rsplit(":", 1)[1].strip("/")
    (tmp_path / "tracker.toml").write_text(
        f'database_url = "postgresql+psycopg://tracker:s3cret-pw@127.0.0.1:{port}/x"\n[crawl]\n',
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["init", str(tmp_path)])
    assert result.exit_code == 2
    assert "s3cret-pw" not in result.output and "***" in result.output


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:secret@crawl1:6800/", "http://user:***@crawl1:6800/"),
        ("http://127.0.0.1:8700", "http://127.0.0.1:8700"),
    ],
)
def test_printed_addresses_never_show_a_password(url: str, shown: str) -> None:
    assert masked_url(url) == shown


# --- the entry's parts ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("label", "pack"),
    [
        ("10 vials x 10 mg", {"quantity": 10, "unit": "vial", "strength": "10 mg"}),
        ("10mg x 10 Vials", {"quantity": 10, "unit": "vial", "strength": "10 mg"}),
        ("5 ampoules x 5 ml", {"quantity": 5, "unit": "ampoule", "strength": "5 ml"}),
        ("60 capsules", {"quantity": 60, "unit": "capsule"}),
        ("Bottle of 60 capsules", {"quantity": 60, "unit": "capsule"}),
        ("Large", {}),
    ],
)
def test_pack_sizes_are_read_from_labels(label: str, pack: dict[str, object]) -> None:
    assert onboarding.pack_of(label) == pack


def test_a_price_read_from_the_visible_page_gets_its_selector() -> None:
    page = (
        b"<html><body><h1>Tea</h1><div class='product'><span class='price now'>$12.50</span>"
        b"<span class='was'>$15.00</span></div><ul><li>$12.50 elsewhere</li></ul></body></html>"
    )
    assert onboarding.suggest_selector(page, "$12.50") == "span.price.now"
    assert onboarding.suggest_selector(page, "$99.00") is None


def test_a_catalog_entry_text_stays_one_comment_per_line() -> None:
    entry = {"products": [{"slug": "x", "name": "X"}], "vendors": []}
    text = onboarding.entry_yaml(entry, ["From a page:\nvendors: [evil]\x1b[31m"])
    assert text.splitlines()[0].startswith("# From a page: vendors: [evil]")
    assert YAML(typ="safe").load(text) == entry


# --- tracker catalog add --------------------------------------------------------------------

CATALOG = """\
# My catalog: keep this header.
products:
  - slug: tea            # the first product
    name: Green Tea
# Vendors below.
vendors:
  - slug: leafshop
    name: Leaf Shop
    homepage: https://leaf.example/
    currency: EUR        # the shop's currency
    listings:
      - product: tea
        label: 100 g
        url: https://leaf.example/tea
"""

ENTRY = """\
# From https://cup.example/mug: ok
products:
  - slug: mug
    name: Mug
  - slug: tea
    name: Green Tea
vendors:
  - slug: cupshop
    name: Cup Shop
    homepage: https://cup.example/
    currency: USD
    listings:
      - product: mug
        label: 1 piece
        url: https://cup.example/mug
        variant: {sku: MUG-1}
  - slug: leafshop
    name: Leaf Shop
    homepage: https://leaf.example/
    currency: EUR
    listings:
      - product: tea
        label: 100 g
        url: https://leaf.example/tea
      - product: mug
        label: 2 pieces
        url: https://leaf.example/mug
"""


def test_catalog_add_keeps_the_files_comments_and_order(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG, encoding="utf-8")
    done = append_entry(path, ENTRY)
    assert done.added == ["product mug", "vendor cupshop", "listing leafshop: 2 pieces"]
    assert done.present == ["product tea", "vendor leafshop", "listing leafshop: 100 g"]
    text = path.read_text(encoding="utf-8")
    for line in CATALOG.splitlines():
        assert line in text.splitlines(), line  # every line of the file is still there
    catalog = load_catalog(path)
    assert [p.slug for p in catalog.products] == ["tea", "mug"]
    assert [v.slug for v in catalog.vendors] == ["leafshop", "cupshop"]
    assert [x.label for x in catalog.vendors[0].listings] == ["100 g", "2 pieces"]
    assert "variant: {sku: MUG-1}" in text
    again = append_entry(path, ENTRY)
    assert again.added == [] and path.read_text(encoding="utf-8") == text


def test_catalog_add_of_an_invalid_entry_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "catalog.yaml"
    path.write_text(CATALOG, encoding="utf-8")
    offsite = ENTRY.replace("url: https://cup.example/mug", "url: https://evil.example/mug")
    with pytest.raises(CatalogError, match=r"catalog.yaml: vendors\[1\]: listings\[0\]\.url: evil"):
        append_entry(path, offsite)
    with pytest.raises(CatalogError, match="not valid YAML"):
        append_entry(path, "vendors: [")
    assert path.read_text(encoding="utf-8") == CATALOG


# --- a sync that only sees the sample site's new port ---------------------------------------


def test_a_sync_that_sees_only_a_new_port_says_the_addresses_moved(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'tracker.db'}")
    path = PROJECT_ROOT / "examples" / "catalog.yaml"
    try:
        with store.sessions.begin() as session:
            sync_catalog(session, load_catalog(path, {"SAMPLE_SITE": "http://127.0.0.1:8700"}))
        with store.sessions.begin() as session:
            same = sync_catalog(
                session, load_catalog(path, {"SAMPLE_SITE": "http://127.0.0.1:8700"})
            )
        with store.sessions.begin() as session:
            moved = sync_catalog(
                session, load_catalog(path, {"SAMPLE_SITE": "http://127.0.0.1:41234"})
            )
        text = path.read_text(encoding="utf-8").replace("label: 60 capsules", "label: 60 caps")
        with store.sessions.begin() as session:
            changed = sync_catalog(
                session, parse_catalog(text, "c", {"SAMPLE_SITE": "http://127.0.0.1:41235"})
            )
    finally:
        store.close()
    assert (same.updated, same.moved, same.unchanged) == ([], {}, 11)
    assert moved.updated == [] and moved.unchanged == 0
    [(pair, names)] = moved.moved.items()
    assert pair == ("http://127.0.0.1:8700", "http://127.0.0.1:41234")
    assert len(names) == 4 + 11  # every vendor's homepage and every listing's addresses
    assert moved_lines(moved) == [
        "15 entries: addresses moved from http://127.0.0.1:8700 to http://127.0.0.1:41234, "
        "nothing else changed"
    ]
    assert changed.added == ["listing harbor-health:noocube/60-caps"]
    assert sum(len(n) for n in changed.moved.values()) == 4 + 10


# --- the prices table -----------------------------------------------------------------------


def test_the_prices_table_says_stock_in_words_with_one_time_column(tmp_path: Path) -> None:
    database = tmp_path / "tracker.db"
    store = open_store(f"sqlite:///{database}")
    try:
        seed_sample(store, datetime.now(UTC))
    finally:
        store.close()
    config = tmp_path / "tracker.toml"
    config.write_text(f'database_url = "sqlite:///{database}"\n', encoding="utf-8")
    code, out = invoke("--config", str(config), "prices", "cortexin")
    assert code == 0, out
    assert "In stock" in out and "InStock" not in out
    header = next(line for line in out.splitlines() if "product" in line)
    assert "checked" in header and "seen" not in header
    assert re.search(r"\b20\d\d-\d\d-\d\d \d\d:\d\d\b", out) and "Times in UTC." in out


# --- a catalog entry from a page on loopback ------------------------------------------------


def config_for(folder: Path, allow_private: bool) -> Path:
    config = folder / "tracker.toml"
    config.write_text(
        f'database_url = "sqlite:///{folder / "tracker.db"}"\n'
        f'catalog = "{folder / "catalog.yaml"}"\n'
        "[crawl]\n"
        'contact_url = "http://127.0.0.1/tests"\n'
        f"allow_private_addresses = {'true' if allow_private else 'false'}\n",
        encoding="utf-8",
    )
    return config


@pytest.mark.slow
def test_a_catalog_entry_from_the_sample_vendors_page(tmp_path: Path) -> None:
    site_dir = tmp_path / "site"
    site_dir.mkdir()
    for name in ("cosmicnootropic", "harbor-health"):
        (site_dir / name).symlink_to(SAMPLE_SITE_DIR / name)
    (site_dir / "robots.txt").write_text(
        "User-agent: *\nDisallow: /harbor-health/\n", encoding="utf-8"
    )
    with StaticSite(site_dir) as site:
        page = f"{site.url}/cosmicnootropic/cortexin.html"
        refused = config_for(tmp_path, allow_private=False)
        result = CliRunner().invoke(
            main, ["--config", str(refused), "extract", page, "--catalog-entry"]
        )
        assert result.exit_code == 1
        assert "127.0.0.1 is a private address" in result.output

        config = config_for(tmp_path, allow_private=True)
        code, out = invoke(
            "--config", str(config), "extract", page, "--catalog-entry",
            "--vendor-slug", "cosmic", "--vendor-name", "CosmicNootropic",
        )  # fmt: skip
        assert code == 0, out
        entry = YAML(typ="safe").load(out)
        catalog = parse_catalog(out, "printed entry")  # valid as printed
        assert catalog.products[0].slug == "cortexin"
        [vendor] = entry["vendors"]
        assert (vendor["slug"], vendor["homepage"], vendor["currency"]) == (
            "cosmic",
            f"{site.url}/",
            "USD",
        )
        assert [
            (x["label"], x["variant"], x["quantity"], x["strength"]) for x in vendor["listings"]
        ] == [
            ("10 vials x 10 mg", {"sku": "CTX-10X10"}, 10, "10 mg"),
            ("10 vials x 5 mg", {"sku": "CTX-10X5"}, 10, "5 mg"),
        ]
        assert "75.00 USD, In stock, sku CTX-10X10" in out

        one = onboarding.preview_url(
            page, load_settings(config), vendor="cosmic", variant="10 x 5 mg"
        )
        assert one.matched is not None and one.matched.sku == "CTX-10X5"
        assert [x["label"] for x in one.entry["vendors"][0]["listings"]] == ["10 vials x 5 mg"]

        with pytest.raises(PageError, match="robots.txt disallows this page"):
            onboarding.preview_url(f"{site.url}/harbor-health/noocube.html", load_settings(config))

        (tmp_path / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
        code, out = invoke(
            "--config", str(config), "catalog", "add", page, "--vendor-slug", "cosmic"
        )
        assert code == 0, out
        assert "added vendor cosmic" in out and "now run `tracker catalog sync`" in out
    text = (tmp_path / "catalog.yaml").read_text(encoding="utf-8")
    assert text.startswith(CATALOG.split("vendors:")[0])
    assert [v.slug for v in load_catalog(tmp_path / "catalog.yaml").vendors] == [
        "leafshop",
        "cosmic",
    ]
