"""The shop corpus: full saved pages imitating real shop platforms, read as a careful human would.

tests/fixtures/shops/expected.yaml holds, for every page, the main product's current price as a
person reads it on the page (or the honest status). The rules:

- a published price is never wrong: a result `ok` whose prices or currencies are not the page's,
  or one price for a product whose variants cost different amounts, fails, always;
- the expected result is required (status, source, each offer's price, currency, SKU and variant
  when given) unless the case names a `known_gap`; such a case passes with a "don't know" status
  or with the right prices;
- availability and regular price: a value the chain states must be the page's; a value it leaves
  out (`unknown`, no regular price) where the page shows one is counted as missed, not failed;
- the corpus as a whole: right on at least 92 % of the pages, wrong on none.

Run `python tests/test_extract_shops.py` for the accuracy table by platform.
"""

from __future__ import annotations

import functools
import importlib.util
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml

from tracker.domain import Availability, CheckStatus, ExtractResult
from tracker.extract import extract
from tracker.profile import ExtractionEntry

SHOPS = Path(__file__).parent / "fixtures" / "shops"
TABLE: list[dict[str, Any]] = yaml.safe_load((SHOPS / "expected.yaml").read_text("utf-8"))
DONT_KNOW = frozenset(
    {CheckStatus.NO_PRICE, CheckStatus.AMBIGUOUS, CheckStatus.BLOCKED, CheckStatus.NOT_FOUND}
)
MIN_RIGHT = Decimal("0.92")
MAX_CORPUS_BYTES = 6 * 1024 * 1024
# Pages on which the chain publishes a wrong price, parked with their diagnosis until it is fixed.
PARKED = frozenset(
    re.findall(r"^- page: (\S+)", (SHOPS / "wrong_price_cases.txt").read_text("utf-8"), re.M)
)


@dataclass
class Verdict:
    """How one page's result compares with what the page shows."""

    outcome: str  # right, wrong, dont_know, other
    problems: list[str] = field(default_factory=list)  # differences from the exact expectation
    missed: list[str] = field(default_factory=list)  # details the chain left out


@functools.cache
def run(index: int) -> ExtractResult:
    case = TABLE[index]
    hints = dict(case.get("hints") or {})
    currency = hints.pop("currency", None)
    body = (SHOPS / case["page"]).read_bytes()
    return extract(body, case["url"], ExtractionEntry.model_validate(hints).hints(currency))


def _prices(offers: Any) -> list[tuple[Decimal, str]]:
    return [(Decimal(str(o["price"])), str(o["currency"])) for o in offers]


def judge(case: dict[str, Any], result: ExtractResult) -> Verdict:
    expected_status = CheckStatus(case["status"])
    verdict = Verdict("other")
    got = [(o.price, o.currency) for o in result.offers]
    if result.status is CheckStatus.OK:
        allowed = set(_prices(case.get("offers") or []))
        wrong = [p for p in got if p not in allowed] if expected_status is CheckStatus.OK else got
        if len(got) == 1 and len(allowed) > 1:
            wrong = got  # one price for a product whose variants cost different amounts
        if wrong:
            verdict.outcome = "wrong"
            verdict.problems.append(f"published {wrong}, the page shows {sorted(allowed)}")
            return verdict
        right = expected_status is CheckStatus.OK and got == _prices(case["offers"])
        verdict.outcome = "right" if right else "other"
    elif result.status in DONT_KNOW:
        verdict.outcome = "right" if result.status is expected_status else "dont_know"
    if result.status is not expected_status:
        verdict.problems.append(f"status {result.status}, expected {expected_status}")
        return verdict
    if expected_status is not CheckStatus.OK:
        if result.offers or not result.error:
            verdict.problems.append("a status other than ok carries offers or no reason")
        if case.get("follow_up") and result.follow_up != case["follow_up"]:
            verdict.problems.append(f"follow_up {result.follow_up!r}")
        return verdict
    if result.source != case["source"]:
        verdict.problems.append(f"source {result.source}, expected {case['source']}")
    if len(result.offers) != len(case["offers"]):
        verdict.problems.append(f"{len(result.offers)} offers, expected {len(case['offers'])}")
    for n, (offer, expected) in enumerate(zip(result.offers, case["offers"], strict=False)):
        _compare_offer(n, offer, expected, verdict)
        if not offer.raw_price or offer.source != result.source:
            verdict.problems.append(f"offer {n}: no provenance")
    return verdict


