"""The real-page corpus is the main measure of extraction: never a wrong price, and a floor.

tests/fixtures/real-pages holds saved pages of real shops with human annotations (and the
corrections we are sure of, each with its reason). `make accuracy` prints the full table.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from tests import accuracy

# The floors reached when this test was written (right 58/60, availability 54/58); a change that
# drops under them, or publishes one wrong price, fails.
MIN_RIGHT = 0.95
MIN_AVAILABILITY = 0.90
MIN_CURRENCY = 0.95


@pytest.fixture(scope="module")
def outcomes() -> list[accuracy.RealOutcome]:
    return accuracy.run_real()


def test_no_real_page_gets_a_wrong_price(outcomes: list[accuracy.RealOutcome]) -> None:
    wrong = [f"{o.case.file}: {o.reason}" for o in outcomes if o.price == "wrong"]
    assert not wrong, "\n".join(wrong)


def test_real_pages_read_right_above_the_floor(outcomes: list[accuracy.RealOutcome]) -> None:
    scores = accuracy.real_scores(outcomes)
    report = scores.line("real")
    assert scores.right >= MIN_RIGHT, report
    assert scores.availability >= MIN_AVAILABILITY, report
    assert scores.currency >= MIN_CURRENCY, report


def test_the_corpus_is_complete_and_kept_as_received() -> None:
    real = accuracy.REAL
    truth = json.loads((real / "truth.json").read_text("utf-8"))
    files = {Path(p["file"]).name for p in truth["pages"]}
    assert len(files) == 60 and files == {p.name for p in (real / "pages").iterdir()}
    for name in files:
        with gzip.open(real / "pages" / name) as handle:
            assert handle.read(1)  # gzipped, readable
    assert "MIT" in truth["source"]
    corrections = accuracy.yaml.safe_load((real / "corrections.yaml").read_text("utf-8"))
    assert set(corrections) <= files
    assert all(fix.get("reason") for fix in corrections.values()), "each correction says why"
    currencies = accuracy.yaml.safe_load((real / "currencies.yaml").read_text("utf-8"))
    assert set(currencies) == files


def test_the_report_ends_with_the_two_score_lines() -> None:
    lines = accuracy.report().splitlines()
    assert lines[-2].startswith("real_right=") and "availability=" in lines[-2]
    assert lines[-1].startswith("imitation_right=") and "currency=" in lines[-1]
