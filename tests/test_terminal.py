"""Untrusted text on the operator's terminal: shown as written, never as markup, emoji or
escape codes (vendor names, labels, errors and raw prices come from catalogs and vendor pages)."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import update

from tests.seeding import seed_sample
from tracker.cli import main
from tracker.cli.output import PlainFormatter, escaped, plain
from tracker.store.engine import Store, open_store
from tracker.store.models import CrawlRun, Listing, ObservationSpan, Product, Vendor

HOSTILE = "[/red][bold]x :fire: \x1b[2J\x1b]0;owned\x07\u202eevil\r\nend\\"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text", "plain text"),
        ("[/red]", "\\[/red]"),
        ("a\x1b[31mb", "a\\x1b[31mb"),
        ("bell\x07", "bell\\x07"),
        ("csi\x9b", "csi\\x9b"),
        ("rlo\u202eabc", "rlo\\u202eabc"),
        ("two\nlines\ttab", "two lines tab"),
        ("ends with a backslash\\", "ends with a backslash\\\\"),
    ],
)
def test_shown_keeps_text_and_drops_its_power(text: str, expected: str) -> None:
    assert escaped(text) == expected
    assert "\x1b" not in plain(text) and "\n" not in plain(text)


def test_log_messages_are_one_plain_line() -> None:
    record = logging.LogRecord("t", logging.ERROR, "f", 1, "run failed: %s", (HOSTILE,), None)
    line = PlainFormatter("%(levelname)s %(message)s").format(record)
    assert line.startswith("ERROR run failed: [/red]") and "\\x1b[2J" in line
    assert "\x1b" not in line and "\n" not in line


@pytest.fixture
def hostile(tmp_path: Path, now: datetime) -> Iterator[tuple[Path, Store]]:
    """The sample data with catalog and page text that tries markup, emoji and escape codes."""
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = open_store(url)
    seed_sample(store, now)
    with store.sessions.begin() as session:
        session.execute(update(Vendor).values(name=Vendor.name + HOSTILE))
        session.execute(update(Product).values(name=HOSTILE))
        session.execute(update(Listing).values(label=Listing.label + HOSTILE, last_error=HOSTILE))
        session.execute(update(ObservationSpan).values(raw_price=HOSTILE, source="json-ld"))
        session.add(
            CrawlRun(
                vendor_id=1,
                started_at=now,
                finished_at=now,
                status="failed",
                trigger="manual",
                error=HOSTILE,
            )
        )
    config = tmp_path / "tracker.toml"
    config.write_text(f'database_url = "{url}"\n', encoding="utf-8")
    yield config, store
    store.close()


@pytest.mark.parametrize(
    ("command", "shows_it"),
    [
        (["prices"], True),
        (["prices", "--why", "1"], True),
        (["status"], True),
        (["schedule", "list"], False),  # slugs and schedules only
        (["catalog", "show"], True),
    ],
)
def test_commands_print_hostile_text_as_text(
    hostile: tuple[Path, Store], command: list[str], shows_it: bool
) -> None:
    config, _store = hostile
    result = CliRunner().invoke(main, ["--config", str(config), *command])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert result.exit_code in (0, 1), result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert "\u202e" not in result.output
    assert "🔥" not in result.output
    if shows_it:
        assert "[/red][bold]x :fire:" in result.output, result.output
        assert "\\x1b" in result.output


PAGE = """<html><head><script type="application/ld+json">
{"@context": "https://schema.org", "@type": "Product", "name": "Evil NAME",
 "offers": {"@type": "Offer", "price": "75.00", "priceCurrency": "USD", "name": "Evil NAME",
            "availability": "https://schema.org/InStock"}}
</script></head><body><main><h1>Evil</h1><p class="price">$75.00</p>
<form action="/cart"><button>Add to cart</button></form></main></body></html>"""


@pytest.mark.parametrize("as_json", [False, True])
def test_extract_prints_page_text_as_text(tmp_path: Path, as_json: bool) -> None:
    page = tmp_path / "page.html"
    page.write_text(PAGE.replace("NAME", "\\u001b]0;owned\\u0007\\u009b2J"), encoding="utf-8")
    args = ["extract", str(page), "--url", "https://shop.example/p"]
    result = CliRunner().invoke(main, args + (["--json"] if as_json else []))
    assert result.exit_code == 0, result.output
    assert "75.00" in result.output
    assert not {"\x1b", "\x07", "\x9b"} & set(result.output), repr(result.output)
    assert ("\\u001b" if as_json else "\\x1b") in result.output
