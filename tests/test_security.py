"""Vendor and catalog strings can never become markup, script or a dangerous link.

The vectors come from the OWASP XSS Filter Evasion Cheat Sheet. Each one is put into product and
variant names, vendor names, pack labels and currencies, then the box HTML, its JSON-LD and the
server's /boxes fragment are parsed: the markup must have exactly the structure of a box built
from harmless strings, no event handler, no link that is not http(s), and the JSON-LD must parse
back to the very string that went in.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from tests.conftest import NOW
from tests.seeding import check_all, sync_sample
from tests.test_viewmodel import DAY, FIVE, TEN
from tracker.catalog import CatalogError, parse_catalog
from tracker.config import Settings, SiteSettings
from tracker.domain import ListingState
from tracker.publishing.buybox import BoxRenderer
from tracker.publishing.viewmodel import build_buy_box, build_group
from tracker.store.engine import open_store
from tracker.urls import is_http_url
from tracker.web.server import create_app

XSS_VECTORS = [
    "<SCRIPT SRC=http://xss.rocks/xss.js></SCRIPT>",
    "javascript:/*--></title></style></textarea></script></xmp>"
    "<svg/onload='+/\"/+/onmouseover=1/+/[*/[]/+alert(1)//'>",
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    '<a onmouseover="alert(document.cookie)">xxs link</a>',
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>',
    "<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>",
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
    '<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114'
    '&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116">',
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;"
    "&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    '<SCRIPT/XSS SRC="http://xss.rocks/xss.js"></SCRIPT>',
    '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
    '<<SCRIPT>alert("XSS");//\\<</SCRIPT>',
    "<SCRIPT SRC=http://xss.rocks/xss.js?< B >",
    '</TITLE><SCRIPT>alert("XSS");</SCRIPT>',
    '<INPUT TYPE="IMAGE" SRC="javascript:alert(\'XSS\');">',
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    "<SVG/onload=alert('XSS')>",
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    "<STYLE>@import'http://xss.rocks/xss.css';</STYLE>",
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert(\'XSS\');">',
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    "'';!--\"<XSS>=&{()}",
    '"><script>alert(1)</script>',
    "' onmouseover='alert(1)",
    "</script><script>alert(1)</script><!--",
    "<!--<script>alert(1)//-->",
]
BAD_URLS = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    " javascript:alert(1)",
    "\x01javascript:alert(1)",
    "&#106;avascript:alert(1)",
    "&#x6A;avascript:alert(1)",
    "jav&#x09;ascript:alert(1)",
    "javascript&colon;alert(1)",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "DATA:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "VbScRiPt:msgbox(1)",
    "vb\tscript:msgbox(1)",
    "//evil.example/path",
    "http:/no-host",
]
ALLOWED_TAGS = {
    "div", "style", "p", "section", "h3", "ul", "li", "span", "s", "time", "a", "svg",
    "title", "polyline", "script", "table", "caption", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip


class Markup(HTMLParser):
    """Collects the tag structure, links, text and JSON-LD blocks of a fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend((tag, name, value) for name, value in attrs)
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self.tags.append(f"/{tag}")
        self._in_script = False

    def handle_data(self, data: str) -> None:
        (self.scripts if self._in_script else self.text).append(data)


def parse(html: str) -> Markup:
    markup = Markup()
    markup.feed(html)
    markup.close()
    return markup


def assert_safe(html: str, baseline: str, evil: str) -> None:
    """Same structure as the harmless box, no handler, only http(s) links, evil kept as text."""
    found, expected = parse(html), parse(baseline)
    assert found.tags == expected.tags
    assert set(found.tags) - {f"/{t}" for t in ALLOWED_TAGS} <= ALLOWED_TAGS
    for tag, name, value in found.attributes:
        assert not name.startswith("on"), (tag, name)
        assert name != "style", tag
        if name in ("href", "src"):
            assert value is not None and is_http_url(value), value
        if tag == "script":
            assert (name, value) == ("type", "application/ld+json")
    assert evil.strip() in " ".join(found.text + found.scripts) or evil.strip() in json.dumps(
        [json.loads(s) for s in found.scripts], ensure_ascii=False
    )
    for script in found.scripts:
        assert "</script" not in script.lower() and "<!--" not in script


def jsonld_blocks(html: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.DOTALL)
    return [json.loads(block) for block in blocks]


SITE = SiteSettings(jsonld=True, inline_css=False)
RENDERER = BoxRenderer(SITE)


def render(*states: ListingState, product: str = "Cortexin") -> str:
    box = build_buy_box(
        "cortexin", product, states, disclosure="We earn.", now=NOW, max_age=DAY, jsonld=True
    )
    renderer = RENDERER
    cards = renderer.render(build_group([box], style="cards", disclosure="D", show_note=True))
    table = renderer.render(build_group([box], style="table", disclosure="D", show_note=True))
    return cards + "\n" + table


