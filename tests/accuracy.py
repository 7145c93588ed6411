"""How right extraction is on real shop pages, and on the imitation corpus: `make accuracy`.

The real corpus (tests/fixtures/real-pages) is the main measure: saved pages of real shops with
human annotations. Each page's outcome:

- right: the published price is the annotated one (all offers, or the first of several variants
  when the annotation is among them); a page annotated with no single price is right when the
  chain abstains;
- wrong: a price is published that the annotation does not show as the product's price;
- abstain: no price where the page has one (allowed, never wrong).

Availability is scored on every page the annotation gives one (a result without a price still
states what the page shows); currency on priced pages, against the ISO 4217 code of the page's
context (`currencies.yaml`). `corrections.yaml` holds annotations we are sure are wrong, each with
its reason; scores use the corrected truth.

Run `python -m tests.accuracy` (or `make accuracy`); the last lines are `real_…` and `imitation_…`.
"""

from __future__ import annotations

import gzip
import json
import re
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from tracker.domain import Availability, CheckStatus, ExtractResult
from tracker.extract import extract

REAL = Path(__file__).parent / "fixtures" / "real-pages"
# Platform markers, looked for in a page's bytes, for the table's platform column.
_PLATFORMS = (
    ("shopify", rb"cdn\.shopify\.com|Shopify\.theme"),
    ("woocommerce", rb"woocommerce"),
    ("magento", rb"Magento_|mage/cookies|text/x-magento-init"),
    ("bigcommerce", rb"bigcommerce|BCData"),
    ("prestashop", rb"prestashop"),
    ("salesforce", rb"demandware|dwanalytics"),
    ("ebay", rb"ebaystatic\.com"),
)


@dataclass(frozen=True)
class RealCase:
    file: str
    url: str
    source: str
    price: Decimal | None
    currency: str | None  # ISO 4217
    availability: Availability | None
    corrected: str | None  # the reason, when corrections.yaml changed the annotation


@dataclass(frozen=True)
class RealOutcome:
    case: RealCase
    result: ExtractResult
    price: str  # right, wrong, abstain
    availability: bool | None  # None: the annotation gives none
    currency: bool | None  # None: no price published or none annotated
    reason: str


def real_cases() -> list[RealCase]:
    truth = json.loads((REAL / "truth.json").read_text("utf-8"))
    corrections = yaml.safe_load((REAL / "corrections.yaml").read_text("utf-8")) or {}
    currencies = yaml.safe_load((REAL / "currencies.yaml").read_text("utf-8")) or {}
    cases = []
    for page in truth["pages"]:
        name = Path(page["file"]).name
        fix = corrections.get(name, {})
        fixed = {**page, **{k: v for k, v in fix.items() if k != "reason"}}
        price, availability = fixed.get("price"), fixed.get("availability")
        cases.append(
            RealCase(
                file=page["file"],
                url=page["url"] if "://" in page["url"] else "https:" + page["url"],
                source=page["source"],
                price=Decimal(str(price)) if price is not None else None,
                currency=currencies.get(name),
                availability=Availability(availability) if availability else None,
                corrected=fix.get("reason"),
            )
        )
    return cases


@cache
def _body(file: str) -> bytes:
    with gzip.open(REAL / file) as handle:
        return handle.read()


def platform(file: str) -> str:
    body = _body(file)
    for name, pattern in _PLATFORMS:
        if re.search(pattern, body, re.IGNORECASE):
            return name
    return "other"


def page_availability(result: ExtractResult) -> Availability:
    """The availability a result states: its first offer's, else the page's own reading."""
    if result.offers:
        return result.offers[0].availability
    return result.availability


def _in_stock_alike(value: Availability) -> Availability:
    """LimitedAvailability ("low stock") is in stock: the annotations have no word for it."""
    return Availability.IN_STOCK if value is Availability.LIMITED else value


def judge_real(case: RealCase, result: ExtractResult) -> RealOutcome:
    prices = [o.price for o in result.offers] if result.status is CheckStatus.OK else []
    if not prices:
        outcome = "right" if case.price is None else "abstain"
        reason = "" if outcome == "right" else f"{result.status}: {result.error}"
    elif case.price is None:
        outcome, reason = "wrong", f"published {prices[0]}, the page shows no single price"
    elif set(prices) == {case.price} or (prices[0] == case.price):
        outcome, reason = "right", ""
    else:
        outcome = "wrong"
        reason = f"published {', '.join(map(str, prices[:3]))}, the page shows {case.price}"
    availability = None
    if case.availability is not None:
        availability = _in_stock_alike(page_availability(result)) is case.availability
    currency = None
    if prices and case.price is not None and case.currency:
        currency = result.offers[0].currency == case.currency
    return RealOutcome(case, result, outcome, availability, currency, reason)


@cache
def run_real() -> list[RealOutcome]:
    outcomes = []
    for case in real_cases():
        result = extract(_body(case.file), case.url)
        outcomes.append(judge_real(case, result))
    return outcomes