def _compare_offer(n: int, offer: Any, expected: dict[str, Any], verdict: Verdict) -> None:
    availability = Availability(expected["availability"])
    if offer.availability is not availability:
        if offer.availability is Availability.UNKNOWN:
            verdict.missed.append(f"offer {n}: availability {availability} not read")
        else:
            verdict.problems.append(
                f"offer {n}: availability {offer.availability}, page {availability}"
            )
    regular = Decimal(str(expected["regular_price"])) if expected.get("regular_price") else None
    if offer.regular_price != regular:
        if offer.regular_price is None:
            verdict.missed.append(f"offer {n}: regular price {regular} not read")
        else:
            verdict.problems.append(
                f"offer {n}: regular price {offer.regular_price}, page {regular}"
            )
    for key in ("sku", "variant"):
        value = getattr(offer, key)
        if key in expected and value != str(expected[key]):
            verdict.problems.append(f"offer {n}: {key} {value!r}, page {expected[key]!r}")


def platform(page: str) -> str:
    """The platform a page imitates, from its name ("woo9-sale-eur-de.html": woo)."""
    return re.sub(r"\d+$", "", page.split("-", 1)[0])


@pytest.mark.parametrize(
    "index", range(len(TABLE)), ids=[c["page"].rsplit(".", 1)[0] for c in TABLE]
)
def test_page_reads_as_a_careful_human_reads_it(index: int) -> None:
    case = TABLE[index]
    result = run(index)
    verdict = judge(case, result)
    assert verdict.outcome != "wrong", f"{case['page']}: {verdict.problems} ({result.error})"
    if case.get("known_gap"):
        assert verdict.outcome in ("right", "dont_know"), f"{case['page']}: {verdict.problems}"
        return
    assert not verdict.problems, f"{case['page']}: {verdict.problems} ({result.error})"


def accuracy() -> tuple[dict[str, Counter[str]], list[str]]:
    """Outcomes counted by platform, and notes: details left out, known gaps now closed."""
    table: dict[str, Counter[str]] = {}
    notes = []
    for index, case in enumerate(TABLE):
        verdict = judge(case, run(index))
        table.setdefault(platform(case["page"]), Counter())[verdict.outcome] += 1
        notes.extend(f"{case['page']}: {m}" for m in verdict.missed)
        if case.get("known_gap") and verdict.outcome == "right" and not verdict.problems:
            notes.append(f"{case['page']}: reads right now, remove its known_gap")
    return table, notes


def report() -> str:
    table, notes = accuracy()
    total: Counter[str] = sum(table.values(), Counter())
    pages = sum(total.values())
    lines = [f"{'platform':14} pages right wrong dont_know other"]
    for name, counts in sorted(table.items()):
        lines.append(_row(name, counts))
    lines.append(
        _row("all", total)
        + f"   right {total['right'] / pages:.1%}, wrong {total['wrong'] / pages:.1%}"
    )
    lines.append(f"notes ({len(notes)}): availability or regular price left out; known gaps closed")
    lines.extend(f"  {n}" for n in notes)
    return "\n".join(lines)


def _row(name: str, counts: Counter[str]) -> str:
    pages = sum(counts.values())
    return (
        f"{name:14} {pages:5} {counts['right']:5} {counts['wrong']:5} "
        f"{counts['dont_know']:9} {counts['other']:5}"
    )


def test_the_corpus_is_right_on_92_percent_and_never_wrong() -> None:
    table, _ = accuracy()
    total: Counter[str] = sum(table.values(), Counter())
    pages = sum(total.values())
    print("\n" + report())
    assert total["wrong"] == 0, report()
    assert Decimal(total["right"]) / pages >= MIN_RIGHT, report()


def test_dawn_variant_picker_json_gives_each_variant_its_stock() -> None:
    """Dawn's variant list states `available`; the analytics meta alone would leave it unknown."""
    index = next(n for n, c in enumerate(TABLE) if c["page"] == "shopify-dawn-reviews-app-cad.html")
    result = run(index)
    assert [str(o.availability) for o in result.offers] == ["InStock", "InStock", "OutOfStock"]


def test_the_corpus_is_large_and_every_page_is_in_the_table() -> None:
    pages = {p.name for p in SHOPS.iterdir() if p.suffix == ".html"}
    assert len(pages) >= 40
    assert PARKED <= pages and not PARKED & {case["page"] for case in TABLE}
    sizes = sum((SHOPS / p).stat().st_size for p in pages)
    pages -= PARKED
    assert pages == {case["page"] for case in TABLE}
    assert len(TABLE) == len(pages), "one case per page"
    assert sizes < MAX_CORPUS_BYTES
    for case in TABLE:
        assert "url" in case and (case["status"] != "ok" or case.get("offers")), case["page"]


def test_the_pages_are_what_the_generator_writes() -> None:
    try:
        spec = importlib.util.spec_from_file_location("make_shops", SHOPS / "make_shops.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)  # puts its folder on sys.path for its parts
    finally:
        while str(SHOPS) in sys.path:
            sys.path.remove(str(SHOPS))
    assert set(module.PAGES) - PARKED == {case["page"] for case in TABLE}
    for name, text in module.PAGES.items():
        data = text if isinstance(text, bytes) else text.encode("utf-8")
        assert (SHOPS / name).read_bytes() == data, name


if __name__ == "__main__":
    print(report())
