"""`tracker extract` on saved pages, on loopback URLs, and with a synced vendor's hints."""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from tracker.cli import main
from tracker.web.samplesite import StaticSite

PAGES = Path(__file__).parent / "fixtures" / "pages"
OFFER_KEYS = {
    "name",
    "variant",
    "sku",
    "price",
    "currency",
    "availability",
    "regular_price",
    "source",
    "raw_price",
}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["extract", *args])
    return result.exit_code, result.output


def test_saved_page_as_text() -> None:
    code, out = run(
        str(PAGES / "shopify-product-json.html"), "--url", "https://s.example/products/c"
    )
    assert code == 0, out
    assert "status: ok (source: shopify)" in out
    assert "75.00 USD  InStock  was 90.00" in out and "sku 'CTX-10X10'" in out
    assert "45.00 USD  OutOfStock" in out


def test_saved_page_as_json() -> None:
    code, out = run(str(PAGES / "jsonld-graph-variants.html"), "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["status"] == "ok" and data["source"] == "json-ld"
    assert data["tried"] == ["json-ld", "opengraph"]  # every source is read
    assert [set(o) for o in data["offers"]] == [OFFER_KEYS, OFFER_KEYS]
    first = data["offers"][0]
    assert (first["price"], first["currency"], first["availability"]) == ("75.00", "USD", "InStock")
    assert first["variant"] == "10 vials x 10 mg" and first["regular_price"] is None


def test_blocked_page_says_so_and_names_no_price() -> None:
    code, out = run(str(PAGES / "captcha-cloudflare-200.html"), "--json")
    data = json.loads(out)
    assert code == 0 and data["status"] == "blocked" and data["offers"] == []
    assert "bot check" in data["error"]


@pytest.fixture
def shop(tmp_path: Path) -> Iterator[StaticSite]:
    """A loopback shop: a WooCommerce page and a Shopify page whose price is only in its .js."""
    root = tmp_path / "shop"
    (root / "products").mkdir(parents=True)
    shutil.copy(PAGES / "woo-variable.html", root / "woo.html")
    shutil.copy(PAGES / "shopify-no-embedded-price.html", root / "products" / "cortexin")
    shutil.copy(PAGES / "shopify-endpoint.js", root / "products" / "cortexin.js")
    with StaticSite(root) as site:
        yield site


@pytest.mark.slow
def test_url_is_fetched(shop: StaticSite) -> None:
    code, out = run(f"{shop.url}/woo.html", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["status"] == "ok" and data["source"] == "woocommerce"
    assert [o["sku"] for o in data["offers"]] == ["CTX-10X10", "CTX-10X5"]


@pytest.mark.slow
def test_shopify_page_without_price_follows_its_endpoint(shop: StaticSite) -> None:
    code, out = run(f"{shop.url}/products/cortexin")
    assert code == 0, out
    assert "status: no_price" in out
    assert f"follow-up: {shop.url}/products/cortexin.js" in out
    assert "status: ok (source: shopify)" in out and "75.00" in out


@pytest.mark.slow
def test_saved_shopify_page_follows_its_endpoint_at_its_url(shop: StaticSite) -> None:
    page = str(PAGES / "shopify-no-embedded-price.html")
    code, out = run(page, "--url", f"{shop.url}/products/cortexin", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["status"] == "no_price"
    assert data["follow_up"] == f"{shop.url}/products/cortexin.js"
    assert data["follow_up_result"]["status"] == "ok"
    assert [o["price"] for o in data["follow_up_result"]["offers"]] == ["75.00", "45.00"]


class _Refusing(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        body = (PAGES / "captcha-akamai-403.html").read_bytes()
        self.send_response(403)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.mark.slow
def test_403_page_is_read_as_blocked() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Refusing)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        code, out = run(f"http://127.0.0.1:{server.server_address[1]}/p", "--json")
    finally:
        server.shutdown()
        server.server_close()
    assert code == 0, out
    assert json.loads(out)["status"] == "blocked"


@pytest.mark.slow
def test_missing_page_and_bad_url_are_clear_errors(shop: StaticSite, tmp_path: Path) -> None:
    code, out = run(f"{shop.url}/gone.html")
    assert code == 1 and "gone.html: HTTP 404" in out
    code, out = run(str(tmp_path / "nothing.html"))
    assert code == 1 and "nothing.html: cannot read" in out
    code, out = run(str(PAGES / "woo-simple.html"), "--url", "javascript:alert(1)")
    assert code == 1 and "not an http(s) URL" in out


CATALOG = """
products:
  - {slug: cerebro, name: Cerebro Pro}
vendors:
  - slug: plainshop
    name: Plain Shop
    homepage: https://plain.example/
    currency: EUR
    extraction:
      decimal_separator: ","
      selectors:
        price: td.cost-now
        regular_price: "//td[@class='cost-before']"
        availability: "td.state::text"
    listings:
      - {product: cerebro, label: one, url: "https://plain.example/cerebro"}
"""


def test_vendor_hints_come_from_the_synced_catalog(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "catalog.yaml").write_text(CATALOG, encoding="utf-8")
    (tmp_path / "tracker.toml").write_text(
        f'database_url = "sqlite:///{tmp_path / "t.db"}"\ncatalog = "catalog.yaml"\n',
        encoding="utf-8",
    )
    monkeypatch.setenv("TRACKER_CONFIG", str(tmp_path / "tracker.toml"))
    page = str(PAGES / "selectors-only.html")
    assert json.loads(run(page, "--json")[1])["status"] == "no_price"
    assert CliRunner().invoke(main, ["catalog", "sync"]).exit_code == 0
    code, out = run(page, "--vendor", "plainshop", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["source"] == "selectors"
    assert data["offers"][0]["price"] == "1299.00" and data["offers"][0]["currency"] == "EUR"
    assert data["offers"][0]["regular_price"] == "1499.00"
    code, out = run(str(PAGES / "jsonld-basic-usd.html"), "--vendor", "plainshop")
    assert code == 0 and "warning: the vendor is set to EUR" in out and "in USD" in out
    code, out = run(page, "--vendor", "nobody")
    assert code == 1 and "no vendor 'nobody'" in out
