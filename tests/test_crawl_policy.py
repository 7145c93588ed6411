"""Pure crawl rules: vendor hosts, where a redirect landed, Retry-After, the re-check rule."""

from __future__ import annotations

import pytest

from tests.conftest import NOW
from tracker.crawling.checks import page_hash
from tracker.crawling.policy import (
    host_key,
    is_vendor_url,
    landing_kind,
    retry_after_seconds,
    vendor_hosts,
)


@pytest.mark.parametrize(
    ("url", "key"),
    [
        ("https://Shop.Example/p", "shop.example"),
        ("https://www.shop.example/p", "shop.example"),
        ("http://shop.example:80/p", "shop.example"),
        ("https://shop.example:443/p", "shop.example"),
        ("http://127.0.0.1:8001/p", "127.0.0.1:8001"),
        ("https://shop.example:8443/", "shop.example:8443"),
        ("not a url", None),
        ("http://shop.example:99999/", None),
    ],
)
def test_host_key(url: str, key: str | None) -> None:
    assert host_key(url) == key


HOSTS = vendor_hosts("https://shop.example/", ["https://cdn-shop.example/p/1"])


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://shop.example/product", True),
        ("http://www.shop.example/product", True),  # http to https and www are the same site
        ("https://cdn-shop.example/p/2", True),
        ("https://evil.example/product", False),
        ("https://shop.example.evil.example/", False),
        ("https://shop.example:8443/product", False),
        ("ftp://shop.example/product", False),
        ("javascript:alert(1)", False),
    ],
)
def test_is_vendor_url(url: str, allowed: bool) -> None:
    assert is_vendor_url(url, HOSTS) is allowed


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://shop.example/", "home page"),
        ("https://shop.example", "home page"),
        ("https://shop.example/index.php", "home page"),
        ("https://shop.example/de", "home page"),
        ("https://shop.example/en-gb/", "home page"),
        ("https://shop.example/search?q=cortexin", "search page"),
        ("https://shop.example/?s=cortexin&post_type=product", "search page"),
        ("https://shop.example/catalogsearch/result/?q=x", "search page"),
        ("https://shop.example/collections/nootropics", "category page"),
        ("https://shop.example/product-category/peptides/", "category page"),
        ("https://shop.example/category/brain/memory", "category page"),
        ("https://shop.example/collections/nootropics/products/cortexin", None),
        ("https://shop.example/products/cortexin-10mg", None),
        ("https://shop.example/cortexin-10-vials.html", None),
        ("https://shop.example/p/12345", None),
    ],
)
def test_landing_kind(url: str, kind: str | None) -> None:
    assert landing_kind(url) == kind


def test_the_vendors_homepage_is_a_landing_page() -> None:
    assert landing_kind("https://shop.example/start", "https://shop.example/start/") == "home page"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("1", 1.0),
        (b"120", 120.0),
        (" 30 ", 30.0),
        ("Thu, 26 Nov 2026 12:00:30 GMT", 30.0),
        ("Thu, 26 Nov 2026 11:00:00 GMT", 0.0),  # in the past: no wait
        ("soon", None),
        ("-5", None),
        (None, None),
    ],
)
def test_retry_after_seconds(value: str | bytes | None, seconds: float | None) -> None:
    assert retry_after_seconds(value, NOW) == seconds


def test_page_hash_is_a_short_stable_fingerprint() -> None:
    assert page_hash(b"<html>") == page_hash(b"<html>") != page_hash(b"<html> ")
    assert len(page_hash(b"")) == 16