@pytest.mark.parametrize("evil", XSS_VECTORS)
@pytest.mark.parametrize("field", ["product", "vendor", "label", "currency"])
def test_vector_never_becomes_markup(evil: str, field: str) -> None:
    states = (TEN, FIVE)
    product = "Cortexin"
    if field == "product":
        product = evil
    elif field == "vendor":
        states = (replace(TEN, vendor_name=evil), FIVE)
    elif field == "label":
        states = (replace(TEN, label=evil), FIVE)
    else:
        states = (replace(TEN, currency=evil), replace(FIVE, currency=evil))
    html = render(*states, product=product)
    if field == "currency":  # not ISO 4217: the rows show no price, and no JSON-LD
        assert_safe(html, render(replace(TEN, price=None), replace(FIVE, price=None)), "")
        assert "75" not in html and jsonld_blocks(html) == []
        return
    assert_safe(html, render(TEN, FIVE), evil)
    [data, _again] = jsonld_blocks(html)
    offers = data["offers"]
    if field == "product":
        assert data["name"] == evil
    elif field == "vendor":
        assert evil in [o["seller"]["name"] for o in offers["offers"]]
    elif field == "label":
        assert evil in [o["name"] for o in offers["offers"]]


@pytest.mark.parametrize("url", BAD_URLS)
def test_bad_urls_are_never_rendered(url: str) -> None:
    html = render(replace(TEN, affiliate_url=url), FIVE)
    markup = parse(html)
    links = [v for _tag, name, v in markup.attributes if name == "href"]
    assert links and all(is_http_url(link or "") for link in links)
    assert "script:" not in html.lower() and "data:" not in html.lower()


@pytest.mark.parametrize("url", BAD_URLS)
@pytest.mark.parametrize(
    "where",
    [
        "vendors[0].listings[0].url",
        "vendors[0].listings[0].affiliate_url",
        "vendors[0].homepage",
        "products[0].image",
    ],
)
def test_catalog_sync_refuses_bad_urls(url: str, where: str) -> None:
    product = {"slug": "cortexin", "name": "Cortexin"}
    listing = {"product": "cortexin", "label": "10 x 10 mg", "url": "https://shop.example/c"}
    vendor = {
        "slug": "v",
        "name": "V",
        "homepage": "https://shop.example/",
        "currency": "USD",
        "listings": [listing],
    }
    owner = {"products": product, "vendors": vendor, "listings": listing}
    *path, field = re.sub(r"\[0\]", "", where).split(".")
    owner[path[-1]][field] = url
    text = json.dumps({"products": [product], "vendors": [vendor]})  # JSON is YAML
    with pytest.raises(CatalogError) as caught:
        parse_catalog(text, "catalog.yaml", {})
    assert f"catalog.yaml: {where}: not an http(s) URL" in str(caught.value)


@pytest.mark.parametrize(
    "template", ["javascript:{url}", "data:{url}", "vbscript:{url}", "{url}\tx"]
)
def test_catalog_sync_refuses_bad_affiliate_templates(template: str) -> None:
    vendor = {
        "slug": "v",
        "name": "V",
        "homepage": "https://shop.example/",
        "currency": "USD",
        "affiliate": template,
    }
    with pytest.raises(CatalogError, match="vendors\\[0\\].affiliate"):
        parse_catalog(json.dumps({"vendors": [vendor]}), "catalog.yaml", {})


def evil_catalog() -> str:
    """The sample vendors' listings, one product per vector, named and labelled with it."""
    products = [{"slug": f"p{i}", "name": evil} for i, evil in enumerate(XSS_VECTORS)]
    vendors = [
        {
            "slug": f"v{i}",
            "name": evil[:120],
            "homepage": "https://shop.example/",
            "currency": "USD",
            "affiliate": "{url}?ref=a",
            "listings": [
                {
                    "product": f"p{i}",
                    "label": evil,
                    "url": f"https://shop.example/p{i}",
                    "quantity": 10,
                    "unit": "vial",
                    "strength": "10 mg",
                }
            ],
        }
        for i, evil in enumerate(XSS_VECTORS)
    ]
    return json.dumps({"products": products, "vendors": vendors})


def test_live_fragments_escape_every_vector(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'evil.db'}")
    try:
        sync_sample(store, evil_catalog())
        prices = {(f"v{i}", evil): ("75.00", "USD") for i, evil in enumerate(XSS_VECTORS)}
        check_all(store, NOW, prices)
        app = create_app(Settings(site=SITE), store=store, clock=lambda: NOW)
        with TestClient(app, base_url="http://localhost") as client:
            baseline = None
            for i, evil in enumerate(XSS_VECTORS):
                response = client.get(f"/boxes/p{i}.html")
                assert response.status_code == 200
                structure = parse(response.text).tags
                if baseline is None:
                    baseline = structure
                assert structure == baseline, evil
                assert_safe(response.text, response.text, evil)
                [data] = jsonld_blocks(response.text)
                assert data["name"] == evil
                offers = client.get(f"/api/products/p{i}/offers").json()["offers"]
                assert offers[0]["label"] == evil and offers[0]["vendor"] == evil[:120]
    finally:
        store.close()