@dataclass(frozen=True)
class Scores:
    pages: int
    right: float
    wrong: float
    abstain: float
    availability: float
    currency: float

    def line(self, prefix: str) -> str:
        return (
            f"{prefix}_right={self.right:.3f} {prefix}_wrong={self.wrong:.3f} "
            f"{prefix}_abstain={self.abstain:.3f} availability={self.availability:.3f} "
            f"currency={self.currency:.3f}"
        )


def real_scores(outcomes: list[RealOutcome]) -> Scores:
    counts = Counter(o.price for o in outcomes)
    judged = [o.availability for o in outcomes if o.availability is not None]
    priced = [o.currency for o in outcomes if o.currency is not None]
    pages = len(outcomes)
    return Scores(
        pages,
        counts["right"] / pages,
        counts["wrong"] / pages,
        counts["abstain"] / pages,
        sum(judged) / len(judged) if judged else 1.0,
        sum(priced) / len(priced) if priced else 1.0,
    )


def imitation_scores() -> tuple[Scores, list[str]]:
    """The imitation shop corpus (tests/fixtures/shops), judged as its own test judges it."""
    from tests import test_extract_shops as shops

    counts: Counter[str] = Counter()
    availability: list[bool] = []
    currency: list[bool] = []
    wrong = []
    for index, case in enumerate(shops.TABLE):
        result = shops.run(index)
        verdict = shops.judge(case, result)
        outcome = {"dont_know": "abstain", "other": "right"}.get(verdict.outcome, verdict.outcome)
        if case["status"] != "ok" and verdict.outcome == "right":
            outcome = "right"
        counts[outcome] += 1
        if verdict.outcome == "wrong":
            wrong.append(f"{case['page']}: {'; '.join(verdict.problems)}")
        expected = case.get("offers") or []
        if expected and result.offers:
            availability.append(str(result.offers[0].availability) == expected[0]["availability"])
            currency.append(result.offers[0].currency == expected[0]["currency"])
    pages = len(shops.TABLE)
    scores = Scores(
        pages,
        counts["right"] / pages,
        counts["wrong"] / pages,
        counts["abstain"] / pages,
        sum(availability) / len(availability) if availability else 1.0,
        sum(currency) / len(currency) if currency else 1.0,
    )
    return scores, wrong


def table(outcomes: list[RealOutcome]) -> str:
    rows: dict[tuple[str, str], Counter[str]] = {}
    for outcome in outcomes:
        key = (outcome.case.source, platform(outcome.case.file))
        counts = rows.setdefault(key, Counter())
        counts[outcome.price] += 1
        counts["availability"] += outcome.availability is True
        counts["judged"] += outcome.availability is not None
    lines = [f"{'source':16} {'platform':12} pages right wrong abstain availability"]
    for (source, name), counts in sorted(rows.items()):
        pages = counts["right"] + counts["wrong"] + counts["abstain"]
        lines.append(
            f"{source:16} {name:12} {pages:5} {counts['right']:5} {counts['wrong']:5} "
            f"{counts['abstain']:7} {counts['availability']:5}/{counts['judged']}"
        )
    return "\n".join(lines)


def pages_report(outcomes: list[RealOutcome]) -> list[str]:
    lines = []
    for kind in ("wrong", "abstain"):
        chosen = [o for o in outcomes if o.price == kind]
        lines.append(f"{kind} ({len(chosen)}):")
        lines.extend(f"  {_name(o)} {_host(o)}: {o.reason}" for o in chosen)
    missed = [o for o in outcomes if o.availability is False]
    lines.append(f"availability not the page's ({len(missed)}):")
    lines.extend(
        f"  {_name(o)} {_host(o)}: {page_availability(o.result)}, page {o.case.availability}"
        for o in missed
    )
    currencies = [o for o in outcomes if o.currency is False]
    lines.append(f"currency not the page's ({len(currencies)}):")
    lines.extend(
        f"  {_name(o)} {_host(o)}: {o.result.offers[0].currency}, page {o.case.currency}"
        for o in currencies
    )
    return lines


def _name(outcome: RealOutcome) -> str:
    return Path(outcome.case.file).name.removesuffix(".html.gz")


def _host(outcome: RealOutcome) -> str:
    return urlsplit(outcome.case.url).hostname or ""


def report() -> str:
    outcomes = run_real()
    imitation, imitation_wrong = imitation_scores()
    lines = ["Real pages (tests/fixtures/real-pages), by source and platform:", table(outcomes)]
    lines.extend(pages_report(outcomes))
    lines.append(f"imitation corpus wrong ({len(imitation_wrong)}):")
    lines.extend(f"  {w}" for w in imitation_wrong)
    lines.append(real_scores(outcomes).line("real"))
    lines.append(imitation.line("imitation"))
    return "\n".join(lines)


def main() -> None:
    print(report())


if __name__ == "__main__":
    main()
