"""Real crawls that never reach the shop: a host that does not resolve (the reserved `.invalid`
top-level domain) and a TLS handshake that fails (https:// to a loopback server that speaks
plain HTTP) are both `unreachable`, with the reason, not `blocked` or a timeout."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.crawl_helpers import catalog, listing, stored, sync_and_crawl, vendor, write_project
from tests.servers import ScriptedSite, product_page

pytestmark = pytest.mark.slow  # real crawls


def test_a_host_that_does_not_resolve_is_unreachable(tmp_path: Path) -> None:
    home = "https://shop.invalid/"  # RFC 6761: never resolves, anywhere
    settings = write_project(
        tmp_path, catalog(vendor("nowhere", home, [listing("pill", f"{home}pill")]))
    )
    outcome = sync_and_crawl(settings)
    result = stored(settings)["pill"]
    assert result.status == "unreachable", result.error
    assert "DNS lookup failed" in (result.error or "")
    assert outcome.status == "failed"


def test_a_failed_tls_handshake_is_unreachable(tmp_path: Path) -> None:
    with ScriptedSite() as plain:  # answers HTTP only: the client's TLS hello gets no TLS back
        plain.script("/pill", product_page("Pill", "75.00"))
        home = plain.url.replace("http://", "https://", 1) + "/"
        settings = write_project(
            tmp_path, catalog(vendor("badtls", home, [listing("pill", f"{home}pill")]))
        )
        outcome = sync_and_crawl(settings)
    result = stored(settings)["pill"]
    assert result.status == "unreachable", result.error
    assert "TLS error" in (result.error or "")
    assert outcome.status == "failed"
